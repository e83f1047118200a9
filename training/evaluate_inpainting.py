"""``pretext evaluate inpainting``: the context-encoder paper's measures, on the shipped ONNX files.

Every photo gets the same holes for every method: a central rectangle of a quarter of its area (the paper's
central region) and an object-like region (``training.inpainting.region_shapes`` cut from imagenette-train
photos, which no source here holds, with a fixed seed, drawn per photo and stretched to its size). Methods:
the shipped L2 and adversarial models through the serving path (``InpaintingModel.inpaint``, what
``pretext inpaint`` and the API run), the mean colour of the rest of the photo, and OpenCV's Telea (fast
marching) and Navier-Stokes inpainting.

Figures, inside the hole only: mean L1 and mean L2 of [0, 1] values (the paper's units), PSNR in dB (the
mean of per-photo PSNR), and sharpness: the fill's luminance gradient energy over the truth's (a ratio of
sums over photos; 1 is the truth's detail, an L2 blur is below), also as the mean per-photo |log ratio|.

Sources: imagenette-val (an even spread over its classes), optionally the held-back tenth of the wider splits
(``training.sources.holdout_indices``: never trained on), and the test photos, also per folder; every photo is
downscaled so that its long side is at most ``--max-side``.
"""

import argparse
import json
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import DatasetNotFoundError, ImageError, PretextError
from models.cards import models_dir
from models.imageio import load_image
from models.inpainting import SIDE, central_mask, mean_fill
from models.inpainting_model import MODELS, InpaintingModel
from training.datasets import ZipSplit, photo_paths, square_resize
from training.inpainting import gradient_energy, hole_errors, region_masks, region_shapes
from training.sources import EXTRA_SPLITS, HOLDOUT_EVERY, holdout_indices

SOURCES = ("imagenette-val", *EXTRA_SPLITS, "photos")
DEFAULT_SOURCES = ("imagenette-val", "photos")
HOLE_KINDS = ("central", "regions")
# Method key -> label, in table and strip order; the models' keys are models.inpainting_model.MODELS'.
METHODS = {"mean": "mean fill", "telea": "OpenCV Telea", "ns": "OpenCV Navier-Stokes",
           "l2": "context encoder (L2)", "adversarial": "context encoder (adversarial)"}
SHORT = {"mean": "mean", "telea": "Telea", "ns": "NS", "l2": "L2", "adversarial": "adversarial"}
BANK_PHOTOS = 256  # imagenette-train photos the region shapes are cut from
BANK_SHAPES = 200
HOLE_COLOUR = (255, 255, 255)  # the hole in the example strips, as the paper's figures show it
EPS = 1e-8
# Pathak et al. 2016, Table 1: Paris StreetView, 128 px photos, the central 64 x 64 hole (a quarter).
PAPER = {"dataset": "Paris StreetView, 128 px, central 64 px hole", "l1": 0.0937, "l2": 0.0196, "psnr": 18.58}


def opencv_inpaint(rgb8: np.ndarray, mask: np.ndarray, method: str, radius: float) -> np.ndarray:
    """OpenCV's inpainting (``telea``: Telea 2004 fast marching; ``ns``: Bertalmio et al. 2001 Navier-Stokes)."""
    import cv2

    flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[method]
    out = cv2.inpaint(np.ascontiguousarray(rgb8), mask.astype(np.uint8) * 255, radius, flag)
    return np.asarray(out, dtype=np.uint8)


def sharpness_terms(filled: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(the fill's gradient energy in the hole, the truth's)."""
    return gradient_energy(filled, mask), gradient_energy(truth, mask)


@dataclass
class Tally:
    """One method's per-photo figures on one group of photos and one hole kind."""

    l1: list[float] = field(default_factory=list)
    l2: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    energy: list[float] = field(default_factory=list)
    truth_energy: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, filled: np.ndarray, truth: np.ndarray, mask: np.ndarray, seconds: float) -> None:
        err = hole_errors(filled, truth, mask)
        self.l1.append(err["l1"])
        self.l2.append(err["l2"])
        self.psnr.append(err["psnr"])
        e, t = sharpness_terms(filled, truth, mask)
        self.energy.append(e)
        self.truth_energy.append(t)
        self.seconds += seconds

    def summary(self) -> dict[str, Any]:
        n = len(self.l1)
        e, t = np.asarray(self.energy), np.asarray(self.truth_energy)
        return {
            "images": n,
            "l1": float(np.mean(self.l1)),
            "l2": float(np.mean(self.l2)),
            "psnr": float(np.mean(self.psnr)),
            "sharpness": float(e.sum() / max(t.sum(), EPS)),
            "sharpness_abs_log": float(np.mean(np.abs(np.log((e + EPS) / (t + EPS))))),
            "ms_per_photo": 1000.0 * self.seconds / max(n, 1),
        }


