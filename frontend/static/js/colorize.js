// The colorize page: one photo (or several, as a batch) goes to POST /api/v1/colorization at the
// page's look; the finished job opens in the result panel, gets its own URL (?job=ID) and a place
// in the browser's recent strip, and reopens from either while the server stores it.

import { API, ApiError, getJSON, messageOf, request, statusText, upload, waitForJob } from './api.js';
import { Batch } from './batch.js';
import { resultUrlAt } from './colorize-network.js';
import { ResultView } from './colorize-result.js';
import { attachDropzone } from './dropzone.js';
import { loadBitmap } from './images.js';
import { jobIdFromUrl, showJobInUrl, urlParam } from './job-link.js';
import { Notice, tooLarge } from './notice.js';
import { forgetExpired, remember, renderRecent, retarget, thumbnail } from './recent.js';
import { clearChosen, renderSamples } from './samples.js';
import { isColourImage } from './truth.js';

const KIND = 'colorization';
const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), folder: $('folder'), dropzone: $('dropzone'), samples: $('samples'), recent: $('recent'),
  note: $('photo-note'),
};
const notice = new Notice();
// The hint network's jobs (colorize-network.js) go through the same submit() and say how they do on the same notice.
const view = new ResultView({ onTemperature: () => updateUrl(), submit: (file, hooks) => submit(file, hooks), notice });
const batch = new Batch({
  submit: (file, hooks) => submit(file, hooks),
  onOpen: (item) => open(item.job, { name: item.file.name, file: item.file }).catch((err) => {
    if (err.name !== 'AbortError') notice.error(messageOf(err));
  }),
  resultUrl: (job) => resultUrl(job),
});

// The request in flight for the photo being opened; a newer one aborts it.
let controller = null;

/**
 * Upload one photo at the page's temperature and wait for its job; `hooks` as waitForJob's, with `fields`: more
 * form fields (the hint network's hints and hint_method) and `what`: what the messages call the job.
 */
async function submit(file, { signal, onProgress, onStatus, fields = {}, what = `Colorizing ${file.name}` }) {
  const problem = tooLarge(file);
  if (problem) throw new ApiError(413, '', problem);
  const form = new FormData();
  form.append('image', file, file.name);
  // The look shown is sent along, so the server's own result (and the batch's ZIP) match the page.
  form.append('temperature', view.temperature().toFixed(2));
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const accepted = await upload(`${API}/${KIND}`, form, { what, signal, onProgress });
  return waitForJob(accepted, { what, signal, onStatus });
}

/**
 * What the ZIP holds for a job: the server's full-size decoding at the temperature on screen; the stored
 * result itself when it was decoded at that temperature (the usual case), which costs the server nothing.
 */
function resultUrl(job) {
  return resultUrlAt(job, view.temperature());
}

/** One photo: upload, wait, open. */
async function colorize(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  batch.hide();
  const started = performance.now();
  view.hide(); // the old photo's result would be mistaken for this one's
  try {
    // Decoded here for its L and, for a colour photo, its real colours; TIFF the browser cannot read: null.
    const photo = await loadBitmap(file).catch(() => null);
    // A colour photo is said to be one, in a note that stays while its result is shown.
    els.note.hidden = !(photo && isColourImage(photo));
    els.note.textContent = `${file.name} is a colour photo. The network sees only its lightness, so it is `
      + 'shown in gray first; once it is colorized, its real colours appear beside the network’s, with how far apart they are.';
    notice.say(`Uploading ${file.name}…`);
    notice.busy(true, 0);
    const job = await submit(file, {
      signal,
      onProgress: (f) => notice.busy(true, f),
      onStatus: (status, s, j) => {
        notice.busy(true);
        notice.say(statusText(status, s, 'photo', j?.queue));
      },
    });
    await open(job, { name: file.name, photo, upload: file, signal });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    notice.say(view.state?.dist
      ? `Colorized in ${seconds} s. Choose a look, or move the temperature slider to re-decode; drag across the photo to compare.`
      : `Colorized in ${seconds} s. This model predicts colours directly, so there is no temperature to change.`);
  } catch (err) {
    if (err.name === 'AbortError') return;
    notice.error(messageOf(err));
  }
}

/**
 * Show a finished job: fetch its result and distribution, draw it, and give it a URL and a place
 * in the recent strip. `photo` is the upload decoded (or `file`, to decode), when this browser has it;
 * `upload` the file itself, for the hint network.
 */
