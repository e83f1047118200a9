"""``pretext evaluate rotation``: how often the shipped model tells the turn, through serving code.

Both sets go through ``RotationModel.views``, the path of ``pretext rotate`` and the API: the
photo at full size, resized to the card's serving side(s) and run in all four turns (and
mirrored, where the card says so). The ensemble's inputs for the photo turned by any multiple of
90 degrees are those same four turns, reordered (``ViewLogits.turned``), so each photo costs one
set of runs rather than five. The single-view figure (the network run once, on the photo as given)
is reported beside it, to show what the ensemble adds.

Sources: imagenette-val, the held-back tenth of each wider split (``training.sources``: imagenet-samples
and flowers-train photos never trained on, decoded at their own size), and the test photos per folder;
``by_source`` lists them side by side.
"""

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DatasetNotFoundError, ImageError, PretextError
from models.imageio import load_image
from models.rotation import ANGLES
from models.rotation_model import RotationModel, ViewLogits
from training.cli_types import sides
from training.datasets import ZipSplit, photo_paths
from training.sources import EXTRA_SPLITS, HOLDOUT_EVERY, holdout_indices

SETS = ("imagenette_val", *(name.replace("-", "_") for name in EXTRA_SPLITS), "photos")  # report keys


class Tally:
    """Right answers per true angle, for the ensemble and for the single view; wrong ones by how far off."""

    def __init__(self) -> None:
        self.right = {a: 0 for a in ANGLES}
        self.single = {a: 0 for a in ANGLES}
        self.total = {a: 0 for a in ANGLES}
        # A quarter turn off (90 or 270) mistakes a landscape for a portrait; 180 is upside down.
        self.off_by = {a: 0 for a in ANGLES[1:]}

    def add(self, upright: ViewLogits, angle: int) -> dict[str, Any] | None:
        """Score the photo turned counter-clockwise by ``angle``, from its upright views; a miss comes back."""
        views = upright.turned(angle)
        probs = views.probabilities()
        predicted = ANGLES[int(np.argmax(probs))]
        self.total[angle] += 1
        self.right[angle] += int(predicted == angle)
        self.single[angle] += int(views.single_view_angle() == angle)
        if predicted == angle:
            return None
        self.off_by[(predicted - angle) % 360] += 1
        return {"angle": angle, "predicted": predicted,
                "p_angle": round(float(probs[ANGLES.index(angle)]), 4),
                "p_predicted": round(float(probs.max()), 4)}

    def summary(self) -> dict[str, Any]:
        n = sum(self.total.values())
        return {
            "images": n,
            "accuracy": sum(self.right.values()) / max(n, 1),
            "single_view_accuracy": sum(self.single.values()) / max(n, 1),
            "by_angle": {str(a): self.right[a] / self.total[a] for a in ANGLES if self.total[a]},
            "wrong_by_offset": {str(a): k for a, k in self.off_by.items()},
        }


def score(model: RotationModel, photos: Iterable[tuple[str, str, np.ndarray]], seed: int) -> dict[str, Any]:
    """Each (folder, name, photo) turned once by a random multiple of 90 degrees, and turned all
    four ways; the random turn's accuracy also per folder, and its misses one by one."""
    rng = np.random.default_rng(seed)
    once, every = Tally(), Tally()
    folders: dict[str, Tally] = {}
    folders_every: dict[str, Tally] = {}
    misses = []
    for folder, name, rgb8 in photos:
        upright, _ = model.views(rgb8)
        angle = ANGLES[int(rng.integers(4))]
        miss = once.add(upright, angle)
        if miss:
            misses.append({"folder": folder, "photo": name, **miss})
        folders.setdefault(folder, Tally()).add(upright, angle)
        for a in ANGLES:
            every.add(upright, a)
            folders_every.setdefault(folder, Tally()).add(upright, a)
    by_folder = {name: {**{k: t.summary()[k] for k in ("images", "accuracy")},
                        "all_four_accuracy": folders_every[name].summary()["accuracy"]}
                 for name, t in sorted(folders.items())}
    return {"random_turn": once.summary(), "all_four_turns": every.summary(), "by_folder": by_folder,
            "misses": misses}


def val_photos(n: int | None, every: int = 1) -> Iterable[tuple[str, str, np.ndarray]]:
    """The first n photos of imagenette-val, or every k-th (the split is sorted by class)."""
    split = ZipSplit("imagenette-val")
    for i in range(0, len(split), every)[:n]:
        yield "imagenette-val", split.records[i].member, split.rgb(i)


def held_back_photos(name: str, n: int | None) -> Iterable[tuple[str, str, np.ndarray]]:
    """The first n photos (default all) of a wider split's held-back tenth, at their own size."""
    split = ZipSplit(name)
    for i in holdout_indices(len(split))[1][:n]:
        yield name, split.records[i].member, split.rgb(int(i))


