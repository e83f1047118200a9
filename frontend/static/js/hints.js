// Colour hints (issue #32) in the browser: the same method, the same parameters and the same HINTS.json as
// models/hints.py, so the page's instant recolouring is what the API and the CLI compute. A hint is a point
// of the photo and a colour (only its chroma, its a and b in CIE Lab, counts; the photo keeps its own
// lightness). On the network's output grid (h, w), each hint i at cell x_i with colour c_i:
//   a. a geodesic distance d_i(x) on the 8-connected grid (Dijkstra), a step between neighbour cells p, q
//      costing  step * 100 / min(h, w)  +  alpha |L(p) - L(q)|  +  beta Hellinger(P(p), P(q))
//      (step 1 or sqrt 2; L the photo area-averaged onto the grid; P the cells' predicted distributions);
//   b. a weight w_i(x) = exp(-(d_i / sigma)^2), 0 beyond 3 sigma, times exp(-((L(x) - L(x_i)) / lightness_sigma)^2)
//      and exp(-Hellinger(P(x), P(x_i))^2 / feature_sigma^2) when those widths are set (> 0);
//   c. with g_i a Gaussian over the bin centres around c_i and W = sum_i w_i, where W > 1e-6:
//      "pool" (the default): P' = (kappa P + sum_i w_i g_i) / (kappa + W), the network counting as kappa of a hint;
//      "mix": P' = (1 - W) P + sum_i w_i g_i, the w_i divided by W where it exceeds 1;
//      "product": P' ∝ P prod_i g_i^w_i;
//   d. the annealed mean of P' at the page's temperature, on the photo's full-resolution L (distribution.js).
// A palette (a global hint) is a prior pi over the bins, the mean of its colours' Gaussians floored with a
// uniform share, multiplied into every cell: P' ∝ P pi^lambda; it comes first, the point hints after it
// (with points_lambda > 0 the points' colours are such a prior too, before the points themselves).
//
// Only what a hint changes is redone when one is added or removed: its Dijkstra (from one cell, stopped at
// 3 sigma), the mixture and the decode of the cells it reaches. The edge costs, the prior-adjusted
// log-probabilities and each hint's weights are cached.

import { annealedMean } from './distribution.js';
import { labOf } from './lab.js';

export const MAX_POINTS = 64;
export const MAX_PALETTE = 5;
export const CUTOFF_SIGMAS = 3;
// models.hints.HintParams' defaults, in its names (tests/browser/test_hints.py checks that they agree).
export const PARAMS = Object.freeze({
  alpha: 1.0, // cost per unit of lightness difference between neighbour cells
  beta: 0.0, // cost of a full Hellinger distance (1) between neighbour cells' distributions
  sigma: 160.0, // w = exp(-(d / sigma)^2), d in % of the photo's short side
  colour_sigma: 6.0, // width of a hint's Gaussian over the ab bins, ab units
  lightness_sigma: 0.0, // > 0: w also times exp(-((L(x) - L(x_i)) / lightness_sigma)^2)
  feature_sigma: 0.5, // > 0: w also times exp(-(Hellinger(P(x), P(x_i)) / feature_sigma)^2)
  mode: 'pool', // or 'mix', 'product'
  network_weight: 0.02, // kappa of "pool": the network's distribution counts as kappa of a hint
  points_lambda: 0.0, // > 0: the point hints' colours also act as a palette prior with this lambda
  prior_lambda: 1.0, // a palette: P * pi^lambda
  prior_sigma: 10.0, // a palette colour's Gaussian over the bins, ab units
  prior_floor: 0.05, // share of a uniform distribution mixed into pi
});

/** A HINTS.json that cannot be used; the message names the entry, as the API's 422 does. */
export class HintError extends Error {}

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

