"""Soft-encoding, class rebalancing and annealed-mean decoding over ab bins (Zhang et al. 2016).

Notation: Q bins with centres ``centres`` (Q, 2); N pixels; ab values (N, 2).
"""

import numpy as np

from core.errors import BadParameterError
from models.numerics import softmax

SOFT_NEIGHBOURS = 5
SOFT_SIGMA = 5.0
PRIOR_SIGMA = 5.0
REBALANCE_LAMBDA = 0.5
ANNEALED_T = 0.38
# Below this temperature decoding returns the mode: exp(log p / T) overflows long before T = 0.
MODE_T = 1e-3


def pairwise_sq_dist(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, 2), (Q, 2) -> (N, Q) squared Euclidean distances, float32."""
    ab = np.asarray(ab, dtype=np.float32)
    c = np.asarray(centres, dtype=np.float32)
    return (
        (ab * ab).sum(1, keepdims=True) - 2.0 * ab @ c.T + (c * c).sum(1)[None, :]
    ).clip(min=0.0)


NEAREST_CHUNK = 1 << 16  # rows per distance matrix: 64k x Q floats, not N x Q for millions of pixels


def nearest_bin(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, 2) -> (N,) index of the nearest bin centre."""
    ab = np.asarray(ab).reshape(-1, 2)
    out = np.empty(len(ab), dtype=np.int64)
    for start in range(0, len(ab), NEAREST_CHUNK):
        out[start : start + NEAREST_CHUNK] = pairwise_sq_dist(ab[start : start + NEAREST_CHUNK], centres).argmin(1)
    return out


def soft_encode(
    ab: np.ndarray,
    centres: np.ndarray,
    neighbours: int = SOFT_NEIGHBOURS,
    sigma: float = SOFT_SIGMA,
) -> np.ndarray:
    """(N, 2) ab -> (N, Q) target distribution: Gaussian weights on the nearest bins, rows sum to 1."""
    d2 = pairwise_sq_dist(ab, centres)
    k = min(neighbours, d2.shape[1])
    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(d2, idx, axis=1)
    # Subtracting the row minimum keeps exp() away from underflow for far-out-of-gamut ab.
    w = np.exp(-(near - near.min(1, keepdims=True)) / (2.0 * sigma**2))
    w /= w.sum(1, keepdims=True)
    out = np.zeros_like(d2)
    np.put_along_axis(out, idx, w.astype(np.float32), axis=1)
    return out


def empirical_prior(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, 2) ab of many pixels -> (Q,) share of pixels whose nearest bin is each bin."""
    counts = np.bincount(nearest_bin(ab, centres), minlength=len(centres)).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def smooth_prior(prior: np.ndarray, centres: np.ndarray, sigma: float = PRIOR_SIGMA) -> np.ndarray:
    """(Q,) -> (Q,) prior convolved with a Gaussian over ab space, renormalised."""
    d2 = pairwise_sq_dist(centres, centres).astype(np.float64)
    kernel = np.exp(-d2 / (2.0 * sigma**2))
    kernel /= kernel.sum(0, keepdims=True)
    smoothed = kernel @ np.asarray(prior, dtype=np.float64)
    return smoothed / smoothed.sum()


def rebalance_weights(smoothed_prior: np.ndarray, lam: float = REBALANCE_LAMBDA) -> np.ndarray:
    """(Q,) -> (Q,) weights ((1-lam) p + lam/Q)^-1, scaled so their mean under p is 1.

    "Mean 1" is the expectation over pixels, as in the paper: sum_q p_q w_q = 1, so the
    weighted loss keeps the scale of the plain one.
    """
    if not 0.0 <= lam <= 1.0:
        raise BadParameterError(f"lambda must be in [0, 1], got {lam}")
    p = np.asarray(smoothed_prior, dtype=np.float64)
    w = 1.0 / ((1.0 - lam) * p + lam / len(p))
    return (w / (p * w).sum()).astype(np.float32)


def check_temperature(t: float) -> float:
    """Validate a decoding temperature: finite, in [0, 10]."""
    if not np.isfinite(t) or t < 0.0 or t > 10.0:
        raise BadParameterError(f"temperature must be between 0 and 10, got {t}")
    return float(t)


def annealed_mean(log_probs: np.ndarray, centres: np.ndarray, temperature: float) -> np.ndarray:
    """(..., Q) log-probabilities or logits -> (..., 2) ab by the annealed mean.

    f_T(z) = softmax(log z / T); T = 1 is the mean, T -> 0 the mode, T = 0.38 the paper's default.
    """
    t = check_temperature(temperature)
    z = np.asarray(log_probs, dtype=np.float32)
    c = np.asarray(centres, dtype=np.float32)
    if t < MODE_T:
        return c[z.argmax(-1)]
    s = z / t
    s = s - s.max(-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(-1, keepdims=True)
    return s @ c


def probabilities(logits: np.ndarray) -> np.ndarray:
    """(..., Q) logits -> (..., Q) softmax probabilities, float32."""
    return softmax(logits, dtype=np.float32)


class SoftEncoder:
    """``soft_encode`` through a lookup table on a 1-unit ab grid: the same targets, 20x faster.

    ab is rounded to the nearest integer before lookup; against sigma = 5 that moves the Gaussian
    weights by under 10% of their value, far inside the noise of 4x4-pooled training targets.
    """

    def __init__(self, centres: np.ndarray, neighbours: int = SOFT_NEIGHBOURS, sigma: float = SOFT_SIGMA):
        self.q = len(centres)
        self.lo, self.hi = -128, 128
        grid = np.arange(self.lo, self.hi + 1, dtype=np.float32)
        a, b = np.meshgrid(grid, grid, indexing="ij")
        table = soft_encode(np.stack([a.ravel(), b.ravel()], 1), centres, neighbours, sigma)
        k = min(neighbours, self.q)
        self.index = np.argsort(-table, axis=1)[:, :k].astype(np.int64)
        self.weight = np.take_along_axis(table, self.index, axis=1).astype(np.float32)
        self.side = len(grid)

    def __call__(self, ab: np.ndarray) -> np.ndarray:
        """(N, 2) ab -> (N, Q) soft targets."""
        i = np.clip(np.rint(ab).astype(np.int64) - self.lo, 0, self.side - 1)
        flat = i[:, 0] * self.side + i[:, 1]
        out = np.zeros((len(ab), self.q), dtype=np.float32)
        np.put_along_axis(out, self.index[flat], self.weight[flat], axis=1)
        return out
