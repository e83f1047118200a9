"""Rotation prediction (Gidaris, Singh and Komodakis, ICLR 2018) and attention maps
(Zagoruyko and Komodakis, ICLR 2017): pure numpy pre/post-processing.

Angle convention everywhere: ``angle`` is how far an image is rotated counter-clockwise from
upright, as PIL's ``Image.rotate(angle)``; ``rotate(img, -angle)`` makes it upright again.
"""

import numpy as np
from PIL import Image

from core.errors import BadParameterError
from models.numerics import log_softmax
from models.resample import bilinear_rows

ANGLES = (0, 90, 180, 270)
IMAGE_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # ImageNet statistics
IMAGE_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
NET_MULTIPLE = 8
MAX_LONG_OVER_SHORT = 3
OVERLAY_BAND_PIXELS = 1 << 20  # pixels blended at a time by ``overlay``


def check_angle(angle: int) -> int:
    if angle % 90 != 0:
        raise BadParameterError(f"angle must be a multiple of 90 degrees, got {angle}")
    return int(angle) % 360


def rotate(img: np.ndarray, angle: int) -> np.ndarray:
    """(H, W, ...) -> rotated counter-clockwise by angle (a multiple of 90), no interpolation."""
    return np.rot90(img, k=check_angle(angle) // 90, axes=(0, 1))


def rotations(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, S, S, C) square images -> (4B, S, S, C) all four rotations, labels (4B,) in 0..3.

    Image b at angle k sits at index 4b + k, so every rotation of an image shares a batch.
    """
    out = np.stack([np.rot90(batch, k=k, axes=(1, 2)) for k in range(4)], axis=1)
    labels = np.tile(np.arange(4), len(batch))
    return out.reshape(-1, *batch.shape[1:]), labels


def network_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(w, h) the network runs at: shorter side short_side, multiples of 8, long side at most 3x."""
    scale = short_side / min(width, height)
    w = min(round(width * scale), MAX_LONG_OVER_SHORT * short_side)
    h = min(round(height * scale), MAX_LONG_OVER_SHORT * short_side)
    return (max(NET_MULTIPLE, round(w / NET_MULTIPLE) * NET_MULTIPLE),
            max(NET_MULTIPLE, round(h / NET_MULTIPLE) * NET_MULTIPLE))


def normalise(rgb8: np.ndarray) -> np.ndarray:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float32 standardised with ImageNet statistics."""
    x = (np.asarray(rgb8, dtype=np.float32) / 255.0 - IMAGE_MEAN) / IMAGE_STD
    return np.moveaxis(x, -1, -3).astype(np.float32)


def preprocess(rgb8: np.ndarray, short_side: int) -> np.ndarray:
    """Photo (H, W, 3) uint8 -> (1, 3, h, w) network input at serving size (aspect kept)."""
    h, w = rgb8.shape[:2]
    size = network_size(w, h, short_side)
    return normalise(np.asarray(Image.fromarray(rgb8).resize(size, Image.Resampling.BILINEAR)))[None]


def turned_views(views: np.ndarray, quarter_turns: int, mirrored: bool = False) -> np.ndarray:
    """(..., 4, 4) logits of a photo's four turns -> those of the photo turned k quarter-turns further.

    The photo turned by k, then by a further j, is the photo turned by k + j: its view j is the
    photo's view (k + j) mod 4. Mirroring reverses turns, so mirrored views shift the other way.
    """
    k = int(quarter_turns)
    return views[..., [((j - k) if mirrored else (j + k)) % 4 for j in range(4)], :]


def combine_rotations(logits_by_angle: np.ndarray, mirrored: np.ndarray | None = None) -> np.ndarray:
    """(..., 4, 4) logits of the input turned by a further 0, 90, 180, 270 -> (4,) probabilities.

    Row j comes from the input rotated a further 90j degrees, whose true class is (k + j) mod 4
    if the input's is k; averaging the views' log-probabilities is a cheap ensemble. Leading axes
    hold more sets of four turns (the input at other serving sides). ``mirrored`` holds the same
    for the input mirrored left to right: mirroring turns a rotation by k into one by -k, so its
    row j's true class is (j - k) mod 4.
    """
    logp = log_softmax(np.asarray(logits_by_angle, dtype=np.float64).reshape(-1, 4, 4), axis=2)
    terms = [logp[:, range(4), [(k + j) % 4 for j in range(4)]].ravel() for k in range(4)]
    if mirrored is not None:
        logm = log_softmax(np.asarray(mirrored, dtype=np.float64).reshape(-1, 4, 4), axis=2)
        terms = [np.concatenate([t, logm[:, range(4), [(j - k) % 4 for j in range(4)]].ravel()])
                 for k, t in enumerate(terms)]
    joint = np.array([np.mean(t) for t in terms])
    p = np.exp(joint - joint.max())
    return (p / p.sum()).astype(np.float32)


def attention_map(activation: np.ndarray, p: float = 2.0) -> np.ndarray:
    """(C, h, w) activations of one block -> (h, w) sum over channels of |a|^p, scaled to [0, 1]."""
    if not np.isfinite(p) or p <= 0 or p > 8:
        raise BadParameterError(f"p must be in (0, 8], got {p}")
    a = (np.abs(np.asarray(activation, dtype=np.float64)) ** p).sum(0)
    return normalise_map(a)


def normalise_map(a: np.ndarray) -> np.ndarray:
    """Min-max scale a map to [0, 1] (a constant map becomes all zeros)."""
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return ((a - a.min()) / span if span > 0 else np.zeros_like(a)).astype(np.float32)


def heat_colours(m: np.ndarray) -> np.ndarray:
    """(H, W) in [0, 1] -> (H, W, 3) float32 colours from dark blue through red to yellow."""
    stops = np.array([[0.0, 0.0, 0.3], [0.0, 0.2, 1.0], [0.9, 0.1, 0.1], [1.0, 1.0, 0.2]], np.float32)
    x = np.clip(np.asarray(m, dtype=np.float32), 0, 1) * np.float32(len(stops) - 1)
    lower = np.minimum(np.floor(x), np.float32(len(stops) - 2))
    f = (x - lower)[..., None]
    i = lower.astype(np.intp)
    return stops[i] * (1 - f) + stops[i + 1] * f


def overlay(rgb8: np.ndarray, attention: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """Blend a normalised (h, w) attention map, upsampled to the photo, over it: (H, W, 3) uint8."""
    if not 0.0 <= opacity <= 1.0:
        raise BadParameterError(f"opacity must be in [0, 1], got {opacity}")
    H, W = rgb8.shape[:2]
    small = np.asarray(attention, dtype=np.float32)[..., None]  # (h, w, 1)
    out = np.empty((H, W, 3), np.uint8)
    # In bands of rows: float colour planes of a 64-megapixel photo would take gigabytes at once.
    rows = max(1, OVERLAY_BAND_PIXELS // max(W, 1))
    for top in range(0, H, rows):
        bottom = min(H, top + rows)
        heat = heat_colours(bilinear_rows(small, H, W, top, bottom)[..., 0])  # (rows, W, 3)
        blend = rgb8[top:bottom].astype(np.float32) * (1 - opacity) + heat * (255.0 * opacity)
        out[top:bottom] = np.clip(np.round(blend), 0, 255)
    return out
