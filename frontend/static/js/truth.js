// A colour photo has an answer key: its own colours. The network still sees only its lightness, so
// its colours can be set beside the real ones and scored, which shows what it gets wrong.

import { labOf } from './lab.js';

// Mean chroma (sqrt(a² + b²), Lab units) above which a photo counts as colour: JPEG noise in a gray
// photo stays well below 1, a faded colour print is above 3.
const COLOUR_MIN_CHROMA = 2;
const CLOSE = 10; // ab units: "close to the real colour" (a just noticeable difference is about 2.3)

/** The (h*w, 2) ab values of RGBA pixels, as a Float32Array. */
export function abOf(rgba) {
  const n = rgba.length / 4;
  const out = new Float32Array(2 * n);
  const lab = [0, 0, 0];
  for (let p = 0; p < n; p += 1) {
    labOf(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2], lab);
    out[2 * p] = lab[1];
    out[2 * p + 1] = lab[2];
  }
  return out;
}

/** Whether pixels whose ab values are `ab` make a colour photo (not a gray one). */
export function isColour(ab) {
  let sum = 0;
  for (let i = 0; i < ab.length; i += 2) sum += Math.hypot(ab[i], ab[i + 1]);
  return sum / (ab.length / 2) > COLOUR_MIN_CHROMA;
}

/** Whether an image (bitmap or canvas) is a colour photo, judged on a small copy. */
export function isColourImage(image) {
  const w = Math.max(1, Math.min(64, image.width));
  const h = Math.max(1, Math.round((w * image.height) / image.width));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, w, h);
  return isColour(abOf(ctx.getImageData(0, 0, w, h).data));
}

/**
 * How far the shown colours are from the real ones, pixel by pixel in the ab plane (L is the same
 * in both): the mean distance, the share within CLOSE, and the same two for an all-gray guess, the
 * baseline any colorization has to beat.
 */
export function colourError(shownAb, realAb) {
  const n = realAb.length / 2;
  let err = 0;
  let gray = 0;
  let close = 0;
  let grayClose = 0;
  for (let p = 0; p < n; p += 1) {
    const a = realAb[2 * p];
    const b = realAb[2 * p + 1];
    const e = Math.hypot(shownAb[2 * p] - a, shownAb[2 * p + 1] - b);
    const g = Math.hypot(a, b);
    err += e;
    gray += g;
    close += e <= CLOSE;
    grayClose += g <= CLOSE;
  }
  return { mean: err / n, grayMean: gray / n, close: close / n, grayClose: grayClose / n, threshold: CLOSE };
}
