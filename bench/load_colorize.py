"""Load test of colorization over loopback HTTP: throughput and latency with 1 and 2 worker processes.

Starts its own private Redis, one Celery worker per run (``-c N`` pool processes) and the API under
uvicorn, all on 127.0.0.1; sends a bounded number of 512x512 photos (``?wait=``, then GET the PNG)
from a few client threads; prints a table. Bounded by --count and --max-seconds per run.

    python -m bench.load_colorize --count 40 --processes 1,2
    python -m bench.load_colorize --tiny --count 10          # untrained tiny model, quick smoke run
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from core.errors import ModelNotAvailableError
from core.queues import queue_names
from core.settings import PROJECT_ROOT, get_settings
from pretext.serve import (
    Child,
    free_port,
    http_ok,
    redis_ready,
    start_api,
    start_redis,
    start_worker,
    wait_for,
    workers_ready,
)

HOST = "127.0.0.1"  # loopback only, by design
MAX_COUNT = 2000
MAX_SECONDS = 600.0


@dataclass
class Sample:
    latency_s: float  # POST ?wait= until the PNG is downloaded
    job_s: float  # job record created -> finished (queue + worker), as the server saw it
    processing_s: float  # decode + model + encode inside the worker


@dataclass
class Run:
    processes: int
    wall_s: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        lat = sorted(s.latency_s for s in self.samples)
        if not lat:
            return {"processes": self.processes, "ok": 0, "errors": len(self.errors)}

        def pct(p: float) -> float:
            return 1000 * lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]

        mean_lat = statistics.fmean(lat)
        mean_job = statistics.fmean(s.job_s for s in self.samples)
        return {
            "processes": self.processes,
            "ok": len(lat),
            "errors": len(self.errors),
            "wall_s": round(self.wall_s, 2),
            "throughput_per_s": round(len(lat) / self.wall_s, 2),
            "p50_ms": round(pct(50), 1),
            "p95_ms": round(pct(95), 1),
            "p99_ms": round(pct(99), 1),
            "mean_processing_ms": round(1000 * statistics.fmean(s.processing_s for s in self.samples), 1),
            "mean_job_ms": round(1000 * mean_job, 1),
            # Everything outside the job's own span: upload, validation, queue hand-off notice, download.
            "http_share_pct": round(100 * max(0.0, mean_lat - mean_job) / mean_lat, 1),
        }


def test_photo(size: int) -> bytes:
    """A smooth colourful size x size JPEG (what a camera photo compresses like, roughly)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(x / 37), 128 + 100 * np.cos(y / 23), 128 + 100 * np.sin((x + y) / 51)], -1)
    buf = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def one_request(client: httpx.Client, photo: bytes, wait_s: float) -> Sample:
    t0 = time.perf_counter()
    resp = client.post("/api/v1/colorization", params={"wait": wait_s},
                       files={"image": ("photo.jpg", photo, "image/jpeg")})
    if resp.status_code != 200:
        raise RuntimeError(f"POST answered {resp.status_code}: {resp.text[:200]}")
    job = resp.json()
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job['status']}: {job.get('error')}")
    png = client.get(job["links"]["result"])
    png.raise_for_status()
    latency = time.perf_counter() - t0
    return Sample(latency, job["updated_at"] - job["created_at"], job["result"]["timing"]["processing_s"])


def drive(base_url: str, photo: bytes, count: int, clients: int, max_seconds: float, run: Run) -> None:
    """Send ``count`` requests from ``clients`` threads, stopping early after ``max_seconds``."""
    lock = threading.Lock()
    remaining = [count]
    deadline = time.monotonic() + max_seconds

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                try:
                    sample = one_request(client, photo, min(60.0, max(1.0, deadline - time.monotonic())))
                    with lock:
                        run.samples.append(sample)
                except (httpx.HTTPError, RuntimeError) as exc:
                    with lock:
                        run.errors.append(str(exc))

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.wall_s = time.perf_counter() - t0


