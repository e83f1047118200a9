// The inpainting page: choose a photo, paint the hole over it (mouse, pen or finger; undo, clear),
// and "Fill" sends the photo with the painted mask (a PNG at the photo's own size, white = fill) to
// POST /api/v1/inpainting twice, once per model (model=l2, model=adversarial). The original and both
// filled photos are shown side by side, and a before/after view compares the original with either fill.

import { API, ApiError, hasEndpoint, messageOf, modelStatus, request, statusText, upload, waitForJob } from './api.js';
import { attachDropzone } from './dropzone.js';
import { canvasBlob, loadBitmap, makeCanvas } from './images.js';
import { Notice, tooLarge } from './notice.js';
import { reveal } from './reveal.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/inpainting`;
const WHAT = 'Filling the hole';
const MODELS = [
  { key: 'l2', label: 'L2 fill', card: 'inpainting' },
  { key: 'adversarial', label: 'adversarial fill', card: 'inpainting-adversarial' },
];
// The largest canvas every browser draws (iOS Safari's limit): the photo and its mask are painted at
// the photo's own size, so a larger photo cannot be painted on here.
const MAX_CANVAS_PIXELS = 16_777_216;
const STROKE_COLOUR = '#ff2d6f'; // shown at the strokes canvas's CSS opacity, so overlaps do not darken

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), availability: $('availability'),
  paint: $('paint'), area: $('paint-area'), photo: $('photo'), strokes: $('strokes'), cursor: $('brush-cursor'),
  brush: $('brush'), brushValue: $('brush-value'), undo: $('undo'), clear: $('clear'), centre: $('centre'),
  fill: $('fill'), results: $('results'), original: $('original'), compare: $('compare'),
  before: $('compare-before'), after: $('compare-after'), tagRight: $('compare-tag-right'),
  split: $('split'), splitValue: $('split-value'),
};
const notice = new Notice();

let photo = null; // {file, name, width, height, url}: the chosen photo, url an object URL of the file
let strokes = []; // painted strokes in the photo's pixels: {width, points: [[x, y], ...]} or {rect: [x, y, w, h]}
let drawing = null; // {id, stroke}: the stroke a pointer is painting now
let controller = null; // aborts the fills in flight when a new photo is chosen or Fill is pressed again
let busy = false;
let unavailable = ''; // why this server cannot fill, when it cannot
const fills = {}; // model key -> object URL of its filled photo, once loaded

// ---- availability -----------------------------------------------------------------------------------

function setUnavailable(reason) {
  unavailable = reason;
  els.availability.textContent = reason;
  els.availability.hidden = false;
  updateButtons();
}

async function checkAvailability() {
  if ((await hasEndpoint(ENDPOINT)) === false) {
    setUnavailable('Filling is not available yet: this server has no inpainting endpoint (POST /api/v1/inpainting). '
      + 'You can still paint over a photo.');
    return;
  }
  const model = await modelStatus('inpainting');
  if (model && !model.available) {
    setUnavailable('Filling is not available: the inpainting model is not installed on this server '
      + '(export one with “pretext export inpainting”). You can still paint over a photo.');
  }
}

// ---- choosing a photo -------------------------------------------------------------------------------

async function choose(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  let bitmap;
  try {
    bitmap = await loadBitmap(file);
  } catch {
    notice.error(`${file.name} is not an image this browser can read. Use a JPEG, PNG, WebP, GIF or BMP photo.`);
    return;
  }
  const { width, height } = bitmap;
  if (width * height > MAX_CANVAS_PIXELS) {
    bitmap.close();
    notice.error(`${file.name} is ${width} × ${height} pixels, more than this page can paint on `
      + `(${(MAX_CANVAS_PIXELS / 1e6).toFixed(1)} million pixels). Choose a smaller photo.`);
    return;
  }
  controller?.abort();
  setBusy(false);
  if (photo) URL.revokeObjectURL(photo.url);
  photo = { file, name: file.name, width, height, url: URL.createObjectURL(file) };
  for (const canvas of [els.photo, els.strokes]) {
    canvas.width = width;
    canvas.height = height;
  }
  els.photo.getContext('2d').drawImage(bitmap, 0, 0);
  bitmap.close();
  els.area.style.setProperty('--aspect', String(width / height)); // CSSOM, which the page's CSP allows
  els.results.style.setProperty('--aspect', String(width / height));
  els.photo.setAttribute('aria-label', `The chosen photo, ${file.name}, ${width} × ${height} pixels`);
  strokes = [];
  redraw();
  els.results.hidden = true;
  els.paint.hidden = false;
  notice.say(`Paint over the part of ${file.name} to fill, then press “Fill”.`);
  reveal(els.paint); // on a phone the photo starts below the screen
}

