"""``pretext export context``: checkpoint -> ONNX (dynamic batch) + JSON model card, with parity."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from models.cards import models_dir
from models.context import N_POSITIONS, positions_table
from models.context_model import INPUT_NAME, MODEL_NAME, OUTPUT_NAME
from training.context import ContextConfig, ContextNet
from training.export_jigsaw import last_validation
from training.export_onnx import OPSET, Exported, OnnxSpec, ParityError, export_with_card, run_provenance
from training.nets import count_macs

PAPER = ("Doersch, Gupta, Efros. Unsupervised Visual Representation Learning by Context Prediction. ICCV 2015")


def config_from_state(state: dict[str, Any]) -> ContextConfig:
    """The task config saved in a checkpoint (unknown keys from other versions ignored)."""
    known = set(ContextConfig.__dataclass_fields__)
    values = {k: v for k, v in state["config"].items() if k in known}
    values["widths"] = tuple(values.get("widths", ContextConfig.widths))
    return ContextConfig(**values)


def make_net(cfg: ContextConfig) -> ContextNet:
    return ContextNet(cfg.patch, tuple(cfg.widths), cfg.dim, cfg.hidden, cfg.dropout)


def load_checkpoint(run_dir: Path) -> tuple[ContextNet, dict[str, Any]]:
    """The network of ``run_dir/checkpoint.pt`` in eval mode, and the checkpoint dict."""
    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    model = make_net(config_from_state(ck["task"]))
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def onnx_spec(patch: int) -> OnnxSpec:
    """Patch pairs (B, 2, 3, P, P) in, position logits (B, 8) out; the batch is dynamic, the side fixed (the
    encoder's FC layer is sized for it)."""
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=(INPUT_NAME,),
        output_names=(OUTPUT_NAME,),
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        example=(torch.zeros(2, 2, 3, patch, patch),),
        parity_inputs=(torch.randn(5, 2, 3, patch, patch, generator=gen),),
    )


def build_card(model: ContextNet, cfg: ContextConfig, *, version: str, training: dict[str, Any],
               metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card: I/O contract, patch geometry, the shortcut defences, training and metrics."""
    p = cfg.patch
    return {
        "name": MODEL_NAME,
        "task": "context",
        "version": version,
        "paper": PAPER,
        "inputs": {
            INPUT_NAME: (
                f"float32 (B, 2, 3, {p}, {p}): [centre patch, second patch], RGB scaled to [0, 1], the "
                "green-magenta axis removed when project_colour is true (models.context.project_colour), then "
                "each patch standardised by its own mean and std over pixels and channels "
                "(models.context.prepare_patches)"
            )
        },
        "outputs": {OUTPUT_NAME: f"float32 (B, {N_POSITIONS}): logits over the positions, in 'positions' order"},
        "convention": (
            "positions[k] is the (dy, dx) offset of the second patch from the centre patch in grid cells, "
            "row-major over the 3x3 grid without its centre; neighbouring patches' corners are patch + gap "
            "pixels apart at training, (1 + gap / patch) patch sides apart at serving"
        ),
        "architecture": {
            "patch_encoder": (f"Trunk(3, {list(cfg.widths)}) + 1x1 conv to 64 + FC {cfg.dim} over the flattened "
                              f"{p // 8}x{p // 8} map, shared by both patches (siamese, late fusion)"),
            "head": f"MLP on both features concatenated: {2 * cfg.dim} -> {cfg.hidden} -> {N_POSITIONS}",
        },
        "patch": p,
        "gap": cfg.gap,
        "jitter": cfg.jitter,
        "project_colour": cfg.project_colour,
        "channel_drop_prob": cfg.channel_drop_prob,
        "positions": positions_table(),
        "opset": OPSET,
        "parameters": sum(t.numel() for t in model.parameters()),
        "macs_per_pair": count_macs(model, (1, 2, 3, p, p)),
        "training": training,
        "metrics": metrics or {},
    }


def export_run(run_dir: Path, out_dir: Path, metrics: Path | None = None) -> Exported:
    """Export a run to ``out_dir/context.onnx`` + card; raises ParityError (a RuntimeError) if parity fails."""
    model, ck = load_checkpoint(run_dir)
    cfg = config_from_state(ck["task"])

    def card_for(diff: float) -> dict[str, Any]:
        training = {
            "data": ["imagenette-train", *sorted(k for k, v in cfg.shares.items() if v > 0)],
            "validation": "imagenette-val (centred grid, every position of each photo)",
            "image_size": cfg.image_size,
            "defences": cfg.defences(),
            "config": ck["task"]["config"],
            "loop": ck.get("config"),
            "steps": ck["step"],
            **run_provenance(run_dir, ck),
        }
        card = build_card(model, cfg, version=f"{MODEL_NAME}-step{ck['step']}", training=training,
                          metrics={"validation": last_validation(run_dir)})
        card["parity_max_abs_diff"] = diff
        if metrics is not None and metrics.is_file():
            card["metrics"]["evaluation"] = json.loads(metrics.read_text())
        return card

    return export_with_card(model, out_dir / f"{MODEL_NAME}.onnx", onnx_spec(cfg.patch), card_for)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=Path("runs/context"), help="training run folder")
    p.add_argument("--out-dir", "--out", dest="out_dir", type=Path, default=None,
                   help="default: the settings' models_dir")
    p.add_argument("--metrics", type=Path, default=None,
                   help="report.json of `pretext evaluate context`, put in the card's metrics")


def run(args: argparse.Namespace) -> int:
    out_dir = args.out_dir or models_dir()
    try:
        exported = export_run(args.run, out_dir, args.metrics)
    except (FileNotFoundError, ParityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
