"""``pretext evaluate colorization``: the colorization paper's measures, on the shipped ONNX files.

Every method runs through the serving pipeline (models/), so the figures are what users get. Sources:
imagenette-val, the held-back tenth of the wider splits (``training.sources.holdout_indices``: photos
never trained on), and the test photos, also per folder. Beside the AuCs and PSNR, the hue error on
the ground truth's green and saturated pixels (``training.metrics``) shows a washed-out or beige
colorizer that the averages hide. ``--classifier-test`` adds the paper's classifier test
(``training.classifier_test``); ``--classifier-only`` runs just that, leaving the rest of the report as it is.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from core.errors import DatasetNotFoundError, PretextError
from models.cards import models_dir, serving_sides
from models.color import rgb8_to_lab
from models.colorization import apply_ab, decode_output, gray_rgb8
from models.colorization_model import ColorizationModel
from models.imageio import load_image
from training import classifier_test
from training.cli_types import sides
from training.datasets import ZipSplit, photo_paths
from training.metrics import (
    GREEN_HUE_DEG,
    GREEN_MIN_CHROMA,
    PIXEL_STRIDE,
    SATURATED_MIN_CHROMA,
    Tally,
    colorfulness,
)
from training.sources import EXTRA_SPLITS, HOLDOUT_EVERY, holdout_indices

TEMPERATURES = {"classification T=1 (mean)": 1.0, "classification T=0.38 (annealed mean)": 0.38,
                "classification T=0 (mode)": 0.0}
GRAY = "all-gray baseline"
DEFAULT_DATASETS = ",".join(["imagenette-val", *EXTRA_SPLITS, "photos"])


def images_of(name: str, count: int | None):
    """Yield (label, rgb8) for a dataset name: "photos" (label: folder/file), a wider split (its held-back
    tenth, never trained on) or another split such as "imagenette-val" (label: zip member)."""
    if name == "photos":
        paths = photo_paths()
        for p in paths[:count] if count else paths:
            yield str(p.relative_to(p.parents[1])), load_image(p)
    else:
        split = ZipSplit(name)
        idx = holdout_indices(len(split))[1] if name in EXTRA_SPLITS else np.arange(len(split))
        for i in idx[:count] if count else idx:
            yield split.records[i].member, split.rgb(int(i))


def evaluate_dataset(name: str, count: int | None, cls: ColorizationModel, reg: ColorizationModel | None,
                     grid_rows: list[list[np.ndarray]], grid_n: int) -> dict:
    temperatures = dict(TEMPERATURES)
    default_t = cls.spec.default_temperature
    if default_t not in temperatures.values():
        temperatures[f"classification T={default_t:g} (shipped default)"] = default_t
    methods = [GRAY] + (["regression (smooth L1)"] if reg else []) + list(temperatures)
    # One set of tallies per folder of the test photos (one in all for a split); the dataset's are their union.
    folders: dict[str, tuple[dict[str, Tally], list[float]]] = {}
    t0, n = time.time(), 0
    for label, rgb in images_of(name, count):
        tallies, truth = folders.setdefault(label.split("/")[0] if name == "photos" else name,
                                            ({m: Tally(hue=m != GRAY) for m in methods}, []))
        gt_lab = rgb8_to_lab(rgb)
        outs = {GRAY: gray_rgb8(rgb)}
        if reg:
            outs["regression (smooth L1)"] = reg.colorize(rgb).rgb8
        logits = cls.network_output(rgb)
        for m, t in temperatures.items():
            outs[m] = apply_ab(rgb, decode_output(logits, cls.spec, t))
        for m in methods:
            tallies[m].add(outs[m], rgb, gt_lab)
        truth.append(colorfulness(rgb))
        if len(grid_rows) < grid_n and n % 7 == 0:
            grid_rows.append([outs[m] for m in methods] + [rgb])
        n += 1
        if n % 50 == 0:
            print(f"{name}: {n} images, {time.time() - t0:.0f} s", file=sys.stderr)
    if not n:
        return {"images": 0, "ground_truth_colorfulness": None, "methods": {}}

    def summary(groups: list[tuple[dict[str, Tally], list[float]]]) -> dict:
        gt_c = float(np.mean([c for _, cs in groups for c in cs]))
        return {
            "images": sum(len(cs) for _, cs in groups),
            "ground_truth_colorfulness": round(gt_c, 2),
            "methods": {m: Tally.merged([t[m] for t, _ in groups]).summary(cls.spec.centres, gt_c)
                        for m in methods},
        }

    result = summary(list(folders.values()))
    if name == "photos":
        result["by_folder"] = {f: summary([folders[f]]) for f in sorted(folders)}
    return result


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value}"


def served_label(report: dict) -> str:
    """'192', or '192+256' for an ensemble of scales (reports written before it hold one side)."""
    return "+".join(map(str, serving_sides(report)))


def markdown(report: dict) -> str:
    lines = ["# Colorization evaluation", "",
             f"Models: `{report['classification_version']}` (classification), "
             f"`{report.get('regression_version')}` (regression); serving short side "
             f"{served_label(report)} px. Command: `{report['command']}`", ""]
    for ds, res in report["datasets"].items():
        held = ", the held-back tenth" if ds in EXTRA_SPLITS else ""
        lines += [f"## {ds} ({res['images']} images{held}; ground-truth colourfulness "
                  f"{res['ground_truth_colorfulness']})", "",
                  "| method | AuC raw | AuC rebalanced | PSNR dB | colourfulness | vs truth "
                  "| mean abs L change | hue err green ° | hue err saturated ° | chroma green | chroma saturated |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for m, r in res["methods"].items():
            lines.append(f"| {m} | {r['auc_raw']} | {r['auc_rebalanced']} | {r['psnr_db']} | "
                         f"{r['colorfulness']} | {r['colorfulness_vs_truth']} | {r['mean_abs_l_change']} | "
                         f"{fmt(r.get('hue_error_green_deg'))} | {fmt(r.get('hue_error_saturated_deg'))} | "
                         f"{fmt(r.get('chroma_ratio_green'))} | {fmt(r.get('chroma_ratio_saturated'))} |")
        lines.append("")
        if res.get("by_folder"):
            lines += [f"### {ds} by folder", "",
                      "| folder | images | method | AuC raw | AuC rebalanced | PSNR dB | hue err green ° "
                      "| hue err saturated ° |", "|---|---|---|---|---|---|---|---|"]
            for folder, f in res["by_folder"].items():
                for m, r in f["methods"].items():
                    lines.append(f"| {folder} | {f['images']} | {m} | {r['auc_raw']} | {r['auc_rebalanced']} | "
                                 f"{r['psnr_db']} | {fmt(r['hue_error_green_deg'])} | "
                                 f"{fmt(r['hue_error_saturated_deg'])} |")
            lines.append("")
    lines += ["AuC: area under the cumulative distribution of per-pixel ab error over thresholds 0..150 "
              "(x100); rebalanced weights every ground-truth colour bin equally. Colourfulness: Hasler and "
              "Suesstrunk 2003. L change: mean |L(output) - L(input)|, which only rounding to 8 bits moves "
              "(colours outside sRGB lose chroma, not lightness).",
              f"Hue error: mean |hue(output) - hue(truth)| in degrees (Lab hue angle atan2(b, a), the short way "
              f"round), on every {PIXEL_STRIDE}th pixel each way whose ground truth is green (hue "
              f"{GREEN_HUE_DEG[0]:g} to {GREEN_HUE_DEG[1]:g} degrees, chroma at least {GREEN_MIN_CHROMA:g}) or "
              f"saturated (chroma at least "
              f"{SATURATED_MIN_CHROMA:g}); n/a for gray output, which has no hue. Chroma green / saturated: mean "
              f"output chroma over mean true chroma on the same pixels (below 1: washed out, e.g. beige grass). "
              f"The wider splits' rows are their held-back tenth (index % {HOLDOUT_EVERY} == 0), never trained on.",
              ""]
    if report.get("skipped"):
        lines += ["Skipped: " + "; ".join(report["skipped"]), ""]
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
    p.add_argument("--datasets", default=DEFAULT_DATASETS,
                   help="comma-separated: imagenette-val, the wider splits (their held-back tenth), photos")
    p.add_argument("--val-images", type=int, default=1000, help="imagenette-val images (0 = all)")
    p.add_argument("--extra-images", type=int, default=0,
                   help="held-back photos of each wider split (imagenet-samples, flowers-train; 0 = all)")
    p.add_argument("--no-extra-splits", action="store_true",
                   help="leave out the wider splits (imagenette-val and the photos only)")
    p.add_argument("--photos-limit", type=int, default=None, help="first N test photos (default all)")
    p.add_argument("--serve-short-side", type=sides, default=None, help="override the card's, e.g. 192 or 192,256")
    p.add_argument("--out", type=Path, default=Path("reports/colorization"))
    p.add_argument("--grid-rows", type=int, default=6)
    test = p.add_argument_group("the classifier test (Zhang et al. 2016): a supervised classifier's top-1 on "
                                "imagenette-val in gray, colorized and true colours")
    test.add_argument("--classifier-test", action="store_true", help="run it after the evaluation")
    test.add_argument("--classifier-only", action="store_true",
                      help="run only it: classifier_test.{json,md} in --out, and a section of the report there")
    test.add_argument("--classifier-images", type=int, default=0, help="first N imagenette-val photos (0 = all)")
    test.add_argument("--supervised-onnx", type=Path, default=None,
                      help="the classifier as an ONNX export (default: supervised.onnx in the models folder, "
                           "else --supervised-run)")
    test.add_argument("--supervised-run", type=Path, default=None,
                      help="the classifier as a training run's checkpoint (default runs/supervised)")


def pick_classifier(args: argparse.Namespace) -> classifier_test.Classifier:
    """The classifier the options name: an ONNX file, a run, the models folder's export or runs/supervised."""
    shipped = (args.models_dir or models_dir()) / "supervised.onnx"
    if args.supervised_onnx:
        return classifier_test.onnx_classifier(args.supervised_onnx)
    if args.supervised_run:
        return classifier_test.run_classifier(args.supervised_run)
    if shipped.is_file():
        return classifier_test.onnx_classifier(shipped)
    return classifier_test.run_classifier(Path("runs/supervised"))


