"""Linear classifiers on frozen features: the transfer evaluation of the pretext papers.

Features of each trunk block are average-pooled to a small grid (after Zhang et al. 2016 and
Noroozi and Favaro 2016, who resize each layer's maps to about 9k dimensions), standardised on
the training set, and fed to a multinomial logistic regression fitted by L-BFGS. The L2 weight is
chosen on a held-out fifth of the training set, then the classifier is refitted on all of it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# How each model's trunk expects its input ("rgb", "tile", "context", "l", "masked"): one definition,
# shared with serving (the features page).
from models.features import INPUTS
from training.nets import Trunk

WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2)


def block_features(trunk: Trunk, images: np.ndarray, kind: str, grid: int = 4, chunk: int = 256) -> list[np.ndarray]:
    """(N, S, S, 3) uint8 -> per block (N, C_b * grid * grid) float32, average-pooled maps."""
    prepare = INPUTS[kind]
    out: list[list[np.ndarray]] = [[] for _ in trunk.blocks]
    trunk = trunk.eval()
    with torch.no_grad():
        for s in range(0, len(images), chunk):
            x = torch.from_numpy(np.ascontiguousarray(prepare(np.asarray(images[s : s + chunk]))))
            for b, f in enumerate(trunk.forward_blocks(x)):
                out[b].append(F.adaptive_avg_pool2d(f, grid).flatten(1).numpy())
    return [np.concatenate(parts) for parts in out]


@dataclass(frozen=True)
class ProbeResult:
    top1: float  # on the test set
    train_top1: float
    weight_decay: float


def _fit(x: torch.Tensor, y: torch.Tensor, classes: int, wd: float, iters: int) -> torch.Tensor:
    """Multinomial logistic regression weights (D + 1, classes) by L-BFGS on mean CE + wd * |W|^2."""
    xb = torch.cat([x, torch.ones(len(x), 1)], dim=1)
    w = torch.zeros(xb.shape[1], classes, requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1.0, max_iter=iters, history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(xb @ w, y) + wd * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach()


def _accuracy(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    logits = torch.cat([x, torch.ones(len(x), 1)], dim=1) @ w
    return float((logits.argmax(1) == y).float().mean())


def linear_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    weight_decays: Sequence[float] = WEIGHT_DECAYS,
    iters: int = 150,
    seed: int = 0,
) -> ProbeResult:
    """Fit on (train_x, train_y) with the weight decay that does best on a held-out fifth; test."""
    classes = int(max(train_y.max(), test_y.max())) + 1
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    xtr = torch.from_numpy(((train_x - mean) / std).astype(np.float32))
    xte = torch.from_numpy(((test_x - mean) / std).astype(np.float32))
    ytr, yte = torch.from_numpy(train_y.astype(np.int64)), torch.from_numpy(test_y.astype(np.int64))
    order = np.random.default_rng(seed).permutation(len(xtr))
    held, fit = torch.from_numpy(order[: len(order) // 5]), torch.from_numpy(order[len(order) // 5 :])
    best = max(weight_decays, key=lambda wd: _accuracy(_fit(xtr[fit], ytr[fit], classes, wd, iters), xtr[held],
                                                       ytr[held]))
    w = _fit(xtr, ytr, classes, best, iters)
    return ProbeResult(_accuracy(w, xte, yte), _accuracy(w, xtr, ytr), best)
