// sRGB <-> CIE Lab (D65), the same formulas as models/color.py, so the page's colours match the
// server's to within a level of rounding.

const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;
const WHITE = [0.95047, 1.0, 1.08883];
const Y_FROM_RGB = [0.2126729, 0.7151522, 0.072175]; // the Y row of the sRGB -> XYZ matrix
// The inverse of the sRGB -> XYZ matrix, as numpy computes it in models/color.py.
const RGB_FROM_XYZ = [
  [3.2404548360214087, -1.5371388501025751, -0.498531546868481],
  [-0.9692663898756538, 1.876010928842491, 0.041556082346673545],
  [0.05564341960421367, -0.20402585426769818, 1.057225162457929],
];

function srgbToLinear(c) {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

// Only Y matters for L, and 8-bit input has just 256 values per channel: linearise by table.
const LINEAR = Float32Array.from({ length: 256 }, (_, i) => srgbToLinear(i / 255));

function f(t) {
  return t > EPSILON ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

function fInverse(t) {
  const t3 = t * t * t;
  return t3 > EPSILON ? t3 : (116 * t - 16) / KAPPA;
}

function encode(c) {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(c, 0) ** (1 / 2.4) - 0.055;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

/** L in [0, 100] of an 8-bit sRGB colour. */
export function lightness(r, g, b) {
  const y = LINEAR[r] * Y_FROM_RGB[0] + LINEAR[g] * Y_FROM_RGB[1] + LINEAR[b] * Y_FROM_RGB[2];
  return 116 * f(y) - 16;
}

/** The L channel of RGBA pixels (ImageData.data) as a Float32Array, one value per pixel. */
export function lightnessOf(rgba) {
  const out = new Float32Array(rgba.length / 4);
  for (let i = 0, p = 0; p < out.length; i += 4, p += 1) out[p] = lightness(rgba[i], rgba[i + 1], rgba[i + 2]);
  return out;
}

/** Write the 8-bit sRGB of Lab (L, a, b) into `out` at `i`, `i + 1`, `i + 2` (clipped to gamut). */
export function labToRgb8(L, a, b, out, i = 0) {
  const fy = (L + 16) / 116;
  const x = fInverse(fy + a / 500) * WHITE[0];
  const y = fInverse(fy) * WHITE[1];
  const z = fInverse(fy - b / 200) * WHITE[2];
  const m = RGB_FROM_XYZ;
  out[i] = encode(m[0][0] * x + m[0][1] * y + m[0][2] * z);
  out[i + 1] = encode(m[1][0] * x + m[1][1] * y + m[1][2] * z);
  out[i + 2] = encode(m[2][0] * x + m[2][1] * y + m[2][2] * z);
  return out;
}

/** A CSS colour for Lab (L, a, b). */
export function labCss(L, a, b) {
  const [r, g, bl] = labToRgb8(L, a, b, [0, 0, 0]);
  return `rgb(${r} ${g} ${bl})`;
}

/** Gray RGBA pixels (a = b = 0) from an L channel: the photo as the network sees it. */
export function grayFromLightness(L, rgba) {
  // Gray is one channel value per L; a 1001-entry table over L avoids the Lab maths per pixel.
  const table = new Uint8Array(1001);
  const tmp = [0, 0, 0];
  for (let k = 0; k <= 1000; k += 1) table[k] = labToRgb8(k / 10, 0, 0, tmp)[0];
  for (let p = 0, i = 0; p < L.length; p += 1, i += 4) {
    const v = table[Math.max(0, Math.min(1000, Math.round(L[p] * 10)))];
    rgba[i] = v;
    rgba[i + 1] = v;
    rgba[i + 2] = v;
    rgba[i + 3] = 255;
  }
  return rgba;
}
