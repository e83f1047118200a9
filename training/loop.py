"""A small, resumable training loop: seeds, progress, metrics log, loss curve, checkpoints."""

import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn


@dataclass
class LoopConfig:
    steps: int = 1000
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 250
    validate_every: int = 1000
    device: str = "auto"
    threads: int = 0  # 0 = torch's default
    init_from: str | None = None  # an exported ONNX model of the same network to start from
    # Seconds of training wall time (resumed runs count their earlier time): training stops at the first step
    # past it, validates and checkpoints there, and the cosine decay follows the clock, reaching zero at it.
    time_budget_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    """A pretext task as the loop sees it (VISSL style: data -> input/label, model, loss)."""

    def make_model(self) -> nn.Module: ...

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]: ...

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]: ...

    def validate(self, model: nn.Module) -> dict[str, float]: ...

    def state(self) -> dict[str, Any]: ...


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def lr_at(step: int, cfg: LoopConfig, time_fraction: float | None = None) -> float:
    """Linear warm-up, then cosine decay to zero; with ``time_fraction`` (of a time budget spent) the decay
    follows whichever of steps and time is further along."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    if time_fraction is not None:
        progress = max(progress, time_fraction)
    return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def save_atomic(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def plot_curves(metrics_path: Path, png_path: Path) -> None:
    """Training loss (smoothed) and validation metrics against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    train = [r for r in rows if r.get("kind") == "train"]
    val = [r for r in rows if r.get("kind") == "val"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    if train:
        axes[0].plot([r["step"] for r in train], [r["loss"] for r in train], lw=1)
    axes[0].set(title="training loss", xlabel="step")
    for key in sorted({k for r in val for k in r if k not in {"kind", "step", "time"}}):
        axes[1].plot([r["step"] for r in val], [r[key] for r in val], marker="o", label=key)
    axes[1].set(title="validation", xlabel="step")
    if val:
        axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)


class Progress:
    """A one-line progress report on stderr: step, loss, images/s, ETA."""

    def __init__(self, total: int, start: int) -> None:
        self.total, self.start, self.t0 = total, start, time.time()

    def show(self, step: int, loss: float, images_per_s: float) -> None:
        done = step + 1 - self.start
        left = (time.time() - self.t0) / max(done, 1) * (self.total - step - 1)
        width = 30
        filled = int(width * (step + 1) / self.total)
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(
            f"[{bar}] {step + 1}/{self.total} loss {loss:.4f} {images_per_s:.0f} img/s "
            f"eta {left / 60:.1f} min\n"
        )
        sys.stderr.flush()


