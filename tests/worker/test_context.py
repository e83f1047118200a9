"""Context jobs in a real worker: what the worker fills in itself, and parameters that slipped past the API."""

import json

import pytest

from core.tasks import get_task
from models.context import default_box, neighbour_box
from tests.imagecorpus import good_files
from tests.service_fixtures import wait_for_job

pytestmark = pytest.mark.slow


def send(celery, job_id: str) -> None:
    celery.send_task(get_task("context").task_name, args=[job_id], task_id=job_id)


def test_a_job_without_a_box_gets_the_default_one_and_stores_its_three_images(worker, job_store, celery_client,
                                                                             tiny_models_dir):
    card = json.loads((tiny_models_dir / "context.json").read_text())
    ratio = card["gap"] / card["patch"]
    job = job_store.create("context", {"position": 3}, {"input": good_files()["rgb.jpg"]})  # 96 x 64
    send(celery_client, job.id)
    done = wait_for_job(job_store, job.id, 60)
    assert done.status == "succeeded", done.error
    box = default_box(96, 64, ratio)
    assert done.result["box"] == box.as_dict() and done.result["other_box"] == neighbour_box(box, 3, ratio).as_dict()
    assert done.result["truth"] == 3 and done.attempts == 1
    assert all(job_store.blob(job.id, name).startswith(b"\x89PNG") for name in ("result", "centre", "piece"))


@pytest.mark.parametrize(("params", "fragment"), [
    ({}, "needs a position or other"),
    ({"box": "80,10,20", "position": 0}, "outside the 96x64 photo"),
    ({"box": "10,10,20", "other": "90,0"}, "reaches outside the 96x64 photo"),
    ({"position": 9}, "position: "),
    ({"box": "1,1,20", "position": 1, "other": "3,3"}, "not both"),
    ({"box": "1,1", "position": 1}, "box: "),
])
def test_bad_parameters_that_slipped_past_the_api_fail_clearly(worker, job_store, celery_client, params, fragment):
    job = job_store.create("context", params, {"input": good_files()["rgb.jpg"]})
    send(celery_client, job.id)
    failed = wait_for_job(job_store, job.id, 60)
    assert failed.status == "failed" and fragment in failed.error, failed.error
    assert failed.attempts == 1  # a domain error: not retried