function colour(value, where) {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new HintError(`${where} must be three integers 0..255 [R, G, B], got ${JSON.stringify(value)}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * HINTS.json (text or the decoded list) for a width x height photo -> {points: [{x, y, rgb}], palette:
 * [[r, g, b]]}; HintError naming the first bad entry (the rules of models.hints.parse_hints).
 */
export function parseHints(data, width, height) {
  let list = data;
  if (typeof data === 'string') {
    if (!data.trim()) return { points: [], palette: [] };
    try {
      list = JSON.parse(data);
    } catch (err) {
      throw new HintError(`the hints are not valid JSON (${err.message})`);
    }
  }
  if (!Array.isArray(list)) {
    throw new HintError('the hints must be a JSON list of {"x", "y", "rgb"} points and at most one {"palette"}');
  }
  const points = [];
  let palette = [];
  list.forEach((entry, i) => {
    const where = `hints[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new HintError(`${where} must be an object {"x", "y", "rgb"} or {"palette"}`);
    }
    const keys = Object.keys(entry).sort();
    if (keys.length === 1 && keys[0] === 'palette') {
      if (palette.length) throw new HintError(`${where}: only one palette entry is allowed`);
      const colours = entry.palette;
      if (!Array.isArray(colours) || colours.length < 1 || colours.length > MAX_PALETTE) {
        throw new HintError(`${where}.palette must be a list of 1 to ${MAX_PALETTE} colours [R, G, B]`);
      }
      palette = colours.map((c, k) => colour(c, `${where}.palette[${k}]`));
      return;
    }
    if (keys.join() !== 'rgb,x,y') {
      throw new HintError(`${where}: a point hint has exactly the keys "x", "y", "rgb" (it has ${keys.join(', ') || 'none'})`);
    }
    if (!isNumber(entry.x) || !isNumber(entry.y)) throw new HintError(`${where}: x and y must be finite numbers`);
    if (!(entry.x >= 0 && entry.x < width && entry.y >= 0 && entry.y < height)) {
      throw new HintError(`${where} at (${entry.x}, ${entry.y}) is off the ${width}x${height} photo`);
    }
    points.push({ x: entry.x, y: entry.y, rgb: colour(entry.rgb, `${where}.rgb`) });
  });
  if (points.length > MAX_POINTS) {
    throw new HintError(`there are ${points.length} point hints; at most ${MAX_POINTS} are allowed`);
  }
  return { points, palette };
}

/** The canonical HINTS.json list: the points in order, then the palette if any. */
export function hintsJson(points, palette) {
  const out = points.map((p) => ({ x: p.x, y: p.y, rgb: [...p.rgb] }));
  if (palette.length) out.push({ palette: palette.map((c) => [...c]) });
  return out;
}

/** The (row, col) of the grid cell (h, w) holding the centre of photo pixel (floor x, floor y). */
export function gridCell(x, y, width, height, h, w) {
  const col = Math.min(w - 1, Math.max(0, Math.floor(((Math.floor(x) + 0.5) * w) / width)));
  const row = Math.min(h - 1, Math.max(0, Math.floor(((Math.floor(y) + 0.5) * h) / height)));
  return [row, col];
}

// ---- the photo's lightness on the grid: Pillow's BOX resize, bit for bit ------------------------------------

const PRECISION_BITS = 22; // Pillow's fixed point for 8-bit resampling (32 - 8 - 2)

/** Pillow's box-filter coefficients for one axis: per output index, its first input and integer weights. */
function boxCoefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const out = [];
  for (let o = 0; o < outSize; o += 1) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(centre - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(centre + support + 0.5));
    const weights = [];
    for (let x = lo; x < hi; x += 1) {
      const t = (x - centre + 0.5) / filterScale;
      weights.push(t > -0.5 && t <= 0.5 ? 1 : 0);
    }
    const total = weights.reduce((s, v) => s + v, 0);
    out.push({ lo, k: weights.map((v) => Math.trunc(0.5 + (total ? v / total : 0) * 2 ** PRECISION_BITS)) });
  }
  return out;
}

