"""Colorization in the API process: the model's card, and re-decoding stored distributions (numpy only)."""

from typing import Any

import numpy as np

from app.services.jobs import succeeded_result
from core.errors import JobStateError
from core.store import Job
from models.colorization import apply_ab
from models.distribution import recolor, unpack
from models.encoding import check_temperature
from models.hints import Hints, hinted_ab, parse_hints
from models.imageio import decode_image, encode_png


def distribution_meta(job: Job) -> dict[str, Any]:
    """The stored distribution's description; JobStateError if this job has none (yet)."""
    meta = succeeded_result(job, "colorization", "distribution").get("distribution")
    if meta is None:
        raise JobStateError(f"the model of job {job.id} predicts ab directly; it has no distribution")
    return meta


def recolor_hints(job: Job, hints: str | None) -> tuple[str | None, bool]:
    """(the hints a re-decode applies, whether their points are already in the stored output): the request's
    hints when given (``[]``: none), else the job's own; a hint network's job has its own points inside."""
    if hints is not None:
        return hints, False
    return job.params.get("hints"), job.params.get("hint_method") == "network"


def recolor_png(photo: bytes, distribution: bytes, meta: dict[str, Any], temperature: float,
                max_pixels: int, hints: str | None = None, points_inside: bool = False) -> bytes:
    """Re-decode a stored distribution at ``temperature`` over the original photo, with ``hints`` (HINTS.json
    text, models.hints) applied by the distribution method -> PNG bytes."""
    t = check_temperature(temperature)
    rgb8 = decode_image(photo, max_pixels=max_pixels)
    parsed = parse_hints(hints, rgb8.shape[1], rgb8.shape[0])
    if points_inside:
        parsed = Hints(palette=parsed.palette)
    log_probs = unpack(distribution, tuple(meta["shape"]))
    centres = np.asarray(meta["bin_centres"], dtype=np.float32)
    if not parsed:
        return encode_png(recolor(rgb8, log_probs, centres, t))
    return encode_png(apply_ab(rgb8, hinted_ab(log_probs, centres, rgb8, parsed, t)))
