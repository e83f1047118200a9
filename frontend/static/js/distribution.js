// The colorization network's per-pixel distribution over the ab bins, decoded in the browser:
// the annealed mean softmax(log p / T) · centres (Zhang et al. 2016), upsampled bilinearly and
// combined with the photo's own L, exactly as models/distribution.py does on the server.

// Below this temperature the decode is the mode: exp(log p / T) overflows long before T = 0.
export const MODE_T = 1e-3;

/**
 * The annealed mean softmax(z / t) · centres of the q log-probabilities (or logits) z = logp[base..base + q),
 * as models.encoding.annealed_mean (the mode below MODE_T): (a, b) into out[o], out[o + 1].
 */
export function annealedMean(logp, base, q, ca, cb, t, out, o) {
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
  const inv = 1 / t;
  let sum = 0;
  let a = 0;
  let b = 0;
  for (let k = 0; k < q; k += 1) {
    const e = Math.exp((logp[base + k] - max) * inv);
    sum += e;
    a += e * ca[k];
    b += e * cb[k];
  }
  out[o] = a / sum;
  out[o + 1] = b / sum;
  return out;
}

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
    return annealedMean(this.logp, p * this.q, this.q, this.ca, this.cb, t, out, o);
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

// ---- Lab -> 8-bit sRGB, fast ------------------------------------------------------------------------
// The same colours as lab.js's labToRgb8 (and models.color.lab_to_rgb8_keep_lightness), about ten times
// faster, which the hints' instant recolouring needs at a megapixel: the gamut test is made on the linear
// values (the transfer curve is monotonic, so the bounds map across exactly), and the curve itself is
// applied by a table of the linear value at which each 8-bit level begins, so no pow() runs per pixel.

const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;
const WX = 0.95047;
const WZ = 1.08883;
// The inverse of the sRGB -> XYZ matrix, row-major, as lab.js and models/color.py.
const M0 = 3.2404548360214087; const M1 = -1.5371388501025751; const M2 = -0.498531546868481;
const M3 = -0.9692663898756538; const M4 = 1.876010928842491; const M5 = 0.041556082346673545;
const M6 = 0.05564341960421367; const M7 = -0.20402585426769818; const M8 = 1.057225162457929;
const TOLERANCE = 0.5 / 255; // as models/color.py: what rounding to 8 bits absorbs
const GAMUT_STEPS = 10;
const LINEAR_LO = -TOLERANCE / 12.92; // encoded >= -tolerance, on the linear side of the curve
const LINEAR_HI = ((1 + TOLERANCE + 0.055) / 1.055) ** 2.4; // encoded <= 1 + tolerance

function encode(c) {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(c, 0) ** (1 / 2.4) - 0.055;
}

// LEVEL_START[k]: the smallest linear value whose 8-bit sRGB level is k + 1 (found by bisection, once).
const LEVEL_START = new Float64Array(255);
for (let k = 0; k < 255; k += 1) {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i += 1) {
    const mid = (lo + hi) / 2;
    if (Math.round(Math.min(1, Math.max(0, encode(mid))) * 255) > k) hi = mid;
    else lo = mid;
  }
  LEVEL_START[k] = hi;
}
// The level at the start of each of GRID cells of [0, 1]; a cell holds at most a couple of level starts.
const GRID = 8192;
const GRID_LEVEL = new Uint8Array(GRID + 1);
for (let i = 0, level = 0; i <= GRID; i += 1) {
  while (level < 255 && i / GRID >= LEVEL_START[level]) level += 1;
  GRID_LEVEL[i] = level;
}

function level8(c) {
  if (!(c > 0)) return 0;
  if (c >= 1) return 255;
  let level = GRID_LEVEL[(c * GRID) | 0];
  while (level < 255 && c >= LEVEL_START[level]) level += 1;
  return level;
}

function fInverse(t) {
  const t3 = t * t * t;
  return t3 > EPSILON ? t3 : (116 * t - 16) / KAPPA;
}

const outside = (r, g, b) => r < LINEAR_LO || r > LINEAR_HI || g < LINEAR_LO || g > LINEAR_HI
  || b < LINEAR_LO || b > LINEAR_HI;

