"""The rotation task: the stored upload -> its angle, the upright photo and attention overlays per block."""

import math
from typing import Any

import numpy as np
from celery import Task
from PIL import Image

from models.errors import BadParameterError
from models.imageio import decode_image, encode_png
from models.rotation import overlay, rotate
from models.settings import get_settings
from worker import sessions
from worker.base import JobTask, run_job
from worker.celery_app import celery_app
from worker.queues import task_name
from worker.store import Job, JobStore

BLOCKS = 4
OVERLAY_LONG_SIDE = 1024  # overlays are drawn on the photo shrunk to this long side (never enlarged)
DEFAULT_OPACITY = 0.5


def check_params(params: dict[str, Any]) -> tuple[int, float, float]:
    """(block, p, opacity) of a job, or BadParameterError; the API checks the same before queuing."""
    block, p = params.get("block", 3), params.get("p", 2.0)
    opacity = params.get("opacity")
    opacity = DEFAULT_OPACITY if opacity is None else opacity
    if isinstance(block, bool) or not isinstance(block, int) or not 1 <= block <= BLOCKS:
        raise BadParameterError(f"block must be an integer in 1..{BLOCKS}, got {block!r}")
    if not isinstance(p, int | float) or not math.isfinite(p) or not 0 < p <= 8:
        raise BadParameterError(f"p must be in (0, 8], got {p!r}")
    if not isinstance(opacity, int | float) or not 0 <= opacity <= 1:
        raise BadParameterError(f"opacity must be in [0, 1], got {opacity!r}")
    return block, float(p), float(opacity)


def display_copy(rgb8: np.ndarray, long_side: int = OVERLAY_LONG_SIDE) -> np.ndarray:
    """The photo shrunk so its longer side is at most ``long_side`` (unchanged if already smaller)."""
    h, w = rgb8.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return rgb8
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb8).resize(size, Image.Resampling.BOX))


def map_png(attention: np.ndarray) -> bytes:
    """A normalised (h, w) map in [0, 1] -> 8-bit grayscale PNG at the map's own resolution."""
    return encode_png(np.clip(np.round(attention * 255.0), 0, 255).astype(np.uint8))


def rotation_job(job: Job, store: JobStore) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, predict the angle and attention, encode the upright photo, overlays and raw maps."""
    block, p, opacity = check_params(job.params)
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    model = sessions.rotation()
    out = model.predict(rgb8, p)
    height, width = rgb8.shape[:2]
    shown = display_copy(rgb8)
    blobs = {"result": encode_png(rotate(rgb8, -out.angle))}
    for i, attention in enumerate(out.attention, start=1):
        blobs[f"attention{i}"] = encode_png(overlay(shown, attention, opacity))
        blobs[f"attention{i}_map"] = map_png(attention)
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "angle": out.angle,
        "probabilities": out.probabilities,
        "views": out.views,
        "block": block,
        "p": p,
        "attention": {
            "blocks": len(out.attention),
            "shapes": [list(m.shape) for m in out.attention],
            "overlay": {"width": shown.shape[1], "height": shown.shape[0], "opacity": opacity},
        },
        "model": {"name": model.card.get("name", sessions.ROTATION), "version": model.card.get("version")},
    }
    return result, blobs


@celery_app.task(name=task_name("rotation"), base=JobTask, bind=True)
def rotation(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(self, job_id, rotation_job)