# ---- photos and holes -------------------------------------------------------------------------------------

def spread(n: int, count: int | None) -> np.ndarray:
    """``count`` indices spread evenly over range(n) (all of them when count is None or at least n): the
    splits are sorted by class, so the first few would all be one class."""
    if not count or count >= n:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, count).round().astype(int))


def downscale(rgb8: np.ndarray, max_side: int) -> np.ndarray:
    """The photo with its long side at most ``max_side`` (0: as it is), aspect kept."""
    h, w = rgb8.shape[:2]
    if not max_side or max(h, w) <= max_side:
        return rgb8
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb8).resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0))


def source_photos(name: str, count: int | None, max_side: int,
                  skipped: list[str]) -> Iterator[tuple[int, str, str, np.ndarray]]:
    """(index in the source, group, label, photo) for the chosen photos of a source. The group is the split's
    name, or photos/FOLDER for the test photos; a wider split gives only its held-back tenth."""
    if name == "photos":
        paths = photo_paths()
        for k in spread(len(paths), count):
            path = paths[int(k)]
            try:
                rgb = load_image(path)
            except ImageError as exc:
                skipped.append(f"{path.name}: {exc}")
                continue
            yield int(k), f"photos/{path.parent.name}", f"{path.parent.name}/{path.name}", downscale(rgb, max_side)
        return
    split = ZipSplit(name)
    idx = holdout_indices(len(split))[1] if name in EXTRA_SPLITS else np.arange(len(split))
    for k in spread(len(idx), count):
        i = int(idx[int(k)])
        yield int(k), name, split.records[i].member, downscale(split.rgb(i), max_side)


def source_size(name: str, count: int | None) -> int:
    """How many photos ``source_photos`` yields for a source (before unreadable ones are skipped)."""
    if name == "photos":
        n = len(photo_paths())
    else:
        n = len(ZipSplit(name))
        n = len(holdout_indices(n)[1]) if name in EXTRA_SPLITS else n
    return len(spread(n, count))


def region_bank(seed: int, photos: int = BANK_PHOTOS, count: int = BANK_SHAPES, side: int = SIDE) -> np.ndarray:
    """(count, side, side) bool object-like shapes cut from the first imagenette-train photos (none of which
    is evaluated here), the same for a given seed."""
    split = ZipSplit("imagenette-train")
    images = np.stack([square_resize(split.image(i), side) for i in range(min(photos, len(split)))])
    return region_shapes(images, count, np.random.default_rng(seed), side)


def holes_for(shape: tuple[int, int], kinds: tuple[str, ...], bank: np.ndarray | None, seed: int, source: str,
              index: int) -> dict[str, np.ndarray]:
    """Each hole kind's (H, W) bool mask for photo ``index`` of ``source``: fixed by (seed, source, index)
    alone, so every method, every run and every --limit sees the same holes."""
    h, w = shape
    out = {}
    for kind in kinds:
        if kind == "central":
            out[kind] = central_mask(h, w)
        else:
            assert bank is not None
            rng = np.random.default_rng([seed, zlib.crc32(source.encode()), index])
            shape_mask = region_masks(bank, rng, 1)[0]
            mask = np.asarray(Image.fromarray(shape_mask).resize((w, h), Image.Resampling.NEAREST))
            out[kind] = mask if mask.any() and not mask.all() else central_mask(h, w)
    return out


