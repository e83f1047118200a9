"""``pretext export colorization``: checkpoint -> ONNX (dynamic batch, height, width) + model card.

A hint network's run (``pretext train colorization --hints``) exports as the card colorization-hints, with a
second input "hints": the 6 planes of models.hints.hint_planes at the input's size.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.tasks.colorization import HINT_MODEL
from models.cards import models_dir
from models.colorization import AB_SCALE
from models.encoding import ANNEALED_T
from models.hints import hint_planes_at
from training.cli_types import sides
from training.colorization_hints import HINT_CHANNELS
from training.export_onnx import OnnxSpec, ParityError, export_with_card, run_provenance
from training.nets import ColorizationNet, count_macs

HINTS_PAPER = ("Zhang, Zhu, Isola, Geng, Lin, Yu, Efros. Real-Time User-Guided Image Colorization with Learned Deep "
               "Priors. SIGGRAPH 2017 (on the network of Zhang, Isola, Efros, ECCV 2016)")


class HintInputs(nn.Module):
    """The hint network with its two ONNX inputs: L (B, 1, H, W) and the hint planes (B, 6, H, W), concatenated."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, l_norm: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([l_norm, hints], dim=1))


class PriorCorrected(nn.Module):
    """Logits minus alpha * log(rebalancing weight): undoes part of the tilt towards rare colours.

    Training with per-pixel weights w(q*) makes the optimal prediction proportional to the true
    posterior times w, so subtracting alpha * log w moves it back towards the posterior; alpha = 0
    keeps the rebalanced prediction, alpha = 1 recovers the unweighted one. Baked into the graph,
    every consumer (annealed mean, the page's distribution plot) sees the same distribution.
    """

    def __init__(self, net: nn.Module, weights: np.ndarray, alpha: float) -> None:
        super().__init__()
        self.net = net
        offset = alpha * np.log(np.asarray(weights, dtype=np.float32))
        self.register_buffer("offset", torch.from_numpy(offset.astype(np.float32)).view(1, -1, 1, 1))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.net(*inputs) - self.offset


def parity_hints(batch: int, h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    """(batch, 6, h, w) hint planes as serving builds them (models.hints.hint_planes_at): about 0.2% of the
    pixels hinted with random colours on a random lightness."""
    seed = int(torch.randint(0, 2**31, (1,), generator=gen))
    rng = np.random.default_rng(seed)
    planes = []
    for _ in range(batch):
        n = max(1, round(h * w * 0.002))
        cells = np.stack([rng.integers(0, h, n), rng.integers(0, w, n)], 1)
        planes.append(hint_planes_at(cells, rng.uniform(-80, 80, (n, 2)), rng.uniform(0, 100, (h, w))))
    return torch.from_numpy(np.stack(planes))


def onnx_spec(hints: bool = False) -> OnnxSpec:
    """L (and the hint planes) in, bin logits (or ab) out at a quarter of its size; batch, height and width
    dynamic."""
    gen = torch.Generator().manual_seed(0)
    axes = {"l": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "h4", 3: "w4"}}
    if not hints:
        return OnnxSpec(
            input_names=("l",),
            output_names=("out",),
            dynamic_axes=axes,
            example=(torch.zeros(1, 1, 64, 96),),
            parity_inputs=(torch.rand(2, 1, 136, 200, generator=gen) * 2 - 1,),
        )
    return OnnxSpec(
        input_names=("l", "hints"),
        output_names=("out",),
        dynamic_axes={**axes, "hints": {0: "batch", 2: "height", 3: "width"}},
        example=(torch.zeros(1, 1, 64, 96), torch.zeros(1, HINT_CHANNELS, 64, 96)),
        parity_inputs=(torch.rand(2, 1, 136, 200, generator=gen) * 2 - 1, parity_hints(2, 136, 200, gen)),
    )


def takes_hints(ck: dict[str, Any]) -> bool:
    """Whether a checkpoint is the hint network's."""
    return bool(ck["task"]["config"].get("hints"))


def make_net(ck: dict[str, Any]) -> ColorizationNet:
    """The checkpoint's network, untrained: bins or ab out, L (and the hint planes) in."""
    task = ck["task"]
    out_channels = len(task["centres"]) if task["config"]["kind"] == "classification" else 2
    return ColorizationNet(out_channels, in_channels=1 + HINT_CHANNELS * takes_hints(ck))


