"""Bilinear resampling of small float maps onto large images, a strip of rows at a time."""

import numpy as np


def _axis(n_out: int, n_in: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Half-pixel centres (align_corners=False), so the small map covers the image exactly.
    src = (np.arange(lo, hi, dtype=np.float32) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0.0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def bilinear_rows(small: np.ndarray, out_h: int, out_w: int, y0: int, y1: int) -> np.ndarray:
    """Rows [y0, y1) of small (h, w, C) bilinearly resized to (out_h, out_w): (y1-y0, out_w, C)."""
    h, w = small.shape[:2]
    r0, r1, fr = _axis(out_h, h, y0, y1)
    c0, c1, fc = _axis(out_w, w, 0, out_w)
    rows = small[r0] * (1.0 - fr)[:, None, None] + small[r1] * fr[:, None, None]
    return rows[:, c0] * (1.0 - fc)[None, :, None] + rows[:, c1] * fc[None, :, None]


def bilinear(small: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """(h, w) or (h, w, C) -> (out_h, out_w[, C]) float32."""
    arr = np.asarray(small, dtype=np.float32)
    squeeze = arr.ndim == 2
    out = bilinear_rows(arr[..., None] if squeeze else arr, out_h, out_w, 0, out_h)
    return out[..., 0] if squeeze else out
