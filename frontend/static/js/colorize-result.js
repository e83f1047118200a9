// The colorize page's result panel: the before/after viewer, the look and temperature (re-decoding
// the stored distribution in the browser), the pixel probe with its ab plot, the full-resolution
// views (actual pixels, full screen), the download link, the colour hints (colorize-hints.js: recoloured
// here, only where a hint reaches; or by the hint network on the server, colorize-network.js), and for a colour
// photo its real colours.

import { drawAbPlot, topBins } from './abplot.js';
import { HintsPanel } from './colorize-hints.js';
import { resultUrlAt } from './colorize-network.js';
import { Compare } from './compare.js';
import { Painter } from './colorize-render.js';
import { Distribution, outputRegion } from './distribution.js';
import { float16ToFloat32 } from './halffloat.js';
import { drawScaled, fitSize } from './images.js';
import { grayFromLightness, labCss, lightnessOf } from './lab.js';
import { defaultTemperature, LOOKS, lookOfTemperature, PAPER_T } from './looks.js';
import { reveal } from './reveal.js';
import { abOf, colourError, isColour } from './truth.js';

// Decoding runs on every slider step; 1024 px keeps that near 50 ms on a phone-class CPU.
const MAX_PREVIEW = 1024;
// The full-resolution views decode the photo at its own size, up to this (slower, but only there).
const MAX_FULL = 4096;
// The real-versus-network comparison is scored on a copy this size: enough for a mean, and fast.
const TRUTH_SIDE = 256;
// A hint redraws at once the cells whose ab it moves by at least this (ab units; about 2.3 is just noticeable):
// its region. The rest of what it changes, smaller, follows in a second, exact pass, a strip at a time.
const AB_AT_ONCE = 1;
const SETTLE_ROWS = 128; // output rows per step of that pass
const ONE_PASS = 0.6; // a region larger than this share of the photo: the whole change painted at once
const PREVIEW_SHARE = 0.75; // a canvas shown at under this share of its width: a hint's first paint at that size

const union = (p, q) => (!q ? p : {
  c0: Math.min(p.c0, q.c0), r0: Math.min(p.r0, q.r0), c1: Math.max(p.c1, q.c1), r1: Math.max(p.r1, q.r1),
});
// The pixel region (whole pixels) covering two regions, the second possibly with fractional edges.
const cover = (p, q) => ({
  x0: Math.max(0, Math.min(p.x0, Math.floor(q.x0))), y0: Math.max(0, Math.min(p.y0, Math.floor(q.y0))),
  x1: Math.max(p.x1, Math.ceil(q.x1)), y1: Math.max(p.y1, Math.ceil(q.y1)),
});

const $ = (id) => document.getElementById(id);

function stemOf(name) {
  return (name || 'photo').replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_') || 'photo';
}

