"""Liveness, readiness, metrics, model cards, and 503s when Redis, the queue or the model is missing."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.celery_config import make_celery
from core.errors import JobNotFoundError
from core.settings import Settings
from core.store import JobStore, from_fields
from pretext.serve import free_port
from tests.imagecorpus import good_files
from tests.service_fixtures import image_field, run_redis

pytestmark = pytest.mark.slow


def test_healthz_and_readyz_with_a_worker(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["redis"] == "ok"
    assert any(name.startswith("session@") for name in ready.json()["workers"])


def test_readyz_is_503_when_no_worker_answers(tmp_path, tiny_models_dir):
    server = run_redis(tmp_path / "redis")
    try:
        settings = Settings(REDIS_URL=server.url, models_dir=tiny_models_dir, ready_timeout_s=0.5)
        with TestClient(create_app(settings)) as client:
            resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["detail"] == "no worker answered a ping" and resp.json()["workers"] == []
    finally:
        server.stop()


def test_everything_needing_redis_is_503_when_redis_is_down(tiny_models_dir):
    settings = Settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", models_dir=tiny_models_dir,
                        redis_timeout_s=1.0)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["detail"] == "Redis is unreachable"
        resp = client.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]))
        assert resp.status_code == 503 and "Redis" in resp.json()["detail"]
        assert client.get("/api/v1/jobs/0123456789abcdef0123456789abcdef").status_code == 503
        assert client.get("/metrics").status_code == 200


def test_a_job_whose_task_cannot_be_sent_is_503_and_marked_failed(tmp_path, tiny_models_dir):
    server = run_redis(tmp_path / "redis")
    try:
        settings = Settings(REDIS_URL=server.url, models_dir=tiny_models_dir)
        with TestClient(create_app(settings)) as client:
            # A real Celery client whose broker is gone, while the job store is up.
            dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
            client.app.state.celery = make_celery(dead)
            resp = client.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]))
        assert resp.status_code == 503 and "queue" in resp.json()["detail"]
        redis = server.client()
        jobs = [from_fields(redis.hgetall(k)) for k in redis.scan_iter("pretext:job:*") if b":blob:" not in k]
        assert [(j.status, j.kind) for j in jobs] == [("failed", "colorization")]
        assert "never queued" in jobs[0].error
        # The client was told it failed (503), so its upload is not kept for hours with nothing to read it.
        with pytest.raises(JobNotFoundError):
            JobStore(redis, 60).blob(jobs[0].id, "input")
    finally:
        server.stop()


def test_a_missing_model_is_503_with_a_clear_detail(tmp_path, service_settings):
    settings = service_settings.model_copy(update={"models_dir": tmp_path / "empty"})
    with TestClient(create_app(settings)) as client:
        for kind, model in [("colorization", "colorization"), ("jigsaw", "jigsaw"), ("rotation", "rotation")]:
            resp = client.post(f"/api/v1/{kind}", files=image_field(good_files()["rgb.jpg"]))
            assert resp.status_code == 503
            detail = resp.json()["detail"]
            assert f"{model} model is not installed" in detail and f"pretext export {model}" in detail
        assert client.get("/api/v1/models").json() == {"data": [], "count": 0}


def test_models_lists_cards_without_the_bulky_arrays_unless_asked(api, tiny_models_dir):
    cards = api.get("/api/v1/models").json()
    on_disk = sorted(path.stem for path in tiny_models_dir.glob("*.json"))
    assert cards["count"] == len(on_disk)
    by_name = {card["name"]: card for card in cards["data"]}
    assert sorted(by_name) == on_disk
    # Every task's model, and the second inpainting model, the reference trunks and the features card.
    assert {"colorization", "context", "features", "inpainting", "inpainting-adversarial", "jigsaw", "random",
            "rotation", "supervised"} <= set(by_name)
    # The task's default model; the adversarial one answers to ?model=adversarial.
    assert by_name["inpainting"]["served_by"] == "inpainting" and by_name["inpainting-adversarial"]["served_by"] is None
    assert all(card["available"] is True for card in cards["data"])
    assert "bin_centres" not in by_name["colorization"] and "permutations" not in by_name["jigsaw"]
    assert by_name["rotation"]["angles"] == [0, 90, 180, 270]
    full = {card["name"]: card for card in api.get("/api/v1/models", params={"full": True}).json()["data"]}
    assert len(full["colorization"]["bin_centres"]) == full["colorization"]["num_bins"]
    assert len(full["jigsaw"]["permutations"]) == full["jigsaw"]["permutation_set"]["size"]


def test_metrics_count_requests_by_route_and_jobs_by_kind_and_status(api):
    api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(good_files()["rgb.jpg"]))
    api.get("/api/v1/jobs/0123456789abcdef0123456789abcdef")
    text = api.get("/metrics").text
    assert 'pretext_http_requests_total{method="POST",route="/api/v1/colorization",status="200"}' in text
    assert 'route="/api/v1/jobs/{job_id}",status="404"' in text
    assert "pretext_http_request_duration_seconds_bucket" in text
    assert 'pretext_jobs_total{kind="colorization",status="succeeded"}' in text
    assert 'pretext_queue_length{queue="jigsaw"}' in text


def test_a_queued_job_shows_its_place_in_its_task_queue(api, job_store):
    first = job_store.create("jigsaw", {"shuffled": True}, {"input": good_files()["rgb.jpg"]})  # never sent
    second = job_store.create("jigsaw", {"shuffled": True}, {"input": good_files()["rgb.jpg"]})
    place = api.get(f"/api/v1/jobs/{second.id}").json()["queue"]
    before = api.get(f"/api/v1/jobs/{first.id}").json()["queue"]
    assert place["position"] == before["position"] + 1 and place["ahead"] == place["position"] - 1
    job_store.fail(job_store.get(first.id), "cancelled by the test")
    assert api.get(f"/api/v1/jobs/{second.id}").json()["queue"]["position"] == place["position"] - 1
    assert api.get(f"/api/v1/jobs/{first.id}").json()["queue"] is None  # finished: no longer waiting
