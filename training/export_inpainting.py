"""``pretext export inpainting``: a context-encoder run's generator -> ONNX with a parity check, plus card."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from models.cards import models_dir
from models.inpainting_model import INPUT_NAMES, MODELS, OUTPUT_NAMES
from training.export_onnx import OnnxSpec, ParityError, export_with_card, run_provenance
from training.inpainting import ContextEncoder, InpaintingGAN
from training.nets import count_macs

PAPER = ("Pathak, Krähenbühl, Donahue, Darrell, Efros. Context Encoders: Feature Learning by Inpainting. "
         "CVPR 2016")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=None, help="run folder (default runs/inpainting-MODEL)")
    p.add_argument("--model", choices=sorted(MODELS), default="l2")
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument("--metrics", type=Path, default=None, help="evaluation JSON whose figures go in the card")


def onnx_spec(side: int) -> OnnxSpec:
    """``ContextEncoder``'s contract: (B, 4, S, S) in, (B, 3, S, S) out; the batch is dynamic, the side fixed
    (the channel-wise FC layer is sized for it)."""
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        dynamic_axes={"masked": {0: "batch"}, "fill": {0: "batch"}},
        example=(torch.zeros(1, 4, side, side),),
        parity_inputs=(torch.cat([torch.rand(3, 3, side, side, generator=gen),
                                  (torch.rand(3, 1, side, side, generator=gen) > 0.7).float()], dim=1),),
    )


def build_card(net: ContextEncoder, *, name: str, version: str, loss: str, parity_diff: float,
               training: dict[str, Any], metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card of an exported context encoder (``write_card`` adds the file and its hash)."""
    side = net.side
    return {
        "name": name,
        "task": "inpainting",
        "version": version,
        "paper": PAPER,
        "side": side,
        "loss": loss,
        "inputs": {"masked": f"float32 (B, 4, {side}, {side}): RGB in [0, 1] and the hole mask (1 = fill)"},
        "outputs": {"fill": f"float32 (B, 3, {side}, {side}): the whole window's RGB in [0, 1]"},
        "parameters": sum(p.numel() for p in net.parameters()),
        "macs": count_macs(net, (1, 4, side, side)),
        "widths": list(net.widths),
        "parity_max_abs_diff": parity_diff,
        "training": training,
        "metrics": metrics or {},
    }


def run(args: argparse.Namespace) -> int:
    run_dir = args.run or Path(f"runs/inpainting-{args.model}")
    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    config = ck["task"]["config"]
    net = ContextEncoder(tuple(config["widths"]), config["side"])
    gan = InpaintingGAN(net, None)
    state = {k: v for k, v in ck["model"].items() if k.startswith("generator.")}
    gan.load_state_dict(state)
    net.eval()
    name = MODELS[args.model]
    out = (args.out_dir or models_dir()) / f"{name}.onnx"
    metrics = json.loads(args.metrics.read_text()) if args.metrics else None
    loss = "l2+adversarial" if config.get("adversarial_weight", 0) > 0 else "l2"
    training = {**run_provenance(run_dir, ck), "config": config, "steps": ck["step"]}

    def card_for(diff: float) -> dict[str, Any]:
        return build_card(net, name=name, version=f"{name}-step{ck['step']}", loss=loss, parity_diff=diff,
                          training=training, metrics=metrics)

    try:
        exported = export_with_card(net, out, onnx_spec(config["side"]), card_for)
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
