"""Colorization in the API process: the model's card, and re-decoding stored distributions (numpy only)."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models.cards import card_path
from models.distribution import recolor, unpack
from models.encoding import check_temperature
from models.errors import ModelNotAvailableError
from models.imageio import decode_image, encode_png
from worker.errors import JobStateError
from worker.store import Job

MODEL = "colorization"
EXPORT_HINT = "export one with `pretext export colorization`"


@lru_cache(maxsize=8)
def _read_card(path: Path, _mtime_ns: int) -> dict[str, Any]:
    return json.loads(path.read_text())


def installed_card(models_dir: Path, name: str = MODEL) -> dict[str, Any]:
    """The card of an installed model (card and ONNX file present); ModelNotAvailableError otherwise."""
    path = card_path(name, models_dir)
    try:
        card = _read_card(path, path.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"the {name} model is not installed (no {path}); {EXPORT_HINT}") from exc
    except json.JSONDecodeError as exc:
        raise ModelNotAvailableError(f"the {name} model card {path} is not valid JSON") from exc
    onnx = models_dir / card.get("file", f"{name}.onnx")
    if not onnx.is_file():
        raise ModelNotAvailableError(f"the {name} model file is missing ({onnx}); {EXPORT_HINT}")
    return card


def distribution_meta(job: Job) -> dict[str, Any]:
    """The stored distribution's description; JobStateError if this job has none (yet)."""
    if job.kind != "colorize":
        raise JobStateError(f"job {job.id} is a {job.kind} job, not a colorize job")
    if job.status != "succeeded" or not job.result:
        raise JobStateError(f"job {job.id} is {job.status}; its distribution exists once it has succeeded")
    meta = job.result.get("distribution")
    if meta is None:
        raise JobStateError(f"the model of job {job.id} predicts ab directly; it has no distribution")
    return meta


def recolor_png(photo: bytes, distribution: bytes, meta: dict[str, Any], temperature: float,
                max_pixels: int) -> bytes:
    """Re-decode a stored distribution at ``temperature`` over the original photo -> PNG bytes."""
    t = check_temperature(temperature)
    rgb8 = decode_image(photo, max_pixels=max_pixels)
    log_probs = unpack(distribution, tuple(meta["shape"]))
    centres = np.asarray(meta["bin_centres"], dtype=np.float32)
    return encode_png(recolor(rgb8, log_probs, centres, t))
