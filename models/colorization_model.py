"""Colorize a photo of any size with an exported ONNX colorization model."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.cards import ColorizationCard, load_card_as, models_dir
from models.colorization import (
    ColorizationSpec,
    apply_ab,
    decode_output,
    denormalise_l,
    mirror_averaged,
    preprocess,
    scales_averaged,
)
from models.distribution import log_probabilities
from models.hints import (
    HINT_PLANES,
    HintParams,
    Hints,
    apply_prior,
    hint_planes,
    hinted_ab,
    hinted_ab_regression,
    palette_prior,
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
        inputs = self.session.get_inputs()
        self.input_name = inputs[0].name
        # A hint-conditioned network (card "colorization-hints") takes a second input: models.hints.hint_planes.
        self.hints_name = inputs[1].name if len(inputs) > 1 else None

    @property
    def takes_hints(self) -> bool:
        return self.hints_name is not None

    def network_output(self, rgb8: np.ndarray, hints: Hints | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (1, C, h, w) float32 network output on the first serving side's grid."""
        sides = (self.spec.serve_short_side, *self.spec.extra_short_sides)
        outputs = [self.output_at(rgb8, side, hints) for side in sides]
        return outputs[0] if len(outputs) == 1 else scales_averaged(outputs, self.spec.output)

    def output_at(self, rgb8: np.ndarray, short_side: int, hints: Hints | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (1, C, h, w) network output with the photo's short side at ``short_side``."""
        l_in = preprocess(rgb8, short_side)
        if self.takes_hints:
            height, width = rgb8.shape[:2]
            points = hints.points if hints else ()
            planes = hint_planes(points, width, height, denormalise_l(l_in[0, 0]))[None]  # (1, 6, h, w)
            x = np.concatenate([l_in, planes], axis=1)  # mirrored together: a hint moves with its pixel

            def run(x: np.ndarray) -> np.ndarray:
                return self.run(x[:, :1], x[:, 1:])

            return mirror_averaged(run, x) if self.spec.mirror_ensemble else run(x)
        if self.spec.mirror_ensemble:
            return mirror_averaged(self.run, l_in)
        return self.run(l_in)

    def run(self, l_in: np.ndarray, planes: np.ndarray | None = None) -> np.ndarray:
        """(B, 1, h, w) normalised L [+ (B, 6, h, w) hint planes] -> (B, C, h/4, w/4) raw network output."""
        feed = {self.input_name: l_in}
        if self.hints_name is not None:
            no_hints = np.zeros((len(l_in), HINT_PLANES, *l_in.shape[2:]), np.float32)
            feed[self.hints_name] = no_hints if planes is None else planes
        return self.session.run(None, feed)[0]

    def colorize(self, rgb8: np.ndarray, temperature: float | None = None, hints: Hints | None = None,
                 hint_params: HintParams | None = None) -> Colorization:
        """The photo colorized; with ``hints``, a hint network takes them as input, any other model's output is
        reweighted by them (models.hints, the "distribution" method). ``output`` is the network's own output."""
        hint_params = hint_params or HintParams()
        out = self.network_output(rgb8, hints)
        t = self.spec.default_temperature if temperature is None else temperature
        if not hints:
            ab = decode_output(out, self.spec, temperature)
        elif self.spec.output == "ab":
            ab = hinted_ab_regression(decode_output(out, self.spec), rgb8, hints, hint_params)
        elif self.takes_hints:  # the points went in; a palette stays a prior over the output
            logp = log_probabilities(out)
            if hints.palette:
                logp = apply_prior(logp, palette_prior(hints.palette, self.spec.centres, hint_params),
                                   hint_params.prior_lambda)
            ab = decode_output(logp[None], self.spec, t)
        else:
            ab = hinted_ab(log_probabilities(out), self.spec.centres, rgb8, hints, t, hint_params)
        return Colorization(rgb8=apply_ab(rgb8, ab), output=out)
