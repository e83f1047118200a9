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
