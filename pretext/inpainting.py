"""``pretext inpaint FILES... (--mask M.png | --box X,Y,W,H) -o DIR``: fill a hole in-process (ONNX, no torch)."""

import argparse
import sys
from pathlib import Path

import numpy as np

from core.errors import PretextError
from core.settings import get_settings
from core.tasks.inpainting import CARDS, parse_box
from models.imageio import encode_png, load_image, read_image_file
from models.inpainting import box_mask, check_mask, decode_mask, mask_from_image
from models.inpainting_model import InpaintingModel
from models.output_files import OutputNames, output_folder, write_file


def box_argument(text: str) -> tuple[int, int, int, int]:
    """--box X,Y,W,H: whole pixels, origin top left, a width and height above 0."""
    try:
        box = parse_box(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if box[2] == 0 or box[3] == 0:
        raise argparse.ArgumentTypeError(f"the box {text} is empty: its width and height must be positive")
    return box


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="photos (turned upright by their EXIF orientation)")
    hole = p.add_mutually_exclusive_group(required=True)
    hole.add_argument("--mask", type=Path, default=None,
                      help="an image each photo's size as shown (after EXIF orientation), white = fill")
    hole.add_argument("--box", type=box_argument, default=None, metavar="X,Y,W,H",
                      help="the hole as a rectangle in each photo's pixels, origin top left")
    p.add_argument("-o", "--out", type=Path, required=True, help="folder for DIR/<name>.png")
    p.add_argument("--model", choices=sorted(CARDS), default="l2",
                   help="l2: smooth reconstruction; adversarial: sharper (default l2)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)


def read_mask(path: Path, max_pixels: int) -> np.ndarray:
    """The --mask file as (H, W) bool, checked for what does not depend on the photo."""
    mask = decode_mask(read_image_file(path, max_pixels), max_pixels) >= 128
    check_mask(mask)
    return mask


def hole_for(rgb8: np.ndarray, mask: np.ndarray | None, box: tuple[int, int, int, int] | None) -> np.ndarray:
    height, width = rgb8.shape[:2]
    if box is not None:
        return box_mask(height, width, box)
    assert mask is not None
    return mask_from_image(mask.astype(np.uint8) * 255, height, width)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    mask = None
    if args.mask is not None:
        try:
            mask = read_mask(args.mask, settings.max_image_pixels)
        except (PretextError, OSError) as exc:
            reason = exc.strerror or exc if isinstance(exc, OSError) else exc
            print(f"error: --mask {args.mask}: {reason}", file=sys.stderr)
            return 2
    try:
        model = InpaintingModel(CARDS[args.model], device=args.device or settings.device)
        output_folder(args.out)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = OutputNames([*args.files, *([args.mask] if args.mask else [])])
    failures = 0
    for path in args.files:
        try:
            rgb = load_image(path, max_pixels=settings.max_image_pixels)
            result = model.inpaint(rgb, hole_for(rgb, mask, args.box))
            target = write_file(names.next(path, args.out), encode_png(result.result))
        except (PretextError, OSError) as exc:
            failures += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        print(target, flush=True)
    return 1 if failures else 0
