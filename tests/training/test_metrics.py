"""The colorization report's hue error on green and saturated pixels (training.metrics)."""

import numpy as np
import pytest

from models.color import lab_to_rgb8, rgb8_to_lab
from models.gamut import in_gamut_bins
from training.metrics import (
    Tally,
    chroma,
    green_mask,
    hue_angle_deg,
    hue_difference_deg,
    hue_errors_deg,
    saturated_mask,
)


def ab_at(hue_deg, c=50.0):
    h = np.radians(np.asarray(hue_deg, dtype=np.float64))
    return np.stack([c * np.cos(h), c * np.sin(h)], axis=-1)


def uniform_lab_image(l_value, hue_deg, c, side=16):
    lab = np.empty((side, side, 3), np.float32)
    lab[..., 0] = l_value
    lab[..., 1:] = ab_at(hue_deg, c)
    return lab_to_rgb8(lab)


def test_hue_angles_go_counter_clockwise_from_plus_a_and_stay_below_360():
    ab = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, -1e-17], [-3.0, -3.0]])
    np.testing.assert_allclose(hue_angle_deg(ab), [0.0, 90.0, 180.0, 270.0, 0.0, 225.0], atol=1e-9)
    assert np.all(hue_angle_deg(ab_at(np.linspace(0, 719, 97))) < 360.0)
    np.testing.assert_allclose(chroma(np.array([[3.0, -4.0]])), [5.0])


@pytest.mark.parametrize(("h1", "h2", "expected"), [
    (10.0, 40.0, 30.0), (40.0, 10.0, 30.0),  # symmetric
    (350.0, 10.0, 20.0), (5.0, 355.0, 10.0),  # across 0/360, the short way round
    (0.0, 180.0, 180.0), (90.0, 300.0, 150.0), (123.0, 123.0, 0.0), (0.0, 359.999, 0.001),
])
def test_hue_differences_wrap_around_360(h1, h2, expected):
    assert hue_difference_deg(h1, h2) == pytest.approx(expected, abs=1e-9)


def test_a_known_hue_shift_gives_that_error_on_the_masked_pixels_only():
    truth = ab_at(np.array([135.0, 350.0, 90.0]), 60.0)
    shifted = ab_at(np.array([135.0 + 25.0, 350.0 + 25.0, 90.0 - 70.0]), 60.0)  # 375 wraps to 15
    np.testing.assert_allclose(hue_errors_deg(shifted, truth, np.ones(3, bool)), [25.0, 25.0, 70.0], atol=1e-9)
    np.testing.assert_allclose(hue_errors_deg(shifted, truth, np.array([True, False, False])), [25.0], atol=1e-9)
    # Chroma does not enter the hue error: a paler prediction of the right hue has none.
    assert hue_errors_deg(truth * 0.2, truth, np.ones(3, bool)) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_green_and_saturated_pixels_are_chosen_from_the_truth():
    colours = {"forest green": (34, 139, 34), "olive drab": (107, 142, 35), "sea green": (46, 139, 87),
               "beige": (245, 245, 220), "yellow": (255, 255, 0), "teal": (0, 128, 128), "dry grass": (160, 150, 90),
               "red": (255, 0, 0), "gray": (128, 128, 128)}
    rgb = np.array([list(colours.values())], np.uint8)
    ab = rgb8_to_lab(rgb)[0, :, 1:]
    green = dict(zip(colours, green_mask(ab), strict=True))
    saturated = dict(zip(colours, saturated_mask(ab), strict=True))
    assert {k for k, v in green.items() if v} == {"forest green", "olive drab", "sea green"}
    assert {k for k, v in saturated.items() if v} == {"forest green", "olive drab", "sea green", "yellow", "red"}


def test_the_tally_reports_a_beige_prediction_of_green_grass():
    centres = in_gamut_bins()
    truth = uniform_lab_image(55.0, 135.0, 45.0)  # grass green
    beige = uniform_lab_image(55.0, 95.0, 18.0)  # the washed-out, yellowish answer
    shifted = uniform_lab_image(55.0, 165.0, 45.0)  # right vividness, hue 30 degrees off
    gt_lab = rgb8_to_lab(truth)
    true_h = float(hue_angle_deg(gt_lab[0, 0, 1:]))
    rows = {}
    for name, out in (("beige", beige), ("shifted", shifted), ("perfect", truth)):
        t = Tally()
        t.add(out, truth, gt_lab)
        rows[name] = t.summary(centres, 1.0)
    expected = {n: abs(float(hue_angle_deg(rgb8_to_lab(o)[0, 0, 1:])) - true_h)
                for n, o in (("beige", beige), ("shifted", shifted))}
    assert expected["beige"] == pytest.approx(40.0, abs=1.5) and expected["shifted"] == pytest.approx(30.0, abs=1.5)
    for name in ("beige", "shifted"):
        assert rows[name]["hue_error_green_deg"] == pytest.approx(expected[name], abs=0.01)
        assert rows[name]["hue_error_saturated_deg"] == pytest.approx(expected[name], abs=0.01)
        assert rows[name]["green_pixels"] == rows[name]["saturated_pixels"] == 16  # every 4th pixel each way
    assert rows["perfect"]["hue_error_green_deg"] == 0.0
    assert rows["beige"]["chroma_ratio_green"] == pytest.approx(18.0 / 45.0, abs=0.03)
    assert rows["shifted"]["chroma_ratio_green"] == pytest.approx(1.0, abs=0.03)


def test_no_hue_for_gray_output_or_without_green_pixels():
    centres = in_gamut_bins()
    truth = uniform_lab_image(55.0, 135.0, 45.0)
    gray = Tally(hue=False)
    gray.add(np.repeat(truth.mean(-1, keepdims=True).astype(np.uint8), 3, -1), truth, rgb8_to_lab(truth))
    s = gray.summary(centres, 1.0)
    assert s["hue_error_green_deg"] is None and s["hue_error_saturated_deg"] is None
    assert s["chroma_ratio_green"] == pytest.approx(0.0, abs=0.05)  # chroma is defined for gray: none of it
    red = uniform_lab_image(55.0, 30.0, 20.0)  # neither green nor saturated
    t = Tally()
    t.add(red, red, rgb8_to_lab(red))
    s = t.summary(centres, 1.0)
    assert s["hue_error_green_deg"] is None and s["hue_error_saturated_deg"] is None and s["green_pixels"] == 0


def test_merged_tallies_give_the_figures_of_one_tally_over_all_images():
    centres = in_gamut_bins()
    images = [uniform_lab_image(50.0 + 5 * i, 120.0 + 10 * i, 40.0 + 5 * i) for i in range(3)]
    preds = [uniform_lab_image(50.0 + 5 * i, 100.0 + 20 * i, 30.0) for i in range(3)]
    whole, parts = Tally(), [Tally(), Tally()]
    for i, (gt, out) in enumerate(zip(images, preds, strict=True)):
        whole.add(out, gt, rgb8_to_lab(gt))
        parts[min(i, 1)].add(out, gt, rgb8_to_lab(gt))
    assert Tally.merged(parts).summary(centres, 1.0) == whole.summary(centres, 1.0)
