"""``pretext export features``: the features card (models/weights/features.json) over the exported models.

It lists every model the features page compares whose ONNX file is in the models folder, each with its
file's sha256, its input kind (``models.features.INPUTS``) and the block whose features are compared: the
best block of its row in the transfer table (``pretext evaluate transfer``), which also goes into the
card for the page. No torch: it reads JSON and hashes files.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from models.cards import models_dir, parse_card, sha256_of
from models.features import GRID, SIZE

# (name, label) in the page's order: the two references around the pretext models.
MODELS = (
    ("random", "Random init"),
    ("colorization", "Colorization"),
    ("jigsaw", "Jigsaw"),
    ("rotation", "Rotation"),
    ("context", "Context"),
    ("inpainting", "Inpainting"),
    ("supervised", "Supervised"),
)
# Each model's input kind where it is fixed; context's depends on its card (project_colour).
INPUTS = {"random": "rgb", "colorization": "l", "jigsaw": "tile", "rotation": "rgb", "inpainting": "masked",
          "supervised": "rgb"}
TABLE_NAMES = {"random": "random init"}  # the transfer table's row names, where they differ
DEFAULT_BLOCK = 2  # for a model the transfer table has no row of
SPLIT = "imagenette-val"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transfer", type=Path, default=Path("reports/transfer/transfer.json"),
                   help="the transfer table; each model's best block is taken from it")
    p.add_argument("--weights", type=Path, default=None,
                   help="the models folder, where the card is written too (default: the settings' models_dir)")


def context_input(card_path: Path) -> str:
    """The context model's input kind: "context" (green-magenta axis removed) when its card says it trained
    with colour projection (the default), else "tile"."""
    data = json.loads(card_path.read_text()) if card_path.is_file() else {}
    defences = data.get("training", {}).get("defences", {})
    return "context" if data.get("project_colour", defences.get("project_colour", True)) else "tile"


def transfer_rows(report: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The transfer table's rows by model name, each with its per-block top-1 and its best block."""
    rows = {}
    for row in (report or {}).get("rows", []):
        top1 = [float(b["top1"]) for b in row["blocks"]]
        best = max(range(len(top1)), key=top1.__getitem__)
        rows[row["model"]] = {"model": row["model"], "input": row.get("input"), "top1": top1,
                              "best_block": best + 1, "best_top1": top1[best]}
    return rows


def build_card(weights: Path, report: dict[str, Any] | None, source: str = "",
               blocks: dict[str, int] | None = None) -> dict[str, Any]:
    """The features card over the models in ``weights`` (ValueError when there are none); ``blocks`` picks a
    model's block instead of the table."""
    table = transfer_rows(report)
    models = []
    for name, label in MODELS:
        onnx = weights / f"{name}.onnx"
        if not onnx.is_file():
            continue
        row = table.get(TABLE_NAMES.get(name, name))
        chosen = (blocks or {}).get(name)
        block = chosen or (row["best_block"] if row else DEFAULT_BLOCK)
        models.append({"name": name, "label": label, "file": onnx.name, "sha256": sha256_of(onnx),
                       "input": INPUTS.get(name) or context_input(onnx.with_suffix(".json")), "block": block,
                       "grid": GRID,
                       "block_from": "chosen" if chosen else "transfer" if row else "default",
                       "top1": row["top1"][block - 1] if row and block <= len(row["top1"]) else None})
    if not models:
        raise ValueError(f"no model to compare in {weights}: export some first")
    names = {TABLE_NAMES.get(m["name"], m["name"]): m["name"] for m in models}
    digest = hashlib.sha256("".join(m["sha256"] for m in models).encode()).hexdigest()[:12]
    return {
        "name": "features",
        "task": "features",
        "version": f"features-{digest}",
        "paper": "nearest neighbours and first-layer filters of every model's trunk",
        # The card's own file is its first model's: /api/v1/models and the API's checks see it installed
        # while any of its models is; the serving class checks each.
        "file": models[0]["file"],
        "sha256": models[0]["sha256"],
        "inputs": {"image": f"a photo: centre square at {SIZE} px, as the index photos"},
        "outputs": {"neighbours": f"per model the nearest {SPLIT} photos by cosine similarity of the chosen "
                                  f"block's maps average-pooled to {GRID}x{GRID}"},
        "size": SIZE,
        "grid": GRID,
        "split": SPLIT,
        "models": models,
        "transfer": {
            "source": source,
            **{k: report[k] for k in ("size", "grid", "train_images", "val_images") if report and k in report},
            "rows": [{**row, "name": names.get(row["model"])} for row in table.values()],
        },
    }


def write_features_card(weights: Path, report: dict[str, Any] | None, source: str = "",
                        blocks: dict[str, int] | None = None) -> Path:
    """Validate the card and write it to ``weights/features.json``."""
    card = build_card(weights, report, source, blocks)
    parse_card(card, "the features card")
    path = weights / "features.json"
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def run(args: argparse.Namespace) -> int:
    weights = args.weights or models_dir()
    report = json.loads(args.transfer.read_text()) if args.transfer.is_file() else None
    if report is None:
        print(f"no transfer table at {args.transfer}: every model at block {DEFAULT_BLOCK}", file=sys.stderr)
    try:
        path = write_features_card(weights, report, str(args.transfer) if report else "")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    card = json.loads(path.read_text())
    print(json.dumps({"card": str(path), "models": {m["name"]: f"block {m['block']} ({m['block_from']}), "
                                                              f"{m['input']}" for m in card["models"]}}))
    return 0
