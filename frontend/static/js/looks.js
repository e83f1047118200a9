// The colorize page's looks: named temperatures of the annealed mean, softmax(log p / T) · bins.
// Low T keeps the most likely colour (vivid, but patchy where the network hesitates); T = 1 is the
// mean of all it considered (smooth but grayish). Zhang et al. (2016) chose T = 0.38 between the two.
//
// Why Balanced is 0.6 and the default: on imagenette-val photos 1000-1299 (the ones the serving
// settings were chosen on; `pretext evaluate colorization-sweep --sides 192 --alphas 0 --temperatures
// 0.15,0.38,0.5,0.6,0.8,1.0 --val-images 300`), the shipped model at T = 0.6 is as colourful as the real
// photos (0.99 of their colourfulness; 0.38 gives 1.04, 1.0 gives 0.90), has the best raw AuC (89.30;
// 0.38: 89.29, 1.0: 89.19) and a rebalanced AuC within 0.05 of the best (69.57; 0.38: 69.25,
// 1.0: 69.54). Its logits already carry a prior correction, so the paper's 0.38 is on its vivid side.

export const PAPER_T = 0.38;

export const LOOKS = [
  { id: 'vivid', label: 'Vivid', t: PAPER_T, hint: 'the paper’s value' },
  { id: 'balanced', label: 'Balanced', t: 0.6, hint: 'as colourful as real photos' },
  { id: 'muted', label: 'Muted', t: 1, hint: 'the mean' },
];

// The page's one default look: the page opens every new result at this temperature, sends it with
// every upload (so the server's own decoding and the download match what is shown) and marks it.
export const DEFAULT_LOOK = 'balanced';

export function lookById(id) {
  return LOOKS.find((l) => l.id === id) || LOOKS.find((l) => l.id === DEFAULT_LOOK);
}

/** The look whose temperature is `t` (to two decimals), or null for a temperature of one's own. */
export function lookOfTemperature(t) {
  return LOOKS.find((l) => Math.abs(l.t - t) < 0.005) || null;
}

export function defaultTemperature() {
  return lookById(DEFAULT_LOOK).t;
}
