"""Colorization through the HTTP API, end to end: real Redis, a real worker, a tiny real model."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.imagecorpus import encode, exif_rotated_jpeg, good_files
from tests.service_fixtures import finished, image_field

pytestmark = pytest.mark.slow


def png_array(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return np.asarray(im.convert("RGB"))


def colorize_now(api, data: bytes, name: str = "photo.jpg", **params) -> dict:
    resp = api.post("/api/v1/colorization", files=image_field(data, name), params={"wait": 30, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_job_succeeds_and_its_png_has_the_input_size(api):
    resp = api.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]))
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert set(body) == {"id", "status", "links"}
    assert body["status"] == "queued"
    assert body["links"] == {"self": f"/api/v1/jobs/{body['id']}"}
    assert resp.headers["location"] == body["links"]["self"]

    job = finished(api, body["id"])
    assert job["status"] == "succeeded", job
    assert job["kind"] == "colorization" and job["error"] is None
    assert job["result"]["width"] == 96 and job["result"]["height"] == 64
    result = api.get(job["links"]["result"])
    assert result.headers["content-type"] == "image/png"
    assert png_array(result.content).shape == (64, 96, 3)


def test_wait_answers_200_with_the_finished_job(api):
    job = colorize_now(api, good_files()["rgb.jpg"])
    assert job["status"] == "succeeded"
    assert job["result"]["temperature"] == pytest.approx(0.38)  # the card's default
    assert job["links"]["result"].endswith("/result")


def test_temperature_comes_from_the_form_or_the_query(api):
    data = good_files()["rgb.jpg"]
    by_form = api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(data),
                       data={"temperature": "1.5"}).json()
    assert by_form["result"]["temperature"] == pytest.approx(1.5)
    assert colorize_now(api, data, temperature=0.0)["result"]["temperature"] == 0.0


def test_recolor_at_another_temperature_gives_another_image(api):
    job = colorize_now(api, good_files()["rgb.jpg"])
    original = png_array(api.get(job["links"]["result"]).content)

    same = api.post(job["links"]["recolor"], params={"temperature": 0.38})
    assert same.status_code == 200 and same.headers["content-type"] == "image/png"
    # float16 storage of the distribution changes at most a rounding step here and there.
    assert np.abs(png_array(same.content).astype(int) - original).max() <= 2

    mode = api.get(job["links"]["recolor"], params={"temperature": 0.0})
    assert mode.status_code == 200
    recoloured = png_array(mode.content)
    assert recoloured.shape == original.shape
    assert np.abs(recoloured.astype(int) - original).mean() > 0.5


def test_the_distribution_is_float16_log_probabilities_with_its_bin_centres(api):
    job = colorize_now(api, good_files()["rgb.jpg"])
    meta = job["result"]["distribution"]
    resp = api.get(job["links"]["distribution"])
    assert resp.status_code == 200
    q, h, w = (int(n) for n in resp.headers["x-shape"].split(","))
    assert [q, h, w] == meta["shape"] and resp.headers["x-dtype"] == "float16"
    assert len(meta["bin_centres"]) == q
    logp = np.frombuffer(resp.content, dtype="<f2").reshape(q, h, w).astype(np.float64)
    np.testing.assert_allclose(np.exp(logp).sum(0), 1.0, atol=0.02)
    assert (h, w) == (64 // 4, 96 // 4)  # serve_short_side 64 -> 64x96 network input -> /4


@pytest.mark.parametrize("name", ["cmyk.jpg", "sixteen.png", "rgba.png", "palette.png", "la.png", "anim.gif"])
def test_odd_image_modes_are_accepted(api, name):
    job = colorize_now(api, good_files()[name], name)
    assert job["status"] == "succeeded", job
    assert png_array(api.get(job["links"]["result"]).content).shape == (64, 96, 3)


def test_exif_rotation_is_applied_before_colorizing(api):
    job = colorize_now(api, exif_rotated_jpeg(90, 60), "rotated.jpg")
    assert (job["result"]["width"], job["result"]["height"]) == (60, 90)
    assert png_array(api.get(job["links"]["result"]).content).shape == (90, 60, 3)


def test_the_older_path_submits_the_same_job(api):
    resp = api.post("/api/v1/colorize", files=image_field(good_files()["rgb.jpg"]), params={"wait": 30},
                    data={"temperature": "0.5"})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["kind"] == "colorization" and job["result"]["temperature"] == 0.5
    assert set(job["links"]) == {"self", "result", "distribution", "recolor"}


def test_recolor_waits_for_a_free_slot_then_answers_503_with_retry_after(service_settings, worker, api):
    import anyio
    from fastapi.testclient import TestClient

    from app.main import create_app

    job = colorize_now(api, good_files()["rgb.jpg"])
    busy = service_settings.model_copy(update={"recolor_concurrency": 1, "recolor_wait_s": 0.2})
    app = create_app(busy)
    with TestClient(app) as client:
        url = job["links"]["recolor"]
        assert client.get(url, params={"temperature": 0.5}).status_code == 200
        holder = object()
        limiter = app.state.slots["recolor"]  # made by the first recolor, in the app's event loop
        client.portal.call(limiter.acquire_on_behalf_of, holder)  # another request holds the only slot
        try:
            resp = client.get(url, params={"temperature": 0.5})
            assert resp.status_code == 503 and resp.headers["retry-after"] == "2", resp.text
        finally:
            client.portal.call(lambda: limiter.release_on_behalf_of(holder))
        assert client.get(url, params={"temperature": 0.5}).status_code == 200
        assert isinstance(limiter, anyio.CapacityLimiter)


def test_a_photo_above_the_large_job_size_waits_in_the_large_queue(service_settings, tmp_path):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.service_fixtures import run_redis

    server = run_redis(tmp_path / "redis")  # no worker listens here: the messages stay where they were sent
    try:
        settings = service_settings.model_copy(update={"redis_url": server.url, "large_job_pixels": 96 * 64 - 1})
        with TestClient(create_app(settings)) as client:
            photo = good_files()["rgb.jpg"]  # 96x64
            small = encode(Image.new("RGB", (32, 32), (40, 90, 160)), "PNG")
            assert client.post("/api/v1/colorization", files=image_field(photo)).status_code == 202
            assert client.post("/api/v1/colorization", files=image_field(small, "g.png")).status_code == 202
        client_redis = server.client()
        assert client_redis.llen("colorization-large") == 1 and client_redis.llen("colorization") == 1
    finally:
        server.stop()