def train(
    task: Task,
    cfg: LoopConfig,
    out_dir: Path,
    on_validate: Callable[[nn.Module, int, dict], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) training; returns a summary with throughput and wall time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, metrics_path = out_dir / "checkpoint.pt", out_dir / "metrics.jsonl"
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    model = task.make_model().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start, elapsed, images = 0, 0.0, 0
    if ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start, elapsed, images = ck["step"], ck["elapsed"], ck["images"]
        print(f"resuming from step {start}", file=sys.stderr)
    elif cfg.init_from:
        start_from_export(task, model, Path(cfg.init_from), cfg, out_dir)
    progress = Progress(cfg.steps, start)
    t_run = time.time()
    t_window, n_window = time.time(), 0
    budget = cfg.time_budget_s
    last_step, out_of_time = start, budget is not None and elapsed >= budget

    def time_fraction() -> float | None:
        return None if budget is None else (elapsed + time.time() - t_run) / max(budget, 1e-9)

    def checkpoint(step: int) -> None:
        save_atomic(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "step": step,
                "elapsed": elapsed + time.time() - t_run,
                "images": images,
                "config": asdict(cfg),
                "task": task.state(),
            },
            ckpt_path,
        )
        if metrics_path.is_file():
            plot_curves(metrics_path, out_dir / "loss_curve.png")

    with metrics_path.open("a") as log:
        for step in range(start, cfg.steps):
            if out_of_time:  # a resumed run whose budget was already spent
                break
            model.train()
            # Seeding per step makes a resumed run draw the same batches as an unbroken one.
            rng = np.random.default_rng([cfg.seed, step])
            batch = task.batch(rng, step, cfg.batch_size)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, cfg, time_fraction())
            loss, extra = task.loss(model, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            images += cfg.batch_size
            n_window += cfg.batch_size
            last_step = step + 1
            out_of_time = budget is not None and time_fraction() >= 1.0
            last = step + 1 == cfg.steps or out_of_time
            if (step + 1) % cfg.log_every == 0 or last:
                rate = n_window / max(time.time() - t_window, 1e-9)
                t_window, n_window = time.time(), 0
                row = {"kind": "train", "step": step + 1, "loss": float(loss.detach()), **extra}
                row["images_per_s"] = rate
                log.write(json.dumps(row) + "\n")
                log.flush()
                progress.show(step, float(loss.detach()), rate)
            if (step + 1) % cfg.validate_every == 0 or last:
                model.eval()
                with torch.no_grad():
                    val = task.validate(model)
                log.write(json.dumps({"kind": "val", "step": step + 1, **val}) + "\n")
                log.flush()
                print(f"validation at step {step + 1}: {val}", file=sys.stderr)
                if on_validate:
                    on_validate(model, step + 1, val)
            if (step + 1) % cfg.checkpoint_every == 0 or last:
                checkpoint(step + 1)
            if out_of_time:
                print(f"time budget of {budget:.0f} s spent: stopping at step {step + 1}", file=sys.stderr)
                break
    total = elapsed + time.time() - t_run
    summary = {
        "steps": cfg.steps if budget is None else last_step,
        "images_seen": images,
        "wall_time_s": round(total, 1),
        "images_per_s": round(images / max(total, 1e-9), 1),
        "device": str(device),
    }
    if budget is not None:
        summary["time_budget_s"] = budget
        summary["stopped_at_time_budget"] = last_step < cfg.steps
    if (out_dir / "init.json").is_file():
        summary["initialised_from"] = json.loads((out_dir / "init.json").read_text())
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return {"model": model, **summary}


def start_from_export(task: Task, model: nn.Module, onnx_path: Path, cfg: LoopConfig, out_dir: Path) -> None:
    """Warm-start ``model`` from an exported ONNX file; its card's lineage goes to ``out_dir/init.json``."""
    from training.warm_start import warm_start

    sample = task.batch(np.random.default_rng([cfg.seed, 2**31]), 0, cfg.batch_size)[0]
    # A task may add a head its earlier export lacks; that head starts fresh. It may add inputs too: the
    # convolutions taking them keep the export's weights for the old channels, zero for the new.
    skip = task.new_heads(model, onnx_path) if hasattr(task, "new_heads") else ()
    grow = task.new_inputs(model) if hasattr(task, "new_inputs") else ()
    warm_start(model, onnx_path, sample, skip, grow)
    card_path = onnx_path.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    training = card.get("training", {})
    lineage = {
        "onnx": str(onnx_path),
        "version": card.get("version"),
        "sha256": card.get("sha256"),
        "images_seen": training.get("images_seen"),
        "wall_time_s": training.get("wall_time_s"),
        "command": training.get("command"),
    }
    (out_dir / "init.json").write_text(json.dumps(lineage, indent=2))
    print(f"initialised from {onnx_path} ({lineage['version']})", file=sys.stderr)


def add_loop_arguments(p: Any, *, steps: int, batch_size: int = 64, batch_help: str | None = None,
                       val_images: int = 500) -> None:
    """The command-line options every ``pretext train ...`` shares; defaults per model."""
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--batch-size", type=int, default=batch_size, help=batch_help)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N photos of each split")
    p.add_argument("--validate-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-images", type=int, default=val_images)
    p.add_argument("--init-from", type=Path, default=None,
                   help="start from an exported ONNX model of the same network (a longer run of a shipped model)")
    p.add_argument("--time-budget-min", type=float, default=None,
                   help="stop at the first step past this many minutes of training (the learning rate decays "
                        "to zero by then) and still validate and checkpoint")


def loop_config(args: Any, max_warmup: int = 200) -> LoopConfig:
    """The LoopConfig of parsed ``add_loop_arguments`` options; warm-up is a tenth of the run, capped."""
    return LoopConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        log_every=args.log_every,
        checkpoint_every=args.checkpoint_every,
        validate_every=args.validate_every,
        warmup_steps=min(max_warmup, max(1, args.steps // 10)),
        init_from=str(args.init_from) if getattr(args, "init_from", None) else None,
        time_budget_s=args.time_budget_min * 60 if getattr(args, "time_budget_min", None) else None,
    )


def run_and_report(task: Task, cfg: LoopConfig, out_dir: Path) -> int:
    """Train, then write summary.json (with the command that ran) and print it."""
    summary = train(task, cfg, out_dir)
    summary.pop("model")
    summary["command"] = " ".join(["pretext", *sys.argv[1:]])
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0
