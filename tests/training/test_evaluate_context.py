"""``pretext evaluate context`` on tiny runs that differ in one shortcut defence each."""

import argparse
import json

import numpy as np
import pytest

from training.context import ContextConfig, ContextTask
from training.evaluate_context import (
    ALL_DEFENCES,
    Grayed,
    add_arguments,
    common_config,
    interpretation,
    removed,
    run,
)
from training.loop import LoopConfig, train

TINY = {"patch": 16, "gap": 4, "jitter": 1, "image_size": 64, "widths": (8, 8, 8, 8), "dim": 16, "hidden": 16,
        "limit": 24, "val_images": 8}
SMALL = ["--val-images", "8", "--train-images", "30", "--size", "32", "--grid", "2", "--iters", "5"]


def tiny_run(path, **changes):
    cfg = ContextConfig(**{**TINY, **changes})
    train(ContextTask(cfg), LoopConfig(steps=2, batch_size=4, warmup_steps=1, validate_every=2, checkpoint_every=2),
          path)
    return path


def evaluate(argv):
    p = argparse.ArgumentParser()
    add_arguments(p)
    return run(p.parse_args(argv))


@pytest.fixture
def runs(datasets_dir, isolated_settings, tmp_path):
    return {"full": tiny_run(tmp_path / "full"), "no-gap": tiny_run(tmp_path / "no-gap", gap=0),
            "no-projection": tiny_run(tmp_path / "no-projection", project_colour=False)}


def test_every_run_is_labelled_by_its_defences_and_measured(runs, tmp_path):
    out = tmp_path / "out"
    # The reference is the run with every defence on, wherever it comes in the list; a missing run is named.
    argv = ["--runs", str(runs["no-gap"]), str(runs["full"]), str(runs["no-projection"]), str(tmp_path / "none"),
            *SMALL, "--out", str(out)]
    assert evaluate(argv) == 0
    report = json.loads((out / "report.json").read_text())
    rows = report["runs"]
    assert [r["label"] for r in rows] == ["gap", ALL_DEFENCES, "colour projection"]
    assert [r["reference"] for r in rows] == [False, True, False] and report["reference"] == str(runs["full"])
    assert report["common_protocol"] == {"gap": 4, "project_colour": True}
    assert report["missing"] == [f"{tmp_path / 'none'}: no checkpoint.pt"]
    assert report["val_images"] == 8 and report["train_images"] == 30
    for r in rows:
        assert all(0.0 <= v <= 1.0 for v in r["accuracy"].values()), r["label"]
        # The own setting is exactly what the run's validation measured on the same photos.
        val = [json.loads(line) for line in (tmp_path / r["run"].split("/")[-1] / "metrics.jsonl").open()
               if '"val"' in line][-1]
        assert r["accuracy"]["own"] == pytest.approx(val["val_accuracy"])
        probe = r["transfer"]
        assert [b["block"] for b in probe["blocks"]] == [1, 2, 3, 4]
        assert probe["best_top1"] == max(b["top1"] for b in probe["blocks"])
        assert probe["blocks"][probe["best_block"] - 1]["top1"] == probe["best_top1"]
    full = rows[1]
    assert full["accuracy"]["own"] == full["accuracy"]["common"]  # the reference's own setting is the protocol
    assert [r["transfer"]["input"] for r in rows] == ["context", "context", "tile"]
    md = (out / "report.md").read_text()
    assert "| gap | `" in md and "| colour projection | `" in md and "transfer minus the full run" in md
    delta = 100 * (rows[0]["transfer"]["best_top1"] - full["transfer"]["best_top1"])
    assert f"| {delta:+.1f} |" in md
    assert "## What the numbers say" in md and "With gap removed" in md and "Command: `pretext" in md


def test_the_shipped_run_adds_its_held_back_splits(runs, datasets_dir, tmp_path):
    if not (datasets_dir / "flowers-train.zip").is_file():
        pytest.skip("the wider splits are not in the datasets folder")
    main = tiny_run(tmp_path / "main", shares={"flowers-train": 0.25})
    out = tmp_path / "out"
    assert evaluate(["--runs", str(runs["full"]), "--main-run", str(main), "--no-transfer", *SMALL,
                     "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["runs"][0]["transfer"] is None and report["train_images"] is None
    held = report["main_run"]["held_back"]
    assert list(held) == ["flowers-train"] and held["flowers-train"]["photos"] == 3  # 0, 10 and 20 of the first 24
    assert 0.0 <= held["flowers-train"]["accuracy"] <= 1.0
    assert "Only one run was evaluated" in report["interpretation"]
    assert "flowers-train, the held-back tenth (3 photos" in (out / "report.md").read_text()


def test_none_of_the_runs_there_is_an_error(tmp_path):
    assert evaluate(["--runs", str(tmp_path / "a"), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_the_common_protocol_keeps_the_runs_patch_and_takes_the_references_defences():
    full = ContextConfig(**TINY)
    bare = ContextConfig(**{**TINY, "gap": 0, "jitter": 0, "project_colour": False, "channel_drop_prob": 0.0})
    assert removed(bare, full) == ["gap", "jitter", "colour projection", "channel dropping"]
    assert removed(full, full) == []
    common = common_config(bare, full)
    assert (common.gap, common.jitter, common.project_colour, common.patch) == (4, 1, True, 16)
    assert common.channel_drop_prob == 0.0  # dropping never happens at evaluation


def test_gray_photos_have_no_colour_left():
    photos = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    gray = Grayed(photos)[np.arange(2)].astype(int)
    assert gray.shape == (2, 8, 8, 3) and len(Grayed(photos)) == 3
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()


def row(label, own, common, gray, best, steps=100, reference=False):
    return {"label": label, "reference": reference, "steps": steps,
            "accuracy": {"own": own, "common": common, "gray": gray},
            "transfer": {"best_top1": best, "best_block": 2}}


def test_the_interpretation_follows_the_numbers():
    report = {"val_images": 3846, "runs": [
        row(ALL_DEFENCES, 0.50, 0.50, 0.45, 0.60, reference=True),
        row("gap", 0.80, 0.40, 0.35, 0.55, steps=120),  # easier, relies on the borders, worse features
        row("jitter", 0.50, 0.50, 0.45, 0.605),  # nothing beyond noise
        row("colour projection", 0.30, 0.30, 0.29, 0.64),  # harder, better features
    ]}
    text = interpretation(report)
    assert "With gap removed, the task under the run's own setting is easier than with every defence" in text
    assert "40.0 points below its own setting" in text and "-5.0 points: the defence helps the features" in text
    assert "With jitter removed, the task under the run's own setting is about as hard as" in text
    assert "+0.5 points: within noise" in text
    assert "is harder than" in text and "+4.0 points: the defence costs features" in text
    assert "removing gap lowered it and removing colour projection raised it by more than 2.2 points" in text
    assert "the runs trained 100 to 120 steps" in text
    # The same report with other numbers says other things: nothing is hard-coded.
    report["runs"][1] = row("gap", 0.50, 0.50, 0.45, 0.60)
    assert "removing gap" not in interpretation(report)
