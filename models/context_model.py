"""The exported context-prediction network at serving time: card + onnxruntime session (no torch)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.cards import ContextCard, load_card_as, models_dir
from models.context import (
    POSITION_NAMES,
    PatchBox,
    as_grid,
    crop_patch,
    nearest_position,
    position_probabilities,
    prepare_patches,
    resize_patch,
)
from models.runtime import Device, load_session

MODEL_NAME = "context"
INPUT_NAME = "patches"
OUTPUT_NAME = "logits"


@dataclass
class ContextResult:
    probabilities: np.ndarray  # (8,) over models.context.POSITIONS
    predicted: int  # index in POSITIONS
    truth: int | None  # the neighbour place the second patch is at, None when it is at none
    centre: np.ndarray  # (S, S, 3) uint8, the centre patch as cut from the photo
    piece: np.ndarray  # (S, S, 3) uint8, the second patch as cut from the photo

    def answer_fields(self) -> dict[str, Any]:
        """The network's answer as the API's job result and the CLI's JSON word it."""
        truth = self.truth
        return {
            "probabilities": [float(p) for p in self.probabilities],
            "grid": as_grid(self.probabilities),
            "predicted": self.predicted,
            "predicted_name": POSITION_NAMES[self.predicted],
            "truth": truth,
            "truth_name": None if truth is None else POSITION_NAMES[truth],
            "correct": None if truth is None else self.predicted == truth,
        }


class ContextModel:
    """An ONNX session plus its card's contract: patch side, gap ratio, colour projection."""

    def __init__(self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None,
                 threads: int = 0) -> None:
        root = root or models_dir()
        self.card = load_card_as(name, ContextCard, root)
        self.session = load_session(root / self.card.file, device, threads)

    @property
    def gap_ratio(self) -> float:
        return self.card.gap_ratio

    def run(self, patches: np.ndarray) -> np.ndarray:
        """(B, 2, 3, P, P) prepared [centre, second] pairs -> logits (B, 8)."""
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: np.asarray(patches, np.float32)})[0]

    def inputs(self, centre: np.ndarray, piece: np.ndarray) -> np.ndarray:
        """Two (S, S, 3) uint8 patches -> the network's (1, 2, 3, P, P) input, as the card says."""
        size = self.card.patch
        pair = np.stack([resize_patch(centre, size), resize_patch(piece, size)])  # (2, P, P, 3)
        return prepare_patches(pair, self.card.project_colour)[None]

    def predict(self, rgb8: np.ndarray, box: PatchBox, other: PatchBox) -> ContextResult:
        """Photo (H, W, 3) uint8, the centre patch and the second one -> where the network puts the second;
        BadParameterError when a patch is not on the photo."""
        centre, piece = crop_patch(rgb8, box), crop_patch(rgb8, other)
        probs = position_probabilities(self.run(self.inputs(centre, piece)))[0]
        return ContextResult(
            probabilities=probs,
            predicted=int(np.argmax(probs)),
            truth=nearest_position(box, other, self.gap_ratio),
            centre=centre,
            piece=piece,
        )
