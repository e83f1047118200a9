"""Colorization in the API process: the model's card, and re-decoding stored distributions (numpy only)."""

from typing import Any

import numpy as np

from app.services.cards import installed_card as installed_card  # re-exported: pretext.serve, bench
from models.distribution import recolor, unpack
from models.encoding import check_temperature
from models.imageio import decode_image, encode_png
from worker.errors import JobStateError
from worker.store import Job

MODEL = "colorization"


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
