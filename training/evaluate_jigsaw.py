"""``pretext evaluate jigsaw``: permutation accuracy on imagenette-val, solving shuffled photos.

Evaluates the exported ONNX model through the serving code, with the anti-shortcut measures
(jitter, grayscale, channel dropping) off and tiles centred in their cells, as at serving time.
"""

import argparse
import io
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import ImageError, PretextError
from models.imageio import load_image
from models.jigsaw import (
    CELL_FITS,
    DEFAULT_CELL_FIT,
    N_TILES,
    assign_marginals,
    flip_averaged_neighbours,
    flip_tiles,
    image_tiles,
    mirror_averaged_cell_logp,
    normalise_tiles,
    placement_marginals,
    shuffle_image,
    solve_tiles,
    uniform_permutations,
)
from models.jigsaw_model import JigsawModel
from models.numerics import log_softmax
from training.datasets import ZipSplit, photo_paths
from training.jigsaw import JigsawConfig, make_puzzles

# (label, method, rounds, flip): the permutation head alone and iterated, the cell head alone and
# averaged with the mirrored puzzle.
SOLVERS = (
    ("perm x1", "perm", 1, False),
    ("perm iterated", "perm", None, False),
    ("cell", "cell", 1, False),
    ("cell + flip", "cell", 1, True),
)
# Only for models with the neighbour head: seams plus the cell head at the card's weight.
NEIGHBOUR_SOLVERS = (
    ("neighbours", "neighbours", 1, False),
    ("neighbours + flip", "neighbours", 1, True),
)
CELL_WEIGHTS = (0.0, 0.5, 1.0, 2.0)  # the neighbours method's cell-head weights tried on imagenette-val
JPEG_QUALITY = 75  # imagenette's own quality: shuffled photos saved as ordinary JPEGs
# (label, tile ratio or None for training's, per-tile normalisation, flip, cell fit or None for the
# served one): the cell head's tiles as in training, then with each test-time anti-shortcut measure
# switched off.
Variant = tuple[str, float | None, bool, bool, str | None]
TILE_VARIANTS: tuple[Variant, ...] = (
    ("training's gap + per-tile normalisation", None, True, False, None),
    ("no gap (whole cells)", 1.0, True, False, None),
    ("gap, no per-tile normalisation", None, False, False, None),
    ("neither", 1.0, False, False, None),
)


def normalise_jointly(tiles: np.ndarray) -> np.ndarray:
    """(9, t, t, 3) uint8 -> (9, 3, t, t) float32 standardised by one mean and std over all tiles."""
    # Brightness and contrast then carry across tiles again, the cue per-tile normalisation hides.
    x = np.asarray(tiles, dtype=np.float32) / 255.0
    x = (x - x.mean()) / (x.std() + 1e-5)
    return np.ascontiguousarray(np.moveaxis(x, -1, -3))


