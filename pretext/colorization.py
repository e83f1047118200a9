"""``pretext colorize FILES... -o DIR``: colorize in-process with the shipped ONNX model (no torch)."""

import argparse
import sys
from pathlib import Path

from core.errors import PretextError
from core.settings import get_settings
from models.colorization_model import ColorizationModel
from models.imageio import encode_png, load_image
from models.output_files import OutputNames, output_folder, write_file


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="photos, colour or gray")
    p.add_argument("-o", "--out", type=Path, required=True, help="folder for DIR/<name>.png")
    p.add_argument("--temperature", type=float, default=None, help="0 (mode) .. 1 (mean); card default")
    p.add_argument("--model", default="colorization", help="model name in the models folder")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        colorizer = ColorizationModel(args.model, device=args.device or settings.device)
        if args.temperature is not None:
            from models.encoding import check_temperature

            check_temperature(args.temperature)
        output_folder(args.out)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = OutputNames(args.files)
    failures = 0
    for path in args.files:
        try:
            rgb = load_image(path, max_pixels=settings.max_image_pixels)
            result = colorizer.colorize(rgb, args.temperature)
            target = write_file(names.next(path, args.out), encode_png(result.rgb8))
        except (PretextError, OSError) as exc:
            failures += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        print(target, flush=True)
    return 1 if failures else 0
