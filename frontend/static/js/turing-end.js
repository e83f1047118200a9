// The end page: the participant's own score, then the current fooling rate of everyone.

import { messageOf } from './api.js';
import { TURING, getJSON, percent, rateText, say, sessionIdFromUrl } from './turing-common.js';

async function main() {
  const id = sessionIdFromUrl();
  if (!id) {
    say('alert', 'This page needs a session: start one on the Turing test page.');
    return;
  }
  try {
    const session = await getJSON(`${TURING}/sessions/${id}`, 'Loading your result');
    if (!session.finished) {
      say('status', `This session is not finished yet (${session.progress.done} of ${session.progress.total} answered).`);
      const link = document.createElement('a');
      link.href = `/turing/trial?session=${id}`;
      link.textContent = ' Continue it.';
      document.getElementById('status').append(link);
      return;
    }
    const s = session.score;
    say('score', `You spotted the real photo in ${s.spotted_real} of ${s.test_trials} test trials (${percent(s.test_trials ? s.spotted_real / s.test_trials : null)}).`);
    say('fooled', `The colorizations fooled you ${s.fooled} time${s.fooled === 1 ? '' : 's'}: a fooling rate of ${percent(s.fooled_rate)}.`);
    say('attention', `Attention checks passed: ${s.attention_checks.passed} of ${s.attention_checks.total}.`);
    document.getElementById('score-panel').hidden = false;
    const stats = await getJSON(`${TURING}/stats`, 'Loading the statistics');
    const n = stats.participants.included;
    say('overall', stats.fooling_rate.total
      ? `Current fooling rate: ${rateText(stats.fooling_rate)}, over ${stats.fooling_rate.total} test votes from ${n} participant${n === 1 ? '' : 's'}.`
      : 'Current fooling rate: no test votes count yet (participants who fail the attention checks are left out).');
    document.getElementById('overall-panel').hidden = false;
  } catch (err) {
    say('alert', messageOf(err));
  }
}

main();
