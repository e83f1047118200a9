"""``pretext export jigsaw``: checkpoint -> ONNX (dynamic batch) + JSON model card, with parity."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.cards import models_dir
from models.jigsaw import CELL_FITS, DEFAULT_CELL_FIT, N_TILES, hamming_matrix, min_hamming
from models.jigsaw_model import INPUT_NAME, MODEL_NAME, NEIGHBOUR_OUTPUT, OUTPUT_NAMES
from training.export_onnx import OPSET, Exported, OnnxSpec, export_with_card, run_provenance
from training.jigsaw import JigsawConfig
from training.jigsaw import make_net as make_jigsaw_net
from training.jigsaw_net import JigsawNet
from training.nets import count_macs

PAPER = "Noroozi and Favaro. Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles. ECCV 2016"
DEFAULT_METHOD = "cell"  # the cell head was trained on uniform shuffles, as the CLI sees them
NEIGHBOUR_METHOD = "neighbours"  # the default where the model has the neighbour head
DEFAULT_ROUNDS = 3


def config_from_state(state: dict[str, Any]) -> JigsawConfig:
    """The task config saved in a checkpoint (unknown keys from other versions ignored)."""
    known = set(JigsawConfig.__dataclass_fields__)
    cfg = JigsawConfig(**{k: v for k, v in state["config"].items() if k in known})
    cfg.widths = tuple(cfg.widths)
    return cfg


def make_net(state: dict[str, Any]) -> JigsawNet:
    return make_jigsaw_net(config_from_state(state), len(state["permutations"]))


def load_checkpoint(run_dir: Path) -> tuple[JigsawNet, dict[str, Any]]:
    """The network of ``run_dir/checkpoint.pt`` in eval mode, and the checkpoint dict."""
    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    model = make_net(ck["task"])
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def last_validation(run_dir: Path) -> dict[str, float]:
    """The last validation row of a run's metrics log, or {}."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    vals = [r for r in rows if r.get("kind") == "val"]
    return {k: v for k, v in vals[-1].items() if k != "kind"} if vals else {}


def output_names(model: JigsawNet) -> tuple[str, ...]:
    return (*OUTPUT_NAMES, NEIGHBOUR_OUTPUT) if model.neighbour_head is not None else OUTPUT_NAMES


def build_card(
    ck: dict[str, Any], run_dir: Path, flip: bool = False, serve_tile_ratio: float | None = None,
    cell_fit: str = DEFAULT_CELL_FIT, cell_weight: float = 1.0,
) -> dict[str, Any]:
    """The model card: I/O contract, permutation set, geometry, training and metrics."""
    state = ck["task"]
    cfg = config_from_state(state)
    perms = np.asarray(state["permutations"], dtype=np.int64)
    k, t = len(perms), cfg.tile
    model = make_net(state)
    neighbours = model.neighbour_head is not None
    outputs = {
        OUTPUT_NAMES[0]: f"float32 (B, {k}): logits over the permutation set, in 'permutations' order",
        OUTPUT_NAMES[1]: "float32 (B, 9, 9): [b, i, c] logit that the tile at position i is from cell c",
    }
    architecture = {
        "tile_encoder": f"Trunk(3, {list(cfg.widths)}) + global average pool + FC {cfg.dim}, shared by the 9 tiles",
        "perm_head": f"MLP on the 9 features concatenated in order: {N_TILES * cfg.dim} -> {cfg.hidden} -> {k}",
        "cell_head": (
            f"{cfg.cell_layers} self-attention blocks of width {cfg.cell_width} over the 9 tile features, no "
            "position embedding (equivariant to the input order), then a linear layer to 9 cells"
        ),
    }
    methods = ["perm", "cell"]
    solver: dict[str, Any] = {"default_method": DEFAULT_METHOD}
    if neighbours:
        outputs[NEIGHBOUR_OUTPUT] = (
            "float32 (B, 2, 9, 9): [b, 0, i, j] logit that the tile at position j continues the tile at "
            "position i to its right, [b, 1, i, j] below it"
        )
        architecture["neighbour_head"] = (
            f"4-conv CNN (width {cfg.neighbour_width}) + global average pool + MLP on the seam of two tiles "
            f"({cfg.neighbour_strip} px of each side by side; columns transposed for 'below'), for all 81 "
            "ordered pairs; its own weights, trained on whole unshuffled cells (no gaps), for the solver only"
        )
        methods.append(NEIGHBOUR_METHOD)
        solver = {"default_method": NEIGHBOUR_METHOD, "cell_weight": cell_weight}
    return {
        "name": MODEL_NAME,
        "task": "jigsaw",
        "version": f"{MODEL_NAME}-step{ck['step']}",
        "paper": PAPER,
        "inputs": {
            INPUT_NAME: (
                f"float32 (B, 9, 3, {t}, {t}): RGB tiles scaled to [0, 1], each standardised by its "
                "own mean and std over pixels and channels (models.jigsaw.normalise_tiles); "
                "row i holds the tile found at row-major position i"
            )
        },
        "outputs": outputs,
        "convention": (
            "cells and positions are row-major 0..8; permutation[i] is the original cell of the tile "
            "at position i (shuffled[i] = original[permutation[i]])"
        ),
        "architecture": architecture,
        "tile_size": t,
        "cell_size": cfg.cell,
        "tile_ratio": t / cfg.cell,
        "gap_px": list(cfg.geometry.gap_range()),
        "permutation_set": {
            "size": k,
            "seed": cfg.set_seed,
            "selection": "greedy max-min Hamming distance from the identity, ties by total distance",
            "min_hamming": min_hamming(perms) if k > 1 else None,
            "mean_hamming": float(hamming_matrix(perms).sum() / max(1, k * (k - 1))),
        },
        "permutations": perms.tolist(),
        "solver": {"methods": methods, **solver, "rounds": DEFAULT_ROUNDS,
                   "flip": flip, "tile_ratio": serve_tile_ratio or t / cfg.cell, "cell_fit": cell_fit},
        "opset": OPSET,
        "parameters": sum(p.numel() for p in model.parameters()),
        "macs_per_puzzle": count_macs(model, (1, N_TILES, 3, t, t)),
        "training": {
            "data": ["imagenette-train"],
            "validation": "imagenette-val",
            "image_size": cfg.image_size,
            "config": state["config"],
            "loop": ck.get("config"),
            "steps": ck["step"],
            **run_provenance(run_dir, ck),
        },
        "metrics": {"validation": last_validation(run_dir)},
    }


