"""The exported rotation network at serving time: card + onnxruntime session (no torch)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cards import RotationCard, load_card_as, models_dir
from models.numerics import softmax
from models.rotation import (
    ANGLES,
    attention_map,
    check_angle,
    combine_rotations,
    normalise_map,
    preprocess,
    rotate,
    turned_views,
)
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


@dataclass
class ViewLogits:
    """The network's logits for every view the ensemble uses, of one photo."""

    plain: np.ndarray  # (S, 4, 4): per serving side, row j = the photo turned a further 90j degrees
    mirrored: np.ndarray | None  # (S, 4, 4): the same for the photo mirrored left to right

    def turned(self, angle: int) -> "ViewLogits":
        """The views of the same photo turned ``angle`` further counter-clockwise, without rerunning.

        Exact up to resampling: the photo is resized before it is turned, not after, and PIL's
        two-pass resize then rounds a pixel differently by at most one level in 255.
        """
        k = check_angle(angle) // 90
        mirrored = None if self.mirrored is None else turned_views(self.mirrored, k, mirrored=True)
        return ViewLogits(turned_views(self.plain, k), mirrored)

    def probabilities(self) -> np.ndarray:
        """(4,) probability of each angle, from all views."""
        return combine_rotations(self.plain, self.mirrored)

    def single_view_angle(self) -> int:
        """The network's answer from the photo as given at the first side, alone."""
        return ANGLES[int(np.argmax(self.plain[0, 0]))]


class RotationModel:
    """An ONNX session plus its card's contract."""

    def __init__(self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None,
                 threads: int = 0) -> None:
        root = root or models_dir()
        self.card = load_card_as(name, RotationCard, root)
        self.session = load_session(root / self.card.file, device, threads)
        # The first side also gives the attention maps; more sides widen the ensemble.
        self.short_sides = self.card.sides
        self.mirror_views = self.card.mirror_views  # 8 views per side instead of 4

    @property
    def short_side(self) -> int:
        return self.short_sides[0]

    def run(self, x: np.ndarray, p: float = 2.0) -> list[np.ndarray]:
        """(B, 3, h, w) normalised -> [logits (B, 4), attention of blocks 1..4 (B, h_i, w_i)]."""
        return self.session.run(list(OUTPUT_NAMES), {"image": x, "p": np.array([p], np.float32)})

    def run_turned(self, x: np.ndarray, extra: int, p: float) -> list[np.ndarray]:
        """``run`` on one (h, w, 3) network-size input turned a further ``extra`` degrees."""
        return self.run(np.ascontiguousarray(np.moveaxis(rotate(x, extra), -1, 0))[None], p)

    def views(self, rgb8: np.ndarray, p: float = 2.0) -> tuple[ViewLogits, list[np.ndarray]]:
        """Logits of every served view of a photo, and the attention maps of the photo as given."""
        attention_map(np.ones((1, 1, 1)), p)  # validates p before any work
        plain, mirrored, maps = [], [], []
        for i, side in enumerate(self.short_sides):
            x = np.moveaxis(preprocess(rgb8, side)[0], 0, -1)  # (h, w, 3)
            rows = []
            for extra in ANGLES:
                outs = self.run_turned(x, extra, p)
                rows.append(outs[0][0])
                if i == 0 and extra == 0:
                    maps = [normalise_map(m[0]) for m in outs[1:]]
            plain.append(np.stack(rows))
            if self.mirror_views:
                mirrored.append(np.stack([self.run_turned(x[:, ::-1], extra, p)[0][0] for extra in ANGLES]))
        return ViewLogits(np.stack(plain), np.stack(mirrored) if mirrored else None), maps

    def predict(self, rgb8: np.ndarray, p: float = 2.0) -> RotationResult:
        """Angle of a photo, from all four turns of it (a cheap ensemble), plus attention maps."""
        views, maps = self.views(rgb8, p)
        probs = views.probabilities()
        return RotationResult(
            angle=ANGLES[int(np.argmax(probs))],
            probabilities={str(a): float(v) for a, v in zip(ANGLES, probs, strict=True)},
            attention=maps,
            views=[{str(a): float(v) for a, v in zip(ANGLES, softmax(row), strict=True)} for row in views.plain[0]],
        )
