"""``pretext features index``: the features page's index built in-process (no torch), before any job needs it."""

import argparse
import json
import sys
import time
from pathlib import Path

from core.errors import PretextError
from core.settings import get_settings
from models.features_model import FeaturesModel


def add_index_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, default=None, help="folder of the features card (default: settings)")
    p.add_argument("--models", default=None, help="comma-separated models (default: every model of the card)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per ONNX session (0: onnxruntime's)")


def run_index(args: argparse.Namespace) -> int:
    settings = get_settings()
    t0 = time.time()
    try:
        model = FeaturesModel(device=args.device or settings.device, root=args.weights, threads=args.threads)
        names = [n.strip() for n in args.models.split(",")] if args.models else None
        shapes = model.build_index(names)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"cache": str(settings.cache_dir / "features"), "photos": len(model.photos),
                      "models": {n: list(s) for n, s in shapes.items()}, "seconds": round(time.time() - t0, 1)}))
    return 0
