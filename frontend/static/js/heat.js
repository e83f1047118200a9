// Attention maps as heat maps: the colour ramp of models/rotation.py (dark blue, blue, red,
// yellow), so the page and the server's PNG overlays read the same.

import { drawScaled, makeCanvas } from './images.js';

const STOPS = [[0, 0, 0.3], [0, 0.2, 1], [0.9, 0.1, 0.1], [1, 1, 0.2]];

/** [r, g, b] 0..255 for a value in [0, 1]. */
export function heatColour(v) {
  const x = Math.min(1, Math.max(0, v)) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2);
  const f = x - i;
  return STOPS[i].map((c, k) => Math.round((c * (1 - f) + STOPS[i + 1][k] * f) * 255));
}

/**
 * A small canvas (w x h) of the map's heat colours, min-max scaled; the page stretches it over
 * the photo and the browser's smoothing does the bilinear upsampling.
 */
export function heatCanvas({ w, h, values }) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi > lo ? hi - lo : 1;
  const canvas = makeCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(w, h);
  values.forEach((v, p) => {
    const [r, g, b] = heatColour((v - lo) / span);
    image.data.set([r, g, b, 255], 4 * p);
  });
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** A grayscale map image (0..255 = weakest..strongest) as {w, h, values} in [0, 1]. */
export function mapValues(bitmap) {
  const { width: w, height: h } = bitmap;
  const pixels = drawScaled(bitmap, w, h).getContext('2d').getImageData(0, 0, w, h).data;
  const values = new Float32Array(w * h);
  for (let p = 0; p < values.length; p += 1) values[p] = pixels[4 * p] / 255;
  return { w, h, values };
}