function clip8(s) {
  const v = Math.floor(s / 2 ** PRECISION_BITS);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** RGBA pixels (width x height) -> (h, w) RGB, as PIL's Image.resize((w, h), BOX) of the RGB photo. */
export function boxResize(rgba, width, height, w, h) {
  const cols = boxCoefficients(width, w);
  const rows = boxCoefficients(height, h);
  const half = 2 ** (PRECISION_BITS - 1);
  const tmp = new Uint8Array(height * w * 3); // horizontal pass first, rounded to 8 bits, as Pillow
  for (let y = 0; y < height; y += 1) {
    for (let o = 0; o < w; o += 1) {
      const { lo, k } = cols[o];
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0; j < k.length; j += 1) {
        const i = 4 * (y * width + lo + j);
        r += rgba[i] * k[j];
        g += rgba[i + 1] * k[j];
        b += rgba[i + 2] * k[j];
      }
      const t = 3 * (y * w + o);
      tmp[t] = clip8(r);
      tmp[t + 1] = clip8(g);
      tmp[t + 2] = clip8(b);
    }
  }
  const out = new Uint8Array(h * w * 3);
  for (let o = 0; o < h; o += 1) {
    const { lo, k } = rows[o];
    for (let x = 0; x < w; x += 1) {
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0; j < k.length; j += 1) {
        const i = 3 * ((lo + j) * w + x);
        r += tmp[i] * k[j];
        g += tmp[i + 1] * k[j];
        b += tmp[i + 2] * k[j];
      }
      const t = 3 * (o * w + x);
      out[t] = clip8(r);
      out[t + 1] = clip8(g);
      out[t + 2] = clip8(b);
    }
  }
  return out;
}

/** The photo's L (0..100) area-averaged onto the (h, w) grid: models.hints.grid_lightness. */
export function gridLightness(rgba, width, height, h, w) {
  const rgb = boxResize(rgba, width, height, w, h);
  const out = new Float32Array(h * w);
  const lab = [0, 0, 0];
  for (let p = 0; p < h * w; p += 1) out[p] = labOf(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], lab)[0];
  return out;
}

// ---- colours over the bins ----------------------------------------------------------------------------------

/** [a, b] of an 8-bit sRGB colour. */
export function colourAb(rgb) {
  const lab = labOf(rgb[0], rgb[1], rgb[2]);
  return [lab[1], lab[2]];
}

/** A Gaussian over the Q bin centres around ab (a, b), summing to 1: models.hints.colour_kernels. */
export function colourKernel(a, b, ca, cb, sigma) {
  const q = ca.length;
  const d2 = new Float64Array(q);
  let min = Infinity;
  for (let k = 0; k < q; k += 1) {
    d2[k] = (a - ca[k]) ** 2 + (b - cb[k]) ** 2;
    min = Math.min(min, d2[k]);
  }
  let sum = 0;
  for (let k = 0; k < q; k += 1) {
    d2[k] = Math.exp(-(d2[k] - min) / (2 * sigma * sigma));
    sum += d2[k];
  }
  for (let k = 0; k < q; k += 1) d2[k] /= sum;
  return d2;
}

/** A palette's prior over the bins, floored: models.hints.palette_prior. */
export function palettePrior(palette, ca, cb, params = PARAMS) {
  const q = ca.length;
  const prior = new Float64Array(q);
  for (const rgb of palette) {
    const [a, b] = colourAb(rgb);
    const g = colourKernel(a, b, ca, cb, params.prior_sigma);
    for (let k = 0; k < q; k += 1) prior[k] += g[k] / palette.length;
  }
  for (let k = 0; k < q; k += 1) prior[k] = (1 - params.prior_floor) * prior[k] + params.prior_floor / q;
  return prior;
}

const keyOf = (rgb) => rgb.join(',');

// ---- the solver ---------------------------------------------------------------------------------------------

// The four undirected neighbour pairs of a cell a and b = a + (dy, dx): right, down, down-right, down-left.
const OFFSETS = [[0, 1, 1], [1, 0, 1], [1, 1, Math.SQRT2], [1, -1, Math.SQRT2]];

