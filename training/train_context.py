"""``pretext train context``: build the relative-position task from arguments and run the loop."""

import argparse
from pathlib import Path

from training.loop import add_loop_arguments, loop_config, run_and_report
from training.sources import add_share_arguments, shares_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/context"))
    p.add_argument("--patch", type=int, default=32, help="patch side in pixels (a multiple of 8)")
    p.add_argument("--image-size", type=int, default=128, help="side photos are cached at; the grid is cut from it")
    defences = p.add_argument_group("shortcut defences (Doersch et al. 2015); each can be turned off")
    defences.add_argument("--gap", type=int, default=12, help="pixels between neighbouring patches (0 = none)")
    defences.add_argument("--jitter", type=int, default=3, help="largest shift of the neighbour, pixels (0 = none)")
    defences.add_argument("--no-colour-projection", dest="project_colour", action="store_false",
                          help="keep the green-magenta axis (chromatic aberration stays readable)")
    defences.add_argument("--channel-drop", type=float, default=0.25,
                          help="chance that a patch keeps only one colour channel (0 = never)")
    add_share_arguments(p)
    add_loop_arguments(p, steps=6000, batch_size=96, batch_help="patch pairs per batch")


def run(args: argparse.Namespace) -> int:
    from training.context import ContextConfig, ContextTask

    cfg = ContextConfig(patch=args.patch, gap=args.gap, jitter=args.jitter, project_colour=args.project_colour,
                        channel_drop_prob=args.channel_drop, image_size=args.image_size,
                        val_images=args.val_images, limit=args.limit, shares=shares_of(args))
    return run_and_report(ContextTask(cfg), loop_config(args), args.out)
