"""A prepared GPU run for issue #35: a wider rotation network, trained against the clock, exported and evaluated.

On a CUDA machine (about 9 minutes of training, a minute or two of caches before it and of export and
evaluation after it)::

    python -m training.gpu_recipe --out runs/gpu-rotation

and the same code path, a few steps of a tiny network on the CPU (what tests/training/test_gpu_recipe.py runs)::

    python -m training.gpu_recipe --out /tmp/gpu-recipe --tiny

What it trains: rotation prediction (training/rotation.py) with a trunk twice as wide as the shipped one
(64, 128, 256, 320; about four times the MACs), at 128 px with close-up zooms (0.5 to 1.25), a fifth of each
batch from Tiny ImageNet and a quarter from the wider splits (imagenet-samples 0.10, flowers-train 0.15,
their held-back tenth never trained on; a split missing from the datasets folder is left out with a note).
Training stops at the first step past ``--minutes`` (the learning rate's cosine follows the clock, so it
reaches zero there), validates and checkpoints, and is still exported. Photos are cut into crops by
threads, several batches ahead, and turned and standardised on the device in bfloat16 autocast.

Everything goes under ``--out``, never into models/weights: ``run/`` (checkpoint, metrics.jsonl, loss
curve, summary.json), ``model/rotation.onnx`` and its card (``training.export_onnx.export_with_card``),
``evaluation/report.json`` and ``report.md`` (``pretext evaluate rotation`` through the serving code: every
4th imagenette-val photo, the wider splits' held-back tenth, the test photos per folder) and
``recipe.json`` (what ran, how long each part took, where everything is). To ship the model after
reading the report, copy ``model/rotation.onnx`` and ``model/rotation.json`` into models/weights.
"""

import argparse
import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import DatasetNotFoundError
from core.settings import PROJECT_ROOT
from models.cards import models_dir
from models.rotation import IMAGE_MEAN, IMAGE_STD
from training.datasets import ZipSplit, split_paths
from training.export_onnx import export_with_card, run_provenance
from training.export_rotation import build_card, onnx_spec
from training.loop import LoopConfig, pick_device, train
from training.rotation import RotationConfig, RotationNet, RotationTask, RotationWithAttention

WIDE = (64, 128, 256, 320)
TINY_WIDTHS = (8, 8, 8, 8)