def by_source(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every source scored, side by side: the splits by name, the test photos as photos/FOLDER."""
    out = {}
    for key in SETS:
        if key not in report:
            continue
        if key == "photos":
            out.update({f"photos/{name}": f for name, f in report[key]["by_folder"].items()})
        elif report[key]["random_turn"]["images"]:
            once, every = report[key]["random_turn"], report[key]["all_four_turns"]
            out[key.replace("_", "-")] = {"images": once["images"], "accuracy": once["accuracy"],
                                          "all_four_accuracy": every["accuracy"]}
    return out


def folder_photos(paths: list[Path], skipped: list[str]) -> Iterable[tuple[str, str, np.ndarray]]:
    """(the photo's folder, its file name, the photo) for each readable path."""
    for path in paths:
        try:
            yield path.parent.name, path.name, load_image(path)
        except ImageError as exc:
            skipped.append(f"{path.name}: {exc}")


def sides_text(sides: list[int]) -> str:
    return " and ".join(str(s) for s in sides)


def stride(text: str) -> int:
    k = int(text)
    if k < 1:
        raise argparse.ArgumentTypeError(f"--val-every takes a positive integer, got {text}")
    return k


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Rotation evaluation",
        "",
        f"Model `{report['model_version']}` (sha256 `{str(report['model_sha256'])[:12]}`), served at a shorter side "
        f"of {sides_text(report['serve_short_sides'])} px, through `RotationModel.views` (what `pretext rotate` runs), "
        f"{(8 if report['mirror_views'] else 4) * len(report['serve_short_sides'])} views per photo. "
        f"Seed {report['seed']}.",
        "",
        "| set | turns | images | accuracy | single view | 0 | 90 | 180 | 270 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in SETS:
        if name not in report or not report[name]["random_turn"]["images"]:
            continue
        for turns, label in (("random_turn", "one random"), ("all_four_turns", "all four")):
            s = report[name][turns]
            by = " | ".join(f"{s['by_angle'].get(str(a), float('nan')):.3f}" for a in ANGLES)
            lines.append(f"| {name} | {label} | {s['images']} | {s['accuracy']:.3f} | "
                         f"{s['single_view_accuracy']:.3f} | {by} |")
    lines += ["", "Chance is 0.25. Columns 0-270: accuracy per true angle (counter-clockwise).", ""]
    lines += ["Wrong answers by how far they are off (all four turns): a quarter turn (90 or 270) takes a "
              "landscape for a portrait, 180 is upside down.", "", "| set | 90 off | 180 off | 270 off |",
              "|---|---|---|---|"]
    for name in SETS:
        s = report.get(name, {}).get("all_four_turns", {"images": 0})
        if s["images"]:
            lines.append(f"| {name} | " + " | ".join(str(s["wrong_by_offset"][str(a)]) for a in ANGLES[1:]) + " |")
    lines.append("")
    sources = report.get("by_source", {})
    if sources:
        lines += [f"Per source (the wider splits: their held-back tenth, index % {HOLDOUT_EVERY} == 0, never "
                  "trained on):", "", "| source | images | one random turn | all four turns |", "|---|---|---|---|",
                  *(f"| {name} | {f['images']} | {f['accuracy']:.3f} | {f['all_four_accuracy']:.3f} |"
                    for name, f in sources.items()), ""]
    folders = report["photos"].get("by_folder", {})
    if len(folders) > 1:
        lines += ["Photos, one random turn, per folder:", "", "| folder | images | accuracy |", "|---|---|---|",
                  *(f"| {name} | {f['images']} | {f['accuracy']:.3f} |" for name, f in folders.items()), ""]
    misses = report["photos"].get("misses", [])
    if misses:
        lines += ["Photos missed at their random turn (p: the ensemble's probability of the true and of the "
                  "chosen angle):", "", "| photo | turned | answered | p true | p answered |", "|---|---|---|---|---|",
                  *(f"| {m['folder']}/{m['photo']} | {m['angle']} | {m['predicted']} | {m['p_angle']:.3f} | "
                    f"{m['p_predicted']:.3f} |" for m in misses), ""]
    if report["skipped"]:
        lines += ["Skipped: " + "; ".join(report["skipped"]), ""]
    lines += [f"Command: `{report['command']}`", ""]
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="rotation", help="model name in the models folder")
    p.add_argument("--val-images", type=int, default=None, help="first N of imagenette-val (default all)")
    p.add_argument("--val-every", type=stride, default=1,
                   help="every k-th imagenette-val photo: a subset with every class, for choosing settings")
    p.add_argument("--photos-limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--short-side", type=sides, default=None,
                   help="serve at this shorter side, or ensemble several: 128,176 (default: the card's)")
    p.add_argument("--mirror-views", choices=["card", "on", "off"], default="card",
                   help="8 views (mirrored too) or 4; default: the card's")
    p.add_argument("--no-photos", action="store_true", help="imagenette-val only (choosing serving settings)")
    p.add_argument("--extra-images", type=int, default=None,
                   help="held-back photos of each wider split (imagenet-samples, flowers-train; default all)")
    p.add_argument("--no-extra-splits", action="store_true",
                   help="leave out the wider splits' held-back photos (cheaper)")
    p.add_argument("--models-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument("--out", type=Path, default=Path("reports/rotation"))


def run(args: argparse.Namespace) -> int:
    t0 = time.time()
    try:
        model = RotationModel(args.model, device="cpu", root=args.models_dir)
        if args.short_side:
            model.short_sides = args.short_side
        if args.mirror_views != "card":
            model.mirror_views = args.mirror_views == "on"
        paths = [] if args.no_photos else photo_paths()[: args.photos_limit]
        skipped: list[str] = []
        report = {
            "model_version": model.card.version,
            "model_sha256": model.card.sha256,
            "serve_short_side": model.short_side,
            "serve_short_sides": model.short_sides,
            "mirror_views": model.mirror_views,
            "seed": args.seed,
            "val_every": args.val_every,
            "imagenette_val": score(model, val_photos(args.val_images, args.val_every), args.seed),
            "photos": score(model, folder_photos(paths, skipped), args.seed),
            "skipped": skipped,
            "command": getattr(args, "command", None) or " ".join(["pretext", *sys.argv[1:]]),
        }
        for name in () if args.no_extra_splits else EXTRA_SPLITS:
            try:
                report[name.replace("-", "_")] = score(model, held_back_photos(name, args.extra_images), args.seed)
            except DatasetNotFoundError as exc:  # a datasets folder without the wider splits: the rest stands
                skipped.append(f"{name}: {exc}")
        report["by_source"] = by_source(report)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report["seconds"] = round(time.time() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0
