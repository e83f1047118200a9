// The features page: send a photo to POST /api/v1/features, then show, a row per model, the Imagenette
// photos its features find most similar (cut out of the job's one neighbours image), every model's
// first-layer filters (cut out of the job's filters image) and the transfer table the blocks were chosen
// from. On arrival a sample photo is asked about at once, so the filters and a first answer show without
// an upload; the result gets its own URL (?job=ID).

import { API, ApiError, getJSON, hasEndpoint, messageOf, modelStatus, request, statusText, upload, waitForJob } from './api.js';
import { attachDropzone } from './dropzone.js';
import { loadBitmap, makeCanvas, squareCrop } from './images.js';
import { jobIdFromUrl, showJobInUrl, urlParam } from './job-link.js';
import { Notice, tooLarge } from './notice.js';
import { reveal } from './reveal.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/features`;
const K = 8;
const FILTER_SCALE = 1; // the server already draws each filter weight as a block of pixels

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), availability: $('availability'),
  neighbours: $('neighbours'), query: $('query'), rows: $('rows'), filters: $('filters'),
  filterBlocks: $('filter-blocks'), transfer: $('transfer'), transferTable: $('transfer-table'),
  transferHint: $('transfer-hint'),
};
const notice = new Notice();
let controller = null;
let quiet = false; // the search asked on arrival: its answer does not scroll the page

function showUnavailable(reason) {
  els.availability.textContent = reason;
  els.availability.hidden = false;
}

/** Whether the server can answer at all: the endpoint and the features card. */
async function checkAvailability() {
  if ((await hasEndpoint(ENDPOINT)) === false) {
    showUnavailable('The features page is not available yet: this server has no features endpoint (POST /api/v1/features).');
    return false;
  }
  const model = await modelStatus('features');
  if (model && !model.available) {
    showUnavailable('The features page is not available: no features card is installed on this server '
      + '(write one with “pretext export features”).');
    return false;
  }
  return true;
}

function percent(v, digits = 1) {
  return `${(Number(v) * 100).toFixed(digits)}%`;
}

async function search(file) {
  const scroll = !quiet;
  quiet = false;
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const what = `Finding the neighbours of ${file.name}`;
  try {
    notice.say(`Uploading ${file.name}…`);
    notice.busy(true, 0);
    const photo = loadBitmap(file).catch(() => null); // null for formats the browser cannot read (TIFF)
    const form = new FormData();
    form.append('image', file, file.name);
    form.append('k', String(K));
    const accepted = await upload(ENDPOINT, form, { what, signal, onProgress: (f) => notice.busy(true, f) });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what, signal, onStatus: (status, s, j) => notice.say(statusText(status, s, 'search', j?.queue)),
    });
    await showJob(job, { name: file.name, photo: await photo, signal, scroll });
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) showUnavailable(err.message);
    notice.error(messageOf(err));
  }
}

async function fetchBitmap(url, what, signal) {
  return loadBitmap(await (await request(url, { what, signal })).blob());
}

/** Fetch a finished job's two images and draw its rows and filters. */
async function showJob(job, { name, photo = null, signal, scroll = true }) {
  notice.say('Fetching the neighbours…');
  const [sprite, sheet] = await Promise.all([
    fetchBitmap(job.links.neighbours, 'Fetching the neighbours', signal),
    fetchBitmap(job.links.filters, 'Fetching the filters', signal),
  ]);
  if (signal?.aborted) return;
  const { result } = job;
  drawQuery(photo);
  showRows(result, sprite);
  showFilters(result.filters || [], sheet);
  notice.busy(false);
  notice.say(`The ${result.models.length} networks' nearest neighbours among ${result.index.photos} `
    + `${result.index.split} photos${name ? ` for ${name}` : ''}.`);
  if (scroll) reveal(els.neighbours);
  showJobInUrl(job.id, { name: name || '' });
}

/** The photo's centre square at 64 px (what every network sees); hidden when the browser cannot read it. */
function drawQuery(photo) {
  const figure = els.query.closest('figure');
  figure.hidden = !photo;
  if (!photo) return;
  const ctx = els.query.getContext('2d');
  ctx.clearRect(0, 0, els.query.width, els.query.height);
  ctx.drawImage(squareCrop(photo, els.query.width), 0, 0);
}

/** A canvas holding one `w` x `h` cell of a sprite, from (`x`, `y`). */
function cell(sprite, x, y, w, h, scale = 1) {
  const canvas = makeCanvas(w * scale, h * scale);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(sprite, x, y, w, h, 0, 0, w * scale, h * scale);
  return canvas;
}

