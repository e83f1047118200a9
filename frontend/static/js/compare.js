// The before/after viewer: the gray input laid over the colorized photo, cut at a split set by a
// range input, and a probe that picks a pixel by pointer or by the arrow keys.

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
    this.split = split;
    this.onProbe = onProbe;
    this.point = null;
    split.addEventListener('input', () => this.cut());
    root.addEventListener('click', (e) => this.pick(e));
    root.addEventListener('keydown', (e) => this.key(e));
    this.cut();
  }

  get width() {
    return this.after.width;
  }

  get height() {
    return this.after.height;
  }

  /** Show `split`% of the gray input from the left. */
  cut() {
    const s = Number(this.split.value);
    // CSSOM style properties, not style attributes, so the page's CSP can forbid inline styles.
    this.before.style.clipPath = `inset(0 ${100 - s}% 0 0)`;
    this.divider.style.left = `${s}%`;
    this.split.setAttribute('aria-valuetext', `${Math.round(s)}% gray input, ${Math.round(100 - s)}% colorized`);
  }

  pick(e) {
    const box = this.after.getBoundingClientRect();
    const x = Math.floor(((e.clientX - box.left) / box.width) * this.width);
    const y = Math.floor(((e.clientY - box.top) / box.height) * this.height);
    this.probe(x, y);
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

  reset() {
    this.point = null;
    this.marker.hidden = true;
  }
}
