"""The exported context encoder at serving time: card + onnxruntime session (no torch)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import BadParameterError
from models.cards import InpaintingCard, load_card_as, models_dir
from models.inpainting import (
    Window,
    check_mask,
    composite,
    crop_window,
    network_input,
    resize_mask,
    resize_rgb,
    to_uint8,
    window_for,
)
from models.runtime import Device, load_session

MODEL_NAME = "inpainting"  # the L2 model; the adversarial one is "inpainting-adversarial"
MODELS = {"l2": "inpainting", "adversarial": "inpainting-adversarial"}
INPUT_NAMES = ("masked",)
OUTPUT_NAMES = ("fill",)


@dataclass
class InpaintingResult:
    result: np.ndarray  # (H, W, 3) uint8: the photo with the hole filled, every other pixel its own
    fill: np.ndarray  # (side, side, 3) uint8: the bare network output for the window, at the window's size
    window: Window  # where the network looked, in the photo's pixels
    network_side: int


class InpaintingModel:
    """An ONNX session plus its card's contract."""

    def __init__(self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None,
                 threads: int = 0) -> None:
        root = root or models_dir()
        self.card = load_card_as(name, InpaintingCard, root)
        self.session = load_session(root / self.card.file, device, threads)

    def run(self, masked: np.ndarray) -> np.ndarray:
        """(B, 4, S, S) float32 (RGB in [0, 1], hole mask) -> (B, 3, S, S) RGB in [0, 1]."""
        return self.session.run(list(OUTPUT_NAMES), {"masked": masked})[0]

    def inpaint(self, rgb8: np.ndarray, mask: np.ndarray) -> InpaintingResult:
        """Fill the hole ``mask`` (H, W) bool of ``rgb8`` (H, W, 3) uint8, any shape anywhere, any photo size.

        The network sees a square window around the hole, scaled to its training side; its output is
        scaled back and pasted into the hole with a feathered seam, so only the hole (and a band a few
        pixels wide around it, blended) changes.
        """
        if mask.shape != rgb8.shape[:2]:
            raise BadParameterError(f"the mask is {mask.shape[1]}x{mask.shape[0]}, the photo "
                                    f"{rgb8.shape[1]}x{rgb8.shape[0]}: they must be the same size")
        check_mask(mask)
        side = self.card.side
        window = window_for(mask)
        photo = crop_window(rgb8, window)  # (w, w, 3)
        hole = crop_window(mask, window)  # (w, w)
        # Blank the hole before scaling: resampling would otherwise smear what lies inside it into the
        # network pixels at its edge, and the network would see part of the answer.
        photo[hole] = 128
        small = resize_rgb(photo, side)
        small_hole = resize_mask(hole, side)
        out = self.run(network_input(small[None], small_hole[None]))[0]  # (3, S, S)
        fill = resize_rgb(to_uint8(out), window.side)  # (w, w, 3) at the photo's scale
        feather = self.card.feather * window.side / side
        return InpaintingResult(composite(rgb8, mask, fill, window, feather), fill, window, side)
