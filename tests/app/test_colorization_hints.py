"""Colour hints through the HTTP API, end to end: real Redis, a real worker, a tiny real model."""

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from models.color import rgb8_to_lab
from tests.app.test_colorization import colorize_now, png_array
from tests.imagecorpus import good_files
from tests.service_fixtures import image_field

pytestmark = pytest.mark.slow

RED = [220, 20, 20]
HINT = [{"x": 20, "y": 30, "rgb": RED}]  # the test photo is 96 x 64


def ab_distance(pixel: np.ndarray, rgb: list[int]) -> float:
    lab = rgb8_to_lab(np.array([pixel, rgb], np.uint8))
    return float(np.linalg.norm(lab[0, 1:] - lab[1, 1:]))


def test_hints_steer_the_result_toward_the_hint_colour(api):
    data = good_files()["rgb.jpg"]
    plain = colorize_now(api, data)
    hinted = colorize_now(api, data, hints=json.dumps(HINT))
    assert hinted["status"] == "succeeded", hinted
    assert hinted["result"]["hints"] == {"points": 1, "palette": 0, "method": "distribution"}
    assert "hints" not in plain["result"]
    before = png_array(api.get(plain["links"]["result"]).content)
    after = png_array(api.get(hinted["links"]["result"]).content)
    assert after.shape == before.shape == (64, 96, 3)
    assert ab_distance(after[30, 20], RED) < ab_distance(before[30, 20], RED) - 10
    assert ab_distance(after[30, 20], RED) < 25


def test_hints_come_as_a_form_field_too_and_with_a_palette(api):
    hints = [*HINT, {"palette": [RED, [20, 20, 220]]}]
    resp = api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(good_files()["rgb.jpg"]),
                    data={"hints": json.dumps(hints)})
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"]["hints"] == {"points": 1, "palette": 2, "method": "distribution"}


@pytest.mark.parametrize(("hints", "says"), [
    ('[{"x": 96, "y": 10, "rgb": [1, 2, 3]}]', "off the 96x64 photo"),
    ('[{"x": 10, "y": -1, "rgb": [1, 2, 3]}]', "hints[0] at (10, -1) is off the photo"),
    ('[{"x": 10, "y": 10, "rgb": [1, 2, 300]}]', "hints[0].rgb"),
    ('[{"x": 10, "y": 10, "rgb": [1, 2, 3], "r": 5}]', "unknown keys"),
    ("[{'x': 10}]", "not valid JSON"),
    (json.dumps([{"x": 1, "y": 1, "rgb": [1, 2, 3]}] * 65), "at most 64"),
])
def test_bad_hints_are_refused_at_submission_with_a_clear_422(api, hints, says):
    for where in ("params", "data"):
        resp = api.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]),
                        **{where: {"hints": hints}})
        assert resp.status_code == 422, resp.text
        assert says in resp.json()["detail"]


def test_the_hint_network_method_runs_the_hint_model_with_the_points_inside(api):
    job = colorize_now(api, good_files()["rgb.jpg"], hints=json.dumps(HINT), hint_method="network")
    assert job["status"] == "succeeded", job
    assert job["result"]["model"]["name"] == "colorization-hints"
    assert job["result"]["hints"] == {"points": 1, "palette": 0, "method": "network"}
    original = png_array(api.get(job["links"]["result"]).content)
    assert original.shape == (64, 96, 3)
    # Its stored distribution already has the point in: a re-decode must not pull the pixel to it a second time
    # (the distribution method would: see test_recolor_reapplies_the_jobs_hints_or_takes_new_ones).
    same = api.get(job["links"]["recolor"], params={"temperature": job["result"]["temperature"]})
    assert same.status_code == 200
    assert np.abs(png_array(same.content).astype(int) - original).max() <= 3  # float16 storage only
    bad = api.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]), params={"hint_method": "magic"})
    assert bad.status_code == 422


def test_the_hint_network_method_answers_503_when_its_model_is_not_installed(service_settings, tmp_path):
    models = tmp_path / "models"  # the plain model only
    models.mkdir()
    for path in service_settings.models_dir.glob("colorization.*"):
        shutil.copy(path, models / path.name)
    with TestClient(create_app(service_settings.model_copy(update={"models_dir": models}))) as client:
        resp = client.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]),
                           params={"hints": json.dumps(HINT), "hint_method": "network"})
    assert resp.status_code == 503, resp.text
    assert "colorization-hints model is not installed" in resp.json()["detail"]
    assert "pretext export colorization" in resp.json()["detail"]


def test_recolor_reapplies_the_jobs_hints_or_takes_new_ones(api):
    job = colorize_now(api, good_files()["rgb.jpg"], hints=json.dumps(HINT))
    original = png_array(api.get(job["links"]["result"]).content)
    t = job["result"]["temperature"]
    same = api.get(job["links"]["recolor"], params={"temperature": t})
    assert same.status_code == 200
    assert np.abs(png_array(same.content).astype(int) - original).max() <= 3  # float16 storage only
    none = api.get(job["links"]["recolor"], params={"temperature": t, "hints": "[]"})
    assert ab_distance(png_array(none.content)[30, 20], RED) > ab_distance(original[30, 20], RED) + 10
    off = api.get(job["links"]["recolor"],
                  params={"temperature": t, "hints": '[{"x": 500, "y": 1, "rgb": [1, 2, 3]}]'})
    assert off.status_code == 422 and "off the 96x64 photo" in off.json()["detail"]


def test_the_hints_field_is_documented_in_the_openapi_schema(api):
    schema = api.get("/openapi.json").json()
    text = json.dumps(schema["paths"]["/api/v1/colorization"])
    assert "hints" in text and "hint_method" in text and "0 <= x < width" in text
