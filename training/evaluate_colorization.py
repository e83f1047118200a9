"""``pretext evaluate colorization``: the colorization paper's measures, on the shipped ONNX files.

Every method runs through the serving pipeline (models/), so the figures are what users get.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from core.errors import PretextError
from models.cards import serving_sides
from models.color import rgb8_to_lab
from models.colorization import decode_output, gray_rgb8, recolour
from models.colorization_model import ColorizationModel
from models.imageio import load_image
from training.cli_types import sides
from training.datasets import ZipSplit, photo_paths
from training.metrics import Tally, colorfulness

TEMPERATURES = {"classification T=1 (mean)": 1.0, "classification T=0.38 (annealed mean)": 0.38,
                "classification T=0 (mode)": 0.0}


def images_of(name: str, count: int | None):
    """Yield (label, rgb8) for a dataset name: "imagenette-val" or "photos"."""
    if name == "photos":
        paths = photo_paths()
        for p in paths[:count] if count else paths:
            yield str(p.relative_to(p.parents[1])), load_image(p)
    else:
        split = ZipSplit(name)
        n = len(split) if not count else min(count, len(split))
        for i in range(n):
            yield split.records[i].member, split.rgb(i)


def evaluate_dataset(name: str, count: int | None, cls: ColorizationModel, reg: ColorizationModel | None,
                     grid_rows: list[list[np.ndarray]], grid_n: int) -> dict:
    temperatures = dict(TEMPERATURES)
    default_t = cls.spec.default_temperature
    if default_t not in temperatures.values():
        temperatures[f"classification T={default_t:g} (shipped default)"] = default_t
    methods = ["all-gray baseline"] + (["regression (smooth L1)"] if reg else []) + list(temperatures)
    tallies = {m: Tally() for m in methods}
    truth = Tally()
    t0, n = time.time(), 0
    for _, rgb in images_of(name, count):
        gt_lab = rgb8_to_lab(rgb)
        outs = {"all-gray baseline": gray_rgb8(rgb)}
        if reg:
            outs["regression (smooth L1)"] = reg.colorize(rgb).rgb8
        logits = cls.network_output(rgb)
        for m, t in temperatures.items():
            outs[m] = recolour(rgb, decode_output(logits, cls.spec, t))
        for m in methods:
            tallies[m].add(outs[m], rgb, gt_lab)
        truth.colourfulness.append(colorfulness(rgb))
        if len(grid_rows) < grid_n and n % 7 == 0:
            grid_rows.append([outs[m] for m in methods] + [rgb])
        n += 1
        if n % 50 == 0:
            print(f"{name}: {n} images, {time.time() - t0:.0f} s", file=sys.stderr)
    gt_c = float(np.mean(truth.colourfulness))
    return {
        "images": n,
        "ground_truth_colorfulness": round(gt_c, 2),
        "methods": {m: tallies[m].summary(cls.spec.centres, gt_c) for m in methods},
    }


def served_label(report: dict) -> str:
    """'192', or '192+256' for an ensemble of scales (reports written before it hold one side)."""
    return "+".join(map(str, serving_sides(report)))


def markdown(report: dict) -> str:
    lines = ["# Colorization evaluation", "",
             f"Models: `{report['classification_version']}` (classification), "
             f"`{report.get('regression_version')}` (regression); serving short side "
             f"{served_label(report)} px. Command: `{report['command']}`", ""]
    for ds, res in report["datasets"].items():
        lines += [f"## {ds} ({res['images']} images; ground-truth colourfulness "
                  f"{res['ground_truth_colorfulness']})", "",
                  "| method | AuC raw | AuC rebalanced | PSNR dB | colourfulness | vs truth "
                  "| mean abs L change |",
                  "|---|---|---|---|---|---|---|"]
        for m, r in res["methods"].items():
            lines.append(f"| {m} | {r['auc_raw']} | {r['auc_rebalanced']} | {r['psnr_db']} | "
                         f"{r['colorfulness']} | {r['colorfulness_vs_truth']} | {r['mean_abs_l_change']} |")
        lines.append("")
    lines += ["AuC: area under the cumulative distribution of per-pixel ab error over thresholds 0..150 "
              "(x100); rebalanced weights every ground-truth colour bin equally. Colourfulness: Hasler and "
              "Suesstrunk 2003. L change: mean |L(output) - L(input)|, which only rounding to 8 bits moves "
              "(colours outside sRGB lose chroma, not lightness).", ""]
    return "\n".join(lines)


def save_grid(rows: list[list[np.ndarray]], labels: list[str], path: Path, cell: int = 160) -> None:
    from PIL import Image, ImageDraw

    if not rows:
        return
    cols = len(rows[0])
    canvas = Image.new("RGB", (cols * cell, len(rows) * cell + 30), "white")
    draw = ImageDraw.Draw(canvas)
    for c, label in enumerate(labels):
        draw.text((c * cell + 4, 4), label[:26], fill="black")
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            im = Image.fromarray(img)
            im.thumbnail((cell - 4, cell - 4))
            canvas.paste(im, (c * cell + 2, 30 + r * cell + 2))
    canvas.save(path)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="colorization")
    p.add_argument("--regression", default="colorization-regression", help="'' to skip")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--datasets", default="imagenette-val,photos")
    p.add_argument("--val-images", type=int, default=1000, help="imagenette-val images (0 = all)")
    p.add_argument("--serve-short-side", type=sides, default=None, help="override the card's, e.g. 192 or 192,256")
    p.add_argument("--out", type=Path, default=Path("reports/colorization"))
    p.add_argument("--grid-rows", type=int, default=6)


def run(args: argparse.Namespace) -> int:
    try:
        cls = ColorizationModel(args.model, device="cpu", root=args.models_dir)
        reg = ColorizationModel(args.regression, device="cpu", root=args.models_dir) if args.regression else None
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.serve_short_side:
        for c in (cls, reg):
            if c:
                object.__setattr__(c.spec, "serve_short_side", args.serve_short_side[0])
                object.__setattr__(c.spec, "extra_short_sides", tuple(args.serve_short_side[1:]))
    report = {
        "command": " ".join(["pretext", *sys.argv[1:]]),
        "classification_version": cls.card.version,
        "regression_version": reg.card.version if reg else None,
        "serve_short_side": cls.spec.serve_short_side,
        "serve_short_sides": [cls.spec.serve_short_side, *cls.spec.extra_short_sides],
        "datasets": {},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    labels = ["gray"] + (["regression"] if reg else []) + ["T=1", "T=0.38", "T=0"]
    if cls.spec.default_temperature not in TEMPERATURES.values():
        labels.append(f"T={cls.spec.default_temperature:g} (default)")
    labels.append("truth")
    for name in args.datasets.split(","):
        rows: list[list[np.ndarray]] = []
        count = args.val_images if name != "photos" else None
        report["datasets"][name] = evaluate_dataset(name, count or None, cls, reg, rows, args.grid_rows)
        save_grid(rows, labels, args.out / f"examples-{name}.png")
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0
