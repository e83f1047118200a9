"""``pretext evaluate context``: what each shortcut defence of context prediction buys, measured.

Doersch et al. (2015) guard the relative-position task against trivial solutions: a gap between the
patches, jitter, colour projection and channel dropping (``training.context``), and argue that without them
the network solves the task by low-level cues and learns worse features. Here every defence is an option of
``pretext train context``, and this command compares runs that differ in them (by default the five ablation
runs: all defences, and each one removed; the reference is the run with all four on). Per run, on
imagenette-val photos, each asked all eight positions with the grid centred:

- pretext accuracy under the run's own setting (its gap and colour projection; no jitter or dropping, as
  ``ContextTask.validate``);
- under one common protocol, the reference run's gap and projection, so that the runs are comparable: a run
  that leaned on a cue the protocol takes away (touching borders, the green-magenta axis) loses there;
- on gray photos under the common protocol: how much the run leans on colour at all, chromatic aberration
  included (a gray photo has no green-magenta component left to project away);
- the transfer figure of its patch encoder's trunk: linear top-1 on imagenette per block, exactly as
  ``pretext evaluate transfer`` probes every other model (``training.evaluate_transfer.probe_blocks``).

``--main-run`` adds the shipped run's accuracies, also on the held-back tenth of the wider splits it trained on.
"""

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.colorization import gray_rgb8
from training.context import ContextConfig, ContextNet, accuracy
from training.datasets import ZipSplit
from training.evaluate_transfer import context_input, probe_blocks
from training.export_context import config_from_state, load_checkpoint
from training.sources import load_source

DEFENCES = {"gap": "gap", "jitter": "jitter", "project_colour": "colour projection",
            "channel_drop_prob": "channel dropping"}
ABLATIONS = ("full", "no-gap", "no-jitter", "no-projection", "no-drop")
DEFAULT_RUNS = tuple(Path(f"runs/context-abl-{name}") for name in ABLATIONS)
BOOKKEEPING = {"val_images", "limit"}  # config keys that do not change what a run learns
ALL_DEFENCES = "none (all defences)"


@dataclass
class Run:
    """One training run's network (eval mode), its task config and how far it trained."""

    path: Path
    model: ContextNet
    cfg: ContextConfig
    step: int
    finished: bool  # summary.json written: the run ended rather than being still at work or killed


def load_run(path: Path) -> Run:
    model, ck = load_checkpoint(path)
    return Run(path, model, config_from_state(ck["task"]), int(ck["step"]), (path / "summary.json").is_file())


def has_all_defences(cfg: ContextConfig) -> bool:
    return cfg.gap > 0 and cfg.jitter > 0 and cfg.project_colour and cfg.channel_drop_prob > 0


def reference_of(runs: list[Run]) -> Run:
    """The run the others are compared with: the first with all four defences on, else the first."""
    return next((r for r in runs if has_all_defences(r.cfg)), runs[0])


def removed(cfg: ContextConfig, ref: ContextConfig) -> list[str]:
    """The defences whose setting differs from the reference's, by name."""
    mine, theirs = cfg.defences(), ref.defences()
    return [DEFENCES[k] for k in DEFENCES if mine[k] != theirs[k]]


def other_differences(cfg: ContextConfig, ref: ContextConfig) -> list[str]:
    """Settings other than the defences in which a run differs from the reference (they muddy the comparison)."""
    mine, theirs = asdict(cfg), asdict(ref)
    return [f"{k}={mine[k]}" for k in mine if k not in DEFENCES and k not in BOOKKEEPING and mine[k] != theirs[k]]


def common_config(cfg: ContextConfig, ref: ContextConfig) -> ContextConfig:
    """``cfg`` (its patch and photo side) with the reference's gap, jitter and colour projection."""
    return replace(cfg, gap=ref.gap, jitter=ref.jitter, project_colour=ref.project_colour)


class Grayed:
    """Photos read through ``models.colorization.gray_rgb8``: their L kept, a = b = 0."""

    def __init__(self, images: np.ndarray) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: Any) -> np.ndarray:
        return gray_rgb8(np.asarray(self.images[idx]))


def val_photos(side: int, n: int | None) -> np.ndarray:
    """The first n (default all) imagenette-val photos cached at ``side``: (n, side, side, 3) uint8."""
    return ZipSplit("imagenette-val").cached(side, n)


