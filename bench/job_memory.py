"""Peak memory and time of one worker job (decode, model, encode) on a large photo, for any job kind.

Run: ``.venv/bin/python -m bench.job_memory --kind jigsaw --photo big.jpg [--models-dir DIR]``
(or ``--megapixels 50`` to make a synthetic JPEG first). The worker's own job function
(``worker/tasks/<kind>.py``) runs in this process on the upload held in memory, as a worker holds
it after fetching it from Redis; nothing talks to Redis. Peak RSS is the kernel's high-water mark
(VmHWM), so this process measures one job only. The last line printed is JSON.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

from core.tasks import task_names

# A job needs what the API would have chosen (a seed, a hole); the rest take the defaults.
PARAMS = {"jigsaw": {"seed": 0}, "inpainting": {"box": "64,64,128,128"}}


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    Linux: VmHWM, the high-water mark of this program's own address space. Not ru_maxrss, which a
    child started with fork + exec inherits from its parent (a big benchmark parent would hide the
    child's figure under its own).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_jpeg(megapixels: float) -> bytes:
    """A smooth colourful 3:2 JPEG of about ``megapixels`` (what colorize_memory.py makes)."""
    import numpy as np
    from PIL import Image

    w = int((megapixels * 1e6 * 1.5) ** 0.5)
    h = int(megapixels * 1e6 / w)
    y, x = np.mgrid[0:h:8, 0:w:8]
    small = np.stack([(x * 7) % 256, (y * 5) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).resize((w, h)).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


class MemoryStore:
    """The one JobStore method a job function calls, over bytes in memory."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs

    def blob(self, job_id: str, name: str) -> bytes:
        return self.blobs[name]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", choices=task_names(), required=True, help="the task whose job function runs")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--photo", type=Path, help="a JPEG/PNG file to process")
    src.add_argument("--megapixels", type=float,
                     help="make a synthetic JPEG of this size instead (its making counts in the idle figure)")
    p.add_argument("--models-dir", type=Path, default=None, help="default: the settings' models_dir")
    args = p.parse_args(argv)

    # Configure the settings before anything reads them; the URL is never contacted.
    if args.models_dir:
        os.environ["PRETEXT_MODELS_DIR"] = str(args.models_dir)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:9/0")
    os.environ["PRETEXT_MAX_IMAGE_PIXELS"] = str(10**9)  # measure the job, not the upload guard

    from core.settings import get_settings
    from core.store import Job
    from core.tasks import get_task
    from worker import sessions
    from worker.tasks import job_function

    get_settings.cache_clear()
    spec = get_task(args.kind)
    job_fn = job_function(spec)
    model = sessions.model(spec.name)  # a worker opens its sessions once, before its first job
    provider = model.session.get_providers()[0]

    data = args.photo.read_bytes() if args.photo else synthetic_jpeg(args.megapixels)
    idle = peak_mb()
    t0 = time.perf_counter()
    params = spec.params.parse(PARAMS.get(spec.name, {}))
    result, blobs = job_fn(Job(id="bench", kind=spec.name, params=params.model_dump()), MemoryStore({"input": data}),
                           params)
    seconds = time.perf_counter() - t0
    peak = peak_mb()
    pixels = result["width"] * result["height"]
    figures = {
        "kind": args.kind,
        "width": result["width"],
        "height": result["height"],
        "megapixels": round(pixels / 1e6, 1),
        "upload_mb": round(len(data) / 1e6, 1),
        "outputs_mb": round(sum(len(b) for b in blobs.values()) / 1e6, 1),
        "seconds": round(seconds, 2),
        "idle_rss_mb": round(idle),
        "peak_rss_mb": round(peak),
        "per_rgb_copy": round((peak - idle) / (pixels * 3 / 1e6), 2),
        "provider": provider,
        "model": model.card.version,
    }
    print(f"{args.kind}: {figures['width']}x{figures['height']} ({figures['megapixels']} MP) in {seconds:.2f} s; "
          f"peak RSS {peak:.0f} MB, {peak - idle:.0f} MB above the idle worker "
          f"({figures['per_rgb_copy']} uint8 RGB copies of the photo)")
    print(json.dumps(figures))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
