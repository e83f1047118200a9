"""Rotation prediction (Gidaris, Singh and Komodakis, ICLR 2018) as a pretext task.

Input: an image turned by 0, 90, 180 or 270 degrees (all four in the same batch, by flips and
transposes, no interpolation); label: which of the four; loss: cross-entropy.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.rotation import ANGLES, normalise, rotations
from training.crops import random_crops, zoomed_crops
from training.datasets import TINY_SIZE, ZipSplit
from training.errors import TrainingConfigError
from training.nets import WIDTHS, TrunkClassifier
from training.sources import batch_counts, check_shares, load_sources


class RotationNet(TrunkClassifier):
    """RGB (B, 3, H, W) -> rotation logits (B, 4): the shared trunk, global average pool, linear."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS, dropout: float = 0.2) -> None:
        super().__init__(len(ANGLES), 3, widths, dropout)


class RotationWithAttention(nn.Module):
    """Export wrapper: (image, p) -> (logits, attention of blocks 1..4 as sum_c |a|^p).

    p is a graph input, so serving picks the exponent without re-exporting.
    """

    def __init__(self, net: RotationNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self.net.trunk.forward_blocks(x)
        logits = self.net.head(feats[-1].mean(dim=(2, 3)))
        maps = [f.abs().pow(p).sum(1) for f in feats]  # each (B, h_i, w_i)
        return (logits, *maps)


@dataclass
class RotationConfig:
    size: int = 64  # network input side during training
    imagenette_size: int = 80  # imagenette cached at this side; random size x size crops
    tiny_share: float = 0.5
    # Imagenette windows of size * z px (z log-uniform in [min, max]) resized to size: below 1 they
    # are close-ups, the framing of photos that show only part of an object.
    zoom: tuple[float, float] = (1.0, 1.0)
    val_images: int = 500
    limit: int | None = None
    shares: dict[str, float] = field(default_factory=dict)  # wider splits (training.sources), zoomed like imagenette

    def __post_init__(self) -> None:
        if not 0.0 < self.zoom[0] <= self.zoom[1]:
            raise TrainingConfigError(f"zoom must satisfy 0 < min <= max, got {self.zoom}")
        if self.size > self.imagenette_size:
            raise TrainingConfigError(f"size {self.size} is larger than imagenette_size {self.imagenette_size}")
        if not 0.0 <= self.tiny_share <= 1.0:
            raise TrainingConfigError(f"tiny_share must lie in [0, 1], got {self.tiny_share}")
        check_shares(self.shares, self.tiny_share)

    @property
    def tiny_side(self) -> int:
        """The side Tiny ImageNet is cached at. Above 64 px it is upscaled to imagenette's cache side: blurrier,
        but its 200 classes keep the rotation cues varied, and blur says nothing about which way is up."""
        return self.imagenette_size if self.size > TINY_SIZE else TINY_SIZE


class RotationTask:
    """Data, model and loss of one rotation training run."""

    def __init__(self, cfg: RotationConfig) -> None:
        self.cfg = cfg
        self.imagenette = ZipSplit("imagenette-train").cached(cfg.imagenette_size, cfg.limit)
        self.tiny = ZipSplit("tinyimagenet-train").cached(cfg.tiny_side, cfg.limit)
        self.val = ZipSplit("imagenette-val").cached(cfg.imagenette_size, cfg.limit)
        self.sources = load_sources(cfg.shares, cfg.imagenette_size, cfg.limit)

    def make_model(self) -> nn.Module:
        return RotationNet()

    def images(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n upright training crops (n, size, size, 3) uint8 with random flips."""
        cfg = self.cfg
        n_tiny = round(n * cfg.tiny_share)
        parts = []
        if n_tiny:
            parts.append(random_crops(self.tiny, rng.integers(0, len(self.tiny), n_tiny), cfg.size, rng))
        counts = batch_counts(n, cfg.shares)
        for name, src in self.sources.items():
            if counts[name]:
                parts.append(zoomed_crops(src.images, rng.choice(src.train, counts[name]), cfg.size,
                                          tuple(cfg.zoom), rng))
        rest = n - n_tiny - sum(counts.values())
        if rest > 0:
            idx = rng.integers(0, len(self.imagenette), rest)
            parts.append(zoomed_crops(self.imagenette, idx, cfg.size, tuple(cfg.zoom), rng))
        return np.concatenate(parts)[:n]

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        # ``size`` counts rotated images, as the paper's batches do: size/4 photos x 4 angles.
        x, y = rotations(self.images(rng, max(1, size // 4)))
        return torch.from_numpy(normalise(x)), torch.from_numpy(y)

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        x, y = batch
        device = next(model.parameters()).device
        logits = model(x.to(device))
        y = y.to(device)
        acc = (logits.argmax(1) == y).float().mean()
        return F.cross_entropy(logits, y), {"accuracy": float(acc)}

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Accuracy on centre crops in all four rotations: imagenette-val, and each wider split's held-back
        tenth when it trains."""
        figures = {"val_accuracy": self.accuracy(model, self.val, np.arange(min(self.cfg.val_images, len(self.val))))}
        for name, src in self.sources.items():
            figures[f"val_accuracy_{name.split('-')[0]}"] = self.accuracy(model, src.images,
                                                                         src.val[: self.cfg.val_images])
        return figures

    def accuracy(self, model: nn.Module, images: np.ndarray, idx: np.ndarray) -> float:
        off = (images.shape[1] - self.cfg.size) // 2
        correct = total = 0
        device = next(model.parameters()).device
        for start in range(0, len(idx), 64):
            chunk = idx[start : start + 64]
            crops = np.asarray(images[chunk])[:, off : off + self.cfg.size, off : off + self.cfg.size]
            x, y = rotations(crops)
            pred = model(torch.from_numpy(normalise(x)).to(device)).argmax(1).cpu().numpy()
            correct += int((pred == y).sum())
            total += len(y)
        return correct / max(total, 1)

    def state(self) -> dict[str, Any]:
        return {"config": vars(self.cfg)}
