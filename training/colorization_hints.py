"""Simulated colour hints for training the hint network (Zhang, Zhu et al., SIGGRAPH 2017).

Per photo: no hint with probability ``none_prob``, else a geometric number of points (p = ``geometric_p``, at most
``max_points``), each at a uniformly random pixel of the network input, its colour the true ab averaged over a
square patch around it (side 1, 3, ..., ``max_patch``, uniform; clipped at the border). The planes are
models.hints.hint_planes_at, the same function serving feeds the ONNX model with.
"""

from dataclasses import dataclass

import numpy as np

from models.hints import hint_planes_at

HINT_CHANNELS = 3  # a / 110, b / 110, mask


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


def sample_hint_planes(ab: np.ndarray, rng: np.random.Generator, sampling: HintSampling = HintSampling()) -> np.ndarray:
    """(B, H, W, 2) true ab of the network inputs -> (B, 3, H, W) float32 hint planes, hints drawn per photo."""
    b, h, w, _ = ab.shape
    planes = np.zeros((b, HINT_CHANNELS, h, w), np.float32)
    for i, n in enumerate(hint_counts(rng, b, sampling)):
        if not n:
            continue
        rows, cols = rng.integers(0, h, n), rng.integers(0, w, n)
        halves = rng.integers(0, sampling.max_patch // 2 + 1, n)
        colours = patch_means(ab[i], rows, cols, halves)  # (n, 2)
        planes[i] = hint_planes_at(np.stack([rows, cols], 1), colours, h, w)
    return planes
