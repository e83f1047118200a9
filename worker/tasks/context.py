"""Context jobs: the stored upload, a centre patch and a second one -> where the network puts the second."""

from typing import Any

from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.context import ContextParams
from models.context import (
    CENTRE_COLOUR,
    PIECE_COLOUR,
    outline_patches,
    patch_preview,
    positions_table,
)
from models.imageio import decode_image, encode_png
from worker import sessions
from worker.tasks.rotation import display_copy


def run(job: Job, store: JobStore, params: ContextParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, cut both patches, ask the network, encode the outlined photo and the two patches."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    height, width = rgb8.shape[:2]
    model = sessions.model("context")
    box, other = params.patches(width, height, model.gap_ratio)
    out = model.predict(rgb8, box, other)
    shown = display_copy(rgb8)
    scale = shown.shape[1] / width
    blobs = {
        "result": encode_png(outline_patches(shown, [(box, CENTRE_COLOUR), (other, PIECE_COLOUR)], scale)),
        "centre": encode_png(patch_preview(out.centre)),
        "piece": encode_png(patch_preview(out.piece)),
    }
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "box": box.as_dict(),
        "other_box": other.as_dict(),
        "position": params.position,
        **out.answer_fields(),
        "positions": positions_table(),
        "model": {"name": model.card.name, "version": model.card.version},
    }
    return result, blobs
