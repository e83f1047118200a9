"""The prepared GPU recipe (training/gpu_recipe.py), run tiny on the CPU, and the time budget it relies on."""

import json

import numpy as np
import pytest
import torch

from models.cards import RotationCard, read_card_file, sha256_of
from models.rotation import normalise, rotations
from training.gpu_recipe import device_rotations, main
from training.loop import LoopConfig, lr_at


def test_turns_on_the_device_are_the_numpy_turns():
    photos = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    x, y = device_rotations(torch.from_numpy(photos))
    want_x, want_y = rotations(photos)
    torch.testing.assert_close(x, torch.from_numpy(normalise(want_x)), rtol=0, atol=1e-5)
    assert y.tolist() == want_y.tolist() and x.shape == (12, 3, 8, 8)


def test_with_a_time_budget_the_learning_rate_decays_with_the_clock():
    cfg = LoopConfig(steps=1000, lr=1.0, warmup_steps=10)
    assert lr_at(5, cfg, time_fraction=0.9) == pytest.approx(0.6)  # warm-up still goes by steps
    assert lr_at(100, cfg) == pytest.approx(lr_at(100, cfg, time_fraction=0.0))
    assert lr_at(100, cfg, time_fraction=0.5) == pytest.approx(0.5)
    assert lr_at(100, cfg, time_fraction=1.0) == pytest.approx(0.0, abs=1e-12)
    assert lr_at(990, cfg, time_fraction=0.1) == lr_at(990, cfg)  # whichever is further along


def test_the_tiny_recipe_trains_to_its_deadline_then_exports_and_evaluates(datasets_dir, isolated_settings,
                                                                          tmp_path):
    out = tmp_path / "recipe"
    # A budget of a few milliseconds: the first step is past it, and the run must still validate, export and
    # evaluate.
    assert main(["--out", str(out), "--tiny", "--steps", "6", "--minutes", "0.0001"]) == 0
    summary = json.loads((out / "run" / "summary.json").read_text())
    assert summary["steps"] == 1 and summary["stopped_at_time_budget"] is True
    rows = [json.loads(x) for x in (out / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["train", "val"]
    card = read_card_file(out / "model" / "rotation.json")
    assert isinstance(card, RotationCard) and card.sha256 == sha256_of(out / "model" / "rotation.onnx")
    assert card.version == "rotation-tiny-8x8x8x8-step1" and card.parity_max_abs_diff < 1e-3
    assert card.training["widths"] == [8, 8, 8, 8] and card.training["images_seen"] == 16
    report = json.loads((out / "evaluation" / "report.json").read_text())
    assert report["model_version"] == card.version and report["imagenette_val"]["random_turn"]["images"] == 4
    assert report["by_source"]["imagenette-val"]["images"] == 4
    assert (out / "evaluation" / "report.md").is_file()
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["evaluation"]["exit_code"] == 0 and recipe["export"]["sha256"] == card.sha256
    assert set(recipe["timings"]) == {"caches_s", "train_s", "export_s", "evaluate_s"}
    assert not (isolated_settings.models_dir / "rotation.onnx").exists()


def test_the_recipe_never_writes_into_the_models_folder(isolated_settings, tmp_path):
    assert main(["--out", str(isolated_settings.models_dir / "recipe"), "--tiny"]) == 2
    assert not isolated_settings.models_dir.exists()
