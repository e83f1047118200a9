"""Context prediction (Doersch, Gupta and Efros, ICCV 2015): where a patch sits relative to another.

Input: a centre patch and one of its eight neighbours cut from a 3x3 grid of a photo; label: which
neighbour (``models.context.POSITIONS``); loss: cross-entropy over the eight positions. The paper's
defences against trivial shortcuts are each an option, so that their effect can be measured
(``pretext evaluate context``):

- a **gap** between patches, so that edges and textures cannot simply be continued across a border;
- **jitter**: each neighbour moved by up to a few pixels, so that exact alignment of lines says nothing;
- **colour projection**: the green-magenta axis removed, since chromatic aberration (colours fringing
  differently toward the edges of a lens) tells a patch's place in the frame;
- **channel dropping**: two of the three channels of a patch replaced by noise, the paper's other cure
  for the same shortcut.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.context import N_POSITIONS, POSITIONS, PatchGeometry, prepare_patches
from training.datasets import ZipSplit
from training.errors import TrainingConfigError
from training.jigsaw import drop_channels
from training.nets import WIDTHS, Trunk
from training.sources import batch_counts, check_shares, load_sources

OFFSETS = np.array(POSITIONS)  # (8, 2) neighbour offsets in grid cells


class PatchEncoder(nn.Module):
    """(N, 3, P, P) patch -> (N, dim): the shared trunk, a 1x1 reduction, an FC over the flattened map.

    Flattening rather than pooling keeps where things are inside the patch, which is what relating
    two patches needs (the paper's fc6 also sees the whole pool5 map).
    """

    def __init__(self, patch: int, widths: tuple[int, ...] = WIDTHS, reduced: int = 64, dim: int = 512,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.trunk = Trunk(3, widths)
        side = patch // 8
        self.reduce = nn.Sequential(nn.Conv2d(widths[-1], reduced, 1, bias=False), nn.BatchNorm2d(reduced),
                                    nn.ReLU(inplace=True))
        self.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(reduced * side * side, dim), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.reduce(self.trunk(x)).flatten(1))


class ContextNet(nn.Module):
    """Patch pairs (B, 2, 3, P, P) [centre, neighbour] -> position logits (B, 8).

    Late fusion, as in the paper: both patches go through the same encoder (siamese), and only the
    head sees them together.
    """

    def __init__(self, patch: int = 32, widths: tuple[int, ...] = WIDTHS, dim: int = 512, hidden: int = 512,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.encoder = PatchEncoder(patch, widths, dim=dim, dropout=dropout)
        self.head = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                  nn.Linear(hidden, N_POSITIONS))

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        p = pairs.shape[-1]
        feats = self.encoder(pairs.reshape(-1, 3, p, p))  # (B*2, dim)
        # -1 rather than pairs.shape[0] keeps the batch axis dynamic in the ONNX graph.
        return self.head(feats.reshape(-1, 2 * feats.shape[-1]))


@dataclass
class ContextConfig:
    patch: int = 32
    gap: int = 12  # the paper: about half a patch
    jitter: int = 3  # the paper: up to 7 of 96 px
    project_colour: bool = True
    channel_drop_prob: float = 0.25  # per patch: keep one channel, the others become its mean plus noise
    image_size: int = 128  # photos cached at this side; the grid's place in it is random
    widths: tuple[int, ...] = WIDTHS
    dim: int = 512
    hidden: int = 512
    dropout: float = 0.3
    val_images: int = 500
    limit: int | None = None
    shares: dict[str, float] = field(default_factory=dict)  # wider splits (training.sources)

    def __post_init__(self) -> None:
        if self.patch % 8 or self.patch < 8:
            raise TrainingConfigError(f"patch must be a positive multiple of 8 (the trunk's stride), got {self.patch}")
        if self.gap < 0 or self.jitter < 0:
            raise TrainingConfigError("gap and jitter must not be negative")
        if self.geometry.span > self.image_size:
            raise TrainingConfigError(f"the 3x3 grid spans {self.geometry.span} px, more than the image "
                                      f"side {self.image_size}")
        if not 0.0 <= self.channel_drop_prob <= 1.0:
            raise TrainingConfigError(f"channel_drop_prob must lie in [0, 1], got {self.channel_drop_prob}")
        check_shares(self.shares, 0.0)

    @property
    def geometry(self) -> PatchGeometry:
        return PatchGeometry(self.patch, self.gap, self.jitter)

    def defences(self) -> dict[str, Any]:
        """The four shortcut defences as this run sets them."""
        return {"gap": self.gap, "jitter": self.jitter, "project_colour": self.project_colour,
                "channel_drop_prob": self.channel_drop_prob}


def cut_pairs(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator | None,
              geom: PatchGeometry) -> np.ndarray:
    """(N, S, S, 3) uint8 photos, labels (N,) in 0..7 -> (N, 2, P, P, 3) uint8 [centre, neighbour].

    With ``rng`` the grid sits anywhere it fits and the neighbour is jittered by up to geom.jitter
    in each axis; without, the grid is centred and nothing moves (validation).
    """
    n, size, p, j = len(images), images.shape[1], geom.patch, geom.jitter
    lo = geom.step + j  # the centre patch's top-left range that keeps every neighbour inside
    hi = size - p - geom.step - j
    if rng is None:
        cy = cx = np.full(n, (lo + hi) // 2)
        jit = np.zeros((n, 2), dtype=int)
    else:
        cy, cx = rng.integers(lo, hi + 1, n), rng.integers(lo, hi + 1, n)
        jit = rng.integers(-j, j + 1, (n, 2))
    ny = cy + OFFSETS[labels, 0] * geom.step + jit[:, 0]
    nx = cx + OFFSETS[labels, 1] * geom.step + jit[:, 1]
    out = np.empty((n, 2, p, p, 3), dtype=np.uint8)
    for k in range(n):
        out[k, 0] = images[k, cy[k] : cy[k] + p, cx[k] : cx[k] + p]
        out[k, 1] = images[k, ny[k] : ny[k] + p, nx[k] : nx[k] + p]
    return out


def make_pairs(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator | None,
               cfg: ContextConfig) -> np.ndarray:
    """(N, S, S, 3) uint8, labels (N,) -> (N, 2, 3, P, P) network input with the run's defences.

    Validation (``rng`` None) uses the run's gap and colour projection but no jitter or dropping.
    """
    pairs = cut_pairs(images, labels, rng, cfg.geometry).astype(np.float32) / 255.0
    if rng is not None and cfg.channel_drop_prob:
        pairs = drop_channels(pairs, rng, cfg.channel_drop_prob)
    return prepare_patches(pairs, cfg.project_colour)


class ContextTask:
    """Data, model and loss of one context-prediction training run."""

    def __init__(self, cfg: ContextConfig) -> None:
        self.cfg = cfg
        self.images = ZipSplit("imagenette-train").cached(cfg.image_size, cfg.limit)
        self.val = ZipSplit("imagenette-val").cached(cfg.image_size, cfg.limit)
        self.sources = load_sources(cfg.shares, cfg.image_size, cfg.limit)

    def make_model(self) -> nn.Module:
        c = self.cfg
        return ContextNet(c.patch, tuple(c.widths), c.dim, c.hidden, c.dropout)

    def photos(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n training photos (n, S, S, 3) uint8, randomly mirrored, from imagenette and the wider splits."""
        parts = []
        counts = batch_counts(n, self.cfg.shares)
        for name, src in self.sources.items():
            if counts[name]:
                parts.append(np.asarray(src.images[np.sort(rng.choice(src.train, counts[name]))]))
        rest = n - sum(len(x) for x in parts)
        if rest > 0:
            parts.append(np.asarray(self.images[np.sort(rng.integers(0, len(self.images), rest))]))
        imgs = np.concatenate(parts)[:n]
        flips = rng.random(len(imgs)) < 0.5
        imgs[flips] = imgs[flips, :, ::-1]
        return imgs

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        imgs = self.photos(rng, size)
        labels = rng.integers(0, N_POSITIONS, len(imgs))
        return torch.from_numpy(make_pairs(imgs, labels, rng, self.cfg)), torch.from_numpy(labels)

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        x, y = batch
        device = next(model.parameters()).device
        logits = model(x.to(device))
        y = y.to(device)
        acc = (logits.argmax(1) == y).float().mean()
        return F.cross_entropy(logits, y), {"accuracy": float(acc)}

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Accuracy over all eight positions of imagenette-val photos (centred grid), and of each wider
        split's held-back tenth when it trains."""
        n = min(self.cfg.val_images, len(self.val))
        figures = {"val_accuracy": accuracy(model, self.val, np.arange(n), self.cfg)}
        for name, src in self.sources.items():
            figures[f"val_accuracy_{name.split('-')[0]}"] = accuracy(model, src.images, src.val[:n], self.cfg)
        return figures

    def state(self) -> dict[str, Any]:
        return {"config": asdict(self.cfg)}


def accuracy(model: nn.Module, images: np.ndarray, idx: np.ndarray, cfg: ContextConfig, chunk: int = 64) -> float:
    """Share of (photo, position) pairs placed right, every photo asked all eight positions."""
    device = next(model.parameters()).device
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for s in range(0, len(idx), chunk):
            imgs = np.repeat(np.asarray(images[idx[s : s + chunk]]), N_POSITIONS, axis=0)
            labels = np.tile(np.arange(N_POSITIONS), len(imgs) // N_POSITIONS)
            x = torch.from_numpy(make_pairs(imgs, labels, None, cfg)).to(device)
            correct += int((model(x).argmax(1).cpu().numpy() == labels).sum())
            total += len(labels)
    return correct / max(total, 1)
