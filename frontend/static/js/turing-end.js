// The end page: the participant's own score, whether their answers count in the published fooling
// rate (and if not, why), then the current fooling rate of everyone.

import { ApiError, logError, messageOf } from './api.js';
import { TURING, getJSON, percent, rateText, say, sessionIdFromUrl } from './turing-common.js';

// What each of the server's exclusion reasons (app/turing/screening.py) means, in plain words.
const REASONS = {
  attention_checks: 'too few of the easy attention-check pairs were answered right',
  too_fast: 'the answers came faster than a person can look at a pair',
  one_side: 'the same side was chosen in every trial',
  prefers_fake: 'the colorized photo was picked far more often than chance allows',
};

/**
 * Whether this participant counts, as a sentence (and a flag for the page's styling). The session's
 * `score.excluded` and `score.exclusion_reasons` say so when the server sends them; without them, the
 * page can judge only the attention checks of this session, against the server's `attention_pass_min`.
 */
export function countsText(score, stats) {
  if (typeof score.excluded === 'boolean') {
    if (!score.excluded) return { excluded: false, text: 'Your answers count in the published fooling rate.' };
    const why = (score.exclusion_reasons || []).map((r) => REASONS[r] || r.replaceAll('_', ' '));
    return {
      excluded: true,
      text: `Your answers are not counted in the published fooling rate${why.length ? `: ${why.join('; ')}` : ''}. `
        + 'This keeps the figure about what people see, as in the paper.',
    };
  }
  const checks = score.attention_checks || {};
  const min = Number(stats?.attention_pass_min);
  if (checks.total && Number.isFinite(min) && checks.passed / checks.total < min) {
    return {
      excluded: true,
      text: `Your answers are not counted in the published fooling rate: you answered ${checks.passed} of the `
        + `${checks.total} attention-check pairs right, and the statistics count only people who get at least `
        + `${percent(min)} of them (as in the paper). Those pairs are the easy ones, with obviously wrong colours.`,
    };
  }
  // The server's other checks (speed, one side only) are not in the session's answer: said as a condition.
  return {
    excluded: false,
    text: 'You passed the attention checks, so your answers count in the published fooling rate (unless they came '
      + 'faster than a person can look, or all on one side).',
  };
}

async function main() {
  const id = sessionIdFromUrl();
  if (!id) {
    say('alert', 'This page shows the result of a test you have taken, and its address names none. Start one on the Turing test page.');
    return;
  }
  try {
    const [session, stats] = await Promise.all([
      getJSON(`${TURING}/sessions/${id}`, 'Loading your result'),
      getJSON(`${TURING}/stats`, 'Loading the statistics').catch((err) => {
        logError(err); // the score is still worth showing without them
        return null;
      }),
    ]);
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
    const counts = countsText(s, stats);
    const verdict = document.getElementById('counts');
    verdict.textContent = counts.text;
    verdict.classList.toggle('excluded', counts.excluded);
    document.getElementById('score-panel').hidden = false;
    if (!stats) return;
    const n = stats.participants.included;
    say('overall', stats.fooling_rate.total
      ? `Current fooling rate: ${rateText(stats.fooling_rate)}, over ${stats.fooling_rate.total} test votes from ${n} participant${n === 1 ? '' : 's'}.`
      : 'Current fooling rate: no test votes count yet (participants who fail the attention checks are left out).');
    document.getElementById('overall-panel').hidden = false;
  } catch (err) {
    if (err instanceof ApiError && [403, 404].includes(err.status)) {
      logError(err);
      say('alert', 'This result is not one of this browser\'s tests, or it no longer exists. Start a new test on the Turing test page.');
      return;
    }
    say('alert', messageOf(err));
  }
}

main();
