"""``pretext evaluate features``: leave-one-out precision@k of each model's neighbours, on the serving code path."""

import json

import numpy as np
import pytest

from core.settings import get_settings
from models.features_model import FeaturesModel
from pretext.cli import main
from tests.features_data import write_imagenette_val
from training.export_features import write_features_card
from training.export_onnx import export_with_card
from training.export_random import build_card, onnx_spec, random_trunk
from training.linear_probe import block_features
from training.trunk_from_onnx import load_trunk

PER_CLASS = 8
LIMIT = 18  # the first 18 photos: 6 of each class


@pytest.fixture
def weights(tmp_path, monkeypatch, isolated_settings):
    """A models folder with two untrained trunks (seeds 0 and 1) and a features card at blocks 1 and 3, over a
    small colour-coded imagenette-val of our own."""
    write_imagenette_val(tmp_path / "datasets", PER_CLASS)
    monkeypatch.setenv("PRETEXT_DATASETS_DIR", str(tmp_path / "datasets"))
    get_settings.cache_clear()
    folder = tmp_path / "weights"
    for name, seed in (("random", 0), ("supervised", 1)):  # a second trunk under the supervised model's name
        trunk = random_trunk(seed, (8, 8, 8, 8))
        export_with_card(trunk, folder / f"{name}.onnx", onnx_spec(),
                         lambda diff, t=trunk, n=name: {**build_card(t, seed=0, parity_diff=diff), "name": n})
    write_features_card(folder, None, blocks={"random": 1, "supervised": 3})
    return folder


def test_precision_is_leave_one_out_over_the_limited_index(weights, tmp_path):
    out = tmp_path / "report"
    assert main(["evaluate", "features", "--weights", str(weights), "--limit", str(LIMIT), "--out", str(out)]) == 0
    report = json.loads((out / "neighbours.json").read_text())
    assert (report["photos"], report["k"], report["split"]) == (LIMIT, 8, "imagenette-val")
    assert report["chance"] == pytest.approx(3 * 6 * 5 / (18 * 17))  # 6 photos per class, one left out
    rows = {r["model"]: r for r in report["rows"]}
    assert list(rows) == ["random", "supervised"] and rows["random"]["table_name"] == "random init"
    assert (rows["random"]["block"], rows["random"]["dims"]) == (1, 8 * 16)
    # Each class has its own colour: even untrained first-layer features find mostly the right class.
    assert rows["random"]["precision_at_k"] > report["chance"] + 0.3
    assert set(rows["random"]["per_class"]) == {"tench", "English springer", "cassette player"}
    assert np.mean(list(rows["random"]["per_class"].values())) == pytest.approx(rows["random"]["precision_at_k"])
    table = (out / "neighbours.md").read_text()
    assert "| Random init | rgb | 1 |" in table and f"{100 * rows['supervised']['precision_at_k']:.1f} |" in table


def test_the_index_features_are_the_linear_probes_features(weights):
    """Serving's cut ONNX graph, numpy pooling and float16 storage against training's torch trunk and pooling."""
    model = FeaturesModel(root=weights, device="cpu", index_limit=LIMIT)
    squares = np.asarray(model.photos.squares)
    assert squares.shape == (LIMIT, 64, 64, 3)
    for name, block in (("random", 1), ("supervised", 3)):
        want = block_features(load_trunk(weights / f"{name}.onnx"), squares, "rgb", 4)[block - 1]
        want = want / np.linalg.norm(want, axis=1, keepdims=True)
        got = np.asarray(model.vectors(name), dtype=np.float32)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=2e-3)
    assert not np.allclose(model.vectors("random"), model.vectors("supervised"), atol=1e-2)  # two trunks differ
