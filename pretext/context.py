"""``pretext context PHOTO... [--box X,Y,S] [--position N | --other X,Y]``: where does the piece go (no torch)."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadParameterError, PretextError
from core.settings import get_settings
from core.tasks.context import ContextParams, parse_box, parse_point, position_name
from models.context import MIN_SIDE, N_POSITIONS, positions_on_photo
from models.context_model import ContextModel
from models.imageio import load_image


def box_argument(text: str) -> str:
    """--box X,Y,S: whole pixels, origin top left, a side of at least MIN_SIDE."""
    try:
        box = parse_box(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if box.side < MIN_SIDE:
        raise argparse.ArgumentTypeError(f"the box {text} has side {box.side}; patches need at least {MIN_SIDE} px")
    return box.text()


def other_argument(text: str) -> str:
    """--other X,Y: whole pixels, origin top left."""
    try:
        x, y = parse_point(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return f"{x},{y}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="photos (turned upright by their EXIF orientation)")
    p.add_argument("--box", type=box_argument, default=None, metavar="X,Y,S",
                   help="the centre patch: top-left corner and side in each photo's pixels (default: the centre "
                        "patch of the largest 3x3 grid that fits)")
    second = p.add_mutually_exclusive_group()
    second.add_argument("--position", type=int, choices=range(N_POSITIONS), default=None, metavar="N",
                        help="the second patch is neighbour N (0..7, row-major around the centre: 0 top left, "
                             "1 top, 2 top right, 3 left, 4 right, 5 bottom left, 6 bottom, 7 bottom right); "
                             "default: a random one that lies on the photo")
    second.add_argument("--other", type=other_argument, default=None, metavar="X,Y",
                        help="the second patch's top-left corner instead (same side as the centre patch)")
    p.add_argument("--seed", type=int, default=None, help="seed of the random positions (default: fresh)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per photo")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)


def answer(model: ContextModel, rgb8: np.ndarray, params: ContextParams, rng: np.random.Generator) -> dict[str, Any]:
    """One photo's question and the network's answer, as the API's job result words it."""
    height, width = rgb8.shape[:2]
    ratio = model.gap_ratio
    if params.position is None and params.other is None:
        fitting = positions_on_photo(params.centre_box(width, height, ratio), width, height, ratio)
        if not fitting:
            raise BadParameterError(f"no neighbour of the centre patch lies on the {width}x{height} photo; "
                                    "give a smaller --box, or one further inside")
        params = params.model_copy(update={"position": int(rng.choice(fitting))})
    box, other = params.patches(width, height, ratio)
    out = model.predict(rgb8, box, other)
    return {
        "box": box.as_dict(),
        "other_box": other.as_dict(),
        "position": params.position,
        **out.answer_fields(),
    }


def text_lines(path: Path, result: dict[str, Any]) -> list[str]:
    """A photo's answer for people: the question, the network's pick and truth, the 3x3 grid of percentages."""
    box, other = result["box"], result["other_box"]
    truth = result["truth"]
    if truth is None:
        said = "the piece is at no neighbour place, so there is no right answer"
    else:
        said = f"truth {position_name(truth)}: {'right' if result['correct'] else 'wrong'}"
    lines = [
        f"{path}: centre patch {box['x']},{box['y']} side {box['side']}, piece at {other['x']},{other['y']}",
        f"  network: {position_name(result['predicted'])}; {said}",
    ]
    for row in result["grid"]:
        lines.append("  " + "".join("      · " if p is None else f"{100 * p:7.1f}%" for p in row))
    return lines


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    params = ContextParams(box=args.box, position=args.position, other=args.other)
    try:
        model = ContextModel(device=args.device or settings.device)
    except PretextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    failures = 0
    for path in args.files:
        try:
            result = answer(model, load_image(path, max_pixels=settings.max_image_pixels), params, rng)
        except (PretextError, OSError) as exc:
            failures += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"file": str(path), **result}), flush=True)
        else:
            print("\n".join(text_lines(path, result)), flush=True)
    return 1 if failures else 0