async function open(job, { name, photo = null, file = null, upload = file, t = null, signal = null }) {
  if (!signal) {
    controller?.abort();
    controller = new AbortController();
    ({ signal } = controller);
  }
  notice.say('Fetching the result…');
  notice.busy(true);
  const [resultBlob, buffer, decoded] = await Promise.all([
    request(job.links.result, { what: 'Fetching the result', signal }).then((r) => r.blob()),
    job.links.distribution
      ? request(job.links.distribution, { what: 'Fetching the distribution', signal }).then((r) => r.arrayBuffer())
      : null,
    photo || (file ? loadBitmap(file).catch(() => null) : null),
  ]);
  const result = await loadBitmap(resultBlob);
  if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  const title = name || `job ${job.id.slice(0, 8)}`;
  // Reopened from its URL, the photo is not in this browser (the server keeps no copy to give): the hint network
  // gets the result instead: its lightness is the photo's (up to rounding where a colour left the gamut), and
  // lightness is all that any of the networks sees.
  const source = upload
    || new File([resultBlob], `${job.id.slice(0, 8)}-result.png`, { type: resultBlob.type || 'image/png' });
  view.show({
    job, name: title, photo: decoded, result, buffer, t: t ?? (job.result.temperature ?? null), upload: source,
  });
  notice.busy(false);
  notice.say(`Showing ${title}.`);
  showJobInUrl(job.id, { name: name || '' });
  updateUrl();
  remember({ kind: KIND, id: job.id, name: title, url: `${window.location.pathname}${window.location.search}`, thumb: thumbnail(result) });
  showRecent();
}

/** The page's URL changes with the temperature shown, so a reload reopens the same look. */
function updateUrl() {
  const state = view.state;
  if (!state) return;
  const t = view.temperature();
  const own = Math.abs(t - (state.job.result.temperature ?? -1)) < 0.005;
  showJobInUrl(state.job.id, { name: urlParam('name'), t: own ? '' : t.toFixed(2) });
  retarget(state.job.id, `${window.location.pathname}${window.location.search}`);
}

/** Reopen the job named in the URL (a reload, a bookmark, the recent strip). */
async function reopen(id) {
  els.note.hidden = true;
  try {
    notice.say('Opening your earlier result…');
    notice.busy(true);
    let job = await getJSON(`${API}/jobs/${id}`, { what: 'Opening the result' });
    if (job.kind !== KIND) {
      throw new ApiError(409, '', `That result is not a colorization (it is a ${job.kind} job); open it on its own page.`);
    }
    job = await waitForJob(job, {
      what: 'Opening the result',
      onStatus: (status, s, j) => notice.say(statusText(status, s, 'photo', j?.queue)),
    });
    const t = Number.parseFloat(urlParam('t'));
    await open(job, { name: urlParam('name'), t: Number.isFinite(t) ? t : null });
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (forgetExpired(err, id)) {
      showRecent();
      notice.error('That result is no longer stored on the server (results are kept for a few hours). Choose the photo again to colorize it anew.');
      return;
    }
    notice.error(messageOf(err));
  }
}

function showRecent() {
  renderRecent(els.recent, KIND, view.state?.job.id, (entry) => {
    batch.stop();
    reopen(entry.id);
  });
}

function pick(files) {
  els.note.hidden = true;
  const images = files.filter((f) => !f.type || f.type.startsWith('image/') || /\.(jpe?g|png|webp|bmp|tiff?|gif)$/i.test(f.name));
  clearChosen(els.samples);
  if (files.length > 1 && !images.length) {
    notice.error('None of those files is a photo. Use JPEG, PNG, WebP, BMP, TIFF or GIF files.');
    return;
  }
  if (files.length === 1) {
    colorize(files[0]); // a single file goes as it is: the server says what is wrong with it, if anything
    return;
  }
  controller?.abort();
  view.hide();
  notice.say(`Colorizing ${images.length} photos${images.length < files.length ? ` (${files.length - images.length} other files left out)` : ''}…`);
  batch.run(images).then(() => notice.say(`${$('batch-summary').textContent} Download them all as a ZIP, or show any one below.`));
}

attachDropzone(els.dropzone, els.file, pick, { multiple: true, inputs: [els.folder] });
renderSamples(els.samples, colorize, (err) => notice.error(messageOf(err)));
showRecent();
const id = jobIdFromUrl();
if (id) reopen(id);
