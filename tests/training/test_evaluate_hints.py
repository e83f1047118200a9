"""``pretext evaluate hints`` with the hint network installed: its curves beside the other methods'."""

import argparse
import json

from training.evaluate_hints import BASELINE, COUNTS, DISTRIBUTION, NETWORK, PLACEMENTS, VALIDATION_COUNTS
from training.evaluate_hints import run as evaluate_run
from training.tiny_models import tiny_colorization, tiny_colorization_hints


def args_for(models, out) -> argparse.Namespace:
    return argparse.Namespace(model="colorization", models_dir=models, out=out, photos_limit=2, tune=False,
                              no_palette=True, validation=False, network_temperatures=None)


def test_the_hint_network_is_evaluated_when_its_card_is_installed(datasets_dir, tmp_path):
    models = tmp_path / "models"
    tiny_colorization(models)
    assert evaluate_run(args_for(models, tmp_path / "without")) == 0
    without = json.loads((tmp_path / "without" / "report.json").read_text())
    assert set(without["results"]) == {BASELINE, DISTRIBUTION}
    assert "not evaluated" in without["network_note"]

    tiny_colorization_hints(models)
    out = tmp_path / "with"
    assert evaluate_run(args_for(models, out)) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["results"]) == {BASELINE, DISTRIBUTION, NETWORK}
    assert report["network_model"].startswith("colorization-hints-tiny")
    for placement in PLACEMENTS:
        rows = report["results"][NETWORK][placement]
        assert [int(n) for n in rows] == list(COUNTS) and all(rows[str(n)]["images"] == 2 for n in COUNTS)
    assert {f"{NETWORK}, {placement}" for placement in PLACEMENTS} <= set(report["done_check"]["rising"])
    assert (out / "curves.png").stat().st_size > 10_000 and "Hint network: colorization-hints-tiny" in (
        out / "report.md").read_text()


def test_validation_compares_the_methods_on_validation_photos_only(datasets_dir, tmp_path, capsys):
    models = tmp_path / "models"
    tiny_colorization(models)
    args = args_for(models, tmp_path / "val")
    args.validation, args.val_images, args.extra_images, args.network_temperatures = True, 3, 1, [0.38, 1.0]
    assert evaluate_run(args) == 2  # no hint network installed: nothing to choose
    assert "colorization-hints" in capsys.readouterr().err

    tiny_colorization_hints(models)
    assert evaluate_run(args) == 0
    report = json.loads((tmp_path / "val" / "validation.json").read_text())
    assert set(report["results"]) == {BASELINE, DISTRIBUTION, f"{NETWORK} T=0.38", f"{NETWORK} T=1.0"}
    assert "imagenette-val" in report["sources"] and not any(s.startswith("photos") for s in report["sources"])
    for rows in report["results"].values():
        assert [int(n) for n in rows] == list(VALIDATION_COUNTS)
        assert all(row["images"] == report["photos"] > 0 for row in rows.values())
    assert not (tmp_path / "val" / "report.json").exists()  # the test photos' report is not touched
