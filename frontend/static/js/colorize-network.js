// The colorize page's second hint method (issue #32): the hint network, a model trained to take the hints as
// input (core/tasks/colorization.py's HINT_MODEL), beside the instant method (hints.js, which reweights the plain
// network's stored distribution in the browser), so the two can be compared on the same photo and hints. It
// runs on the server: the page's hints go to POST /api/v1/colorization with hint_method=network as a new job, the
// page's own submit() (colorize.js) and polling. Its result is laid over the instant picture as an image; the
// instant picture underneath keeps following the hints, so choosing "Instant" again shows it at once, and the
// last result is kept, so choosing "Hint network" again with the same hints shows it without a new job.

import { messageOf, modelStatus, request, statusText } from './api.js';

export const HINT_MODEL = 'colorization-hints';
// A burst of clicks makes one job, once the hints have stayed the same this long: each job is a full upload and
// a run of the network, and counts against the address's hourly pixels.
export const DEBOUNCE_MS = 600;

const $ = (id) => document.getElementById(id);
const BUSY = new Set(['waiting', 'running']);

/**
 * The URL of `job`'s full-size picture at temperature `t`: the stored result when it was decoded at `t` (it
 * costs the server nothing), else the stored distribution re-decoded by the server (no new job).
 */
export function resultUrlAt(job, t) {
  if (!job.links.recolor || Math.abs((job.result.temperature ?? -1) - t) < 0.005) return job.links.result;
  return `${job.links.recolor}?temperature=${t.toFixed(2)}`;
}