// ---- painting ---------------------------------------------------------------------------------------

/** The photo pixel under a pointer event: client coordinates scaled to the canvas's own size. */
function pixelAt(e) {
  const box = els.strokes.getBoundingClientRect();
  return [((e.clientX - box.left) / box.width) * els.strokes.width,
    ((e.clientY - box.top) / box.height) * els.strokes.height];
}

/** Photo pixels per CSS pixel, as the photo is shown now. */
function scale() {
  const box = els.strokes.getBoundingClientRect();
  return box.width ? els.strokes.width / box.width : 1;
}

function drawStroke(ctx, stroke, colour, from = 0) {
  ctx.fillStyle = colour;
  ctx.strokeStyle = colour;
  if (stroke.rect) {
    ctx.fillRect(...stroke.rect);
    return;
  }
  const { points, width } = stroke;
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0][0], points[0][1], width / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  const start = Math.max(0, from - 1);
  ctx.moveTo(...points[start]);
  for (let i = start + 1; i < points.length; i += 1) ctx.lineTo(...points[i]);
  ctx.stroke();
}

function redraw() {
  const ctx = els.strokes.getContext('2d');
  ctx.clearRect(0, 0, els.strokes.width, els.strokes.height);
  for (const stroke of strokes) drawStroke(ctx, stroke, STROKE_COLOUR);
  updateButtons();
}

function down(e) {
  if (drawing || !photo || (e.pointerType === 'mouse' && e.button !== 0)) return;
  e.preventDefault(); // no text selection, image drag or scrolling while painting
  els.strokes.setPointerCapture?.(e.pointerId);
  const stroke = { width: Number(els.brush.value) * scale(), points: [pixelAt(e)] };
  drawing = { id: e.pointerId, stroke };
  strokes.push(stroke);
  drawStroke(els.strokes.getContext('2d'), stroke, STROKE_COLOUR);
  moveCursor(e);
}

function move(e) {
  moveCursor(e);
  if (drawing?.id !== e.pointerId) return;
  const { stroke } = drawing;
  const from = stroke.points.length;
  // Every position the pointer passed since the last event, not only the latest: smooth fast strokes.
  const events = e.getCoalescedEvents?.() || [];
  for (const each of events.length ? events : [e]) stroke.points.push(pixelAt(each));
  drawStroke(els.strokes.getContext('2d'), stroke, STROKE_COLOUR, from);
}

function up(e) {
  if (drawing?.id !== e.pointerId) return;
  drawing = null;
  redraw(); // the whole stroke as one path, as the mask will have it (the pieces drawn while moving overlap)
  painted();
}

/** The brush's outline under a mouse or pen (a finger hides it anyway). */
function moveCursor(e) {
  if (e.pointerType === 'touch') {
    els.cursor.hidden = true;
    return;
  }
  const box = els.area.getBoundingClientRect();
  const size = Number(els.brush.value);
  els.cursor.hidden = false;
  els.cursor.style.width = `${size}px`;
  els.cursor.style.height = `${size}px`;
  els.cursor.style.left = `${e.clientX - box.left}px`;
  els.cursor.style.top = `${e.clientY - box.top}px`;
}

function painted() {
  updateButtons();
  const n = strokes.length;
  notice.say(`${n} ${n === 1 ? 'stroke' : 'strokes'} painted. Press “Fill” when the hole covers what you want filled.`);
}

function undo() {
  if (!strokes.length || drawing) return;
  strokes.pop();
  redraw();
  if (strokes.length) painted();
  else notice.say('Nothing is painted any more: paint over the part of the photo to fill.');
}

function clear() {
  if (drawing) return;
  strokes = [];
  redraw();
  notice.say('Cleared: nothing is painted. Paint over the part of the photo to fill.');
}

/** The paper's hole: the centred rectangle covering a quarter of the photo (half of each side). */
function markCentre() {
  if (!photo || drawing) return;
  const w = Math.max(1, Math.round(photo.width / 2));
  const h = Math.max(1, Math.round(photo.height / 2));
  strokes.push({ rect: [Math.floor((photo.width - w) / 2), Math.floor((photo.height - h) / 2), w, h] });
  redraw();
  painted();
}

