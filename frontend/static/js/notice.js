// What a page tells the user. Progress goes to a polite live region and errors to an assertive
// one (role="alert"), so a screen reader announces a failure at once but is not interrupted by
// every progress step.

import { formatBytes } from './api.js';

export class Notice {
  constructor(root = document) {
    this.status = root.querySelector('#status');
    this.alert = root.querySelector('#alert');
    this.progress = root.querySelector('#progress');
  }

  /** Progress or a result; clears any earlier error, which no longer applies. */
  say(text) {
    this.alert.textContent = '';
    this.status.textContent = text;
  }

  /** An error the user has to act on; stops the progress bar. */
  error(text) {
    this.busy(false);
    this.status.textContent = '';
    this.alert.textContent = text;
  }

  /** Show the progress bar: a fraction in [0, 1], or indeterminate when `fraction` is null. */
  busy(on, fraction = null) {
    if (!this.progress) return;
    this.progress.hidden = !on;
    if (fraction == null) this.progress.removeAttribute('value');
    else this.progress.value = Math.max(0, Math.min(1, fraction));
  }

  clear() {
    this.busy(false);
    this.status.textContent = '';
    this.alert.textContent = '';
  }
}

/** The server's upload limit, which it writes into the page; Infinity if missing. */
export function uploadLimit() {
  const n = Number(document.body.dataset.maxUploadBytes);
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}

/**
 * An error sentence when `file` is over the limit, else ''. Checked here so a 25 MB mistake is
 * caught before it is sent; the server checks again (and says 413) whatever the page does.
 */
export function tooLarge(file) {
  const limit = uploadLimit();
  if (file.size <= limit) return '';
  return `The file is too large: ${file.name} is ${formatBytes(file.size)}, and the limit is ${formatBytes(limit)}. Choose a smaller photo.`;
}
