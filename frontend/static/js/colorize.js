// The colorize page: upload, wait for the job, then re-decode the stored distribution in the
// browser whenever the temperature changes, and show any pixel's distribution on the ab plane.

import { drawAbPlot, topBins } from './abplot.js';
import { API, messageOf, request, statusText, upload, waitForJob } from './api.js';
import { Compare } from './compare.js';
import { Distribution, renderLab } from './distribution.js';
import { attachDropzone } from './dropzone.js';
import { float16ToFloat32 } from './halffloat.js';
import { drawScaled, fitSize, loadBitmap } from './images.js';
import { grayFromLightness, labCss, lightnessOf } from './lab.js';
import { Notice, tooLarge } from './notice.js';
import { clearChosen, renderSamples } from './samples.js';

// Decoding runs on every slider step; 1024 px keeps that near 50 ms on a phone-class CPU.
const MAX_PREVIEW = 1024;

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), result: $('result'),
  resultTitle: $('result-title'), after: $('after'), before: $('before'), split: $('split'),
  splitValue: $('split-value'), temperature: $('temperature'), temperatureValue: $('temperature-value'),
  plot: $('abplot'), caption: $('abplot-caption'), download: $('download'), downloadHint: $('download-hint'),
};
const notice = new Notice();
const compare = new Compare($('compare'), els.split, (x, y) => showProbe(x, y));

// The photo being shown; a new upload replaces it, aborting the old one's requests first.
let current = null;
let frame = 0;

function stemOf(name) {
  return (name || 'photo').replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_') || 'photo';
}

async function colorize(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  current?.controller.abort();
  const controller = new AbortController();
  const { signal } = controller;
  current = { controller };
  const started = performance.now();
  const what = `Colorizing ${file.name}`;
  els.result.hidden = true; // the old photo's result would be mistaken for this one's
  try {
    notice.say(`Uploading ${file.name}…`);
    notice.busy(true, 0);
    // Decoded here for the L channel; some formats (TIFF) the browser cannot read: null then.
    const photo = loadBitmap(file).catch(() => null);
    const form = new FormData();
    form.append('image', file, file.name);
    const accepted = await upload(`${API}/colorization`, form, {
      what, signal, onProgress: (f) => notice.busy(true, f),
    });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what, signal, onStatus: (status, s) => notice.say(statusText(status, s, 'photo')),
    });
    notice.say('Fetching the result…');
    const [resultBlob, buffer] = await Promise.all([
      request(job.links.result, { what: 'Fetching the result', signal }).then((r) => r.blob()),
      job.links.distribution
        ? request(job.links.distribution, { what: 'Fetching the distribution', signal }).then((r) => r.arrayBuffer())
        : null,
    ]);
    const result = await loadBitmap(resultBlob);
    let source = await photo;
    // The server's L comes from the photo it decoded; if the browser's decode differs, use the result's.
    if (!source || source.width !== job.result.width || source.height !== job.result.height) source = result;
    if (signal.aborted) return;
    show({ ...current, file, job, source, result, buffer });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    notice.busy(false);
    notice.say(current.dist
      ? `Colorized in ${seconds} s. Move the temperature slider to re-decode; click the photo to inspect a pixel.`
      : `Colorized in ${seconds} s. This model predicts colours directly, so there is no temperature to change.`);
  } catch (err) {
    if (err.name === 'AbortError') return;
    notice.error(messageOf(err));
  }
}

