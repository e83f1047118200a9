// Reading a rotation job's result: the angle probabilities, and where each block's attention
// map is (GET {job}/attention/{block}/map: 8-bit grayscale PNG at the map's own resolution).

export const ANGLES = [0, 90, 180, 270];

/** [{block, mapUrl, overlayUrl, shape: [h, w] | null}] for each block the job stored. */
export function attentionLayers(job) {
  const attention = job.result?.attention || {};
  const blocks = Number(attention.blocks) || 0;
  const base = job.links?.self || `/api/v1/jobs/${job.id}`;
  return Array.from({ length: blocks }, (_, i) => ({
    block: i + 1,
    mapUrl: `${base}/attention/${i + 1}/map`,
    overlayUrl: `${base}/attention/${i + 1}`,
    shape: attention.shapes?.[i] || null,
  }));
}

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

/**
 * How a photo at `angle` (turned counter-clockwise, the project's convention) is described: a
 * quarter turn the other way is "90° clockwise", as a person would say it, not "270° counter-clockwise".
 */
export function angleName(angle) {
  switch (((Number(angle) % 360) + 360) % 360) {
    case 0: return 'upright (0°)';
    case 90: return 'turned 90° counter-clockwise';
    case 180: return 'upside down (turned 180°)';
    case 270: return 'turned 90° clockwise';
    default: return `turned ${angle}° counter-clockwise`;
  }
}

// The attention exponent p the API accepts: 0 < p <= 8 (POST /api/v1/rotation answers 422 otherwise).
export const P_MAX = 8;
export const P_DEFAULT = 2;

/** The exponent typed, as a number, or null when the API would refuse it. */
export function validP(text) {
  const s = String(text ?? '').trim();
  if (s === '') return null;
  const p = Number(s);
  return Number.isFinite(p) && p > 0 && p <= P_MAX ? p : null;
}