def device_rotations(x8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, S, S, 3) uint8 on any device -> all four turns standardised, (4B, 3, S, S) float32, and labels (4B,).

    ``models.rotation.rotations`` then ``normalise``, on the device: photo b turned by 90k degrees
    counter-clockwise sits at 4b + k with label k. The result is channels-last in memory.
    """
    b, s = x8.shape[0], x8.shape[1]
    turned = torch.stack([torch.rot90(x8, k, dims=(1, 2)) for k in range(4)], dim=1).reshape(4 * b, s, s, 3)
    mean = torch.as_tensor(IMAGE_MEAN, device=x8.device)
    std = torch.as_tensor(IMAGE_STD, device=x8.device)
    x = (turned.float() / 255.0 - mean) / std
    labels = torch.arange(4, device=x8.device).repeat(b)
    return x.permute(0, 3, 1, 2), labels


class WideRotationTask(RotationTask):
    """``RotationTask`` with a trunk of other widths, batches cut by threads ahead of the loop, and the
    turning, standardising and (on CUDA) bfloat16 autocast done on the device.

    A batch is (photos,) as uint8 (size/4, S, S, 3): a quarter of the bytes of the float batch, and the
    four turns are made where they are used.
    """

    def __init__(self, cfg: RotationConfig, widths: tuple[int, ...], seed: int, workers: int = 0,
                 ahead: int = 4, cuda: bool = False) -> None:
        super().__init__(cfg)
        self.widths, self.seed, self.ahead, self.cuda = tuple(widths), seed, ahead, cuda
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="crops") if workers else None
        self.pending: dict[int, Future] = {}

    def make_model(self) -> nn.Module:
        net = RotationNet(self.widths)
        return net.to(memory_format=torch.channels_last) if self.cuda else net

    def photos(self, rng: np.random.Generator, size: int) -> torch.Tensor:
        x = torch.from_numpy(self.images(rng, max(1, size // 4)))
        return x.pin_memory() if self.cuda else x

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        if self.pool is None:
            return (self.photos(rng, size),)
        # The loop seeds step s's generator with [seed, s]: the threads draw the coming steps' batches alike,
        # so the batches are the ones an unthreaded run draws.
        for s in range(step, step + self.ahead):
            if s not in self.pending:
                self.pending[s] = self.pool.submit(self.photos, np.random.default_rng([self.seed, s]), size)
        for s in [s for s in self.pending if s < step]:
            self.pending.pop(s).cancel()
        return (self.pending.pop(step).result(),)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pending.clear()

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        device = next(model.parameters()).device
        x, y = device_rotations(batch[0].to(device, non_blocking=True))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(x)
        logits = logits.float()
        acc = (logits.argmax(1) == y).float().mean()
        return F.cross_entropy(logits, y), {"accuracy": float(acc)}

    def state(self) -> dict[str, Any]:
        return {"config": vars(self.cfg), "widths": list(self.widths)}


def recipe_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings: the GPU scale, or with --tiny a few steps of a tiny network on a few photos."""
    if args.tiny:
        return {"widths": TINY_WIDTHS, "size": 32, "imagenette_size": 40, "limit": 40, "val_images": 8,
                "batch_size": 16, "steps": args.steps or 4, "warmup_steps": 1, "log_every": 1,
                "validate_every": 1000, "checkpoint_every": 1000, "workers": 1, "device": "cpu",
                "eval": ["--val-images", "4", "--extra-images", "2", "--photos-limit", "3"]}
    return {"widths": tuple(args.widths), "size": 128, "imagenette_size": 160, "limit": None, "val_images": 500,
            "batch_size": args.batch_size, "steps": args.steps or 200_000, "warmup_steps": 300, "log_every": 50,
            "validate_every": 500, "checkpoint_every": 500, "workers": args.workers, "device": args.device,
            "eval": ["--val-every", str(args.eval_val_every)]}


def available_shares(shares: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """The shares of the wider splits present in the datasets folder, and a note for each one missing."""
    kept, notes = {}, []
    for name, share in shares.items():
        try:
            split_paths(name)
            kept[name] = share
        except DatasetNotFoundError as exc:
            notes.append(f"{name} left out of training: {exc}")
    return kept, notes


def build_caches(cfg: RotationConfig, workers: int) -> None:
    """Decode every split the task reads into its memmap cache, the splits side by side in threads."""
    jobs = [("imagenette-train", cfg.imagenette_size), ("tinyimagenet-train", cfg.tiny_side),
            ("imagenette-val", cfg.imagenette_size), *((name, cfg.imagenette_size) for name in cfg.shares)]
    with ThreadPoolExecutor(max(1, min(workers, len(jobs)))) as pool:
        for f in [pool.submit(lambda n, s: ZipSplit(n).cached(s, cfg.limit), name, side) for name, side in jobs]:
            f.result()


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="every file of the run goes under this folder")
    p.add_argument("--tiny", action="store_true", help="a few steps of a tiny network on a few photos, on the CPU")
    p.add_argument("--minutes", type=float, default=9.0, help="training wall-time budget (default 9)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--widths", type=int, nargs=4, default=WIDE, metavar="W", help="trunk block widths")
    p.add_argument("--batch-size", type=int, default=1024, help="rotated images per batch (4 per photo)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--steps", type=int, default=None, help="an upper bound on steps (default: the clock decides)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny-share", type=float, default=0.2)
    p.add_argument("--samples-share", type=float, default=0.10)
    p.add_argument("--flowers-share", type=float, default=0.15)
    p.add_argument("--zoom", type=float, nargs=2, default=(0.5, 1.25), metavar=("MIN", "MAX"))
    p.add_argument("--serve-short-side", type=int, default=160, help="the card's serving side")
    p.add_argument("--workers", type=int, default=min(12, os.cpu_count() or 1), help="threads cutting crops")
    p.add_argument("--eval-val-every", type=int, default=4, help="every k-th imagenette-val photo is evaluated")


