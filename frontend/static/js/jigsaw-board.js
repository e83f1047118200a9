// The 3 x 3 puzzle board: nine tile buttons placed by CSS transforms, so a new arrangement
// animates. Swap two tiles by picking one and then the other (pointer, Enter or Space); the arrow
// keys move between positions (a roving tabindex keeps Tab to one stop for the whole board).

import { makeCanvas } from './images.js';

export const GRID = 3;
export const N = GRID * GRID;
const IDENTITY = [...Array(N).keys()];

/** A uniformly random permutation of 0..8 other than the identity (Fisher–Yates). */
export function randomOrder(random = Math.random) {
  for (;;) {
    const order = [...IDENTITY];
    for (let i = N - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    if (order.some((cell, pos) => cell !== pos)) return order;
  }
}

/** Whether `p` is a permutation of 0..8. */
export function isPermutation(p) {
  return Array.isArray(p) && p.length === N && [...p].sort((a, b) => a - b).every((v, i) => v === i);
}

export class Board {
  /**
   * @param {HTMLElement} root the .board element
   * @param {{onSwap?: (i: number, j: number) => void}} hooks
   */
  constructor(root, hooks = {}) {
    this.root = root;
    this.hooks = hooks;
    this.tiles = []; // tiles[cell]: the button showing original cell `cell`
    this.order = [...IDENTITY]; // order[pos]: the cell shown at position `pos` (the API's permutation)
    this.selected = null; // position picked as the first of a swap
    this.focusPos = 0;
    this.locked = false;
    root.addEventListener('keydown', (e) => this.key(e));
  }

  /** Cut a square canvas into the nine tiles, shown in their original places. */
  setImage(canvas) {
    this.source = canvas;
    const cell = canvas.width / GRID;
    this.tiles = IDENTITY.map((c) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'tile';
      button.dataset.cell = String(c);
      const piece = makeCanvas(cell, cell);
      piece.getContext('2d').drawImage(canvas, (c % GRID) * cell, Math.floor(c / GRID) * cell, cell, cell, 0, 0, cell, cell);
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.hidden = true;
      button.append(piece, badge);
      button.addEventListener('click', () => this.pick(Number(button.dataset.pos)));
      button.addEventListener('focus', () => {
        this.focusPos = Number(button.dataset.pos);
      });
      return button;
    });
    this.root.replaceChildren(...this.tiles);
    this.order = [...IDENTITY];
    this.selected = null;
    this.clearMarks();
    this.place();
  }

  tileAt(pos) {
    return this.tiles[this.order[pos]];
  }

  /** Move every tile to its position (animated by the CSS transition) and label it. */
  place() {
    this.order.forEach((cell, pos) => {
      const tile = this.tiles[cell];
      const row = Math.floor(pos / GRID);
      const col = pos % GRID;
      tile.dataset.pos = String(pos);
      tile.style.transform = `translate(${col * 100}%, ${row * 100}%)`;
      tile.tabIndex = pos === this.focusPos ? 0 : -1;
      tile.classList.toggle('selected', pos === this.selected);
      tile.setAttribute('aria-pressed', String(pos === this.selected));
      const badge = tile.querySelector('.badge');
      const extra = badge.hidden ? '' : `, ${badge.dataset.say}`;
      tile.setAttribute('aria-label', `Tile at row ${row + 1}, column ${col + 1}${extra}`);
    });
  }

  /** Pick a position: the first pick selects, the second swaps (picking the same one cancels). */
  pick(pos) {
    if (this.locked || Number.isNaN(pos)) return;
    if (this.selected === null) {
      this.selected = pos;
    } else if (this.selected === pos) {
      this.selected = null;
    } else {
      const first = this.selected;
      this.selected = null;
      this.swap(first, pos);
      this.hooks.onSwap?.(first, pos);
    }
    this.place();
  }

  swap(i, j) {
    [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    this.clearMarks();
    this.focusPos = j;
    this.place();
    this.tileAt(j).focus({ preventScroll: true });
  }

  key(e) {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -GRID, ArrowDown: GRID };
    if (e.key === 'Escape' && this.selected !== null) {
      this.selected = null;
      this.place();
      return;
    }
    if (!(e.key in moves) || !this.tiles.length) return;
    e.preventDefault();
    const pos = this.focusPos;
    const step = moves[e.key];
    const next = pos + step;
    // Left/right stay within the row; up/down within the board.
    const sameRow = Math.floor(next / GRID) === Math.floor(pos / GRID);
    if (next < 0 || next >= N || (Math.abs(step) === 1 && !sameRow)) return;
    this.focusPos = next;
    this.place();
    this.tileAt(next).focus();
  }

  setOrder(order) {
    this.order = [...order];
    this.selected = null;
    this.clearMarks();
    this.place();
  }

  /** Tiles in their original place. */
  inPlace() {
    return this.order.filter((cell, pos) => cell === pos).length;
  }

  /** The board as one image, tiles where they are now: what is sent to the network. */
  composite() {
    const side = this.source.width;
    const cell = side / GRID;
    const canvas = makeCanvas(side, side);
    const ctx = canvas.getContext('2d');
    this.order.forEach((c, pos) => {
      ctx.drawImage(this.source, (c % GRID) * cell, Math.floor(c / GRID) * cell, cell, cell,
        (pos % GRID) * cell, Math.floor(pos / GRID) * cell, cell, cell);
    });
    return canvas;
  }

  /**
   * Move the tiles where the network put them: `permutation[i]` is the cell it believes the tile
   * at position i came from, `confidence[i]` how sure it is. Returns how many it got right.
   */
  showSolution(permutation, confidence) {
    const before = [...this.order];
    const after = new Array(N);
    let right = 0;
    before.forEach((cell, pos) => {
      const tile = this.tiles[cell];
      const guess = permutation[pos];
      after[guess] = cell;
      const ok = guess === cell;
      right += ok;
      const badge = tile.querySelector('.badge');
      const pct = Math.round((confidence?.[pos] ?? NaN) * 100);
      badge.textContent = Number.isFinite(pct) ? `${pct}%` : '?';
      badge.dataset.say = `${ok ? 'placed right' : 'placed wrong'}, confidence ${badge.textContent}`;
      badge.hidden = false;
      tile.classList.toggle('right', ok);
      tile.classList.toggle('wrong', !ok);
    });
    this.order = after;
    this.selected = null;
    this.place();
    return right;
  }

  clearMarks() {
    for (const tile of this.tiles) {
      tile.classList.remove('right', 'wrong');
      tile.querySelector('.badge').hidden = true;
    }
  }
}
