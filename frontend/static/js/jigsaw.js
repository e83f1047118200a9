// The jigsaw page: cut the chosen photo's centre square into 3 x 3 tiles, shuffle them (randomly
// or by hand), send the shuffled image to POST /api/v1/jigsaw with shuffled=true, and move each
// tile where the network says it belongs. The page knows the true order, so it can score it; the
// solved puzzle gets its own URL (?job=ID&truth=ORDER), which rebuilds it while the server stores it.

import { API, ApiError, getJSON, hasEndpoint, messageOf, modelStatus, request, statusText, upload, waitForJob } from './api.js';
import { attachDropzone } from './dropzone.js';
import { canvasBlob, loadBitmap, makeCanvas, squareCrop } from './images.js';
import { Board, GRID, isPermutation, N, randomOrder } from './jigsaw-board.js';
import { clearJobFromUrl, jobIdFromUrl, showJobInUrl, urlParam } from './job-link.js';
import { Notice, tooLarge } from './notice.js';
import { forgetExpired, remember, renderRecent, thumbnail } from './recent.js';
import { reveal } from './reveal.js';
import { clearChosen, renderSamples } from './samples.js';

const SIDE = 3 * 128; // the puzzle image sent to the network, in pixels
const ENDPOINT = `${API}/jigsaw`;
const WHAT = 'Solving the puzzle';

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), puzzle: $('puzzle'),
  shuffle: $('shuffle'), solve: $('solve'), reset: $('reset'), score: $('score'),
  availability: $('availability'), recent: $('recent'),
};
const notice = new Notice();
const board = new Board($('board'), { onSwap: (i, j) => swapped(i, j) });
let unavailable = ''; // why the network cannot solve puzzles here, if it cannot
let controller = null;

function say(text) {
  els.score.textContent = '';
  notice.say(text);
}

function setUnavailable(reason) {
  unavailable = reason;
  els.availability.textContent = reason;
  els.availability.hidden = false;
  els.solve.disabled = true;
}

async function checkAvailability() {
  const endpoint = await hasEndpoint(ENDPOINT);
  if (endpoint === false) {
    setUnavailable('Solving is not available yet: this server has no jigsaw endpoint (POST /api/v1/jigsaw). '
      + 'You can still shuffle a photo and solve it yourself.');
    return;
  }
  const model = await modelStatus('jigsaw');
  if (model && !model.available) {
    setUnavailable('Solving is not available: the jigsaw model is not installed on this server '
      + '(export one with “pretext export jigsaw”). You can still shuffle a photo and solve it yourself.');
  }
}

async function choose(file) {
  const problem = tooLarge(file);
  if (problem) {
    notice.error(problem);
    return;
  }
  controller?.abort();
  let bitmap;
  try {
    bitmap = await loadBitmap(file);
  } catch {
    notice.error(`${file.name} is not an image this browser can read. Use a JPEG, PNG, WebP, GIF or BMP photo.`);
    return;
  }
  board.setImage(squareCrop(bitmap, SIDE));
  els.puzzle.hidden = false;
  clearJobFromUrl(); // a new puzzle: the address of the last solved one no longer describes the page
  setBusy(false);
  reveal(els.puzzle); // on a phone the board starts below the screen
  // Shuffle on the next frame, so the tiles visibly fly apart from the whole photo.
  requestAnimationFrame(() => requestAnimationFrame(() => shuffle()));
}

function shuffle() {
  board.setOrder(randomOrder());
  say(`Shuffled: ${board.inPlace()} of ${N} tiles are in their place. ${unavailable ? 'Swap tiles to solve it yourself.' : 'Press “Let the network solve it”.'}`);
}

function swapped(i, j) {
  const n = board.inPlace();
  say(n === N ? 'Solved: every tile is in its place.'
    : `Swapped the tiles at positions ${i + 1} and ${j + 1}: ${n} of ${N} tiles are in their place.`);
}

function setBusy(busy) {
  board.locked = busy;
  els.shuffle.disabled = busy;
  els.reset.disabled = busy;
  els.solve.disabled = busy || Boolean(unavailable);
}