@contextmanager
def private_service(name: str, workers: list[tuple[str, list[str], int]], env_extra: dict[str, str],
                    workdir: Path) -> Iterator[tuple[str, list[Child]]]:
    """A fresh Redis, ``workers`` as (name, queues, processes) and the API on 127.0.0.1, all ready: (the API's
    base URL, the children). Everything is stopped on exit; logs go to ``workdir/logs-NAME``."""
    children: list[Child] = []
    logs = (workdir / f"logs-{name}").open("wb")
    try:
        redis_child, redis_url = start_redis(workdir / f"redis-{name}", stdout=logs)
        children.append(redis_child)
        wait_for("Redis", lambda: redis_ready(redis_url), children, 15)
        env = {**os.environ, "REDIS_URL": redis_url, **env_extra}
        for worker, queues, processes in workers:
            children.append(start_worker(worker, queues, processes, env, stdout=logs))
        port = free_port(HOST)
        children.append(start_api(HOST, port, env, stdout=logs))
        base = f"http://{HOST}:{port}"
        wait_for("the API", lambda: http_ok(f"{base}/healthz"), children, 60)
        wait_for("the workers", workers_ready(redis_url, [w for w, _, _ in workers]), children, 120)
        yield base, children
    finally:
        for child in reversed(children):
            child.stop(grace_s=10)
        logs.close()


def bench_processes(processes: int, args: argparse.Namespace, models_dir: Path, photo: bytes,
                    workdir: Path) -> Run:
    """One run: fresh Redis, one worker with ``processes`` pool processes, the API; then the load."""
    threads = os.environ.get("PRETEXT_ONNX_THREADS") or str(max(1, (os.cpu_count() or 1) // processes))
    env = {"PRETEXT_MODELS_DIR": str(models_dir), "PRETEXT_ONNX_THREADS": threads}
    with private_service(str(processes), [("bench", list(queue_names()), processes)], env, workdir) as (base, _):
        warm = Run(processes)
        drive(base, photo, 2 * processes, processes, 120, warm)  # first jobs open sessions, fill caches
        if warm.errors:
            raise RuntimeError(f"warm-up failed: {warm.errors[0]}")
        run = Run(processes)
        drive(base, photo, args.count, args.clients, args.max_seconds, run)
        return run


def resolve_models_dir(args: argparse.Namespace) -> Path:
    if args.tiny:
        from training.tiny_models import tiny_colorization  # torch: only for this option

        target = Path(get_settings().cache_dir) / "bench-tiny-model"
        if not (target / "colorization.json").is_file():
            print(f"building a tiny untrained model in {target} (about a minute) ...", flush=True)
            tiny_colorization(target)
        return target
    from app.services.cards import installed_card

    models_dir = Path(args.models_dir or get_settings().models_dir)
    installed_card(models_dir, "colorization")
    return models_dir


def print_table(rows: list[dict[str, float | int]]) -> None:
    keys = ["processes", "ok", "errors", "wall_s", "throughput_per_s", "p50_ms", "p95_ms", "p99_ms",
            "mean_processing_ms", "mean_job_ms", "http_share_pct"]
    widths = [max(len(k), 8) for k in keys]
    print("  ".join(f"{k:>{w}}" for k, w in zip(keys, widths, strict=True)))
    for row in rows:
        print("  ".join(f"{row.get(k, '')!s:>{w}}" for k, w in zip(keys, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=40, help=f"requests per run (at most {MAX_COUNT})")
    p.add_argument("--max-seconds", type=float, default=120.0, help=f"time cap per run (at most {MAX_SECONDS:.0f})")
    p.add_argument("--processes", default="1,2", help="worker pool sizes to compare, e.g. 1,2")
    p.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    p.add_argument("--size", type=int, default=512, help="side of the square test photo")
    p.add_argument("--models-dir", default=None, help="default: the settings' models_dir")
    p.add_argument("--tiny", action="store_true", help="use a tiny untrained model (smoke runs)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = p.parse_args(argv)
    args.count = max(1, min(args.count, MAX_COUNT))
    args.max_seconds = max(1.0, min(args.max_seconds, MAX_SECONDS))
    try:
        models_dir = resolve_models_dir(args)
    except ModelNotAvailableError as exc:
        print(f"{exc}\n(or pass --tiny for an untrained stand-in)", file=sys.stderr)
        return 2
    photo = test_photo(args.size)
    rows = []
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pretext-bench-", dir=PROJECT_ROOT / "var") as tmp:
        for n in (int(x) for x in args.processes.split(",")):
            print(f"run: {n} worker process(es), {args.count} requests of {args.size}x{args.size}, "
                  f"{args.clients} clients ...", flush=True)
            run = bench_processes(n, args, models_dir, photo, Path(tmp))
            for err in run.errors[:3]:
                print(f"  error: {err}", file=sys.stderr)
            rows.append(run.summary())
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
