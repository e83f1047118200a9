"""The linear probe: it separates what is linearly separable and not what is noise."""

import numpy as np
import torch

from training.linear_probe import INPUTS, block_features, linear_probe
from training.nets import Trunk


def test_separable_classes_are_found_and_noise_labels_are_not():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (5, 30))
    y = rng.integers(0, 5, 600)
    x = (centres[y] + rng.normal(0, 0.5, (600, 30))).astype(np.float32)
    good = linear_probe(x[:400], y[:400], x[400:], y[400:], iters=50)
    assert good.top1 > 0.95
    noise = linear_probe(x[:400], rng.integers(0, 5, 400), x[400:], rng.integers(0, 5, 200), iters=50)
    assert noise.top1 < 0.4  # chance is 0.2


def test_block_features_pool_each_block_to_the_grid():
    torch.manual_seed(0)
    trunk = Trunk(1, (4, 6, 8, 10))
    photos = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    feats = block_features(trunk, photos, "l", grid=2, chunk=2)
    assert [f.shape for f in feats] == [(3, 16), (3, 24), (3, 32), (3, 40)]
    assert INPUTS["rgb"](photos).shape == INPUTS["tile"](photos).shape == (3, 3, 32, 32)
