"""``pretext evaluate hints``: how much colour hints help, against the number of hints (issue #32).

Hints are taken from the true colours (the hinted pixel's own colour) at 0, 1, 2, 5, 10 and 20 points with fixed
seeds, placed (a) at random, nested (the first n of one random sequence of 20 per photo), and (b) "worst first",
like a person correcting the worst mistake: each new hint goes to the centre (the distance-transform maximum) of
the largest connected region whose ab error (5x5 box-smoothed) exceeds ``ERROR_THRESHOLD`` in the current result
of that method, never within ``MIN_HINT_GAP`` of an earlier hint. Methods: the model-free baseline
(models.hints.baseline_ab), the distribution method (models.hints.hinted_ab), and the hint network when its card
(colorization-hints) is installed. Measures: mean PSNR on RGB, and the colorization evaluation's AuC of the ab
error (raw and class-rebalanced, pixels pooled at stride 4; training.metrics).

``--tune`` picks the baseline's two widths and the distribution method's parameters by coordinate descent on
validation photos only (imagenette-val and the held-back tenth of the wider splits; never the test photos) and
writes them to reports/hints/tuned.json; models.hints' dataclass defaults are set from that file by hand.
``--validation`` measures the three methods at random hints on those validation photos (OUT/validation.json):
where a hint network is chosen, and its temperature, before the test photos are measured once.
"""

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import DatasetNotFoundError, ModelNotAvailableError, PretextError
from core.tasks.colorization import HINT_MODEL
from models.color import lab_to_rgb8_keep_lightness, rgb8_to_lab
from models.colorization import apply_ab
from models.colorization_model import ColorizationModel
from models.distribution import log_probabilities
from models.encoding import annealed_mean
from models.hints import BaselineParams, HintParams, Hints, PointHint, baseline_ab, hinted_ab
from models.imageio import load_image
from training.datasets import ZipSplit, photo_paths
from training.metrics import PIXEL_STRIDE, ab_error_cdf, auc, class_balance_weights, psnr
from training.sources import EXTRA_SPLITS, holdout_indices

COUNTS = (0, 1, 2, 5, 10, 20)
VALIDATION_COUNTS = (0, 1, 5, 10, 20)
PLACEMENTS = ("random", "worst")
MAX_SIDE = 512  # test photos with a longer side are downscaled (Lanczos) to it before anything else
TUNE_SIDE = 256  # validation photos likewise, when tuning
ERROR_THRESHOLD = 20.0  # ab units: a pixel whose smoothed error exceeds this is "wrong"
MIN_HINT_GAP = 0.03  # of the short side: no new hint closer than this to an earlier one
SEED = 32
BASELINE, DISTRIBUTION, NETWORK = "baseline (no network)", "distribution", "hint network"
PALETTE_SIZE = 5


@dataclass
class Photo:
    label: str
    rgb8: np.ndarray  # (H, W, 3) uint8, downscaled
    gt_ab: np.ndarray  # (H, W, 2) float32
    logp: np.ndarray | None = None  # (Q, h, w) the colorization network's log-probabilities


@dataclass
class Tally:
    psnr: list[float] = field(default_factory=list)
    errors: list[np.ndarray] = field(default_factory=list)
    gt_ab: list[np.ndarray] = field(default_factory=list)

    def add(self, out8: np.ndarray, photo: Photo) -> None:
        s = (slice(None, None, PIXEL_STRIDE), slice(None, None, PIXEL_STRIDE))
        ab = rgb8_to_lab(out8[s])[..., 1:]
        self.errors.append(np.linalg.norm(ab - photo.gt_ab[s], axis=-1).ravel())
        self.gt_ab.append(photo.gt_ab[s].reshape(-1, 2))
        self.psnr.append(psnr(out8, photo.rgb8))

    def summary(self, centres: np.ndarray) -> dict[str, float]:
        errors = np.concatenate(self.errors)
        weights = class_balance_weights(np.concatenate(self.gt_ab), centres)
        return {"psnr_db": round(float(np.mean(self.psnr)), 3), "auc_raw": round(auc(ab_error_cdf(errors)), 2),
                "auc_rebalanced": round(auc(ab_error_cdf(errors, weights)), 2), "images": len(self.psnr)}


# ------------------------------------------------------------------------------------------------------- photos


