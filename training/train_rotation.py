"""``pretext train rotation``: build the task from arguments and run the loop."""

import argparse
import json
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/rotation"))
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch-size", type=int, default=128, help="rotated images per batch (4 per photo)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--size", type=int, default=64, help="training input side")
    p.add_argument("--tiny-share", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N photos of each split")
    p.add_argument("--validate-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-images", type=int, default=500)


def run(args: argparse.Namespace) -> int:
    from training.loop import LoopConfig, train
    from training.rotation import RotationConfig, RotationTask

    task = RotationTask(RotationConfig(size=args.size, imagenette_size=args.size + args.size // 4,
                                       tiny_share=args.tiny_share, val_images=args.val_images,
                                       limit=args.limit))
    cfg = LoopConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                     device=args.device, threads=args.threads, log_every=args.log_every,
                     checkpoint_every=args.checkpoint_every, validate_every=args.validate_every,
                     warmup_steps=min(500, max(1, args.steps // 10)))
    summary = train(task, cfg, args.out)
    summary.pop("model")
    summary["command"] = " ".join(["pretext", *sys.argv[1:]])
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0
