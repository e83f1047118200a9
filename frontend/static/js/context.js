// The context page: a game of "where does this piece go?" against the network. The page cuts a centre
// patch and one of its eight neighbours (at the model's gap ratio) from the chosen photo, shows the piece
// alone, and at the same time asks POST /api/v1/context with the same box and position. The person
// guesses on a 3 x 3 grid; then the network's probabilities shade the grid, the truth is marked and a
// running score says who was right more often.

import { API, ApiError, hasEndpoint, messageOf, modelStatus, statusText, upload, waitForJob } from './api.js';
import { attachDropzone } from './dropzone.js';
import { canvasBlob, drawScaled, fitSize, loadBitmap, makeCanvas } from './images.js';
import { Notice, tooLarge } from './notice.js';
import { reveal } from './reveal.js';
import { clearChosen, renderSamples } from './samples.js';

const ENDPOINT = `${API}/context`;
const WHAT = 'Asking the network';
const LONG_SIDE = 800; // the photo is played (and sent) at this long side at most
const MIN_SIDE = 8; // the API's smallest patch side
const DEFAULT_RATIO = 12 / 32; // gap / patch of the training default, until the card says
const PIECE_SIDE = 200; // the enlarged piece, canvas pixels
// Row-major around the centre, as the API's positions: [dy, dx] and a name.
const POSITIONS = [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]];
const NAMES = ['top left', 'top', 'top right', 'left', 'right', 'bottom left', 'bottom', 'bottom right'];

const $ = (id) => document.getElementById(id);
const els = {
  file: $('file'), dropzone: $('dropzone'), samples: $('samples'), game: $('game'), frame: $('photo-frame'),
  photo: $('photo'), centreOutline: $('centre-outline'), pieceOutline: $('piece-outline'), size: $('size'),
  sizeValue: $('size-value'), piece: $('piece'), grid: $('guess-grid'), verdict: $('verdict'), next: $('next'),
  score: $('score'), availability: $('availability'),
};
const notice = new Notice();

let ratio = DEFAULT_RATIO;
let unavailable = ''; // why the network cannot answer here, if it cannot
let photo = null; // the playing canvas (long side <= LONG_SIDE)
let photoBlob = null; // its PNG, sent with every round
let box = null; // the centre patch {x, y, side}, in the playing canvas's pixels
let round = null; // {id, position, other, job (a promise), guess, revealed}
let rounds = 0;
const score = { person: 0, network: 0, scored: 0 };
let controller = null;
let cells = []; // cells[k]: the grid button of position k

/** Pixels between the corners of adjacent patches of this side (rounded half up, as the server). */
function step(side, gapRatio = ratio) {
  return side + Math.floor(side * gapRatio + 0.5);
}

/** The largest side whose 3 x 3 grid fits `short` pixels (0 if none). */
function largestSide(short, gapRatio = ratio) {
  let side = Math.floor(short / (3 + 2 * gapRatio)) + 1;
  while (side > 0 && side + 2 * step(side, gapRatio) > short) side -= 1;
  return side;
}

function clamp(v, lo, hi) {
  return Math.max(lo, Math.min(hi, v));
}

/** The centre box of side `side` centred as near (cx, cy) as keeps its whole grid on the photo. */
function boxAt(cx, cy, side) {
  const s = step(side);
  return {
    x: clamp(Math.round(cx - side / 2), s, photo.width - side - s),
    y: clamp(Math.round(cy - side / 2), s, photo.height - side - s),
    side,
  };
}

function neighbour(centre, position) {
  const [dy, dx] = POSITIONS[position];
  const s = step(centre.side);
  return { x: centre.x + dx * s, y: centre.y + dy * s, side: centre.side };
}

function randomPosition() {
  const values = new Uint32Array(1);
  crypto.getRandomValues(values);
  return values[0] % POSITIONS.length;
}

function percent(p) {
  return `${(Number(p) * 100).toFixed(1)}%`;
}

async function checkAvailability() {
  const [endpoint, model] = await Promise.all([hasEndpoint(ENDPOINT), modelStatus('context')]);
  const card = model?.card;
  if (card && Number(card.patch) > 0 && Number(card.gap) >= 0) ratio = Number(card.gap) / Number(card.patch);
  if (endpoint === false) {
    unavailable = 'The network cannot play here: this server has no context endpoint (POST /api/v1/context). '
      + 'You can still guess; the page knows where each piece came from.';
  } else if (model && !model.available) {
    unavailable = 'The network cannot play here: the context model is not installed on this server '
      + '(export one with “pretext export context”). You can still guess; the page knows where each piece came from.';
  }
  if (unavailable) {
    els.availability.textContent = unavailable;
    els.availability.hidden = false;
  }
}
const availability = checkAvailability();