def accuracies(run: Run, ref: ContextConfig, n: int | None) -> dict[str, float]:
    """Pretext accuracy on val: the run's own setting, the common protocol, and gray photos under the latter."""
    photos = val_photos(run.cfg.image_size, n)
    idx = np.arange(len(photos))
    common = common_config(run.cfg, ref)
    return {"own": accuracy(run.model, photos, idx, run.cfg), "common": accuracy(run.model, photos, idx, common),
            "gray": accuracy(run.model, Grayed(photos), idx, common)}


def held_back_accuracies(run: Run, n: int | None) -> dict[str, dict[str, Any]]:
    """Own-setting accuracy on the held-back tenth of each wider split the run trained on (of the photos it
    trained with: its ``limit``, as its validation did)."""
    out = {}
    for name, share in run.cfg.shares.items():
        if share > 0:
            src = load_source(name, run.cfg.image_size, run.cfg.limit)
            idx = src.val[:n]
            out[name] = {"photos": len(idx), "accuracy": accuracy(run.model, src.images, idx, run.cfg)}
    return out


@dataclass(frozen=True)
class ProbeData:
    """imagenette photos and labels for the transfer probe."""

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    grid: int
    iters: int

    @classmethod
    def load(cls, size: int, grid: int, iters: int, train_images: int | None, val_images: int | None) -> "ProbeData":
        train, val = ZipSplit("imagenette-train"), ZipSplit("imagenette-val")
        xtr, xte = train.cached(size, train_images), val.cached(size, val_images)
        return cls((xtr, train.labels[: len(xtr)]), (xte, val.labels[: len(xte)]), grid, iters)


def transfer(run: Run, data: ProbeData) -> dict[str, Any]:
    """The run's trunk probed per block, with the input it trained on (projected colour or not)."""
    kind = context_input(run.cfg.project_colour)
    res = probe_blocks(run.model.encoder.trunk.eval(), kind, data.train, data.test, data.grid, data.iters)
    best = max(res["blocks"], key=lambda b: b["top1"])
    return {"input": kind, **res, "best_block": best["block"]}


def evaluate_run(run: Run, ref: Run, n: int | None, data: ProbeData | None) -> dict[str, Any]:
    """Everything the table says about one run, with the seconds each part took."""
    t0 = time.time()
    acc = accuracies(run, ref.cfg, n)
    t1 = time.time()
    probe = transfer(run, data) if data else None
    t2 = time.time()
    gone = removed(run.cfg, ref.cfg)
    row = {"run": str(run.path), "removed": gone, "label": " + ".join(gone) or ALL_DEFENCES,
           "reference": run is ref, "defences": run.cfg.defences(), "steps": run.step, "finished": run.finished,
           "other_differences": other_differences(run.cfg, ref.cfg), "accuracy": acc, "transfer": probe,
           "seconds": {"accuracy": round(t1 - t0, 1), "transfer": round(t2 - t1, 1)}}
    print(f"{row['label']} ({run.path}): own {pct(acc['own'])}, common {pct(acc['common'])}, gray "
          f"{pct(acc['gray'])}" + (f", transfer {pct(probe['best_top1'])} (block {probe['best_block']})"
                                   if probe else "")
          + f"; {t1 - t0:.0f} s accuracy, {t2 - t1:.0f} s transfer", file=sys.stderr)
    return row


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def points(x: float) -> str:
    return f"{100 * x:+.1f}"


def noise(p: float, n: int) -> float:
    """Twice the standard error of the difference of two independent proportions near p on n photos."""
    return 2.0 * math.sqrt(2.0 * p * (1.0 - p) / max(n, 1))


def run_sentence(row: dict[str, Any], ref: dict[str, Any], photos: int) -> str:
    """What the numbers say about one removed defence, relative to the reference run."""
    acc, base = row["accuracy"], ref["accuracy"]
    d_own, d_common = acc["own"] - base["own"], acc["common"] - base["common"]
    thr = noise(base["own"], photos)
    ease = "easier than" if d_own > thr else "harder than" if d_own < -thr else "about as hard as"
    text = (f"With {row['label']} removed, the task under the run's own setting is {ease} with every defence "
            f"({pct(acc['own'])}% against {pct(base['own'])}%, {points(d_own)} points); under the common protocol "
            f"it places {pct(acc['common'])}% ({points(d_common)})")
    if acc["own"] - acc["common"] > thr:
        text += (f", {pct(acc['own'] - acc['common'])} points below its own setting: part of what it learned "
                 "was a cue the common protocol takes away")
    text += (f". Gray photos move it by {points(acc['gray'] - acc['common'])} points (the reference: "
             f"{points(base['gray'] - base['common'])})")
    if row["transfer"] and ref["transfer"]:
        t, tb = row["transfer"]["best_top1"], ref["transfer"]["best_top1"]
        verdict = ("within noise" if abs(t - tb) <= noise(tb, photos) else
                   "the defence helps the features" if t < tb else "the defence costs features")
        text += (f"; its best transfer block gives {pct(t)}% against {pct(tb)}% ({points(t - tb)} points: "
                 f"{verdict})")
    return text + "."


