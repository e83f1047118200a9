"""Jigsaw puzzles through the HTTP API, end to end: real Redis, a real worker, a tiny real model."""

import io

import numpy as np
import pytest
from PIL import Image

from models.jigsaw import IDENTITY, crop_to_grid, shuffle_image, uniform_permutations, unshuffle_image
from tests.imagecorpus import encode, good_files, photo
from tests.service_fixtures import finished, image_field

pytestmark = pytest.mark.slow

PHOTO = photo(100, 65, seed=3)  # not multiples of 3: the puzzle is the top-left 99 x 63


def png(rgb8: np.ndarray) -> bytes:
    return encode(Image.fromarray(rgb8), "PNG")


def png_array(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return np.asarray(im.convert("RGB"))


def jigsaw_now(api, data: bytes, data_fields: dict | None = None, **params) -> dict:
    resp = api.post("/api/v1/jigsaw", files=image_field(data, "photo.png"), data=data_fields or {},
                    params={"wait": 30, **params})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "succeeded", job
    return job


def assert_permutation(values: list) -> None:
    assert len(values) == 9 and all(isinstance(v, int) for v in values)
    assert sorted(values) == IDENTITY.tolist()


def test_a_seeded_job_shuffles_by_its_seed_solves_and_crops_to_the_grid(api):
    resp = api.post("/api/v1/jigsaw", files=image_field(png(PHOTO), "photo.png"), data={"seed": "7"})
    assert resp.status_code == 202, resp.text
    assert resp.json()["links"] == {"self": f"/api/v1/jobs/{resp.json()['id']}"}
    job = finished(api, resp.json()["id"])
    assert job["status"] == "succeeded" and job["kind"] == "jigsaw", job
    result = job["result"]
    assert (result["width"], result["height"]) == (99, 63)
    assert_permutation(result["permutation"])
    assert len(result["confidence"]) == 9 and all(0.0 <= c <= 1.0 for c in result["confidence"])
    shuffle = uniform_permutations(np.random.default_rng(7), 1)[0]  # as `pretext jigsaw shuffle --seed 7`
    assert result["shuffle"] == shuffle.tolist() and result["seed"] == 7
    assert result["correct"] == int((np.array(result["permutation"]) == shuffle).sum())
    assert result["method"] == "neighbours" and result["model"]["name"] == "jigsaw"  # the card's default
    assert result["model"]["version"].startswith("jigsaw-tiny")

    links = job["links"]
    assert links["shuffled"] == f"/api/v1/jobs/{job['id']}/shuffled"
    shuffled = api.get(links["shuffled"])
    assert shuffled.status_code == 200 and shuffled.headers["content-type"] == "image/png"
    puzzle = png_array(shuffled.content)
    np.testing.assert_array_equal(puzzle, shuffle_image(PHOTO, shuffle))
    solved = png_array(api.get(links["result"]).content)
    assert solved.shape == (63, 99, 3)
    np.testing.assert_array_equal(solved, unshuffle_image(puzzle, np.array(result["permutation"])))


def test_without_a_seed_the_server_picks_one_and_a_seed_repeats_its_puzzle(api):
    first = jigsaw_now(api, png(PHOTO))["result"]
    assert isinstance(first["seed"], int) and first["seed"] >= 0
    assert first["shuffle"] == uniform_permutations(np.random.default_rng(first["seed"]), 1)[0].tolist()
    again = jigsaw_now(api, png(PHOTO), seed=first["seed"])["result"]  # the seed as a query parameter
    assert again["shuffle"] == first["shuffle"] and again["permutation"] == first["permutation"]


@pytest.mark.parametrize("how", ["form", "query"])
def test_an_already_shuffled_upload_is_solved_as_it_is(api, how):
    known = np.array([4, 0, 8, 2, 6, 1, 3, 7, 5])
    upload = shuffle_image(crop_to_grid(PHOTO), known)
    fields = {"shuffled": "true", "method": "perm"}
    job = jigsaw_now(api, png(upload), fields if how == "form" else None, **(fields if how == "query" else {}))
    result = job["result"]
    assert (result["shuffle"], result["correct"], result["seed"]) == (None, None, None)
    assert result["method"] == "perm" and 1 <= result["rounds"] <= 3
    assert_permutation(result["permutation"])
    np.testing.assert_array_equal(png_array(api.get(job["links"]["shuffled"]).content), upload)
    solved = png_array(api.get(job["links"]["result"]).content)
    np.testing.assert_array_equal(solved, unshuffle_image(upload, np.array(result["permutation"])))


def test_odd_sizes_are_cropped_and_other_formats_accepted(api):
    job = jigsaw_now(api, good_files()["rgb.jpg"], seed=1)  # 96 x 64 JPEG -> 96 x 63
    assert (job["result"]["width"], job["result"]["height"]) == (96, 63)
    assert png_array(api.get(job["links"]["shuffled"]).content).shape == (63, 96, 3)


@pytest.mark.parametrize(("fields", "params"), [
    ({"seed": "abc"}, {}),
    ({"seed": "-1"}, {}),
    ({"seed": "1.5"}, {}),
    ({}, {"seed": str(2**64)}),
    ({"shuffled": "maybe"}, {}),
    ({"method": "magic"}, {}),
    ({"shuffled": "true", "seed": "3"}, {}),
    ({}, {"wait": "61"}),
])
def test_bad_parameters_are_422(api, fields, params):
    resp = api.post("/api/v1/jigsaw", files=image_field(png(PHOTO)), data=fields, params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"]


def test_an_image_smaller_than_the_grid_is_422_and_bad_files_415(api):
    resp = api.post("/api/v1/jigsaw", files=image_field(png(PHOTO[:2, :40])))
    assert resp.status_code == 422 and "3x3" in resp.json()["detail"]
    resp = api.post("/api/v1/jigsaw", files=image_field(b"not an image at all"))
    assert resp.status_code == 415


def test_the_shuffled_image_of_other_or_unfinished_jobs_is_409(api, job_store):
    colorize = api.post("/api/v1/colorization", params={"wait": 30}, files=image_field(png(PHOTO))).json()
    resp = api.get(f"/api/v1/jobs/{colorize['id']}/shuffled")
    assert resp.status_code == 409 and "not a jigsaw job" in resp.json()["detail"]
    queued = job_store.create("jigsaw", {"seed": 1, "shuffled": False}, {"input": png(PHOTO)})  # never sent
    resp = api.get(f"/api/v1/jobs/{queued.id}/shuffled")
    assert resp.status_code == 409 and "queued" in resp.json()["detail"]
