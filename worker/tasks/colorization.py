"""Colorization jobs: the stored upload -> full-size PNG plus the network's ab distribution."""

from typing import Any

from core.errors import ModelNotAvailableError
from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.colorization import HINT_MODEL, ColorizationParams
from models.distribution import pack
from models.hints import parse_hints
from models.imageio import decode_image, encode_png
from worker import sessions


def run(job: Job, store: JobStore, params: ColorizationParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode the upload, run the model (with the job's hints, if any), encode the outputs: (job result, blobs)."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    height, width = rgb8.shape[:2]
    hints = parse_hints(params.hints, width, height)  # checked at submission against the same size
    if params.hint_method == "network":
        model = sessions.model("colorization", HINT_MODEL)
        if not model.takes_hints:
            raise ModelNotAvailableError(f"the {HINT_MODEL} model has no hints input; it cannot take hints")
    else:
        model = sessions.model("colorization")
    temperature = params.temperature
    out = model.colorize(rgb8, temperature, hints)
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "temperature": model.spec.default_temperature if temperature is None else temperature,
        "model": {"name": model.card.name, "version": model.card.version},
        "output_kind": model.spec.output,
    }
    if hints:
        result["hints"] = {"points": len(hints.points), "palette": len(hints.palette), "method": params.hint_method}
    blobs = {"result": encode_png(out.rgb8)}
    if model.spec.output == "logits":
        # The network's own distribution, before any hint: /recolor re-applies the job's hints to it.
        blobs["distribution"], shape = pack(out.output)
        result["distribution"] = {
            "shape": list(shape),
            "dtype": "float16",
            "layout": "QHW",
            "values": "log-probabilities",
            "bin_centres": model.spec.centres.tolist(),
        }
    return result, blobs