function showRows(result, sprite) {
  const size = Number(result.index?.size) || 64;
  els.rows.replaceChildren(...result.models.map((model, r) => {
    const item = document.createElement('li');
    item.className = 'nn-row';
    item.dataset.model = model.name;
    const head = document.createElement('h3');
    head.className = 'nn-head';
    head.textContent = model.label;
    const meta = document.createElement('span');
    meta.className = 'nn-meta';
    meta.textContent = `block ${model.block} · ${inputName(model.input)}`;
    head.append(' ', meta);
    const list = document.createElement('ol');
    list.className = 'nn-list';
    list.setAttribute('aria-label', `${model.label}: nearest photos, most similar first`);
    list.replaceChildren(...model.neighbours.map((n, j) => {
      const li = document.createElement('li');
      const figure = document.createElement('figure');
      figure.className = 'nn';
      const canvas = cell(sprite, j * size, r * size, size, size);
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${n.label}, similarity ${n.similarity.toFixed(2)}`);
      const caption = document.createElement('figcaption');
      const label = document.createElement('span');
      label.className = 'nn-label';
      label.textContent = n.label;
      label.title = n.label;
      const sim = document.createElement('span');
      sim.className = 'nn-sim';
      sim.textContent = n.similarity.toFixed(2);
      caption.append(label, sim);
      figure.append(canvas, caption);
      li.append(figure);
      return li;
    }));
    item.append(head, list);
    return item;
  }));
  els.neighbours.hidden = false;
}

function inputName(kind) {
  return {
    rgb: 'colour', tile: 'colour, standardised', context: 'colour without green-magenta, standardised',
    l: 'lightness only', masked: 'colour and an empty hole mask',
  }[kind] || kind;
}

function showFilters(blocks, sheet) {
  els.filterBlocks.replaceChildren(...blocks.map((b) => {
    const item = document.createElement('li');
    const figure = document.createElement('figure');
    figure.className = 'filter-block';
    figure.dataset.model = b.name;
    const canvas = cell(sheet, 0, b.top, b.width, b.height, FILTER_SCALE);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${b.label}: ${b.count} first-layer filters of ${b.kernel.join(' × ')} weights`);
    const caption = document.createElement('figcaption');
    caption.textContent = `${b.label}: ${b.count} filters, ${b.kernel.join(' × ')}, ${b.channels === 'gray' ? 'gray (lightness)' : 'colour'}`;
    figure.append(caption, canvas);
    item.append(figure);
    return item;
  }));
  els.filters.hidden = blocks.length === 0;
}

/** The transfer table from the features card, the block each model is compared at marked. */
async function showTransfer() {
  let data;
  try {
    data = await getJSON(`${API}/features/transfer`, { what: 'Reading the transfer table' });
  } catch {
    return; // the page works without it
  }
  const rows = data.transfer?.rows || [];
  if (!rows.length) return;
  const chosen = new Map((data.models || []).map((m) => [m.name, m.block]));
  const blocks = Math.max(...rows.map((r) => r.top1.length));
  const head = document.createElement('thead');
  const hr = document.createElement('tr');
  for (const text of ['model', 'input', ...Array.from({ length: blocks }, (_, i) => `block ${i + 1}`)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    hr.append(th);
  }
  head.append(hr);
  const body = document.createElement('tbody');
  for (const row of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = row.model;
    const input = document.createElement('td');
    input.textContent = row.input || '';
    tr.append(th, input);
    row.top1.forEach((v, i) => {
      const td = document.createElement('td');
      td.textContent = percent(v);
      const compared = chosen.get(row.name) === i + 1;
      if (compared) {
        td.className = 'chosen';
        td.title = 'the block this page compares';
      }
      if (i + 1 === row.best_block) td.classList.add('best');
      tr.append(td);
    });
    body.append(tr);
  }
  els.transferTable.replaceChildren(head, body);
  const n = data.transfer.val_images ? ` (${data.transfer.val_images} photos)` : '';
  els.transferHint.textContent = `Linear top-1 on imagenette-val${n} of a classifier fitted on each block's `
    + `frozen features (chance 10%); the outlined cell is the block whose neighbours are shown above.`;
  els.transfer.hidden = false;
}

/** Reopen a result from its URL (a reload, a bookmark). */
async function reopen(id) {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  try {
    notice.say('Opening your earlier result…');
    notice.busy(true);
    let job = await getJSON(`${API}/jobs/${id}`, { what: 'Opening the result', signal });
    if (job.kind !== 'features') throw new ApiError(409, '', `That result is not a features search (it is a ${job.kind} job).`);
    job = await waitForJob(job, { what: 'Opening the result', signal });
    await showJob(job, { name: urlParam('name'), signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    notice.error(messageOf(err));
  }
}

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  search(file);
});

async function start() {
  const samples = renderSamples(els.samples, search, (err) => notice.error(messageOf(err)));
  showTransfer();
  if (!(await checkAvailability())) return;
  if (jobIdFromUrl()) {
    reopen(jobIdFromUrl());
    return;
  }
  // No upload yet: ask about the first sample, so the filters and an answer show at once.
  await samples;
  const first = els.samples.querySelector('.sample');
  if (!first) return;
  quiet = true;
  first.click();
}

start();
