// The attention page: send the photo to POST /api/v1/rotation, then show the predicted angle,
// the network's answer for each of the four turns of the photo, and one attention heat map per
// block laid over the photo, coloured here so the opacity can change without asking again.

import { API, ApiError, hasEndpoint, messageOf, modelStatus, request, statusText, upload, waitForJob } from './api.js';
import { ANGLES, attentionLayers, bestAngle } from './attention-result.js';
import { attachDropzone } from './dropzone.js';
import { heatCanvas, mapValues } from './heat.js';
import { drawScaled, fitSize, loadBitmap, rotated } from './images.js';
import { Notice, tooLarge } from './notice.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/rotation`;
const PREVIEW = 640;

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), p: $('p'),
  prediction: $('prediction'), verdict: $('verdict'), probabilities: $('probabilities'), views: $('views'),
  upright: $('upright'), uprightFigure: $('upright-figure'),
  maps: $('maps'), blocks: $('blocks'), opacity: $('opacity'), opacityValue: $('opacity-value'),
  availability: $('availability'),
};
const notice = new Notice();
let controller = null;
let lastFile = null;
let uprightUrl = null;

function angleName(angle) {
  return angle === 0 ? 'upright (0°)' : `turned ${angle}° counter-clockwise`;
}

function percent(p) {
  const v = Number(p) * 100;
  return `${v.toFixed(v >= 99.5 || v < 0.5 ? 0 : 1)}%`;
}

function showUnavailable(reason) {
  els.availability.textContent = reason;
  els.availability.hidden = false;
}

async function checkAvailability() {
  if ((await hasEndpoint(ENDPOINT)) === false) {
    showUnavailable('Rotation prediction is not available yet: this server has no rotation endpoint (POST /api/v1/rotation).');
    return;
  }
  const model = await modelStatus('rotation');
  if (model && !model.available) {
    showUnavailable('Rotation prediction is not available: the rotation model is not installed on this server '
      + '(export one with “pretext export rotation”).');
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
  const what = `Predicting the rotation of ${file.name}`;
  try {
    notice.say(`Uploading ${file.name}…`);
    notice.busy(true, 0);
    const photo = loadBitmap(file).catch(() => null); // null for formats the browser cannot read (TIFF)
    const form = new FormData();
    form.append('image', file, file.name);
    form.append('p', els.p.value);
    const accepted = await upload(ENDPOINT, form, { what, signal, onProgress: (f) => notice.busy(true, f) });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what, signal, onStatus: (status, s) => notice.say(statusText(status, s, 'photo')),
    });
    notice.say('Fetching the attention maps…');
    const layers = attentionLayers(job);
    const [maps, upright] = await Promise.all([
      Promise.all(layers.map(async (layer) => {
        const blob = await (await request(layer.mapUrl, { what: 'Fetching an attention map', signal })).blob();
        return { ...layer, map: mapValues(await loadBitmap(blob)) };
      })),
      job.links?.result ? request(job.links.result, { what: 'Fetching the upright photo', signal }).then((r) => r.blob()) : null,
    ]);
    // The photo as uploaded: the browser's own decode, or else the upright result turned back.
    const angle = Number(job.result.angle ?? bestAngle(job.result.probabilities).angle);
    let image = await photo;
    if (!image && upright) image = rotated(await loadBitmap(upright), angle, 4096);
    if (!image) throw new ApiError(415, '', 'This browser cannot show this photo; use a JPEG, PNG, WebP, GIF or BMP one.');
    if (signal.aborted) return;
    showPrediction(job.result, angle, image, upright);
    showMaps(maps, image);
    notice.busy(false);
    notice.say(`The network thinks the photo is ${angleName(angle)}. `
      + (maps.length ? `Showing the attention of its ${maps.length} blocks.` : 'The server sent no attention maps.'));
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) showUnavailable(err.message);
    notice.error(messageOf(err));
  }
}

