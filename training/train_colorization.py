"""``pretext train colorization``: build the task from arguments and run the loop."""

import argparse
from pathlib import Path

from training.colorization import ColorizationConfig, ColorizationTask
from training.loop import add_loop_arguments, loop_config, run_and_report
from training.sources import add_share_arguments, shares_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=["classification", "regression"], default="classification")
    p.add_argument("--out", type=Path, default=None, help="run folder (default runs/colorization-KIND)")
    p.add_argument("--crop", type=int, default=64)
    p.add_argument(
        "--imagenette-size", type=int, default=128, help="side imagenette photos are cached at; crops come from it"
    )
    p.add_argument("--tiny-share", type=float, default=0.5)
    p.add_argument("--finetune-crop", type=int, default=112)
    p.add_argument("--finetune-share", type=float, default=0.1)
    p.add_argument("--tiny-batches", type=float, default=0.0,
                   help="share of steps that train on a whole batch of 64 px Tiny ImageNet photos")
    p.add_argument("--zoom", type=float, nargs=2, default=(1.0, 1.0), metavar=("MIN", "MAX"),
                   help="imagenette windows of crop x z px (z log-uniform in [MIN, MAX]) resized to the crop")
    p.add_argument("--prior-images", type=int, default=3000)
    add_share_arguments(p)
    add_loop_arguments(p, steps=7000, val_images=300)


def run(args: argparse.Namespace) -> int:
    out = args.out or Path("runs") / f"colorization-{args.kind}"
    task = ColorizationTask(colorization_config(args))
    task.total_steps = args.steps
    return run_and_report(task, loop_config(args), out)


def colorization_config(args: argparse.Namespace) -> ColorizationConfig:
    return ColorizationConfig(
        kind=args.kind,
        crop=args.crop,
        imagenette_size=args.imagenette_size,
        tiny_share=args.tiny_share,
        finetune_crop=args.finetune_crop,
        finetune_share=args.finetune_share,
        tiny_batches=args.tiny_batches,
        zoom=tuple(args.zoom),
        prior_images=args.prior_images,
        val_images=args.val_images,
        limit=args.limit,
        shares=shares_of(args),
    )