/** The mask the API reads: the photo's size, black, the painted strokes white; a PNG Blob. */
function maskBlob() {
  const canvas = makeCanvas(photo.width, photo.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const stroke of strokes) drawStroke(ctx, stroke, '#fff');
  return canvasBlob(canvas, 'image/png');
}

function updateButtons() {
  const empty = strokes.length === 0;
  els.undo.disabled = empty;
  els.clear.disabled = empty;
  // Still focusable and clickable when nothing is painted, so a press says why nothing happens.
  els.fill.setAttribute('aria-disabled', String(empty));
  els.fill.disabled = busy || Boolean(unavailable);
}

function setBusy(on) {
  busy = on;
  updateButtons();
}

// ---- filling ----------------------------------------------------------------------------------------

function figure(key) {
  return { fig: $(`${key}-figure`), img: $(key), state: $(`${key}-state`), window: $(`${key}-window`) };
}

function setState(key, state, text) {
  const f = figure(key);
  f.fig.dataset.state = state;
  f.state.textContent = text;
  f.state.hidden = state === 'done';
  f.img.hidden = state !== 'done';
  if (state !== 'done') f.window.hidden = true;
}

async function fill() {
  if (!photo) return;
  if (unavailable) {
    notice.error(unavailable);
    return;
  }
  if (!strokes.length) {
    notice.error('Nothing is painted yet, so there is nothing to fill: paint over the part of the photo to fill '
      + 'first, then press “Fill”.');
    return;
  }
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  setBusy(true);
  const mask = await maskBlob();
  for (const { key } of MODELS) {
    if (fills[key]) URL.revokeObjectURL(fills[key]);
    delete fills[key];
    setState(key, 'waiting', 'Uploading…');
  }
  els.original.src = photo.url;
  showCompare();
  els.results.hidden = false;
  notice.say(`Sending ${photo.name} and the painted mask to both models…`);
  notice.busy(true, 0);
  const sent = MODELS.map(() => 0);
  const outcomes = await Promise.allSettled(MODELS.map((model, i) => fillWith(model, mask, signal, (f) => {
    sent[i] = f;
    const total = sent.reduce((a, b) => a + b, 0) / sent.length;
    notice.busy(true, total < 1 ? total : null); // then indeterminate while the models work
    if (total >= 1) notice.say('Sent. Both models are filling the hole…');
  })));
  if (signal.aborted) return;
  setBusy(false);
  notice.busy(false);
  const failed = outcomes.map((o, i) => [o, MODELS[i]]).filter(([o]) => o.status === 'rejected');
  if (!failed.length) {
    notice.say('Both fills are done. Drag across the photo below, or move the slider, to compare the original '
      + 'with a fill.');
  } else {
    // Both models usually fail for the same reason (a mask the API refuses): say it once.
    const messages = [...new Set(failed.map(([o]) => messageOf(o.reason)))];
    const which = failed.length === MODELS.length ? 'Neither fill worked.'
      : `The ${failed[0][1].label} did not work.`;
    notice.error(`${which} ${messages.join(' ')}`);
    const [first] = failed;
    if (first[0].reason instanceof ApiError && first[0].reason.status === 404) setUnavailable(first[0].reason.message);
  }
  reveal(els.results);
}

/** One model's fill: upload, wait, fetch the filled photo and show it; rejects with the reason it failed. */
async function fillWith(model, mask, signal, onProgress) {
  try {
    const form = new FormData();
    form.append('image', photo.file, photo.name);
    form.append('mask', mask, 'mask.png');
    form.append('model', model.key);
    const accepted = await upload(ENDPOINT, form, { what: WHAT, signal, onProgress });
    onProgress(1);
    const job = await waitForJob(accepted, {
      what: WHAT, signal, onStatus: (status, s, j) => setState(model.key, 'waiting', statusText(status, s, 'fill', j?.queue)),
    });
    setState(model.key, 'waiting', 'Fetching the filled photo…');
    const base = job.links?.self || `${API}/jobs/${job.id}`;
    const blob = await (await request(job.links?.result || `${base}/result`, { what: 'Fetching the filled photo', signal })).blob();
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
    const f = figure(model.key);
    fills[model.key] = URL.createObjectURL(blob);
    f.img.src = fills[model.key];
    await f.img.decode();
    f.window.href = job.links?.fill || `${base}/fill`;
    setState(model.key, 'done', '');
    f.window.hidden = false;
    showCompare();
  } catch (err) {
    if (err.name !== 'AbortError') setState(model.key, 'failed', 'Not filled: see the message above.');
    throw err;
  }
}

