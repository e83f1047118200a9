// Painting the colorized photo: the photo's L under an (h, w, 2) ab map (distribution.js's renderRegion), the
// rows shared among a few module workers when the browser has them, so a hint or a new temperature recolours
// a megapixel in a fraction of the time one thread takes. Each worker keeps its band of L; a paint sends the
// small ab map and gets the band's pixels back. A worker answers in order and the bands do not overlap, so
// paints land in the order they were asked for.

import { renderRegion } from './distribution.js';

const MAX_WORKERS = 4;

export class Painter {
  /** @param {HTMLCanvasElement} canvas where the pixels go */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.workers = [];
    this.pending = new Map(); // paint id -> {left, resolve}
    this.nextId = 1;
    this.image = null;
    this.generation = 0; // setImage's count: a paint for an older image is not put on the canvas
    const n = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 2));
    try {
      for (let i = 0; i < n; i += 1) {
        const worker = new Worker(new URL('./colorize-render-worker.js', import.meta.url), { type: 'module' });
        worker.onmessage = ({ data }) => this.received(data);
        worker.onerror = () => this.fallBack();
        this.workers.push(worker);
      }
    } catch {
      this.fallBack();
    }
  }

  /** No workers (none allowed, or one failed): paint on this thread from now on. */
  fallBack() {
    for (const worker of this.workers) worker.terminate();
    this.workers = [];
    // Paints in flight would never be answered: redo them here.
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const job of waiting) {
      if (job.generation === this.generation) this.paint(job.ab, job.region).then(job.resolve);
      else job.resolve();
    }
  }

  /** The photo's L (width x height) and the ab grid's size, for the paints that follow. */
  setImage(L, width, height, h, w) {
    this.image = { L, width, height, h, w };
    this.generation += 1;
    const n = this.workers.length;
    this.bands = [];
    for (let i = 0; i < n; i += 1) {
      const top = Math.floor((i * height) / n);
      const bottom = Math.floor(((i + 1) * height) / n);
      this.bands.push([top, bottom]);
      const band = L.slice(top * width, bottom * width);
      this.workers[i].postMessage({ type: 'image', L: band, top, width, height, h, w }, [band.buffer]);
    }
  }

  /** Paint `region` ({x0, y0, x1, y1}; null: all) from the ab map `ab`; resolves once it is on the canvas. */
  paint(ab, region = null) {
    const { width, height, h, w, L } = this.image;
    const r = region || { x0: 0, y0: 0, x1: width, y1: height };
    if (r.x1 <= r.x0 || r.y1 <= r.y0) return Promise.resolve();
    if (!this.workers.length) {
      const pixels = renderRegion(L, 0, ab, h, w, width, height, r);
      this.put(r, pixels);
      return Promise.resolve();
    }
    const id = this.nextId;
    this.nextId += 1;
    const copy = Float32Array.from(ab); // the map as it is now: later changes are later paints
    let left = 0;
    this.bands.forEach(([top, bottom], i) => {
      const y0 = Math.max(top, r.y0);
      const y1 = Math.min(bottom, r.y1);
      if (y1 <= y0) return;
      left += 1;
      this.workers[i].postMessage({ type: 'paint', id, ab: copy, region: { ...r, y0, y1 } });
    });
    if (!left) return Promise.resolve();
    const generation = this.generation;
    return new Promise((resolve) => this.pending.set(id, { left, resolve, ab: copy, region: r, generation }));
  }

  received({ id, region, pixels }) {
    const job = this.pending.get(id);
    if (!job) return;
    // A photo laid out anew since the paint was asked for has new pixels coming: drop the old ones.
    if (job.generation === this.generation) this.put(region, pixels);
    job.left -= 1;
    if (!job.left) {
      this.pending.delete(id);
      job.resolve();
    }
  }

  put(region, pixels) {
    const image = new ImageData(pixels, region.x1 - region.x0, region.y1 - region.y0);
    this.ctx.putImageData(image, region.x0, region.y0);
  }
}
