"""``pretext evaluate colorization`` per source, on a tiny model: imagenette-val, the wider splits' held-back
tenth and the test photos per folder, with the hue error beside the AuCs."""

import argparse
import json

import pytest

from training import evaluate_colorization
from training.evaluate_colorization import GRAY, add_arguments, run
from training.tiny_models import tiny_colorization

OLD_KEYS = {"auc_raw", "auc_rebalanced", "psnr_db", "colorfulness", "colorfulness_vs_truth", "mean_abs_l_change"}
HUE_KEYS = {"hue_error_green_deg", "hue_error_saturated_deg", "chroma_ratio_green", "chroma_ratio_saturated",
            "green_pixels", "saturated_pixels"}


def one_photo_per_folder(photo_paths):
    """The first photo of each folder of the test photos: every folder, four photos."""
    firsts = {}
    for path in photo_paths():
        firsts.setdefault(path.parent.name, path)
    return lambda: list(firsts.values())


def evaluate(tmp_path, *extra):
    p = argparse.ArgumentParser()
    add_arguments(p)
    out = tmp_path / "out"
    assert run(p.parse_args(["--regression", "", "--val-images", "2", "--extra-images", "2", "--grid-rows", "1",
                             "--out", str(out), *extra])) == 0
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


@pytest.fixture
def tiny_model(datasets_dir, isolated_settings, monkeypatch):
    isolated_settings.models_dir.mkdir(parents=True)
    tiny_colorization(isolated_settings.models_dir)
    monkeypatch.setattr(evaluate_colorization, "photo_paths", one_photo_per_folder(evaluate_colorization.photo_paths))


def test_every_source_is_reported_with_the_hue_errors_beside_the_aucs(tiny_model, datasets_dir, tmp_path):
    if not (datasets_dir / "flowers-train.zip").is_file():
        pytest.skip("the wider splits are not in the datasets folder")
    data, md = evaluate(tmp_path)
    sets = data["datasets"]
    assert list(sets) == ["imagenette-val", "imagenet-samples", "flowers-train", "photos"]
    assert [sets[k]["images"] for k in sets] == [2, 2, 2, 4] and data["skipped"] == []
    for name, res in sets.items():
        assert res["methods"][GRAY]["hue_error_green_deg"] is None  # gray has no hue
        assert res["methods"][GRAY]["hue_error_saturated_deg"] is None
        for method, r in res["methods"].items():
            assert set(r) >= OLD_KEYS | HUE_KEYS, (name, method)
            for key, pixels in (("hue_error_green_deg", r["green_pixels"]),
                                ("hue_error_saturated_deg", r["saturated_pixels"])):
                if method == GRAY or not pixels:
                    assert r[key] is None, (name, method, key)
                else:
                    assert 0.0 <= r[key] <= 180.0, (name, method, key)
        assert f"## {name} (" in md
    folders = sets["photos"]["by_folder"]
    assert set(folders) == {"cbsd68", "kodak", "mcmaster", "wikipedia"}
    assert all(f["images"] == 1 and set(f["methods"]) == set(sets["photos"]["methods"]) for f in folders.values())
    # The photos' pixel counts are their folders' together.
    for method in sets["photos"]["methods"]:
        assert sum(f["methods"][method]["saturated_pixels"] for f in folders.values()) == \
            sets["photos"]["methods"][method]["saturated_pixels"]
    assert "### photos by folder" in md and "| kodak | 1 | all-gray baseline |" in md and "n/a" in md
    assert "held-back tenth" in md


def test_without_the_wider_splits_the_rest_is_still_evaluated(tiny_model, datasets_dir, isolated_settings,
                                                              tmp_path, monkeypatch):
    from core.settings import get_settings

    older = tmp_path / "older-datasets"
    older.mkdir()
    for name in ("imagenette-val.zip", "imagenette-val.csv", "photos"):
        (older / name).symlink_to(datasets_dir / name)
    monkeypatch.setenv("PRETEXT_DATASETS_DIR", str(older))
    get_settings.cache_clear()
    data, md = evaluate(tmp_path, "--photos-limit", "1")
    assert list(data["datasets"]) == ["imagenette-val", "photos"]
    assert [s.split(":")[0] for s in data["skipped"]] == ["imagenet-samples", "flowers-train"]
    assert data["datasets"]["photos"]["images"] == 1 and "Skipped: imagenet-samples" in md


def test_no_extra_splits_keeps_the_old_datasets(tiny_model, tmp_path):
    data, _ = evaluate(tmp_path, "--no-extra-splits", "--datasets", "imagenette-val,flowers-train")
    assert list(data["datasets"]) == ["imagenette-val"] and data["skipped"] == []
