"""Latency of the colorization model: ONNX Runtime vs the same network eager in PyTorch.

Run: ``.venv/bin/python -m bench.colorization_latency [--sizes 256,1024] [--repeats 10] [--pipeline]``.
By default the network alone on square L inputs of each side; ``--pipeline`` also times the whole
``models.colorization_model.ColorizationModel.colorize`` on a square photo of each side (resize to the card's serving
size, network, annealed mean, recolouring at full resolution) with the network run either way.
The PyTorch network has the exported file's architecture (widths read from the ONNX graph) and
random weights: latency does not depend on the weights.
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.settings import get_settings
from models.cards import ColorizationCard, load_card_as, models_dir
from models.colorization_model import ColorizationModel
from training.nets import ColorizationNet

DEFAULT_WIDTHS = (32, 64, 128, 160)


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> float:
    """Median seconds of ``repeats`` calls after ``warmup`` warm-up calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def onnx_conv_shapes(path: Path) -> list[tuple[int, ...]]:
    """Weight shapes of the Conv nodes of an ONNX file, in graph order (batch norms are folded in)."""
    import onnx

    graph = onnx.load(str(path)).graph
    inits = {t.name: tuple(t.dims) for t in graph.initializer}
    return [inits[n.input[1]] for n in graph.node if n.op_type == "Conv" and n.input[1] in inits]


def torch_net(card: ColorizationCard, onnx_file: Path) -> tuple[ColorizationNet, bool]:
    """The card's network in PyTorch, eval mode, with the exported widths; (net, architecture matches)."""
    out_channels = len(card.bin_centres) if card.output_kind == "logits" else 2
    shapes = onnx_conv_shapes(onnx_file)
    # Trunk convs: w1 | w2 w2 | w3 w3 | w4 w4 w4, then reduce, fuse, out.
    widths = (shapes[0][0], shapes[1][0], shapes[3][0], shapes[5][0]) if len(shapes) >= 8 else DEFAULT_WIDTHS
    net = ColorizationNet(out_channels, widths).eval()
    mine = sorted(tuple(m.weight.shape) for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    return net, mine == sorted(shapes)


class TorchSession:
    """An onnxruntime-session look-alike running a PyTorch module, so the pipeline code is unchanged."""

    def __init__(self, net: torch.nn.Module, device: str = "cpu") -> None:
        self.net = net.to(device)
        self.device = device

    def run(self, _output_names: Sequence[str] | None, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        (x,) = feed.values()
        with torch.inference_mode():
            return [self.net(torch.from_numpy(x).to(self.device)).cpu().numpy()]

    def get_providers(self) -> list[str]:
        return [f"PyTorch ({self.device})"]


def square_photo(size: int) -> np.ndarray:
    """A smooth colourful size x size uint8 RGB photo."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(x / 37), 128 + 100 * np.cos(y / 23), 128 + 100 * np.sin((x + y) / 51)], -1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def measure(colorizer: ColorizationModel, net: torch.nn.Module, sizes: Sequence[int], repeats: int,
            large_repeats: int | None = None, network_sizes: Sequence[int] | None = None,
            pipeline: bool = True) -> list[dict[str, Any]]:
    """One row per size: milliseconds of the pipeline and/or the network alone, either runtime.

    Sides above 1024 get ``large_repeats`` timed calls (default ``repeats``) after one warm-up.
    """
    ort_session = colorizer.session
    device = "cuda" if ort_session.get_providers()[0] == "CUDAExecutionProvider" and torch.cuda.is_available() \
        else "cpu"
    pt_session = TorchSession(net, device)
    network_sizes = sizes if network_sizes is None else network_sizes
    rows = []
    for size in sizes:
        reps = repeats if size <= 1024 or large_repeats is None else large_repeats
        warmup = 2 if size <= 1024 else 1
        row: dict[str, Any] = {"size": size}
        if pipeline:
            photo = square_photo(size)
            try:
                for key, session in (("pipeline_ort_ms", ort_session), ("pipeline_torch_ms", pt_session)):
                    colorizer.session = session
                    row[key] = 1e3 * timed(lambda photo=photo: colorizer.colorize(photo), reps, warmup)
            finally:
                colorizer.session = ort_session
            del photo
        if size in network_sizes:
            x = np.random.default_rng(0).uniform(-1, 1, (1, 1, size, size)).astype(np.float32)
            feed = {colorizer.input_name: x}
            row["network_ort_ms"] = 1e3 * timed(lambda feed=feed: ort_session.run(None, feed), reps, warmup)
            row["network_torch_ms"] = 1e3 * timed(lambda feed=feed: pt_session.run(None, feed), reps, warmup)
        rows.append(row)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="256,1024")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--model", default="colorization")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--pipeline", action="store_true", help="also time the whole models/ pipeline")
    args = p.parse_args()
    root = args.models_dir or models_dir()
    card = load_card_as(args.model, ColorizationCard, root)
    threads = get_settings().onnx_threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    colorizer = ColorizationModel(args.model, device=get_settings().device, root=root, threads=threads)
    net, same = torch_net(card, root / card.file)
    print(f"threads {threads}; model {card.version} on {colorizer.session.get_providers()[0]}"
          + ("" if same else "; WARNING: the PyTorch network's convolutions differ from the ONNX file's"))
    rows = measure(colorizer, net, [int(s) for s in args.sizes.split(",")], args.repeats, pipeline=args.pipeline)
    print("| size | onnxruntime ms | pytorch eager ms | pytorch / onnxruntime |"
          + (" pipeline onnxruntime ms | pipeline pytorch ms | pytorch / onnxruntime |" if args.pipeline else ""))
    print("|---|---|---|---|" + ("---|---|---|" if args.pipeline else ""))
    for r in rows:
        line = (f"| {r['size']} | {r['network_ort_ms']:.1f} | {r['network_torch_ms']:.1f} | "
                f"{r['network_torch_ms'] / r['network_ort_ms']:.2f} |")
        if args.pipeline:
            line += (f" {r['pipeline_ort_ms']:.1f} | {r['pipeline_torch_ms']:.1f} | "
                     f"{r['pipeline_torch_ms'] / r['pipeline_ort_ms']:.2f} |")
        print(line)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
