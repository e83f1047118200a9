"""Colorization pre/post-processing shared by training, evaluation and serving.

The network sees L at a modest resolution (``serve_short_side``) and predicts ab-bin logits at
1/4 of it; the ab map is upsampled and recombined with the photo's own full-resolution L.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from models.color import lab_to_rgb8, lab_to_rgb8_keep_lightness, lightness, rgb8_to_lab
from models.encoding import annealed_mean, check_temperature
from models.numerics import log_softmax
from models.resample import bilinear, bilinear_rows

L_CENTRE = 50.0
L_SCALE = 50.0
NET_MULTIPLE = 8  # the trunk downsamples by 8
MAX_NET_LONG_SIDE = 1024
STRIP_ROWS = 256  # rows recoloured at a time, bounding memory for huge photos


def normalise_l(l_channel: np.ndarray) -> np.ndarray:
    """L in [0, 100] -> network input in [-1, 1], float32, same shape."""
    return ((np.asarray(l_channel, dtype=np.float32) - L_CENTRE) / L_SCALE).astype(np.float32)


def denormalise_l(l_norm: np.ndarray) -> np.ndarray:
    """Network input in [-1, 1] -> L in [0, 100], float32, same shape (the inverse of ``normalise_l``)."""
    return (np.asarray(l_norm, dtype=np.float32) * L_SCALE + L_CENTRE).astype(np.float32)


def network_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(w, h) the network runs at: shorter side ~short_side, multiples of 8, long side capped."""
    scale = short_side / min(width, height)
    scale = min(scale, MAX_NET_LONG_SIDE / max(width, height))

    def snap(v: float) -> int:
        return max(NET_MULTIPLE, round(v / NET_MULTIPLE) * NET_MULTIPLE)

    return snap(width * scale), snap(height * scale)


def preprocess(rgb8: np.ndarray, short_side: int) -> np.ndarray:
    """(H, W, 3) uint8 photo (colour or gray) -> (1, 1, h, w) float32 normalised L at network size."""
    h, w = rgb8.shape[:2]
    nw, nh = network_size(w, h, short_side)
    small = np.asarray(Image.fromarray(rgb8).resize((nw, nh), Image.Resampling.BICUBIC))
    return normalise_l(lightness(small))[None, None]


def ab_from_logits(logits: np.ndarray, centres: np.ndarray, temperature: float) -> np.ndarray:
    """(1, Q, h, w) network output -> (h, w, 2) ab by the annealed mean at ``temperature``."""
    z = np.moveaxis(np.asarray(logits, dtype=np.float32)[0], 0, -1)
    return annealed_mean(z, centres, temperature)


def apply_ab(rgb8: np.ndarray, ab_small: np.ndarray) -> np.ndarray:
    """Photo (H, W, 3) uint8 + ab (h, w, 2) -> (H, W, 3) uint8 with the photo's L and the new ab.

    Works in strips of rows so a 50-megapixel photo never needs a full-size float Lab copy.
    """
    H, W = rgb8.shape[:2]
    out = np.empty((H, W, 3), dtype=np.uint8)
    for y0 in range(0, H, STRIP_ROWS):
        y1 = min(H, y0 + STRIP_ROWS)
        lab = np.empty((y1 - y0, W, 3), dtype=np.float32)
        lab[..., 0] = lightness(rgb8[y0:y1])
        lab[..., 1:] = bilinear_rows(ab_small, H, W, y0, y1)
        out[y0:y1] = lab_to_rgb8_keep_lightness(lab)
    return out


def gray_rgb8(rgb8: np.ndarray) -> np.ndarray:
    """The all-gray baseline: the photo's own L with a = b = 0, (H, W, 3) uint8."""
    lab = rgb8_to_lab(rgb8)
    lab[..., 1:] = 0.0
    return lab_to_rgb8(lab)


@dataclass(frozen=True)
class ColorizationSpec:
    """What serving needs to know about an exported colorization network (from its card)."""

    centres: np.ndarray  # (Q, 2) ab bin centres, in the order of the network's output channels
    serve_short_side: int
    default_temperature: float
    output: str = "logits"  # "logits" (classification) or "ab" (regression, ab/AB_SCALE)
    mirror_ensemble: bool = False  # average the output with that of the mirrored photo
    extra_short_sides: tuple[int, ...] = ()  # more sides whose outputs are averaged onto the first's grid


def mirror_averaged(run: Callable[[np.ndarray], np.ndarray], l_in: np.ndarray) -> np.ndarray:
    """(1, 1, h, w) L -> (1, C, h', w') output averaged with the mirrored photo's, mapped back.

    Colour does not change when a photo is mirrored, so the two answers should agree; where the
    network is unsure they differ, and their mean is a cheap ensemble. One batch of two runs.
    """
    both = run(np.concatenate([l_in, l_in[..., ::-1]]))  # (2, C, h', w')
    return ((both[:1] + both[1:, :, :, ::-1]) / 2.0).astype(np.float32)


def scales_averaged(outputs: list[np.ndarray], output_kind: str = "logits") -> np.ndarray:
    """[(1, C, h_i, w_i)] outputs of one photo at several sides -> (1, C, h_0, w_0) on the first's grid."""
    _, c, h, w = outputs[0].shape
    total = np.zeros((h, w, c), dtype=np.float32)
    for out in outputs:
        z = np.moveaxis(np.asarray(out, dtype=np.float32)[0], 0, -1)  # (h_i, w_i, C)
        if output_kind == "logits":
            # A geometric mean of the distributions: where the scales agree the answer stays sharp.
            z = log_softmax(z, axis=-1, dtype=np.float32)
        total += z if z.shape[:2] == (h, w) else bilinear(z, h, w)
    return np.moveaxis(total / len(outputs), -1, 0)[None].astype(np.float32)


AB_SCALE = 110.0


def decode_output(
    output: np.ndarray, spec: ColorizationSpec, temperature: float | None = None
) -> np.ndarray:
    """(1, C, h, w) network output -> (h, w, 2) ab, whichever kind of head produced it."""
    if spec.output == "ab":
        return np.moveaxis(np.asarray(output, dtype=np.float32)[0], 0, -1) * AB_SCALE
    t = spec.default_temperature if temperature is None else check_temperature(temperature)
    return ab_from_logits(output, spec.centres, t)
