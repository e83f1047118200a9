"""``pretext evaluate colorization`` per source, on a tiny model: imagenette-val, the wider splits' held-back
tenth and the test photos per folder, with the hue error beside the AuCs."""

import argparse
import json

import numpy as np
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


@pytest.fixture
def supervised_run(datasets_dir, isolated_settings, tmp_path):
    from training.loop import LoopConfig, train
    from training.supervised import SupervisedConfig, SupervisedTask

    train(SupervisedTask(SupervisedConfig(limit=12, val_images=12)),
          LoopConfig(steps=2, batch_size=4, warmup_steps=1, validate_every=2, checkpoint_every=2), tmp_path / "sup")
    return tmp_path / "sup"


def classifier_only(out, *extra):
    p = argparse.ArgumentParser()
    add_arguments(p)
    return run(p.parse_args(["--classifier-only", "--regression", "", "--out", str(out), *extra]))


def test_the_classifier_test_adds_its_section_and_keeps_the_report(tiny_model, supervised_run, tmp_path):
    import torch

    from training.classifier_test import COLORIZED, GRAY, TRUE
    from training.supervised import SupervisedConfig, SupervisedNet, SupervisedTask

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("# Colorization evaluation\n\nA note added by hand.\n")
    (out / "report.json").write_text(json.dumps({"datasets": {}, "note": "kept"}))
    for _ in range(2):  # a second run replaces the section rather than adding another
        assert classifier_only(out, "--classifier-images", "12", "--supervised-run", str(supervised_run)) == 0
    result = json.loads((out / "classifier_test.json").read_text())
    assert result["photos"] == 12 and set(result["top1"]) == {GRAY, COLORIZED, TRUE}
    assert all(0.0 <= v <= 1.0 for v in result["top1"].values())
    assert all(0.0 <= v <= 1.0 for v in result["same_answer_as_true_colours"].values())
    # The true colours go in exactly as the classifier's own validation takes them.
    net = SupervisedNet()
    net.load_state_dict(torch.load(supervised_run / "checkpoint.pt", weights_only=False)["model"])
    with torch.no_grad():
        val = SupervisedTask(SupervisedConfig(limit=12, val_images=12)).validate(net.eval())
    assert result["top1"][TRUE] == pytest.approx(val["val_top1"])
    md = (out / "report.md").read_text()
    assert md.startswith("# Colorization evaluation\n\nA note added by hand.\n")
    assert md.count("## Classifier test") == 1 and "| true colours |" in md
    report = json.loads((out / "report.json").read_text())
    assert report["note"] == "kept" and report["classifier_test"]["top1"] == result["top1"]
    assert "# Classifier test" in (out / "classifier_test.md").read_text()


def test_the_classifier_sees_gray_colorized_and_the_photo_itself(tiny_model):
    from models.color import rgb8_to_lab
    from models.colorization_model import ColorizationModel
    from training.classifier_test import COLORIZED, GRAY, TRUE, versions
    from training.datasets import ZipSplit

    split = ZipSplit("imagenette-val")
    cls = ColorizationModel("colorization", device="cpu")
    v = versions(split.rgb(0), cls, None)
    assert set(v) == {GRAY, COLORIZED, TRUE} and all(x.shape == (64, 64, 3) for x in v.values())
    np.testing.assert_array_equal(v[TRUE], split.cached(80, 1)[0, 8:72, 8:72])
    gray = v[GRAY].astype(int)
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert np.abs(rgb8_to_lab(v[GRAY])[..., 1:]).max() < 0.5
    assert np.abs(rgb8_to_lab(v[TRUE])[..., 1:]).max() > 5  # the photo has colour, and the gray version none


def test_the_classifier_test_needs_a_classifier(tiny_model, tmp_path):
    assert classifier_only(tmp_path / "out", "--supervised-run", str(tmp_path / "none")) == 2
    assert not (tmp_path / "out").exists()


def test_the_share_won_back_is_the_formula():
    from training.classifier_test import COLORIZED, GRAY, TRUE, markdown, recovered

    result = {"top1": {GRAY: 0.5, COLORIZED: 0.6, TRUE: 0.7},
              "same_answer_as_true_colours": {GRAY: 0.8, COLORIZED: 0.9},
              "classifier": "c", "photos": 3, "split": "imagenette-val", "input": "x", "colorization_version": "v",
              "regression_version": None, "serve_short_sides": [192], "temperature": 0.6, "command": "c",
              "seconds": {"total": 1.0}}
    assert recovered(result) == pytest.approx(0.5)
    assert "50% of what gray loses is won back" in markdown(result)


def test_the_exported_classifier_in_the_models_folder_is_the_default_and_agrees_with_its_run(
        tiny_model, supervised_run, isolated_settings, tmp_path):
    from training import export_supervised

    p = argparse.ArgumentParser()
    export_supervised.add_arguments(p)
    assert export_supervised.run(p.parse_args(["--run", str(supervised_run)])) == 0
    assert (isolated_settings.models_dir / "supervised.onnx").is_file()
    assert classifier_only(tmp_path / "onnx", "--classifier-images", "6") == 0
    assert classifier_only(tmp_path / "run", "--classifier-images", "6", "--supervised-run", str(supervised_run)) == 0
    onnx, torch_run = (json.loads((tmp_path / d / "classifier_test.json").read_text()) for d in ("onnx", "run"))
    assert onnx["classifier"].startswith(str(isolated_settings.models_dir / "supervised.onnx"))
    assert onnx["top1"] == torch_run["top1"] and onnx["input"] == torch_run["input"]
