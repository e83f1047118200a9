// Bringing a result into view. On a phone the result of a choice often starts below the screen
// (the jigsaw board began at 1106 px of an 844 px screen), so nothing seemed to happen.

function reducedMotion() {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Whether all of `el` is on screen (or, when it is taller than the screen, whether it starts near the top). */
export function inView(el) {
  const box = el.getBoundingClientRect();
  const h = window.innerHeight || document.documentElement.clientHeight;
  if (box.height > h) return box.top >= 0 && box.top < h * 0.25;
  return box.top >= 0 && box.bottom <= h;
}

/**
 * Scroll `el` into view unless it already is; `block` as for scrollIntoView. `instant`: jump, for
 * when something starts the moment it is on screen (a timed Turing trial).
 */
export function reveal(el, block = 'start', { instant = false } = {}) {
  if (!el || inView(el)) return;
  el.scrollIntoView({ behavior: instant || reducedMotion() ? 'auto' : 'smooth', block });
}
