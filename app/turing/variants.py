"""Each trial's own presentation of its pair: a seeded zoom, crop offset and re-encoding, the same on both sides.

The stored photo and fake are never served as they are: a served image's bytes or hash would name the photo
in every later session, and the stored fake is bit for bit what the public colorize endpoint returns for the
stored photo. So every trial draws a seed, and both of its images go through the same transform: a crop of
``CROP_MIN``-``CROP_MAX`` of the side at a sub-pixel offset, scaled back to the trial size, a JPEG round trip
at a drawn quality (4:4:4, so colour is not subsampled), then the one trial encoding (uncompressed PNG, equal
lengths on both sides). The comparison stays fair: both sides lose exactly the same detail.
"""

import io
import secrets
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.turing.images import TRIAL_SIDE, trial_png

CROP_MIN, CROP_MAX = 0.86, 0.97  # share of the stored side kept: a zoom of 1.03-1.16
JPEG_QUALITY = (88, 96)  # both inclusive


@dataclass(frozen=True)
class Variant:
    """Where the crop lies in the stored square (pixels, float) and the JPEG quality of the round trip."""

    left: float
    top: float
    side: float
    quality: int


def new_seed() -> int:
    """A trial's seed: 31 random bits, so it fits every database's INTEGER."""
    return secrets.randbits(31)


def variant(seed: int, stored_side: int = TRIAL_SIDE) -> Variant:
    """The presentation that ``seed`` stands for."""
    rng = np.random.default_rng(seed)
    side = stored_side * rng.uniform(CROP_MIN, CROP_MAX)
    left, top = rng.uniform(0.0, stored_side - side, size=2)
    quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    return Variant(float(left), float(top), float(side), quality)


def present(stored_png: bytes, seed: int) -> bytes:
    """The served bytes of a stored trial image under the trial's seed (apply to both sides alike)."""
    with Image.open(io.BytesIO(stored_png)) as im:
        rgb = im.convert("RGB")
    v = variant(seed, min(rgb.size))
    box = (v.left, v.top, v.left + v.side, v.top + v.side)
    zoomed = rgb.resize((TRIAL_SIDE, TRIAL_SIDE), Image.Resampling.LANCZOS, box=box)
    buf = io.BytesIO()
    zoomed.save(buf, format="JPEG", quality=v.quality, subsampling=0)
    buf.seek(0)
    with Image.open(buf) as jpeg:
        return trial_png(np.asarray(jpeg.convert("RGB"), dtype=np.uint8))
