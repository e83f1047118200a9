// Several photos at once on the colorize page: a list with each photo's own progress (uploading,
// its place in the queue, done or failed), a "Show" button per finished photo, and every finished
// result downloadable as one ZIP.

import { messageOf, request, statusText } from './api.js';
import { saveBlob, zipBlob } from './zip.js';

const AT_ONCE = 2; // uploads in flight together: enough to keep a worker busy, gentle on the queue

/** The name a result gets in the ZIP: the photo's own path (a folder's files keep theirs), as PNG. */
export function zipEntryName(file) {
  const path = file.webkitRelativePath || file.name || 'photo';
  return `${path.replace(/\.[^./]+$/, '')}-colorized.png`;
}

export class Batch {
  /**
   * @param {{submit: Function, onOpen: Function, resultUrl: Function}} hooks
   *   submit(file, {signal, onProgress, onStatus}) -> the finished job (upload, then wait);
   *   onOpen(item) shows a finished item; resultUrl(job) is what goes into the ZIP for it.
   */
  constructor(hooks) {
    const $ = (id) => document.getElementById(id);
    this.els = { panel: $('batch'), list: $('batch-list'), summary: $('batch-summary'), zip: $('batch-zip'), stop: $('batch-stop') };
    this.hooks = hooks;
    this.items = [];
    this.controller = null;
    this.opened = false;
    this.els.zip.addEventListener('click', () => this.download());
    this.els.stop.addEventListener('click', () => this.stop());
  }

  /** Start a batch of `files` (replacing any earlier one). */
  async run(files) {
    this.stop();
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.opened = false;
    for (const item of this.items) if (item.thumbUrl) URL.revokeObjectURL(item.thumbUrl);
    this.items = files.map((file, index) => this.makeItem(file, index));
    this.els.list.replaceChildren(...this.items.map((item) => item.li));
    this.els.panel.hidden = false;
    this.els.stop.hidden = false;
    this.summarise();
    let next = 0;
    const worker = async () => {
      while (next < this.items.length && !signal.aborted) {
        const item = this.items[next];
        next += 1;
        await this.process(item, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, this.items.length) }, worker));
    if (!signal.aborted) this.els.stop.hidden = true;
    this.summarise();
  }

  makeItem(file, index) {
    const li = document.createElement('li');
    li.className = 'batch-item';
    li.dataset.state = 'waiting';
    const thumb = document.createElement('img');
    thumb.alt = '';
    const thumbUrl = URL.createObjectURL(file); // the browser shows what it can decode; TIFF stays blank
    thumb.src = thumbUrl;
    const name = document.createElement('span');
    name.className = 'batch-name';
    name.textContent = file.webkitRelativePath || file.name;
    const status = document.createElement('span');
    status.className = 'batch-status';
    status.textContent = 'Waiting to be sent';
    const progress = document.createElement('progress');
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute('aria-label', `Progress of ${file.name}`);
    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'secondary';
    show.textContent = 'Show';
    show.hidden = true;
    show.setAttribute('aria-label', `Show ${file.name}`);
    li.append(thumb, name, status, progress, show);
    const item = { file, index, li, status, progress, show, job: null, thumbUrl, state: 'waiting' };
    show.addEventListener('click', () => this.open(item));
    return item;
  }

  /** Show a finished item in the viewer, and mark it in the list as the one shown. */
  open(item) {
    for (const other of this.items) other.li.classList.toggle('shown', other === item);
    item.show.setAttribute('aria-pressed', 'true');
    for (const other of this.items) if (other !== item) other.show.setAttribute('aria-pressed', 'false');
    this.hooks.onOpen(item);
  }

  setState(item, state, text, fraction = null) {
    item.state = state;
    item.li.dataset.state = state;
    item.status.textContent = text;
    if (fraction == null) item.progress.removeAttribute('value');
    else item.progress.value = fraction;
    item.progress.hidden = ['done', 'failed', 'stopped'].includes(state);
  }

  async process(item, signal) {
    try {
      this.setState(item, 'uploading', 'Sending…', 0);
      const job = await this.hooks.submit(item.file, {
        signal,
        onProgress: (f) => this.setState(item, 'uploading', `Sending… ${Math.round(f * 100)}%`, f),
        onStatus: (status, s, j) => this.setState(item, status, statusText(status, s, 'photo', j?.queue)),
      });
      item.job = job;
      this.setState(item, 'done', 'Done');
      item.show.hidden = false;
      if (!this.opened) {
        this.opened = true; // the first finished photo opens in the viewer, where the look is chosen
        this.open(item);
      }
    } catch (err) {
      if (err.name === 'AbortError') {
        this.setState(item, 'stopped', 'Stopped');
        return;
      }
      this.setState(item, 'failed', messageOf(err));
    } finally {
      this.summarise();
    }
  }

  stop() {
    if (!this.controller) return;
    this.controller.abort();
    this.controller = null;
    for (const item of this.items) if (item.state === 'waiting') this.setState(item, 'stopped', 'Not sent');
    this.els.stop.hidden = true;
    this.summarise();
  }

  /** Stop and put the list away (a single photo was chosen instead). */
  hide() {
    this.stop();
    this.els.panel.hidden = true;
  }

  summarise() {
    const count = (state) => this.items.filter((i) => i.state === state).length;
    const done = count('done');
    const failed = count('failed');
    const total = this.items.length;
    const parts = [`${done} of ${total} photo${total === 1 ? '' : 's'} colorized`];
    if (failed) parts.push(`${failed} failed`);
    const stopped = count('stopped');
    if (stopped) parts.push(`${stopped} not done`);
    this.els.summary.textContent = `${parts.join(', ')}.`;
    this.els.zip.disabled = done === 0;
    this.els.zip.textContent = done && done < total ? `Download the ${done} finished (ZIP)` : 'Download all (ZIP)';
  }

  /** Fetch every finished result and save them as one ZIP. */
  async download() {
    const done = this.items.filter((i) => i.state === 'done');
    if (!done.length) return;
    this.els.zip.disabled = true;
    const before = this.els.summary.textContent;
    try {
      const entries = [];
      for (const [k, item] of done.entries()) {
        this.els.summary.textContent = `Preparing the ZIP: ${k + 1} of ${done.length}…`;
        const response = await request(this.hooks.resultUrl(item.job), { what: `Fetching ${item.file.name}` });
        entries.push({ name: zipEntryName(item.file), data: new Uint8Array(await response.arrayBuffer()) });
      }
      const folder = done[0].file.webkitRelativePath?.split('/')[0];
      saveBlob(zipBlob(entries), `${folder || 'photos'}-colorized.zip`);
      this.els.summary.textContent = before;
    } catch (err) {
      this.els.summary.textContent = messageOf(err);
    } finally {
      this.els.zip.disabled = false;
    }
  }
}
