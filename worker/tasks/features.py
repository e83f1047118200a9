"""Features jobs: the stored upload -> its nearest index photos under every model, and their first-layer filters."""

from typing import Any

from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.features import FeaturesParams
from models.features_sprites import neighbour_sprite
from models.imageio import decode_image, encode_png
from worker import sessions


def run(job: Job, store: JobStore, params: FeaturesParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, find each model's neighbours, draw them a row per model, and the models' filters."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    model = sessions.model("features")
    names = model.check_names(params.names)
    found = model.neighbours(rgb8, params.k, names)
    photos = model.photos
    sheet, blocks = model.filter_sheet(names)
    height, width = rgb8.shape[:2]
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "k": params.k,
        "index": {"split": photos.split, "photos": len(photos), "size": int(photos.squares.shape[1])},
        "models": [{
            "name": f.source.name,
            "label": f.source.label,
            "block": f.source.block,
            "input": f.source.input,
            "grid": f.source.grid,
            "neighbours": [{"index": int(i), "label": photos.class_of(int(i)), "wnid": photos.wnids[int(i)],
                            "similarity": round(float(s), 4)}
                           for i, s in zip(f.indices, f.similarities, strict=True) if i >= 0],
        } for f in found],
        "filters": [b.summary() for b in blocks],
        "model": {"name": model.card.name, "version": model.card.version},
    }
    blobs = {
        "neighbours": encode_png(neighbour_sprite(photos.squares, [f.indices for f in found], params.k)),
        "filters": encode_png(sheet),
    }
    return result, blobs
