"""``pretext evaluate transfer`` end to end on tiny models and a few real photos."""

import argparse
import json

import pytest

from training.evaluate_transfer import add_arguments, run
from training.loop import LoopConfig, train
from training.supervised import SupervisedConfig, SupervisedTask
from training.tiny_models import tiny_colorization, tiny_jigsaw, tiny_rotation

TINY_WIDTHS = (8, 8, 8, 8)


@pytest.fixture
def report(datasets_dir, isolated_settings, tmp_path):
    models = tmp_path / "weights"
    models.mkdir()
    tiny_colorization(models, widths=TINY_WIDTHS)
    tiny_jigsaw(models, widths=TINY_WIDTHS)
    tiny_rotation(models, widths=TINY_WIDTHS)
    sup = tmp_path / "supervised"
    train(SupervisedTask(SupervisedConfig(size=32, imagenette_size=40, limit=40, val_images=8)),
          LoopConfig(steps=2, batch_size=4, warmup_steps=1, validate_every=2, checkpoint_every=2), sup)
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--weights", str(models), "--supervised-run", str(sup), "--size", "32", "--grid", "2",
                         "--train-images", "40", "--val-images", "20", "--iters", "5", "--out", str(tmp_path / "out")])
    assert run(args) == 0
    return tmp_path / "out"


def test_the_table_has_all_five_rows_for_every_block(report):
    data = json.loads((report / "transfer.json").read_text())
    assert [r["model"] for r in data["rows"]] == ["random init", "colorization", "jigsaw", "rotation", "supervised"]
    assert data["missing"] == [] and data["train_images"] == 40 and data["val_images"] == 20
    for row in data["rows"]:
        assert [b["block"] for b in row["blocks"]] == [1, 2, 3, 4]
        assert all(0.0 <= b["top1"] <= 1.0 for b in row["blocks"])
    assert [r["input"] for r in data["rows"]] == ["rgb", "l", "tile", "rgb", "rgb"]
    md = (report / "transfer.md").read_text()
    assert "| supervised | rgb |" in md and "jigsaw:" in md
    assert (report / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_models_are_named_not_silently_dropped(datasets_dir, isolated_settings, tmp_path):
    p = argparse.ArgumentParser()
    add_arguments(p)
    out = tmp_path / "out"
    args = p.parse_args(["--weights", str(tmp_path / "none"), "--supervised-run", str(tmp_path / "none"),
                         "--size", "32", "--grid", "1", "--train-images", "20", "--val-images", "10",
                         "--iters", "3", "--out", str(out)])
    assert run(args) == 0
    data = json.loads((out / "transfer.json").read_text())
    assert [r["model"] for r in data["rows"]] == ["random init"]
    assert len(data["missing"]) == 4