const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export class HintNetwork {
  /**
   * @param {import('./colorize-hints.js').HintsPanel} panel the hints it sends
   * @param {import('./colorize-result.js').ResultView} view whose hooks submit jobs (submit) and report (notice)
   */
  constructor(panel, view) {
    this.panel = panel;
    this.view = view;
    this.els = {
      method: $('hint-method'), network: $('hint-method-network'), retry: $('hint-network-retry'),
      overlay: $('network-after'), compare: $('compare'),
    };
    // "Hint network" chosen: a reload can give the radio back checked (the browser restores forms), so read it.
    this.on = this.els.network.checked;
    this.timer = 0;
    this.controller = null; // the job in flight, aborted by a newer one
    this.pending = null; // what it is for: {hints, t, key}
    this.shown = null; // the last result: {job, hints, t, key, url}, on screen while `visible`
    this.failed = ''; // the key of the last failure: not retried by itself, only by the user
    for (const radio of this.els.method.querySelectorAll('input[name="hint-method"]')) {
      radio.addEventListener('change', () => {
        if (radio.checked) this.setOn(radio.value === 'network');
      });
    }
    this.els.retry.addEventListener('click', () => this.sync({ now: true, force: true }));
    this.detect();
  }

  /** Offered only where the server has the hint network (its card and ONNX file, GET /api/v1/models). */
  async detect() {
    const model = await modelStatus(HINT_MODEL);
    const available = Boolean(model?.available && this.view.hooks.submit);
    this.els.method.hidden = !available;
    this.els.network.disabled = !available;
    this.els.method.dataset.available = String(available);
    if (!available && this.on) {
      this.els.method.querySelector('input[value="distribution"]').checked = true;
      this.setOn(false);
    }
  }

  get notice() {
    return this.view.hooks.notice;
  }

  setOn(on) {
    this.on = on;
    if (on && !this.panel.hinted) this.panel.say('Add a hint: the hint network runs once you stop adding them.');
    if (!on && this.panel.hinted) this.panel.say('Showing the instant method.');
    this.sync({ now: true, force: true });
  }

  /** What the hint network should show now: the hints as HINTS.json text and the temperature. */
  wanted() {
    const hints = JSON.stringify(this.panel.json());
    const t = Number(this.view.temperature().toFixed(2));
    return { hints, t, key: `${hints}|${t.toFixed(2)}` };
  }

  /**
   * Bring the overlay in line with the hints and the temperature: nothing to do, a job after DEBOUNCE_MS (at
   * once with `now`), or, in the instant method or without hints, no overlay. Called on every change of either;
   * a failure is retried only when `force`d (the retry button, choosing the method), not by a redraw.
   */
  sync({ now = false, force = false } = {}) {
    clearTimeout(this.timer);
    this.timer = 0;
    const active = Boolean(this.on && this.view.state?.dist && this.panel.hinted);
    // While a newer one is made, the last result stays (labelled as being updated): the picture on screen is
    // always the chosen method's.
    this.display(active);
    if (!active) {
      this.cancel();
      this.setState('idle');
      return;
    }
    const want = this.wanted();
    if (this.shown?.key === want.key) {
      this.cancel();
      this.setState('shown');
      return;
    }
    if (this.pending?.key === want.key || (!force && this.failed === want.key)) return;
    this.cancel();
    this.setState('waiting');
    this.timer = setTimeout(() => this.run(want), now ? 0 : DEBOUNCE_MS);
  }

  cancel() {
    this.controller?.abort();
    this.controller = null;
    this.pending = null;
  }

  /** One run: a new job for new hints; for a new temperature alone, the shown job's picture re-decoded. */
  async run(want) {
    this.timer = 0;
    const state = this.view.state;
    const controller = new AbortController();
    const { signal } = controller;
    this.controller = controller;
    this.pending = want;
    this.failed = '';
    this.setState('running');
    const what = 'Running the hint network';
    const notice = this.notice;
    const started = performance.now();
    const { points, palette } = this.panel;
    const hints = count(points.length, 'hint') + (palette.length ? ' and a palette' : '');
    try {
      let job = this.shown?.hints === want.hints ? this.shown.job : null;
      if (!job) {
        notice.say(`Running the hint network with your ${hints}…`);
        notice.busy(true, 0);
        job = await this.view.hooks.submit(state.upload, {
          signal,
          what,
          fields: { hints: want.hints, hint_method: 'network' },
          onProgress: (f) => notice.busy(true, f),
          onStatus: (status, s, j) => {
            notice.busy(true);
            notice.say(statusText(status, s, 'photo', j?.queue));
          },
        });
      }
      notice.busy(true);
      const blob = await request(resultUrlAt(job, want.t), { what: 'Fetching the hint network’s result', signal })
        .then((r) => r.blob());
      await this.show({ job, ...want }, blob, signal);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      notice.busy(false);
      notice.say(`The hint network’s colours with your ${hints} (${seconds} s). Choose “Instant” to compare.`);
    } catch (err) {
      if (err.name === 'AbortError' || this.controller !== controller) return; // a newer run took over
      this.controller = null;
      this.pending = null;
      this.failed = want.key;
      this.setState('error');
      notice.error(messageOf(err));
    }
  }

  /** Lay the picture `blob` of `shown` ({job, hints, t, key}) over the instant one, once it is decoded. */
  async show(shown, blob, signal) {
    const { overlay } = this.els;
    const url = URL.createObjectURL(blob);
    const old = this.shown?.url;
    overlay.src = url; // the old picture stays on screen until this one is decoded
    try {
      await overlay.decode();
    } catch (err) {
      URL.revokeObjectURL(url);
      if (signal.aborted) throw new DOMException('aborted', 'AbortError');
      throw new Error(`the hint network’s picture could not be decoded (${err.message})`);
    }
    if (signal.aborted) {
      URL.revokeObjectURL(url);
      if (old) overlay.src = old;
      throw new DOMException('aborted', 'AbortError');
    }
    if (old) URL.revokeObjectURL(old);
    this.shown = { ...shown, url };
    this.controller = null;
    this.pending = null;
    overlay.dataset.job = shown.job.id;
    overlay.dataset.hints = shown.hints;
    overlay.dataset.temperature = shown.t.toFixed(2);
    overlay.hidden = false;
    this.setState('shown');
    this.relabel();
    this.view.networkChanged();
  }

  /** The last result on screen (`on`, when there is one) or the instant picture. */
  display(on) {
    const { overlay } = this.els;
    const hidden = !(on && this.shown);
    if (overlay.hidden === hidden) return;
    overlay.hidden = hidden;
    this.relabel();
    this.view.networkChanged();
  }

  /** The hint network's result on screen ({job, hints, t}), or null while the instant picture is. */
  get visible() {
    return this.els.overlay.hidden ? null : this.shown;
  }

  /** A new photo (or none): nothing of the old one's network jobs stays. The method chosen does. */
  reset() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.cancel();
    this.failed = '';
    const { overlay } = this.els;
    overlay.hidden = true;
    overlay.removeAttribute('src');
    delete overlay.dataset.job;
    if (this.shown) URL.revokeObjectURL(this.shown.url);
    this.shown = null;
    this.setState('idle');
  }

  /** idle, waiting (for the hints to settle), running, shown or error: on the switch (for tests) and on screen. */
  setState(value) {
    const was = this.els.method.dataset.state;
    if (was === value) return; // (sync runs on every redraw, a slider's every frame)
    const busy = BUSY.has(value);
    this.els.method.dataset.state = value;
    this.els.retry.hidden = value !== 'error';
    if (busy) this.els.compare.setAttribute('aria-busy', 'true');
    else this.els.compare.removeAttribute('aria-busy');
    this.relabel();
    // A run left without its result (the hints went away, or back to those shown), or an error no longer
    // relevant: its progress or its message goes too. (A run's own end says what it did after this.)
    if ((BUSY.has(was) || was === 'error') && (value === 'idle' || value === 'shown')) this.notice?.clear();
  }

  /** The photo's right-hand tag: which method's picture is shown, and whether the hint network is at work. */
  relabel() {
    const busy = BUSY.has(this.els.method.dataset.state);
    let label = busy ? 'colorized, hint network running…' : 'colorized';
    if (this.visible) label = busy ? 'hint network, updating…' : 'hint network';
    this.view.compare.setLabels('gray input', label);
  }
}
