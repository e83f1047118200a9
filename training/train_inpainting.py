"""``pretext train inpainting``: build the context-encoder task from arguments and run the loop."""

import argparse
from pathlib import Path

from training.loop import add_loop_arguments, loop_config, run_and_report
from training.sources import add_share_arguments, shares_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, help="run folder (default runs/inpainting-MODEL)")
    p.add_argument("--model", choices=["l2", "adversarial"], default="l2",
                   help="l2: reconstruction loss alone; adversarial: plus a discriminator (warm-start it from "
                        "the L2 model with --init-from)")
    p.add_argument("--adversarial-weight", type=float, default=0.001,
                   help="lambda_adv of the adversarial model (the paper's 0.001; lambda_rec = 1 - it)")
    p.add_argument("--side", type=int, default=128, help="training window side")
    p.add_argument("--zoom", type=float, nargs=2, default=(0.8, 1.25), metavar=("MIN", "MAX"),
                   help="windows of side x z px (z log-uniform in [MIN, MAX]) resized to the side")
    p.add_argument("--masks", type=float, nargs=3, default=(0.4, 0.3, 0.3), metavar=("CENTRAL", "BLOCKS", "REGIONS"),
                   help="share of each hole kind: the central square, random blocks, object-shaped regions")
    p.add_argument("--tiny-share", type=float, default=0.0, help="share of each batch from Tiny ImageNet (upscaled)")
    add_share_arguments(p)
    add_loop_arguments(p, steps=3000, batch_size=32, val_images=300)


def run(args: argparse.Namespace) -> int:
    from training.inpainting import InpaintingConfig, InpaintingTask

    cfg = InpaintingConfig(side=args.side, cache_side=args.side + args.side // 4, zoom=tuple(args.zoom),
                           mask_shares=tuple(args.masks), tiny_share=args.tiny_share, shares=shares_of(args),
                           adversarial_weight=args.adversarial_weight if args.model == "adversarial" else 0.0,
                           val_images=args.val_images, limit=args.limit)
    out = args.out or Path(f"runs/inpainting-{args.model}")
    return run_and_report(InpaintingTask(cfg), loop_config(args), out)
