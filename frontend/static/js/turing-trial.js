// The trial page: show a pair (both images loaded before either appears), take a click or a key,
// send the vote, give feedback in practice trials only, and move on to the end page when done.
// Neither side gets the focus (its ring would favour it); on a phone held upright the pair stacks,
// top and bottom, each photo as wide as the screen.

import { ApiError, logError, messageOf, request } from './api.js';
import { reveal } from './reveal.js';
import { TURING, getJSON, postJSON, say, sessionIdFromUrl } from './turing-common.js';

const sessionId = sessionIdFromUrl();
const buttons = { left: document.getElementById('choose-left'), right: document.getElementById('choose-right') };
const images = { left: document.getElementById('img-left'), right: document.getElementById('img-right') };
const feedback = document.getElementById('feedback');
const nextActions = document.getElementById('next-actions');
const nextButton = document.getElementById('next');
const progress = document.getElementById('progress');
const pair = document.getElementById('pair');
// The same query as turing.css's: there the photos stack, and "left" is the top one.
const stacked = window.matchMedia('(max-width: 600px) and (orientation: portrait)');

let trial = null;
let shownAt = 0;
let hideTimer = 0;
let accepting = false;
let pending = null; // the session to show after practice feedback
let urls = [];

/** "left"/"right" as the person sees the sides: "top"/"bottom" when the pair is stacked. */
function sideName(side) {
  if (!stacked.matches) return side;
  return side === 'left' ? 'top' : 'bottom';
}

function labelSides() {
  buttons.left.setAttribute('aria-label', stacked.matches
    ? 'The top photo is real (key 1 or up arrow)' : 'The left photo is real (key 1 or left arrow)');
  buttons.right.setAttribute('aria-label', stacked.matches
    ? 'The bottom photo is real (key 2 or down arrow)' : 'The right photo is real (key 2 or right arrow)');
}

/** Hold the keyboard's place on the pair itself: keys 1/2 and the arrows answer from anywhere. */
function focusPair() {
  pair.focus({ preventScroll: true });
}

/** A page that cannot show a trial says why and offers a way to start, instead of empty frames. */
function noSession(why) {
  document.getElementById('no-session-why').textContent = why;
  document.getElementById('no-session').hidden = false;
  document.getElementById('pair-panel').hidden = true;
  progress.hidden = true;
  say('where', 'No test in progress');
}

function setAccepting(on) {
  accepting = on;
  for (const b of Object.values(buttons)) b.disabled = !on;
}

function showProgress(session) {
  progress.max = session.progress.total;
  progress.value = session.progress.done;
  if (!session.trial) return;
  const t = session.trial;
  const phase = t.phase === 'practice' ? 'practice, with feedback' : 'test, no feedback';
  say('where', `Trial ${t.number} of ${session.progress.total} · ${phase}`);
}

async function blobUrl(url) {
  const response = await request(url, { what: 'Loading the photos' });
  return URL.createObjectURL(await response.blob());
}

async function show(session) {
  showProgress(session);
  trial = session.trial;
  feedback.textContent = '';
  feedback.className = 'turing-feedback';
  nextActions.hidden = true;
  for (const side of ['left', 'right']) {
    buttons[side].classList.remove('picked', 'real');
    images[side].hidden = true;
  }
  urls.forEach((u) => URL.revokeObjectURL(u));
  urls = [];
  // Both images are fetched and decoded before either is shown, so they appear at the same moment.
  try {
    urls = await Promise.all([blobUrl(trial.images.left), blobUrl(trial.images.right)]);
  } catch (err) {
    // Timed mode serves each image once (410 after that): after a reload the pair is gone, but the trial
    // can still be answered from memory.
    if (!(err instanceof ApiError && err.status === 410)) throw err;
    shownAt = performance.now();
    setAccepting(true);
    say('status', 'This pair has already been shown (timed mode shows each pair once). Which one was real?');
    focusPair();
    return;
  }
  images.left.src = urls[0];
  images.right.src = urls[1];
  await Promise.all([images.left.decode(), images.right.decode()]);
  // The status first (it moves the pair down), then both photos on screen before the clock starts:
  // on a phone the stacked pair may start below it.
  say('status', trial.display_ms ? 'Look closely: the photos disappear after one second.' : 'Which one is real?');
  reveal(pair, 'end', { instant: true });
  images.left.hidden = false;
  images.right.hidden = false;
  shownAt = performance.now();
  setAccepting(true);
  if (trial.display_ms) {
    hideTimer = window.setTimeout(() => {
      images.left.hidden = true;
      images.right.hidden = true;
      say('status', 'Which one was real?');
    }, trial.display_ms);
  }
  focusPair();
}

function finish() {
  window.location.assign(`/turing/end?session=${encodeURIComponent(sessionId)}`);
}

async function choose(side) {
  if (!accepting || !trial) return;
  setAccepting(false);
  window.clearTimeout(hideTimer);
  buttons[side].classList.add('picked');
  const responseMs = Math.round(performance.now() - shownAt);
  try {
    const out = await postJSON(`${TURING}/trials/${trial.id}/vote`, { choice: side, response_ms: responseMs },
      'Recording your choice');
    const session = out.session;
    progress.value = session.progress.done;
    if (out.feedback) {
      images.left.hidden = false;
      images.right.hidden = false;
      buttons[out.feedback.real].classList.add('real');
      const real = sideName(out.feedback.real === 'left' ? 'left' : 'right');
      feedback.textContent = out.feedback.correct
        ? `Right: the ${real} photo is the real one.`
        : `Not this time: the ${real} photo is the real one.`;
      feedback.classList.add(out.feedback.correct ? 'right' : 'wrong');
      say('status', '');
      pending = session;
      nextActions.hidden = false;
      nextButton.textContent = session.trial && session.trial.phase === 'test' ? 'Start the test trials' : 'Next trial';
      nextButton.focus();
      return;
    }
    await advance(session);
  } catch (err) {
    say('alert', messageOf(err));
    setAccepting(true);
  }
}

async function advance(session) {
  if (session.finished || !session.trial) {
    finish();
    return;
  }
  if (session.trial.phase === 'test' && session.trial.number === session.practice_trials + 1) {
    say('status', 'Practice is over: the next trials count, and give no feedback.');
  }
  await show(session);
}

nextButton.addEventListener('click', () => {
  const session = pending;
  pending = null;
  if (session) advance(session).catch((err) => say('alert', messageOf(err)));
});

for (const [side, button] of Object.entries(buttons)) button.addEventListener('click', () => choose(side));

document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  // Up and down stand for top and bottom only where the pair is stacked (elsewhere they scroll).
  if (event.key === 'ArrowLeft' || event.key === '1' || (stacked.matches && event.key === 'ArrowUp')) {
    event.preventDefault();
    choose('left');
  } else if (event.key === 'ArrowRight' || event.key === '2' || (stacked.matches && event.key === 'ArrowDown')) {
    event.preventDefault();
    choose('right');
  }
});

async function main() {
  if (!sessionId) {
    noSession('This page shows the trials of a test you have started, and its address names none. '
      + 'Start a test (it takes about five minutes), or see how others did.');
    return;
  }
  try {
    const session = await getJSON(`${TURING}/sessions/${sessionId}`, 'Loading the session');
    if (session.finished) {
      finish();
      return;
    }
    await show(session);
  } catch (err) {
    if (err instanceof ApiError && [403, 404].includes(err.status)) {
      logError(err);
      noSession('This test session is not one of this browser\'s, or it no longer exists. Start a new one.');
      return;
    }
    say('alert', messageOf(err));
  }
}

labelSides();
stacked.addEventListener('change', labelSides);
main();
