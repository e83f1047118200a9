// The attention page: send the photo to POST /api/v1/rotation, then show the predicted angle,
// the network's answer for each of the four turns of the photo, and one attention heat map per
// block laid over the photo with an adjustable opacity.

import { API, ApiError, hasEndpoint, messageOf, modelStatus, statusText, upload, waitForJob } from './api.js';
import { ANGLES, attentionLayers, bestAngle } from './attention-result.js';
import { attachDropzone } from './dropzone.js';
import { heatCanvas } from './heat.js';
import { drawScaled, fitSize, loadBitmap, rotated } from './images.js';
import { Notice, tooLarge } from './notice.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/rotation`;
const WHAT = 'Predicting the rotation';
const PREVIEW = 640;

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), p: $('p'),
  prediction: $('prediction'), verdict: $('verdict'), probabilities: $('probabilities'), views: $('views'),
  maps: $('maps'), blocks: $('blocks'), opacity: $('opacity'), opacityValue: $('opacity-value'),
  availability: $('availability'),
};
const notice = new Notice();
let controller = null;
let lastFile = null;

function angleName(angle) {
  return angle === 0 ? 'upright (0°)' : `turned ${angle}° counter-clockwise`;
}

function percent(p) {
  return `${(Number(p) * 100).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
}

async function checkAvailability() {
  const endpoint = await hasEndpoint(ENDPOINT);
  let reason = '';
  if (endpoint === false) {
    reason = 'Rotation prediction is not available yet: this server has no rotation endpoint (POST /api/v1/rotation).';
  } else {
    const model = await modelStatus('rotation');
    if (model && !model.available) {
      reason = 'Rotation prediction is not available: the rotation model is not installed on this server '
        + '(export one with “pretext export rotation”).';
    }
  }
  if (reason) {
    els.availability.textContent = reason;
    els.availability.hidden = false;
  }
}

async function predict(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  lastFile = file;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  els.prediction.hidden = true;
  els.maps.hidden = true;
  try {
    notice.say(`Uploading ${file.name}…`);
    notice.busy(true, 0);
    const photo = loadBitmap(file).catch(() => null);
    const form = new FormData();
    form.append('image', file, file.name);
    form.append('p', els.p.value || '2');
    const accepted = await upload(ENDPOINT, form, { what: WHAT, signal, onProgress: (f) => notice.busy(true, f) });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what: WHAT, signal, onStatus: (status, s) => notice.say(statusText(status, s, 'photo')),
    });
    let image = await photo;
    if (!image && job.links?.result) image = await loadBitmap(job.links.result).catch(() => null);
    if (!image) throw new ApiError(415, '', 'This browser cannot show this photo; use a JPEG, PNG, WebP, GIF or BMP one.');
    if (signal.aborted) return;
    const angle = showPrediction(job.result || {}, image);
    const blocks = showMaps(attentionLayers(job.result, job.links), image);
    notice.busy(false);
    notice.say(`The network thinks the photo is ${angleName(angle)}. ${blocks ? `Showing ${blocks} attention maps.` : 'The server sent no attention maps.'}`);
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) {
      els.availability.textContent = err.message;
      els.availability.hidden = false;
    }
    notice.error(messageOf(err));
  }
}

function bar(label, p, best) {
  const row = document.createElement('div');
  row.className = best ? 'bar best' : 'bar';
  const name = document.createElement('span');
  name.textContent = label;
  const track = document.createElement('span');
  track.className = 'bar-track';
  const fill = document.createElement('span');
  fill.className = 'bar-fill';
  fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
  track.append(fill);
  const value = document.createElement('span');
  value.textContent = percent(p);
  row.append(name, track, value);
  row.setAttribute('role', 'listitem');
  row.setAttribute('aria-label', `${label}: ${percent(p)}`);
  return row;
}

/** The combined answer as bars, and each turned view with its own answer; returns the angle. */
function showPrediction(result, image) {
  const probs = result.probabilities || {};
  const angle = Number(result.angle ?? bestAngle(probs).angle);
  els.verdict.textContent = `The network thinks this photo is ${angleName(angle)}`
    + (probs[String(angle)] != null ? `, with probability ${percent(probs[String(angle)])}.` : '.');
  els.probabilities.setAttribute('role', 'list');
  els.probabilities.replaceChildren(...ANGLES.map((a) => bar(`${a}°`, Number(probs[String(a)] ?? 0), a === angle)));

  const views = Array.isArray(result.views) ? result.views : [];
  els.views.replaceChildren(...ANGLES.map((extra, j) => {
    const item = document.createElement('li');
    const figure = document.createElement('figure');
    figure.className = 'view';
    const canvas = rotated(image, extra, 320);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `The photo turned a further ${extra}°`);
    const caption = document.createElement('figcaption');
    const answer = views[j] ? bestAngle(views[j]) : null;
    const expected = (angle + extra) % 360;
    caption.append(`Turned ${extra}° more: `);
    if (answer) {
      const verdict = document.createElement('strong');
      const ok = answer.angle === expected;
      verdict.className = ok ? 'verdict right' : 'verdict wrong';
      verdict.textContent = `says ${answer.angle}° (${percent(answer.p)}) ${ok ? '✓' : '✗'}`;
      caption.append(verdict);
      if (!ok) caption.append(` — expected ${expected}°`);
    } else {
      caption.append('no answer');
    }
    figure.append(canvas, caption);
    item.append(figure);
    return item;
  }));
  els.prediction.hidden = false;
  return angle;
}

/** One figure per block: the photo with its heat map on top; returns how many were shown. */
function showMaps(layers, image) {
  const [w, h] = fitSize(image.width, image.height, PREVIEW);
  els.blocks.replaceChildren(...layers.map(({ block, url, map }) => {
    const item = document.createElement('li');
    const figure = document.createElement('figure');
    figure.className = 'block';
    const stack = document.createElement('div');
    stack.className = 'overlay';
    const photo = drawScaled(image, w, h);
    photo.setAttribute('aria-hidden', 'true');
    let heat;
    if (url) {
      heat = document.createElement('img');
      heat.src = url;
      heat.alt = '';
    } else {
      heat = heatCanvas(map);
    }
    heat.classList.add('heat');
    heat.setAttribute('aria-hidden', 'true');
    stack.append(photo, heat);
    stack.setAttribute('role', 'img');
    stack.setAttribute('aria-label', `Attention of block ${block} over the photo`);
    const caption = document.createElement('figcaption');
    caption.textContent = map ? `Block ${block} (${map.w} × ${map.h} map)` : `Block ${block}`;
    figure.append(stack, caption);
    item.append(figure);
    return item;
  }));
  applyOpacity();
  els.maps.hidden = layers.length === 0;
  return layers.length;
}

function applyOpacity() {
  const v = Number(els.opacity.value) / 100;
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  for (const heat of els.blocks.querySelectorAll('.heat')) heat.style.opacity = String(v);
}

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  predict(file);
});
renderSamples(els.samples, predict, (err) => notice.error(messageOf(err)));
els.opacity.addEventListener('input', applyOpacity);
// The server checks p (and answers 422 when it is out of range), so any change is sent as is.
els.p.addEventListener('change', () => {
  if (lastFile) predict(lastFile);
});
checkAvailability();
