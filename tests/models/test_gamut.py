from pathlib import Path

import numpy as np
import pytest

from core.settings import get_settings
from models.color import rgb8_to_lab
from models.gamut import compare_with_reference


def test_bins_lie_on_the_grid_of_ten_and_are_unique(centres):
    assert np.all(centres % 10 == 0)
    assert len({tuple(c) for c in centres.tolist()}) == len(centres)


def test_every_8bit_colour_falls_into_a_kept_bin(centres):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (20000, 3), dtype=np.uint8)
    ab = rgb8_to_lab(rgb)[:, 1:]
    rounded = {tuple(x) for x in (np.round(ab / 10) * 10).astype(int).tolist()}
    assert rounded <= {tuple(c) for c in centres.astype(int).tolist()}


def test_bins_are_a_subset_of_the_papers_313(centres):
    ref_path = Path(get_settings().reference_dir) / "pts_in_hull.npy"
    if not ref_path.is_file():
        pytest.skip(f"no reference at {ref_path}")
    report = compare_with_reference(centres, np.load(ref_path, allow_pickle=False))
    assert report["reference"] == 313
    assert report["only_ours"] == 0
    assert report["ours"] == 261
