"""``pretext jigsaw solve`` and ``pretext jigsaw shuffle``; onnxruntime in-process, never torch.

Convention (both commands): ``permutation[i]`` is the original row-major cell (0..8) of the tile
found at row-major position ``i`` of the shuffled image. Images whose sides are not multiples of
3 lose their last h % 3 rows and w % 3 columns. ``solve --unshuffle DIR`` writes each solved
image as ``DIR/<stem>-solved.png``, beside the input when DIR is left out. A file that cannot be
read is reported on stderr, the others are still solved, and the exit status is 1.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from core.errors import PretextError
from core.settings import get_settings
from models.imageio import load_image
from models.jigsaw import (
    METHODS,
    Solution,
    check_permutation,
    shuffle_image,
    uniform_permutations,
    unshuffle_image,
)
from models.output_files import OutputNames

NEXT_TO_INPUT = Path("\0next-to-input")  # ``--unshuffle`` given without a folder


def solved_path(path: Path, folder: Path, names: OutputNames) -> Path:
    """Where ``solve --unshuffle`` writes the solved copy of ``path``: <stem>-solved.png, unique in the run."""
    return names.next(path, path.parent if folder == NEXT_TO_INPUT else folder)


def add_solve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILES", help="shuffled images")
    p.add_argument("--json", action="store_true", help="one JSON object per line per file")
    p.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="neighbours: seams between tiles plus the cell head, over every placement; perm: marginalised "
             "permutation head; cell: per-tile cell head (default: the model card's)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="solve, reorder, solve again up to N times (default: card's for perm, 1 for cell)",
    )
    p.add_argument("--model", default="jigsaw", help="model name in the models folder")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    p.add_argument(
        "--unshuffle",
        type=Path,
        nargs="?",
        const=NEXT_TO_INPUT,
        default=None,
        metavar="DIR",
        help="also write each solved image as DIR/<stem>-solved.png (no DIR: beside its input)",
    )


def add_shuffle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", type=Path, metavar="IMAGE")
    p.add_argument("-o", "--out", type=Path, required=True, help="shuffled image (PNG keeps it exact)")
    p.add_argument("--seed", type=int, default=None, help="seed of the uniformly random permutation")
    p.add_argument(
        "--permutation", default=None, help="explicit permutation as 9 comma-separated cells instead of a random one"
    )


def solution_record(path: Path, sol: Solution) -> dict:
    """The JSON line of one solved file."""
    return {
        "file": str(path),
        "permutation": [int(v) for v in sol.permutation],
        "confidence": [round(float(c), 4) for c in sol.confidence],
    }


def save_image(rgb8: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(rgb8)).save(path)


def run_solve(args: argparse.Namespace) -> int:
    from models.jigsaw_model import JigsawModel

    settings = get_settings()
    if args.rounds is not None and args.rounds < 1:
        print("error: --rounds must be at least 1", file=sys.stderr)
        return 2
    try:
        model = JigsawModel(args.model, device=args.device or settings.device)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    max_pixels = settings.max_image_pixels
    names = OutputNames(args.files, suffix="-solved.png")
    failed = 0
    for path in args.files:
        try:
            rgb8 = load_image(path, max_pixels=max_pixels)
            sol = model.solve(rgb8, args.method, args.rounds)
            if args.unshuffle is not None:
                save_image(unshuffle_image(rgb8, sol.permutation), solved_path(path, args.unshuffle, names))
        except (PretextError, OSError, ValueError) as exc:
            failed += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        rec = solution_record(path, sol)
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            perm = " ".join(map(str, rec["permutation"]))
            print(f"{path}: permutation {perm} (mean confidence {np.mean(sol.confidence):.2f})")
    return 1 if failed else 0


def parse_permutation(text: str) -> np.ndarray:
    return check_permutation(np.array([int(v) for v in text.replace(" ", "").split(",")]))


def run_shuffle(args: argparse.Namespace) -> int:
    try:
        if args.permutation is not None:
            perm = parse_permutation(args.permutation)
        else:
            perm = uniform_permutations(np.random.default_rng(args.seed), 1)[0]
        rgb8 = load_image(args.image, max_pixels=get_settings().max_image_pixels)
        save_image(shuffle_image(rgb8, perm), args.out)
    except (PretextError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"file": str(args.out), "source": str(args.image), "permutation": [int(v) for v in perm]}))
    return 0