def with_hole(rgb8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = rgb8.copy()
    out[mask] = HOLE_COLOUR
    return out


# ---- the evaluation ----------------------------------------------------------------------------------------

@dataclass
class Methods:
    """What fills the holes: the baselines always, each shipped model that is installed."""

    models: dict[str, InpaintingModel]
    radius: float

    @property
    def keys(self) -> list[str]:
        return ["mean", "telea", "ns", *(k for k in ("l2", "adversarial") if k in self.models)]

    def fill(self, key: str, rgb8: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if key == "mean":
            return mean_fill(rgb8, mask)
        if key in ("telea", "ns"):
            return opencv_inpaint(rgb8, mask, key, self.radius)
        return self.models[key].inpaint(rgb8, mask).result


def evaluate_source(name: str, count: int | None, methods: Methods, kinds: tuple[str, ...], bank: np.ndarray | None,
                    args: argparse.Namespace, examples: dict[str, list[list[np.ndarray]]] | None,
                    skipped: list[str]) -> dict[str, dict[str, Any]]:
    """Summaries keyed by group (the source, and for the photos photos/FOLDER too), then hole kind, then
    method. ``examples`` (hole kind -> strip rows) collects ``args.examples`` evenly spread photos."""
    total = source_size(name, count)
    picks = set(spread(total, args.examples).tolist()) if examples is not None and args.examples else set()
    tallies: dict[str, dict[str, dict[str, Tally]]] = {}
    counts: dict[str, int] = {}
    t0 = time.time()
    for position, (index, group, _label, rgb) in enumerate(source_photos(name, count, args.max_side, skipped)):
        holes = holes_for(rgb.shape[:2], kinds, bank, args.seed, name, index)
        for g in dict.fromkeys([name, group]):
            tallies.setdefault(g, {k: {m: Tally() for m in methods.keys} for k in kinds})
            counts[g] = counts.get(g, 0) + 1
        for kind, mask in holes.items():
            row = [rgb, with_hole(rgb, mask)]
            for m in methods.keys:
                t = time.perf_counter()
                filled = methods.fill(m, rgb, mask)
                seconds = time.perf_counter() - t
                for g in dict.fromkeys([name, group]):
                    tallies[g][kind][m].add(filled, rgb, mask, seconds)
                row.append(filled)
            if position in picks and examples is not None:
                examples.setdefault(kind, []).append(row)
        if (position + 1) % 50 == 0:
            print(f"{name}: {position + 1}/{total} photos, {time.time() - t0:.0f} s", file=sys.stderr)
    return {g: {"images": counts[g], **{k: {m: t.summary() for m, t in by_method.items()}
                                         for k, by_method in by_kind.items()}}
            for g, by_kind in tallies.items()}


def checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's "done" checks, on the test photos with central holes: passed is None where a figure is
    missing (no photos evaluated, or a model not installed)."""
    res = report["sources"].get("photos", {}).get("central", {})

    def check(text: str, needs: tuple[str, ...], test: Any, detail: Any) -> dict[str, Any]:
        if not all(m in res for m in needs):
            missing = ", ".join(METHODS[m] for m in needs if m not in res)
            return {"check": text, "passed": None, "detail": f"n/a: no figures for {missing}"}
        return {"check": text, "passed": bool(test()), "detail": detail()}

    psnr = {m: r["psnr"] for m, r in res.items()}
    dist = {m: abs(float(np.log(max(r["sharpness"], EPS)))) for m, r in res.items()}
    return [
        check("L2 PSNR >= Telea's", ("l2", "telea"), lambda: psnr["l2"] >= psnr["telea"],
              lambda: f"L2 {psnr['l2']:.2f} dB, Telea {psnr['telea']:.2f} dB"),
        check("L2 PSNR >= mean fill's + 1 dB", ("l2", "mean"), lambda: psnr["l2"] >= psnr["mean"] + 1.0,
              lambda: f"L2 {psnr['l2']:.2f} dB, mean fill {psnr['mean']:.2f} dB"),
        check("adversarial PSNR within 1 dB of L2's", ("l2", "adversarial"),
              lambda: abs(psnr["adversarial"] - psnr["l2"]) <= 1.0,
              lambda: f"adversarial {psnr['adversarial']:.2f} dB, L2 {psnr['l2']:.2f} dB"),
        check("adversarial sharpness closer to 1 than L2's (|log ratio|)", ("l2", "adversarial"),
              lambda: dist["adversarial"] < dist["l2"],
              lambda: f"adversarial {res['adversarial']['sharpness']:.3g}, L2 {res['l2']['sharpness']:.3g}"),
    ]


# ---- the report --------------------------------------------------------------------------------------------

def markdown(report: dict[str, Any]) -> str:
    s = report["settings"]
    models = "; ".join(f"{METHODS[k]}: `{v['version']}` (sha256 `{v['sha256'][:12]}`)"
                       for k, v in report["models"].items()) or "none installed"
    lines = [
        "# Inpainting evaluation",
        "",
        f"Models: {models}; run through `InpaintingModel.inpaint` (the serving path: a window twice the hole's "
        "size scaled to the network's side, the fill scaled back and pasted with a feathered seam a few px "
        "outside the hole, which is not scored).",
        "",
        "Holes, the same for every method: **central**, a centred rectangle of a quarter of the photo's area "
        "(half of each side, the paper's central region); **regions**, an object-like shape "
        f"(`region_shapes`, cut from {BANK_PHOTOS} imagenette-train photos, seed {s['seed']}) drawn per photo, "
        "flipped, turned and shifted, stretched to the photo's size. Every photo is downscaled so that its long "
        f"side is at most {s['max_side'] or 'its own'} px (imagenette-val: 224 px as stored). OpenCV "
        f"{s['opencv']}, radius {s['radius']:g} px.",
        "",
        "Figures inside the hole only: L1 and L2 are mean absolute and mean squared errors of [0, 1] values in % "
        "(the paper's units); PSNR is the mean of per-photo PSNR in dB; sharpness is the fill's luminance "
        "gradient energy over the truth's (sums over photos: 1 is the truth's detail, below 1 blurrier), "
        "|log s| the mean per-photo |log| of that ratio (0 is the truth's detail).",
        "",
    ]
    for group, res in report["sources"].items():
        if group.startswith("photos/"):
            continue
        held = f", the held-back tenth (index % {HOLDOUT_EVERY} == 0)" if group in EXTRA_SPLITS else ""
        lines += [f"## {group} ({res['images']} photos{held})", "", *method_table(res), ""]
    folders = [g for g in report["sources"] if g.startswith("photos/")]
    if folders:
        lines += ["## Test photos by folder", "", "| folder | photos | hole | " +
                  " | ".join(f"PSNR {SHORT[m]}" for m in report["methods"]) + " | " +
                  " | ".join(f"sharpness {SHORT[m]}" for m in report["methods"]) + " |",
                  "|---|---|---|" + "---|" * (2 * len(report["methods"]))]
        for g in folders:
            res = report["sources"][g]
            for kind in report["hole_kinds"]:
                lines.append(f"| {g.split('/', 1)[1]} | {res['images']} | {kind} | " +
                             " | ".join(f"{res[kind][m]['psnr']:.2f}" for m in report["methods"]) + " | " +
                             " | ".join(f"{res[kind][m]['sharpness']:.3g}" for m in report["methods"]) + " |")
        lines.append("")
    lines += ["## The paper's figures", "",
              f"Pathak et al. 2016, Table 1 ({PAPER['dataset']}), their context encoder: L1 "
              f"{100 * PAPER['l1']:.2f}%, L2 {100 * PAPER['l2']:.2f}%, PSNR {PAPER['psnr']:.2f} dB. Other photos "
              "at other sizes: a guide to the scale, not a like-for-like comparison.", "",
              "## Checks (the test photos, central holes)", ""]
    for c in report["checks"]:
        verdict = {True: "PASS", False: "FAIL", None: "N/A"}[c["passed"]]
        lines.append(f"- {verdict}: {c['check']} ({c['detail']})")
    lines.append("")
    if report["examples"]:
        lines += ["## Examples", "",
                  "Columns: " + " | ".join(["original", "with hole", *(METHODS[m] for m in report["methods"])]),
                  "", *(f"![{kind} holes]({f})" for kind, f in report["examples"].items()), ""]
    if report["skipped"]:
        lines += ["Skipped: " + "; ".join(report["skipped"]), ""]
    lines += [f"Command: `{report['command']}` ({report['seconds']:.0f} s)", ""]
    return "\n".join(lines)


def method_table(res: dict[str, Any]) -> list[str]:
    lines = ["| hole | method | L1 % | L2 % | PSNR dB | sharpness | \\|log s\\| | ms/photo |",
             "|---|---|---|---|---|---|---|---|"]
    for kind, by_method in res.items():
        if kind == "images":
            continue
        for m, r in by_method.items():
            lines.append(f"| {kind} | {METHODS[m]} | {100 * r['l1']:.2f} | {100 * r['l2']:.2f} | {r['psnr']:.2f} | "
                         f"{r['sharpness']:.3g} | {r['sharpness_abs_log']:.3f} | {r['ms_per_photo']:.0f} |")
    return lines


def save_strip(rows: list[list[np.ndarray]], labels: list[str], path: Path, cell: int = 176) -> None:
    """Rows of photos side by side, each scaled into a ``cell`` square, with a label over each column."""
    from PIL import ImageDraw

    canvas = Image.new("RGB", (len(labels) * cell, len(rows) * cell + 24), "white")
    draw = ImageDraw.Draw(canvas)
    for c, label in enumerate(labels):
        draw.text((c * cell + 4, 6), label[:28], fill="black")
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            im = Image.fromarray(img)
            im.thumbnail((cell - 4, cell - 4), Image.Resampling.LANCZOS)
            canvas.paste(im, (c * cell + (cell - im.width) // 2, 24 + r * cell + (cell - im.height) // 2))
    canvas.save(path)


# ---- the command -------------------------------------------------------------------------------------------

def names(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    out = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in out if v not in allowed]
    if bad or not out:
        raise argparse.ArgumentTypeError(f"{what} are comma-separated names from {', '.join(allowed)}; got {text!r}")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models-dir", type=Path, default=None, help="default: the settings' models_dir")
    p.add_argument("--models", type=lambda t: names(t, tuple(MODELS), "models"), default=tuple(MODELS),
                   help="shipped models to evaluate (a missing one is skipped with a note): l2,adversarial")
    p.add_argument("--sources", type=lambda t: names(t, SOURCES, "sources"), default=DEFAULT_SOURCES,
                   help=f"comma-separated, from {', '.join(SOURCES)} (default {','.join(DEFAULT_SOURCES)})")
    p.add_argument("--extra-splits", action="store_true",
                   help="add the wider splits' held-back tenth (imagenet-samples, flowers-train) to the sources")
    p.add_argument("--holes", type=lambda t: names(t, HOLE_KINDS, "hole kinds"), default=HOLE_KINDS,
                   help="central,regions")
    p.add_argument("--val-images", type=int, default=300, help="imagenette-val photos, spread over classes (0: all)")
    p.add_argument("--extra-images", type=int, default=0, help="held-back photos of each wider split (0: all)")
    p.add_argument("--photos-limit", type=int, default=0, help="test photos, spread over folders (0: all)")
    p.add_argument("--limit", type=int, default=0, help="at most N photos from every source (a quick check)")
    p.add_argument("--max-side", type=int, default=512, help="downscale photos to this long side (0: as stored)")
    p.add_argument("--radius", type=float, default=5.0, help="OpenCV inpainting radius, px")
    p.add_argument("--seed", type=int, default=0, help="the region holes' seed")
    p.add_argument("--examples", type=int, default=6, help="photos in each example strip (0: none)")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: its default)")
    p.add_argument("--out", type=Path, default=Path("reports/inpainting"))


def wanted(name: str, args: argparse.Namespace) -> int | None:
    """How many photos of a source the options ask for; None for all."""
    own = {"imagenette-val": args.val_images, "photos": args.photos_limit}.get(name, args.extra_images) or None
    if args.limit:
        return min(own, args.limit) if own else args.limit
    return own


def run(args: argparse.Namespace) -> int:
    import cv2

    t0 = time.time()
    root = args.models_dir or models_dir()
    skipped: list[str] = []
    models: dict[str, InpaintingModel] = {}
    for key in args.models:
        try:
            models[key] = InpaintingModel(MODELS[key], device="cpu", root=root, threads=args.threads)
        except PretextError as exc:
            skipped.append(f"{METHODS[key]}: not installed ({exc})")
            print(f"skipped {METHODS[key]}: {exc}", file=sys.stderr)
    methods = Methods(models, args.radius)
    sources = list(dict.fromkeys([*args.sources, *(EXTRA_SPLITS if args.extra_splits else ())]))
    example_source = "photos" if "photos" in sources else sources[0]
    examples: dict[str, list[list[np.ndarray]]] = {}
    report: dict[str, Any] = {
        "command": getattr(args, "command", None) or " ".join(["pretext", *sys.argv[1:]]),
        "models": {k: {"name": MODELS[k], "version": m.card.version, "sha256": m.card.sha256, "side": m.card.side}
                   for k, m in models.items()},
        "methods": methods.keys,
        "hole_kinds": list(args.holes),
        "settings": {"max_side": args.max_side, "seed": args.seed, "radius": args.radius, "opencv": cv2.__version__,
                     "region_bank": {"source": "imagenette-train", "photos": BANK_PHOTOS, "shapes": BANK_SHAPES}},
        "paper": PAPER,
        "sources": {},
        "skipped": skipped,
    }
    try:
        bank = region_bank(args.seed) if "regions" in args.holes else None
        for name in sources:
            try:
                res = evaluate_source(name, wanted(name, args), methods, tuple(args.holes), bank, args,
                                      examples if name == example_source else None, skipped)
            except DatasetNotFoundError as exc:
                if name not in EXTRA_SPLITS:
                    raise
                skipped.append(f"{name}: {exc}")  # a datasets folder without the wider splits: the rest stands
                print(f"skipped {name}: {exc}", file=sys.stderr)
                continue
            report["sources"].update(res)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report["checks"] = checks(report)
    args.out.mkdir(parents=True, exist_ok=True)
    report["examples"] = {}
    labels = ["original", "with hole", *(SHORT[m] for m in methods.keys)]
    for kind, rows in examples.items():
        path = args.out / f"examples-{kind}.png"
        save_strip(rows, labels, path)
        report["examples"][kind] = path.name
    report["seconds"] = round(time.time() - t0, 1)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0