// ---- before / after ---------------------------------------------------------------------------------

function chosen() {
  return document.querySelector('input[name="choice"]:checked')?.value || 'l2';
}

/** The original over the chosen fill (the original alone until that fill has arrived), cut at the slider. */
function showCompare() {
  const key = chosen();
  const model = MODELS.find((m) => m.key === key);
  if (photo) els.before.src = photo.url;
  const url = fills[key] || photo?.url;
  if (url && els.after.getAttribute('src') !== url) els.after.src = url;
  els.tagRight.textContent = fills[key] ? model.label : `${model.label} (not ready)`;
  els.compare.dataset.fill = fills[key] ? key : '';
  cut(); // also places the tags, whose width the new text changed
}

function cut() {
  const s = Number(els.split.value);
  const { label } = MODELS.find((m) => m.key === chosen());
  els.before.style.clipPath = `inset(0 ${100 - s}% 0 0)`;
  els.compare.querySelector('.compare-divider').style.left = `${s}%`;
  els.splitValue.textContent = `${Math.round(s)}%`;
  els.split.setAttribute('aria-valuetext', `${Math.round(s)}% original, ${Math.round(100 - s)}% ${label}`);
  placeTags();
}

/** Each tag shows only while its side has room for it, so "original" never sits on the fill, nor the reverse. */
function placeTags() {
  const width = els.compare.getBoundingClientRect().width;
  if (!width) return;
  const at = (Number(els.split.value) / 100) * width;
  const left = els.compare.querySelector('.compare-tag.left');
  const right = els.tagRight;
  left.style.visibility = at >= left.offsetLeft + left.offsetWidth + 4 ? 'visible' : 'hidden';
  right.style.visibility = at <= right.offsetLeft - 4 ? 'visible' : 'hidden';
}

let dragging = null;

function splitAt(e) {
  const box = els.after.getBoundingClientRect();
  if (!box.width) return;
  els.split.value = String(Math.round(Math.min(100, Math.max(0, ((e.clientX - box.left) / box.width) * 100))));
  cut();
}

els.compare.addEventListener('pointerdown', (e) => {
  if (dragging !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
  dragging = e.pointerId;
  els.compare.setPointerCapture?.(e.pointerId);
  e.preventDefault();
  splitAt(e);
});
els.compare.addEventListener('pointermove', (e) => {
  if (dragging === e.pointerId) splitAt(e);
});
for (const type of ['pointerup', 'pointercancel']) {
  els.compare.addEventListener(type, (e) => {
    if (dragging === e.pointerId) dragging = null;
  });
}
els.split.addEventListener('input', cut);
new ResizeObserver(placeTags).observe(els.compare); // the tags' room changes with the window's width
for (const radio of document.querySelectorAll('input[name="choice"]')) radio.addEventListener('change', showCompare);

// ---- wiring -----------------------------------------------------------------------------------------

els.strokes.addEventListener('pointerdown', down);
els.strokes.addEventListener('pointermove', move);
els.strokes.addEventListener('pointerup', up);
els.strokes.addEventListener('pointercancel', up);
els.strokes.addEventListener('pointerleave', () => {
  els.cursor.hidden = true;
});
els.brush.addEventListener('input', () => {
  els.brushValue.textContent = `${els.brush.value} px`;
});
els.undo.addEventListener('click', undo);
els.clear.addEventListener('click', clear);
els.centre.addEventListener('click', markCentre);
els.fill.addEventListener('click', fill);
document.addEventListener('keydown', (e) => {
  // Ctrl+Z (Cmd+Z) undoes a stroke while the photo is shown, unless a text field has the focus.
  if (els.paint.hidden || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z' || e.shiftKey) return;
  if (e.target.closest?.('input:not([type="range"]):not([type="radio"]), textarea')) return;
  e.preventDefault();
  undo();
});

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  choose(file);
});
renderSamples(els.samples, choose, (err) => notice.error(messageOf(err)));
updateButtons();
checkAvailability();
