"""``pretext evaluate features``: how often a photo's nearest neighbours share its class, under each model.

For every model of the features card, every imagenette-val photo is a query against all the others
(leave-one-out): precision@k is the share of its k nearest neighbours (cosine similarity of the card's
block, pooled to 4x4, exactly as the features page finds them: ``models.features_model``, the same index)
with the query's class, averaged over all queries. Chance is the class frequency (about 10%). No labels
are used to build the features, so this is what each pretext task's features know of the classes without
any fitting, beside the transfer table's linear probes. Writes neighbours.json and neighbours.md.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.cards import models_dir
from models.features import chance_precision, neighbour_agreement
from models.features_model import FeaturesModel
from models.imagenette import class_name
from training.export_features import TABLE_NAMES

K = 8


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, default=None, help="folder of the features card (default: settings)")
    p.add_argument("--k", type=int, default=K, help="neighbours per query")
    p.add_argument("--limit", type=int, default=0, help="only the first N photos of imagenette-val (0: all)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per ONNX session (0: onnxruntime's)")
    p.add_argument("--out", type=Path, default=Path("reports/transfer"))


def per_class(agreement: np.ndarray, labels: np.ndarray, wnids: dict[int, str]) -> dict[str, float]:
    """The mean agreement of the queries of each class, by class name."""
    return {class_name(wnids[int(c)]): float(agreement[labels == c].mean()) for c in np.unique(labels)}


def evaluate(model: FeaturesModel, k: int) -> dict[str, Any]:
    """Every model's precision@k over the index photos, and chance."""
    photos = model.photos
    labels = np.asarray(photos.labels)
    wnids = {int(label): w for label, w in zip(labels, photos.wnids, strict=True)}
    rows = []
    for name in model.names:
        t0 = time.time()
        source = model.card.source(name)
        vectors = model.vectors(name)
        agreement = neighbour_agreement(vectors, labels, k)
        row = {"model": name, "label": source.label, "table_name": TABLE_NAMES.get(name, name),
               "input": source.input, "block": source.block, "grid": source.grid, "dims": int(vectors.shape[1]),
               "precision_at_k": float(agreement.mean()), "per_class": per_class(agreement, labels, wnids),
               "seconds": round(time.time() - t0, 1)}
        rows.append(row)
        print(f"{name} (block {source.block}): precision@{k} {100 * row['precision_at_k']:.1f}%", file=sys.stderr)
    return {"k": k, "split": photos.split, "photos": len(photos), "size": model.card.size, "grid": model.card.grid,
            "chance": chance_precision(labels), "card": model.card.version, "rows": rows}


def markdown(report: dict[str, Any]) -> str:
    k = report["k"]
    lines = [
        f"# Nearest neighbours: precision@{k} on {report['split']}",
        "",
        f"Every one of the {report['photos']} {report['split']} photos ({report['size']} px, centre square) is a "
        f"query against all the others (leave-one-out); precision@{k} is the share of its {k} nearest neighbours "
        f"(cosine similarity of the block's maps average-pooled to {report['grid']}x{report['grid']}, the features "
        "page's own search) with the query's class, averaged over all queries. No fitting: what the features "
        f"know of the classes as they are. Chance (class frequency): {100 * report['chance']:.1f}%.",
        "",
        f"| model | input | block | precision@{k} |",
        "|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(f"| {r['label']} | {r['input']} | {r['block']} | {100 * r['precision_at_k']:.1f} |")
    lines += ["", f"Features card: {report['card']}. Command: `{report['command']}`", ""]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    model = FeaturesModel(device=args.device, root=args.weights or models_dir(), threads=args.threads,
                          index_limit=args.limit)
    report = {**evaluate(model, args.k), "command": " ".join(["pretext", *sys.argv[1:]])}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "neighbours.json").write_text(json.dumps(report, indent=2))
    (args.out / "neighbours.md").write_text(markdown(report))
    print(markdown(report))
    return 0