/** Lab (L, a, b) into out[i..i+2] as 8-bit sRGB, chroma reduced (not clipped) outside the gamut. */
export function labToRgb8Fast(L, a, b, out, i) {
  const fy = (L + 16) / 116;
  const y = fInverse(fy);
  let x = fInverse(fy + a / 500) * WX;
  let z = fInverse(fy - b / 200) * WZ;
  let r = M0 * x + M1 * y + M2 * z;
  let g = M3 * x + M4 * y + M5 * z;
  let bl = M6 * x + M7 * y + M8 * z;
  if (outside(r, g, bl)) {
    // The bisection of models/color.py, written out: this loop is most of the time a hint's redraw takes.
    let lo = 0;
    let hi = 1;
    const da = a / 500;
    const db = b / 200;
    for (let step = 0; step < GAMUT_STEPS; step += 1) {
      const mid = (lo + hi) / 2;
      const u = fy + da * mid;
      const v = fy - db * mid;
      const u3 = u * u * u;
      const v3 = v * v * v;
      const xm = (u3 > EPSILON ? u3 : (116 * u - 16) / KAPPA) * WX;
      const zm = (v3 > EPSILON ? v3 : (116 * v - 16) / KAPPA) * WZ;
      const rm = M0 * xm + M1 * y + M2 * zm;
      const gm = M3 * xm + M4 * y + M5 * zm;
      const bm = M6 * xm + M7 * y + M8 * zm;
      if (rm < LINEAR_LO || rm > LINEAR_HI || gm < LINEAR_LO || gm > LINEAR_HI || bm < LINEAR_LO || bm > LINEAR_HI) hi = mid;
      else lo = mid;
    }
    x = fInverse(fy + (a * lo) / 500) * WX;
    z = fInverse(fy - (b * lo) / 200) * WZ;
    r = M0 * x + M1 * y + M2 * z;
    g = M3 * x + M4 * y + M5 * z;
    bl = M6 * x + M7 * y + M8 * z;
  }
  out[i] = level8(r);
  out[i + 1] = level8(g);
  out[i + 2] = level8(bl);
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

const axes = new Map(); // the last few (nOut, nIn) axes: a redraw at the same size reuses them
function cachedAxis(nOut, nIn) {
  const key = `${nOut}:${nIn}`;
  let found = axes.get(key);
  if (!found) {
    if (axes.size > 8) axes.clear();
    found = axis(nOut, nIn);
    axes.set(key, found);
  }
  return found;
}

/**
 * The output pixels (x0, y0)-(x1, y1), end exclusive, of a width x height image whose colour can depend
 * on the net pixels (nx0, ny0)-(nx1, ny1), end exclusive, of an h x w ab map, under renderLab's
 * bilinear upsampling.
 */
export function outputRegion(nx0, ny0, nx1, ny1, h, w, width, height) {
  const span = (n0, n1, nIn, nOut) => {
    // Output o reads source floor(s) and floor(s) + 1 with s = (o + 0.5) nIn / nOut - 0.5 (clamped).
    const lo = n0 <= 0 ? 0 : Math.max(0, Math.floor(((n0 - 1 + 0.5) * nOut) / nIn - 0.5));
    const hi = n1 >= nIn ? nOut : Math.min(nOut, Math.ceil(((n1 + 0.5) * nOut) / nIn) + 1);
    return [lo, hi];
  };
  const [x0, x1] = span(nx0, nx1, w, width);
  const [y0, y1] = span(ny0, ny1, h, height);
  return { x0, y0, x1, y1 };
}

/**
 * Fill RGBA pixels (width x height) from the photo's L and a small (h, w, 2) ab map upsampled
 * bilinearly: the colorized photo. With `region` ({x0, y0, x1, y1}, end exclusive), only those pixels.
 */
export function renderLab(L, ab, h, w, width, height, rgba, region = null) {
  const { x0 = 0, y0 = 0, x1 = width, y1 = height } = region || {};
  return renderInto(L, 0, ab, h, w, width, height, { x0, y0, x1, y1 }, rgba, width, 0, 0);
}

/**
 * The pixels of `region` ({x0, y0, x1, y1}) of the colorized photo as a new RGBA array of the region's size;
 * L holds the photo's rows from `lTop` on (a band of it, in a painting worker).
 */
export function renderRegion(L, lTop, ab, h, w, width, height, region) {
  const { x0, y0, x1, y1 } = region;
  const out = new Uint8ClampedArray((x1 - x0) * (y1 - y0) * 4);
  return renderInto(L, lTop, ab, h, w, width, height, region, out, x1 - x0, x0, y0);
}

// Region (x0, y0)-(x1, y1) of the width x height photo into `out` (rows of `stride` pixels, whose (0, 0) is
// the photo's (ox, oy)), from L rows starting at lTop.
function renderInto(L, lTop, ab, h, w, width, height, region, out, stride, ox, oy) {
  const rows = cachedAxis(height, h);
  const cols = cachedAxis(width, w);
  const { x0, y0, x1, y1 } = region;
  const rowAb = new Float32Array(w * 2); // the ab row interpolated between two source rows
  for (let y = y0; y < y1; y += 1) {
    const r0 = rows.i0[y] * w * 2;
    const r1 = rows.i1[y] * w * 2;
    const fr = rows.frac[y];
    for (let k = 0; k < w * 2; k += 1) rowAb[k] = ab[r0 + k] * (1 - fr) + ab[r1 + k] * fr;
    const lRow = (y - lTop) * width;
    const oRow = (y - oy) * stride - ox;
    for (let x = x0; x < x1; x += 1) {
      const c0 = cols.i0[x] * 2;
      const c1 = cols.i1[x] * 2;
      const fc = cols.frac[x];
      const a = rowAb[c0] * (1 - fc) + rowAb[c1] * fc;
      const b = rowAb[c0 + 1] * (1 - fc) + rowAb[c1 + 1] * fc;
      const o = 4 * (oRow + x);
      labToRgb8Fast(L[lRow + x], a, b, out, o);
      out[o + 3] = 255;
    }
  }
  return out;
}
