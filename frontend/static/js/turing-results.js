// The results page: GET /api/v1/turing/stats as a summary and two tables. A rate is shown with its
// 95% interval as a bar, and a photo with too few votes says so rather than showing 1 of 1 as 100%.

import { messageOf } from './api.js';
import { TURING, getJSON, percent, rateText, say } from './turing-common.js';

// Below this many votes a rate is mostly noise (1 of 1 has a 95% interval of 21-100%).
export const MIN_VOTES = 5;

const REASONS = {
  attention_checks: 'attention checks', too_fast: 'too fast', one_side: 'always one side', prefers_fake: 'picked the fake too often',
};

function cell(row, content, num = false) {
  const td = document.createElement('td');
  td.append(content);
  if (num) td.className = 'num';
  row.append(td);
  return td;
}

function fill(tableId, items, columns) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren();
  if (!items.length) {
    const row = body.insertRow();
    const td = document.createElement('td');
    td.colSpan = columns;
    td.textContent = 'No test votes yet.';
    row.append(td);
  }
  return body;
}

/** The rate with its interval drawn as a bar (the interval) and a tick (the rate), over 0..100%. */
function rateCell(r) {
  const wrap = document.createElement('div');
  wrap.className = 'rate';
  const text = document.createElement('span');
  if (r.total < MIN_VOTES) {
    text.textContent = `too few votes to tell${r.ci95 ? ` (95% CI ${percent(r.ci95[0])}–${percent(r.ci95[1])})` : ''}`;
    wrap.classList.add('few');
  } else {
    text.textContent = rateText(r);
  }
  wrap.append(text);
  if (r.ci95) {
    const bar = document.createElement('span');
    bar.className = 'ci';
    bar.setAttribute('aria-hidden', 'true');
    const range = document.createElement('span');
    range.className = 'ci-range';
    range.style.left = `${r.ci95[0] * 100}%`;
    range.style.width = `${(r.ci95[1] - r.ci95[0]) * 100}%`;
    const half = document.createElement('span');
    half.className = 'ci-half'; // 50%: a fake that cannot be told from the real photo
    bar.append(range, half);
    if (r.rate != null && r.total >= MIN_VOTES) {
      const tick = document.createElement('span');
      tick.className = 'ci-rate';
      tick.style.left = `${r.rate * 100}%`;
      bar.append(tick);
    }
    wrap.append(bar);
  }
  return wrap;
}

/** The photo's name, with its thumbnail when the statistics give an image URL for it. */
function photoCell(p) {
  const wrap = document.createElement('span');
  wrap.className = 'photo-name';
  const src = p.thumbnail_url || p.links?.thumbnail || p.image_url || null;
  if (src) {
    const img = document.createElement('img');
    img.src = src;
    img.alt = '';
    img.loading = 'lazy';
    wrap.append(img);
  }
  wrap.append(p.photo);
  return wrap;
}

/** Most fooling first, judged by the interval's lower end, so one lucky vote does not lead. */
function byEvidence(a, b) {
  const low = (r) => (r.total >= MIN_VOTES && r.ci95 ? r.ci95[0] : -1);
  return low(b) - low(a) || b.total - a.total || (b.rate ?? 0) - (a.rate ?? 0);
}

async function main() {
  try {
    const stats = await getJSON(`${TURING}/stats`, 'Loading the statistics');
    const summary = document.getElementById('summary');
    const reasons = Object.entries(stats.exclusions?.reasons || {}).filter(([, n]) => n > 0)
      .map(([k, n]) => `${REASONS[k] || k}: ${n}`);
    const entries = [
      ['Fooling rate', rateText(stats.fooling_rate)],
      ['Test votes counted', String(stats.fooling_rate.total)],
      ['Participants', `${stats.participants.total} (${stats.participants.excluded} left out${reasons.length ? `: ${reasons.join(', ')}` : ''})`],
      ['Attention checks passed', rateText(stats.attention_checks)],
      ['Finished sessions', String(stats.sessions_finished)],
    ];
    summary.replaceChildren();
    for (const [k, v] of entries) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      summary.append(dt, dd);
    }
    const models = fill('models', stats.models, 5);
    for (const m of stats.models) {
      const row = models.insertRow();
      cell(row, m.model);
      cell(row, m.version);
      cell(row, String(m.total), true);
      cell(row, String(m.count), true);
      cell(row, rateCell(m));
    }
    const photos = fill('photos', stats.photos, 4);
    for (const p of [...stats.photos].sort(byEvidence).slice(0, 25)) {
      const row = photos.insertRow();
      cell(row, photoCell(p));
      cell(row, String(p.total), true);
      cell(row, String(p.count), true);
      cell(row, rateCell(p));
    }
    say('status', stats.votes ? '' : `No finished sessions yet; ${percent(null)} everywhere until someone finishes one.`);
  } catch (err) {
    say('alert', messageOf(err));
  }
}

main();
