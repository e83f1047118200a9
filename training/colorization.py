"""Colorization as classification over quantised ab bins (Zhang, Isola and Efros, ECCV 2016).

Input: L; label: soft-encoded ab at 1/4 resolution; loss: class-rebalanced cross-entropy.
The regression variant (smooth L1 on ab) is the baseline the paper argues against. With ``hints`` the network
also takes 3 planes of simulated colour hints (training.colorization_hints; Zhang, Zhu et al., SIGGRAPH 2017),
same targets and loss: the card colorization-hints.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.color import rgb8_to_lab
from models.colorization import AB_SCALE, denormalise_l, normalise_l
from models.encoding import (
    REBALANCE_LAMBDA,
    SoftEncoder,
    annealed_mean,
    empirical_prior,
    rebalance_weights,
    smooth_prior,
)
from models.gamut import in_gamut_bins
from training.colorization_hints import HINT_CHANNELS, HintSampling, sample_hint_planes, spread_prior_weights
from training.crops import random_crops, zoomed_crops
from training.datasets import TINY_SIZE, ZipSplit
from training.errors import TrainingConfigError
from training.metrics import ab_error_cdf, auc
from training.nets import ColorizationNet
from training.sources import batch_counts, check_shares, load_sources

OUTPUT_STRIDE = 4


@dataclass
class ColorizationConfig:
    kind: str = "classification"  # or "regression"
    crop: int = 64
    imagenette_size: int = 128  # imagenette cached at this size; crops are cut from it
    tiny_share: float = 0.5  # share of each batch drawn from Tiny ImageNet (64 px)
    finetune_crop: int = 0  # >0: the last finetune_share of steps use this crop of imagenette
    finetune_share: float = 0.0
    # Share of steps whose whole batch is Tiny ImageNet at its own 64 px: keeps its 200 classes in
    # view while the other steps train on imagenette crops larger than Tiny ImageNet can give.
    tiny_batches: float = 0.0
    # Imagenette windows of side crop * z, z log-uniform in this range, resized to the crop: the net
    # sees objects at many scales, as in photos of any framing, instead of at the cache's one scale.
    zoom: tuple[float, float] = (1.0, 1.0)
    prior_images: int = 3000
    val_images: int = 300
    limit: int | None = None  # use only the first N images of each split (tests)
    # Share of each batch from each wider split (training.sources), cut like imagenette (zoomed crops).
    shares: dict[str, float] = field(default_factory=dict)
    hints: bool = False  # the hint network: L plus 3 planes of hints sampled from the true colours
    max_hints: int = 20  # at most this many points per photo (training.colorization_hints)
    hint_patch: int = 5  # a hint's colour is the mean true ab over a square of side 1, 3, ..., hint_patch
    hint_gain: float = 100.0  # the points' factor inside the network: their weights learn this much faster
    # Class rebalancing (Zhang et al. 2016) buys vivid colours with PSNR; the hint network, judged by how close
    # it gets to the true colours with hints, trains without it (plain cross-entropy: the posterior).
    rebalance: bool = True
    # > 0: adds this times the squared error (in units of 10 ab) of the distribution's mean, the decode at T = 1:
    # PSNR judges the hint network, and cross-entropy alone keeps a hint's colour broad where it might not belong.
    mean_loss: float = 0.0

    def __post_init__(self) -> None:
        # Caught here, before the prior and the photo caches cost minutes, not as a crash at the first batch.
        if self.tiny_share > 0 and self.crop > TINY_SIZE:
            raise TrainingConfigError(f"crop {self.crop} is larger than Tiny ImageNet's {TINY_SIZE} px photos; "
                             f"use a crop of at most {TINY_SIZE} or tiny_share 0")
        for name in ("crop", "finetune_crop"):
            if getattr(self, name) > self.imagenette_size:
                raise TrainingConfigError(
                    f"{name} {getattr(self, name)} is larger than imagenette_size {self.imagenette_size}"
                )
        if self.mean_loss < 0:
            raise TrainingConfigError(f"mean_loss must be >= 0, got {self.mean_loss}")
        lo, hi = self.zoom
        if not 1.0 <= lo <= hi:
            raise TrainingConfigError(f"zoom must satisfy 1 <= min <= max, got {self.zoom}")
        for name in ("tiny_share", "finetune_share", "tiny_batches"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise TrainingConfigError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        check_shares(self.shares, self.tiny_share)
        if self.hints and self.kind != "classification":
            raise TrainingConfigError("the hint network predicts a distribution: --hints needs --kind classification")
        if self.max_hints < 1 or self.hint_patch < 1 or self.hint_patch % 2 == 0 or not self.hint_gain > 0:
            raise TrainingConfigError(f"max_hints must be >= 1, hint_patch odd and >= 1 and hint_gain > 0, got "
                                      f"{self.max_hints}, {self.hint_patch} and {self.hint_gain}")

    @property
    def hint_sampling(self) -> HintSampling:
        return HintSampling(max_points=self.max_hints, max_patch=self.hint_patch)


def lab_batch(rgb8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, H, W, 3) uint8 -> L input (B, 1, H, W) normalised, ab (B, H, W, 2)."""
    lab = rgb8_to_lab(rgb8)
    return normalise_l(lab[..., 0])[:, None], lab[..., 1:]