def interpretation(report: dict[str, Any]) -> str:
    """A paragraph generated from the table's numbers only."""
    rows = report["runs"]
    ref = next(r for r in rows if r["reference"])
    others = [r for r in rows if not r["reference"]]
    if not others:
        return "Only one run was evaluated: there is nothing to compare it with."
    parts = [run_sentence(r, ref, report["val_images"]) for r in others]
    parts.append(f"Pretext accuracies within {100 * noise(ref['accuracy']['own'], report['val_images']):.1f} points "
                 f"of the reference count as no change (twice the standard error of a difference on "
                 f"{report['val_images']} photos, a photo's eight positions counted as one)")
    if ref["transfer"]:
        thr = noise(ref["transfer"]["best_top1"], report["val_images"])
        diffs = {r["label"]: r["transfer"]["best_top1"] - ref["transfer"]["best_top1"] for r in others
                 if r["transfer"]}
        lowered = [name for name, d in diffs.items() if d < -thr]
        raised = [name for name, d in diffs.items() if d > thr]
        moved = ([f"removing {', '.join(lowered)} lowered it"] if lowered else []) + \
                ([f"removing {', '.join(raised)} raised it"] if raised else [])
        parts.append(f"Transfer: {' and '.join(moved) if moved else 'no removal moved it'} by more than "
                     f"{100 * thr:.1f} points (twice the standard error of a difference of two top-1 figures on "
                     f"{report['val_images']} photos)")
    steps = sorted({r["steps"] for r in rows})
    parts.append("Each run is one seed" + (f", and the runs trained {steps[0]} to {steps[-1]} steps in the same "
                                            "time budget" if len(steps) > 1 else "")
                 + ": run-to-run variation is not in the noise figure, so differences near it are not evidence")
    return " ".join(p if p.endswith(".") else p + "." for p in parts)


def defence_cells(d: dict[str, Any]) -> str:
    return (f"{d['gap']} | {d['jitter']} | {'yes' if d['project_colour'] else 'no'} | "
            f"{d['channel_drop_prob']:g}")


