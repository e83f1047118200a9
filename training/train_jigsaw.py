"""``pretext train jigsaw``: build the task from arguments and run the loop."""

import argparse
from pathlib import Path

from models.jigsaw import DEFAULT_SET_SEED, DEFAULT_SET_SIZE
from training.jigsaw import JigsawConfig, JigsawTask
from training.loop import add_loop_arguments, loop_config, run_and_report
from training.nets import WIDTHS


def widths(text: str) -> tuple[int, ...]:
    """'32,64,128,160' -> (32, 64, 128, 160); the trunk takes exactly four block widths."""
    out = tuple(int(v) for v in text.split(","))
    if len(out) != 4:
        raise argparse.ArgumentTypeError("--widths takes four comma-separated integers")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/jigsaw"), help="run folder")
    p.add_argument("--tile", type=int, default=32, help="tile side in pixels")
    p.add_argument("--cell", type=int, default=38, help="cell side in pixels (crop = 3 cells)")
    p.add_argument("--image-size", type=int, default=128, help="imagenette cache size to crop from")
    p.add_argument("--set-size", type=int, default=DEFAULT_SET_SIZE, help="permutation classes")
    p.add_argument("--set-seed", type=int, default=DEFAULT_SET_SEED)
    p.add_argument(
        "--uniform-share", type=float, default=0.5, help="share of puzzles shuffled uniformly, for the cell head"
    )
    p.add_argument(
        "--no-augment",
        action="store_true",
        help="turn off colour jitter, grayscale, channel dropping and channel shift",
    )
    p.add_argument("--jitter", type=float, default=1.0, help="colour jitter strength")
    p.add_argument("--gray-prob", type=float, default=0.3)
    p.add_argument("--channel-drop-prob", type=float, default=0.1)
    p.add_argument("--channel-shift", type=int, default=1)
    p.add_argument("--aspect", type=float, default=1.0,
                   help="largest aspect ratio of training crops, squeezed square as serving does (1 = square)")
    p.add_argument("--widths", type=widths, default=WIDTHS, help="trunk block widths")
    p.add_argument("--dim", type=int, default=256, help="tile feature size")
    p.add_argument("--hidden", type=int, default=512, help="hidden units of the permutation head")
    p.add_argument("--cell-width", type=int, default=128, help="token width of the relational cell head")
    p.add_argument("--cell-layers", type=int, default=2, help="self-attention blocks of the cell head")
    p.add_argument("--neighbour-strip", type=int, default=0,
                   help="add the solver's neighbour head reading seams of this many pixels per tile (0 = none)")
    p.add_argument("--neighbour-width", type=int, default=48, help="channels of the neighbour head")
    p.add_argument("--neighbour-negatives", type=int, default=12,
                   help="wrong pairs per direction per photo for the neighbour head (6 right ones)")
    p.add_argument("--neighbours-only", action="store_true",
                   help="train only the neighbour head; the encoder and pretext heads stay as initialised")
    add_loop_arguments(p, steps=6000, batch_help="puzzles per step")


def task_config(args: argparse.Namespace) -> JigsawConfig:
    return JigsawConfig(
        tile=args.tile,
        cell=args.cell,
        image_size=args.image_size,
        set_size=args.set_size,
        set_seed=args.set_seed,
        uniform_share=args.uniform_share,
        augment=not args.no_augment,
        jitter=args.jitter,
        gray_prob=args.gray_prob,
        channel_drop_prob=args.channel_drop_prob,
        channel_shift=args.channel_shift,
        aspect=args.aspect,
        widths=tuple(args.widths),
        dim=args.dim,
        hidden=args.hidden,
        cell_width=args.cell_width,
        cell_layers=args.cell_layers,
        neighbour_strip=args.neighbour_strip,
        neighbour_width=args.neighbour_width,
        neighbour_negatives=args.neighbour_negatives,
        neighbours_only=args.neighbours_only,
        val_images=args.val_images,
        limit=args.limit,
    )


def run(args: argparse.Namespace) -> int:
    return run_and_report(JigsawTask(task_config(args)), loop_config(args), args.out)
