// The browser's own recent results, kept in localStorage (nothing leaves the browser): a short strip
// of links that reopen each result by its job id while the server still stores it.

import { ApiError } from './api.js';
import { fitSize, makeCanvas } from './images.js';
import { clearJobFromUrl } from './job-link.js';

const KEY = 'pretext-lab:recent';
const KEEP = 24; // entries kept over all pages
const SHOWN = 6; // shown on one page
const MAX_AGE_MS = 24 * 3600 * 1000; // the server keeps jobs for hours (PRETEXT_JOB_TTL_S), not days
const THUMB = 96;

function load() {
  try {
    const items = JSON.parse(window.localStorage.getItem(KEY) || '[]');
    const now = Date.now();
    return Array.isArray(items) ? items.filter((r) => r && r.id && now - r.at < MAX_AGE_MS) : [];
  } catch {
    return []; // storage blocked or corrupt: the strip is a convenience, never an error
  }
}

function save(items) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(items.slice(0, KEEP)));
  } catch {
    // full or blocked (private mode): the result itself still works
  }
}

/** A small JPEG data URL of an image or canvas, for the strip. */
export function thumbnail(image) {
  const [w, h] = fitSize(image.width, image.height, THUMB);
  const canvas = makeCanvas(w, h);
  canvas.getContext('2d').drawImage(image, 0, 0, w, h);
  return canvas.toDataURL('image/jpeg', 0.75);
}

/** Remember a result: {kind, id, name, url, thumb}; the newest first, one entry per job. */
export function remember(entry) {
  save([{ ...entry, at: Date.now() }, ...load().filter((r) => r.id !== entry.id)]);
}

/** Point a remembered result at a new URL (the same result, another look), keeping its place. */
export function retarget(id, url) {
  save(load().map((r) => (r.id === id ? { ...r, url } : r)));
}

/** Forget a result the server no longer has. */
export function forget(id) {
  save(load().filter((r) => r.id !== id));
}

export function recentOf(kind) {
  return load().filter((r) => r.kind === kind).slice(0, SHOWN);
}

function ago(ms) {
  const min = Math.round(ms / 60000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  return `${Math.round(min / 60)} h ago`;
}

/**
 * Fill the strip (`section` holds a ul.recent-list) with this kind's recent results, the one shown
 * now marked. A plain click calls `onOpen(entry)` after putting the entry's URL in the address bar,
 * so the page opens it without reloading; a middle or modified click still opens the link in a new tab.
 */
export function renderRecent(section, kind, currentId = null, onOpen = null) {
  const items = recentOf(kind);
  const list = section.querySelector('.recent-list');
  list.replaceChildren(...items.map((r) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = r.url;
    a.className = 'recent-item';
    a.dataset.job = r.id;
    if (r.id === currentId) a.setAttribute('aria-current', 'true');
    const img = document.createElement('img');
    img.alt = '';
    if (r.thumb) img.src = r.thumb;
    const name = document.createElement('span');
    name.className = 'recent-name';
    name.textContent = r.name || 'photo';
    const when = document.createElement('span');
    when.className = 'recent-when';
    when.textContent = ago(Date.now() - r.at);
    a.append(img, name, when);
    a.setAttribute('aria-label', `${r.name || 'photo'}, ${when.textContent}`);
    if (onOpen) {
      a.addEventListener('click', (e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        window.history.replaceState(null, '', r.url);
        onOpen(r);
      });
    }
    li.append(a);
    return li;
  }));
  section.hidden = items.length === 0;
}

/** When reopening failed because the server no longer has the result (404): forget it here and clear it from
 * the address, then say true so the page can tell the person; any other error is the caller's to report. */
export function forgetExpired(err, id) {
  if (!(err instanceof ApiError && err.status === 404)) return false;
  forget(id);
  clearJobFromUrl();
  return true;
}