async function solve() {
  if (unavailable) return;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const truth = [...board.order];
  setBusy(true);
  board.clearMarks();
  try {
    notice.say('Sending the shuffled photo…');
    notice.busy(true, 0);
    const form = new FormData();
    form.append('image', await canvasBlob(board.composite()), 'puzzle.png');
    form.append('shuffled', 'true');
    const accepted = await upload(ENDPOINT, form, { what: WHAT, signal, onProgress: (f) => notice.busy(true, f) });
    notice.busy(true);
    const job = await waitForJob(accepted, {
      what: WHAT, signal, onStatus: (status, s, j) => notice.say(statusText(status, s, 'puzzle', j?.queue)),
    });
    board.setOrder(truth); // in case anything moved meanwhile
    showAnswer(job, truth);
    showJobInUrl(job.id, { truth: truth.join('') });
    remember({ kind: 'jigsaw', id: job.id, name: photoName, url: `${window.location.pathname}${window.location.search}`,
      thumb: thumbnail(board.source) });
    showRecent(job.id);
  } catch (err) {
    if (err.name === 'AbortError') return;
    setBusy(false);
    if (err instanceof ApiError && err.status === 404) {
      setUnavailable(err.message); // no endpoint: trying again will not help
    } else if (err instanceof ApiError && err.status === 503) {
      // Busy, queue down or no model: say so by the button too, but let the user retry.
      els.availability.textContent = err.message;
      els.availability.hidden = false;
    }
    notice.error(messageOf(err));
    return;
  }
  setBusy(false);
}

/** Move the tiles where the job put them, score them against `truth`, and bring the board into view. */
function showAnswer(job, truth) {
  const { permutation, confidence } = job.result || {};
  if (!isPermutation(permutation)) {
    throw new ApiError(500, '', 'The server answered with something that is not an arrangement of the nine tiles.');
  }
  const right = board.showSolution(permutation, confidence);
  notice.busy(false);
  const mean = confidence?.length ? confidence.reduce((s, c) => s + c, 0) / confidence.length : NaN;
  const sure = Number.isFinite(mean) ? ` Its mean confidence was ${Math.round(mean * 100)}%.` : '';
  notice.say(`The network put ${right} of ${N} tiles in their right place.${sure}`);
  els.score.textContent = right === N ? `Solved: ${right} of ${N} right` : `${right} of ${N} tiles right`;
  reveal(els.puzzle);
}

/**
 * The original photo from the puzzle the solver saw: the tile at position p shows cell truth[p], so
 * each goes back to its cell.
 */
function unshuffle(puzzle, truth) {
  const side = puzzle.width;
  const cell = side / GRID;
  const canvas = makeCanvas(side, side);
  const ctx = canvas.getContext('2d');
  truth.forEach((c, pos) => {
    ctx.drawImage(puzzle, (pos % GRID) * cell, Math.floor(pos / GRID) * cell, cell, cell,
      (c % GRID) * cell, Math.floor(c / GRID) * cell, cell, cell);
  });
  return canvas;
}

/** Reopen a solved puzzle from its URL: ?job=ID&truth=ORDER (the order the page shuffled to). */
async function reopen(id) {
  try {
    notice.say('Opening your earlier puzzle…');
    notice.busy(true);
    let job = await getJSON(`${API}/jobs/${id}`, { what: 'Opening the puzzle' });
    if (job.kind !== 'jigsaw') throw new ApiError(409, '', `That result is not a jigsaw puzzle (it is a ${job.kind} job).`);
    job = await waitForJob(job, { what: 'Opening the puzzle' });
    // The true order: the page's own (in the URL), or the server's shuffle when it shuffled.
    const given = urlParam('truth').split('').map(Number);
    const truth = isPermutation(given) ? given : isPermutation(job.result.shuffle) ? job.result.shuffle : [...Array(N).keys()];
    const puzzle = await loadBitmap(await (await request(job.links.shuffled, { what: 'Opening the puzzle' })).blob());
    board.setImage(squareCrop(unshuffle(squareCrop(puzzle, SIDE), truth), SIDE));
    board.setOrder(truth);
    els.puzzle.hidden = false;
    setBusy(false);
    showAnswer(job, truth);
    showRecent(job.id);
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (forgetExpired(err, id)) {
      showRecent();
      notice.error('That puzzle is no longer stored on the server (results are kept for a few hours). Choose a photo to make a new one.');
      return;
    }
    notice.error(messageOf(err));
  }
}

function showRecent(currentId = null) {
  renderRecent(els.recent, 'jigsaw', currentId, (entry) => {
    controller?.abort();
    reopen(entry.id);
  });
}

let photoName = 'puzzle';

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  photoName = file.name;
  choose(file);
});
renderSamples(els.samples, (file) => {
  photoName = file.name;
  choose(file);
}, (err) => notice.error(messageOf(err)));
showRecent();
if (jobIdFromUrl()) reopen(jobIdFromUrl());
els.shuffle.addEventListener('click', shuffle);
els.reset.addEventListener('click', () => {
  board.setOrder([...Array(N).keys()]);
  say('The original photo: every tile in its place.');
});
els.solve.addEventListener('click', solve);
checkAvailability();