def onnx_spec(model: JigsawNet, tile: int) -> OnnxSpec:
    """Nine tiles in, the heads' logits out (the neighbour head's where the model has it); batch dynamic."""
    names = output_names(model)
    gen = torch.Generator().manual_seed(0)
    return OnnxSpec(
        input_names=(INPUT_NAME,),
        output_names=names,
        dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *names)},
        example=(torch.zeros(2, N_TILES, 3, tile, tile),),
        parity_inputs=(torch.randn(5, N_TILES, 3, tile, tile, generator=gen),),
    )


def export_run(
    run_dir: Path,
    out_dir: Path,
    metrics: Path | None = None,
    flip: bool = False,
    serve_tile_ratio: float | None = None,
    cell_fit: str = DEFAULT_CELL_FIT,
    cell_weight: float = 1.0,
) -> Exported:
    """Export a run to ``out_dir/jigsaw.onnx`` + card; raises ParityError (a RuntimeError) if parity fails."""
    model, ck = load_checkpoint(run_dir)

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(ck, run_dir, flip, serve_tile_ratio, cell_fit, cell_weight)
        card["parity_max_abs_diff"] = diff
        if metrics is not None and metrics.is_file():
            card["metrics"]["evaluation"] = json.loads(metrics.read_text())
        return card

    spec = onnx_spec(model, config_from_state(ck["task"]).tile)
    return export_with_card(model, out_dir / f"{MODEL_NAME}.onnx", spec, card_for)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, default=Path("runs/jigsaw"), help="training run folder")
    p.add_argument("--out-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument(
        "--metrics", type=Path, default=None, help="report.json of `pretext evaluate jigsaw`, put in the card's metrics"
    )
    p.add_argument("--solver-flip", action="store_true",
                   help="serve the cell solver averaged with the mirrored puzzle (choose on imagenette-val)")
    p.add_argument("--serve-tile-ratio", type=float, default=None,
                   help="share of each cell cut into a tile at serving, in (0, 1]; default: training's tile/cell")
    p.add_argument("--serve-cell-fit", choices=CELL_FITS, default=DEFAULT_CELL_FIT,
                   help="non-square cells at serving: cut their centred square, or stretch them to a square tile "
                        "(choose on the 3:2 crops of `pretext evaluate jigsaw`)")
    p.add_argument("--serve-cell-weight", type=float, default=1.0,
                   help="neighbours method: weight of the cell head beside the seams (choose on imagenette-val)")


def run(args: argparse.Namespace) -> int:
    out_dir = args.out_dir or models_dir()
    try:
        if args.serve_tile_ratio is not None and not 0 < args.serve_tile_ratio <= 1:
            raise RuntimeError(f"--serve-tile-ratio must be in (0, 1], got {args.serve_tile_ratio}")
        exported = export_run(
            args.run, out_dir, args.metrics, args.solver_flip, args.serve_tile_ratio, args.serve_cell_fit,
            args.serve_cell_weight,
        )
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(exported.summary()))
    return 0
