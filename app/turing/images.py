"""Trial images: every photo and fake is cropped to one size and encoded the same way.

Both sides of a trial are square ``TRIAL_SIDE`` PNGs written by the same encoder with compression
off and no metadata chunks, so their byte lengths are identical and nothing but the pixels differs.
"""

import hashlib
import io

import numpy as np
from PIL import Image

from models.color import lab_to_rgb8_keep_lightness, rgb8_to_lab

TRIAL_SIDE = 256  # the size Zhang et al. showed their images at
MIN_CHROMA = 4.0  # mean ab magnitude below which a photo counts as grayscale and is skipped


def square(rgb8: np.ndarray, side: int = TRIAL_SIDE) -> np.ndarray:
    """Resize so the short side is ``side`` and crop the centre: (side, side, 3) uint8."""
    h, w = rgb8.shape[:2]
    im = Image.fromarray(np.asarray(rgb8, dtype=np.uint8))
    if (h, w) != (side, side):
        scale = side / min(h, w)
        nw, nh = max(side, round(w * scale)), max(side, round(h * scale))
        im = im.resize((nw, nh), Image.Resampling.LANCZOS)
        left, top = (nw - side) // 2, (nh - side) // 2
        im = im.crop((left, top, left + side, top + side))
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def trial_png(rgb8: np.ndarray) -> bytes:
    """The one encoding of every trial image: uncompressed PNG, RGB, no metadata."""
    arr = square(rgb8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def pixels_sha256(rgb8: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rgb8).tobytes()).hexdigest()


def is_colour(rgb8: np.ndarray) -> bool:
    """True when the photo has colour at all (a grayscale photo makes no Turing trial)."""
    lab = rgb8_to_lab(rgb8)
    return float(np.mean(np.hypot(lab[..., 1], lab[..., 2]))) >= MIN_CHROMA


def random_colour(rgb8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The attention-check fake: the photo's own L with its ab plane rotated by 90-270 degrees."""
    lab = rgb8_to_lab(rgb8).astype(np.float64)
    angle = np.deg2rad(rng.uniform(90.0, 270.0))
    a, b = lab[..., 1].copy(), lab[..., 2].copy()
    lab[..., 1] = a * np.cos(angle) - b * np.sin(angle)
    lab[..., 2] = a * np.sin(angle) + b * np.cos(angle)
    return lab_to_rgb8_keep_lightness(lab)


THUMBNAIL_SIDE = 96


def gray_thumbnail(png: bytes, side: int = THUMBNAIL_SIDE) -> bytes:
    """A stored photo (PNG) -> a side x side grayscale PNG: what it shows, not its colours."""
    with Image.open(io.BytesIO(png)) as im:
        small = im.convert("L").resize((side, side), Image.Resampling.BOX)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
