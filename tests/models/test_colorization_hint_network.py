"""Serving a hint network (card colorization-hints): the hints reach its second input at their own pixels."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from models.color import rgb8_to_lab
from models.colorization_model import ColorizationModel
from models.encoding import ANNEALED_T
from models.gamut import in_gamut_bins
from models.hints import Hints, PointHint
from training.export_colorization import onnx_spec
from training.export_onnx import export_with_card

RED = (220, 20, 20)


class HintEcho(nn.Module):
    """A stand-in hint network: each output cell peaks on the bin of the hints inside it, uniform elsewhere."""

    def __init__(self, centres: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("centres", torch.from_numpy(centres).view(1, -1, 2, 1, 1))

    def forward(self, l_norm: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
        mask = nn.functional.avg_pool2d(hints[:, 2:3], 4)  # (B, 1, h, w): share of hinted pixels
        ab = nn.functional.avg_pool2d(hints[:, :2], 4) * 110.0 / mask.clamp_min(1e-6)  # (B, 2, h, w)
        d2 = ((self.centres - ab[:, None]) ** 2).sum(2)  # (B, Q, h, w)
        return -0.05 * d2 * (mask > 0).float() + 0.0 * l_norm.mean()


def echo_models(root: Path, mirror: bool) -> Path:
    centres = in_gamut_bins()
    card = {"name": "colorization-hints", "task": "colorization", "version": "echo", "output_kind": "logits",
            "serve_short_side": 64, "default_temperature": ANNEALED_T, "bin_centres": centres.tolist(),
            "mirror_ensemble": mirror}
    export_with_card(HintEcho(centres).eval(), root / "colorization-hints.onnx", onnx_spec(hints=True),
                     lambda _diff: card)
    return root


def ab_distance(pixel: np.ndarray, rgb: tuple[int, int, int]) -> float:
    lab = rgb8_to_lab(np.array([pixel, rgb], np.uint8))
    return float(np.linalg.norm(lab[0, 1:] - lab[1, 1:]))


@pytest.mark.parametrize("mirror", [False, True])
def test_a_hint_colours_its_own_pixel_and_not_its_mirror_image(tmp_path, mirror):
    model = ColorizationModel("colorization-hints", device="cpu", root=echo_models(tmp_path, mirror))
    assert model.takes_hints
    rgb = np.full((64, 96, 3), 120, np.uint8)  # a gray photo, served at its own size
    out = model.colorize(rgb, 0.38, Hints((PointHint(21, 33, RED),))).rgb8
    assert ab_distance(out[33, 21], RED) < 25  # its L kept: gray 120 cannot be quite as red
    assert ab_distance(out[33, 95 - 21], RED) > 40  # the mirrored pass must flip the planes with the photo
    assert ab_distance(out[5, 80], RED) > 40
    none = model.colorize(rgb, 0.38, Hints()).rgb8
    assert ab_distance(none[33, 21], RED) > 40