def shuffled_photos(
    paths: list[Path], rng: np.random.Generator, skipped: list[str] | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(shuffled photo, its permutation) per readable photo, each shuffled uniformly at random."""
    for path in paths:
        perm = uniform_permutations(rng, 1)[0]  # drawn for unreadable photos too: same shuffles either way
        try:
            shuffled = shuffle_image(load_image(path), perm)
        except (ImageError, ValueError) as exc:
            if skipped is not None:
                skipped.append(f"{path.name}: {exc}")
            continue
        yield shuffled, perm


def cell_accuracy(
    model: JigsawModel, puzzles: Iterable[tuple[np.ndarray, np.ndarray]], variants: Sequence[Variant]
) -> dict[str, float]:
    """Share of tiles the cell head places right on (shuffled photo, permutation) pairs, per variant."""
    train_ratio = float(model.card.tile_ratio)
    hits: dict[str, list[float]] = {label: [] for label, *_ in variants}
    for shuffled, perm in puzzles:
        for label, ratio, per_tile, flip, fit in variants:
            cut = image_tiles(shuffled, model.spec.tile, train_ratio if ratio is None else ratio,
                              fit or model.spec.cell_fit)
            tiles = normalise_tiles(cut) if per_tile else normalise_jointly(cut)
            sol = solve_tiles(tiles, model.run, model.spec.permutations, "cell", 1, flip)
            hits[label].append(float((sol.permutation == perm).mean()))
    return {label: float(np.mean(v)) if v else float("nan") for label, v in hits.items()}


def shortcut_variants(model: JigsawModel, paths: list[Path], seed: int) -> dict[str, float]:
    """Cell-head tile accuracy on the same uniform shuffles with the test-time measures switched off."""
    return cell_accuracy(model, shuffled_photos(paths, np.random.default_rng(seed)), TILE_VARIANTS)


def permutation_accuracy(
    model: JigsawModel, images: np.ndarray, n: int, cell: int, seed: int, chunk: int = 100
) -> dict[str, Any]:
    """Top-1/top-5 permutation accuracy on n centred puzzles shuffled by set permutations."""
    perms = model.spec.permutations
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, len(perms), n)
    cfg = JigsawConfig(tile=model.spec.tile, cell=cell, image_size=images.shape[1])
    hits1 = hits5 = 0
    for s in range(0, n, chunk):
        idx = np.arange(s, min(n, s + chunk))
        tiles = make_puzzles(images, idx, perms[classes[idx]], rng, cfg, train=False)
        top5 = np.argsort(-model.run(tiles)[0], axis=1)[:, :5]
        hits1 += int((top5[:, 0] == classes[idx]).sum())
        hits5 += int((top5 == classes[idx, None]).any(1).sum())
    return {
        "images": n,
        "top1": hits1 / max(n, 1),
        "top5": hits5 / max(n, 1),
        "chance_top1": 1 / len(perms),
        "set_size": len(perms),
    }


def non_square(rgb8: np.ndarray, i: int) -> np.ndarray:
    """Centre crop of a square photo to 3:2 (even i, landscape) or 2:3 (odd i, portrait)."""
    h, w = rgb8.shape[:2]
    if i % 2 == 0:
        keep = round(w * 2 / 3)
        return rgb8[(h - keep) // 2 : (h - keep) // 2 + keep]
    keep = round(h * 2 / 3)
    return rgb8[:, (w - keep) // 2 : (w - keep) // 2 + keep]


def solver_label(ratio: float, flip: bool) -> str:
    return f"tile ratio {ratio:.2f}{' + flip' if flip else ''}"


def val_solving(model: JigsawModel, n: int, seed: int) -> dict[str, float]:
    """Cell-head tile accuracy on n uniformly shuffled imagenette-val photos, per serving choice.

    Through the serving path (whole photo shuffled, cells cut by ``image_tiles``): tiles cut at
    training's tile/cell ratio or from whole cells, each without and with the mirrored puzzle; then,
    at the served ratio and flip, the same photos cropped to 3:2 and 2:3 (as most photos are), their
    non-square cells fitted to square tiles either way. The photos folder is the test; these figures
    choose the card's solver settings.
    """
    rng = np.random.default_rng(seed + 1)
    split = ZipSplit("imagenette-val")
    n = min(n, len(split))
    perms = uniform_permutations(rng, n)
    train_ratio = float(model.card.tile_ratio)
    # Imagenette photos are square, where every cell fit cuts the same tiles.
    choices: list[Variant] = [(solver_label(ratio, flip), ratio, True, flip, DEFAULT_CELL_FIT)
                              for ratio in (train_ratio, 1.0) for flip in (False, True)]
    puzzles = ((shuffle_image(split.rgb(i), perms[i]), perms[i]) for i in range(n))
    result = cell_accuracy(model, puzzles, choices)
    served = solver_label(model.spec.ratio, model.spec.flip)
    fits: list[Variant] = [(f"{served}, 3:2 and 2:3 crops, {fit} fit", model.spec.ratio, True, model.spec.flip, fit)
                           for fit in CELL_FITS]
    cropped = ((shuffle_image(non_square(split.rgb(i), i), perms[i]), perms[i]) for i in range(n))
    return result | cell_accuracy(model, cropped, fits)


def neighbour_val_solving(model: JigsawModel, n: int, seed: int) -> dict[str, float]:
    """Neighbours-method tile accuracy on n uniformly shuffled imagenette-val photos, square and
    cropped to 3:2 and 2:3, per cell-head weight, with and without the mirrored puzzle.

    Chooses the card's ``cell_weight`` and flip; the network runs once per puzzle (and once more
    mirrored) and every weight is solved from those outputs.
    """
    rng = np.random.default_rng(seed + 2)
    split = ZipSplit("imagenette-val")
    n = min(n, len(split))
    perms = uniform_permutations(rng, n)
    hits: dict[str, list[float]] = {}
    for i in range(n):
        for shape, photo in (("square", split.rgb(i)), ("3:2 and 2:3 crops", non_square(split.rgb(i), i))):
            tiles = model.tiles(shuffle_image(photo, perms[i]))
            own, mirrored = model.run(tiles[None]), model.run(flip_tiles(tiles)[None])
            cell = log_softmax(np.asarray(own[1][0]), axis=1)
            flipped_cell = mirror_averaged_cell_logp(own[1][0], mirrored[1][0])
            flipped = flip_averaged_neighbours(own[2][0], mirrored[2][0])
            for flip, (c, nb) in ((False, (cell, own[2][0])), (True, (flipped_cell, flipped))):
                for w in CELL_WEIGHTS:
                    sol = assign_marginals(placement_marginals(nb, c, w))
                    label = f"neighbours{' + flip' if flip else ''}, cell weight {w:g}, {shape}"
                    hits.setdefault(label, []).append(float((sol.permutation == perms[i]).mean()))
    return {label: float(np.mean(v)) for label, v in hits.items()}


def jpeg_round_trip(rgb8: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def served_jpeg_solving(model: JigsawModel, n: int, seed: int, quality: int = JPEG_QUALITY) -> dict[str, float]:
    """Tile accuracy of the served solver on n shuffled imagenette-val photos, as PNG and as JPEG.

    A shuffled photo saved as JPEG gets block artefacts and smeared colour at the seams the
    neighbour head reads; this measures what that costs, on the same shuffles.
    """
    rng = np.random.default_rng(seed + 3)
    split = ZipSplit("imagenette-val")
    n = min(n, len(split))
    perms = uniform_permutations(rng, n)
    hits: dict[str, list[float]] = {"lossless": [], f"JPEG quality {quality}": []}
    for i in range(n):
        shuffled = shuffle_image(split.rgb(i), perms[i])
        for label, puzzle in zip(hits, (shuffled, jpeg_round_trip(shuffled, quality)), strict=True):
            hits[label].append(float((model.solve(puzzle).permutation == perms[i]).mean()))
    return {f"served ({model.spec.default_method}), {label}": float(np.mean(v)) for label, v in hits.items()}


def photo_solving(model: JigsawModel, paths: list[Path], seed: int, rounds: int) -> dict[str, Any]:
    """Tile-position accuracy and exact-solve rate on uniformly shuffled photos, per solver."""
    rng = np.random.default_rng(seed)
    solvers = SOLVERS + (NEIGHBOUR_SOLVERS if model.has_neighbours else ())
    stats: dict[str, dict[str, list]] = {
        label: {"acc": [], "exact": [], "conf_right": [], "conf_wrong": [], "rounds": [], "s": []}
        for label, _, _, _ in solvers
    }
    skipped: list[str] = []
    for shuffled, perm in shuffled_photos(paths, rng, skipped):
        for label, method, r, flip in solvers:
            t0 = time.perf_counter()
            sol = solve_tiles(model.tiles(shuffled), model.run, model.spec.permutations, method, r or rounds, flip,
                              model.spec.cell_weight)
            right = sol.permutation == perm
            st = stats[label]
            st["s"].append(time.perf_counter() - t0)
            st["acc"].append(right.mean())
            st["exact"].append(right.all())
            st["conf_right"].extend(sol.confidence[right])
            st["conf_wrong"].extend(sol.confidence[~right])
            st["rounds"].append(sol.rounds)

    def mean(v: list) -> float | None:
        return float(np.mean(v)) if v else None

    methods = {
        label: {
            "tile_accuracy": mean(st["acc"]),
            "exact_rate": mean(st["exact"]),
            "mean_confidence_right": mean(st["conf_right"]),
            "mean_confidence_wrong": mean(st["conf_wrong"]),
            "mean_rounds": mean(st["rounds"]),
            "ms_per_photo": None if not st["s"] else round(1000 * float(np.mean(st["s"])), 1),
        }
        for label, st in stats.items()
    }
    n = len(paths) - len(skipped)
    return {"photos": n, "chance_tile_accuracy": 1 / N_TILES, "methods": methods, "skipped": skipped}


def markdown(report: dict[str, Any]) -> str:
    """The report as a short Markdown page."""
    pa, ps = report["imagenette_val"], report["photos"]
    lines = [
        "# Jigsaw evaluation",
        "",
        f"Model `{report['model_version']}`; train-time augmentations off, tiles centred in their cells; served "
        f"solver: tile ratio {report['solver'].get('tile_ratio')}, flip {report['solver'].get('flip')}, "
        f"cell fit {report['solver'].get('cell_fit', 'square')}.",
        "",
        f"## Permutation classification (imagenette-val, {pa['images']} puzzles, {pa['set_size']} classes)",
        "",
        "| top-1 | top-5 | chance |",
        "|---|---|---|",
        f"| {pa['top1']:.3f} | {pa['top5']:.3f} | {pa['chance_top1']:.3f} |",
        "",
        "## Solving uniformly random shuffles of imagenette-val photos (cell head; chooses the served settings)",
        "",
        "| solver | tile accuracy |",
        "|---|---|",
        *(f"| {label} | {acc:.3f} |" for label, acc in report.get("imagenette_val_uniform", {}).items()),
        "",
    ]
    if report.get("imagenette_val_jpeg"):
        lines += [
            f"## Served solver on shuffled imagenette-val photos saved losslessly and as JPEG "
            f"({report['neighbour_val_images']} photos)",
            "",
            "| solver, shuffled photo | tile accuracy |",
            "|---|---|",
            *(f"| {label} | {acc:.3f} |" for label, acc in report["imagenette_val_jpeg"].items()),
            "",
        ]
    if report.get("imagenette_val_neighbours"):
        lines += [
            "## Neighbours method on uniformly random shuffles of imagenette-val photos "
            f"({report['neighbour_val_images']} photos; chooses the served cell weight and flip)",
            "",
            "| solver | tile accuracy |",
            "|---|---|",
            *(f"| {label} | {acc:.3f} |" for label, acc in report["imagenette_val_neighbours"].items()),
            "",
        ]
    lines += [
        f"## Solving uniformly random shuffles of the photos folder ({ps['photos']} photos)",
        "",
        "| solver | tile accuracy | exact | confidence right / wrong | rounds | ms/photo |",
        "|---|---|---|---|---|---|",
    ]

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for label, m in ps["methods"].items():
        lines.append(
            f"| {label} | {f(m['tile_accuracy'])} | {f(m['exact_rate'])} | "
            f"{f(m['mean_confidence_right'])} / {f(m['mean_confidence_wrong'])} | "
            f"{f(m['mean_rounds'])} | {m['ms_per_photo']} |"
        )
    lines += ["", f"Chance tile accuracy {ps['chance_tile_accuracy']:.3f}.", ""]
    if report.get("shortcut_variants"):
        lines += [
            "## Test-time anti-shortcut measures switched off (cell head, same shuffles)",
            "",
            "| tiles | tile accuracy |",
            "|---|---|",
            *(f"| {label} | {acc:.3f} |" for label, acc in report["shortcut_variants"].items()),
            "",
        ]
    if ps["skipped"]:
        lines += ["Skipped: " + "; ".join(ps["skipped"]), ""]
    return "\n".join(lines)


def evaluate(
    model_name: str,
    out_dir: Path,
    val_images: int = 1000,
    photos_limit: int | None = None,
    seed: int = 0,
    rounds: int = 3,
    limit: int | None = None,
    neighbour_val_images: int = 300,
) -> dict[str, Any]:
    """Run both evaluations and write ``report.json`` and ``report.md`` under ``out_dir``."""
    t0 = time.time()
    model = JigsawModel(model_name, device="cpu")
    train_cfg = model.card.training.get("config", {})
    size, cell = int(train_cfg.get("image_size", 128)), int(train_cfg.get("cell", 38))
    images = ZipSplit("imagenette-val").cached(size, limit)
    paths = photo_paths()[:photos_limit] if photos_limit is not None else photo_paths()
    n_neighbour = min(neighbour_val_images, val_images, len(ZipSplit("imagenette-val")))
    report = {
        "model": model_name,
        "model_version": model.card.version,
        "model_sha256": model.card.sha256,
        "solver": model.card.solver.model_dump(mode="json", exclude_unset=True),  # as the card has it
        "imagenette_val": permutation_accuracy(model, images, min(val_images, len(images)), cell, seed),
        "imagenette_val_uniform": val_solving(model, val_images, seed),
        "imagenette_val_neighbours": neighbour_val_solving(model, n_neighbour, seed) if model.has_neighbours else {},
        "neighbour_val_images": n_neighbour,
        "imagenette_val_jpeg": served_jpeg_solving(model, n_neighbour, seed),
        "photos": photo_solving(model, paths, seed, rounds),
        "shortcut_variants": shortcut_variants(model, paths, seed),
        "settings": {"seed": seed, "rounds": rounds, "augment": False, "tiles": "centred"},
    }
    report["seconds"] = round(time.time() - t0, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "report.md").write_text(markdown(report))
    return report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="jigsaw", help="model name in the models folder")
    p.add_argument("--out", type=Path, default=Path("reports/jigsaw"), help="report folder")
    p.add_argument("--val-images", type=int, default=1000)
    p.add_argument("--photos-limit", type=int, default=None, help="only the first N photos")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3, help="rounds of the iterated perm solver")
    p.add_argument("--limit", type=int, default=None, help="cache only the first N val images")
    p.add_argument("--neighbour-val-images", type=int, default=300,
                   help="imagenette-val photos for the neighbours method's settings (models with that head)")


def run(args: argparse.Namespace) -> int:
    try:
        report = evaluate(args.model, args.out, args.val_images, args.photos_limit, args.seed, args.rounds, args.limit,
                          args.neighbour_val_images)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(markdown(report))
    return 0