def pool_ab(ab: np.ndarray, stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """(B, H, W, 2) -> (B, H/s, W/s, 2) by averaging s x s blocks (the target grid)."""
    b, h, w, c = ab.shape
    return ab.reshape(b, h // stride, stride, w // stride, stride, c).mean((2, 4))


class ColorizationTask:
    """Data, model and loss of one colorization training run."""

    def __init__(self, cfg: ColorizationConfig, centres: np.ndarray | None = None) -> None:
        self.cfg = cfg
        self.centres = in_gamut_bins() if centres is None else centres
        self.imagenette = ZipSplit("imagenette-train").cached(cfg.imagenette_size, cfg.limit)
        self.tiny = ZipSplit("tinyimagenet-train").cached(TINY_SIZE, cfg.limit)
        self.val = ZipSplit("imagenette-val").cached(cfg.imagenette_size, cfg.limit)
        self.sources = load_sources(cfg.shares, cfg.imagenette_size, cfg.limit)
        self.total_steps = 0
        self.prior = self._prior()
        self.weights = (rebalance_weights(smooth_prior(self.prior, self.centres), REBALANCE_LAMBDA) if cfg.rebalance
                        else np.ones(len(self.centres), np.float32))
        self._weights_t = torch.from_numpy(self.weights)
        self._centres_t = torch.from_numpy(np.asarray(self.centres, np.float32))
        self.encoder = SoftEncoder(self.centres)

    def _prior(self) -> np.ndarray:
        """Empirical ab-bin prior over the training photos, at the target grid's resolution."""
        rng = np.random.default_rng(1234)
        abs_ = []
        for images in (self.imagenette, self.tiny):
            n = min(self.cfg.prior_images, len(images))
            for chunk in np.array_split(np.sort(rng.choice(len(images), n, replace=False)), 20):
                if len(chunk) == 0:
                    continue
                _, ab = lab_batch(np.asarray(images[chunk]))
                abs_.append(pool_ab(ab).reshape(-1, 2))
        return empirical_prior(np.concatenate(abs_), self.centres)

    @property
    def out_channels(self) -> int:
        return len(self.centres) if self.cfg.kind == "classification" else 2

    @property
    def in_channels(self) -> int:
        return 1 + HINT_CHANNELS if self.cfg.hints else 1

    def make_model(self) -> nn.Module:
        model = ColorizationNet(self.out_channels, in_channels=self.in_channels, hint_gain=self.cfg.hint_gain)
        if model.hint_prior is not None:
            with torch.no_grad():
                model.hint_prior.weight.copy_(torch.from_numpy(spread_prior_weights(self.centres))[..., None, None])
        return model

    def new_inputs(self, model: nn.Module) -> tuple[nn.Module, ...]:
        """The hint network's first convolution: warm-started from a plain export, its hint channels start at 0."""
        return (model.trunk.blocks[0][0],) if self.cfg.hints else ()

    def new_heads(self, model: nn.Module, onnx_path: Path) -> tuple[nn.Module, ...]:
        """The hint network's output path (hint_prior, hint_head), when warm-starting from a plain export."""
        if not self.cfg.hints:
            return ()
        from training.warm_start import onnx_layer_weights

        convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
        return () if len(onnx_layer_weights(onnx_path)) == convs else (model.hint_prior, model.hint_head)

    def net_input(self, l_in: np.ndarray, ab: np.ndarray, rng: np.random.Generator | None) -> torch.Tensor:
        """(B, 1, H, W) L and its (B, H, W, 2) true ab -> the network's input: L, and for the hint network the
        hint planes, sampled with ``rng`` (None: no hints), (B, 1 + HINT_CHANNELS, H, W)."""
        if not self.cfg.hints:
            return torch.from_numpy(l_in)
        if rng is None:
            planes = np.zeros((len(l_in), HINT_CHANNELS, *l_in.shape[2:]), np.float32)
        else:
            planes = sample_hint_planes(ab, denormalise_l(l_in[:, 0]), rng, self.cfg.hint_sampling)
        return torch.from_numpy(np.concatenate([l_in, planes], axis=1))

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        cfg = self.cfg
        fine = (
            cfg.finetune_crop > 0
            and self.total_steps > 0
            and step >= self.total_steps * (1.0 - cfg.finetune_share)
        )
        if cfg.tiny_batches and rng.random() < cfg.tiny_batches:
            rgb = random_crops(self.tiny, rng.integers(0, len(self.tiny), size), TINY_SIZE, rng)
        elif fine:
            rgb = self.photo_crops(rng, size, cfg.finetune_crop)
        else:
            n_tiny = round(size * cfg.tiny_share)
            parts = []
            if n_tiny:
                parts.append(random_crops(self.tiny, rng.integers(0, len(self.tiny), n_tiny), cfg.crop, rng))
            if size - n_tiny:
                parts.append(self.photo_crops(rng, size - n_tiny, cfg.crop))
            rgb = np.concatenate(parts)
        l_in, ab = lab_batch(rgb)
        target_ab = pool_ab(ab)  # (B, h, w, 2)
        return self.net_input(l_in, ab, rng), torch.from_numpy(np.ascontiguousarray(target_ab))

    def photo_crops(self, rng: np.random.Generator, n: int, crop: int) -> np.ndarray:
        """n zoomed crops from imagenette and the wider splits' training photos, in the configured shares."""
        counts = batch_counts(n, self.cfg.shares)
        parts = [zoomed_crops(src.images, rng.choice(src.train, counts[name]), crop, self.cfg.zoom, rng)
                 for name, src in self.sources.items() if counts[name]]
        rest = n - sum(counts.values())
        if rest > 0:
            parts.append(zoomed_crops(self.imagenette, rng.integers(0, len(self.imagenette), rest), crop,
                                      self.cfg.zoom, rng))
        return np.concatenate(parts)[:n]

    def targets(self, target_ab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, h, w, 2) ab -> soft targets (B, Q, h, w) and per-pixel rebalancing weights (B, h, w)."""
        b, h, w, _ = target_ab.shape
        soft = self.encoder(target_ab.reshape(-1, 2).numpy())
        soft_t = torch.from_numpy(soft).reshape(b, h, w, -1)
        pixel_w = self._weights_t[soft_t.argmax(-1)]
        return soft_t.permute(0, 3, 1, 2), pixel_w

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        l_in, target_ab = batch
        device = next(model.parameters()).device
        out = model(l_in.to(device))
        if self.cfg.kind == "regression":
            pred = out.permute(0, 2, 3, 1)
            return F.smooth_l1_loss(pred, target_ab.to(device) / AB_SCALE), {}
        soft, pixel_w = self.targets(target_ab)
        log_p = F.log_softmax(out, dim=1)  # (B, Q, h, w)
        ce = -(soft.to(device) * log_p).sum(1)
        loss = (ce * pixel_w.to(device)).mean()
        logs = {"ce_unweighted": float(ce.detach().mean())}
        if self.cfg.mean_loss > 0:
            mean_ab = torch.einsum("bqhw,qc->bhwc", log_p.exp(), self._centres_t.to(device))  # (B, h, w, 2)
            sq = ((mean_ab - target_ab.to(device)) / 10.0).pow(2).sum(-1).mean()
            loss = loss + self.cfg.mean_loss * sq
            logs["mean_sq_err_10ab"] = float(sq.detach())
        return loss, logs

    def predict_ab(self, model: nn.Module, l_in: torch.Tensor, temperature: float) -> np.ndarray:
        """(B, C, H, W) network input -> (B, H/4, W/4, 2) ab."""
        device = next(model.parameters()).device
        out = model(l_in.to(device)).detach().float().cpu().numpy()
        z = np.moveaxis(out, 1, -1)
        if self.cfg.kind == "regression":
            return z * AB_SCALE
        return annealed_mean(z, self.centres, temperature)

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Raw AuC of the ab error at the target grid on imagenette-val (T = 0.38). The hint network's without
        hints (comparable with the plain model's), ``val_auc_raw_hints`` with hints drawn as in training (fixed
        seed), and ``val_hint_cell_gain_ab``: how much the hints lower the ab error of the cells they are in."""
        n = min(self.cfg.val_images, len(self.val))
        plain, hinted, cell_gain = [], [], []
        hint_rng = np.random.default_rng(32)
        for start in range(0, n, 50):
            l_in, ab = lab_batch(np.asarray(self.val[start : min(n, start + 50)]))
            target = pool_ab(ab)  # (B, h, w, 2)
            err = np.linalg.norm(self.predict_ab(model, self.net_input(l_in, ab, None), 0.38) - target, axis=-1)
            plain.append(err.ravel())
            if self.cfg.hints:
                x = self.net_input(l_in, ab, hint_rng)  # (B, 7, H, W)
                err_h = np.linalg.norm(self.predict_ab(model, x, 0.38) - target, axis=-1)  # (B, h, w)
                hinted.append(err_h.ravel())
                b, r, c = np.nonzero(x[:, 3].numpy())  # the points' mask plane (after L, a, b)
                cells = (b, r // OUTPUT_STRIDE, c // OUTPUT_STRIDE)
                cell_gain.append(err[cells] - err_h[cells])
        figures = {"val_auc_raw": auc(ab_error_cdf(np.concatenate(plain)))}
        if self.cfg.hints:
            figures["val_auc_raw_hints"] = auc(ab_error_cdf(np.concatenate(hinted)))
            figures["val_hint_cell_gain_ab"] = float(np.concatenate(cell_gain).mean())
        for name, src in self.sources.items():  # the wider splits' held-back tenth, when they train
            held = src.val[: self.cfg.val_images]
            l_in, ab = lab_batch(np.asarray(src.images[held]))
            pred = self.predict_ab(model, self.net_input(l_in, ab, None), 0.38)
            err = np.linalg.norm(pred - pool_ab(ab), axis=-1).ravel()
            figures[f"val_auc_raw_{name.split('-')[0]}"] = auc(ab_error_cdf(err))
        return figures

    def state(self) -> dict[str, Any]:
        return {
            "centres": self.centres.tolist(),
            "prior": self.prior.tolist(),
            "weights": self.weights.tolist(),
            "config": vars(self.cfg),
        }
