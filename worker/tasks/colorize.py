"""The colorize task: the stored upload -> full-size PNG plus the network's ab distribution."""

from typing import Any

from celery import Task

from models.distribution import pack
from models.imageio import decode_image, encode_png
from models.settings import get_settings
from worker import sessions
from worker.base import JobTask, run_job
from worker.celery_app import celery_app
from worker.queues import task_name
from worker.store import Job, JobStore


def colorize_job(job: Job, store: JobStore) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode the upload, run the model, encode the outputs: (job result, blobs to store)."""
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    model = sessions.colorizer()
    temperature = job.params.get("temperature")
    out = model.colorize(rgb8, temperature)
    height, width = out.rgb8.shape[:2]
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "temperature": model.spec.default_temperature if temperature is None else temperature,
        "model": {"name": model.card.get("name", sessions.COLORIZATION),
                  "version": model.card.get("version")},
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


@celery_app.task(name=task_name("colorize"), base=JobTask, bind=True)
def colorize(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(self, job_id, colorize_job)
