// The colorization network's per-pixel distribution over the ab bins, decoded in the browser:
// the annealed mean softmax(log p / T) · centres (Zhang et al. 2016), upsampled bilinearly and
// combined with the photo's own L, exactly as models/distribution.py does on the server.

import { labToRgb8 } from './lab.js';

// Below this temperature the decode is the mode: exp(log p / T) overflows long before T = 0.
export const MODE_T = 1e-3;

export class Distribution {
  /**
   * @param {Float32Array} logp log-probabilities in the API's (Q, h, w) layout
   * @param {number[]} shape [Q, h, w]
   * @param {number[][]} centres Q [a, b] bin centres, in the order of Q
   */
  constructor(logp, shape, centres) {
    const [q, h, w] = shape;
    if (logp.length !== q * h * w) throw new Error(`distribution has ${logp.length} values, expected ${q * h * w}`);
    if (centres.length !== q) throw new Error(`${centres.length} bin centres for ${q} bins`);
    this.q = q;
    this.h = h;
    this.w = w;
    this.ca = Float32Array.from(centres, (c) => c[0]);
    this.cb = Float32Array.from(centres, (c) => c[1]);
    // Pixel-major (h, w, Q) copy: decoding reads all Q values of one pixel together.
    const hw = h * w;
    this.logp = new Float32Array(q * hw);
    for (let k = 0; k < q; k += 1) {
      for (let p = 0; p < hw; p += 1) this.logp[p * q + k] = logp[k * hw + p];
    }
  }

  /** (a, b) of pixel index p by the annealed mean at temperature t, written into out[2p..]. */
  decodePixel(p, t, out, o = 2 * p) {
    const { q, logp, ca, cb } = this;
    const base = p * q;
    let best = 0;
    let max = -Infinity;
    for (let k = 0; k < q; k += 1) {
      if (logp[base + k] > max) {
        max = logp[base + k];
        best = k;
      }
    }
    if (t < MODE_T) {
      out[o] = ca[best];
      out[o + 1] = cb[best];
      return out;
    }
    let sum = 0;
    let a = 0;
    let b = 0;
    for (let k = 0; k < q; k += 1) {
      const e = Math.exp((logp[base + k] - max) / t);
      sum += e;
      a += e * ca[k];
      b += e * cb[k];
    }
    out[o] = a / sum;
    out[o + 1] = b / sum;
    return out;
  }

  /** The (h, w, 2) ab map at temperature t. */
  abAt(t) {
    const out = new Float32Array(this.h * this.w * 2);
    for (let p = 0; p < this.h * this.w; p += 1) this.decodePixel(p, t, out);
    return out;
  }

  /** Probabilities over the Q bins at net pixel (x, y), sharpened by temperature t (1 = as predicted). */
  probabilities(x, y, t = 1) {
    const { q, logp } = this;
    const base = (y * this.w + x) * q;
    const tt = Math.max(t, MODE_T);
    let max = -Infinity;
    for (let k = 0; k < q; k += 1) max = Math.max(max, logp[base + k]);
    const out = new Float32Array(q);
    let sum = 0;
    for (let k = 0; k < q; k += 1) {
      out[k] = Math.exp((logp[base + k] - max) / tt);
      sum += out[k];
    }
    for (let k = 0; k < q; k += 1) out[k] /= sum;
    return out;
  }

  /** The net pixel (x, y) under image pixel (px, py) of an image `width` x `height` (nearest). */
  netPixel(px, py, width, height) {
    // Half-pixel centres, as the server's bilinear upsampling uses.
    const x = Math.round((px + 0.5) * (this.w / width) - 0.5);
    const y = Math.round((py + 0.5) * (this.h / height) - 0.5);
    return [Math.min(this.w - 1, Math.max(0, x)), Math.min(this.h - 1, Math.max(0, y))];
  }
}

// One axis of bilinear resampling with half-pixel centres, clamped at the edges
// (align_corners=False), as models/resample.py: source indices and weights per output index.
function axis(nOut, nIn) {
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const frac = new Float32Array(nOut);
  for (let o = 0; o < nOut; o += 1) {
    const src = Math.min(nIn - 1, Math.max(0, (o + 0.5) * (nIn / nOut) - 0.5));
    i0[o] = Math.floor(src);
    i1[o] = Math.min(i0[o] + 1, nIn - 1);
    frac[o] = src - i0[o];
  }
  return { i0, i1, frac };
}

/**
 * Fill RGBA pixels (width x height) from the photo's L and a small (h, w, 2) ab map upsampled
 * bilinearly: the colorized photo.
 */
export function renderLab(L, ab, h, w, width, height, rgba) {
  const rows = axis(height, h);
  const cols = axis(width, w);
  const rowAb = new Float32Array(w * 2); // the ab row interpolated between two source rows
  for (let y = 0; y < height; y += 1) {
    const r0 = rows.i0[y] * w * 2;
    const r1 = rows.i1[y] * w * 2;
    const fr = rows.frac[y];
    for (let k = 0; k < w * 2; k += 1) rowAb[k] = ab[r0 + k] * (1 - fr) + ab[r1 + k] * fr;
    for (let x = 0; x < width; x += 1) {
      const c0 = cols.i0[x] * 2;
      const c1 = cols.i1[x] * 2;
      const fc = cols.frac[x];
      const a = rowAb[c0] * (1 - fc) + rowAb[c1] * fc;
      const b = rowAb[c0 + 1] * (1 - fc) + rowAb[c1 + 1] * fc;
      const p = y * width + x;
      labToRgb8(L[p], a, b, rgba, 4 * p);
      rgba[4 * p + 3] = 255;
    }
  }
  return rgba;
}
