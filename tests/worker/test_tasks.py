"""The job tasks in a real worker: results of every kind, domain errors (failed, not retried), config."""

import pytest
from PIL import Image

from core.celery_config import celery_config
from core.queues import queue_names
from core.settings import Settings
from core.tasks import all_tasks, get_task
from tests.imagecorpus import bad_files, encode, good_files, photo
from tests.service_fixtures import wait_for_job
from worker.tasks import job_function

pytestmark = pytest.mark.slow


def send(celery, job_id: str, kind: str = "colorization") -> None:
    celery.send_task(get_task(kind).task_name, args=[job_id], task_id=job_id)


def test_a_colorize_job_stores_its_png_and_distribution(worker, job_store, celery_client):
    job = job_store.create("colorization", {"temperature": 0.38}, {"input": good_files()["rgb.jpg"]})
    send(celery_client, job.id)
    done = wait_for_job(job_store, job.id, 60)
    assert done.status == "succeeded", done.error
    assert done.attempts == 1 and done.worker.startswith("session@")
    assert job_store.blob(job.id, "result").startswith(b"\x89PNG")
    q, h, w = done.result["distribution"]["shape"]
    assert len(job_store.blob(job.id, "distribution")) == q * h * w * 2
    assert celery_client.AsyncResult(job.id).get(timeout=30) == {"status": "succeeded"}


def test_a_domain_error_fails_the_job_once_and_the_worker_carries_on(worker, job_store, celery_client):
    bad = job_store.create("colorization", {"temperature": 0.38}, {"input": bad_files()["truncated.jpg"]})
    send(celery_client, bad.id)
    failed = wait_for_job(job_store, bad.id, 60)
    assert failed.status == "failed" and "truncated" in failed.error
    assert failed.attempts == 1  # not retried
    assert celery_client.AsyncResult(bad.id).get(timeout=30) == {"status": "failed"}

    good = job_store.create("colorization", {"temperature": 0.38}, {"input": good_files()["rgb.jpg"]})
    send(celery_client, good.id)
    assert wait_for_job(job_store, good.id, 60).status == "succeeded"


def test_a_bad_temperature_that_slipped_past_the_api_fails_clearly(worker, job_store, celery_client):
    job = job_store.create("colorization", {"temperature": 42}, {"input": good_files()["rgb.jpg"]})
    send(celery_client, job.id)
    failed = wait_for_job(job_store, job.id, 60)
    assert failed.status == "failed" and "temperature" in failed.error


def test_jigsaw_and_rotation_jobs_store_their_images(worker, job_store, celery_client):
    photo = good_files()["rgb.jpg"]  # 96 x 64
    puzzle = job_store.create("jigsaw", {"seed": 5, "shuffled": False}, {"input": photo})
    turned = job_store.create("rotation", {"block": 2, "p": 1.5}, {"input": photo})
    send(celery_client, puzzle.id, "jigsaw")
    send(celery_client, turned.id, "rotation")
    done = wait_for_job(job_store, puzzle.id, 60)
    assert done.status == "succeeded", done.error
    assert (done.result["width"], done.result["height"]) == (96, 63)
    assert sorted(done.result["permutation"]) == list(range(9)) and len(done.result["shuffle"]) == 9
    assert all(job_store.blob(puzzle.id, name).startswith(b"\x89PNG") for name in ("shuffled", "result"))
    done = wait_for_job(job_store, turned.id, 60)
    assert done.status == "succeeded", done.error
    assert done.result["p"] == 1.5 and done.result["attention"]["overlay"]["opacity"] == 0.5
    names = ["result"] + [f"attention{b}{s}" for b in range(1, 5) for s in ("", "_map")]
    assert all(job_store.blob(turned.id, name).startswith(b"\x89PNG") for name in names)


@pytest.mark.parametrize(("kind", "params", "fragment"), [
    ("jigsaw", {"seed": "abc"}, "seed: "),
    ("jigsaw", {"seed": -3}, "seed: "),
    ("jigsaw", {"shuffled": False}, "needs a seed"),
    ("jigsaw", {"shuffled": True, "method": "magic"}, "method: "),
    ("jigsaw", {"shuffled": True, "tiny": True}, "3x3"),
    ("rotation", {"block": 9}, "block: "),
    ("rotation", {"p": 42}, "p: "),
    ("rotation", {"opacity": 2}, "opacity: "),
    ("inpainting", {"box": "90,60,10,10"}, "outside the 96x64 photo"),
    ("inpainting", {"box": "1,1,2,2", "model": "gan"}, "model: "),
    ("inpainting", {}, "has no mask"),  # neither a box nor a stored mask
])
def test_bad_parameters_that_slipped_past_the_api_fail_clearly(worker, job_store, celery_client, kind, params,
                                                               fragment):
    tiny = params.get("tiny", False)
    data = encode(Image.fromarray(photo(2, 2)), "PNG") if tiny else good_files()["rgb.jpg"]
    job = job_store.create(kind, {k: v for k, v in params.items() if k != "tiny"}, {"input": data})
    send(celery_client, job.id, kind)
    failed = wait_for_job(job_store, job.id, 60)
    assert failed.status == "failed" and fragment in failed.error, failed.error
    assert failed.attempts == 1  # a domain error: not retried


