// The jigsaw page: cut the chosen photo's centre square into 3 x 3 tiles, shuffle them (randomly
// or by hand), send the shuffled image to POST /api/v1/jigsaw with shuffled=true, and move each
// tile where the network says it belongs. The page knows the true order, so it can score it.

import { API, ApiError, hasEndpoint, messageOf, modelStatus, statusText, upload, waitForJob } from './api.js';
import { attachDropzone } from './dropzone.js';
import { canvasBlob, loadBitmap, squareCrop } from './images.js';
import { Board, isPermutation, N, randomOrder } from './jigsaw-board.js';
import { Notice, tooLarge } from './notice.js';
import { clearChosen, renderSamples } from './samples.js';

const SIDE = 3 * 128; // the puzzle image sent to the network, in pixels
const ENDPOINT = `${API}/jigsaw`;
const WHAT = 'Solving the puzzle';

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), puzzle: $('puzzle'),
  shuffle: $('shuffle'), solve: $('solve'), reset: $('reset'), score: $('score'),
  availability: $('availability'),
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
  setBusy(false);
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
      what: WHAT, signal, onStatus: (status, s) => notice.say(statusText(status, s, 'puzzle')),
    });
    const { permutation, confidence } = job.result || {};
    if (!isPermutation(permutation)) {
      throw new ApiError(500, '', 'The server answered with something that is not an arrangement of the nine tiles.');
    }
    board.setOrder(truth); // in case anything moved meanwhile
    const right = board.showSolution(permutation, confidence);
    notice.busy(false);
    const mean = confidence?.length ? confidence.reduce((s, c) => s + c, 0) / confidence.length : NaN;
    const sure = Number.isFinite(mean) ? ` Its mean confidence was ${Math.round(mean * 100)}%.` : '';
    notice.say(`The network put ${right} of ${N} tiles in their right place.${sure}`);
    els.score.textContent = right === N ? `Solved: ${right} of ${N} right` : `${right} of ${N} tiles right`;
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

attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  choose(file);
});
renderSamples(els.samples, choose, (err) => notice.error(messageOf(err)));
els.shuffle.addEventListener('click', shuffle);
els.reset.addEventListener('click', () => {
  board.setOrder([...Array(N).keys()]);
  say('The original photo: every tile in its place.');
});
els.solve.addEventListener('click', solve);
checkAvailability();
