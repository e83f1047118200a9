// What the Turing-test pages share: the API paths, JSON calls and how rates are written.

import { API, request } from './api.js';

export const TURING = `${API}/turing`;

export async function getJSON(url, what) {
  return (await request(url, { what, headers: { Accept: 'application/json' } })).json();
}

export async function postJSON(url, body, what) {
  const response = await request(url, {
    what,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return response.json();
}

export function percent(x, digits = 0) {
  return x == null ? '–' : `${(100 * x).toFixed(digits)}%`;
}

/** "41% (95% CI 35–47%)" from the API's {rate, ci95}. */
export function rateText(r) {
  if (!r || r.rate == null) return 'no votes yet';
  const ci = r.ci95 ? ` (95% CI ${percent(r.ci95[0])}–${percent(r.ci95[1])})` : '';
  return `${percent(r.rate, 1)}${ci}`;
}

export function sessionIdFromUrl() {
  const id = new URLSearchParams(window.location.search).get('session') || '';
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}

export function say(id, text) {
  document.getElementById(id).textContent = text;
}
