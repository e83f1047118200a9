"""Simulated colour hints for training the hint network (Zhang, Zhu et al., SIGGRAPH 2017).

Per photo: no hint with probability ``none_prob``, else a geometric number of points (p = ``geometric_p``, at most
``max_points``), each at a uniformly random pixel of the network input, its colour the true ab averaged over a
square patch around it (side 1, 3, ..., ``max_patch``, uniform; clipped at the border). The planes are
models.hints.hint_planes_at, the same function serving feeds the ONNX model with: the sparse points and the
model-free baseline's kernel spread of them.
"""

from dataclasses import dataclass

import numpy as np

from models.hints import HINT_PLANES, HintParams, hint_planes_at

HINT_CHANNELS = HINT_PLANES  # a, b, mask at the points; the baseline kernel's sums of a, b and of its weights


@dataclass(frozen=True)
class HintSampling:
    """How many hints a training photo gets, and how large a patch each one averages."""

    none_prob: float = 0.125
    geometric_p: float = 0.125  # mean 8 points when there are any
    max_points: int = 20
    max_patch: int = 5  # odd: patch sides 1, 3, ..., max_patch


def hint_counts(rng: np.random.Generator, n: int, sampling: HintSampling) -> np.ndarray:
    """(n,) int64 number of hints per photo: 0 with probability none_prob, else min(Geometric(p), max_points)."""
    counts = np.minimum(rng.geometric(sampling.geometric_p, n), sampling.max_points)
    return np.where(rng.random(n) < sampling.none_prob, 0, counts)


def patch_means(ab: np.ndarray, rows: np.ndarray, cols: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """(H, W, 2) ab, (k,) centres and half-sides -> (k, 2) mean ab of each square patch, clipped to the photo."""
    h, w = ab.shape[:2]
    table = np.zeros((h + 1, w + 1, 2), np.float64)  # summed-area table
    table[1:, 1:] = ab.astype(np.float64).cumsum(0).cumsum(1)
    r0, r1 = np.maximum(rows - halves, 0), np.minimum(rows + halves + 1, h)
    c0, c1 = np.maximum(cols - halves, 0), np.minimum(cols + halves + 1, w)
    sums = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]  # (k, 2)
    return (sums / ((r1 - r0) * (c1 - c0))[:, None]).astype(np.float32)


def sample_hint_planes(ab: np.ndarray, lightness: np.ndarray, rng: np.random.Generator,
                       sampling: HintSampling = HintSampling()) -> np.ndarray:
    """(B, H, W, 2) true ab and (B, H, W) L (0..100) of the network inputs -> (B, HINT_CHANNELS, H, W) float32
    hint planes, hints drawn per photo."""
    b, h, w, _ = ab.shape
    planes = np.zeros((b, HINT_CHANNELS, h, w), np.float32)
    for i, n in enumerate(hint_counts(rng, b, sampling)):
        if not n:
            continue
        rows, cols = rng.integers(0, h, n), rng.integers(0, w, n)
        halves = rng.integers(0, sampling.max_patch // 2 + 1, n)
        colours = patch_means(ab[i], rows, cols, halves)  # (n, 2)
        planes[i] = hint_planes_at(np.stack([rows, cols], 1), colours, lightness[i])
    return planes


def spread_prior_weights(centres: np.ndarray, colour_sigma: float = HintParams.colour_sigma,
                         ab_scale: float = 110.0) -> np.ndarray:
    """(Q, 2) bin centres -> (Q, 3) weights of a 1x1 convolution over the spread planes (num_a, num_b, den) that
    adds sum_i k_i log g_i(q) to bin q's logit, up to a constant per cell: the product of the hints' Gaussians
    g_i (width ``colour_sigma`` ab units), each to the power of its kernel weight k_i. So the hint network
    starts from the model-free spread of the hints, sharpened where the kernel weight is high, and its own
    distribution where no hint reaches."""
    c = centres.astype(np.float64) / ab_scale  # (Q, 2)
    s2 = (colour_sigma / ab_scale) ** 2
    # -|c_q - c_i|^2 / 2s^2 = (c_q . c_i) / s^2 - |c_q|^2 / 2s^2 - |c_i|^2 / 2s^2; the last term is the same
    # for every bin, so it drops out of the softmax.
    return np.concatenate([c / s2, -(c**2).sum(1, keepdims=True) / (2 * s2)], axis=1).astype(np.float32)
