"""The quantised ab gamut of Zhang et al. 2016: grid-10 bins that in-gamut sRGB colours reach."""

from functools import lru_cache

import numpy as np

from models.color import rgb8_to_lab

GRID = 10


@lru_cache(maxsize=4)
def in_gamut_bins(grid: int = GRID) -> np.ndarray:
    """Centres (Q, 2) float32 of every ab bin that some 8-bit sRGB colour falls into.

    Every one of the 2^24 colours is converted and rounded to the nearest grid point,
    so the set is exact for 8-bit input. Ordered by a, then b.
    """
    levels = np.arange(256, dtype=np.uint8)
    seen: set[tuple[int, int]] = set()
    for r in levels:
        g, b = np.meshgrid(levels, levels, indexing="ij")
        rgb = np.stack([np.full_like(g, r), g, b], axis=-1).reshape(-1, 3)
        ab = rgb8_to_lab(rgb)[:, 1:]
        q = np.round(ab / grid).astype(np.int32)
        seen.update(map(tuple, np.unique(q, axis=0).tolist()))
    centres = np.array(sorted(seen), dtype=np.float32) * grid
    return centres


def compare_with_reference(centres: np.ndarray, reference: np.ndarray) -> dict[str, int]:
    """How many bin centres both sets share, and how many each has alone."""
    ours = {tuple(c) for c in np.round(centres).astype(int).tolist()}
    theirs = {tuple(c) for c in np.round(reference).astype(int).tolist()}
    return {
        "ours": len(ours),
        "reference": len(theirs),
        "shared": len(ours & theirs),
        "only_ours": len(ours - theirs),
        "only_reference": len(theirs - ours),
    }
