"""``pretext evaluate transfer``: what each pretext task teaches, as linear top-1 on imagenette.

One trunk architecture (``training.nets.Trunk``) throughout. For each row, the trunk is frozen,
every block's maps are pooled to a grid and a linear classifier is fitted on imagenette-train
labels and tested on imagenette-val (``training.linear_probe``). Rows: random initialisation, the
colorization network (on L), the jigsaw tile encoder, the rotation network (the three from their
shipped ONNX files), the context encoder's encoder (the inpainting model's own architecture, not the
trunk: ``ContextEncoderTrunk``) and the trunk trained supervised on the same labels (the upper bound).
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from models.cards import models_dir
from models.rotation import IMAGE_MEAN, IMAGE_STD
from training.datasets import ZipSplit
from training.linear_probe import block_features, linear_probe
from training.nets import Trunk
from training.trunk_from_onnx import load_trunk


@dataclass(frozen=True)
class Row:
    name: str
    source: str
    input_kind: str  # a key of training.linear_probe.INPUTS
    load: Callable[[], nn.Module]  # a Trunk, or a network with its blocks and forward_blocks


def random_trunk(seed: int = 0) -> Trunk:
    torch.manual_seed(seed)
    return Trunk(3).eval()


class ContextEncoderTrunk(nn.Module):
    """The inpainting model's encoder blocks (``ContextEncoder.features``) behind the trunk's interface.

    It takes the "rgb" input (ImageNet-standardised, as ``training.linear_probe`` prepares it), undoes the
    standardisation to the network's RGB in [0, 1] and adds its mask channel, all zeros: the whole photo
    visible, no hole.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.blocks = net.encoder
        self.register_buffer("mean", torch.from_numpy(IMAGE_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.from_numpy(IMAGE_STD).view(1, 3, 1, 1))

    def forward_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        rgb = x * self.std + self.mean
        return self.net.features(torch.cat([rgb, torch.zeros_like(rgb[:, :1])], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_blocks(x)[-1]


def inpainting_trunk(path: Path) -> ContextEncoderTrunk:
    """The exported context encoder's encoder: widths and side read from its ONNX weights (the first four
    convs are the encoder's; the channel-wise FC holds (side / 16)^2 weights per map), the torch network
    warm-started from the file, which reproduces the exported function exactly in eval mode."""
    from training.inpainting import ContextEncoder
    from training.warm_start import onnx_layer_weights, warm_start

    layers = onnx_layer_weights(path)
    widths = tuple(int(w.shape[0]) for w, _ in layers[:4])
    side = 16 * round(float(np.sqrt(layers[4][0].shape[1])))
    net = ContextEncoder(widths, side)
    gen = torch.Generator().manual_seed(0)
    sample = torch.cat([torch.rand(2, 3, side, side, generator=gen), torch.zeros(2, 1, side, side)], dim=1)
    warm_start(net, path, sample)
    return ContextEncoderTrunk(net.eval()).eval()


def supervised_trunk(run_dir: Path) -> Trunk:
    from training.supervised import SupervisedNet

    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    net = SupervisedNet()
    net.load_state_dict(ck["model"])
    return net.trunk.eval()


def rows_for(weights: Path, supervised_run: Path) -> tuple[list[Row], list[str]]:
    """The table's rows whose weights exist, and a note for each that is missing."""
    rows = [Row("random init", "Trunk(3), seed 0, no training", "rgb", random_trunk)]
    missing = []
    for name, kind in (("colorization", "l"), ("jigsaw", "tile"), ("rotation", "rgb")):
        path = weights / f"{name}.onnx"
        if path.is_file():
            rows.append(Row(name, str(path), kind, lambda p=path: load_trunk(p)))
        else:
            missing.append(f"{name}: no {path}")
    path = weights / "inpainting.onnx"  # the L2 context encoder: RGB and a hole mask, here all visible
    if path.is_file():
        rows.append(Row("inpainting", str(path), "rgb", lambda p=path: inpainting_trunk(p)))
    else:
        missing.append(f"inpainting: no {path}")
    if (supervised_run / "checkpoint.pt").is_file():
        rows.append(Row("supervised", str(supervised_run / "checkpoint.pt"), "rgb",
                        lambda: supervised_trunk(supervised_run)))
    else:
        missing.append(f"supervised: no {supervised_run / 'checkpoint.pt'} (run `pretext train supervised`)")
    return rows, missing


def evaluate(rows: list[Row], size: int, grid: int, train_images: int | None, val_images: int | None,
             iters: int) -> dict[str, Any]:
    """The table's rows with the number of train and val photos they were fitted and tested on."""
    train, val = ZipSplit("imagenette-train"), ZipSplit("imagenette-val")
    xtr, xte = train.cached(size, train_images), val.cached(size, val_images)
    ytr, yte = train.labels[: len(xtr)], val.labels[: len(xte)]
    out = []
    for row in rows:
        t0 = time.time()
        trunk = row.load()
        ftr = block_features(trunk, xtr, row.input_kind, grid)
        fte = block_features(trunk, xte, row.input_kind, grid)
        blocks = []
        for b, (a, c) in enumerate(zip(ftr, fte, strict=True), start=1):
            res = linear_probe(a, ytr, c, yte, iters=iters)
            blocks.append({"block": b, "dims": int(a.shape[1]), "top1": res.top1, "train_top1": res.train_top1,
                           "weight_decay": res.weight_decay})
        out.append({"model": row.name, "source": row.source, "input": row.input_kind, "blocks": blocks,
                    "best_top1": max(b["top1"] for b in blocks), "seconds": round(time.time() - t0, 1)})
        print(f"{row.name}: " + ", ".join(f"block {b['block']} {100 * b['top1']:.1f}" for b in blocks),
              file=sys.stderr)
    return {"train_images": len(xtr), "val_images": len(xte), "rows": out}


def markdown(report: dict[str, Any]) -> str:
    rows = report["rows"]
    n_blocks = max(len(r["blocks"]) for r in rows)
    head = "| model | input | " + " | ".join(f"block {i}" for i in range(1, n_blocks + 1)) + " | best |"
    lines = [
        "# Transfer: linear classifiers on frozen features",
        "",
        f"imagenette-train ({report['train_images']} photos) labels, tested on imagenette-val "
        f"({report['val_images']} photos), {report['size']} px whole photos; each block's maps average-pooled to "
        f"{report['grid']}x{report['grid']}, standardised, multinomial logistic regression (L-BFGS, L2 weight "
        "chosen on a held-out fifth of train). Top-1 in %, chance 10%.",
        "",
        head,
        "|" + "---|" * (n_blocks + 3),
    ]
    for r in rows:
        cells = " | ".join(f"{100 * b['top1']:.1f}" for b in r["blocks"])
        lines.append(f"| {r['model']} | {r['input']} | {cells} | {100 * r['best_top1']:.1f} |")
    random = next((r for r in rows if r["model"] == "random init"), None)
    if random:
        lines += ["", "Best block minus random initialisation's best block, in points:", ""]
        for r in rows:
            if r is not random:
                lines.append(f"- {r['model']}: {100 * (r['best_top1'] - random['best_top1']):+.1f}")
    if report["missing"]:
        lines += ["", "Rows left out: " + "; ".join(report["missing"])]
    lines += ["", f"Command: `{report['command']}`", ""]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for r in report["rows"]:
        ax.plot([b["block"] for b in r["blocks"]], [100 * b["top1"] for b in r["blocks"]], marker="o",
                label=r["model"])
    ax.axhline(10, color="gray", lw=0.8, ls=":", label="chance")
    ax.set(xlabel="trunk block", ylabel="linear top-1 on imagenette-val (%)", title="Frozen-feature transfer")
    ax.set_xticks(range(1, max(len(r["blocks"]) for r in report["rows"]) + 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, default=None, help="folder of the exported models (default: settings)")
    p.add_argument("--supervised-run", type=Path, default=Path("runs/supervised"))
    p.add_argument("--size", type=int, default=64, help="photo side fed to every trunk")
    p.add_argument("--grid", type=int, default=4, help="pooling grid per block")
    p.add_argument("--train-images", type=int, default=None, help="first N of imagenette-train (default all)")
    p.add_argument("--val-images", type=int, default=None, help="first N of imagenette-val (default all)")
    p.add_argument("--iters", type=int, default=150, help="L-BFGS iterations per fit")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("reports/transfer"))


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    rows, missing = rows_for(args.weights or models_dir(), args.supervised_run)
    report = {
        "size": args.size,
        "grid": args.grid,
        **evaluate(rows, args.size, args.grid, args.train_images, args.val_images, args.iters),
        "missing": missing,
        "command": " ".join(["pretext", *sys.argv[1:]]),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "transfer.json").write_text(json.dumps(report, indent=2))
    (args.out / "transfer.md").write_text(markdown(report))
    plot(report, args.out / "transfer.png")
    print(markdown(report))
    return 0
