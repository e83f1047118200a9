"""``pretext evaluate transfer``: what each pretext task teaches, as linear top-1 on imagenette.

One trunk architecture (``training.nets.Trunk``) throughout. For each row, the trunk is frozen,
every block's maps are pooled to a grid and a linear classifier is fitted on imagenette-train
labels and tested on imagenette-val (``training.linear_probe``). Rows: random initialisation, the
colorization network (on L), the jigsaw tile encoder, the rotation network (the three from their
shipped ONNX files), the context encoder's encoder (the inpainting model's own architecture, not the
trunk: ``ContextEncoderTrunk``), the context-prediction patch encoder and the trunk trained supervised on
the same labels (the upper bound).

A full table takes minutes per row on two cores: ``--only NAME...`` measures just those rows and merges
them into the existing ``transfer.json``, each row keeping the command that measured it.
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

# Every row the table can hold, in the table's order.
ROW_NAMES = ("random init", "colorization", "jigsaw", "rotation", "inpainting", "context", "supervised")
SETTINGS = ("size", "grid", "train_images", "val_images", "iters")  # rows measured otherwise are not comparable


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


def context_input(project_colour: bool) -> str:
    """The input kind (``training.linear_probe``) of a context-prediction trunk: projected colour or not."""
    return "context" if project_colour else "tile"


def card_projects_colour(onnx: Path) -> bool:
    """Whether the context model's card says it trained with the green-magenta axis removed (default: yes)."""
    card = onnx.with_suffix(".json")
    data = json.loads(card.read_text()) if card.is_file() else {}
    return bool(data.get("project_colour", data.get("training", {}).get("defences", {}).get("project_colour", True)))


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
    path = weights / "context.onnx"  # the patch encoder's trunk, module path encoder.trunk.blocks.N
    if path.is_file():
        rows.append(Row("context", str(path), context_input(card_projects_colour(path)), lambda p=path: load_trunk(p)))
    else:
        missing.append(f"context: no {path}")
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
        out.append({"model": row.name, "source": row.source, "input": row.input_kind,
                    **probe_blocks(trunk, row.input_kind, (xtr, ytr), (xte, yte), grid, iters),
                    "seconds": round(time.time() - t0, 1)})
        print(f"{row.name}: " + ", ".join(f"block {b['block']} {100 * b['top1']:.1f}" for b in out[-1]["blocks"])
              + f" ({out[-1]['seconds']:.0f} s)", file=sys.stderr)
    return {"train_images": len(xtr), "val_images": len(xte), "rows": out}


def probe_blocks(trunk: nn.Module, kind: str, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                 grid: int, iters: int) -> dict[str, Any]:
    """A linear probe on every block of a frozen trunk: per block top-1, and the best block's."""
    ftr = block_features(trunk, train[0], kind, grid)
    fte = block_features(trunk, test[0], kind, grid)
    blocks = []
    for b, (a, c) in enumerate(zip(ftr, fte, strict=True), start=1):
        res = linear_probe(a, train[1], c, test[1], iters=iters)
        blocks.append({"block": b, "dims": int(a.shape[1]), "top1": res.top1, "train_top1": res.train_top1,
                       "weight_decay": res.weight_decay})
    return {"blocks": blocks, "best_top1": max(b["top1"] for b in blocks)}


def supervised_share(best: float, random_best: float, supervised_best: float) -> float | None:
    """(best - random) / (supervised - random): how much of what the labels add a row recovers."""
    gain = supervised_best - random_best
    return None if abs(gain) < 1e-12 else (best - random_best) / gain


def with_shares(report: dict[str, Any]) -> dict[str, Any]:
    """Every row with its ``share_of_supervised_gain`` (None without both the random and the supervised row)."""
    best = {r["model"]: r["best_top1"] for r in report["rows"]}
    for r in report["rows"]:
        r["share_of_supervised_gain"] = (
            supervised_share(r["best_top1"], best["random init"], best["supervised"])
            if "random init" in best and "supervised" in best else None)
    return report


