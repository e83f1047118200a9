"""``pretext export random``: the untrained trunk (``Trunk(3)``, torch seed 0) -> ONNX with a parity check, plus
card: the transfer table's "random init" row as a model the features page can compare (what architecture
alone gives). The same network as ``training.evaluate_transfer.random_trunk``."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from models.cards import models_dir
from models.rotation import IMAGE_MEAN, IMAGE_STD
from training.export_onnx import OnnxSpec, ParityError, export_with_card
from training.nets import WIDTHS, Trunk, count_macs

INPUT_NAMES = ("image",)
OUTPUT_NAMES = ("features",)
SEED = 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=SEED, help="torch seed of the initialisation (the table's: 0)")
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")


def random_trunk(seed: int = SEED, widths: tuple[int, ...] = WIDTHS) -> Trunk:
    """``Trunk(3)`` as PyTorch initialises it after ``torch.manual_seed(seed)``, in eval mode."""
    torch.manual_seed(seed)
    return Trunk(3, widths).eval()


def onnx_spec() -> OnnxSpec:
    """The trunk's contract: (B, 3, H, W) standardised RGB in, block 4's maps (B, w4, H/8, W/8) out; batch and
    size dynamic."""
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                      "features": {0: "batch", 2: "h", 3: "w"}},
        example=(torch.zeros(1, 3, 64, 64),),
        parity_inputs=(torch.randn(3, 3, 80, 120, generator=gen),),
    )


def build_card(trunk: Trunk, *, seed: int, parity_diff: float) -> dict[str, Any]:
    """The model card of the exported random trunk (``write_card`` adds the file and its hash)."""
    w4 = trunk.widths[-1]
    return {
        "name": "random",
        "task": "random",
        "version": f"random-init-seed{seed}-{'x'.join(map(str, trunk.widths))}",
        "paper": "the shared trunk (training.nets.Trunk) as initialised, never trained: the transfer table's "
                 "random-init row",
        "inputs": {"image": "float32 (B, 3, H, W): RGB/255 standardised by mean and std (ImageNet statistics)"},
        "outputs": {"features": f"float32 (B, {w4}, H/8, W/8): block 4's maps"},
        "mean": IMAGE_MEAN.tolist(),
        "std": IMAGE_STD.tolist(),
        "seed": seed,
        "widths": list(trunk.widths),
        "parameters": sum(p.numel() for p in trunk.parameters()),
        "macs_at_64": count_macs(trunk, (1, 3, 64, 64)),
        "parity_max_abs_diff": parity_diff,
        "training": {"steps": 0, "note": "untrained: PyTorch's default initialisation after torch.manual_seed"},
    }


def run(args: argparse.Namespace) -> int:
    trunk = random_trunk(args.seed)
    out = (args.out_dir or models_dir()) / "random.onnx"
    try:
        exported = export_with_card(trunk, out, onnx_spec(), lambda diff: build_card(trunk, seed=args.seed,
                                                                                    parity_diff=diff))
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