def downscaled(rgb8: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb8.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return rgb8
    im = Image.fromarray(rgb8).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return np.asarray(im)


def test_photos(limit: int | None) -> Iterator[tuple[str, np.ndarray]]:
    paths = photo_paths()
    for p in paths[:limit] if limit else paths:
        yield str(p.relative_to(p.parents[1])), load_image(p)


def validation_photos(val_images: int, extra_images: int) -> Iterator[tuple[str, np.ndarray]]:
    """imagenette-val's first ``val_images`` and the first ``extra_images`` of each wider split's held-back tenth."""
    for name, count in [("imagenette-val", val_images), *((n, extra_images) for n in EXTRA_SPLITS)]:
        if not count:
            continue
        try:
            split = ZipSplit(name)
        except DatasetNotFoundError as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
            continue
        idx = holdout_indices(len(split))[1] if name in EXTRA_SPLITS else np.arange(len(split))
        step = max(1, len(idx) // count)  # spread over the split, not its first class
        for i in idx[::step][:count]:
            yield f"{name}/{split.records[i].member}", split.rgb(int(i))


def prepare(source: Iterator[tuple[str, np.ndarray]], max_side: int, model: ColorizationModel) -> list[Photo]:
    photos = []
    for label, rgb in source:
        small = downscaled(rgb, max_side)
        logp = log_probabilities(model.network_output(small))
        photos.append(Photo(label, small, rgb8_to_lab(small)[..., 1:], logp))
    return photos


# ------------------------------------------------------------------------------------------------- placements


def true_hint(photo: Photo, x: int, y: int) -> PointHint:
    return PointHint(float(x), float(y), tuple(int(v) for v in photo.rgb8[y, x]))


def random_points(photo: Photo, n: int, seed: int) -> tuple[PointHint, ...]:
    """The first n of a fixed random sequence of pixels of this photo (nested: more hints add to fewer)."""
    h, w = photo.rgb8.shape[:2]
    rng = np.random.default_rng(seed)
    xs, ys = rng.integers(0, w, max(COUNTS)), rng.integers(0, h, max(COUNTS))
    return tuple(true_hint(photo, int(x), int(y)) for x, y in zip(xs[:n], ys[:n], strict=True))


def worst_region_centre(out8: np.ndarray, photo: Photo, taken: tuple[PointHint, ...]) -> tuple[int, int]:
    """(x, y) of the centre (distance-transform maximum) of the largest connected region of smoothed ab error
    above ERROR_THRESHOLD, away from earlier hints; the largest smoothed error if there is no such region."""
    from scipy import ndimage

    err = np.linalg.norm(rgb8_to_lab(out8)[..., 1:] - photo.gt_ab, axis=-1)
    err = ndimage.uniform_filter(err, size=5)
    h, w = err.shape
    free = np.ones((h, w), bool)
    gap = max(1, round(MIN_HINT_GAP * min(h, w)))
    for p in taken:
        x, y = p.pixel
        free[max(0, y - gap): y + gap + 1, max(0, x - gap): x + gap + 1] = False
    mask = (err > ERROR_THRESHOLD) & free
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        y, x = np.unravel_index(np.argmax(np.where(free, err, -1.0)), err.shape)
        return int(x), int(y)
    sizes = np.bincount(labels.ravel())[1:]
    region = labels == (1 + int(np.argmax(sizes)))
    dist = ndimage.distance_transform_edt(region)
    y, x = np.unravel_index(np.argmax(dist), dist.shape)
    return int(x), int(y)


# ---------------------------------------------------------------------------------------------------- methods

Method = Callable[[Photo, tuple[PointHint, ...]], np.ndarray]


def baseline_method(params: BaselineParams) -> Method:
    def run(photo: Photo, points: tuple[PointHint, ...]) -> np.ndarray:
        return apply_ab(photo.rgb8, baseline_ab(photo.rgb8, points, params))

    return run


def distribution_method(centres: np.ndarray, temperature: float, params: HintParams) -> Method:
    def run(photo: Photo, points: tuple[PointHint, ...]) -> np.ndarray:
        return apply_ab(photo.rgb8, hinted_ab(photo.logp, centres, photo.rgb8, Hints(points), temperature, params))

    return run


def network_method(model: ColorizationModel, temperature: float | None = None) -> Method:
    """The hint network (points in as its hint planes), decoded at ``temperature`` (None: its card's)."""

    def run(photo: Photo, points: tuple[PointHint, ...]) -> np.ndarray:
        return model.colorize(photo.rgb8, temperature, Hints(points)).rgb8

    return run


def evaluate(photos: list[Photo], methods: dict[str, Method], placements: tuple[str, ...] = PLACEMENTS,
             counts: tuple[int, ...] = COUNTS, progress: str = "") -> dict[tuple[str, str, int], Tally]:
    tallies: dict[tuple[str, str, int], Tally] = {}
    t0 = time.time()
    for k, photo in enumerate(photos):
        seed = SEED * 100_003 + k
        for name, method in methods.items():
            if "random" in placements:
                for n in counts:
                    tallies.setdefault((name, "random", n), Tally()).add(method(photo, random_points(photo, n, seed)),
                                                                         photo)
            if "worst" in placements:
                points: tuple[PointHint, ...] = ()
                for n in range(max(counts) + 1):
                    out = method(photo, points)
                    if n in counts:
                        tallies.setdefault((name, "worst", n), Tally()).add(out, photo)
                    if n < max(counts):
                        x, y = worst_region_centre(out, photo, points)
                        points = (*points, true_hint(photo, x, y))
        if progress and (k + 1) % 20 == 0:
            print(f"{progress}: {k + 1}/{len(photos)} photos, {time.time() - t0:.0f} s", file=sys.stderr)
    return tallies


def true_palette(photo: Photo, centres: np.ndarray, size: int = PALETTE_SIZE) -> list[tuple[int, int, int]]:
    """The photo's ``size`` most common ab bins (chroma > 10) as rgb at L = 60: the palette a person would give."""
    from models.encoding import nearest_bin

    ab = photo.gt_ab.reshape(-1, 2)
    ab = ab[np.hypot(ab[:, 0], ab[:, 1]) > 10.0]
    if not len(ab):
        return []
    counts = np.bincount(nearest_bin(ab, centres), minlength=len(centres))
    top = [int(q) for q in np.argsort(-counts)[:size] if counts[q] > 0]
    lab = np.array([[60.0, *centres[q]] for q in top], np.float32)
    return [tuple(int(v) for v in c) for c in lab_to_rgb8_keep_lightness(lab)]


def evaluate_palette(photos: list[Photo], centres: np.ndarray, temperature: float, params: HintParams) -> dict:
    """Network alone vs network + a palette of the photo's 5 most common true colours (no points)."""
    plain, hinted = Tally(), Tally()
    for photo in photos:
        plain.add(apply_ab(photo.rgb8, annealed_mean(np.moveaxis(photo.logp, 0, -1), centres, temperature)), photo)
        pal = true_palette(photo, centres)
        out = hinted_ab(photo.logp, centres, photo.rgb8, Hints(palette=tuple(pal)), temperature, params)
        hinted.add(apply_ab(photo.rgb8, out), photo)
    return {"network alone": plain.summary(centres), f"network + palette ({PALETTE_SIZE} true colours)":
            hinted.summary(centres)}


# ------------------------------------------------------------------------------------------------------ tuning

# Each grid brackets the optimum of a first, wider pass (reports/hints/tuned.json keeps every setting tried).
BASELINE_GRID = {"spatial_sigma": [30.0, 60.0, 100.0], "lightness_sigma": [10.0, 15.0, 20.0, 30.0]}
DISTRIBUTION_GRID: dict[str, list[Any]] = {
    "sigma": [80.0, 160.0, 320.0],
    "alpha": [0.5, 1.0, 2.0],
    "beta": [0.0, 5.0],
    "feature_sigma": [0.0, 0.3, 0.5, 0.8],
    "lightness_sigma": [0.0, 15.0, 30.0],
    "colour_sigma": [4.0, 6.0, 10.0, 15.0],
    "network_weight": [0.02, 0.05, 0.1, 0.3],
    "mode": ["pool", "mix", "product"],
    "points_lambda": [0.0, 0.5],
}
TUNE_COUNTS = (1, 5, 10, 20)


def score(tallies: dict[tuple[str, str, int], Tally], name: str) -> float:
    """Mean PSNR over the tuning counts and placements: the tuning objective."""
    return float(np.mean([np.mean(t.psnr) for (m, _, n), t in tallies.items() if m == name and n in TUNE_COUNTS]))


def coordinate_descent(photos: list[Photo], make: Callable[[Any], Method], start: Any, grid: dict[str, list],
                       rounds: int, placements: tuple[str, ...], label: str) -> tuple[Any, list[dict]]:
    """Best params of one method: each parameter in turn over its grid, the others held, ``rounds`` times."""
    tried: dict[str, float] = {}

    def value(p: Any) -> float:
        key = json.dumps(asdict(p), sort_keys=True)
        if key not in tried:
            tallies = evaluate(photos, {label: make(p)}, placements, (0, *TUNE_COUNTS))
            tried[key] = score(tallies, label)
            print(f"  {label} {asdict(p)}: {tried[key]:.3f} dB", file=sys.stderr)
        return tried[key]

    best, best_v = start, value(start)
    for _ in range(rounds):
        improved = False
        for name, values in grid.items():
            for v in values:
                cand = replace(best, **{name: v})
                if (cv := value(cand)) > best_v + 1e-4:
                    best, best_v, improved = cand, cv, True
        if not improved:
            break
    log = [{"params": json.loads(k), "psnr_db": round(v, 3)} for k, v in sorted(tried.items(), key=lambda kv: -kv[1])]
    return best, log


def tune(args: argparse.Namespace, model: ColorizationModel) -> int:
    photos = prepare(validation_photos(args.val_images, args.extra_images), TUNE_SIDE, model)
    if not photos:
        print("error: no validation photos", file=sys.stderr)
        return 2
    t = model.spec.default_temperature
    centres = model.spec.centres
    placements = tuple(args.tune_placements.split(","))
    print(f"tuning on {len(photos)} validation photos ({placements})", file=sys.stderr)
    out: dict[str, Any] = {
        "command": " ".join(["pretext", *sys.argv[1:]]),
        "objective": f"mean PSNR (dB) over {TUNE_COUNTS} hints, placements {list(placements)}",
        "temperature": t,
        "photos": len(photos),
        "sources": sorted({p.label.split("/")[0] for p in photos}),
        "max_side": TUNE_SIDE,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    base, base_log = coordinate_descent(photos, baseline_method, BaselineParams(), BASELINE_GRID, args.rounds,
                                        placements, BASELINE)
    out["baseline"] = {"best": asdict(base), "tried": base_log}
    (args.out / "tuned.json").write_text(json.dumps(out, indent=2) + "\n")  # kept if the long part is cut short
    dist, dist_log = coordinate_descent(photos, lambda p: distribution_method(centres, t, p), HintParams(),
                                        DISTRIBUTION_GRID, args.rounds, placements, DISTRIBUTION)
    modes = {m: next(e["psnr_db"] for e in dist_log if e["params"] == asdict(replace(dist, mode=m)))
             for m in ("pool", "mix", "product") if any(e["params"] == asdict(replace(dist, mode=m)) for e in dist_log)}
    out["distribution"] = {"best": asdict(dist), "modes_at_best": modes, "tried": dist_log}
    (args.out / "tuned.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({"baseline": asdict(base), "distribution": asdict(dist), "modes": modes}, indent=2))
    return 0


def validate(args: argparse.Namespace, model: ColorizationModel) -> int:
    """The methods at random hints on validation photos: the figures a hint network is chosen by."""
    photos = prepare(validation_photos(args.val_images, args.extra_images), TUNE_SIDE, model)
    if not photos:
        print("error: no validation photos", file=sys.stderr)
        return 2
    t = model.spec.default_temperature
    methods = {BASELINE: baseline_method(BaselineParams()),
               DISTRIBUTION: distribution_method(model.spec.centres, t, HintParams())}
    network = ColorizationModel(HINT_MODEL, device="cpu", root=args.models_dir)
    temperatures = args.network_temperatures or [network.spec.default_temperature]
    for nt in temperatures:
        methods[f"{NETWORK} T={nt}"] = network_method(network, nt)
    tallies = evaluate(photos, methods, ("random",), VALIDATION_COUNTS, progress="validation photos")
    results = {m: {str(n): tallies[(m, "random", n)].summary(model.spec.centres) for n in VALIDATION_COUNTS}
               for m in methods}
    out = {"command": " ".join(["pretext", *sys.argv[1:]]), "photos": len(photos), "max_side": TUNE_SIDE,
           "sources": sorted({p.label.split("/")[0] for p in photos}), "model": model.card.version,
           "network_model": network.card.version, "placement": "random", "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validation.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [f"| method | {' | '.join(map(str, VALIDATION_COUNTS))} |", "|---|" + "---|" * len(VALIDATION_COUNTS)]
    for m, r in results.items():
        cells = " | ".join(f"{r[str(n)]['psnr_db']:.2f}" for n in VALIDATION_COUNTS)
        lines.append(f"| {m} | {cells} |")
    print(f"PSNR (dB), {len(photos)} validation photos at <= {TUNE_SIDE} px, random hints; {network.card.version}")
    print("\n".join(lines))
    return 0


# ------------------------------------------------------------------------------------------------------ report


def curves_png(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric, label in ((axes[0], "psnr_db", "PSNR (dB, RGB)"), (axes[1], "auc_raw", "AuC of ab error (%)")):
        for method, placements in results.items():
            for placement, rows in placements.items():
                xs = [int(n) for n in rows]
                ax.plot(xs, [rows[str(n)][metric] for n in xs], marker="o",
                        linestyle="-" if placement == "random" else "--", label=f"{method}, {placement}")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xticks(list(COUNTS), [str(c) for c in COUNTS])
        ax.set_xlabel("hints")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Colour hints on the test photos (hints from the true colours)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def done_check(results: dict) -> dict[str, Any]:
    """The issue's check: 10 random hints, the better method >= baseline + 1 dB; every curve rises."""
    base = results[BASELINE]["random"]["10"]["psnr_db"]
    others = {m: r["random"]["10"]["psnr_db"] for m, r in results.items() if m != BASELINE}
    best = max(others, key=others.get)
    rising = {}
    for method, placements in results.items():
        for placement, rows in placements.items():
            ys = [rows[str(n)]["psnr_db"] for n in COUNTS]
            steady = all(b >= a - 0.05 for a, b in itertools.pairwise(ys))
            rising[f"{method}, {placement}"] = bool(ys[-1] > ys[0] and steady)
    gain = others[best] - base
    return {"better_method": best, "psnr_10_random": others[best], "baseline_psnr_10_random": base,
            "gain_db": round(gain, 3), "gain_pass": bool(gain >= 1.0), "rising": rising,
            "rising_pass": all(rising.values()), "pass": bool(gain >= 1.0 and all(rising.values()))}


def markdown(report: dict) -> str:
    lines = ["# Colour hints (issue #32)", "", f"Command: `{report['command']}`", "",
             f"Test photos: {report['photos']} (`{report['source']}`), downscaled to at most {report['max_side']} px "
             f"on the long side ({report['downscaled']} of them were larger). Model {report['model']}, temperature "
             f"{report['temperature']}. Hints take the true colour of the hinted pixel. Random: the first n of one "
             f"fixed random sequence per photo (seed {SEED}). Worst first: each new hint at the centre of the "
             f"largest region whose ab error exceeds {ERROR_THRESHOLD:g}, in that method's current result.", "",
             f"Parameters (models.hints defaults; tuned on validation, {report['tuned_file']}):", "",
             f"- baseline: `{json.dumps(report['params']['baseline'])}`",
             f"- distribution: `{json.dumps(report['params']['distribution'])}`", ""]
    if report.get("network_note"):
        lines += [f"Hint network: {report['network_note']}", ""]
    elif report.get("network_model"):
        lines += [f"Hint network: {report['network_model']}, temperature {report['network_temperature']} (its "
                  "card's); the points go in as its input planes (models.hints.hint_planes).", ""]
    for placement in PLACEMENTS:
        lines += [f"## {placement} placement", "", "| method | " + " | ".join(f"{n} hints" for n in COUNTS) + " |",
                  "|---|" + "---|" * len(COUNTS)]
        for metric, unit in (("psnr_db", "PSNR dB"), ("auc_raw", "AuC"), ("auc_rebalanced", "AuC rebal.")):
            for method, placements in report["results"].items():
                rows = placements[placement]
                lines.append(f"| {method} ({unit}) | " + " | ".join(f"{rows[str(n)][metric]:.2f}" for n in COUNTS)
                             + " |")
        lines.append("")
    if report.get("palette"):
        lines += ["## Global hint: a palette of the photo's 5 most common true colours (no points)", "",
                  "| | PSNR dB | AuC | AuC rebal. |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['psnr_db']:.2f} | {v['auc_raw']:.2f} | {v['auc_rebalanced']:.2f} |"
                  for k, v in report["palette"].items()]
        lines.append("")
    c = report["done_check"]
    lines += ["## Done-check", "",
              f"- 10 random hints: {c['better_method']} {c['psnr_10_random']:.2f} dB vs baseline "
              f"{c['baseline_psnr_10_random']:.2f} dB, gain {c['gain_db']:+.2f} dB (needs +1): "
              f"{'PASS' if c['gain_pass'] else 'FAIL'}",
              f"- curves rise with the number of hints: {'PASS' if c['rising_pass'] else 'FAIL'} "
              + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in c["rising"].items()),
              f"- overall: {'PASS' if c['pass'] else 'FAIL'}", "", "![curves](curves.png)", ""]
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="colorization")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=Path("reports/hints"))
    p.add_argument("--photos-limit", type=int, default=None, help="first N test photos (default all)")
    p.add_argument("--tune", action="store_true", help="tune on validation photos and write OUT/tuned.json")
    p.add_argument("--val-images", type=int, default=40, help="--tune, --validation: imagenette-val photos")
    p.add_argument("--extra-images", type=int, default=25,
                   help="--tune, --validation: held-back photos of each wider split")
    p.add_argument("--rounds", type=int, default=1, help="--tune: coordinate-descent rounds")
    p.add_argument("--tune-placements", default="random", help="--tune: placements in the objective")
    p.add_argument("--no-palette", action="store_true", help="skip the palette table")
    p.add_argument("--validation", action="store_true",
                   help="the three methods at random hints on the validation photos (OUT/validation.json); needs "
                        "the hint network")
    p.add_argument("--network-temperatures", type=float, nargs="+", default=None,
                   help="--validation: decode the hint network at each of these (default its card's)")


def run(args: argparse.Namespace) -> int:
    try:
        model = ColorizationModel(args.model, device="cpu", root=args.models_dir)
        if model.spec.output != "logits":
            print("error: the distribution method needs a model that predicts a distribution", file=sys.stderr)
            return 2
        if args.tune:
            return tune(args, model)
        if args.validation:
            return validate(args, model)
        network, network_note = None, None
        try:
            network = ColorizationModel(HINT_MODEL, device="cpu", root=args.models_dir)
        except ModelNotAvailableError as exc:
            network_note = f"not evaluated: {exc}"
        raw = list(test_photos(args.photos_limit))
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    downscaled_n = sum(max(rgb.shape[:2]) > MAX_SIDE for _, rgb in raw)
    photos = prepare(iter(raw), MAX_SIDE, model)
    del raw
    t = model.spec.default_temperature
    methods = {BASELINE: baseline_method(BaselineParams()),
               DISTRIBUTION: distribution_method(model.spec.centres, t, HintParams())}
    if network is not None:
        methods[NETWORK] = network_method(network)  # at its own card's temperature
    tallies = evaluate(photos, methods, progress="test photos")
    results = {m: {pl: {str(n): tallies[(m, pl, n)].summary(model.spec.centres) for n in COUNTS}
                   for pl in PLACEMENTS} for m in methods}
    tuned = args.out / "tuned.json"
    report = {
        "command": " ".join(["pretext", *sys.argv[1:]]),
        "source": "training.datasets.photo_paths()",
        "photos": len(photos),
        "downscaled": int(downscaled_n),
        "max_side": MAX_SIDE,
        "model": model.card.version,
        "temperature": t,
        "tuned_file": str(tuned) if tuned.is_file() else "no tuned.json yet",
        "params": {"baseline": asdict(BaselineParams()), "distribution": asdict(HintParams())},
        "network_note": network_note,
        "network_model": network.card.version if network is not None else None,
        "network_temperature": network.spec.default_temperature if network is not None else None,
        "results": results,
    }
    if not args.no_palette:
        report["palette"] = evaluate_palette(photos, model.spec.centres, t, HintParams())
    report["done_check"] = done_check(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    curves_png(results, args.out / "curves.png")
    print(markdown(report))
    return 0
