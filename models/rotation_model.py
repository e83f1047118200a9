"""The exported rotation network at serving time: card + onnxruntime session (no torch)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cards import load_card, models_dir
from models.numerics import softmax
from models.rotation import ANGLES, attention_map, combine_rotations, normalise_map, preprocess, rotate
from models.runtime import Device, load_session

MODEL_NAME = "rotation"
INPUT_NAMES = ("image", "p")
OUTPUT_NAMES = ("logits", "attention1", "attention2", "attention3", "attention4")


@dataclass
class RotationResult:
    angle: int  # how far the input is rotated counter-clockwise from upright
    probabilities: dict[str, float]  # "0", "90", "180", "270" -> probability
    attention: list[np.ndarray]  # per block, (h_i, w_i) in [0, 1], in the input's orientation
    views: list[dict[str, float]]  # the network's own answer for the input turned by each angle


class RotationModel:
    """An ONNX session plus its card's contract."""

    def __init__(self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None,
                 threads: int = 0) -> None:
        root = root or models_dir()
        self.card = load_card(name, root)
        self.session = load_session(root / self.card.get("file", f"{name}.onnx"), device, threads)
        self.short_side = int(self.card["serve_short_side"])
        self.mirror_views = bool(self.card.get("mirror_views", False))  # 8 views instead of 4

    def run(self, x: np.ndarray, p: float = 2.0) -> list[np.ndarray]:
        """(B, 3, h, w) normalised -> [logits (B, 4), attention of blocks 1..4 (B, h_i, w_i)]."""
        return self.session.run(list(OUTPUT_NAMES), {"image": x, "p": np.array([p], np.float32)})

    def run_turned(self, x: np.ndarray, extra: int, p: float) -> list[np.ndarray]:
        """``run`` on one (h, w, 3) network-size input turned a further ``extra`` degrees."""
        return self.run(np.ascontiguousarray(np.moveaxis(rotate(x, extra), -1, 0))[None], p)

    def predict(self, rgb8: np.ndarray, p: float = 2.0) -> RotationResult:
        """Angle of a photo, from all four turns of it (a cheap ensemble), plus attention maps."""
        attention_map(np.ones((1, 1, 1)), p)  # validates p before any work
        x = np.moveaxis(preprocess(rgb8, self.short_side)[0], 0, -1)  # (h, w, 3)
        logits, views, maps = [], [], []
        for extra in ANGLES:
            outs = self.run_turned(x, extra, p)
            logits.append(outs[0][0])
            pv = softmax(outs[0][0])
            views.append({str(a): float(v) for a, v in zip(ANGLES, pv, strict=True)})
            if extra == 0:
                maps = [normalise_map(m[0]) for m in outs[1:]]
        mirrored = None
        if self.mirror_views:
            mirrored = np.stack([self.run_turned(x[:, ::-1], extra, p)[0][0] for extra in ANGLES])
        probs = combine_rotations(np.stack(logits), mirrored)
        return RotationResult(
            angle=ANGLES[int(np.argmax(probs))],
            probabilities={str(a): float(v) for a, v in zip(ANGLES, probs, strict=True)},
            attention=maps,
            views=views,
        )
