"""Evaluation measures of the colorization paper and friends; pure numpy."""

from dataclasses import dataclass, field

import numpy as np

from models.color import rgb8_to_lab
from models.encoding import nearest_bin

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)
PIXEL_STRIDE = 4  # ab errors are pooled over every 4th pixel in each direction

# Hue error on the colours a colorizer most often washes out ("beige grass"), chosen from the ground truth.
# CIE Lab hue angle h = atan2(b, a): forest green (34, 139, 34) is at 138 degrees, olive drab at 120, sea green
# at 153, while yellow (103), khaki (103), dry grass (99) and beige (109) fall below the range.
GREEN_HUE_DEG = (110.0, 180.0)  # [low, high) in degrees
GREEN_MIN_CHROMA = 15.0  # below it a pixel is too gray to have a hue worth scoring
SATURATED_MIN_CHROMA = 40.0  # ground-truth chroma sqrt(a^2 + b^2) of a "saturated" pixel


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


def chroma(ab: np.ndarray) -> np.ndarray:
    """(..., 2) Lab ab -> (...,) chroma sqrt(a^2 + b^2), float64."""
    ab = np.asarray(ab, dtype=np.float64)
    return np.hypot(ab[..., 0], ab[..., 1])


def hue_angle_deg(ab: np.ndarray) -> np.ndarray:
    """(..., 2) Lab ab -> (...,) hue angle atan2(b, a) in degrees, in [0, 360)."""
    ab = np.asarray(ab, dtype=np.float64)
    h = np.degrees(np.arctan2(ab[..., 1], ab[..., 0])) % 360.0
    return np.where(h >= 360.0, 0.0, h)  # -1e-17 % 360 rounds up to 360


def hue_difference_deg(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Absolute difference of two hue angles in degrees, the short way round the circle: [0, 180]."""
    d = np.abs(np.asarray(h1, dtype=np.float64) - np.asarray(h2, dtype=np.float64)) % 360.0
    return np.minimum(d, 360.0 - d)


def green_mask(gt_ab: np.ndarray) -> np.ndarray:
    """(..., 2) ground-truth ab -> (...,) bool: hue in GREEN_HUE_DEG and chroma at least GREEN_MIN_CHROMA."""
    h = hue_angle_deg(gt_ab)
    return (h >= GREEN_HUE_DEG[0]) & (h < GREEN_HUE_DEG[1]) & (chroma(gt_ab) >= GREEN_MIN_CHROMA)


def saturated_mask(gt_ab: np.ndarray) -> np.ndarray:
    """(..., 2) ground-truth ab -> (...,) bool: chroma at least SATURATED_MIN_CHROMA."""
    return chroma(gt_ab) >= SATURATED_MIN_CHROMA


def hue_errors_deg(pred_ab: np.ndarray, gt_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-pixel |hue(pred) - hue(truth)| in degrees (wrapped, [0, 180]) on the pixels of ``mask``: (K,)."""
    m = np.asarray(mask, dtype=bool)
    return hue_difference_deg(hue_angle_deg(np.asarray(pred_ab)[m]), hue_angle_deg(np.asarray(gt_ab)[m]))


def mean_or_none(values: list[np.ndarray], ndigits: int = 2) -> float | None:
    """Rounded mean of the concatenated arrays; None when they hold no value."""
    v = np.concatenate(values) if values else np.empty(0)
    return round(float(v.mean()), ndigits) if v.size else None


def chroma_ratio(pred_c: list[np.ndarray], gt_c: list[np.ndarray]) -> float | None:
    """Mean predicted chroma over mean ground-truth chroma on the same pixels (1: as vivid as the truth)."""
    p = np.concatenate(pred_c) if pred_c else np.empty(0)
    g = np.concatenate(gt_c) if gt_c else np.empty(0)
    return round(float(p.mean() / g.mean()), 3) if g.size and g.mean() > 0 else None


@dataclass
class Tally:
    """Running sums of one method's measures over one dataset.

    ``hue=False`` (the all-gray baseline, whose output has no hue) reports the hue errors as None.
    """

    hue: bool = True
    errors: list[np.ndarray] = field(default_factory=list)
    gt_ab: list[np.ndarray] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    colourfulness: list[float] = field(default_factory=list)
    l_change: list[float] = field(default_factory=list)
    # Per pixel, on the ground truth's green and saturated pixels: hue error, predicted and true chroma.
    hue_green: list[np.ndarray] = field(default_factory=list)
    hue_saturated: list[np.ndarray] = field(default_factory=list)
    chroma_green: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    chroma_saturated: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @classmethod
    def merged(cls, tallies: list["Tally"]) -> "Tally":
        """One tally holding every image of ``tallies`` (e.g. a dataset's folders together)."""
        out = cls(hue=all(t.hue for t in tallies))
        for t in tallies:
            for name in ("errors", "gt_ab", "psnr", "colourfulness", "l_change", "hue_green", "hue_saturated",
                         "chroma_green", "chroma_saturated"):
                getattr(out, name).extend(getattr(t, name))
        return out

    def add(self, out8: np.ndarray, gt8: np.ndarray, gt_lab: np.ndarray) -> None:
        lab = rgb8_to_lab(out8)
        s = (slice(None, None, PIXEL_STRIDE), slice(None, None, PIXEL_STRIDE))
        self.errors.append(np.linalg.norm(lab[s][..., 1:] - gt_lab[s][..., 1:], axis=-1).ravel())
        self.gt_ab.append(gt_lab[s][..., 1:].reshape(-1, 2))
        self.psnr.append(psnr(out8, gt8))
        self.colourfulness.append(colorfulness(out8))
        self.l_change.append(float(np.abs(lab[..., 0] - gt_lab[..., 0]).mean()))
        pred_ab, true_ab = lab[s][..., 1:], gt_lab[s][..., 1:]
        for mask, hues, chromas in ((green_mask(true_ab), self.hue_green, self.chroma_green),
                                    (saturated_mask(true_ab), self.hue_saturated, self.chroma_saturated)):
            hues.append(hue_errors_deg(pred_ab, true_ab, mask))
            chromas.append((chroma(pred_ab[mask]), chroma(true_ab[mask])))

    def summary(self, centres: np.ndarray, gt_colourfulness: float) -> dict[str, float | int | None]:
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
            # Mean |hue(output) - hue(truth)| in degrees on green / saturated ground-truth pixels; None without.
            "hue_error_green_deg": mean_or_none(self.hue_green) if self.hue else None,
            "hue_error_saturated_deg": mean_or_none(self.hue_saturated) if self.hue else None,
            "chroma_ratio_green": chroma_ratio([p for p, _ in self.chroma_green], [g for _, g in self.chroma_green]),
            "chroma_ratio_saturated": chroma_ratio([p for p, _ in self.chroma_saturated],
                                                   [g for _, g in self.chroma_saturated]),
            "green_pixels": int(sum(len(h) for h in self.hue_green)),
            "saturated_pixels": int(sum(len(h) for h in self.hue_saturated)),
        }
