"""Rotation jobs: the stored upload -> its angle, the upright photo and attention overlays per block."""

from typing import Any

import numpy as np
from PIL import Image

from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.rotation import RotationParams
from models.imageio import decode_image, encode_png
from models.rotation import overlay, rotate
from worker import sessions

OVERLAY_LONG_SIDE = 1024  # overlays are drawn on the photo shrunk to this long side (never enlarged)


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


def run(job: Job, store: JobStore, params: RotationParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, predict the angle and attention, encode the upright photo, overlays and raw maps."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    model = sessions.model("rotation")
    block, opacity = params.block, params.opacity
    p = model.card.default_p if params.p is None else params.p
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
        "model": {"name": model.card.name, "version": model.card.version},
    }
    return result, blobs