def markdown(report: dict[str, Any]) -> str:
    rows = report["runs"]
    ref = next(r for r in rows if r["reference"])
    common = report["common_protocol"]
    lines = [
        "# Context prediction: the shortcut defences, measured",
        "",
        f"Each run's pretext accuracy on the first {report['val_images']} imagenette-val photos, every photo asked all "
        "eight positions (grid centred, no jitter or channel dropping): under the run's own gap and colour "
        f"projection, under the common protocol (gap {common['gap']} px, colour "
        f"{'projected' if common['project_colour'] else 'not projected'}: the reference run's setting) and on gray "
        "photos under the common protocol. "
        + (f"Transfer: the patch encoder's trunk frozen, linear top-1 on the same imagenette-val photos after fitting "
           f"on {report['train_images']} imagenette-train photos, {report['size']} px whole photos, maps pooled to "
           f"{report['grid']}x{report['grid']} (as `pretext evaluate transfer`). "
           if report["train_images"] else "Transfer: not measured (`--no-transfer`). ")
        + "All in %; chance is 12.5% for the positions and 10% for transfer.",
        "",
        "| defence removed | run | gap | jitter | projection | channel drop | steps | own-protocol accuracy "
        "| common-protocol accuracy | gray photos | transfer best (block) | transfer minus the full run |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        acc, probe = r["accuracy"], r["transfer"]
        best = f"{pct(probe['best_top1'])} ({probe['best_block']})" if probe else "n/a"
        delta = (points(probe["best_top1"] - ref["transfer"]["best_top1"]) if probe and ref["transfer"]
                 and r is not ref else "-")
        lines.append(f"| {r['label']} | `{r['run']}` | {defence_cells(r['defences'])} | {r['steps']}"
                     f"{'' if r['finished'] else ' (unfinished)'} | {pct(acc['own'])} | {pct(acc['common'])} | "
                     f"{pct(acc['gray'])} | {best} | {delta} |")
    if ref["transfer"]:
        n_blocks = max(len(r["transfer"]["blocks"]) for r in rows if r["transfer"])
        lines += ["", "Transfer per block (linear top-1, %):", "",
                  "| defence removed | input | " + " | ".join(f"block {i}" for i in range(1, n_blocks + 1)) + " |",
                  "|---|---|" + "---|" * n_blocks]
        for r in rows:
            if r["transfer"]:
                lines.append(f"| {r['label']} | {r['transfer']['input']} | "
                             + " | ".join(pct(b["top1"]) for b in r["transfer"]["blocks"]) + " |")
    odd = [f"`{r['run']}`: {', '.join(r['other_differences'])}" for r in rows if r["other_differences"]]
    if odd:
        lines += ["", "Settings other than the defences that differ from the reference: " + "; ".join(odd)]
    lines += ["", "## What the numbers say", "", report["interpretation"]]
    main = report.get("main_run")
    if main:
        acc = main["accuracy"]
        lines += ["", f"## The shipped run: `{main['run']}` (step {main['steps']})", "",
                  f"Own setting {pct(acc['own'])}%, common protocol {pct(acc['common'])}%, gray photos "
                  f"{pct(acc['gray'])}% on the same imagenette-val photos."]
        for name, h in main["held_back"].items():
            lines.append(f"- {name}, the held-back tenth ({h['photos']} photos, never trained on): "
                         f"{pct(h['accuracy'])}%")
    if report["missing"]:
        lines += ["", "Left out: " + "; ".join(report["missing"])]
    lines += ["", f"Command: `{report['command']}` ({report['seconds']:.0f} s)", ""]
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", nargs="+", type=Path, default=list(DEFAULT_RUNS),
                   help="training runs that differ in their defences (default: the five ablation runs)")
    p.add_argument("--main-run", type=Path, default=None, help="the shipped run, e.g. runs/context: its accuracies")
    p.add_argument("--val-images", type=int, default=None, help="first N imagenette-val photos (default all 3,846)")
    p.add_argument("--train-images", type=int, default=None,
                   help="first N imagenette-train photos to fit the transfer probe on (default all 9,272)")
    p.add_argument("--no-transfer", action="store_true", help="pretext accuracies only (minutes instead of tens)")
    p.add_argument("--size", type=int, default=64, help="photo side for the transfer probe")
    p.add_argument("--grid", type=int, default=4, help="pooling grid per block for the transfer probe")
    p.add_argument("--iters", type=int, default=150, help="L-BFGS iterations per probe fit")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("reports/context"))


def load_runs(paths: list[Path]) -> tuple[list[Run], list[str]]:
    """The runs with a checkpoint, and a note for each without one."""
    runs, missing = [], []
    for path in paths:
        if (path / "checkpoint.pt").is_file():
            runs.append(load_run(path))
        else:
            missing.append(f"{path}: no checkpoint.pt")
    return runs, missing


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.time()
    runs, missing = load_runs(args.runs)
    if not runs:
        print("error: none of the runs has a checkpoint: " + "; ".join(missing), file=sys.stderr)
        return 2
    ref = reference_of(runs)
    data = None
    if not args.no_transfer:
        data = ProbeData.load(args.size, args.grid, args.iters, args.train_images, args.val_images)
        print(f"transfer photos: {len(data.train[0])} train, {len(data.test[0])} val ({time.time() - t0:.0f} s)",
              file=sys.stderr)
    rows = [evaluate_run(r, ref, args.val_images, data) for r in runs]
    report: dict[str, Any] = {
        "command": " ".join(["pretext", *sys.argv[1:]]),
        "val_images": len(val_photos(ref.cfg.image_size, args.val_images)),
        "train_images": len(data.train[0]) if data else None,
        "size": args.size, "grid": args.grid, "iters": args.iters,
        "reference": str(ref.path),
        "common_protocol": {"gap": ref.cfg.gap, "project_colour": ref.cfg.project_colour},
        "runs": rows,
        "missing": missing,
    }
    report["interpretation"] = interpretation(report)
    if args.main_run:
        main = load_run(args.main_run)
        report["main_run"] = {"run": str(main.path), "steps": main.step, "defences": main.cfg.defences(),
                              "accuracy": accuracies(main, ref.cfg, args.val_images),
                              "held_back": held_back_accuracies(main, args.val_images)}
    report["seconds"] = round(time.time() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0
