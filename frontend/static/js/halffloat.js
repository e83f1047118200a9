// IEEE 754 half floats (the distribution's float16 storage) to Float32Array.

let table = null;

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Little-endian float16 bytes -> Float32Array, through a 65,536-entry table built once. */
export function float16ToFloat32(buffer) {
  table ||= Float32Array.from({ length: 65536 }, (_, h) => halfToFloat(h));
  const n = buffer.byteLength >> 1;
  const view = new DataView(buffer); // DataView, so the byte order is explicit on any machine
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) out[i] = table[view.getUint16(2 * i, true)];
  return out;
}