def load_checkpoint(run_dir: Path) -> tuple[ColorizationNet, dict[str, Any]]:
    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    model = make_net(ck)
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def build_card(ck: dict[str, Any], run_dir: Path, serve_short_side: int | list[int], name: str,
               default_temperature: float = ANNEALED_T) -> dict[str, Any]:
    served = [serve_short_side] if isinstance(serve_short_side, int) else list(serve_short_side)
    task = ck["task"]
    kind = task["config"]["kind"]
    model = make_net(ck)
    inputs = {"l": "float32 (B, 1, H, W): (L - 50) / 50, L of CIE Lab in [0, 100]; H, W multiples of 8"}
    if takes_hints(ck):
        inputs["hints"] = ("float32 (B, 6, H, W): colour hints at the input's size (models.hints.hint_planes): "
                           "a / 110 and b / 110 at each hinted pixel and a mask of 1 there, 0 elsewhere; then the "
                           "model-free baseline kernel's sums over the hints: of k a / 110, k b / 110 and k")
    return {
        "name": name,
        "task": "colorization",
        "version": f"{name}-step{ck['step']}",
        "paper": HINTS_PAPER if takes_hints(ck) else "Zhang, Isola, Efros. Colorful Image Colorization. ECCV 2016",
        "output_kind": "logits" if kind == "classification" else "ab",
        "inputs": inputs,
        "outputs": {
            "out": (
                "float32 (B, Q, H/4, W/4): logits over the ab bins in bin_centres order"
                if kind == "classification"
                else f"float32 (B, 2, H/4, W/4): ab / {AB_SCALE}"
            )
        },
        # The first side gives the output grid; the others' outputs are averaged onto it.
        "serve_short_side": served[0],
        "serve_short_sides": served,
        "default_temperature": default_temperature,
        "bin_centres": task["centres"],
        "num_bins": len(task["centres"]),
        "prior": task.get("prior"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "macs_at_256": count_macs(model, (1, model.trunk.blocks[0][0].in_channels, 256, 256)),
        "training": {
            "data": ["imagenette-train", "tinyimagenet-train"],
            "validation": "imagenette-val",
            "config": task["config"],
            "loop": ck.get("config"),
            "steps": ck["step"],
            **run_provenance(run_dir, ck),
        },
        "metrics": {},
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=Path("runs/colorization-classification"))
    p.add_argument("--name", default=None,
                   help=f"default: colorization, colorization-regression, or {HINT_MODEL} for a --hints run")
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument("--serve-short-side", type=sides, default=[128],
                   help="short side(s) the network runs at, e.g. 192 or 192,256 (an ensemble of scales)")
    p.add_argument("--default-temperature", type=float, default=ANNEALED_T)
    p.add_argument("--prior-correction", type=float, default=0.0,
                   help="alpha: subtract alpha * log(rebalancing weight) from the logits (classification)")
    p.add_argument("--mirror-ensemble", action="store_true",
                   help="serve the output averaged with the mirrored photo's (choose on imagenette-val)")
    p.add_argument("--metrics", type=Path, default=None, help="evaluation JSON whose figures go in the card")


def run(args: argparse.Namespace) -> int:
    net, ck = load_checkpoint(args.run)
    kind, hints = ck["task"]["config"]["kind"], takes_hints(ck)
    name = args.name or (HINT_MODEL if hints else "colorization" if kind == "classification"
                         else "colorization-regression")
    out_dir = args.out_dir or models_dir()
    alpha = getattr(args, "prior_correction", 0.0) if kind == "classification" else 0.0
    model: nn.Module = HintInputs(net).eval() if hints else net
    if alpha:
        model = PriorCorrected(model, np.asarray(ck["task"]["weights"]), alpha).eval()

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(ck, args.run, args.serve_short_side, name,
                          getattr(args, "default_temperature", ANNEALED_T))
        card["parity_max_abs_diff"] = diff
        card["prior_correction"] = alpha
        card["mirror_ensemble"] = bool(getattr(args, "mirror_ensemble", False))
        if alpha:
            card["outputs"]["out"] += f", already minus {alpha} * log(rebalancing weight of the bin)"
        if args.metrics and args.metrics.is_file():
            card["metrics"] = json.loads(args.metrics.read_text())
        return card

    try:
        exported = export_with_card(model, out_dir / f"{name}.onnx", onnx_spec(hints), card_for)
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
