"""``pretext train colorization``: build the task from arguments and run the loop."""

import argparse
import json
import sys
from pathlib import Path

from training.colorization import ColorizationConfig, ColorizationTask
from training.loop import LoopConfig, train


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=["classification", "regression"], default="classification")
    p.add_argument("--out", type=Path, default=None, help="run folder (default runs/colorization-KIND)")
    p.add_argument("--steps", type=int, default=7000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--tiny-share", type=float, default=0.5)
    p.add_argument("--finetune-crop", type=int, default=112)
    p.add_argument("--finetune-share", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N photos of each split")
    p.add_argument("--validate-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-images", type=int, default=300)
    p.add_argument("--prior-images", type=int, default=3000)


def run(args: argparse.Namespace) -> int:
    out = args.out or Path("runs") / f"colorization-{args.kind}"
    task_cfg = ColorizationConfig(
        kind=args.kind,
        crop=args.crop,
        tiny_share=args.tiny_share,
        finetune_crop=args.finetune_crop,
        finetune_share=args.finetune_share,
        prior_images=args.prior_images,
        val_images=args.val_images,
        limit=args.limit,
    )
    loop_cfg = LoopConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        log_every=args.log_every,
        checkpoint_every=args.checkpoint_every,
        validate_every=args.validate_every,
        warmup_steps=min(200, max(1, args.steps // 10)),
    )
    task = ColorizationTask(task_cfg)
    task.total_steps = args.steps
    summary = train(task, loop_cfg, out)
    summary.pop("model")
    summary["command"] = " ".join(["pretext", *sys.argv[1:]])
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0
