"""The features task through the HTTP API, end to end: real Redis, a real worker, the tiny real models.

The worker here is this module's own: its index is a small colour-coded imagenette-val written by the test
(tests/features_data.py) and its cache a temp folder, so nothing is built from the 3,846 real photos.
"""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.settings import Settings
from models.cards import load_card
from models.dataset_zip import square_resize
from models.features_card import FeaturesCard
from tests.features_data import write_imagenette_val
from tests.service_fixtures import image_field, run_redis, run_worker, worker_env
from training.tiny_models import TINY_FEATURE_BLOCKS

pytestmark = pytest.mark.slow

PER_CLASS = 6  # 18 photos, photo i of class i % 3


@pytest.fixture(scope="module")
def stack(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Redis, a worker whose datasets and cache are this module's own, and a client of the app."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    root = tmp_path_factory.mktemp("features")
    photos = write_imagenette_val(root / "datasets", PER_CLASS)
    redis = run_redis(root / "redis")
    worker = None
    try:
        env = worker_env(redis.url, tiny_models_dir, datasets_dir=root / "datasets", cache_dir=root / "cache")
        worker = run_worker("features", env, root / "logs")
        settings = Settings(REDIS_URL=redis.url, models_dir=tiny_models_dir, device="cpu", max_wait_s=60.0)
        with TestClient(create_app(settings)) as client:
            yield {"api": client, "photos": photos, "cache": root / "cache", "models": tiny_models_dir}
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()


def search(api, data: bytes, **params) -> dict[str, Any]:
    resp = api.post("/api/v1/features", files=image_field(data, "photo.jpg"), params={"wait": 60, **params})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "succeeded", job
    return job


def png(api, url: str) -> np.ndarray:
    resp = api.get(url)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(resp.content)).convert("RGB"))


def test_each_model_finds_k_neighbours_drawn_a_row_each(stack):
    api, photos = stack["api"], stack["photos"]
    card = load_card("features", stack["models"])
    assert isinstance(card, FeaturesCard)
    job = search(api, photos[4], k=5)  # an index photo itself, of class 4 % 3 = 1
    result = job["result"]
    assert [m["name"] for m in result["models"]] == card.names
    assert result["k"] == 5 and result["index"] == {"split": "imagenette-val", "photos": 3 * PER_CLASS, "size": 64}
    squares = [square_resize(Image.open(io.BytesIO(p)), 64) for p in photos]
    sprite = png(api, job["links"]["neighbours"])
    assert sprite.shape == (64 * len(card.names), 64 * 5, 3)
    for r, model in enumerate(result["models"]):
        assert model["block"] == TINY_FEATURE_BLOCKS[model["name"]]
        sims = [n["similarity"] for n in model["neighbours"]]
        assert len(sims) == 5 and sims == sorted(sims, reverse=True) and all(-1.0 <= s <= 1.0 for s in sims)
        indices = [n["index"] for n in model["neighbours"]]
        assert 4 not in indices and len(set(indices)) == 5  # the query itself is left out
        labels = ["tench", "English springer", "cassette player"]
        assert [n["label"] for n in model["neighbours"]] == [labels[i % 3] for i in indices]
        for c, i in enumerate(indices):  # the sprite holds each neighbour's index photo in its place
            np.testing.assert_array_equal(sprite[64 * r : 64 * (r + 1), 64 * c : 64 * (c + 1)], squares[i])
    # Untrained first layers still see the colour each class is drawn in.
    assert np.mean([n["label"] == "English springer" for m in result["models"] for n in m["neighbours"]]) > 0.5
    assert job["links"]["result"] is None and set(job["links"]) >= {"self", "neighbours", "filters"}  # no result


def test_the_filters_image_holds_every_models_first_layer_where_the_result_says(stack):
    job = search(stack["api"], stack["photos"][0], models="rotation,colorization")
    assert [m["name"] for m in job["result"]["models"]] == ["rotation", "colorization"]  # in the order asked
    blocks = job["result"]["filters"]
    assert [b["name"] for b in blocks] == ["rotation", "colorization"]
    assert [b["channels"] for b in blocks] == ["rgb", "gray"] and blocks[0]["kernel"] == [3, 3]
    sheet = png(stack["api"], job["links"]["filters"])
    assert sheet.shape[1] == blocks[0]["width"] == blocks[0]["columns"] * 26 - 2  # 24 px filters, 2 px apart
    assert sheet.shape[0] == blocks[1]["top"] + blocks[1]["height"]
    first = sheet[blocks[0]["top"] : blocks[0]["top"] + 24, :24]
    assert first.min() == 0 and first.max() == 255  # one filter, stretched by its own min and max
    gray = sheet[blocks[1]["top"] : blocks[1]["top"] + blocks[1]["height"]]
    assert np.array_equal(gray[..., 0], gray[..., 1])  # colorization sees lightness only
    sprite = png(stack["api"], job["links"]["neighbours"])
    assert sprite.shape == (2 * 64, 8 * 64, 3)  # k defaults to 8


def test_the_index_is_built_once_per_model_file(stack):
    search(stack["api"], stack["photos"][1], k=1)
    built = sorted((stack["cache"] / "features").glob("*.npy"))
    card = load_card("features", stack["models"])
    assert len(built) == len(card.names)
    for source in card.models:
        assert any(p.name.startswith(f"{source.name}-{source.sha256[:16]}-block{source.block}-") for p in built)
    stamps = {p: p.stat().st_mtime_ns for p in built}
    search(stack["api"], stack["photos"][2], k=1)
    assert {p: p.stat().st_mtime_ns for p in sorted((stack["cache"] / "features").glob("*.npy"))} == stamps


def test_the_transfer_route_lists_the_compared_models(stack):
    body = stack["api"].get("/api/v1/features/transfer").json()
    card = load_card("features", stack["models"])
    assert [m["name"] for m in body["models"]] == card.names
    assert {m["name"]: m["block"] for m in body["models"]} == {n: TINY_FEATURE_BLOCKS[n] for n in card.names}
    assert body["size"] == 64 and body["grid"] == 4 and body["transfer"]["rows"] == []  # the tiny card has no table


@pytest.mark.parametrize(("field", "value", "says"), [
    ("k", "0", "k"), ("k", "17", "k"), ("k", "two", "k"), ("models", "rotation,nope", "no model 'nope'"),
    ("models", "Rotation", "lower-case"), ("models", "rotation,rotation", "twice"),
])
def test_bad_parameters_are_422(stack, field, value, says):
    resp = stack["api"].post("/api/v1/features", files=image_field(stack["photos"][0]), data={field: value})
    assert resp.status_code == 422, resp.text
    assert says in resp.text
