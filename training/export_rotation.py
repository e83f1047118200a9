"""``pretext export rotation``: checkpoint -> ONNX with logits and attention maps, plus card."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from models.cards import models_dir
from models.rotation import ANGLES, IMAGE_MEAN, IMAGE_STD
from models.rotation_model import INPUT_NAMES, OUTPUT_NAMES
from training.cli_types import sides
from training.export_onnx import OnnxSpec, ParityError, export_with_card, run_provenance
from training.nets import count_macs
from training.rotation import RotationNet, RotationWithAttention


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=Path("runs/rotation"))
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument("--serve-short-side", type=sides, default=None,
                   help="shorter side served, or several to ensemble (128,176); default: the training size")
    p.add_argument("--metrics", type=Path, default=None, help="evaluation JSON whose figures go in the card")
    p.add_argument("--mirror-views", action="store_true",
                   help="serve with 8 views (4 turns, mirrored and not) instead of 4; choose on imagenette-val")


def onnx_spec() -> OnnxSpec:
    """``RotationWithAttention``'s contract: (image, p) in, logits and attention maps out; batch and size dynamic."""
    axes = {"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}}
    axes.update({name: {0: "batch", 1: f"h{i}", 2: f"w{i}"} for i, name in enumerate(OUTPUT_NAMES[1:])})
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        dynamic_axes=axes,
        example=(torch.zeros(1, 3, 64, 64), torch.tensor([2.0])),
        parity_inputs=(torch.randn(3, 3, 80, 120, generator=gen), torch.tensor([1.5])),
    )


def build_card(net: RotationNet, *, version: str, serve_short_side: int | list[int], parity_diff: float,
               training: dict[str, Any], metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card of an exported rotation network (``write_card`` adds the file and its hash)."""
    served = [serve_short_side] if isinstance(serve_short_side, int) else list(serve_short_side)
    return {
        "name": "rotation",
        "task": "rotation",
        "version": version,
        "paper": "Gidaris, Singh, Komodakis. Unsupervised Representation Learning by Predicting "
        "Image Rotations. ICLR 2018; attention maps after Zagoruyko and Komodakis, ICLR 2017",
        "angles": list(ANGLES),
        "inputs": {
            "image": "float32 (B, 3, H, W): RGB/255 standardised by mean and std; H, W multiples of 8",
            "p": "float32 (1,): exponent of the attention maps, sum over channels of |a|^p",
        },
        "outputs": {
            "logits": "float32 (B, 4): rotation classes 0, 90, 180, 270 degrees counter-clockwise",
            **{name: f"float32 (B, H/{2 ** min(i + 1, 3)}, W/{2 ** min(i + 1, 3)}): block {i + 1}"
               for i, name in enumerate(OUTPUT_NAMES[1:])},
        },
        "mean": IMAGE_MEAN.tolist(),
        "std": IMAGE_STD.tolist(),
        # serve_short_side gives the attention maps; serve_short_sides the whole ensemble.
        "serve_short_side": served[0],
        "serve_short_sides": served,
        "default_p": 2.0,
        "parameters": sum(p.numel() for p in net.parameters()),
        "macs_at_256": count_macs(net, (1, 3, 256, 256)),
        "parity_max_abs_diff": parity_diff,
        "training": training,
        "metrics": metrics or {},
    }


def run(args: argparse.Namespace) -> int:
    ck = torch.load(args.run / "checkpoint.pt", map_location="cpu", weights_only=False)
    net = RotationNet()
    net.load_state_dict(ck["model"])
    out_dir = args.out_dir or models_dir()
    cfg = ck["task"]["config"]

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(
            net,
            version=f"rotation-step{ck['step']}",
            serve_short_side=args.serve_short_side or cfg["size"],
            parity_diff=diff,
            training={"data": ["imagenette-train", "tinyimagenet-train"], "config": cfg,
                      "loop": ck.get("config"), "steps": ck["step"], **run_provenance(args.run, ck)},
            metrics=json.loads(args.metrics.read_text()) if args.metrics and args.metrics.is_file() else {},
        )
        card["mirror_views"] = bool(getattr(args, "mirror_views", False))
        return card

    try:
        exported = export_with_card(RotationWithAttention(net.eval()), out_dir / "rotation.onnx", onnx_spec(),
                                    card_for)
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