export class HintSolver {
  /**
   * @param {import('./distribution.js').Distribution} dist the network's distribution (pixel-major log p)
   * @param {Float32Array} lGrid the photo's L on the (h, w) grid (gridLightness)
   * @param {number} width the photo's width in pixels (hints' coordinates)
   * @param {number} height its height
   */
  constructor(dist, lGrid, width, height, params = PARAMS) {
    this.dist = dist;
    this.q = dist.q;
    this.h = dist.h;
    this.w = dist.w;
    this.lGrid = lGrid;
    this.width = width;
    this.height = height;
    this.params = params;
    this.palette = [];
    this.points = [];
    this.priorKey = '';
    this.lp0 = dist.logp; // after the global priors (the palette's)
    this.costs = null; // edge costs of the four neighbour directions, for lp0
    this.rootP = null; // sqrt of the probabilities exp(lp0), pixel-major (float32, as the server's)
    this.weights = new Map(); // cell index -> {cells: Int32Array, w: Float32Array, dense: Float32Array}
    this.kernels = new Map(); // colour -> Float64Array(Q)
    this.current = null; // the hinted log-probabilities, pixel-major, once there are point hints
    this.total = null; // per cell, the point hints' summed weight and weighted kernels (resetSums)
    this.sums = null;
    this.mixed = new Float64Array(this.q);
    this.priorKey = this.priorOf([], []);
    this.resetSums();
  }

  /** Do now what the first hint would otherwise wait for: the edge costs, the square roots of P. */
  warm() {
    this.edgeCosts();
    if (this.params.feature_sigma) this.sqrtP();
    return this;
  }

  /** The hint's cell index on the grid. */
  cellOf(point) {
    const [row, col] = gridCell(point.x, point.y, this.width, this.height, this.h, this.w);
    return row * this.w + col;
  }

  kernel(rgb) {
    const key = keyOf(rgb);
    let g = this.kernels.get(key);
    if (!g) {
      const [a, b] = colourAb(rgb);
      g = colourKernel(a, b, this.dist.ca, this.dist.cb, this.params.colour_sigma);
      this.kernels.set(key, g);
    }
    return g;
  }

  /** What the global priors depend on: the palette, and the points' colours when they are a prior too. */
  priorOf(points, palette) {
    const colours = this.params.points_lambda ? points.map((p) => keyOf(p.rgb)).join(';') : '';
    return `${palette.map(keyOf).join(';')}|${colours}`;
  }

  /** lp0: the network's log-probabilities times the palette's prior (and the points', with points_lambda). */
  setPriors(points, palette) {
    this.palette = palette.map((c) => [...c]);
    this.priorKey = this.priorOf(points, palette);
    this.costs = null;
    this.rootP = null;
    this.weights.clear();
    let lp = this.dist.logp;
    if (palette.length) lp = this.withPrior(lp, palette, this.params.prior_lambda);
    if (points.length && this.params.points_lambda) {
      lp = this.withPrior(lp, points.map((p) => p.rgb), this.params.points_lambda);
    }
    this.lp0 = lp;
  }

  /** log(P pi^lambda), renormalised per cell, pi the prior of `colours` (models.hints.apply_prior). */
  withPrior(base, colours, lambda) {
    const { q } = this;
    const logPrior = palettePrior(colours, this.dist.ca, this.dist.cb, this.params)
      .map((v) => lambda * Math.log(Math.max(v, 1e-300)));
    const out = new Float32Array(base.length);
    const z = new Float64Array(q);
    for (let p = 0; p < this.h * this.w; p += 1) {
      const o = p * q;
      let max = -Infinity;
      for (let k = 0; k < q; k += 1) {
        z[k] = base[o + k] + logPrior[k];
        if (z[k] > max) max = z[k];
      }
      let sum = 0;
      for (let k = 0; k < q; k += 1) sum += Math.exp(z[k] - max);
      const lse = max + Math.log(sum);
      for (let k = 0; k < q; k += 1) out[o + k] = z[k] - lse;
    }
    return out;
  }

