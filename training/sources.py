"""The wider photo splits (issue #35) mixed into training as a share of each batch, a tenth held back.

``imagenet-samples`` (966 photos of ImageNet classes outside imagenette's ten) and ``flowers-train``
(3,619 flower close-ups and gardens) bring subjects imagenette never shows. Every tenth photo of each
(index % 10 == 0, a fixed rule, so every run and every evaluation holds back the same ones) is kept for
validation and never trained on.
"""

import argparse
from dataclasses import dataclass

import numpy as np

from training.datasets import ZipSplit
from training.errors import TrainingConfigError

EXTRA_SPLITS = ("imagenet-samples", "flowers-train")
HOLDOUT_EVERY = 10


def holdout_indices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices of a split of ``n`` photos: every HOLDOUT_EVERY-th is validation."""
    idx = np.arange(n)
    held = idx % HOLDOUT_EVERY == 0
    return idx[~held], idx[held]


@dataclass
class ExtraSource:
    """One wider split at a cache side: its photos and which of them train and validate."""

    name: str
    images: np.ndarray  # (N, side, side, 3) uint8 memmap, centre-cropped squares
    train: np.ndarray
    val: np.ndarray


def load_source(name: str, side: int, limit: int | None = None) -> ExtraSource:
    images = ZipSplit(name).cached(side, limit)
    train, val = holdout_indices(len(images))
    return ExtraSource(name, images, train, val)


def add_share_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--samples-share", type=float, default=0.0,
                   help="share of each batch from imagenet-samples (966 other ImageNet classes; a tenth held back)")
    p.add_argument("--flowers-share", type=float, default=0.0,
                   help="share of each batch from flowers-train (close-ups and gardens; a tenth held back)")


def shares_of(args: argparse.Namespace) -> dict[str, float]:
    return {"imagenet-samples": args.samples_share, "flowers-train": args.flowers_share}


def check_shares(shares: dict[str, float], other: float) -> None:
    """TrainingConfigError unless each share lies in [0, 1] and, with ``other`` (e.g. Tiny ImageNet's), sums <= 1."""
    for name, share in shares.items():
        if name not in EXTRA_SPLITS:
            raise TrainingConfigError(f"unknown split {name!r}; the wider splits are {EXTRA_SPLITS}")
        if not 0.0 <= share <= 1.0:
            raise TrainingConfigError(f"the {name} share must lie in [0, 1], got {share}")
    if sum(shares.values()) + other > 1.0 + 1e-9:
        raise TrainingConfigError(f"the batch shares add up to {sum(shares.values()) + other:.2f}, more than 1")


def load_sources(shares: dict[str, float], side: int, limit: int | None = None) -> dict[str, ExtraSource]:
    """The splits with a share above zero, cached at ``side``."""
    return {name: load_source(name, side, limit) for name, share in shares.items() if share > 0}


def batch_counts(size: int, shares: dict[str, float]) -> dict[str, int]:
    """How many of ``size`` photos each split gives (rounded); the rest is the task's main source."""
    return {name: round(size * share) for name, share in shares.items() if share > 0}