function bar(label, p, best) {
  const row = document.createElement('div');
  row.className = best ? 'bar best' : 'bar';
  row.setAttribute('role', 'listitem');
  row.setAttribute('aria-label', `${label}: ${percent(p)}`);
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
  return row;
}

/** The combined answer as bars, the upright photo, and each turned view with its own answer. */
function showPrediction(result, angle, image, upright) {
  const probs = result.probabilities || {};
  const p = probs[String(angle)];
  els.verdict.textContent = `The network thinks this photo is ${angleName(angle)}${p != null ? `, with probability ${percent(p)}` : ''}.`;
  els.probabilities.setAttribute('role', 'list');
  els.probabilities.setAttribute('aria-label', 'Probability of each angle');
  els.probabilities.replaceChildren(...ANGLES.map((a) => bar(`${a}°`, Number(probs[String(a)] ?? 0), a === angle)));

  if (uprightUrl) URL.revokeObjectURL(uprightUrl);
  uprightUrl = upright ? URL.createObjectURL(upright) : null;
  els.uprightFigure.hidden = !uprightUrl;
  if (uprightUrl) els.upright.src = uprightUrl;

  const views = Array.isArray(result.views) ? result.views : [];
  els.views.replaceChildren(...ANGLES.map((extra, j) => {
    const item = document.createElement('li');
    const figure = document.createElement('figure');
    figure.className = 'view';
    const canvas = rotated(image, extra, 320);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `The photo turned a further ${extra}°`);
    const caption = document.createElement('figcaption');
    caption.append(`Turned ${extra}° more: `);
    const answer = views[j] ? bestAngle(views[j]) : null;
    if (answer) {
      // If the photo is at `angle`, turning it `extra` further puts it at angle + extra.
      const expected = (angle + extra) % 360;
      const ok = answer.angle === expected;
      const verdict = document.createElement('strong');
      verdict.className = ok ? 'verdict right' : 'verdict wrong';
      verdict.textContent = `says ${answer.angle}° (${percent(answer.p)}) ${ok ? '✓' : '✗'}`;
      caption.append(verdict);
      if (!ok) caption.append(`, expected ${expected}°`);
    } else {
      caption.append('no answer');
    }
    figure.append(canvas, caption);
    item.append(figure);
    return item;
  }));
  els.prediction.hidden = false;
}

/** One figure per block: the photo with its heat map stretched over it (the browser smooths it). */
function showMaps(maps, image) {
  const [w, h] = fitSize(image.width, image.height, PREVIEW);
  els.blocks.replaceChildren(...maps.map(({ block, map }) => {
    const item = document.createElement('li');
    const figure = document.createElement('figure');
    figure.className = 'block';
    const stack = document.createElement('div');
    stack.className = 'overlay';
    stack.setAttribute('role', 'img');
    stack.setAttribute('aria-label', `Attention of block ${block} over the photo`);
    const heat = heatCanvas(map);
    heat.classList.add('heat');
    stack.append(drawScaled(image, w, h), heat);
    const caption = document.createElement('figcaption');
    caption.textContent = `Block ${block} (${map.w} × ${map.h} map)`;
    figure.append(stack, caption);
    item.append(figure);
    return item;
  }));
  applyOpacity();
  els.maps.hidden = maps.length === 0;
}

function applyOpacity() {
  const v = Number(els.opacity.value) / 100;
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  els.opacity.setAttribute('aria-valuetext', `${Math.round(v * 100)}% heat map`);
  for (const heat of els.blocks.querySelectorAll('.heat')) heat.style.opacity = String(v);
}

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  predict(file);
});
renderSamples(els.samples, predict, (err) => notice.error(messageOf(err)));
els.opacity.addEventListener('input', applyOpacity);
// The server checks p (422 when out of range), so any change is sent as it is.
els.p.addEventListener('change', () => {
  if (lastFile) predict(lastFile);
});
checkAvailability();
