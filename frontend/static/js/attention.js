// The attention page: send the photo to POST /api/v1/rotation, then show the predicted angle,
// the network's answer for each of the four turns of the photo, and one attention heat map per
// block laid over the photo, coloured here so the opacity can change without asking again. A click
// on a map enlarges it; the result gets its own URL (?job=ID) and a place in the recent strip.

import { API, ApiError, getJSON, hasEndpoint, messageOf, modelStatus, request, statusText, upload, waitForJob } from './api.js';
import { ANGLES, angleName, attentionLayers, bestAngle, P_DEFAULT, P_MAX, validP } from './attention-result.js';
import { attachDropzone } from './dropzone.js';
import { heatCanvas, mapValues } from './heat.js';
import { drawScaled, fitSize, loadBitmap, rotated } from './images.js';
import { jobIdFromUrl, showJobInUrl, urlParam } from './job-link.js';
import { Notice, tooLarge } from './notice.js';
import { forgetExpired, remember, renderRecent, thumbnail } from './recent.js';
import { reveal } from './reveal.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/rotation`;
const PREVIEW = 640;
const ENLARGED = 1280; // the photo under an enlarged map, long side

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), p: $('p'),
  prediction: $('prediction'), verdict: $('verdict'), probabilities: $('probabilities'), views: $('views'),
  upright: $('upright'), uprightFigure: $('upright-figure'),
  maps: $('maps'), blocks: $('blocks'), opacity: $('opacity'), opacityValue: $('opacity-value'),
  availability: $('availability'), recent: $('recent'), dialog: $('map-dialog'), dialogBody: $('map-dialog-body'),
  dialogTitle: $('map-dialog-title'),
};
const notice = new Notice();
let controller = null;
let lastFile = null;
let uprightUrl = null;
let goodP = P_DEFAULT; // the last exponent the API accepts: a bad one typed goes back to it

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

/**
 * The exponent to send: the box's value when the API accepts it; otherwise the box goes back to the
 * last good one (so the next upload works) and the page says why. Null when it was refused.
 */
function checkP() {
  const p = validP(els.p.value);
  if (p !== null) {
    goodP = p;
    els.p.removeAttribute('aria-invalid');
    return p;
  }
  notice.error(`The attention exponent p must be a number above 0 and at most ${P_MAX}; “${els.p.value}” is not, `
    + `so it is back to ${goodP}.`);
  els.p.value = String(goodP);
  els.p.setAttribute('aria-invalid', 'true');
  return null;
}

async function predict(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  // An exponent refused here is reset and the upload goes on with the good one.
  const p = checkP() ?? goodP;
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
    form.append('p', String(p));
    const accepted = await upload(ENDPOINT, form, { what, signal, onProgress: (f) => notice.busy(true, f) });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what, signal, onStatus: (status, s, j) => notice.say(statusText(status, s, 'photo', j?.queue)),
    });
    await showJob(job, { name: file.name, photo: await photo, signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) showUnavailable(err.message);
    notice.error(messageOf(err));
  }
}

/** Fetch a finished job's maps and upright photo and show them all; `photo`: the upload, when known. */
async function showJob(job, { name, photo = null, signal }) {
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
  let image = photo;
  if (!image && upright) image = rotated(await loadBitmap(upright), angle, 4096);
  if (!image) throw new ApiError(415, '', 'This browser cannot show this photo; use a JPEG, PNG, WebP, GIF or BMP one.');
  if (signal?.aborted) return;
  showPrediction(job.result, angle, image, upright);
  showMaps(maps, image);
  notice.busy(false);
  notice.say(`The network thinks the photo is ${angleName(angle)}. `
    + (maps.length ? `Showing the attention of its ${maps.length} blocks; click one to enlarge it.` : 'The server sent no attention maps.'));
  reveal(els.prediction); // on a phone the answer starts below the screen
  showJobInUrl(job.id, { name: name || '' });
  remember({ kind: 'rotation', id: job.id, name: name || `job ${job.id.slice(0, 8)}`,
    url: `${window.location.pathname}${window.location.search}`, thumb: thumbnail(image) });
  showRecent(job.id);
}

/** Reopen a result from its URL (a reload, a bookmark, the recent strip). */
async function reopen(id) {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  try {
    notice.say('Opening your earlier result…');
    notice.busy(true);
    let job = await getJSON(`${API}/jobs/${id}`, { what: 'Opening the result', signal });
    if (job.kind !== 'rotation') throw new ApiError(409, '', `That result is not a rotation (it is a ${job.kind} job).`);
    job = await waitForJob(job, { what: 'Opening the result', signal });
    if (validP(job.result.p) !== null) {
      goodP = Number(job.result.p);
      els.p.value = String(goodP);
    }
    await showJob(job, { name: urlParam('name'), signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (forgetExpired(err, id)) {
      showRecent();
      notice.error('That result is no longer stored on the server (results are kept for a few hours). Choose the photo again.');
      return;
    }
    notice.error(messageOf(err));
  }
}

function showRecent(currentId = null) {
  renderRecent(els.recent, 'rotation', currentId, (entry) => {
    reopen(entry.id);
  });
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
    const stack = document.createElement('button');
    stack.type = 'button';
    stack.className = 'overlay';
    stack.setAttribute('aria-label', `Attention of block ${block} over the photo; enlarge it`);
    const heat = heatCanvas(map);
    heat.classList.add('heat');
    stack.append(drawScaled(image, w, h), heat);
    stack.addEventListener('click', () => enlarge(block, map, image));
    const caption = document.createElement('figcaption');
    caption.textContent = `Block ${block} (${map.w} × ${map.h} map)`;
    figure.append(stack, caption);
    item.append(figure);
    return item;
  }));
  applyOpacity();
  els.maps.hidden = maps.length === 0;
}

/** One block's map over the photo at up to ENLARGED px, in a dialog (Escape or "Close" shuts it). */
function enlarge(block, map, image) {
  const [w, h] = fitSize(image.width, image.height, ENLARGED);
  const stack = document.createElement('div');
  stack.className = 'overlay enlarged';
  stack.style.setProperty('--aspect', String(w / h));
  stack.setAttribute('role', 'img');
  stack.setAttribute('aria-label', `Attention of block ${block} over the photo, enlarged`);
  const heat = heatCanvas(map);
  heat.classList.add('heat');
  stack.append(drawScaled(image, w, h), heat);
  els.dialogTitle.textContent = `Block ${block}: its ${map.w} × ${map.h} attention map over the photo`;
  els.dialogBody.replaceChildren(stack);
  applyOpacity();
  els.dialog.showModal();
}

function applyOpacity() {
  const v = Number(els.opacity.value) / 100;
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  els.opacity.setAttribute('aria-valuetext', `${Math.round(v * 100)}% heat map`);
  for (const heat of document.querySelectorAll('#blocks .heat, #map-dialog .heat')) heat.style.opacity = String(v);
}

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  predict(file);
});
renderSamples(els.samples, predict, (err) => notice.error(messageOf(err)));
els.opacity.addEventListener('input', applyOpacity);
// Checked here, before anything is sent: a bad value is refused and reset, never left in the box.
els.p.addEventListener('change', () => {
  if (checkP() !== null && lastFile) predict(lastFile);
});
els.dialog.addEventListener('click', (e) => {
  if (e.target === els.dialog) els.dialog.close(); // a click on the backdrop
});
showRecent();
checkAvailability();
if (jobIdFromUrl()) reopen(jobIdFromUrl());
