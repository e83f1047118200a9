"""``pretext train colorization``: build the task from arguments and run the loop."""

import argparse
from pathlib import Path

from training.colorization import ColorizationConfig, ColorizationTask
from training.loop import add_loop_arguments, loop_config, run_and_report
from training.sources import add_share_arguments, shares_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=["classification", "regression"], default="classification")
    p.add_argument("--out", type=Path, default=None,
                   help="run folder (default runs/colorization-KIND, runs/colorization-hints with --hints)")
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
    p.add_argument("--hints", action="store_true",
                   help="train the hint network (card colorization-hints): L plus 3 planes of colour hints sampled "
                        "from the true colours; warm-start it from the plain model with --init-from")
    p.add_argument("--max-hints", type=int, default=20, help="--hints: at most this many points per photo")
    p.add_argument("--hint-patch", type=int, default=5,
                   help="--hints: a hint's colour is the true ab averaged over a square of side 1, 3, ..., this")
    p.add_argument("--hint-gain", type=float, default=100.0,
                   help="--hints: the points' planes are multiplied by this inside the network, so their weights "
                        "(zero at a warm start) learn this many times faster than the warm-started ones")
    p.add_argument("--mean-loss", type=float, default=0.0,
                   help="add this times the squared error of the distribution's mean (T = 1), in units of 10 ab")
    p.add_argument("--no-rebalance", dest="rebalance", action="store_false",
                   help="plain cross-entropy, no class rebalancing (the hint network: its posterior is judged)")
    add_share_arguments(p)
    add_loop_arguments(p, steps=7000, val_images=300)


def run(args: argparse.Namespace) -> int:
    out = args.out or Path("runs") / ("colorization-hints" if args.hints else f"colorization-{args.kind}")
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
        hints=args.hints,
        max_hints=args.max_hints,
        hint_patch=args.hint_patch,
        hint_gain=args.hint_gain,
        rebalance=args.rebalance,
        mean_loss=args.mean_loss,
    )