  /** sqrt(P) of every cell, pixel-major: Hellinger distances are sums of products of these. */
  sqrtP() {
    if (!this.rootP) {
      this.rootP = new Float32Array(this.lp0.length);
      for (let i = 0; i < this.rootP.length; i += 1) this.rootP[i] = Math.sqrt(Math.exp(this.lp0[i]));
    }
    return this.rootP;
  }

  /** The step costs between neighbour cells (models.hints.edge_graph), for the current lp0. */
  edgeCosts() {
    if (this.costs) return this.costs;
    const { h, w, q, lGrid, params } = this;
    const unit = 100 / Math.min(h, w);
    const sqrtP = params.beta ? this.sqrtP() : null;
    this.costs = OFFSETS.map(([dy, dx, step]) => {
      const cost = new Float64Array(h * w).fill(Infinity);
      for (let r = 0; r + dy < h; r += 1) {
        for (let c = Math.max(0, -dx); c < w && c + dx < w; c += 1) {
          const a = r * w + c;
          const b = (r + dy) * w + c + dx;
          let v = step * unit + params.alpha * Math.abs(lGrid[a] - lGrid[b]);
          if (sqrtP) {
            let bc = 0;
            for (let k = 0, ia = a * q, ib = b * q; k < q; k += 1) bc += sqrtP[ia + k] * sqrtP[ib + k];
            v += params.beta * Math.sqrt(Math.min(1, Math.max(0, 1 - bc)));
          }
          cost[a] = v;
        }
      }
      return cost;
    });
    return this.costs;
  }

