// The colorize page's result panel: the before/after viewer, the look and temperature (re-decoding
// the stored distribution in the browser), the pixel probe with its ab plot, the full-resolution
// views (actual pixels, full screen), the download link, and for a colour photo its real colours.

import { drawAbPlot, topBins } from './abplot.js';
import { Compare } from './compare.js';
import { Distribution, renderLab } from './distribution.js';
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

const $ = (id) => document.getElementById(id);

function stemOf(name) {
  return (name || 'photo').replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_') || 'photo';
}

export class ResultView {
  /** @param {{onTemperature?: (t: number) => void}} hooks onTemperature: a look or temperature was settled */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.els = {
      result: $('result'), name: $('result-name'), after: $('after'), before: $('before'), split: $('split'),
      splitValue: $('split-value'), temperature: $('temperature'), temperatureValue: $('temperature-value'),
      marks: $('temperature-marks'), looks: $('look-list'), plot: $('abplot'), plotFigure: $('plot'),
      caption: $('abplot-caption'), download: $('download'), frame: $('compare-frame'), compare: $('compare'),
      probeMode: $('probe-mode'), zoom: $('zoom'), fullscreen: $('fullscreen'), truth: $('truth'),
      truthError: $('truth-error'), truthModel: $('truth-model'), truthReal: $('truth-real'),
      truthCaption: $('truth-model-caption'),
    };
    this.compare = new Compare(this.els.compare, this.els.split, (x, y) => this.showProbe(x, y));
    this.state = null;
    this.frame = 0;
    this.zoomed = false;
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
    els.probeMode.addEventListener('click', () => {
      const on = els.probeMode.getAttribute('aria-pressed') !== 'true';
      els.probeMode.setAttribute('aria-pressed', String(on));
      this.compare.setMode(on ? 'probe' : 'divider');
    });
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
   * the stored distribution; `t`: the temperature to open at.
   */
  show({ job, name, photo, result, buffer, t }) {
    const meta = job.result.distribution;
    // The server's L comes from the photo it decoded; if the browser's decode differs, use the result's.
    const same = photo && photo.width === job.result.width && photo.height === job.result.height;
    const state = {
      job, name, stem: stemOf(name), photo: same ? photo : null, result, lightSource: same ? photo : result,
      dist: meta && buffer ? new Distribution(float16ToFloat32(buffer), meta.shape, meta.bin_centres) : null,
      centres: meta?.bin_centres || [],
    };
    this.state = state;
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

  redraw() {
    const state = this.state;
    if (!state?.dist) return;
    const t = this.temperature();
    const { dist, width, height } = state;
    const ctx = this.els.after.getContext('2d');
    const image = ctx.createImageData(width, height);
    renderLab(state.L, dist.abAt(t), dist.h, dist.w, width, height, image.data);
    ctx.putImageData(image, 0, 0);
    this.els.after.dataset.temperature = t.toFixed(2); // which temperature is on screen (tests wait on it)
    this.els.temperatureValue.textContent = t.toFixed(2);
    const look = lookOfTemperature(t);
    const kind = t < 0.05 ? 'close to the mode' : t > 0.95 ? 'close to the mean' : 'between mode and mean';
    this.els.temperature.setAttribute('aria-valuetext', `${t.toFixed(2)}, ${look ? `the ${look.label.toLowerCase()} look` : kind}`);
    this.updateDownload();
    this.updateTruth();
    if (this.compare.point) this.showProbe(...this.compare.point);
  }

  /** Where the download link points: the server's full-size decoding at the temperature shown. */
  downloadUrl() {
    const { job, dist } = this.state;
    return dist ? `${job.links.recolor}?temperature=${this.temperature().toFixed(2)}` : job.links.result;
  }

  updateDownload() {
    const { dist, stem } = this.state;
    this.els.download.href = this.downloadUrl();
    this.els.download.download = dist ? `${stem}-colorized-T${this.temperature().toFixed(2)}.png` : `${stem}-colorized.png`;
  }

  showProbe(x, y) {
    const state = this.state;
    if (!state?.dist) return;
    const { dist } = state;
    const [nx, ny] = dist.netPixel(x, y, state.width, state.height);
    const probs = dist.probabilities(nx, ny, 1);
    const decoded = dist.decodePixel(ny * dist.w + nx, this.temperature(), [0, 0], 0);
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
    if (!document.fullscreenElement) reveal(this.els.plotFigure, 'nearest');
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
    truthModel.getContext('2d').drawImage(this.els.after, 0, 0, truthModel.width, truthModel.height);
    const [w, h] = state.truthSize;
    const shown = drawScaled(this.els.after, w, h).getContext('2d').getImageData(0, 0, w, h).data;
    const e = colourError(abOf(shown), state.realAb);
    const t = state.dist ? ` at T = ${this.temperature().toFixed(2)}` : '';
    truthCaption.textContent = `The network's colours${t}`;
    truthError.dataset.error = e.mean.toFixed(2);
    truthError.textContent = `Colour error${t}: ${e.mean.toFixed(1)} on average (an all-gray guess: `
      + `${e.grayMean.toFixed(1)}). ${Math.round(e.close * 100)}% of the pixels are within ${e.threshold} of their `
      + `real colour (gray: ${Math.round(e.grayClose * 100)}%).`;
  }
}
