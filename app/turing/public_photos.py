"""Photos the app shows to anyone (the page samples) never become Turing-test photos.

A pool photo that is also public can be looked up in its real colours, which answers its trials. Photos are
matched by a small grayscale thumbnail of the centre square, so a resized or re-encoded copy matches too.
"""

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from app.services.samples import list_samples, sample_pixels
from app.turing.db import Database
from app.turing.images import square
from app.turing.tables import Photo
from models.imageio import decode_image

logger = logging.getLogger(__name__)

THUMB_SIDE = 16
SAME_PHOTO_MAX_DIFF = 4.0  # mean absolute difference (of 255) between two thumbnails of one photo


def fingerprint(rgb8: np.ndarray) -> np.ndarray:
    """The centre square as a THUMB_SIDE x THUMB_SIDE grayscale thumbnail (float32)."""
    im = Image.fromarray(square(rgb8)).convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX)
    return np.asarray(im, dtype=np.float32)


@lru_cache(maxsize=8)
def public_fingerprints(datasets_dir: Path) -> tuple[np.ndarray, ...]:
    """Fingerprints of every sample the pages serve for this datasets folder (unreadable ones skipped)."""
    out = []
    for sample in list_samples(datasets_dir):
        try:
            out.append(fingerprint(sample_pixels(sample)))
        except (OSError, ValueError):  # a broken file the samples route cannot serve either
            logger.warning("cannot read the sample %s to keep it out of the Turing-test pool", sample.id)
    return tuple(out)


def is_public(rgb8: np.ndarray, public: Sequence[np.ndarray]) -> bool:
    """True when the photo looks like one of the public samples."""
    mine = fingerprint(rgb8)
    return any(float(np.mean(np.abs(mine - p))) < SAME_PHOTO_MAX_DIFF for p in public)


def public_pool_photos(photos: Iterable[tuple[int, bytes]], public: Sequence[np.ndarray]) -> frozenset[int]:
    """Ids of the (id, stored PNG) pool photos that look like a public sample."""
    return frozenset(pid for pid, png in photos if is_public(decode_image(png), public))


def hidden_photo_ids(db: Database, datasets_dir: Path) -> frozenset[int]:
    """Pool photos that sessions must not use: imported before the pool refused public samples."""
    public = public_fingerprints(Path(datasets_dir))
    if not public:
        return frozenset()
    with db.session() as s:
        rows = [(pid, png) for pid, png in s.execute(select(Photo.id, Photo.png))]
    return public_pool_photos(rows, public)