  /** Edge-aware distances from one cell, Infinity beyond `limit` (scipy's dijkstra with limit). */
  distances(source, limit) {
    const { h, w } = this;
    const [right, down, downRight, downLeft] = this.edgeCosts();
    const n = h * w;
    const dist = new Float64Array(n).fill(Infinity);
    const done = new Uint8Array(n);
    // A binary heap of (distance, cell) with lazy deletion.
    let heapD = new Float64Array(64);
    let heapC = new Int32Array(64);
    let size = 0;
    const push = (d, c) => {
      if (size === heapD.length) {
        const d2 = new Float64Array(size * 2);
        d2.set(heapD);
        const c2 = new Int32Array(size * 2);
        c2.set(heapC);
        heapD = d2;
        heapC = c2;
      }
      let i = size;
      size += 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heapD[parent] <= d) break;
        heapD[i] = heapD[parent];
        heapC[i] = heapC[parent];
        i = parent;
      }
      heapD[i] = d;
      heapC[i] = c;
    };
    const pop = () => {
      const top = heapC[0];
      size -= 1;
      const d = heapD[size];
      const c = heapC[size];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && heapD[child + 1] < heapD[child]) child += 1;
        if (heapD[child] >= d) break;
        heapD[i] = heapD[child];
        heapC[i] = heapC[child];
        i = child;
      }
      heapD[i] = d;
      heapC[i] = c;
      return top;
    };
    dist[source] = 0;
    push(0, source);
    const relax = (from, to, cost) => {
      const d = dist[from] + cost;
      if (d <= limit && d < dist[to]) {
        dist[to] = d;
        push(d, to);
      }
    };
    while (size) {
      const p = pop();
      if (done[p]) continue;
      done[p] = 1;
      const r = (p / w) | 0;
      const c = p - r * w;
      if (c + 1 < w) relax(p, p + 1, right[p]);
      if (c > 0) relax(p, p - 1, right[p - 1]);
      if (r + 1 < h) {
        relax(p, p + w, down[p]);
        if (c + 1 < w) relax(p, p + w + 1, downRight[p]);
        if (c > 0) relax(p, p + w - 1, downLeft[p]);
      }
      if (r > 0) {
        relax(p, p - w, down[p - w]);
        if (c > 0) relax(p, p - w - 1, downRight[p - w - 1]);
        if (c + 1 < w) relax(p, p - w + 1, downLeft[p - w + 1]);
      }
    }
    return dist;
  }

  /** The weights w(x) of a hint at cell `cell`: the cells it reaches and their weights (cached per cell). */
  weightsAt(cell) {
    let found = this.weights.get(cell);
    if (!found) {
      const { q, lGrid } = this;
      const { sigma, lightness_sigma: ls, feature_sigma: fs } = this.params;
      const d = this.distances(cell, CUTOFF_SIGMAS * sigma);
      const sqrtP = fs ? this.sqrtP() : null;
      const dense = new Float32Array(d.length);
      const cells = [];
      for (let p = 0; p < d.length; p += 1) {
        if (d[p] === Infinity) continue;
        let weight = Math.exp(-((d[p] / sigma) ** 2));
        if (ls) weight *= Math.exp(-(((lGrid[p] - lGrid[cell]) / ls) ** 2));
        if (sqrtP) {
          let bc = 0;
          for (let k = 0, ia = cell * q, ib = p * q; k < q; k += 1) bc += sqrtP[ia + k] * sqrtP[ib + k];
          weight *= Math.exp(-Math.min(1, Math.max(0, 1 - bc)) / (fs * fs));
        }
        dense[p] = weight;
        cells.push(p);
      }
      found = { cells: Int32Array.from(cells), dense };
      this.weights.set(cell, found);
    }
    return found;
  }

  /**
   * Make the hints `points` and `palette` current. Returns the cells whose distribution changed: null
   * for all of them (a new prior), else an Int32Array (the cells the added or removed hints reach).
   */
  update(points, palette) {
    const next = points.map((p) => ({ x: p.x, y: p.y, rgb: [...p.rgb] }));
    if (this.priorOf(next, palette) !== this.priorKey) {
      this.setPriors(next, palette);
      this.points = next;
      this.resetSums();
      for (const p of next) this.addToSums(p, 1);
      this.current = null;
      if (next.length) this.recompute(null);
      return null;
    }
    // The hints that came or went, as a multiset of (cell, colour): only the cells they reach change.
    const count = new Map();
    const key = (p) => `${this.cellOf(p)}|${keyOf(p.rgb)}`;
    const example = new Map();
    for (const p of next) {
      count.set(key(p), (count.get(key(p)) || 0) + 1);
      example.set(key(p), p);
    }
    for (const p of this.points) {
      count.set(key(p), (count.get(key(p)) || 0) - 1);
      example.set(key(p), p);
    }
    this.points = next;
    if (!next.length) this.resetSums(); // exactly none, not the rounding left by subtracting them all
    const changed = new Uint8Array(this.h * this.w);
    for (const [k, n] of count) {
      if (!n) continue;
      if (next.length) this.addToSums(example.get(k), n);
      for (const c of this.weightsAt(this.cellOf(example.get(k))).cells) changed[c] = 1;
    }
    const cells = [];
    for (let p = 0; p < changed.length; p += 1) if (changed[p]) cells.push(p);
    const list = Int32Array.from(cells);
    if (!next.length) {
      this.current = null;
      return list;
    }
    this.recompute(list);
    return list;
  }

  /**
   * Per cell, the hints' total weight W = sum_i w_i and sum_i w_i g_i over the bins (sum_i w_i log g_i for
   * "product"): adding or removing a hint adds or subtracts its share, so a click costs one hint's work,
   * however many there are.
   */
  resetSums() {
    const n = this.h * this.w;
    this.total = new Float64Array(n);
    this.sums = new Float64Array(n * this.q);
  }

  addToSums(point, times) {
    const { q } = this;
    const { cells, dense } = this.weightsAt(this.cellOf(point));
    const g = this.kernel(point.rgb);
    const product = this.params.mode === 'product';
    const lg = product ? g.map((v) => Math.log(Math.max(v, 1e-30))) : g;
    for (const p of cells) {
      const wi = dense[p] * times;
      if (!wi) continue;
      this.total[p] += wi;
      for (let k = 0, o = p * q; k < q; k += 1) this.sums[o + k] += wi * lg[k];
    }
  }

  /** Recompute the hinted log-probabilities of `cells` (null: all) from lp0 and the sums of the hints. */
  recompute(cells) {
    const { q, lp0, total, sums } = this;
    if (!this.current) this.current = new Float32Array(lp0);
    const n = cells ? cells.length : this.h * this.w;
    const out = this.current;
    const mixed = this.mixed;
    const { mode, network_weight: kappa } = this.params;
    if (!['pool', 'mix', 'product'].includes(mode)) throw new Error(`unknown hint mode ${mode}`);
    const product = mode === 'product';
    const pool = mode === 'pool';
    for (let i = 0; i < n; i += 1) {
      const p = cells ? cells[i] : i;
      const o = p * q;
      const t = total[p];
      if (!(t > 1e-6)) { // as models.hints.reweight: cells no hint reaches keep P
        for (let k = 0; k < q; k += 1) out[o + k] = lp0[o + k];
        continue;
      }
      if (product) { // log_softmax(log P + sum_i w_i log g_i)
        let max = -Infinity;
        for (let k = 0; k < q; k += 1) {
          mixed[k] = lp0[o + k] + sums[o + k];
          if (mixed[k] > max) max = mixed[k];
        }
        let sum = 0;
        for (let k = 0; k < q; k += 1) sum += Math.exp(mixed[k] - max);
        const lse = max + Math.log(sum);
        for (let k = 0; k < q; k += 1) out[o + k] = mixed[k] - lse;
        continue;
      }
      // mix: (1 - W) P + sum_i w_i g_i (w_i / W where W > 1); pool: (kappa P + sum_i w_i g_i) / (kappa + W).
      const scale = pool ? 1 / (kappa + t) : 1 / Math.max(t, 1);
      const keep = pool ? kappa * scale : 1 - t * scale;
      for (let k = 0; k < q; k += 1) {
        out[o + k] = Math.log(Math.max(keep * Math.exp(lp0[o + k]) + scale * sums[o + k], 1e-30));
      }
    }
  }

  /** The log-probabilities decoding reads: with the point hints, after the palette, or the network's. */
  logp() {
    return this.current || this.lp0;
  }

  /** Decode `cells` (null: all) at temperature t into the (h, w, 2) ab map `ab`. */
  decode(t, ab, cells = null) {
    const { q } = this;
    const { ca, cb } = this.dist;
    const logp = this.logp();
    const n = cells ? cells.length : this.h * this.w;
    for (let i = 0; i < n; i += 1) {
      const p = cells ? cells[i] : i;
      annealedMean(logp, p * q, q, ca, cb, t, ab, 2 * p);
    }
    return ab;
  }
}

