"""Evaluation measures of the colorization paper and friends; pure numpy."""

from dataclasses import dataclass, field

import numpy as np

from models.color import rgb8_to_lab
from models.encoding import nearest_bin

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)
PIXEL_STRIDE = 4  # ab errors are pooled over every 4th pixel in each direction


def ab_error_cdf(errors: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(N,) per-pixel ab L2 errors -> (151,) share within each threshold 0..150."""
    e = np.asarray(errors, dtype=np.float32).ravel()
    w = np.ones_like(e) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    order = np.argsort(e)
    cum = np.cumsum(w[order])
    idx = np.searchsorted(e[order], AUC_THRESHOLDS, side="right")
    return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0) / cum[-1]


def auc(cdf: np.ndarray) -> float:
    """Area under the CDF over thresholds 0..150, normalised to [0, 100]."""
    return float(np.trapezoid(cdf, AUC_THRESHOLDS) / (AUC_THRESHOLDS[-1] - AUC_THRESHOLDS[0]) * 100)


def class_balance_weights(gt_ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, 2) ground-truth ab -> (N,) weights making every present colour bin count equally."""
    bins = nearest_bin(gt_ab, centres)
    counts = np.bincount(bins, minlength=len(centres)).astype(np.float64)
    return 1.0 / counts[bins]


def psnr(a8: np.ndarray, b8: np.ndarray) -> float:
    """PSNR in dB between two uint8 images of one shape."""
    mse = np.mean((a8.astype(np.float64) - b8.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def colorfulness(rgb8: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness of an (H, W, 3) uint8 image."""
    rgb = rgb8.astype(np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


@dataclass
class Tally:
    """Running sums of one method's measures over one dataset."""

    errors: list[np.ndarray] = field(default_factory=list)
    gt_ab: list[np.ndarray] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    colourfulness: list[float] = field(default_factory=list)
    l_change: list[float] = field(default_factory=list)

    def add(self, out8: np.ndarray, gt8: np.ndarray, gt_lab: np.ndarray) -> None:
        lab = rgb8_to_lab(out8)
        s = (slice(None, None, PIXEL_STRIDE), slice(None, None, PIXEL_STRIDE))
        self.errors.append(np.linalg.norm(lab[s][..., 1:] - gt_lab[s][..., 1:], axis=-1).ravel())
        self.gt_ab.append(gt_lab[s][..., 1:].reshape(-1, 2))
        self.psnr.append(psnr(out8, gt8))
        self.colourfulness.append(colorfulness(out8))
        self.l_change.append(float(np.abs(lab[..., 0] - gt_lab[..., 0]).mean()))

    def summary(self, centres: np.ndarray, gt_colourfulness: float) -> dict[str, float]:
        errors = np.concatenate(self.errors)
        weights = class_balance_weights(np.concatenate(self.gt_ab), centres)
        c = float(np.mean(self.colourfulness))
        return {
            "auc_raw": round(auc(ab_error_cdf(errors)), 2),
            "auc_rebalanced": round(auc(ab_error_cdf(errors, weights)), 2),
            "psnr_db": round(float(np.mean(self.psnr)), 2),
            "colorfulness": round(c, 2),
            "colorfulness_vs_truth": round(c / gt_colourfulness, 3) if gt_colourfulness else 0.0,
            "mean_abs_l_change": round(float(np.mean(self.l_change)), 3),
        }
