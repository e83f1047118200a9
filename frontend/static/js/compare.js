// The before/after viewer: the gray input laid over the colorized photo, cut at a divider. Dragging
// on the photo moves the divider (as the range input under it does); the colour probe, which picks a
// pixel, has its own mode, or Shift/Alt with a click, or the arrow keys when the photo has the focus.

export class Compare {
  /**
   * @param {HTMLElement} root the .compare element (focusable), holding canvas.after, canvas.before
   * @param {HTMLInputElement} split range input 0..100: how much of the width shows the gray input
   * @param {(x: number, y: number) => void} onProbe called with image pixel coordinates
   */
  constructor(root, split, onProbe) {
    this.root = root;
    this.after = root.querySelector('canvas.after');
    this.before = root.querySelector('canvas.before');
    this.divider = root.querySelector('.compare-divider');
    this.marker = root.querySelector('.probe');
    this.tags = { left: root.querySelector('.compare-tag.left'), right: root.querySelector('.compare-tag.right') };
    this.split = split;
    this.onProbe = onProbe;
    this.point = null;
    this.mode = 'divider';
    this.pointer = null; // the pointer dragging the divider or the probe, while one is
    split.addEventListener('input', () => this.cut());
    root.addEventListener('pointerdown', (e) => this.down(e));
    root.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel']) root.addEventListener(type, (e) => this.up(e));
    root.addEventListener('keydown', (e) => this.key(e));
    // The tags' room depends on the rendered width, which changes with the window and the zoom.
    new ResizeObserver(() => this.placeTags()).observe(root);
    this.cut();
  }

  get width() {
    return this.after.width;
  }

  get height() {
    return this.after.height;
  }

  /** 'divider' (a drag moves the divider) or 'probe' (a click or drag picks a pixel). */
  setMode(mode) {
    this.mode = mode;
    this.root.dataset.mode = mode;
  }

  /** Show `split`% of the gray input from the left. */
  cut() {
    const s = Number(this.split.value);
    // CSSOM style properties, not style attributes, so the page's CSP can forbid inline styles.
    this.before.style.clipPath = `inset(0 ${100 - s}% 0 0)`;
    this.divider.style.left = `${s}%`;
    this.split.setAttribute('aria-valuetext', `${Math.round(s)}% gray input, ${Math.round(100 - s)}% colorized`);
    this.placeTags();
  }

  /**
   * Each tag shows only while its side has room for it, so "gray input" never sits on a colorized
   * part (at 0% the whole photo is colorized) and "colorized" never on the gray one.
   */
  placeTags() {
    const width = this.root.getBoundingClientRect().width;
    if (!width) return;
    const at = (Number(this.split.value) / 100) * width;
    const { left, right } = this.tags;
    // visibility, not display: the tags keep their size, so their room can be measured either way.
    if (left) left.style.visibility = at >= left.offsetLeft + left.offsetWidth + 4 ? 'visible' : 'hidden';
    if (right) right.style.visibility = at <= right.offsetLeft - 4 ? 'visible' : 'hidden';
  }

  /** Rename the two sides (the left one shows the real colours instead of the gray input, say). */
  setLabels(left, right) {
    this.tags.left.textContent = left;
    this.tags.right.textContent = right;
    this.split.setAttribute('aria-valuetext',
      `${Math.round(Number(this.split.value))}% ${left}, ${Math.round(100 - Number(this.split.value))}% ${right}`);
    this.placeTags();
  }

  /** The image pixel under a pointer event. */
  pixelAt(e) {
    const box = this.after.getBoundingClientRect();
    return [Math.floor(((e.clientX - box.left) / box.width) * this.width),
      Math.floor(((e.clientY - box.top) / box.height) * this.height)];
  }

  /** The divider to the pointer's x, through the range input, so everything listening to it follows. */
  splitAt(e) {
    const box = this.after.getBoundingClientRect();
    const s = Math.min(100, Math.max(0, ((e.clientX - box.left) / box.width) * 100));
    this.split.value = String(Math.round(s));
    this.split.dispatchEvent(new Event('input', { bubbles: true }));
  }

  down(e) {
    if (e.button !== 0 || this.pointer !== null) return;
    const probing = this.mode === 'probe' || e.shiftKey || e.altKey;
    this.pointer = { id: e.pointerId, probing };
    this.root.setPointerCapture?.(e.pointerId);
    e.preventDefault(); // no text selection or image drag while dragging across the photo
    this.root.focus({ preventScroll: true });
    if (probing) this.probe(...this.pixelAt(e));
    else this.splitAt(e);
  }

  move(e) {
    if (this.pointer?.id !== e.pointerId) return;
    if (this.pointer.probing) this.probe(...this.pixelAt(e));
    else this.splitAt(e);
  }

  up(e) {
    if (this.pointer?.id === e.pointerId) this.pointer = null;
  }

  key(e) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[e.key];
    if (!move && e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault(); // keep the arrows from scrolling the page
    // Start in the middle; steps are 1/50 of the image (1/10 with Shift), whatever its size.
    const [x, y] = this.point || [this.width >> 1, this.height >> 1];
    const step = Math.max(1, Math.round(Math.max(this.width, this.height) / (e.shiftKey ? 10 : 50)));
    const [dx, dy] = move || [0, 0];
    this.probe(x + dx * step, y + dy * step);
  }

  probe(x, y) {
    const px = Math.min(this.width - 1, Math.max(0, x));
    const py = Math.min(this.height - 1, Math.max(0, y));
    this.point = [px, py];
    this.marker.hidden = false;
    this.marker.style.left = `${((px + 0.5) / this.width) * 100}%`;
    this.marker.style.top = `${((py + 0.5) / this.height) * 100}%`;
    this.onProbe(px, py);
  }

  /** The canvases are about to be redrawn at another size: keep the probe on the same spot. */
  rescale(width, height) {
    if (!this.point) return;
    this.point = [Math.floor((this.point[0] * width) / this.width), Math.floor((this.point[1] * height) / this.height)];
  }

  reset() {
    this.point = null;
    this.marker.hidden = true;
  }
}
