"""Colorize a photo of any size with an exported ONNX colorization model."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cards import ColorizationCard, load_card_as, models_dir
from models.colorization import (
    ColorizationSpec,
    apply_ab,
    decode_output,
    mirror_averaged,
    preprocess,
    scales_averaged,
)
from models.runtime import Device, load_session


@dataclass
class Colorization:
    rgb8: np.ndarray  # (H, W, 3) uint8, the photo's L with predicted ab
    output: np.ndarray  # (1, C, h, w) raw network output: bin logits, or ab/110 for regression


class ColorizationModel:
    """An ONNX session plus its card's contract; one per worker process."""

    def __init__(self, name: str = "colorization", device: Device = "auto", root: Path | None = None,
                 threads: int = 0) -> None:
        root = root or models_dir()
        self.card = load_card_as(name, ColorizationCard, root)
        self.session = load_session(root / self.card.file, device, threads)
        sides = self.card.sides
        self.spec = ColorizationSpec(
            centres=np.asarray(self.card.bin_centres, dtype=np.float32),
            serve_short_side=sides[0],
            extra_short_sides=tuple(sides[1:]),
            default_temperature=self.card.default_temperature,
            output=self.card.output_kind,
            mirror_ensemble=self.card.mirror_ensemble,
        )
        self.input_name = self.session.get_inputs()[0].name

    def network_output(self, rgb8: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 -> (1, C, h, w) float32 network output on the first serving side's grid."""
        sides = (self.spec.serve_short_side, *self.spec.extra_short_sides)
        outputs = [self.output_at(rgb8, side) for side in sides]
        return outputs[0] if len(outputs) == 1 else scales_averaged(outputs, self.spec.output)

    def output_at(self, rgb8: np.ndarray, short_side: int) -> np.ndarray:
        """(H, W, 3) uint8 -> (1, C, h, w) network output with the photo's short side at ``short_side``."""
        l_in = preprocess(rgb8, short_side)
        if self.spec.mirror_ensemble:
            return mirror_averaged(self.run, l_in)
        return self.run(l_in)

    def run(self, l_in: np.ndarray) -> np.ndarray:
        """(B, 1, h, w) normalised L -> (B, C, h/4, w/4) raw network output."""
        return self.session.run(None, {self.input_name: l_in})[0]

    def colorize(self, rgb8: np.ndarray, temperature: float | None = None) -> Colorization:
        out = self.network_output(rgb8)
        ab = decode_output(out, self.spec, temperature)
        return Colorization(rgb8=apply_ab(rgb8, ab), output=out)