export class ResultView {
  /**
   * @param {{onTemperature?: (t: number) => void, submit?: Function, notice?: import('./notice.js').Notice}} hooks
   *   onTemperature: a look or temperature was settled; submit(file, {fields, what, signal, onProgress,
   *   onStatus}): a colorization job, finished (the page's own, for the hint network's); notice: the page's
   *   messages, where the hint network's progress and errors go
   */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.els = {
      result: $('result'), name: $('result-name'), after: $('after'), before: $('before'), split: $('split'),
      splitValue: $('split-value'), temperature: $('temperature'), temperatureValue: $('temperature-value'),
      marks: $('temperature-marks'), looks: $('look-list'), plot: $('abplot'), plotFigure: $('plot'),
      caption: $('abplot-caption'), download: $('download'), frame: $('compare-frame'), compare: $('compare'),
      probeMode: $('probe-mode'), zoom: $('zoom'), fullscreen: $('fullscreen'), truth: $('truth'),
      truthError: $('truth-error'), truthModel: $('truth-model'), truthReal: $('truth-real'),
      truthCaption: $('truth-model-caption'), downloadHint: $('download-hint'), network: $('network-after'),
    };
    this.compare = new Compare(this.els.compare, this.els.split, (x, y) => this.probed(x, y));
    this.state = null;
    this.frame = 0;
    this.zoomed = false;
    this.probing = false;
    this.settling = []; // strips of the photo still to redraw exactly after a hint (settle)
    this.settleTimer = 0;
    this.firstPending = 0; // hints' first paints not yet on the canvas
    this.painter = new Painter(this.els.after);
    this.downloadText = this.els.downloadHint.textContent;
    this.hints = new HintsPanel(this);
    this.buildLooks();
    this.wire();
  }

  /** The radio buttons of the named looks and the slider's marks, from looks.js (one list). */
  buildLooks() {
    const { looks, marks } = this.els;
    looks.replaceChildren(...LOOKS.map((look) => {
      const label = document.createElement('label');
      label.className = 'look';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'look';
      input.value = look.id;
      input.dataset.t = String(look.t);
      const text = document.createElement('span');
      const name = document.createElement('strong');
      name.textContent = look.label;
      text.append(name, ` T = ${look.t} · ${look.hint}`);
      if (look.t === PAPER_T) label.classList.add('paper');
      label.append(input, text);
      input.addEventListener('change', () => {
        if (!input.checked) return;
        this.setTemperature(look.t);
        this.hooks.onTemperature?.(look.t);
      });
      return label;
    }));
    marks.replaceChildren(...LOOKS.map((look) => {
      const option = document.createElement('option');
      option.value = String(look.t);
      option.label = look.label;
      return option;
    }));
    this.setTemperature(defaultTemperature(), false);
  }

  wire() {
    const { els } = this;
    els.temperature.addEventListener('input', () => this.scheduleRedraw());
    els.temperature.addEventListener('change', () => this.hooks.onTemperature?.(this.temperature()));
    els.split.addEventListener('input', () => {
      els.splitValue.textContent = `${els.split.value}%`;
    });
    els.probeMode.addEventListener('click', () => this.setProbeMode(!this.probing));
    els.zoom.addEventListener('click', () => this.setZoom(!this.zoomed));
    if (document.fullscreenEnabled) {
      els.fullscreen.addEventListener('click', () => this.toggleFullscreen());
      document.addEventListener('fullscreenchange', () => this.fullscreenChanged());
    } else {
      els.fullscreen.hidden = true; // a phone browser without the Fullscreen API: "Actual pixels" still works
    }
  }

  temperature() {
    return Number(this.els.temperature.value);
  }

  /** The probe mode (a click inspects a pixel); it and the hint mode exclude each other. */
  setProbeMode(on) {
    this.probing = on;
    this.els.probeMode.setAttribute('aria-pressed', String(on));
    if (on && this.hints.active) this.hints.setActive(false);
    this.compare.setMode(on || this.hints.active ? 'probe' : 'divider');
  }

  /** A pixel was picked on the photo: its distribution in the plot; in the hint mode, its colours to choose. */
  probed(x, y) {
    const hinting = this.hints.active && this.state?.dist;
    this.showProbe(x, y, !hinting);
    if (hinting) this.hints.pick(x, y);
  }

  /** Move the slider (and the look that matches it) to `t`; redraws when `draw`. */
  setTemperature(t, draw = true) {
    const value = Math.min(1, Math.max(0, t));
    this.els.temperature.value = String(value);
    this.els.temperatureValue.textContent = value.toFixed(2);
    this.markLook();
    if (draw) this.redraw();
  }

  /** Check the look whose temperature the slider shows; none when it is between them. */
  markLook() {
    const look = lookOfTemperature(this.temperature());
    for (const input of this.els.looks.querySelectorAll('input')) input.checked = input.value === look?.id;
  }

  /**
   * Show a finished job. `photo`: the upload as this browser decoded it (null when it could not, or
   * when the result was reopened from its URL); `result`: the server's result PNG decoded; `buffer`:
   * the stored distribution; `t`: the temperature to open at; `upload`: the file the hint network is sent.
   */
  show({ job, name, photo, result, buffer, t, upload = null }) {
    const meta = job.result.distribution;
    // The server's L comes from the photo it decoded; if the browser's decode differs, use the result's.
    const same = photo && photo.width === job.result.width && photo.height === job.result.height;
    const state = {
      job, name, stem: stemOf(name), photo: same ? photo : null, result, lightSource: same ? photo : result, upload,
      dist: meta && buffer ? new Distribution(float16ToFloat32(buffer), meta.shape, meta.bin_centres) : null,
      centres: meta?.bin_centres || [],
    };
    this.state = state;
    this.hints.reset(state);
    this.els.name.textContent = name ? `${name} · ${job.result.width} × ${job.result.height} px` : '';
    this.compare.reset();
    this.layout();
    this.els.temperature.disabled = !state.dist;
    for (const input of this.els.looks.querySelectorAll('input')) input.disabled = !state.dist;
    if (state.dist) this.setTemperature(t ?? defaultTemperature());
    else {
      this.els.after.getContext('2d').drawImage(state.result, 0, 0, state.width, state.height);
      this.els.after.dataset.temperature = '';
      this.updateDownload();
    }
    drawAbPlot(this.els.plot, state.centres, null, null);
    this.els.caption.textContent = state.dist
      ? 'Inspect a pixel to see its predicted colour distribution: each disc is one colour bin, its area the probability; the ring is the colour shown.'
      : 'This model predicts colours directly, without a distribution to show.';
    this.setupTruth();
    const wasHidden = this.els.result.hidden;
    this.els.result.hidden = false;
    if (wasHidden) reveal(this.els.result);
  }

  hide() {
    this.els.result.hidden = true;
    this.hints.reset(null);
    this.state = null;
  }

  /** The size to decode at: the preview, or the photo's own size in the full-resolution views. */
  targetSize() {
    const { job } = this.state;
    const full = this.zoomed || Boolean(document.fullscreenElement);
    return fitSize(job.result.width, job.result.height, full ? MAX_FULL : MAX_PREVIEW);
  }

  /** (Re)build the L channel and the gray input at the target size. */
  layout() {
    const state = this.state;
    const [width, height] = this.targetSize();
    if (state.width === width && state.height === height) return false;
    this.compare.rescale(width, height);
    const pixels = drawScaled(state.lightSource, width, height).getContext('2d').getImageData(0, 0, width, height);
    state.L = lightnessOf(pixels.data);
    state.width = width;
    state.height = height;
    if (state.dist) this.painter.setImage(state.L, width, height, state.dist.h, state.dist.w);
    for (const canvas of [this.els.before, this.els.after]) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = this.els.before.getContext('2d');
    const gray = ctx.createImageData(width, height);
    grayFromLightness(state.L, gray.data);
    ctx.putImageData(gray, 0, 0);
    this.els.compare.style.setProperty('--aspect', String(width / height));
    this.sizeZoom();
    return true;
  }

  /** Re-decode at the slider's temperature, at most once per animation frame. */
  scheduleRedraw() {
    this.els.temperatureValue.textContent = this.temperature().toFixed(2);
    this.markLook();
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.redraw();
      });
    }
  }

  /** Paint the ab map state.ab onto the photo's L: all of it, or only `region`; resolves once it is drawn. */
  paint(region = null) {
    return this.painter.paint(this.state.ab, region);
  }

  /** Decode the whole photo at the slider's temperature (with the hints); `bringUp`: as showProbe's. */
  redraw(bringUp = true) {
    const state = this.state;
    if (!state?.dist) return Promise.resolve();
    const t = this.temperature();
    const { dist } = state;
    this.hints.network.sync(); // the hint network's picture, if shown, follows the temperature too (debounced)
    state.ab = this.hints.abAt(t) || dist.abAt(t);
    state.exact = state.ab.slice(); // what the hints make of every cell; state.ab: what is drawn
    this.settling = [];
    this.els.temperatureValue.textContent = t.toFixed(2);
    const look = lookOfTemperature(t);
    const kind = t < 0.05 ? 'close to the mode' : t > 0.95 ? 'close to the mean' : 'between mode and mean';
    this.els.temperature.setAttribute('aria-valuetext', `${t.toFixed(2)}, ${look ? `the ${look.label.toLowerCase()} look` : kind}`);
    this.updateDownload();
    if (this.compare.point) this.showProbe(...this.compare.point, bringUp);
    const version = this.els.after.dataset.hintVersion || '0';
    return this.paint().then(() => {
      if (this.state !== state) return;
      this.els.after.dataset.temperature = t.toFixed(2); // which temperature is on screen (tests wait on it)
      this.els.after.dataset.drawn = `${state.width}x${state.height}`; // and at which size
      if (!this.settleTimer && !this.firstPending) this.els.after.dataset.hintsSettled = version;
      this.updateTruth();
    });
  }

  /**
   * The hints changed the distribution of `cells` (null: of every cell): decode those again and paint the
   * part of the photo whose colour moved noticeably (the hint's region); resolves once that is on screen.
   * Where the photo is shown smaller than its canvas (a 1-megapixel photo in a 600-pixel column), that first
   * paint is made at the size shown and scaled up, a third of the work or less; the second pass (settle)
   * then paints every changed pixel exactly, at the canvas's own size, a strip at a time.
   */
  redrawHints(cells) {
    const state = this.state;
    if (!state?.dist) return Promise.resolve();
    if (cells === null || !state.exact || !this.hints.solver) {
      this.els.after.dataset.hintArea = '1.000';
      return this.redraw(false);
    }
    this.hints.solver.decode(this.temperature(), state.exact, cells);
    const now = this.adopt(cells, AB_AT_ONCE); // cells (a box of them) that changed noticeably
    const later = this.adopt(null, 0); // and the others that changed at all
    const preview = now && this.previewImage();
    let first = now && this.regionOf(now);
    if (preview) {
      // Exactly, later: every changed pixel, and every pixel the scaled-up first paint covered.
      this.settling.push(...this.strips(cover(this.regionOf(union(now, later)), this.previewTarget(preview, now))));
    } else if (first && (first.x1 - first.x0) * (first.y1 - first.y0) > ONE_PASS * state.width * state.height) {
      first = this.regionOf(union(now, later)); // most of the photo anyway: all of it now, no second pass
    } else if (later) {
      this.settling.push(...this.strips(this.regionOf(later)));
    }
    const area = first ? ((first.x1 - first.x0) * (first.y1 - first.y0)) / (state.width * state.height) : 0;
    this.els.after.dataset.hintArea = area.toFixed(3); // the share of the photo painted at once
    this.updateDownload();
    if (this.compare.point) this.showProbe(...this.compare.point, false);
    let painted = Promise.resolve();
    if (preview) painted = this.paintPreview(preview, now);
    else if (first) painted = this.firstPaint(this.paint(first));
    this.settle();
    return painted;
  }

  /** The output region of the photo that a box of cells {c0, r0, c1, r1} (end exclusive) colours. */
  regionOf(box, width = this.state.width, height = this.state.height) {
    const { dist } = this.state;
    return outputRegion(box.c0, box.r0, box.c1, box.r1, dist.h, dist.w, width, height);
  }

  strips(region) {
    const out = [];
    for (let y = region.y0; y < region.y1; y += SETTLE_ROWS) out.push({ ...region, y0: y, y1: Math.min(region.y1, y + SETTLE_ROWS) });
    return out;
  }

  /**
   * The photo at the size it is shown, when that is well under the canvas's: {width, height} of a painter
   * holding its L (made once per size); null when the canvas is shown at about its own size.
   */
  previewImage() {
    const state = this.state;
    const shown = this.els.after.getBoundingClientRect().width * (window.devicePixelRatio || 1);
    if (!shown || shown > PREVIEW_SHARE * state.width) return null;
    const [width, height] = fitSize(state.width, state.height, Math.ceil((shown * Math.max(state.width, state.height)) / state.width));
    if (state.preview?.width !== width || state.preview?.height !== height) {
      const pixels = drawScaled(state.lightSource, width, height).getContext('2d').getImageData(0, 0, width, height);
      this.previewCanvas ||= document.createElement('canvas');
      this.previewCanvas.width = width;
      this.previewCanvas.height = height;
      this.previewPainter ||= new Painter(this.previewCanvas);
      this.previewPainter.setImage(lightnessOf(pixels.data), width, height, state.dist.h, state.dist.w);
      state.preview = { width, height };
    }
    return state.preview;
  }

  /** Where on the canvas the preview's paint of the cells `box` goes: the same part of the photo, scaled. */
  previewTarget(preview, box) {
    const state = this.state;
    const small = this.regionOf(box, preview.width, preview.height);
    const sx = state.width / preview.width;
    const sy = state.height / preview.height;
    return { small, x0: small.x0 * sx, y0: small.y0 * sy, x1: small.x1 * sx, y1: small.y1 * sy };
  }

  /** Paint the cells `box` at the preview's size, then scale that onto the same part of the canvas. */
  paintPreview(preview, box) {
    const state = this.state;
    const target = this.previewTarget(preview, box);
    const { small } = target;
    // The exact pass waits for it: painted over exact pixels asked for later, it would stay.
    return this.firstPaint(this.previewPainter.paint(state.ab, small).then(() => {
      if (this.state !== state || state.preview !== preview) return;
      const ctx = this.els.after.getContext('2d');
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'low';
      ctx.drawImage(this.previewCanvas, small.x0, small.y0, small.x1 - small.x0, small.y1 - small.y0,
        target.x0, target.y0, target.x1 - target.x0, target.y1 - target.y0);
    }));
  }

  /** A hint's first paint: the exact pass (and data-hints-settled) waits until it is on the canvas. */
  firstPaint(promise) {
    this.firstPending += 1;
    return promise.finally(() => {
      this.firstPending -= 1;
      this.settle();
    });
  }

  /**
   * Take from state.exact the cells of `cells` (all when null) that differ from what is drawn by at least
   * `min` ab units: copied into state.ab, and the box of them returned ({c0, r0, c1, r1}, end exclusive; null
   * if none).
   */
  adopt(cells, min) {
    const state = this.state;
    const { dist } = state;
    const { w } = dist;
    const { ab, exact } = state;
    let [c0, r0, c1, r1] = [Infinity, Infinity, -1, -1];
    const n = cells ? cells.length : dist.h * w;
    for (let i = 0; i < n; i += 1) {
      const p = cells ? cells[i] : i;
      const o = 2 * p;
      const da = Math.abs(exact[o] - ab[o]);
      const db = Math.abs(exact[o + 1] - ab[o + 1]);
      if (da === 0 && db === 0) continue;
      if (da < min && db < min) continue;
      ab[o] = exact[o];
      ab[o + 1] = exact[o + 1];
      const r = Math.floor(p / w);
      const c = p - r * w;
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
    }
    return c1 < 0 ? null : { c0, r0, c1: c1 + 1, r1: r1 + 1 };
  }

  /**
   * The second pass after a hint: the strips queued in this.settling, painted exactly at the canvas's size
   * one at a time (a click meanwhile waits for one strip at most); then the colour error.
   * data-hints-settled on the canvas names the hint version the picture is exact for.
   */
  settle() {
    if (this.settleTimer) return;
    const step = () => {
      const state = this.state;
      if (this.firstPending) { // a hint's first paint is on its way: after it (firstPaint)
        this.settleTimer = 0;
        return;
      }
      const strip = this.settling.shift();
      if (strip && state?.dist) {
        this.paint(strip).then(() => {
          this.settleTimer = setTimeout(step, 0);
        });
        return;
      }
      this.settleTimer = 0;
      if (!state) return;
      this.updateTruth();
      this.els.after.dataset.hintsSettled = this.els.after.dataset.hintVersion || '0';
    };
    this.settleTimer = setTimeout(step, 0);
  }

  /** The hint network's picture was laid over the instant one, or taken away: the download and the error follow. */
  networkChanged() {
    if (!this.state) return;
    this.updateDownload();
    this.updateTruth();
  }

  /** What the photo shows on the right of the divider: the hint network's picture, or the canvas decoded here. */
  shownImage() {
    return this.els.network.hidden ? this.els.after : this.els.network;
  }

  /**
   * Where the download link points: the server's full-size decoding at the temperature shown, with the hints
   * shown (they go along as HINTS.json, and the server applies them with models/hints.py, the method the page
   * ports, to the same stored distribution). A job the API was given hints for is decoded with the page's
   * hints too (none, until loaded), so the download is always the picture on screen.
   */
  downloadUrl() {
    const { job, dist } = this.state;
    if (!dist) return job.links.result;
    const url = `${job.links.recolor}?temperature=${this.temperature().toFixed(2)}`;
    return this.hints.hinted || job.result.hints ? `${url}&hints=${encodeURIComponent(JSON.stringify(this.hints.json()))}` : url;
  }

  updateDownload() {
    const { dist, stem } = this.state;
    const network = this.hints.network.visible;
    if (network) { // the picture on screen: the hint network's, full size, as the server made it
      this.els.download.href = resultUrlAt(network.job, network.t);
      this.els.download.download = `${stem}-colorized-T${network.t.toFixed(2)}-hint-network.png`;
      this.els.downloadHint.textContent = 'The download is the hint network’s result at full size, made by the '
        + 'server with your hints.';
      return;
    }
    const t = this.temperature().toFixed(2);
    const hinted = Boolean(dist) && this.hints.hinted;
    this.els.download.href = this.downloadUrl();
    this.els.download.download = !dist ? `${stem}-colorized.png` : `${stem}-colorized-T${t}${hinted ? '-hints' : ''}.png`;
    this.els.downloadHint.textContent = hinted
      ? 'The download is decoded at full size by the server at the temperature shown, with your hints.'
      : this.downloadText;
  }

  showProbe(x, y, bringUp = true) {
    const state = this.state;
    if (!state?.dist) return;
    const { dist } = state;
    const [nx, ny] = dist.netPixel(x, y, state.width, state.height);
    const probs = dist.probabilities(nx, ny, 1);
    const cell = ny * dist.w + nx;
    // The colour shown there, hints included.
    const decoded = state.ab ? [state.ab[2 * cell], state.ab[2 * cell + 1]] : dist.decodePixel(cell, this.temperature(), [0, 0], 0);
    drawAbPlot(this.els.plot, state.centres, probs, decoded);

    // The same information as text, for screen readers and for exact numbers.
    const fullX = Math.floor((x * state.job.result.width) / state.width);
    const fullY = Math.floor((y * state.job.result.height) / state.height);
    const list = document.createElement('ul');
    list.className = 'swatches';
    for (const { a, b, p } of topBins(state.centres, probs, 3)) {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = labCss(60, a, b);
      item.append(swatch, `a ${a}, b ${b}: ${(p * 100).toFixed(1)}%`);
      list.append(item);
    }
    this.els.caption.replaceChildren(
      `Pixel (${fullX}, ${fullY}). Shown colour: a ${decoded[0].toFixed(0)}, b ${decoded[1].toFixed(0)}. Most likely bins:`,
      list,
    );
    // On a phone the plot sits under the photo: bring it up when it is off screen (and not in full screen).
    if (bringUp && !document.fullscreenElement) reveal(this.els.plotFigure, 'nearest');
  }

  // ---- full resolution: actual pixels and full screen -------------------------------------------

  setZoom(on) {
    this.zoomed = on;
    this.els.zoom.setAttribute('aria-pressed', String(on));
    this.els.frame.classList.toggle('zoomed', on);
    this.relayout();
  }

  /** One image pixel per screen pixel while zoomed (the box scrolls); the layout's width otherwise. */
  sizeZoom() {
    const state = this.state;
    const dpr = window.devicePixelRatio || 1;
    this.els.compare.style.width = this.zoomed && state ? `${state.width / dpr}px` : '';
  }

  async toggleFullscreen() {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await this.els.frame.requestFullscreen().catch(() => {});
  }

  fullscreenChanged() {
    const on = document.fullscreenElement === this.els.frame;
    this.els.fullscreen.setAttribute('aria-pressed', String(on));
    this.els.fullscreen.textContent = on ? 'Leave full screen' : 'Full screen';
    this.relayout();
  }

  relayout() {
    if (!this.state) return;
    if (this.layout()) {
      this.hints.closePopover();
      this.hints.renderDots();
      if (this.state.dist) this.redraw();
      else this.els.after.getContext('2d').drawImage(this.state.result, 0, 0, this.state.width, this.state.height);
      if (this.compare.point) this.compare.probe(...this.compare.point);
    }
    this.sizeZoom();
    this.compare.placeTags();
  }

  // ---- a colour photo: its real colours beside the network's ---------------------------------------

  setupTruth() {
    const state = this.state;
    const { truth, truthReal, truthModel } = this.els;
    truth.hidden = true;
    if (!state.photo) return; // reopened from its URL: the server keeps the result, not the upload
    const [w, h] = fitSize(state.photo.width, state.photo.height, TRUTH_SIDE);
    const real = drawScaled(state.photo, w, h);
    const realAb = abOf(real.getContext('2d').getImageData(0, 0, w, h).data);
    if (!isColour(realAb)) return;
    state.realAb = realAb;
    state.truthSize = [w, h];
    truth.hidden = false;
    // Shown at up to 480 px (sharper on large screens than the 256 px scoring copy).
    const [dw, dh] = fitSize(state.photo.width, state.photo.height, 480);
    for (const canvas of [truthReal, truthModel]) {
      canvas.width = dw;
      canvas.height = dh;
    }
    truthReal.getContext('2d').drawImage(state.photo, 0, 0, dw, dh);
    this.updateTruth();
  }

  updateTruth() {
    const state = this.state;
    if (!state?.realAb || this.els.truth.hidden) return;
    const { truthModel, truthError, truthCaption } = this.els;
    const image = this.shownImage();
    truthModel.getContext('2d').drawImage(image, 0, 0, truthModel.width, truthModel.height);
    const [w, h] = state.truthSize;
    const shown = drawScaled(image, w, h).getContext('2d').getImageData(0, 0, w, h).data;
    const e = colourError(abOf(shown), state.realAb);
    const network = this.hints.network.visible;
    let t = state.dist ? ` at T = ${this.temperature().toFixed(2)}` : '';
    if (network) t = ` at T = ${network.t.toFixed(2)}`;
    truthCaption.textContent = `${network ? 'The hint network’s colours' : "The network's colours"}${t}`;
    truthError.dataset.error = e.mean.toFixed(2);
    truthError.textContent = `Colour error${t}: ${e.mean.toFixed(1)} on average (an all-gray guess: `
      + `${e.grayMean.toFixed(1)}). ${Math.round(e.close * 100)}% of the pixels are within ${e.threshold} of their `
      + `real colour (gray: ${Math.round(e.grayClose * 100)}%).`;
  }
}
