"""Inpainting jobs: the stored upload and its hole (the stored mask, or the box) -> the filled photo."""

from typing import Any

import numpy as np

from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.inpainting import CARDS, MASK, InpaintingParams, parse_box
from models.imageio import decode_image, encode_png
from models.inpainting import box_mask, decode_mask, hole_box, mask_from_image
from worker import sessions


def hole_of(job: Job, store: JobStore, params: InpaintingParams, height: int, width: int) -> np.ndarray:
    """(H, W) bool: the box, or the stored mask (checked again: the same rules as at submission)."""
    if params.box is not None:
        return box_mask(height, width, parse_box(params.box))
    data = store.blob(job.id, MASK.name)
    return mask_from_image(decode_mask(data, max_pixels=get_settings().max_image_pixels), height, width)


def run(job: Job, store: JobStore, params: InpaintingParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, build the hole, fill it with the chosen model, encode the result and the bare fill."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    height, width = rgb8.shape[:2]
    mask = hole_of(job, store, params, height, width)
    model = sessions.model("inpainting", CARDS[params.model])
    out = model.inpaint(rgb8, mask)
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "hole_pixels": int(np.count_nonzero(mask)),
        "hole_box": list(hole_box(mask)),  # its bounding box, X,Y,W,H
        "source": "box" if params.box is not None else "mask",
        "window": {"x": out.window.x, "y": out.window.y, "side": out.window.side},
        "network_side": out.network_side,
        "model": {"name": model.card.name, "version": model.card.version, "loss": model.card.loss},
    }
    return result, {"result": encode_png(out.result), "fill": encode_png(out.fill)}
