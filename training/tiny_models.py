"""Tiny untrained models with real ONNX files and cards, for service tests and benchmarks."""

from pathlib import Path

import torch

from models.cards import write_card
from models.encoding import ANNEALED_T
from models.gamut import in_gamut_bins
from training.export_onnx import export
from training.nets import ColorizationNet


def tiny_colorization(out_dir: Path, serve_short_side: int = 64, seed: int = 0,
                      widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write colorization.onnx and its card into ``out_dir``; returns the card's path."""
    centres = in_gamut_bins()
    torch.manual_seed(seed)
    model = ColorizationNet(out_channels=len(centres), widths=widths).eval()
    path = export(model, torch.zeros(1, 1, 64, 96), out_dir / "colorization.onnx", "l", ["out"],
                  {"l": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "h4", 3: "w4"}})
    card = {
        "name": "colorization",
        "task": "colorization",
        "version": f"colorization-tiny-{'x'.join(map(str, widths))}-seed{seed}",
        "output_kind": "logits",
        "serve_short_side": serve_short_side,
        "default_temperature": ANNEALED_T,
        "bin_centres": centres.tolist(),
        "num_bins": len(centres),
        "note": "untrained, for tests and benchmarks only",
    }
    return write_card(card, path)
