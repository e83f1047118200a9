"""``pretext export supervised``: the supervised trunk's classifier -> ONNX with a parity check, plus card.

The transfer table's upper bound (``pretext train supervised``: the shared trunk on imagenette-train's
labels) as a model the features page can compare: its node names keep the module path
(``/trunk/blocks.N/...``), so ``training.trunk_from_onnx.load_trunk`` and ``models.features_graph`` find
the trunk in it like in every pretext model.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from core.settings import get_settings
from models.cards import models_dir
from models.imagenette import dataset_classes
from models.rotation import IMAGE_MEAN, IMAGE_STD
from training.export_onnx import OnnxSpec, ParityError, export_with_card, run_provenance
from training.nets import count_macs
from training.supervised import SupervisedNet

INPUT_NAMES = ("image",)
OUTPUT_NAMES = ("logits",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=Path("runs/supervised"))
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")


def onnx_spec() -> OnnxSpec:
    """``SupervisedNet``'s contract: (B, 3, H, W) standardised RGB in, (B, classes) logits out; batch and size
    dynamic."""
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}},
        example=(torch.zeros(1, 3, 64, 64),),
        parity_inputs=(torch.randn(3, 3, 80, 120, generator=gen),),
    )


def net_from_state(state: dict[str, torch.Tensor]) -> SupervisedNet:
    """The network a checkpoint's state dict was saved from: its block widths and classes read from the
    weights' shapes (the first convolution of each block, the head's rows)."""
    widths = []
    for b in range(4):
        first = next(k for k, v in state.items() if k.startswith(f"trunk.blocks.{b}.") and v.ndim == 4)
        widths.append(int(state[first].shape[0]))
    net = SupervisedNet(classes=int(state["head.1.weight"].shape[0]), widths=tuple(widths))
    net.load_state_dict(state)
    return net.eval()


def val_top1(run_dir: Path) -> float | None:
    """The run's last validation top-1 (centre crops of imagenette-val), from its metrics log."""
    path = run_dir / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
    vals = [r["val_top1"] for r in rows if r.get("kind") == "val" and "val_top1" in r]
    return vals[-1] if vals else None


def build_card(net: SupervisedNet, *, version: str, classes: list[dict[str, Any]], parity_diff: float,
               training: dict[str, Any], metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card of an exported supervised classifier (``write_card`` adds the file and its hash)."""
    n = net.head[1].out_features
    return {
        "name": "supervised",
        "task": "supervised",
        "version": version,
        "paper": "the shared trunk (training.nets.Trunk) trained on imagenette-train's labels: the transfer "
                 "table's upper bound",
        "inputs": {"image": "float32 (B, 3, H, W): RGB/255 standardised by mean and std (ImageNet statistics)"},
        "outputs": {"logits": f"float32 (B, {n}): class logits, in the order of classes"},
        "mean": IMAGE_MEAN.tolist(),
        "std": IMAGE_STD.tolist(),
        "classes": classes,
        "widths": list(net.trunk.widths),
        "parameters": sum(p.numel() for p in net.parameters()),
        "macs_at_64": count_macs(net, (1, 3, 64, 64)),
        "parity_max_abs_diff": parity_diff,
        "training": training,
        "metrics": metrics or {},
    }


def run(args: argparse.Namespace) -> int:
    ck = torch.load(args.run / "checkpoint.pt", map_location="cpu", weights_only=False)
    net = net_from_state(ck["model"])
    classes = dataset_classes(get_settings().datasets_dir)
    if len(classes) != net.head[1].out_features:
        print(f"the network has {net.head[1].out_features} classes, the dataset {len(classes)}", file=sys.stderr)
        return 1
    out = (args.out_dir or models_dir()) / "supervised.onnx"
    top1 = val_top1(args.run)

    def card_for(diff: float) -> dict[str, Any]:
        return build_card(net, version=f"supervised-step{ck['step']}", classes=classes, parity_diff=diff,
                          training={"data": ["imagenette-train"], "config": ck.get("task", {}).get("config"),
                                    "loop": ck.get("config"), "steps": ck["step"], **run_provenance(args.run, ck)},
                          metrics={"val_top1": top1} if top1 is not None else {})

    try:
        exported = export_with_card(net, out, onnx_spec(), card_for)
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
