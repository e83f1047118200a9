"""Colorization in the API process: the model's card, and re-decoding stored distributions (numpy only)."""

from typing import Any

import numpy as np

from app.services.jobs import succeeded_result
from core.errors import JobStateError
from core.store import Job
from models.distribution import recolor, unpack
from models.encoding import check_temperature
from models.imageio import decode_image, encode_png


def distribution_meta(job: Job) -> dict[str, Any]:
    """The stored distribution's description; JobStateError if this job has none (yet)."""
    meta = succeeded_result(job, "colorization", "distribution").get("distribution")
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
