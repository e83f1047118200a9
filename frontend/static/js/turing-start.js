// The start page: says whether the photo pool is ready, then starts a session in the chosen mode.

import { messageOf } from './api.js';
import { TURING, getJSON, postJSON, say } from './turing-common.js';

const form = document.getElementById('start-form');
const start = document.getElementById('start');

async function checkPool() {
  try {
    const pool = await getJSON(`${TURING}/pool`, 'Reading the photo pool');
    if (!pool.empty) {
      say('status', `${pool.ready} photo${pool.ready === 1 ? '' : 's'} ready for the test.`);
      start.disabled = false;
      return;
    }
    start.disabled = true;
    const making = pool.queued ? ` The network is colouring ${pool.queued} photo${pool.queued === 1 ? '' : 's'} now; this page checks again in a few seconds.` : '';
    say('status', 'The photo pool is empty: no photo has a colorized version yet, so the test cannot start. '
      + 'Add photos with `pretext turing import DIR` (make run fills an empty pool by itself).' + making);
    if (pool.queued) setTimeout(checkPool, 3000);
  } catch (err) {
    say('alert', messageOf(err));
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  start.disabled = true;
  say('alert', '');
  const mode = new FormData(form).get('mode') || 'timed';
  try {
    const session = await postJSON(`${TURING}/sessions`, { mode }, 'Starting the test');
    window.location.assign(`/turing/trial?session=${encodeURIComponent(session.id)}`);
  } catch (err) {
    say('alert', messageOf(err));
    start.disabled = false;
  }
});

start.disabled = true;
checkPool();
