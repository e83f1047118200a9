"""Context prediction through the HTTP API, end to end: real Redis, a real worker, a tiny real model."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from models.context import (
    CENTRE_COLOUR,
    PIECE_COLOUR,
    POSITION_NAMES,
    PatchBox,
    as_grid,
    default_box,
    neighbour_box,
    positions_table,
)
from tests.imagecorpus import encode, photo
from tests.service_fixtures import finished, image_field

pytestmark = pytest.mark.slow

PHOTO = photo(150, 100, seed=3)


def png(rgb8: np.ndarray) -> bytes:
    return encode(Image.fromarray(rgb8), "PNG")


def png_array(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return np.asarray(im.convert("RGB"))


def gap_ratio(tiny_models_dir) -> float:
    card = json.loads((tiny_models_dir / "context.json").read_text())
    return card["gap"] / card["patch"]


def context_now(api, data: bytes, fields: dict | None = None, **params) -> dict:
    resp = api.post("/api/v1/context", files=image_field(data, "photo.png"), data=fields or {},
                    params={"wait": 30, **params})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "succeeded", job
    return job


def assert_answer(result: dict) -> None:
    """The probabilities, their grid and the named prediction agree with each other."""
    probs = result["probabilities"]
    assert len(probs) == 8 and sum(probs) == pytest.approx(1.0, abs=1e-5) and min(probs) > 0
    assert result["grid"] == as_grid(np.array(probs))
    assert result["predicted"] == int(np.argmax(probs))
    assert result["predicted_name"] == POSITION_NAMES[result["predicted"]]
    assert result["positions"] == positions_table()
    assert result["model"]["name"] == "context" and result["model"]["version"].startswith("context-tiny")


def test_a_job_places_the_piece_and_serves_the_outlined_photo_and_both_patches(api, tiny_models_dir):
    resp = api.post("/api/v1/context", files=image_field(png(PHOTO), "photo.png"),
                    data={"box": "60,40,24", "position": "2"})
    assert resp.status_code == 202, resp.text
    job = finished(api, resp.json()["id"])
    assert job["status"] == "succeeded" and job["kind"] == "context", job
    result = job["result"]
    assert_answer(result)
    box = PatchBox(60, 40, 24)
    other = neighbour_box(box, 2, gap_ratio(tiny_models_dir))
    assert (other.x, other.y) == (93, 7)  # a step of 24 + 9 px at the tiny card's 6 / 16
    assert result["box"] == box.as_dict() and result["other_box"] == other.as_dict()
    assert (result["width"], result["height"], result["position"]) == (150, 100, 2)
    assert (result["truth"], result["truth_name"]) == (2, "top right")
    assert result["correct"] == (result["predicted"] == 2)

    base = f"/api/v1/jobs/{job['id']}"
    assert job["links"] == {"self": base, "result": f"{base}/result", "centre": f"{base}/centre",
                            "piece": f"{base}/piece"}
    np.testing.assert_array_equal(png_array(api.get(f"{base}/centre").content), PHOTO[40:64, 60:84])
    piece = api.get(f"{base}/piece")
    assert piece.headers["content-type"] == "image/png"
    np.testing.assert_array_equal(png_array(piece.content), PHOTO[7:31, 93:117])
    outlined = png_array(api.get(job["links"]["result"]).content)
    assert outlined.shape == PHOTO.shape
    assert tuple(outlined[40 - 2, 72]) == CENTRE_COLOUR and tuple(outlined[7 - 2, 105]) == PIECE_COLOUR
    np.testing.assert_array_equal(outlined[44:60, 64:80], PHOTO[44:60, 64:80])  # inside: the photo itself


def test_by_default_the_server_chooses_the_largest_centred_box_and_a_position(api, tiny_models_dir):
    result = context_now(api, png(PHOTO))["result"]
    assert_answer(result)
    box = default_box(150, 100, gap_ratio(tiny_models_dir))
    assert result["box"] == box.as_dict()
    assert 0 <= result["position"] < 8 and result["truth"] == result["position"]
    assert result["other_box"] == neighbour_box(box, result["position"], gap_ratio(tiny_models_dir)).as_dict()


def test_a_second_patch_given_by_its_corner_is_judged_by_the_nearest_place(api, tiny_models_dir):
    step = 24 + round(24 * gap_ratio(tiny_models_dir))
    near = context_now(api, png(PHOTO), {"box": "60,40,24", "other": f"{60 - step + 3},{40 + step - 2}"})["result"]
    assert_answer(near)
    assert (near["position"], near["truth"], near["truth_name"]) == (None, 5, "bottom left")
    assert near["other_box"] == {"x": 60 - step + 3, "y": 40 + step - 2, "side": 24}
    far = context_now(api, png(PHOTO), other="0,0", box="60,40,24")["result"]  # in the query string
    assert (far["truth"], far["truth_name"], far["correct"]) == (None, None, None)


def test_a_large_photo_is_outlined_at_display_size_and_its_patches_shrunk(api, tiny_models_dir):
    big = photo(1500, 1000, seed=7)
    job = context_now(api, png(big), {"position": "6"})
    result = job["result"]
    box = default_box(1500, 1000, gap_ratio(tiny_models_dir))
    assert result["box"] == box.as_dict() and box.side > 256
    outlined = png_array(api.get(job["links"]["result"]).content)
    assert outlined.shape == (683, 1024, 3)
    assert png_array(api.get(job["links"]["centre"]).content).shape == (256, 256, 3)


@pytest.mark.parametrize(("fields", "params", "says"), [
    ({"box": "abc"}, {}, "X,Y,S"),
    ({"box": "1,2"}, {}, "X,Y,S"),
    ({"position": "8"}, {}, "position"),
    ({"position": "-1"}, {}, "position"),
    ({"position": "1.5"}, {}, "position"),
    ({"position": "1_0"}, {}, "position"),
    ({"position": "3", "other": "10,10"}, {}, "not both"),
    ({"other": "10"}, {}, "X,Y"),
    ({}, {"box": "130,40,30"}, "reaches outside the 150x100 photo"),
    ({"box": "60,40,5"}, {}, "at least 8 px"),
    ({"box": "0,0,30", "position": "0"}, {}, "top left"),
    ({"box": "60,40,24", "other": "140,0"}, {}, "reaches outside"),
])
def test_bad_parameters_are_422_with_a_reason(api, fields, params, says):
    resp = api.post("/api/v1/context", files=image_field(png(PHOTO)), data=fields, params=params)
    assert resp.status_code == 422, resp.text
    assert says in json.dumps(resp.json()["detail"])


def test_a_photo_too_small_for_the_grid_is_422_and_bad_files_415(api):
    resp = api.post("/api/v1/context", files=image_field(png(photo(20, 200))))
    assert resp.status_code == 422 and "needs at least" in resp.json()["detail"]
    assert api.post("/api/v1/context", files=image_field(b"not an image at all")).status_code == 415
