"""``pretext colorize FILES... -o DIR [--hints HINTS.json]``: colorize in-process with the shipped ONNX model
(no torch), optionally steered by colour hints (models.hints, docs/hints.md)."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.errors import BadParameterError, ModelNotAvailableError, PretextError
from core.settings import get_settings
from core.tasks.colorization import HINT_MODEL
from models.colorization_model import ColorizationModel
from models.hints import HintParams, Hints, apply_prior, parse_hints, reference_prior
from models.imageio import encode_png, load_image
from models.output_files import OutputNames, output_folder, write_file


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="photos, colour or gray")
    p.add_argument("-o", "--out", type=Path, required=True, help="folder for DIR/<name>.png")
    p.add_argument("--temperature", type=float, default=None, help="0 (mode) .. 1 (mean); card default")
    p.add_argument("--model", default="colorization", help="model name in the models folder")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    p.add_argument("--hints", type=Path, default=None, metavar="HINTS.json",
                   help='colour hints for every photo: a JSON list of {"x", "y", "rgb": [R, G, B]} points in the '
                        'photo\'s pixels (after EXIF orientation) and at most one {"palette": [...]} (docs/hints.md)')
    p.add_argument("--hint-method", choices=["distribution", "network"], default="distribution",
                   help=f"distribution: reweight the network's ab distribution around each hint (default); "
                        f"network: the hint-conditioned model {HINT_MODEL!r}")
    p.add_argument("--reference", type=Path, default=None, metavar="PHOTO",
                   help="a global hint: make the colours follow this photo's ab histogram")


def read_hints_json(path: Path) -> Any:
    """The decoded HINTS.json (checked against each photo's size later); BadParameterError if unreadable."""
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise BadParameterError(f"cannot read the hints file {path}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BadParameterError(f"the hints file {path} is not valid JSON ({exc})") from exc


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        device = args.device or settings.device
        hints_json = None if args.hints is None else read_hints_json(args.hints)
        if args.hint_method == "network":
            colorizer = ColorizationModel(HINT_MODEL, device=device)
            if not colorizer.takes_hints:
                raise ModelNotAvailableError(f"the {HINT_MODEL} model has no hints input")
        else:
            colorizer = ColorizationModel(args.model, device=device)
        if args.temperature is not None:
            from models.encoding import check_temperature

            check_temperature(args.temperature)
        prior = None
        if args.reference is not None:
            if colorizer.spec.output != "logits":
                raise BadParameterError("--reference needs a model that predicts a distribution")
            reference = load_image(args.reference, max_pixels=settings.max_image_pixels)
            prior = reference_prior(reference, colorizer.spec.centres)
        output_folder(args.out)
    except (PretextError, OSError) as exc:
        if isinstance(exc, ModelNotAvailableError) and args.hint_method == "network":
            print(f'error: {exc}; --hint-method "network" needs the {HINT_MODEL} model; use "distribution"',
                  file=sys.stderr)
            return 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = OutputNames(args.files)
    failures = 0
    for path in args.files:
        try:
            rgb = load_image(path, max_pixels=settings.max_image_pixels)
            hints = Hints() if hints_json is None else parse_hints(hints_json, rgb.shape[1], rgb.shape[0])
            if prior is None:
                result = colorizer.colorize(rgb, args.temperature, hints)
            else:
                result = colorize_with_reference(colorizer, rgb, args.temperature, hints, prior)
            target = write_file(names.next(path, args.out), encode_png(result.rgb8))
        except (PretextError, OSError) as exc:
            failures += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        print(target, flush=True)
    return 1 if failures else 0


def colorize_with_reference(colorizer: ColorizationModel, rgb: Any, temperature: float | None, hints: Hints,
                            prior: Any) -> Any:
    """Colorize with a reference photo's prior over every pixel (P * pi^lambda), then the point/palette hints."""
    from models.colorization import apply_ab
    from models.colorization_model import Colorization
    from models.distribution import log_probabilities
    from models.hints import hinted_ab

    params = HintParams()
    out = colorizer.network_output(rgb, hints)
    logp = apply_prior(log_probabilities(out), prior, params.prior_lambda)
    t = colorizer.spec.default_temperature if temperature is None else temperature
    if colorizer.takes_hints:
        hints = Hints(palette=hints.palette)  # its points went into the network
    ab = hinted_ab(logp, colorizer.spec.centres, rgb, hints, t, params)
    return Colorization(rgb8=apply_ab(rgb, ab), output=out)
