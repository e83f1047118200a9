"""Numerically stable softmax and log-softmax over one axis: every model's post-processing uses these."""

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


def log_softmax(z: ArrayLike, axis: int = -1, dtype: DTypeLike = np.float64) -> np.ndarray:
    """log(softmax(z)) along ``axis``, computed in ``dtype``."""
    z = np.asarray(z, dtype=dtype)
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def softmax(z: ArrayLike, axis: int = -1, dtype: DTypeLike = np.float64) -> np.ndarray:
    """softmax(z) along ``axis``, computed in ``dtype``."""
    z = np.asarray(z, dtype=dtype)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