/** Position an outline over the photo for a box in photo pixels. */
function place(outline, b) {
  outline.style.left = `${(b.x / photo.width) * 100}%`;
  outline.style.top = `${(b.y / photo.height) * 100}%`;
  outline.style.width = `${(b.side / photo.width) * 100}%`;
  outline.style.height = `${(b.side / photo.height) * 100}%`;
}

function crop(b, side) {
  const canvas = makeCanvas(side, side);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(photo, b.x, b.y, b.side, b.side, 0, 0, side, side);
  return canvas;
}

function buildGrid() {
  cells = [];
  const items = [];
  for (let cell = 0; cell < 9; cell += 1) {
    if (cell === 4) {
      const centre = document.createElement('div');
      centre.className = 'context-cell centre';
      centre.id = 'centre-cell';
      centre.setAttribute('role', 'img');
      centre.setAttribute('aria-label', 'The centre patch');
      items.push(centre);
      continue;
    }
    const k = cell < 4 ? cell : cell - 1;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'context-cell';
    button.dataset.position = String(k);
    button.setAttribute('aria-label', `Guess: ${NAMES[k]}`);
    const shade = document.createElement('span');
    shade.className = 'shade';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = NAMES[k];
    const value = document.createElement('span');
    value.className = 'percent';
    const tags = document.createElement('span');
    tags.className = 'tags';
    button.append(shade, name, value, tags);
    button.addEventListener('click', () => guess(k));
    cells.push(button);
    items.push(button);
  }
  els.grid.replaceChildren(...items);
}

function resetGrid() {
  for (const [k, button] of cells.entries()) {
    button.disabled = false;
    button.classList.remove('guess', 'truth', 'network');
    button.querySelector('.shade').style.opacity = '0';
    button.querySelector('.percent').textContent = '';
    button.querySelector('.tags').textContent = '';
    button.setAttribute('aria-label', `Guess: ${NAMES[k]}`);
  }
  $('centre-cell').replaceChildren(crop(box, 96));
}

function showScore() {
  const n = score.scored;
  els.score.textContent = `You ${score.person} of ${rounds} · Network ${unavailable ? '—' : `${score.network} of ${n}`}`;
}

/** Send this round's question; resolves with the finished job (or null when the network cannot play). */
async function ask(position, signal) {
  await availability;
  if (unavailable) return null;
  const form = new FormData();
  form.append('image', photoBlob, 'photo.png');
  form.append('box', `${box.x},${box.y},${box.side}`);
  form.append('position', String(position));
  const accepted = await upload(ENDPOINT, form, { what: WHAT, signal });
  return waitForJob(accepted, { what: WHAT, signal, onStatus: (status, s, j) => {
    if (round?.guess != null) notice.say(statusText(status, s, 'question', j?.queue));
  } });
}

/** A new piece around the current box: a random position, shown at once, asked of the network meanwhile. */
function deal() {
  controller?.abort();
  controller = new AbortController();
  const position = randomPosition();
  const other = neighbour(box, position);
  const id = (round?.id ?? 0) + 1;
  round = { id, position, other, guess: null, revealed: false, job: null };
  const job = ask(position, controller.signal);
  job.catch(() => {}); // handled when the answer is shown
  round.job = job;
  place(els.centreOutline, box);
  els.pieceOutline.hidden = true;
  const ctx = els.piece.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.clearRect(0, 0, PIECE_SIDE, PIECE_SIDE);
  ctx.drawImage(crop(other, PIECE_SIDE), 0, 0);
  resetGrid();
  els.verdict.textContent = '';
  els.next.disabled = true;
  notice.say('Where does the piece go? Pick one of the eight places around the centre patch.');
}

async function guess(k) {
  const current = round;
  if (!current || current.guess != null) return;
  current.guess = k;
  rounds += 1;
  if (k === current.position) score.person += 1;
  for (const button of cells) button.disabled = true;
  cells[k].classList.add('guess');
  els.next.disabled = false;
  let job = null;
  let failure = '';
  try {
    if (!unavailable) {
      notice.say('Your guess is in. Waiting for the network’s answer…');
      notice.busy(true);
    }
    job = await current.job;
    if (job && job.result?.truth !== current.position) {
      throw new ApiError(500, '', 'The server placed the piece somewhere else than the page did, so its answer is not shown.');
    }
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) {
      els.availability.textContent = err.message;
      els.availability.hidden = false;
    }
    failure = messageOf(err);
    job = null;
  }
  if (current !== round) return; // another piece was dealt meanwhile
  showAnswer(current, job?.result || null);
  if (failure) notice.error(failure);
}