def images_wanted(name: str, args: argparse.Namespace) -> int | None:
    """How many photos of ``name`` the options ask for; None for all."""
    if name == "photos":
        return args.photos_limit or None
    return (args.extra_images if name in EXTRA_SPLITS else args.val_images) or None


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
    classifier = None
    if args.classifier_test or args.classifier_only:
        try:
            classifier = pick_classifier(args)
        except (PretextError, FileNotFoundError) as exc:
            print(f"error: no classifier for the classifier test: {exc}", file=sys.stderr)
            return 2
    if not args.classifier_only:
        code = evaluate_all(args, cls, reg)
        if code:
            return code
    if classifier:
        result = classifier_test.classifier_test(classifier, cls, reg, args.classifier_images or None)
        result["command"] = " ".join(["pretext", *sys.argv[1:]])
        classifier_test.write(result, args.out)
        print(classifier_test.markdown(result))
    else:  # an earlier classifier test stays in the rewritten report
        classifier_test.include_in_report(args.out)
    return 0


def evaluate_all(args: argparse.Namespace, cls: ColorizationModel, reg: ColorizationModel | None) -> int:
    """The per-source evaluation: report.json, report.md and example grids in ``args.out``."""
    report = {
        "command": " ".join(["pretext", *sys.argv[1:]]),
        "classification_version": cls.card.version,
        "regression_version": reg.card.version if reg else None,
        "serve_short_side": cls.spec.serve_short_side,
        "serve_short_sides": [cls.spec.serve_short_side, *cls.spec.extra_short_sides],
        "datasets": {},
        "skipped": [],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    labels = ["gray"] + (["regression"] if reg else []) + ["T=1", "T=0.38", "T=0"]
    if cls.spec.default_temperature not in TEMPERATURES.values():
        labels.append(f"T={cls.spec.default_temperature:g} (default)")
    labels.append("truth")
    names = [n for n in args.datasets.split(",") if n and not (args.no_extra_splits and n in EXTRA_SPLITS)]
    for name in names:
        rows: list[list[np.ndarray]] = []
        try:
            report["datasets"][name] = evaluate_dataset(name, images_wanted(name, args), cls, reg, rows,
                                                        args.grid_rows)
        except DatasetNotFoundError as exc:
            if name not in EXTRA_SPLITS:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            # An older datasets folder (or a fresh clone) without the wider splits: the rest still runs.
            report["skipped"].append(f"{name}: {exc}")
            print(f"skipped {name}: {exc}", file=sys.stderr)
            continue
        save_grid(rows, labels, args.out / f"examples-{name}.png")
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0
