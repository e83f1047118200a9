"""Bad input gets a clear 4xx with a JSON detail, never a 500, and the service keeps working."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.imagecorpus import bad_files, good_files
from tests.service_fixtures import image_field

pytestmark = pytest.mark.slow

EXPECTED = {"empty.jpg": 415, "text.png": 415, "truncated.jpg": 415, "bomb.png": 413}


def test_the_bad_file_corpus_is_refused_then_a_good_photo_still_works(api):
    for name, data in bad_files().items():
        resp = api.post("/api/v1/colorization", files=image_field(data, name))
        assert resp.status_code == EXPECTED[name], (name, resp.text)
        assert isinstance(resp.json()["detail"], str) and resp.json()["detail"]
    ok = api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(good_files()["rgba.png"]))
    assert ok.status_code == 200 and ok.json()["status"] == "succeeded"


def test_unsupported_format_is_415(api):
    ppm = b"P6\n2 2\n255\n" + bytes(12)
    resp = api.post("/api/v1/colorization", files=image_field(ppm, "x.ppm"))
    assert resp.status_code == 415 and "PPM" in resp.json()["detail"]


def test_wrong_field_name_is_422(api):
    resp = api.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"], field="file"))
    assert resp.status_code == 422
    assert any(err["loc"][-1] == "image" for err in resp.json()["detail"])


def test_no_body_at_all_is_422(api):
    assert api.post("/api/v1/colorization").status_code == 422


@pytest.mark.parametrize("value", ["11", "-0.1", "nan", "inf", "abc", "1e999", ""])
def test_absurd_temperatures_are_422(api, value):
    data = good_files()["rgb.jpg"]
    by_query = api.post("/api/v1/colorization", params={"temperature": value}, files=image_field(data))
    by_form = api.post("/api/v1/colorization", data={"temperature": value}, files=image_field(data))
    if value == "":
        # An empty form field means "not given" (the card's default); an empty query value is not a number.
        assert by_form.status_code == 202
        assert by_query.status_code in {202, 422}
        return
    assert by_query.status_code == 422, by_query.text
    assert by_form.status_code == 422, by_form.text


@pytest.mark.parametrize("wait", ["-1", "61", "soon"])
def test_wait_out_of_bounds_is_422(api, wait):
    resp = api.post("/api/v1/colorization", params={"wait": wait}, files=image_field(good_files()["rgb.jpg"]))
    assert resp.status_code == 422


@pytest.mark.parametrize("job_id", ["0123456789abcdef0123456789abcdef", "not-a-job", "x" * 300])
@pytest.mark.parametrize("suffix", ["", "/result", "/distribution", "/recolor?temperature=0.5", "/shuffled",
                                    "/attention/1", "/attention/2/map"])
def test_unknown_jobs_are_404(api, job_id, suffix):
    resp = api.get(f"/api/v1/jobs/{job_id}{suffix}")
    assert resp.status_code == 404 and "no job" in resp.json()["detail"]


def test_recolor_needs_a_valid_temperature(api):
    job = api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(good_files()["rgb.jpg"])).json()
    assert api.post(job["links"]["recolor"]).status_code == 422
    assert api.post(job["links"]["recolor"], params={"temperature": "12"}).status_code == 422


def test_results_of_an_unfinished_job_are_409(api, job_store):
    job = job_store.create("colorization", {"temperature": 0.38}, {"input": good_files()["rgb.jpg"]})  # never sent
    for suffix in ["/result", "/distribution", "/recolor?temperature=1"]:
        resp = api.get(f"/api/v1/jobs/{job.id}{suffix}")
        assert resp.status_code == 409 and "queued" in resp.json()["detail"], suffix


def test_uploads_over_the_limit_are_413(service_settings, worker):
    small = service_settings.model_copy(update={"max_upload_bytes": 10_000})
    data = good_files()["rgb.bmp"]
    assert len(data) > 10_000
    with TestClient(create_app(small)) as client:
        # Under the body limit (which allows for multipart framing) but over the file limit.
        resp = client.post("/api/v1/colorization", files=image_field(data, "photo.bmp"))
        assert resp.status_code == 413 and "limit" in resp.json()["detail"]
        # Refused from Content-Length alone, before the body is read.
        resp = client.post("/api/v1/colorization", files=image_field(data + bytes(200_000)))
        assert resp.status_code == 413 and "limit" in resp.json()["detail"]
        # No Content-Length (chunked): refused while the body streams in.
        chunks = iter([b"-" * 50_000] * 4)
        resp = client.post("/api/v1/colorization", content=chunks,
                           headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert resp.status_code == 413, resp.text


@pytest.mark.parametrize(("path", "name", "value"), [
    ("/api/v1/colorization", "temperature", "1_0"),  # Python's float() reads 10.0
    ("/api/v1/colorization", "temperature", " 0.5"),
    ("/api/v1/jigsaw", "seed", "1_000"),
    ("/api/v1/rotation", "block", "0x2"),
    ("/api/v1/rotation", "p", "2."),  # fine: a plain decimal, the control case
])
def test_numbers_are_parsed_strictly_by_form_and_by_query(api, path, name, value):
    data = good_files()["rgb.jpg"]
    for kwargs in ({"params": {name: value}}, {"data": {name: value}}):
        resp = api.post(path, files=image_field(data), **kwargs)
        if value == "2.":
            assert resp.status_code == 202, resp.text
        else:
            assert resp.status_code == 422 and name in resp.text, resp.text


def test_a_client_over_its_hourly_pixels_gets_429_with_retry_after(service_settings, worker):
    from fastapi.testclient import TestClient

    from app.main import create_app

    photo = good_files()["rgb.jpg"]  # 96x64 = 6,144 pixels
    settings = service_settings.model_copy(update={"pixels_per_client_per_hour": 2 * 96 * 64})
    with TestClient(create_app(settings), client=("198.51.100.7", 5000)) as client:
        for _ in range(2):
            assert client.post("/api/v1/colorization", files=image_field(photo)).status_code == 202
        over = client.post("/api/v1/colorization", files=image_field(photo))
        assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1, over.text
        assert "pixels" in over.json()["detail"]
        spoofed = client.post("/api/v1/colorization", files=image_field(photo),
                              headers={"X-Forwarded-For": "203.0.113.9"})  # no trusted proxy: ignored
        assert spoofed.status_code == 429
    with TestClient(create_app(settings), client=("198.51.100.8", 5000)) as other:  # another address
        assert other.post("/api/v1/colorization", files=image_field(photo)).status_code == 202
