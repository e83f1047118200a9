"""``pretext train supervised``: the shared trunk on imagenette labels (the transfer table's upper bound)."""

import argparse
from pathlib import Path

from training.loop import add_loop_arguments, loop_config, run_and_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/supervised"))
    p.add_argument("--size", type=int, default=64, help="training input side")
    add_loop_arguments(p, steps=3000, batch_size=64, val_images=1000)


def run(args: argparse.Namespace) -> int:
    from training.supervised import SupervisedConfig, SupervisedTask

    cfg = SupervisedConfig(size=args.size, imagenette_size=args.size + args.size // 4, val_images=args.val_images,
                           limit=args.limit)
    return run_and_report(SupervisedTask(cfg), loop_config(args), args.out)
