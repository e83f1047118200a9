"""``pretext train rotation``: build the task from arguments and run the loop."""

import argparse
from pathlib import Path

from training.loop import add_loop_arguments, loop_config, run_and_report
from training.sources import add_share_arguments, shares_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/rotation"))
    p.add_argument("--size", type=int, default=64, help="training input side")
    p.add_argument("--tiny-share", type=float, default=0.5)
    p.add_argument("--zoom", type=float, nargs=2, default=(1.0, 1.0), metavar=("MIN", "MAX"),
                   help="imagenette windows of size x z px (z log-uniform in [MIN, MAX]) resized to size")
    add_share_arguments(p)
    add_loop_arguments(p, steps=20000, batch_size=128, batch_help="rotated images per batch (4 per photo)")


def run(args: argparse.Namespace) -> int:
    from training.rotation import RotationConfig, RotationTask

    task = RotationTask(RotationConfig(size=args.size, imagenette_size=args.size + args.size // 4,
                                       tiny_share=args.tiny_share, zoom=tuple(args.zoom),
                                       val_images=args.val_images,
                                       limit=args.limit, shares=shares_of(args)))
    return run_and_report(task, loop_config(args, max_warmup=500), args.out)
