"""Per-image latency of the colorization network: ONNX Runtime vs the same network eager in PyTorch.

Run: ``.venv/bin/python -m bench.colorization_latency [--sizes 256,1024] [--repeats 10]``.
Inputs are square L images of the given side (the network alone, not the pre/post-processing).
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from models.cards import load_card, models_dir
from models.runtime import load_session
from training.nets import ColorizationNet


def timed(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after two warm-up calls."""
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="256,1024")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--model", default="colorization")
    p.add_argument("--models-dir", type=Path, default=None)
    args = p.parse_args()
    root = args.models_dir or models_dir()
    card = load_card(args.model, root)
    session = load_session(root / card["file"], "cpu")
    net = ColorizationNet(card["num_bins"] if card["output_kind"] == "logits" else 2).eval()
    rows = []
    print(f"torch threads {torch.get_num_threads()}; model {card['version']}")
    print("| size | onnxruntime ms | pytorch eager ms | pytorch / onnxruntime |")
    print("|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        x = np.random.default_rng(0).uniform(-1, 1, (1, 1, size, size)).astype(np.float32)
        xt = torch.from_numpy(x)
        ort_s = timed(lambda x=x: session.run(None, {"l": x}), args.repeats)
        with torch.inference_mode():
            pt_s = timed(lambda xt=xt: net(xt), args.repeats)
        rows.append({"size": size, "onnxruntime_ms": ort_s * 1e3, "pytorch_ms": pt_s * 1e3,
                     "ratio": pt_s / ort_s})
        print(f"| {size} | {ort_s * 1e3:.1f} | {pt_s * 1e3:.1f} | {pt_s / ort_s:.2f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