/** Reveal the round: the truth, the person's and the network's picks, the probabilities as shading. */
function showAnswer(current, result) {
  current.revealed = true;
  notice.busy(false);
  const truth = current.position;
  const probs = Array.isArray(result?.probabilities) && result.probabilities.length === 8
    ? result.probabilities.map(Number) : null;
  const best = probs ? Math.max(...probs) : 1;
  const predicted = probs ? probs.indexOf(best) : null;
  if (probs) {
    score.scored += 1;
    if (predicted === truth) score.network += 1;
  }
  for (const [k, button] of cells.entries()) {
    const tags = [];
    if (k === truth) tags.push('✓ here');
    if (k === current.guess) tags.push('you');
    if (k === predicted) tags.push('network');
    button.classList.toggle('truth', k === truth);
    button.classList.toggle('network', k === predicted);
    button.querySelector('.tags').textContent = tags.join(' · ');
    if (probs) {
      button.querySelector('.shade').style.opacity = String(0.1 + 0.5 * (probs[k] / best));
      button.querySelector('.percent').textContent = percent(probs[k]);
    }
    button.setAttribute('aria-label', `${NAMES[k]}${probs ? `: ${percent(probs[k])}` : ''}${tags.length ? ` (${tags.join(', ')})` : ''}`);
  }
  place(els.pieceOutline, current.other);
  els.pieceOutline.hidden = false;
  const you = current.guess === truth ? 'You were right' : `You said ${NAMES[current.guess]}`;
  const net = !probs ? '' : predicted === truth
    ? ` The network was right too, with ${percent(best)}.` : ` The network said ${NAMES[predicted]} (${percent(best)}).`;
  els.verdict.textContent = `${you}: the piece was ${NAMES[truth]} of the centre.${net}`;
  showScore();
  notice.say(probs ? 'The network’s probabilities shade the grid. Press “Next piece” for another.'
    : 'Press “Next piece” for another.');
  els.next.focus({ preventScroll: true });
}

function setSize(side, cx, cy) {
  box = boxAt(cx, cy, side);
  els.size.value = String(side);
  els.sizeValue.textContent = `${side} px`;
  place(els.centreOutline, box);
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
  await availability;
  const [w, h] = fitSize(bitmap.width, bitmap.height, LONG_SIDE);
  const largest = largestSide(Math.min(w, h));
  if (largest < MIN_SIDE) {
    notice.error(`This photo is too small: ${bitmap.width} × ${bitmap.height} pixels leave no room for a 3 × 3 grid `
      + `of patches of at least ${MIN_SIDE} pixels.`);
    return;
  }
  photo = drawScaled(bitmap, w, h);
  photoBlob = await canvasBlob(photo);
  els.photo.width = w;
  els.photo.height = h;
  els.photo.getContext('2d').drawImage(photo, 0, 0);
  els.frame.style.setProperty('--aspect', String(w / h));
  els.size.min = String(Math.max(MIN_SIDE, Math.round(largest / 4)));
  els.size.max = String(largest);
  const side = Math.max(Number(els.size.min), Math.round(largest * 0.75));
  setSize(side, w / 2, h / 2);
  els.game.hidden = false;
  deal();
  reveal(els.game); // on a phone the game starts below the screen
}

/** A click or tap on the photo moves the centre patch there and deals a new piece. */
function moveTo(event) {
  if (!photo) return;
  const r = els.photo.getBoundingClientRect();
  const cx = ((event.clientX - r.left) / r.width) * photo.width;
  const cy = ((event.clientY - r.top) / r.height) * photo.height;
  setSize(box.side, cx, cy);
  deal();
}

function centreOf(b) {
  return [b.x + b.side / 2, b.y + b.side / 2];
}

els.piece.width = PIECE_SIDE;
els.piece.height = PIECE_SIDE;
buildGrid();
attachDropzone(els.dropzone, els.file, (file) => {
  clearChosen(els.samples);
  choose(file);
});
renderSamples(els.samples, choose, (err) => notice.error(messageOf(err)));
els.frame.addEventListener('click', moveTo);
els.size.addEventListener('input', () => {
  if (box) setSize(Number(els.size.value), ...centreOf(box));
});
els.size.addEventListener('change', () => {
  if (box) deal();
});
els.next.addEventListener('click', () => {
  if (box) deal();
});
showScore();