function show(state) {
  const { job, source } = state;
  const [width, height] = fitSize(source.width, source.height, MAX_PREVIEW);
  const pixels = drawScaled(source, width, height).getContext('2d').getImageData(0, 0, width, height);
  state.L = lightnessOf(pixels.data);
  state.width = width;
  state.height = height;
  state.stem = stemOf(state.file.name);
  const meta = job.result.distribution;
  state.dist = meta && state.buffer ? new Distribution(float16ToFloat32(state.buffer), meta.shape, meta.bin_centres) : null;
  state.centres = meta?.bin_centres || [];
  current = state;

  for (const canvas of [els.before, els.after]) {
    canvas.width = width;
    canvas.height = height;
  }
  const gray = els.before.getContext('2d').createImageData(width, height);
  grayFromLightness(state.L, gray.data);
  els.before.getContext('2d').putImageData(gray, 0, 0);

  els.temperature.disabled = !state.dist;
  if (state.dist) {
    els.temperature.value = String(Math.min(1, Math.max(0, job.result.temperature ?? 0.38)));
    redraw();
  } else {
    els.after.getContext('2d').drawImage(state.result, 0, 0, width, height);
    els.after.dataset.temperature = '';
    updateDownload();
  }
  compare.reset();
  drawAbPlot(els.plot, state.centres, null, null);
  els.caption.textContent = state.dist
    ? 'Click a pixel to see its predicted colour distribution: each disc is one colour bin, its area the probability; the ring is the colour shown.'
    : 'This model predicts colours directly, without a distribution to show.';
  const wasHidden = els.result.hidden;
  els.result.hidden = false;
  if (wasHidden) els.result.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}

function temperature() {
  return Number(els.temperature.value);
}

/** Re-decode at the slider's temperature, at most once per animation frame. */
function scheduleRedraw() {
  els.temperatureValue.textContent = temperature().toFixed(2);
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      redraw();
    });
  }
}

function redraw() {
  const state = current;
  if (!state?.dist) return;
  const t = temperature();
  const { dist, width, height } = state;
  const ctx = els.after.getContext('2d');
  const image = ctx.createImageData(width, height);
  renderLab(state.L, dist.abAt(t), dist.h, dist.w, width, height, image.data);
  ctx.putImageData(image, 0, 0);
  els.after.dataset.temperature = t.toFixed(2); // which temperature is on screen (tests wait on it)
  els.temperatureValue.textContent = t.toFixed(2);
  const kind = t < 0.05 ? 'close to the mode' : t > 0.95 ? 'close to the mean' : 'between mode and mean';
  els.temperature.setAttribute('aria-valuetext', `${t.toFixed(2)}, ${kind}`);
  updateDownload();
  if (compare.point) showProbe(...compare.point);
}

function updateDownload() {
  const { job, dist, stem } = current;
  if (dist) {
    const t = temperature().toFixed(2);
    els.download.href = `${job.links.recolor}?temperature=${t}`;
    els.download.download = `${stem}-colorized-T${t}.png`;
  } else {
    els.download.href = job.links.result;
    els.download.download = `${stem}-colorized.png`;
  }
}

function showProbe(x, y) {
  const state = current;
  if (!state?.dist) return;
  const { dist } = state;
  const [nx, ny] = dist.netPixel(x, y, state.width, state.height);
  const probs = dist.probabilities(nx, ny, 1);
  const decoded = dist.decodePixel(ny * dist.w + nx, temperature(), [0, 0], 0);
  drawAbPlot(els.plot, state.centres, probs, decoded);

  // The same information as text, for screen readers and for exact numbers.
  const fullX = Math.floor((x * state.job.result.width) / state.width);
  const fullY = Math.floor((y * state.job.result.height) / state.height);
  const list = document.createElement('ul');
  list.className = 'swatches';
  for (const { a, b, p } of topBins(state.centres, probs, 3)) {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = labCss(60, a, b);
    item.append(swatch, `a ${a}, b ${b}: ${(p * 100).toFixed(1)}%`);
    list.append(item);
  }
  els.caption.replaceChildren(
    `Pixel (${fullX}, ${fullY}). Shown colour: a ${decoded[0].toFixed(0)}, b ${decoded[1].toFixed(0)}. Most likely bins:`,
    list,
  );
}

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  colorize(file);
});
renderSamples(els.samples, colorize, (err) => notice.error(messageOf(err)));
els.temperature.addEventListener('input', scheduleRedraw);
els.split.addEventListener('input', () => {
  els.splitValue.textContent = `${els.split.value}%`;
});