def row_name(note: str) -> str:
    """The row a 'missing' note is about ("jigsaw: no ..." -> "jigsaw")."""
    return note.split(":", 1)[0]


class ReportMismatchError(ValueError):
    """Rows measured with other photos or settings than the report they would be merged into."""


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` with ``new``'s rows in place of its rows of the same name, in the table's order; the settings
    must agree. Rows of ``old`` written before rows had their own command keep ``old``'s command."""
    for key in SETTINGS:
        if key in old and key in new and old[key] != new[key]:
            raise ReportMismatchError(f"{key} is {new[key]} here but {old[key]} in the report's other rows; "
                                      "run them all again or pass the same options")
    kept = [{**r, "command": r.get("command", old.get("command"))} for r in old["rows"]]
    rows = {r["model"]: r for r in kept} | {r["model"]: r for r in new["rows"]}
    order = [n for n in ROW_NAMES if n in rows] + [n for n in rows if n not in ROW_NAMES]
    missing = {row_name(m): m for m in old.get("missing", [])} | {row_name(m): m for m in new["missing"]}
    return {**old, **new, "rows": [rows[n] for n in order],
            "missing": [m for name, m in missing.items() if name not in rows]}


def neighbour_rows(data: Any) -> list[dict[str, Any]]:
    """(model, block, precision) rows of a neighbours.json, whatever its exact layout; [] when none read.
    Models are named as in this table (``pretext evaluate features`` writes its name as ``table_name``)."""
    if isinstance(data, dict):
        data = data.get("rows") or data.get("models") or [{"model": k, **v} for k, v in data.items()
                                                           if isinstance(v, dict)]
    out = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or "model" not in item:
            continue
        value = next((item[k] for k in ("precision_at_k", "precision_at_8", "precision@8", "p_at_8", "precision")
                      if k in item), None)
        if isinstance(value, int | float):
            out.append({"model": str(item.get("table_name") or item["model"]), "block": item.get("block"),
                        "precision": float(value)})
    return out


def read_neighbours(path: Path) -> dict[str, Any] | None:
    """The nearest-neighbour figures beside the table (``pretext evaluate features`` writes them), or None
    without the file."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        data = None
    k = data.get("k", 8) if isinstance(data, dict) else 8
    chance = data.get("chance") if isinstance(data, dict) else None
    return {"source": str(path), "k": k, "chance": chance, "rows": neighbour_rows(data)}


def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def neighbours_markdown(neighbours: dict[str, Any]) -> list[str]:
    k = neighbours.get("k", 8)
    lines = ["", f"## Nearest neighbours: precision@{k}", ""]
    if not neighbours["rows"]:
        return [*lines, f"`{neighbours['source']}` is there but holds no (model, precision) rows this table reads."]
    chance = neighbours.get("chance")
    lines += [f"From `{neighbours['source']}` (`pretext evaluate features`): of each val photo's {k} nearest "
              "neighbours, the share of its own class, in %, no fitting"
              + (f"; chance {100 * chance:.1f}%." if isinstance(chance, int | float) else "."), "",
              f"| model | block | precision@{k} |", "|---|---|---|"]
    for r in neighbours["rows"]:
        p = r["precision"]
        lines.append(f"| {r['model']} | {r['block'] if r['block'] is not None else '-'} | "
                     f"{100 * p if p <= 1 else p:.1f} |")
    return lines


def commands_markdown(rows: list[dict[str, Any]], fallback: str) -> list[str]:
    """One line per command that measured rows, naming its rows."""
    by_command: dict[str, list[str]] = {}
    for r in rows:
        by_command.setdefault(r.get("command") or fallback, []).append(r["model"])
    if len(by_command) == 1:
        return [f"Command: `{next(iter(by_command))}`"]
    return ["Commands:", ""] + [f"- {', '.join(names)}: `{cmd}`" for cmd, names in by_command.items()]


def markdown(report: dict[str, Any]) -> str:
    rows = report["rows"]
    n_blocks = max(len(r["blocks"]) for r in rows)
    head = ("| model | input | " + " | ".join(f"block {i}" for i in range(1, n_blocks + 1))
            + " | best | share of supervised gain |")
    lines = [
        "# Transfer: linear classifiers on frozen features",
        "",
        f"imagenette-train ({report['train_images']} photos) labels, tested on imagenette-val "
        f"({report['val_images']} photos), {report['size']} px whole photos; each block's maps average-pooled to "
        f"{report['grid']}x{report['grid']}, standardised, multinomial logistic regression (L-BFGS, L2 weight "
        "chosen on a held-out fifth of train). Top-1 in %, chance 10%. Share of supervised gain: (best - random "
        "init's best) / (supervised's best - random init's best).",
        "",
        head,
        "|" + "---|" * (n_blocks + 4),
    ]
    for r in rows:
        cells = " | ".join(f"{100 * b['top1']:.1f}" for b in r["blocks"])
        share = r.get("share_of_supervised_gain")
        lines.append(f"| {r['model']} | {r['input']} | {cells} | {100 * r['best_top1']:.1f} | "
                     f"{'n/a' if share is None else f'{share:.2f}'} |")
    random = next((r for r in rows if r["model"] == "random init"), None)
    if random:
        lines += ["", "Best block minus random initialisation's best block, in points:", ""]
        for r in rows:
            if r is not random:
                lines.append(f"- {r['model']}: {100 * (r['best_top1'] - random['best_top1']):+.1f}")
    if report.get("neighbours"):
        lines += neighbours_markdown(report["neighbours"])
    if report["missing"]:
        lines += ["", "Rows left out: " + "; ".join(report["missing"])]
    lines += ["", *commands_markdown(rows, report["command"]), ""]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, r in enumerate(report["rows"]):  # a marker per row as well as a colour, so that no two look alike
        ax.plot([b["block"] for b in r["blocks"]], [100 * b["top1"] for b in r["blocks"]], marker="osD^vP*X"[i % 8],
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
    p.add_argument("--only", nargs="+", choices=ROW_NAMES, metavar="NAME", default=None,
                   help=f"measure only these rows ({', '.join(ROW_NAMES)}) and merge them into OUT/transfer.json, "
                        "keeping its other rows")
    p.add_argument("--render-only", action="store_true",
                   help="measure nothing: rewrite transfer.md and .png from OUT/transfer.json (and neighbours.json)")
    p.add_argument("--out", type=Path, default=Path("reports/transfer"))


def write(report: dict[str, Any], out: Path) -> None:
    """transfer.json, .md and .png in ``out``, with the shares and the nearest-neighbour figures beside them."""
    report["neighbours"] = read_neighbours(out / "neighbours.json")
    with_shares(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transfer.json").write_text(json.dumps(report, indent=2))
    (out / "transfer.md").write_text(markdown(report))
    plot(report, out / "transfer.png")
    print(markdown(report))


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    existing = args.out / "transfer.json"
    if args.render_only:
        if not existing.is_file():
            print(f"error: no {existing} to render", file=sys.stderr)
            return 2
        write(json.loads(existing.read_text()), args.out)
        return 0
    rows, missing = rows_for(args.weights or models_dir(), args.supervised_run)
    command = " ".join(["pretext", *sys.argv[1:]])
    if args.only:
        absent = [m for m in missing if row_name(m) in args.only]
        if absent:
            print("error: " + "; ".join(absent), file=sys.stderr)
            return 2
        rows = [r for r in rows if r.name in args.only]
        missing = [m for m in missing if row_name(m) in args.only]
    report = {
        "size": args.size,
        "grid": args.grid,
        "iters": args.iters,
        **evaluate(rows, args.size, args.grid, args.train_images, args.val_images, args.iters),
        "missing": missing,
        "command": command,
    }
    for r in report["rows"]:
        r["command"] = command
    if args.only and existing.is_file():
        try:
            report = merged(json.loads(existing.read_text()), report)
        except ReportMismatchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    write(report, args.out)
    return 0
