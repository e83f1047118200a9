"""sRGB <-> CIE Lab (D65, 2 degree observer), vectorised float32, after the standard formulas.

Shapes: any ``(..., 3)``; sRGB values in [0, 1], L in [0, 100], a and b roughly in [-128, 127].
"""

import numpy as np

# IEC 61966-2-1 sRGB primaries to XYZ under D65.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float64,
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)

# CIE constants as exact rationals, so the two branches of f meet continuously.
_EPSILON = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """Undo the sRGB transfer curve. (...,) -> (...,), float32."""
    c = np.asarray(c, dtype=np.float32)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(c: np.ndarray) -> np.ndarray:
    """Apply the sRGB transfer curve. (...,) -> (...,), float32."""
    c = np.asarray(c, dtype=np.float32)
    safe = np.maximum(c, 0.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * safe ** (1.0 / 2.4) - 0.055).astype(
        np.float32
    )


def _f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPSILON, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)


def _f_inv(f: np.ndarray) -> np.ndarray:
    f3 = f**3
    return np.where(f3 > _EPSILON, f3, (116.0 * f - 16.0) / _KAPPA)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (..., 3) -> Lab (..., 3), float32."""
    lin = srgb_to_linear(rgb)
    xyz = (lin @ _RGB_TO_XYZ.T.astype(np.float32)) / WHITE_D65.astype(np.float32)
    f = _f(xyz)
    lab = np.empty_like(f, dtype=np.float32)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_rgb(lab: np.ndarray, clip: bool = True) -> np.ndarray:
    """Lab (..., 3) -> sRGB (..., 3) float32, clipped to [0, 1] unless ``clip=False``."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    xyz = np.stack([_f_inv(fx), _f_inv(fy), _f_inv(fz)], axis=-1) * WHITE_D65.astype(np.float32)
    rgb = linear_to_srgb(xyz @ _XYZ_TO_RGB.T.astype(np.float32))
    return np.clip(rgb, 0.0, 1.0) if clip else rgb


def rgb8_to_lab(rgb8: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> Lab float32 (..., 3)."""
    return rgb_to_lab(np.asarray(rgb8, dtype=np.float32) / 255.0)


def lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    """Lab (..., 3) -> uint8 sRGB (..., 3), rounded to nearest."""
    return np.round(lab_to_rgb(lab) * 255.0).astype(np.uint8)


GAMUT_TOLERANCE = 0.5 / 255.0  # what rounding to 8 bits absorbs anyway
GAMUT_STEPS = 10  # bisection steps: chroma to within 1/1024 of the largest that fits


def _in_gamut(rgb: np.ndarray) -> np.ndarray:
    return ((rgb >= -GAMUT_TOLERANCE) & (rgb <= 1.0 + GAMUT_TOLERANCE)).all(axis=-1)


def _chroma_scaled(lab: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """(N, 3) Lab with a and b of each row times its factor (N,)."""
    return np.concatenate([lab[:, :1], lab[:, 1:] * factor[:, None]], axis=1)


def lab_to_rgb8_keep_lightness(lab: np.ndarray) -> np.ndarray:
    """Lab (..., 3) -> uint8 sRGB (..., 3); colours outside sRGB lose chroma, not lightness.

    Clipping each channel of an out-of-gamut colour changes its L (a tinted white at L = 100 comes
    out darker and still tinted). Scaling its ab toward the gray of the same L, which is always
    in gamut, to the largest factor that fits keeps L and hue.
    """
    lab = np.asarray(lab, dtype=np.float32)
    rgb = lab_to_rgb(lab, clip=False)
    outside = ~_in_gamut(rgb)
    if outside.any():
        far = lab[outside]  # (N, 3)
        lo = np.zeros(len(far), np.float32)  # largest chroma factor known to fit
        hi = np.ones(len(far), np.float32)  # smallest known not to
        for _ in range(GAMUT_STEPS):
            mid = (lo + hi) / 2
            fits = _in_gamut(lab_to_rgb(_chroma_scaled(far, mid), clip=False))
            lo, hi = np.where(fits, mid, lo), np.where(fits, hi, mid)
        rgb[outside] = lab_to_rgb(_chroma_scaled(far, lo), clip=False)
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def lightness(rgb8: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) or gray (...) -> L channel (...) in [0, 100], float32."""
    arr = np.asarray(rgb8)
    # Only Y is needed for L; a 256-entry table linearises 8-bit values without any pow().
    lut = srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)
    if arr.ndim >= 1 and arr.shape[-1] == 3:
        w = _RGB_TO_XYZ[1].astype(np.float32)
        y = lut[arr[..., 0]] * w[0] + lut[arr[..., 1]] * w[1] + lut[arr[..., 2]] * w[2]
    else:
        # A gray value g is the sRGB colour (g, g, g), whose Y is the linearised g itself.
        y = lut[arr]
    return (116.0 * _f(y) - 16.0).astype(np.float32)
