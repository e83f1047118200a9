// A small plot of one pixel's predicted colour distribution on the ab plane: every bin of the
// gamut drawn faintly in its own colour (at L = 60), and a disc per bin sized by its probability;
// a ring marks the colour decoded at the current temperature.

import { labCss } from './lab.js';

const RANGE = 115; // ab units from the centre to the plot's edge
const BIN = 10; // the gamut grid step
const L_SHOWN = 60;

export function drawAbPlot(canvas, centres, probs, decoded) {
  // Draw at device resolution so the plot stays sharp on phones.
  const dpr = window.devicePixelRatio || 1;
  const css = canvas.getBoundingClientRect().width || 240;
  canvas.width = Math.round(css * dpr);
  canvas.height = Math.round(css * dpr);
  const ctx = canvas.getContext('2d');
  const size = canvas.width;
  const scale = size / (2 * RANGE);
  const toX = (a) => size / 2 + a * scale;
  const toY = (b) => size / 2 - b * scale; // +b (yellow) up, -b (blue) down
  ctx.clearRect(0, 0, size, size);

  // Axes.
  ctx.strokeStyle = 'rgb(128 128 128 / 50%)';
  ctx.lineWidth = dpr;
  ctx.beginPath();
  ctx.moveTo(0, size / 2);
  ctx.lineTo(size, size / 2);
  ctx.moveTo(size / 2, 0);
  ctx.lineTo(size / 2, size);
  ctx.stroke();

  const cell = BIN * scale;
  ctx.globalAlpha = 0.28;
  for (const [a, b] of centres) {
    ctx.fillStyle = labCss(L_SHOWN, a, b);
    ctx.fillRect(toX(a) - cell / 2, toY(b) - cell / 2, cell, cell);
  }
  ctx.globalAlpha = 1;

  if (probs) {
    const max = Math.max(...probs);
    // Area proportional to probability, relative to the most likely bin (which fills its cell).
    centres.forEach(([a, b], k) => {
      const r = (cell / 2) * Math.sqrt(probs[k] / max);
      if (r < 0.6 * dpr) return;
      ctx.beginPath();
      ctx.arc(toX(a), toY(b), r, 0, 2 * Math.PI);
      ctx.fillStyle = labCss(L_SHOWN, a, b);
      ctx.fill();
      ctx.lineWidth = dpr;
      ctx.strokeStyle = 'rgb(0 0 0 / 55%)';
      ctx.stroke();
    });
  }
  if (decoded) {
    ctx.beginPath();
    ctx.arc(toX(decoded[0]), toY(decoded[1]), 7 * dpr, 0, 2 * Math.PI);
    ctx.lineWidth = 3 * dpr;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    ctx.lineWidth = 1.5 * dpr;
    ctx.strokeStyle = '#000';
    ctx.stroke();
  }

  ctx.fillStyle = 'rgb(110 110 110)';
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillText('+a', size - 18 * dpr, size / 2 - 4 * dpr);
  ctx.fillText('+b', size / 2 + 4 * dpr, 12 * dpr);
}

/** The `n` most likely bins: [{a, b, p}], most likely first. */
export function topBins(centres, probs, n = 3) {
  return [...probs.keys()]
    .sort((i, j) => probs[j] - probs[i])
    .slice(0, n)
    .map((k) => ({ a: centres[k][0], b: centres[k][1], p: probs[k] }));
}
