// Reading a rotation job's result. The attention maps may come as links to PNGs or as raw maps,
// per block, in a list or keyed by block; this turns any of those into one list of layers.

const URL_KEYS = ['overlay', 'png', 'url', 'href', 'link', 'heatmap', 'image'];
const MAP_KEYS = ['map', 'values', 'data'];

function fromRows(rows) {
  const h = rows.length;
  const w = rows[0]?.length || 0;
  return h && w ? { h, w, values: rows.flat() } : null;
}

function layer(block, value) {
  if (typeof value === 'string') return { block, url: value };
  if (Array.isArray(value)) {
    const map = Array.isArray(value[0]) ? fromRows(value) : null;
    return map && { block, map };
  }
  if (!value || typeof value !== 'object') return null;
  const b = Number(value.block ?? block);
  const url = URL_KEYS.map((k) => value[k]).find((v) => typeof v === 'string');
  if (url) return { block: b, url };
  const raw = MAP_KEYS.map((k) => value[k]).find(Array.isArray);
  if (!raw) return null;
  if (Array.isArray(raw[0])) {
    const map = fromRows(raw);
    return map && { block: b, map };
  }
  const [h, w] = value.shape || [value.height, value.width];
  return h * w === raw.length ? { block: b, map: { h, w, values: raw } } : null;
}

function blockNumber(key, index) {
  const digits = String(key).match(/\d+/);
  return digits ? Number(digits[0]) : index + 1;
}

/** [{block, url}] or [{block, map: {h, w, values}}], sorted by block. */
export function attentionLayers(result, links = {}) {
  let entries = [];
  const attention = result?.attention;
  if (Array.isArray(attention)) entries = attention.map((v, i) => [i + 1, v]);
  else if (attention && typeof attention === 'object') {
    entries = Object.entries(attention).map(([k, v], i) => [blockNumber(k, i), v]);
  }
  if (!entries.length) {
    // Links may sit with the job's other links instead: {"attention1": "...png", ...}.
    entries = Object.entries(links || {})
      .filter(([k, v]) => /attention/i.test(k) && (typeof v === 'string' || Array.isArray(v)))
      .flatMap(([k, v], i) => (Array.isArray(v) ? v.map((u, j) => [j + 1, u]) : [[blockNumber(k, i), v]]));
  }
  return entries.map(([b, v]) => layer(b, v)).filter(Boolean).sort((x, y) => x.block - y.block);
}

export const ANGLES = [0, 90, 180, 270];

/** The most likely angle of a {"0": p, "90": p, ...} answer, and its probability. */
export function bestAngle(probabilities) {
  let best = 0;
  let p = -1;
  for (const a of ANGLES) {
    const v = Number(probabilities?.[String(a)] ?? -1);
    if (v > p) {
      best = a;
      p = v;
    }
  }
  return { angle: best, p };
}
