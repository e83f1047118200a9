"""Training windows cut from cached photos: plain and zoomed crops."""

import numpy as np

from training.crops import random_crops, zoomed_crops


def test_zoomed_crops_shrink_larger_windows_to_the_crop():
    # Left half black, right half white: a window wider than the crop still shows both, resized.
    images = np.zeros((2, 96, 96, 3), dtype=np.uint8)
    images[:, :, 48:] = 255
    rng = np.random.default_rng(0)
    crops = zoomed_crops(images, np.array([0, 1, 0, 1]), 32, (3.0, 3.0), rng)
    assert crops.shape == (4, 32, 32, 3) and crops.dtype == np.uint8
    for c in crops:  # the whole 96 px image in 32 px: both halves, in one order or its mirror
        assert {int(c[0, 0, 0]), int(c[0, -1, 0])} == {0, 255}


def test_zoom_of_one_cuts_plain_crops():
    images = np.random.default_rng(1).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    idx = np.array([0, 2, 1])
    plain = random_crops(images, idx, 32, np.random.default_rng(5))
    np.testing.assert_array_equal(zoomed_crops(images, idx, 32, (1.0, 1.0), np.random.default_rng(5)), plain)
