// The trial page: show a pair (both images loaded before either appears), take a click or a key,
// send the vote, give feedback in practice trials only, and move on to the end page when done.

import { messageOf, request } from './api.js';
import { TURING, getJSON, postJSON, say, sessionIdFromUrl } from './turing-common.js';

const sessionId = sessionIdFromUrl();
const buttons = { left: document.getElementById('choose-left'), right: document.getElementById('choose-right') };
const images = { left: document.getElementById('img-left'), right: document.getElementById('img-right') };
const feedback = document.getElementById('feedback');
const nextActions = document.getElementById('next-actions');
const nextButton = document.getElementById('next');
const progress = document.getElementById('progress');

let trial = null;
let shownAt = 0;
let hideTimer = 0;
let accepting = false;
let pending = null; // the session to show after practice feedback
let urls = [];

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
  // Both images are fetched and decoded before either is shown, so they appear at the same moment.
  urls = await Promise.all([blobUrl(trial.images.left), blobUrl(trial.images.right)]);
  images.left.src = urls[0];
  images.right.src = urls[1];
  await Promise.all([images.left.decode(), images.right.decode()]);
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
  say('status', trial.display_ms ? 'Look closely: the photos disappear after one second.' : 'Which one is real?');
  buttons.left.focus();
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
      const real = out.feedback.real === 'left' ? 'left' : 'right';
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
  if (event.key === 'ArrowLeft' || event.key === '1') {
    event.preventDefault();
    choose('left');
  } else if (event.key === 'ArrowRight' || event.key === '2') {
    event.preventDefault();
    choose('right');
  }
});

async function main() {
  if (!sessionId) {
    say('alert', 'This page needs a session: start one on the Turing test page.');
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
    say('alert', messageOf(err));
  }
}

main();
