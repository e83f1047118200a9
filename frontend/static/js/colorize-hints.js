// The colorize page's colour hints (issue #32): the hint mode (click the photo, pick one of the colours the
// network considered there or any colour), the list of hints with their markers on the photo, the palette,
// undo and clear, and HINTS.json saved and loaded. The recolouring itself is hints.js (models/hints.py's
// method) on the stored distribution, through the result view's partial redraw: no request to the server. The
// other method, the hint network (re-run on the server with the hints as its input), is colorize-network.js.

import { HintNetwork } from './colorize-network.js';
import { drawScaled } from './images.js';
import { HintError, HintSolver, MAX_PALETTE, MAX_POINTS, gridCell, gridLightness, hintsJson, likelyColours,
  parseHints } from './hints.js';
import { labCss, labOf, labToRgb8 } from './lab.js';

const $ = (id) => document.getElementById(id);
const hex = (rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const rgbOfHex = (value) => [1, 3, 5].map((i) => Number.parseInt(value.slice(i, i + 2), 16));
const cssRgb = (rgb) => `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
const clone = (list) => list.map((c) => (Array.isArray(c) ? [...c] : { ...c, rgb: [...c.rgb] }));

/**
 * An 8-bit colour whose a and b are (a, b), as near as 8 bits allow (a hint's colour counts only by its ab):
 * made at a middle lightness, where it is easy to tell apart, unless the colour exists only lighter or
 * darker (a saturated yellow, a deep blue), then at the lightness that keeps its chroma best.
 */
export function hintRgb(a, b) {
  let best = null;
  for (const l of [60, 70, 50, 80, 40, 90, 30, 20]) {
    const rgb = labToRgb8(l, a, b, [0, 0, 0]);
    const lab = labOf(rgb[0], rgb[1], rgb[2]);
    const err = Math.hypot(lab[1] - a, lab[2] - b);
    if (err < 1.5) return rgb;
    if (!best || err < best.err) best = { rgb, err };
  }
  return best.rgb;
}

export class HintsPanel {
  /** @param {import('./colorize-result.js').ResultView} view the result view it steers */
  constructor(view) {
    this.view = view;
    this.els = {
      panel: $('hints'), mode: $('hint-mode'), popover: $('hint-popover'), popoverTitle: $('hint-popover-title'),
      modes: $('hint-modes'), colour: $('hint-colour'), useColour: $('hint-use-colour'), cancel: $('hint-cancel'),
      list: $('hint-list'), empty: $('hint-empty'), paletteList: $('palette-list'), paletteAdd: $('palette-add'),
      undo: $('hint-undo'), clear: $('hint-clear'), save: $('hint-save'), file: $('hint-file'),
      message: $('hint-message'), compare: $('compare'), frame: $('compare-frame'), after: $('after'),
    };
    this.points = [];
    this.palette = [];
    this.history = [];
    this.solver = null;
    this.active = false;
    this.pending = null; // the point the popover is for: {x, y} in the photo's pixels, L there
    this.dots = [];
    this.version = 0;
    this.network = new HintNetwork(this, view);
    this.wire();
  }

  wire() {
    const { els } = this;
    els.mode.addEventListener('click', () => this.setActive(!this.active));
    els.cancel.addEventListener('click', () => this.closePopover(true));
    els.useColour.addEventListener('click', () => this.choose(rgbOfHex(els.colour.value)));
    els.popover.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.closePopover(true);
      }
    });
    els.undo.addEventListener('click', () => this.undo());
    els.clear.addEventListener('click', () => this.commit([], [], 'All hints cleared.'));
    els.save.addEventListener('click', () => this.save());
    els.file.addEventListener('change', () => {
      const [file] = els.file.files;
      els.file.value = '';
      if (file) this.load(file);
    });
    els.paletteAdd.addEventListener('click', () => {
      if (this.palette.length >= MAX_PALETTE) return;
      this.commit(this.points, [...this.palette, this.suggestedColour()], 'Palette colour added.');
      els.paletteList.querySelectorAll('input[type="color"]')[this.palette.length - 1]?.focus();
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !els.popover.hidden && !els.popover.contains(document.activeElement)) this.closePopover();
    });
  }

  /** Hints apply to a distribution: the panel shows for such a result, empty, each time one opens. */
  reset(state) {
    this.points = [];
    this.palette = [];
    this.history = [];
    this.solver = null;
    this.network.reset();
    this.closePopover();
    this.setActive(false);
    this.els.panel.hidden = !state?.dist;
    this.els.mode.hidden = !state?.dist;
    this.els.message.textContent = '';
    const given = state?.job.result.hints; // hints the API was given: the page has their counts, not the hints
    if (given && state.dist) {
      this.say(`This photo was colorized with ${given.points} point hint${given.points === 1 ? '' : 's'}`
        + `${given.palette ? ' and a palette' : ''} sent with it; shown here is the network's own prediction. `
        + 'Load the same hints file to see them and change them.');
    }
    this.render();
  }

  get hinted() {
    return this.points.length > 0 || this.palette.length > 0;
  }

  /** The hint mode: a click (or Enter, or a drag) on the photo opens the colours of that point. */
  setActive(on) {
    this.active = on;
    this.els.mode.setAttribute('aria-pressed', String(on));
    if (on) {
      this.view.setProbeMode(false);
      // The whole photo colorized, so every hint's effect shows (the divider stays where it is put after).
      const split = $('split');
      if (Number(split.value) > 0) {
        split.value = '0';
        split.dispatchEvent(new Event('input', { bubbles: true }));
      }
      // The solver's set-up (the photo's lightness on the grid, the edge costs) before the first click needs it.
      setTimeout(() => {
        if (this.active && this.view.state?.dist) this.ensureSolver().warm();
      }, 0);
    }
    this.view.compare.setMode(on || this.view.probing ? 'probe' : 'divider');
    if (!on) this.closePopover();
  }

  /** The solver, made on first use: it needs the photo's lightness on the network's grid. */
  ensureSolver() {
    const state = this.view.state;
    if (!this.solver) {
      const { width, height } = state.job.result;
      const { dist } = state;
      const pixels = drawScaled(state.lightSource, width, height).getContext('2d').getImageData(0, 0, width, height);
      const lGrid = gridLightness(pixels.data, width, height, dist.h, dist.w);
      this.solver = new HintSolver(dist, lGrid, width, height);
    }
    return this.solver;
  }

  /** The (h, w, 2) ab map at temperature t with the hints, or null without any. */
  abAt(t) {
    if (!this.hinted) return null;
    const solver = this.ensureSolver();
    solver.update(this.points, this.palette);
    return solver.decode(t, new Float32Array(solver.h * solver.w * 2));
  }

  /** The result view probed image pixel (x, y) of its w x h canvas in the hint mode: offer its colours. */
  pick(x, y) {
    const state = this.view.state;
    if (!state?.dist || !this.active) return;
    const { width: W, height: H } = state.job.result;
    const px = Math.min(W - 1, Math.floor(((x + 0.5) * W) / state.width));
    const py = Math.min(H - 1, Math.floor(((y + 0.5) * H) / state.height));
    const L = state.L[y * state.width + x];
    const { dist } = state;
    const [row, col] = gridCell(px, py, W, H, dist.h, dist.w);
    const colours = likelyColours(dist.probabilities(col, row, 1), dist.ca, dist.cb);
    this.pending = { x: px, y: py, L };
    const { els } = this;
    els.popoverTitle.textContent = `Colour at (${px}, ${py})`;
    els.modes.replaceChildren(...colours.map(({ a, b, p }, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'hint-swatch';
      const rgb = hintRgb(a, b);
      button.dataset.rgb = rgb.join(',');
      const chip = document.createElement('span');
      chip.className = 'hint-chip';
      // About how the spot will look (its lightness, kept light enough that the colours can be told apart).
      chip.style.background = labCss(Math.min(85, Math.max(45, L)), a, b);
      const share = `${Math.round(p * 100)}%`;
      button.append(chip, share);
      button.setAttribute('aria-label', `Colour ${i + 1}, ${share} likely (a ${a.toFixed(0)}, b ${b.toFixed(0)})`);
      button.addEventListener('click', () => this.choose(rgb));
      return button;
    }));
    els.colour.value = hex(hintRgb(colours[0].a, colours[0].b));
    els.popover.hidden = false;
    this.placePopover();
  }

  /** Next to the point, inside the photo's frame; below it when there is room, else above. */
  placePopover() {
    const { popover, frame, compare } = this.els;
    const marker = compare.querySelector('.probe');
    const box = frame.getBoundingClientRect();
    const at = marker && !marker.hidden ? marker.getBoundingClientRect() : compare.getBoundingClientRect();
    const cx = at.left + at.width / 2 - box.left;
    const cy = at.top + at.height / 2 - box.top;
    const pw = popover.offsetWidth;
    const ph = popover.offsetHeight;
    const left = Math.max(4, Math.min(box.width - pw - 4, cx - pw / 2));
    let top = cy + 16;
    if (top + ph > box.height - 4) top = cy - 16 - ph;
    popover.style.left = `${left}px`;
    popover.style.top = `${Math.max(4, top)}px`;
  }

  closePopover(refocus = false) {
    if (this.els.popover.hidden) return;
    this.els.popover.hidden = true;
    this.pending = null;
    if (refocus) this.els.compare.focus({ preventScroll: true });
  }

  /** A colour was chosen for the pending point: add the hint. */
  choose(rgb) {
    const point = this.pending;
    if (!point) return;
    this.started = performance.now();
    if (this.points.length >= MAX_POINTS) {
      this.say(`At most ${MAX_POINTS} point hints; remove one first.`);
      return;
    }
    this.closePopover(this.els.popover.contains(document.activeElement));
    this.commit([...this.points, { x: point.x, y: point.y, rgb }], this.palette,
      `Hint ${this.points.length + 1} added at (${point.x}, ${point.y}).`);
  }

  /** Replace the hints (after remembering the old ones for undo) and recolour. */
  commit(points, palette, message) {
    this.history.push({ points: clone(this.points), palette: clone(this.palette) });
    if (this.history.length > 200) this.history.shift();
    this.set(points, palette, message);
  }

  set(points, palette, message = '') {
    this.started ??= performance.now();
    this.points = clone(points);
    this.palette = clone(palette);
    this.apply();
    this.render();
    if (message) this.say(message);
  }

  undo() {
    const last = this.history.pop();
    if (last) this.set(last.points, last.palette, 'Undone.');
  }

  remove(i) {
    const p = this.points[i];
    this.commit(this.points.filter((_, k) => k !== i), this.palette, `Hint at (${p.x}, ${p.y}) removed.`);
  }

  /**
   * Recolour what the change reaches, in the browser; with the hint network chosen, its job follows once the
   * hints settle (the instant picture underneath stays current, for when "Instant" is chosen again).
   */
  apply() {
    const view = this.view;
    const started = this.started ?? performance.now();
    this.started = null;
    if (!view.state?.dist) return;
    const { after } = this.els;
    this.version += 1;
    after.dataset.hintVersion = String(this.version);
    after.dataset.hints = String(this.points.length + (this.palette.length ? 1 : 0));
    let cells = null;
    if (this.hinted || this.solver) cells = this.ensureSolver().update(this.points, this.palette);
    const version = this.version;
    view.redrawHints(cells).then(() => {
      // The cost of the recolouring, from the choice to its region on the canvas (bench/hints_browser.py).
      after.dataset.hintMs = (performance.now() - started).toFixed(1);
      after.dataset.hintPainted = String(version);
    });
    this.network.sync();
  }

  say(text) {
    this.els.message.textContent = text;
  }

  /** A colour for a new palette entry: the photo's average colour now, at a middle lightness. */
  suggestedColour() {
    const ab = this.view.state?.ab;
    let a = 20;
    let b = 30;
    if (ab?.length) {
      a = 0;
      b = 0;
      for (let i = 0; i < ab.length; i += 2) {
        a += ab[i];
        b += ab[i + 1];
      }
      a /= ab.length / 2;
      b /= ab.length / 2;
    }
    return hintRgb(a, b);
  }

  // ---- the list, the palette, the markers --------------------------------------------------------------

  render() {
    const { els } = this;
    els.list.replaceChildren(...this.points.map((p, i) => {
      const item = document.createElement('li');
      item.className = 'hint-item';
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = cssRgb(p.rgb);
      const where = document.createElement('span');
      where.className = 'hint-where';
      where.textContent = `(${p.x}, ${p.y})`;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary hint-remove';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove hint ${i + 1} at (${p.x}, ${p.y})`);
      remove.addEventListener('click', () => this.remove(i));
      item.append(swatch, where, remove);
      return item;
    }));
    els.empty.hidden = this.points.length > 0;

    els.paletteList.replaceChildren(...this.palette.map((rgb, i) => {
      const item = document.createElement('div');
      item.className = 'palette-item';
      const input = document.createElement('input');
      input.type = 'color';
      input.value = hex(rgb);
      input.setAttribute('aria-label', `Palette colour ${i + 1}`);
      input.addEventListener('change', () => {
        const palette = clone(this.palette);
        palette[i] = rgbOfHex(input.value);
        this.commit(this.points, palette, `Palette colour ${i + 1} changed.`);
      });
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary palette-remove';
      remove.textContent = '×';
      remove.setAttribute('aria-label', `Remove palette colour ${i + 1}`);
      remove.addEventListener('click', () => this.commit(this.points, this.palette.filter((_, k) => k !== i),
        `Palette colour ${i + 1} removed.`));
      item.append(input, remove);
      return item;
    }));
    els.paletteAdd.disabled = this.palette.length >= MAX_PALETTE;
    els.undo.disabled = this.history.length === 0;
    els.clear.disabled = !this.hinted;
    els.save.disabled = !this.hinted;
    this.renderDots();
  }

  /** A dot in each hint's colour where it is on the photo. */
  renderDots() {
    const state = this.view.state;
    for (const dot of this.dots) dot.remove();
    this.dots = [];
    if (!state) return;
    const { width: W, height: H } = state.job.result;
    this.points.forEach((p, i) => {
      const dot = document.createElement('span');
      dot.className = 'hint-dot';
      dot.style.left = `${((Math.floor(p.x) + 0.5) / W) * 100}%`;
      dot.style.top = `${((Math.floor(p.y) + 0.5) / H) * 100}%`;
      dot.style.background = cssRgb(p.rgb);
      dot.title = `Hint ${i + 1}`;
      dot.setAttribute('aria-hidden', 'true');
      this.els.compare.append(dot);
      this.dots.push(dot);
    });
  }

  // ---- HINTS.json -------------------------------------------------------------------------------------

  json() {
    return hintsJson(this.points, this.palette);
  }

  save() {
    const blob = new Blob([`${JSON.stringify(this.json(), null, 1)}\n`], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${this.view.state.stem}-hints.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.say(`Saved ${link.download}: use it with the API's hints field or the command line's --hints.`);
  }

  async load(file) {
    const { width, height } = this.view.state.job.result;
    try {
      const { points, palette } = parseHints(await file.text(), width, height);
      this.commit(points, palette, `Loaded ${points.length} point hint${points.length === 1 ? '' : 's'}`
        + `${palette.length ? ` and a palette of ${palette.length}` : ''} from ${file.name}.`);
    } catch (err) {
      if (!(err instanceof HintError)) throw err;
      this.say(`${file.name} cannot be used: ${err.message}.`);
    }
  }
}
