// The results page: GET /api/v1/turing/stats as a summary and two tables.

import { messageOf } from './api.js';
import { TURING, getJSON, percent, rateText, say } from './turing-common.js';

function cell(row, text, num = false) {
  const td = document.createElement('td');
  td.textContent = text;
  if (num) td.className = 'num';
  row.append(td);
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

async function main() {
  try {
    const stats = await getJSON(`${TURING}/stats`, 'Loading the statistics');
    const summary = document.getElementById('summary');
    const entries = [
      ['Fooling rate', rateText(stats.fooling_rate)],
      ['Test votes counted', String(stats.fooling_rate.total)],
      ['Participants', `${stats.participants.total} (${stats.participants.excluded} left out for failing attention checks)`],
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
      cell(row, rateText(m), true);
    }
    const photos = fill('photos', stats.photos, 4);
    for (const p of stats.photos.slice(0, 25)) {
      const row = photos.insertRow();
      cell(row, p.photo);
      cell(row, String(p.total), true);
      cell(row, String(p.count), true);
      cell(row, rateText(p), true);
    }
    say('status', stats.votes ? '' : `No finished sessions yet; ${percent(null)} everywhere until someone finishes one.`);
  } catch (err) {
    say('alert', messageOf(err));
  }
}

main();
