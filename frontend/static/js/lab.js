// sRGB <-> CIE Lab (D65), the same formulas as models/color.py, so the page's colours match the
// server's to within a level of rounding.

const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;
const WHITE = [0.95047, 1.0, 1.08883];
const Y_FROM_RGB = [0.2126729, 0.7151522, 0.072175]; // the Y row of the sRGB -> XYZ matrix
const X_FROM_RGB = [0.4124564, 0.3575761, 0.1804375]; // and its X and Z rows, as models/color.py
const Z_FROM_RGB = [0.0193339, 0.119192, 0.9503041];
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

// The gamma-encoded sRGB value of a linear one, not yet clipped: outside [0, 1] means out of gamut.
function gammaEncode(c) {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(c, 0) ** (1 / 2.4) - 0.055;
}

function to8(v) {
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

// As models/color.py: what rounding to 8 bits absorbs, and the bisection steps of the chroma factor.
const GAMUT_TOLERANCE = 0.5 / 255;
const GAMUT_STEPS = 10;
const scratch = [0, 0, 0];

function encodedRgb(L, a, b, v) {
  const fy = (L + 16) / 116;
  const x = fInverse(fy + a / 500) * WHITE[0];
  const y = fInverse(fy) * WHITE[1];
  const z = fInverse(fy - b / 200) * WHITE[2];
  const m = RGB_FROM_XYZ;
  v[0] = gammaEncode(m[0][0] * x + m[0][1] * y + m[0][2] * z);
  v[1] = gammaEncode(m[1][0] * x + m[1][1] * y + m[1][2] * z);
  v[2] = gammaEncode(m[2][0] * x + m[2][1] * y + m[2][2] * z);
  return v;
}

function inGamut(v) {
  return v.every((c) => c >= -GAMUT_TOLERANCE && c <= 1 + GAMUT_TOLERANCE);
}

/** L in [0, 100] of an 8-bit sRGB colour. */
export function lightness(r, g, b) {
  const y = LINEAR[r] * Y_FROM_RGB[0] + LINEAR[g] * Y_FROM_RGB[1] + LINEAR[b] * Y_FROM_RGB[2];
  return 116 * f(y) - 16;
}

/** [L, a, b] of an 8-bit sRGB colour, written into `out`. */
export function labOf(r, g, b, out = [0, 0, 0]) {
  const R = LINEAR[r];
  const G = LINEAR[g];
  const B = LINEAR[b];
  const fx = f((X_FROM_RGB[0] * R + X_FROM_RGB[1] * G + X_FROM_RGB[2] * B) / WHITE[0]);
  const fy = f((Y_FROM_RGB[0] * R + Y_FROM_RGB[1] * G + Y_FROM_RGB[2] * B) / WHITE[1]);
  const fz = f((Z_FROM_RGB[0] * R + Z_FROM_RGB[1] * G + Z_FROM_RGB[2] * B) / WHITE[2]);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
  return out;
}

/** The L channel of RGBA pixels (ImageData.data) as a Float32Array, one value per pixel. */
export function lightnessOf(rgba) {
  const out = new Float32Array(rgba.length / 4);
  for (let i = 0, p = 0; p < out.length; i += 4, p += 1) out[p] = lightness(rgba[i], rgba[i + 1], rgba[i + 2]);
  return out;
}

/**
 * Write the 8-bit sRGB of Lab (L, a, b) into `out` at `i`, `i + 1`, `i + 2`. A colour outside sRGB
 * loses chroma toward the gray of the same L, as models.color.lab_to_rgb8_keep_lightness does,
 * rather than being clipped per channel, which would change its lightness.
 */
export function labToRgb8(L, a, b, out, i = 0) {
  const v = encodedRgb(L, a, b, scratch);
  if (!inGamut(v)) {
    let lo = 0;
    let hi = 1;
    for (let step = 0; step < GAMUT_STEPS; step += 1) {
      const mid = (lo + hi) / 2;
      if (inGamut(encodedRgb(L, a * mid, b * mid, v))) lo = mid;
      else hi = mid;
    }
    encodedRgb(L, a * lo, b * lo, v);
  }
  out[i] = to8(v[0]);
  out[i + 1] = to8(v[1]);
  out[i + 2] = to8(v[2]);
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
