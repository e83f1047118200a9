"""Random training windows cut from cached photos, shared by the tasks that train on whole crops."""

import numpy as np
from PIL import Image


def random_crops(images: np.ndarray, idx: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """Random crop x crop windows (with random horizontal flips) of images[idx]: (B, crop, crop, 3)."""
    n, size = len(idx), images.shape[1]
    ys = rng.integers(0, size - crop + 1, n)
    xs = rng.integers(0, size - crop + 1, n)
    flips = rng.random(n) < 0.5
    out = np.empty((n, crop, crop, 3), dtype=np.uint8)
    for k, (i, y, x, f) in enumerate(zip(idx, ys, xs, flips, strict=True)):
        patch = images[i, y : y + crop, x : x + crop]
        out[k] = patch[:, ::-1] if f else patch
    return out


def zoomed_crops(images: np.ndarray, idx: np.ndarray, crop: int, zoom: tuple[float, float],
                 rng: np.random.Generator) -> np.ndarray:
    """Random windows of side crop * z (z log-uniform in zoom, capped at the image) of images[idx],
    resized to crop x crop with antialiasing and randomly flipped: (B, crop, crop, 3) uint8."""
    if zoom == (1.0, 1.0):
        return random_crops(images, idx, crop, rng)
    size = images.shape[1]
    sides = np.minimum(size, np.round(crop * np.exp(rng.uniform(*np.log(zoom), len(idx))))).astype(int)
    out = np.empty((len(idx), crop, crop, 3), dtype=np.uint8)
    for k, (i, side) in enumerate(zip(idx, sides, strict=True)):
        y, x = rng.integers(0, size - side + 1, 2)
        window = Image.fromarray(np.ascontiguousarray(images[i, y : y + side, x : x + side]))
        patch = np.asarray(window.resize((crop, crop), Image.Resampling.BILINEAR))
        out[k] = patch[:, ::-1] if rng.random() < 0.5 else patch
    return out