// ---- what to offer at a point ------------------------------------------------------------------------------

/**
 * The distinct colours a cell's distribution `probs` (Q, summing to 1) puts its weight on: bins within
 * `radius` ab units of a more likely bin merge into its colour (their probability-weighted mean ab) and
 * add their probability; the `max` most likely of those with at least `min` probability, most likely first.
 */
export function likelyColours(probs, ca, cb, { radius = 15, max = 4, min = 0.03 } = {}) {
  const order = [...probs.keys()].sort((i, j) => probs[j] - probs[i]);
  const modes = [];
  for (const k of order) {
    if (probs[k] < 1e-4) break;
    const home = modes.find((m) => (m.seedA - ca[k]) ** 2 + (m.seedB - cb[k]) ** 2 <= radius * radius);
    if (home) {
      home.p += probs[k];
      home.sa += probs[k] * ca[k];
      home.sb += probs[k] * cb[k];
    } else {
      modes.push({ seedA: ca[k], seedB: cb[k], p: probs[k], sa: probs[k] * ca[k], sb: probs[k] * cb[k] });
    }
  }
  const found = modes.map((m) => ({ a: m.sa / m.p, b: m.sb / m.p, p: m.p })).sort((x, y) => y.p - x.p);
  const kept = found.filter((m) => m.p >= min).slice(0, max);
  return kept.length ? kept : found.slice(0, 1);
}
