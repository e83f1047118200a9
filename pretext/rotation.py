"""``pretext rotate`` and ``pretext attention``: the rotation model in-process (no torch)."""

import argparse
import json
import sys
from pathlib import Path

from core.errors import PretextError
from core.settings import get_settings
from models.imageio import encode_png, load_image
from models.output_files import OutputNames, output_folder, write_file
from models.rotation import overlay, rotate
from models.rotation_model import RotationModel


def _model(device: str | None) -> RotationModel | None:
    try:
        return RotationModel(device=device or get_settings().device)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def add_rotate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--json", action="store_true", help="one JSON object per line per file (the default output)")
    p.add_argument("--fix", action="store_true", help="write upright copies to -o DIR")
    p.add_argument("-o", "--out", type=Path, default=None, help="folder for --fix")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)


def run_rotate(args: argparse.Namespace) -> int:
    if args.fix and not args.out:
        print("error: --fix needs -o DIR", file=sys.stderr)
        return 2
    model = _model(args.device)
    if model is None:
        return 2
    if args.fix:
        try:
            output_folder(args.out)
        except PretextError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    names = OutputNames(args.files)
    failures = 0
    for path in args.files:
        try:
            rgb = load_image(path, max_pixels=get_settings().max_image_pixels)
            result = model.predict(rgb)
            if args.fix:
                target = names.next(path, args.out)
                write_file(target, encode_png(rotate(rgb, -result.angle)))
                if target.name != f"{path.stem}.png":
                    print(f"note: {path}: upright copy written to {target} (its own name is taken)", file=sys.stderr)
        except (PretextError, OSError) as exc:
            failures += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        # A line per file that was done in full: after the upright copy is written, not before.
        print(json.dumps({"file": str(path), "angle": result.angle, "probabilities": result.probabilities}),
              flush=True)
    return 1 if failures else 0


def add_attention_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path)
    p.add_argument("-o", "--out", type=Path, required=True, help="the overlay PNG")
    p.add_argument("--block", type=int, default=3, choices=[1, 2, 3, 4], help="trunk block (1 = earliest)")
    p.add_argument("--p", type=float, default=2.0, help="exponent: sum over channels of |activation|^p")
    p.add_argument("--opacity", type=float, default=0.5)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)


def run_attention(args: argparse.Namespace) -> int:
    if args.out.is_dir():
        print(f"error: {args.out} is a folder; -o takes the overlay's file name", file=sys.stderr)
        return 2
    model = _model(args.device)
    if model is None:
        return 2
    try:
        rgb = load_image(args.file, max_pixels=get_settings().max_image_pixels)
        result = model.predict(rgb, p=args.p)
        write_file(args.out, encode_png(overlay(rgb, result.attention[args.block - 1], args.opacity)))
    except (PretextError, OSError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"file": str(args.file), "out": str(args.out), "angle": result.angle,
                      "block": args.block, "p": args.p}))
    return 0
