"""The shared trunk trained with imagenette-train's labels: the upper bound of the transfer table.

Same trunk, input and crops as the rotation model (RGB, ImageNet statistics, 64 px crops of an
80 px cache with flips), so the supervised row differs from the pretext rows only in its labels.
"""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.rotation import normalise
from training.crops import random_crops
from training.datasets import ZipSplit
from training.nets import WIDTHS, TrunkClassifier

N_CLASSES = 10


class SupervisedNet(TrunkClassifier):
    """RGB (B, 3, H, W) -> imagenette class logits (B, 10): the rotation network's shape, other labels."""

    def __init__(self, classes: int = N_CLASSES, widths: tuple[int, ...] = WIDTHS, dropout: float = 0.2) -> None:
        super().__init__(classes, 3, widths, dropout)


@dataclass
class SupervisedConfig:
    size: int = 64
    imagenette_size: int = 80
    val_images: int = 1000
    limit: int | None = None


class SupervisedTask:
    """Data, model and loss of imagenette classification with the shared trunk."""

    def __init__(self, cfg: SupervisedConfig) -> None:
        self.cfg = cfg
        train = ZipSplit("imagenette-train")
        val = ZipSplit("imagenette-val")
        self.images = train.cached(cfg.imagenette_size, cfg.limit)
        self.labels = train.labels[: len(self.images)]
        self.val = val.cached(cfg.imagenette_size, cfg.limit)
        self.val_labels = val.labels[: len(self.val)]

    def make_model(self) -> nn.Module:
        return SupervisedNet()

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        idx = rng.integers(0, len(self.images), size)
        crops = random_crops(self.images, idx, self.cfg.size, rng)
        return torch.from_numpy(normalise(crops)), torch.from_numpy(self.labels[idx])

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        x, y = batch
        device = next(model.parameters()).device
        logits = model(x.to(device))
        y = y.to(device)
        return F.cross_entropy(logits, y), {"accuracy": float((logits.argmax(1) == y).float().mean())}

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Top-1 on centre crops of the first val_images of imagenette-val."""
        n = min(self.cfg.val_images, len(self.val))
        off = (self.val.shape[1] - self.cfg.size) // 2
        device = next(model.parameters()).device
        correct = 0
        for start in range(0, n, 128):
            stop = min(n, start + 128)
            crops = np.asarray(self.val[start:stop, off : off + self.cfg.size, off : off + self.cfg.size])
            pred = model(torch.from_numpy(normalise(crops)).to(device)).argmax(1).cpu().numpy()
            correct += int((pred == self.val_labels[start:stop]).sum())
        return {"val_top1": correct / max(n, 1)}

    def state(self) -> dict[str, Any]:
        return {"config": asdict(self.cfg)}
