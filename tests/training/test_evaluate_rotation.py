"""``pretext evaluate rotation`` through the serving path, on a tiny model and real photos."""

import argparse
import json

import numpy as np
import pytest

from training.evaluate_rotation import add_arguments, run
from training.tiny_models import tiny_rotation


@pytest.fixture
def report(datasets_dir, isolated_settings, tmp_path):
    isolated_settings.models_dir.mkdir(parents=True)
    tiny_rotation(isolated_settings.models_dir, widths=(8, 8, 8, 8))
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert run(p.parse_args(["--val-images", "6", "--photos-limit", "3", "--extra-images", "4",
                             "--out", str(tmp_path / "out")])) == 0
    return json.loads((tmp_path / "out" / "report.json").read_text()), (tmp_path / "out" / "report.md").read_text()


def test_every_photo_is_scored_once_and_in_all_four_turns(report):
    data, md = report
    for name, n in (("imagenette_val", 6), ("photos", 3)):
        once, every = data[name]["random_turn"], data[name]["all_four_turns"]
        assert once["images"] == n and every["images"] == 4 * n
        # With equal counts per angle, overall accuracy is the mean of the per-angle ones.
        assert every["accuracy"] == pytest.approx(sum(every["by_angle"].values()) / 4)
        assert 0.0 <= once["single_view_accuracy"] <= 1.0
        # The per-folder split of the random turn adds back up to it.
        folders = data[name]["by_folder"].values()
        assert sum(f["images"] for f in folders) == n
        assert sum(f["images"] * f["accuracy"] for f in folders) == pytest.approx(n * once["accuracy"])
    assert set(data["imagenette_val"]["by_folder"]) == {"imagenette-val"}
    assert data["model_version"].startswith("rotation-tiny") and "| photos | all four | 12 |" in md


def test_every_wrong_answer_is_counted_by_offset_and_listed_with_its_photo(report):
    data, md = report
    for name, n in (("imagenette_val", 6), ("photos", 3)):
        once, every = data[name]["random_turn"], data[name]["all_four_turns"]
        for s, count in ((once, n), (every, 4 * n)):
            assert sum(s["wrong_by_offset"].values()) == round(count * (1 - s["accuracy"]))
        misses = data[name]["misses"]
        assert len(misses) == round(n * (1 - once["accuracy"]))
        for m in misses:
            assert m["predicted"] != m["angle"] and m["p_predicted"] >= m["p_angle"]
            assert m["predicted"] in (0, 90, 180, 270) and m["angle"] in (0, 90, 180, 270)
    for m in data["photos"]["misses"]:
        assert f"| {m['folder']}/{m['photo']} | {m['angle']} | {m['predicted']} |" in md


def test_val_every_takes_every_kth_photo_across_the_split(datasets_dir):
    from training.datasets import ZipSplit
    from training.evaluate_rotation import val_photos

    split = ZipSplit("imagenette-val")
    picked = list(val_photos(3, every=2))
    assert len(picked) == 3
    for (folder, name, got), i in zip(picked, (0, 2, 4), strict=True):
        assert folder == "imagenette-val" and name == split.records[i].member and np.array_equal(got, split.rgb(i))
    p = argparse.ArgumentParser()
    add_arguments(p)
    with pytest.raises(SystemExit):
        p.parse_args(["--val-every", "0"])


def test_the_wider_splits_are_scored_on_their_held_back_tenth_beside_every_other_source(report):
    data, md = report
    for key, name in (("imagenet_samples", "imagenet-samples"), ("flowers_train", "flowers-train")):
        once = data[key]["random_turn"]
        assert once["images"] == 4 and data[key]["all_four_turns"]["images"] == 16
        assert set(data[key]["by_folder"]) == {name}
        assert data["by_source"][name] == {"images": 4, "accuracy": once["accuracy"],
                                           "all_four_accuracy": data[key]["all_four_turns"]["accuracy"]}
        assert f"| {key} | all four | 16 |" in md and f"| {name} | 4 |" in md
    # The test photos count per folder; the old figures stay where they were.
    photos = {k: v for k, v in data["by_source"].items() if k.startswith("photos/")}
    assert sum(v["images"] for v in photos.values()) == 3
    assert list(data["by_source"])[:3] == ["imagenette-val", "imagenet-samples", "flowers-train"]
    assert data["by_source"]["imagenette-val"]["images"] == 6 and data["skipped"] == []


def test_held_back_photos_are_every_tenth_of_the_split_at_their_own_size(datasets_dir):
    from training.datasets import ZipSplit
    from training.evaluate_rotation import held_back_photos

    if not (datasets_dir / "flowers-train.zip").is_file():
        pytest.skip("flowers-train not in the datasets folder")
    split = ZipSplit("flowers-train")
    picked = list(held_back_photos("flowers-train", 3))
    for (folder, name, got), i in zip(picked, (0, 10, 20), strict=True):
        assert folder == "flowers-train" and name == split.records[i].member
        assert np.array_equal(got, split.rgb(i))  # as stored, not the training cache's square crop


def test_a_datasets_folder_without_the_wider_splits_skips_them(datasets_dir, isolated_settings, tmp_path,
                                                                monkeypatch):
    from core.settings import get_settings

    isolated_settings.models_dir.mkdir(parents=True)
    tiny_rotation(isolated_settings.models_dir, widths=(8, 8, 8, 8))
    older = tmp_path / "older-datasets"
    older.mkdir()
    for name in ("imagenette-val.zip", "imagenette-val.csv", "photos"):
        (older / name).symlink_to(datasets_dir / name)
    monkeypatch.setenv("PRETEXT_DATASETS_DIR", str(older))
    get_settings.cache_clear()
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert run(p.parse_args(["--val-images", "2", "--photos-limit", "1", "--out", str(tmp_path / "out")])) == 0
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "imagenet_samples" not in data and "flowers_train" not in data
    assert [s.split(":")[0] for s in data["skipped"]] == ["imagenet-samples", "flowers-train"]
    assert next(iter(data["by_source"])) == "imagenette-val"
    assert data["imagenette_val"]["random_turn"]["images"] == 2
    # --no-extra-splits leaves them out without a note.
    assert run(p.parse_args(["--val-images", "2", "--no-photos", "--no-extra-splits",
                             "--out", str(tmp_path / "out2")])) == 0
    assert json.loads((tmp_path / "out2" / "report.json").read_text())["skipped"] == []
