"""Colorization jobs: the stored upload -> full-size PNG plus the network's ab distribution."""

from typing import Any

from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.colorization import ColorizationParams
from models.distribution import pack
from models.imageio import decode_image, encode_png
from worker import sessions


def run(job: Job, store: JobStore, params: ColorizationParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode the upload, run the model, encode the outputs: (job result, blobs to store)."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    model = sessions.model("colorization")
    temperature = params.temperature
    out = model.colorize(rgb8, temperature)
    height, width = out.rgb8.shape[:2]
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "temperature": model.spec.default_temperature if temperature is None else temperature,
        "model": {"name": model.card.name, "version": model.card.version},
        "output_kind": model.spec.output,
    }
    blobs = {"result": encode_png(out.rgb8)}
    if model.spec.output == "logits":
        blobs["distribution"], shape = pack(out.output)
        result["distribution"] = {
            "shape": list(shape),
            "dtype": "float16",
            "layout": "QHW",
            "values": "log-probabilities",
            "bin_centres": model.spec.centres.tolist(),
        }
    return result, blobs

