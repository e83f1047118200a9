"""Rotation prediction through the HTTP API, end to end: real Redis, a real worker, a tiny real model."""

import io

import numpy as np
import pytest
from PIL import Image

from models.rotation import ANGLES, rotate
from tests.imagecorpus import encode, photo
from tests.service_fixtures import finished, image_field

pytestmark = pytest.mark.slow

PHOTO = photo(96, 64, seed=5)
# The tiny model serves at short side 64, so the network sees 96 x 64: blocks at /2, /4, /8, /8.
SHAPES = [[32, 48], [16, 24], [8, 12], [8, 12]]


def png(rgb8: np.ndarray) -> bytes:
    return encode(Image.fromarray(rgb8), "PNG")


def png_image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return im


def rotation_now(api, data: bytes, fields: dict | None = None, **params) -> dict:
    resp = api.post("/api/v1/rotation", files=image_field(data, "photo.png"), data=fields or {},
                    params={"wait": 30, **params})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "succeeded", job
    return job


def test_a_job_gives_the_angle_the_upright_photo_and_attention_of_every_block(api):
    resp = api.post("/api/v1/rotation", files=image_field(png(PHOTO), "photo.png"))
    assert resp.status_code == 202, resp.text
    job = finished(api, resp.json()["id"])
    assert job["status"] == "succeeded" and job["kind"] == "rotation", job
    result = job["result"]
    assert (result["width"], result["height"]) == (96, 64)
    assert result["angle"] in ANGLES
    probs = result["probabilities"]
    assert set(probs) == {"0", "90", "180", "270"} and sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert result["angle"] == int(max(probs, key=probs.get))
    assert len(result["views"]) == 4 and all(sum(v.values()) == pytest.approx(1.0, abs=1e-5) for v in result["views"])
    assert (result["block"], result["p"]) == (3, 2.0)
    assert result["attention"]["blocks"] == 4 and result["attention"]["shapes"] == SHAPES
    assert result["model"]["name"] == "rotation"

    upright = api.get(job["links"]["result"])
    assert upright.headers["content-type"] == "image/png"
    np.testing.assert_array_equal(np.asarray(png_image(upright.content).convert("RGB")),
                                  rotate(PHOTO, -result["angle"]))

    base = f"/api/v1/jobs/{job['id']}/attention"
    assert job["links"]["attention"] == f"{base}/3" and job["links"]["attention_map"] == f"{base}/3/map"
    for block, (h, w) in enumerate(SHAPES, start=1):
        overlay = api.get(f"{base}/{block}")
        assert overlay.status_code == 200 and overlay.headers["content-type"] == "image/png"
        im = png_image(overlay.content)
        assert (im.mode, im.size) == ("RGB", (96, 64))
        raw = png_image(api.get(f"{base}/{block}/map").content)
        assert (raw.mode, raw.size) == ("L", (w, h))
        values = np.asarray(raw)
        assert values.max() == 255 or values.max() == 0  # min-max normalised (0 only for a flat map)


def test_parameters_from_the_form_or_the_query_and_large_photos_get_display_size_overlays(api):
    wide = photo(1100, 40, seed=6)
    job = rotation_now(api, png(wide), {"block": "1", "opacity": "0"}, p="4")
    result = job["result"]
    assert (result["block"], result["p"]) == (1, 4.0)
    assert result["attention"]["overlay"] == {"width": 1024, "height": 37, "opacity": 0.0}
    assert job["links"]["attention"].endswith("/attention/1")
    # At opacity 0 the overlay is the photo itself, shrunk for display.
    shown = np.asarray(Image.fromarray(wide).resize((1024, 37), Image.Resampling.BOX))
    overlay = np.asarray(png_image(api.get(job["links"]["attention"]).content))
    np.testing.assert_array_equal(overlay, shown)


@pytest.mark.parametrize(("field", "value"), [
    ("block", "0"), ("block", "5"), ("block", "two"), ("block", "2.5"),
    ("p", "0"), ("p", "-1"), ("p", "8.5"), ("p", "nan"), ("p", "inf"), ("p", "x"),
    ("opacity", "1.5"), ("opacity", "-0.1"),
])
def test_bad_parameters_are_422_by_form_or_query(api, field, value):
    data = png(PHOTO)
    by_form = api.post("/api/v1/rotation", files=image_field(data), data={field: value})
    by_query = api.post("/api/v1/rotation", files=image_field(data), params={field: value})
    assert by_form.status_code == 422, by_form.text
    assert by_query.status_code == 422, by_query.text


def test_attention_of_a_bad_block_is_422_and_of_other_jobs_409(api, job_store):
    job = rotation_now(api, png(PHOTO))
    for block in ["0", "5", "x"]:
        assert api.get(f"/api/v1/jobs/{job['id']}/attention/{block}").status_code == 422
        assert api.get(f"/api/v1/jobs/{job['id']}/attention/{block}/map").status_code == 422
    queued = job_store.create("rotation", {"block": 3, "p": 2.0}, {"input": png(PHOTO)})  # never sent
    resp = api.get(f"/api/v1/jobs/{queued.id}/attention/2")
    assert resp.status_code == 409 and "queued" in resp.json()["detail"]
    jigsaw = job_store.create("jigsaw", {"seed": 1}, {"input": png(PHOTO)})
    resp = api.get(f"/api/v1/jobs/{jigsaw.id}/attention/2/map")
    assert resp.status_code == 409 and "not a rotation job" in resp.json()["detail"]