def test_the_worker_carries_on_after_failed_jigsaw_and_rotation_jobs(worker, job_store, celery_client):
    for kind, params in [("jigsaw", {"shuffled": True}), ("rotation", {})]:
        bad = job_store.create(kind, params, {"input": bad_files()["truncated.jpg"]})
        send(celery_client, bad.id, kind)
        failed = wait_for_job(job_store, bad.id, 60)
        assert failed.status == "failed" and "truncated" in failed.error
        good = job_store.create(kind, params, {"input": good_files()["rgb.jpg"]})
        send(celery_client, good.id, kind)
        assert wait_for_job(job_store, good.id, 60).status == "succeeded"


def test_inpainting_jobs_fill_a_stored_mask_or_a_box_and_drop_the_mask_once_done(worker, job_store, celery_client):
    import numpy as np

    from core.store import blob_key

    gray = np.zeros((64, 96), dtype=np.uint8)
    gray[20:30, 40:60] = 255
    mask = encode(Image.fromarray(gray), "PNG")
    by_mask = job_store.create("inpainting", {"model": "adversarial", "uploads": ["mask"]},
                               {"input": good_files()["rgb.jpg"], "mask": mask})
    by_box = job_store.create("inpainting", {"box": "40,20,20,10"}, {"input": good_files()["rgb.jpg"]})
    wrong = job_store.create("inpainting", {"uploads": ["mask"]},
                             {"input": good_files()["rgb.jpg"], "mask": encode(Image.fromarray(gray.T), "PNG")})
    for job in (by_mask, by_box, wrong):
        send(celery_client, job.id, "inpainting")
    for job, card in ((by_mask, "inpainting-adversarial"), (by_box, "inpainting")):
        done = wait_for_job(job_store, job.id, 60)
        assert done.status == "succeeded", done.error
        assert done.result["model"]["name"] == card and done.result["hole_pixels"] == 200
        assert done.result["hole_box"] == [40, 20, 20, 10]
        assert all(job_store.blob(job.id, name).startswith(b"\x89PNG") for name in ("result", "fill"))
        assert not job_store.client.exists(blob_key(job.id, "input"))
    assert not job_store.client.exists(blob_key(by_mask.id, "mask"))
    failed = wait_for_job(job_store, wrong.id, 60)
    assert failed.status == "failed" and "the mask is 64x96, the photo 96x64" in failed.error
    assert not job_store.client.exists(blob_key(wrong.id, "mask"))


def test_a_job_that_expired_is_skipped(worker, celery_client):
    job_id = "f" * 32
    send(celery_client, job_id)
    assert celery_client.AsyncResult(job_id).get(timeout=30) == {"status": "missing"}


def test_a_finished_job_delivered_again_is_not_run_twice(worker, job_store, celery_client):
    job = job_store.create("colorization", {}, {"input": good_files()["rgb.jpg"]})
    send(celery_client, job.id)
    first = wait_for_job(job_store, job.id, 60)
    celery_client.send_task(get_task("colorization").task_name, args=[job.id], task_id="again-" + job.id)
    assert celery_client.AsyncResult("again-" + job.id).get(timeout=30)["duplicate"] is True
    assert job_store.get(job.id).updated_at == first.updated_at


def test_every_task_has_a_declared_queue_a_route_and_a_job_function():
    config = celery_config(Settings(REDIS_URL="redis://127.0.0.1:1/0", broker_visibility_timeout_s=7))
    assert [q.name for q in config["task_queues"]] == list(queue_names()) == [
        "colorization", "jigsaw", "rotation", "context", "inpainting", "features",
        "colorization-large", "jigsaw-large", "rotation-large", "context-large", "inpainting-large", "features-large"]
    assert config["task_create_missing_queues"] is False
    assert config["task_routes"]["pretext.colorization"] == {"queue": "colorization"}
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["broker_transport_options"]["visibility_timeout"] == 7
    assert config["task_routes"]["pretext.jigsaw"] == {"queue": "jigsaw"}
    assert config["task_routes"]["pretext.rotation"] == {"queue": "rotation"}
    assert all(callable(job_function(spec)) for spec in all_tasks())


def test_an_upload_is_deleted_once_processed_unless_its_task_rereads_it(worker, job_store, celery_client):
    from core.store import blob_key

    kept = job_store.create("colorization", {}, {"input": good_files()["rgb.jpg"]})
    dropped = job_store.create("rotation", {}, {"input": good_files()["rgb.jpg"]})
    failed = job_store.create("rotation", {}, {"input": bad_files()["truncated.jpg"]})
    for job in (kept, dropped, failed):
        send(celery_client, job.id, job.kind)
    assert wait_for_job(job_store, kept.id, 60).status == "succeeded"
    assert wait_for_job(job_store, dropped.id, 60).status == "succeeded"
    assert wait_for_job(job_store, failed.id, 60).status == "failed"
    assert job_store.client.exists(blob_key(kept.id, "input"))  # /recolor re-decodes over the photo
    assert not job_store.client.exists(blob_key(dropped.id, "input"))
    assert not job_store.client.exists(blob_key(failed.id, "input"))
