"""``pretext evaluate colorization-sweep``: choose serving resolution and temperature on imagenette-val.

Chosen on validation photos only, never on the test photos, so the shipped settings are tuned
for photos in general.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from models.color import rgb8_to_lab
from models.colorization import apply_ab, decode_output, gray_rgb8
from models.colorization_model import ColorizationModel
from models.encoding import rebalance_weights, smooth_prior
from training.cli_types import sides
from training.datasets import ZipSplit
from training.metrics import Tally, colorfulness


def mirror_settings(text: str) -> list[bool] | None:
    """'off', 'on' or 'off,on' -> the mirror-ensemble settings to sweep; 'card' -> None (the card's)."""
    if text == "card":
        return None
    names = text.split(",")
    if not names or any(n not in ("off", "on") for n in names):
        raise argparse.ArgumentTypeError(f"--mirror-ensemble takes off, on, off,on or card, got {text!r}")
    return [n == "on" for n in names]


def side_settings(text: str) -> list[tuple[int, ...]]:
    """'160,192+256' -> [(160,), (192, 256)]: each setting's sides, '+' joining an ensemble of scales."""
    return [tuple(sides(item.replace("+", ","))) for item in text.split(",")]


def side_label(setting: tuple[int, ...]) -> int | str:
    """(192,) -> 192; (192, 256) -> '192+256', the form --sides and the card's list read back."""
    return setting[0] if len(setting) == 1 else "+".join(map(str, setting))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="colorization")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--sides", type=side_settings, default="64,96,128,160,192",
                   help="comma-separated settings; '+' averages several sides, e.g. 192,160+224")
    p.add_argument("--temperatures", default="0.2,0.3,0.38,0.5,1.0")
    p.add_argument("--alphas", default="0", help="prior corrections: logits - alpha * log(rebalancing weight)")
    p.add_argument("--mirror-ensemble", type=mirror_settings, default="card", help="'off', 'on', 'off,on' or 'card'")
    p.add_argument("--val-images", type=int, default=300)
    p.add_argument("--raw-margin", type=float, default=0.5, help="raw AuC may trail gray's by this much")
    p.add_argument("--min-colourfulness", type=float, default=0.7, help="share of the truth's colourfulness")
    p.add_argument("--offset", type=int, default=1000, help="first val image (kept apart from the report's)")
    p.add_argument("--out", type=Path, default=Path("reports/colorization/sweep.json"))


def run(args: argparse.Namespace) -> int:
    model = ColorizationModel(args.model, device="cpu", root=args.models_dir)
    split = ZipSplit("imagenette-val")
    idx = range(args.offset, min(len(split), args.offset + args.val_images))
    photos = [split.rgb(i) for i in idx]
    temps = [float(t) for t in args.temperatures.split(",")]
    alphas = [float(a) for a in args.alphas.split(",")]
    log_w = np.log(rebalance_weights(smooth_prior(np.asarray(model.card.prior), model.spec.centres)))
    gt_c = float(np.mean([colorfulness(r) for r in photos]))
    gray = Tally(hue=False)  # gray output has no hue
    for rgb in photos:
        gray.add(gray_rgb8(rgb), rgb, rgb8_to_lab(rgb))
    rows = [{"side": 0, "temperature": "gray", **gray.summary(model.spec.centres, gt_c)}]
    mirrors = args.mirror_ensemble or [model.spec.mirror_ensemble]
    for setting, mirror in ((s, m) for s in args.sides for m in mirrors):
        object.__setattr__(model.spec, "serve_short_side", setting[0])
        object.__setattr__(model.spec, "extra_short_sides", setting[1:])
        object.__setattr__(model.spec, "mirror_ensemble", mirror)
        tallies = {(a, t): Tally() for a in alphas for t in temps}
        for rgb in photos:
            gt_lab = rgb8_to_lab(rgb)
            out = model.network_output(rgb)
            for a, t in tallies:
                corrected = out - a * log_w[None, :, None, None]
                tallies[a, t].add(apply_ab(rgb, decode_output(corrected, model.spec, t)), rgb, gt_lab)
        for (a, t), tally in tallies.items():
            row = {"side": side_label(setting), "mirror": mirror, "alpha": a, "temperature": t,
                   **tally.summary(model.spec.centres, gt_c)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    chosen = choose(rows, args.raw_margin, args.min_colourfulness)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows, "chosen": chosen,
                                    "rule": {"raw_margin": args.raw_margin,
                                             "min_colourfulness": args.min_colourfulness}}, indent=2) + "\n")
    print("| side | mirror | alpha | T | AuC raw | AuC rebalanced | colourfulness vs truth | PSNR |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['side']} | {r.get('mirror', '')} | {r.get('alpha', '')} | {r['temperature']} | "
              f"{r['auc_raw']} | {r['auc_rebalanced']} | "
              f"{r['colorfulness_vs_truth']} | {r['psnr_db']} |")
    print(f"chosen: {json.dumps(chosen)}")
    return 0


def choose(rows: list[dict], raw_margin: float, min_colourfulness: float) -> dict | None:
    """Best rebalanced AuC among settings whose raw AuC is within raw_margin of gray's and whose
    colourfulness is at least min_colourfulness of the truth's."""
    gray = next(r for r in rows if r["temperature"] == "gray")
    ok = [r for r in rows if r["temperature"] != "gray"
          and r["auc_raw"] >= gray["auc_raw"] - raw_margin
          and r["colorfulness_vs_truth"] >= min_colourfulness]
    return max(ok, key=lambda r: r["auc_rebalanced"]) if ok else None
