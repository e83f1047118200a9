"""One large upload and 40 ordinary ones at once: do the ordinary ones wait behind the large one?

Issue #33 measured a 62 KB PNG of 8000x8000 zeros holding the only worker process for 112 s while every
other job queued behind it. This runs the same load against two layouts, on this machine, in one run:

- before: one worker process consuming every queue, no large-job routing (what `make run` started);
- after: `make run`'s plan (pretext.serve.worker_plan): a process per core on the ordinary queues and one
  process on the large queues, jobs above PRETEXT_LARGE_JOB_PIXELS routed there.

Each layout gets a private Redis, its workers and the API on 127.0.0.1. The large PNG is posted first;
then ``--count`` ordinary photos from ``--clients`` threads. It prints the ordinary uploads' latency
percentiles, the time the API took to accept the large upload, and when the large job finished.

    python -m bench.load_fairness                    # shipped models
    python -m bench.load_fairness --tiny --count 10  # untrained stand-in, quick
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from bench.load_colorize import Run, drive, private_service, resolve_models_dir, test_photo
from core.errors import ModelNotAvailableError
from core.queues import large_queues, queue_names, small_queues
from core.settings import PROJECT_ROOT, get_settings
from pretext.serve import wait_for

LARGE_SIDE = 8000


def zeros_png(side: int) -> bytes:
    """A side x side black PNG: tens of kilobytes on the wire, side^2 pixels of work."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((side, side), dtype=np.uint8)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def layouts(cores: int) -> dict[str, tuple[list[tuple[str, list[str], int]], int]]:
    """Name -> (workers as (name, queues, processes), large_job_pixels)."""
    no_routing = 10**12
    return {
        "before": ([("all", list(queue_names()), 1)], no_routing),
        "after": ([("pretext", list(small_queues()), cores), ("large", list(large_queues()), 1)],
                  get_settings().large_job_pixels),
    }


def run_layout(name: str, workers: list[tuple[str, list[str], int]], large_pixels: int, models_dir: Path,
               big: bytes, photo: bytes, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    env = {"PRETEXT_MODELS_DIR": str(models_dir), "PRETEXT_LARGE_JOB_PIXELS": str(large_pixels),
           "PRETEXT_MAX_IMAGE_PIXELS": str(max(args.large_side**2, get_settings().max_image_pixels))}
    with private_service(name, workers, env, workdir) as (base, children):
        warm = Run(0)
        drive(base, photo, 2, 2, 120, warm)  # open the sessions before timing
        with httpx.Client(base_url=base, timeout=120) as client:
            t0 = time.perf_counter()
            resp = client.post("/api/v1/colorization", files={"image": ("zeros.png", big, "image/png")})
            accept_s = time.perf_counter() - t0
            resp.raise_for_status()
            big_id = resp.json()["id"]
            run = Run(0)
            drive(base, photo, args.count, args.clients, args.max_seconds, run)
            done: dict[str, float | None] = {"s": None}

            def big_finished() -> bool:
                job = client.get(f"/api/v1/jobs/{big_id}").json()
                if job["status"] in ("succeeded", "failed"):
                    done["s"] = job["updated_at"] - job["created_at"]
                    return True
                return False

            wait_for("the large job", big_finished, children, args.max_seconds)
    summary = run.summary()
    return {"layout": name, "workers": "+".join(f"{p}" for _, _, p in workers), "ok": summary["ok"],
            "errors": summary["errors"], "p50_ms": summary.get("p50_ms"), "p95_ms": summary.get("p95_ms"),
            "large_accept_ms": round(1000 * accept_s, 1), "large_job_s": round(done["s"] or 0, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=40, help="ordinary uploads per layout")
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    p.add_argument("--size", type=int, default=1000, help="side of the ordinary square photo (1 megapixel)")
    p.add_argument("--large-side", type=int, default=LARGE_SIDE, help="side of the black PNG")
    p.add_argument("--max-seconds", type=float, default=400.0)
    p.add_argument("--models-dir", default=None)
    p.add_argument("--tiny", action="store_true", help="use a tiny untrained model (smoke runs)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    try:
        models_dir = resolve_models_dir(args)
    except ModelNotAvailableError as exc:
        print(f"{exc}\n(or pass --tiny for an untrained stand-in)", file=sys.stderr)
        return 2
    big, photo = zeros_png(args.large_side), test_photo(args.size)
    print(f"large upload: {args.large_side}x{args.large_side} PNG of zeros, {len(big)} bytes; "
          f"{args.count} ordinary {args.size}x{args.size} JPEGs from {args.clients} clients", flush=True)
    rows = []
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pretext-fair-", dir=PROJECT_ROOT / "var") as tmp:
        for name, (workers, large_pixels) in layouts(os.cpu_count() or 1).items():
            print(f"layout {name} ...", flush=True)
            rows.append(run_layout(name, workers, large_pixels, models_dir, big, photo, args, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    if len(rows) == 2 and rows[0]["p50_ms"] and rows[1]["p50_ms"]:
        for key in ("p50_ms", "p95_ms"):
            print(f"ordinary uploads' {key[:3]}: {rows[0][key]} ms before, {rows[1][key]} ms after "
                  f"(before / after = {rows[0][key] / rows[1][key]:.1f})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
