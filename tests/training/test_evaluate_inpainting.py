"""``pretext evaluate inpainting``: the figures on synthetic photos, and end to end on tiny models and real photos."""

import argparse
import json

import numpy as np
import pytest

from models.inpainting import central_mask
from training.evaluate_inpainting import (
    METHODS,
    Methods,
    Tally,
    add_arguments,
    checks,
    holes_for,
    run,
    spread,
)
from training.tiny_models import tiny_inpainting


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(argv)


def score(method: str, rgb: np.ndarray, mask: np.ndarray) -> dict:
    tally = Tally()
    tally.add(Methods({}, 5.0).fill(method, rgb, mask), rgb, mask, 0.0)
    return tally.summary()


def test_mean_fill_scores_the_distance_to_the_mean_of_the_rest():
    rgb = np.zeros((64, 96, 3), dtype=np.uint8)
    rgb[:, :48], rgb[:, 48:] = 50, 150  # the rest of the photo averages 100
    mask = central_mask(64, 96)
    rgb[mask] = 180  # the truth in the hole: 80 levels off whatever the fill
    r = score("mean", rgb, mask)
    assert r["images"] == 1
    assert r["l1"] == pytest.approx(80 / 255)
    assert r["l2"] == pytest.approx((80 / 255) ** 2)
    assert r["psnr"] == pytest.approx(20 * np.log10(255 / 80))


def test_telea_beats_mean_fill_on_a_smooth_gradient():
    y, x = np.mgrid[0:96, 0:128]
    rgb = np.stack([x * 2, y * 2, 255 - x - y // 2], axis=-1).clip(0, 255).astype(np.uint8)
    mask = central_mask(96, 128)
    mean, telea, ns = (score(m, rgb, mask) for m in ("mean", "telea", "ns"))
    assert telea["psnr"] > mean["psnr"] + 5 and ns["psnr"] > mean["psnr"] + 5
    assert telea["l1"] < mean["l1"] / 2


def test_the_truth_itself_has_sharpness_one_and_the_mean_fill_none_inside():
    rgb = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    mask = np.zeros((48, 48), dtype=bool)
    mask[10:30, 12:40] = True
    tally = Tally()
    tally.add(rgb, rgb, mask, 0.0)
    tally.add(rgb[::-1].copy(), rgb[::-1].copy(), mask, 0.0)
    r = tally.summary()
    assert r["sharpness"] == pytest.approx(1.0) and r["sharpness_abs_log"] == pytest.approx(0.0, abs=1e-9)
    assert r["l1"] == 0 and r["psnr"] == pytest.approx(100.0)
    # A flat fill holds no detail but at its seam: far below the truth's.
    assert score("mean", rgb, mask)["sharpness"] < 0.3


def test_holes_are_fixed_by_seed_source_and_photo_and_fit_each_photo():
    bank = np.zeros((3, 128, 128), dtype=bool)
    bank[0, 20:60, 30:90] = True
    bank[1, 50:120, 10:40] = True
    bank[2, 40:80, 40:80] = True
    a = holes_for((90, 140), ("central", "regions"), bank, 0, "photos", 7)
    b = holes_for((90, 140), ("central", "regions"), bank, 0, "photos", 7)
    assert set(a) == {"central", "regions"}
    for kind in a:
        assert a[kind].shape == (90, 140) and a[kind].any() and not a[kind].all()
        np.testing.assert_array_equal(a[kind], b[kind])
    assert a["central"].sum() == pytest.approx(90 * 140 / 4, rel=0.03)
    others = [holes_for((90, 140), ("regions",), bank, 0, "photos", i)["regions"] for i in range(8)]
    assert any(not np.array_equal(o, a["regions"]) for o in others)


def test_spread_takes_evenly_spaced_photos_or_all():
    assert spread(10, None).tolist() == list(range(10)) and spread(5, 9).tolist() == list(range(5))
    assert spread(100, 3).tolist() == [0, 50, 99]


def test_checks_pass_fail_and_name_what_is_missing():
    def fig(psnr, sharpness):
        return {"psnr": psnr, "sharpness": sharpness}

    report = {"sources": {"photos": {"central": {"mean": fig(14.0, 0.05), "telea": fig(15.5, 0.1),
                                                 "l2": fig(16.0, 0.3), "adversarial": fig(15.2, 0.7)}}}}
    assert [c["passed"] for c in checks(report)] == [True, True, True, True]
    report["sources"]["photos"]["central"]["adversarial"] = fig(14.5, 0.2)
    assert [c["passed"] for c in checks(report)] == [True, True, False, False]
    del report["sources"]["photos"]["central"]["adversarial"]
    res = checks(report)
    assert [c["passed"] for c in res] == [True, True, None, None]
    assert METHODS["adversarial"] in res[2]["detail"]
    assert all(c["passed"] is None for c in checks({"sources": {}}))


@pytest.fixture
def report(datasets_dir, isolated_settings, tmp_path):
    isolated_settings.models_dir.mkdir(parents=True)
    tiny_inpainting(isolated_settings.models_dir)
    out = tmp_path / "out"
    assert run(parse(["--limit", "3", "--val-images", "5", "--examples", "2", "--out", str(out)])) == 0
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text(), out


def test_every_method_scores_every_source_and_hole_kind(report):
    data, md, out = report
    assert data["methods"] == ["mean", "telea", "ns", "l2", "adversarial"] and data["skipped"] == []
    assert {"imagenette-val", "photos"} <= set(data["sources"])
    folders = [g for g in data["sources"] if g.startswith("photos/")]
    assert folders and sum(data["sources"][g]["images"] for g in folders) == data["sources"]["photos"]["images"] == 3
    assert data["sources"]["imagenette-val"]["images"] == 3
    for res in data["sources"].values():
        for kind in ("central", "regions"):
            assert list(res[kind]) == data["methods"]
            for r in res[kind].values():
                assert r["images"] == res["images"]
                assert 0 < r["l2"] <= r["l1"] <= 1 and np.isfinite(r["psnr"]) and r["sharpness"] >= 0
    assert [c["passed"] in (True, False) for c in data["checks"]] == [True] * 4
    assert "Checks (the test photos, central holes)" in md and md.count("- PASS") + md.count("- FAIL") == 4
    assert "PSNR 18.58 dB" in md and f"Command: `{data['command']}`" in md
    for kind in ("central", "regions"):
        assert (out / f"examples-{kind}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"examples-{kind}.png" in md


def test_a_model_that_is_not_installed_is_skipped_with_a_note(datasets_dir, isolated_settings, tmp_path):
    isolated_settings.models_dir.mkdir(parents=True)
    tiny_inpainting(isolated_settings.models_dir)
    for f in isolated_settings.models_dir.glob("inpainting-adversarial.*"):
        f.unlink()
    out = tmp_path / "out"
    assert run(parse(["--sources", "photos", "--holes", "central", "--limit", "2", "--examples", "0",
                      "--out", str(out)])) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["methods"] == ["mean", "telea", "ns", "l2"] and list(data["models"]) == ["l2"]
    assert len(data["skipped"]) == 1 and "adversarial" in data["skipped"][0]
    assert [c["passed"] is None for c in data["checks"]] == [False, False, True, True]
    assert list(data["sources"]["photos"]) == ["images", "central"] and data["examples"] == {}