def run(args: argparse.Namespace) -> int:
    from training.evaluate_rotation import add_arguments as eval_arguments
    from training.evaluate_rotation import run as evaluate

    for folder in (models_dir(), PROJECT_ROOT / "models" / "weights"):
        if inside(args.out, folder):
            print(f"error: --out {args.out} lies in the models folder {folder}; the recipe writes elsewhere",
                  file=sys.stderr)
            return 2
    rs = recipe_settings(args)
    device = pick_device(rs["device"])
    if device.type != "cuda" and not args.tiny and args.device != "cpu":
        print("error: no CUDA device; run with --tiny (a few steps on the CPU), or --device cpu to run the full "
              "recipe on the CPU anyway", file=sys.stderr)
        return 2
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    command = getattr(args, "command", None) or " ".join(["python -m training.gpu_recipe", *sys.argv[1:]])
    timings: dict[str, float] = {}

    t0 = time.time()
    shares, notes = available_shares({"imagenet-samples": args.samples_share, "flowers-train": args.flowers_share})
    cfg = RotationConfig(size=rs["size"], imagenette_size=rs["imagenette_size"], tiny_share=args.tiny_share,
                         zoom=tuple(args.zoom), val_images=rs["val_images"], limit=rs["limit"],
                         shares={k: v for k, v in shares.items() if v > 0})
    build_caches(cfg, rs["workers"])
    task = WideRotationTask(cfg, rs["widths"], args.seed, workers=rs["workers"], cuda=cuda)
    timings["caches_s"] = round(time.time() - t0, 1)

    loop = LoopConfig(steps=rs["steps"], batch_size=rs["batch_size"], lr=args.lr, warmup_steps=rs["warmup_steps"],
                      seed=args.seed, log_every=rs["log_every"], checkpoint_every=rs["checkpoint_every"],
                      validate_every=rs["validate_every"], device=str(device), time_budget_s=args.minutes * 60)
    run_dir = out / "run"
    t0 = time.time()
    try:
        summary = train(task, loop, run_dir)
    finally:
        task.close()
    summary.pop("model")
    summary["command"] = command
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    timings["train_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    net = RotationNet(rs["widths"])
    net.load_state_dict(ck["model"])
    net = net.to(memory_format=torch.contiguous_format).eval()
    tag = "tiny" if args.tiny else "wide"

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(
            net, version=f"rotation-{tag}-{'x'.join(map(str, rs['widths']))}-step{ck['step']}",
            serve_short_side=rs["size"] if args.tiny else args.serve_short_side, parity_diff=diff,
            training={"data": ["imagenette-train", "tinyimagenet-train", *cfg.shares], "config": ck["task"]["config"],
                      "widths": list(rs["widths"]), "loop": ck.get("config"), "steps": ck["step"],
                      "recipe": "training.gpu_recipe", **run_provenance(run_dir, ck)})
        if args.tiny:
            card["note"] = "tiny recipe run, for tests only"
        return card

    exported = export_with_card(RotationWithAttention(net), out / "model" / "rotation.onnx", onnx_spec(), card_for)
    timings["export_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    p = argparse.ArgumentParser()
    eval_arguments(p)
    eval_argv = ["--models-dir", str(out / "model"), "--out", str(out / "evaluation"), *rs["eval"]]
    eval_args = p.parse_args(eval_argv)
    eval_args.command = " ".join(["pretext evaluate rotation", *eval_argv])  # the same evaluation, by hand
    eval_rc = evaluate(eval_args)
    timings["evaluate_s"] = round(time.time() - t0, 1)

    recipe = {
        "command": command,
        "device": summary["device"],
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in rs.items()},
        "task": {**asdict(cfg), "widths": list(rs["widths"])},
        "notes": notes,
        "train": summary,
        "export": exported.summary(),
        "evaluation": {"exit_code": eval_rc, "report": str(out / "evaluation" / "report.json")},
        "timings": timings,
    }
    report_path = out / "evaluation" / "report.json"
    if report_path.is_file():
        recipe["evaluation"]["by_source"] = json.loads(report_path.read_text()).get("by_source", {})
    (out / "recipe.json").write_text(json.dumps(recipe, indent=2) + "\n")
    print(json.dumps({k: recipe[k] for k in ("device", "train", "export", "timings")}))
    return eval_rc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.gpu_recipe", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    args = p.parse_args(argv)
    args.command = " ".join(["python -m training.gpu_recipe", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
