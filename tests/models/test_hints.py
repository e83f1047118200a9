"""Colour hints (models.hints): parsing, the distribution method, the global prior and the model-free baseline."""

import json
from dataclasses import replace

import numpy as np
import pytest

from core.errors import BadParameterError
from models.color import rgb8_to_lab
from models.colorization import apply_ab
from models.encoding import annealed_mean
from models.hints import (
    MAX_POINTS,
    BaselineParams,
    HintParams,
    Hints,
    PointHint,
    apply_prior,
    baseline_ab,
    colours_ab,
    grid_cells,
    hint_planes,
    hint_weights,
    hinted_ab,
    hinted_ab_regression,
    palette_prior,
    parse_hints,
)

RED = (200, 30, 30)
BLUE = (30, 60, 200)


def two_halves(h: int = 64, w: int = 128, dark: int = 40, bright: int = 220) -> np.ndarray:
    """A gray photo: left half dark, right half bright (a strong lightness edge down the middle)."""
    rgb = np.full((h, w, 3), dark, np.uint8)
    rgb[:, w // 2:] = bright
    return rgb


def uniform_logp(q: int, h: int, w: int) -> np.ndarray:
    return np.full((q, h, w), -np.log(q), np.float32)


def gray_logp(centres: np.ndarray, h: int, w: int) -> np.ndarray:
    """A network that is sure every cell is gray: log-probabilities peaked on the (0, 0) bin."""
    d2 = (centres**2).sum(1)
    logits = -d2 / (2 * 8.0**2)
    logp = logits - np.log(np.exp(logits).sum())
    return np.broadcast_to(logp[:, None, None], (len(centres), h, w)).astype(np.float32).copy()


# ------------------------------------------------------------------------------------------------- parsing


def test_parsing_accepts_points_and_one_palette_and_keeps_them_in_order():
    text = json.dumps([{"x": 3, "y": 4.5, "rgb": list(RED)}, {"palette": [list(BLUE)]},
                       {"x": 0, "y": 0, "rgb": [0, 0, 0]}])
    hints = parse_hints(text, 10, 8)
    assert hints.points == (PointHint(3.0, 4.5, RED), PointHint(0.0, 0.0, (0, 0, 0)))
    assert hints.palette == (BLUE,)
    assert parse_hints(hints.dumps(), 10, 8) == hints


@pytest.mark.parametrize("empty", [None, "", "  ", "[]", []])
def test_no_hints_is_an_empty_hint_set(empty):
    assert not parse_hints(empty, 10, 8)


@pytest.mark.parametrize(("hints", "says"), [
    ("[{", "not valid JSON"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"x": 1, "y": 1, "rgb": [1, 2, 3]}', "must be a JSON list"),
    ("[[1, 2]]", "hints[0] must be an object"),
    ('[{"x": 1, "y": 1, "rgb": [1, 2, 3], "size": 4}]', "unknown keys ['size']"),
    ('[{"x": 1, "rgb": [1, 2, 3]}]', "missing ['y']"),
    ('[{"x": 1, "y": 1, "rgb": [1, 2, 3]}, {"x": 10, "y": 1, "rgb": [1, 2, 3]}]', "hints[1] at (10, 1) is off"),
    ('[{"x": -0.5, "y": 1, "rgb": [1, 2, 3]}]', "hints[0] at (-0.5, 1) is off the photo"),
    ('[{"x": 1, "y": 8, "rgb": [1, 2, 3]}]', "off the 10x8 photo"),
    ('[{"x": "1", "y": 1, "rgb": [1, 2, 3]}]', "hints[0].x must be a finite number"),
    ('[{"x": true, "y": 1, "rgb": [1, 2, 3]}]', "hints[0].x must be a finite number"),
    ('[{"x": NaN, "y": 1, "rgb": [1, 2, 3]}]', "hints[0].x must be a finite number"),
    ('[{"x": 1, "y": 1, "rgb": [1, 2]}]', "hints[0].rgb must be a list of three integers"),
    ('[{"x": 1, "y": 1, "rgb": [1, 2, 256]}]', "hints[0].rgb must be three integers 0..255"),
    ('[{"x": 1, "y": 1, "rgb": [1, 2, -1]}]', "hints[0].rgb must be three integers 0..255"),
    ('[{"x": 1, "y": 1, "rgb": [1.5, 2, 3]}]', "hints[0].rgb must be three integers 0..255"),
    ('[{"x": 1, "y": 1, "rgb": [true, 2, 3]}]', "hints[0].rgb must be three integers 0..255"),
    ('[{"x": 1, "y": 1, "rgb": "#ff0000"}]', "hints[0].rgb must be a list"),
    ('[{"palette": []}]', "hints[0].palette must be a list of 1 to 5 colours"),
    ('[{"palette": [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]}]', "1 to 5 colours"),
    ('[{"palette": [[1, 2, 300]]}]', "hints[0].palette[0] must be three integers"),
    ('[{"palette": [[1, 2, 3]]}, {"palette": [[1, 2, 3]]}]', "hints[1]: only one palette"),
    ('[{"palette": [[1, 2, 3]], "x": 1}]', "a palette entry has only the key 'palette'"),
])
def test_parsing_rejects_each_bad_case_naming_the_entry(hints, says):
    with pytest.raises(BadParameterError) as err:
        parse_hints(hints, 10, 8)
    assert says in str(err.value)


def test_parsing_rejects_too_many_points():
    many = [{"x": 1, "y": 1, "rgb": [1, 2, 3]}] * (MAX_POINTS + 1)
    with pytest.raises(BadParameterError, match=f"at most {MAX_POINTS}"):
        parse_hints(json.dumps(many), 10, 8)
    assert len(parse_hints(json.dumps(many[:MAX_POINTS]), 10, 8).points) == MAX_POINTS


def test_a_hint_lands_on_the_grid_cell_holding_its_pixel():
    points = (PointHint(0, 0, RED), PointHint(99.9, 49.2, RED), PointHint(50, 25, RED))
    assert grid_cells(points, 100, 50, 10, 20).tolist() == [[0, 0], [9, 19], [5, 10]]


# --------------------------------------------------------------------------------------- distribution method


def test_a_hint_changes_the_colour_near_it_and_not_across_a_strong_lightness_edge(centres):
    rgb = two_halves()
    h, w = 16, 32
    logp = gray_logp(centres, h, w)
    edgy = HintParams(alpha=2.0, beta=0.0, sigma=60.0, feature_sigma=0.0)
    ab = hinted_ab(logp, centres, rgb, Hints((PointHint(10, 32, RED),)), 0.38, edgy)  # (h, w, 2)
    red = colours_ab([RED])[0]
    near, same_side, across = ab[8, 2], ab[8, 10], ab[8, 17]
    assert np.linalg.norm(near - red) < 10
    assert np.linalg.norm(same_side - red) < 20  # the same region, 8 cells (50% of the short side) away
    assert np.linalg.norm(across) < 5  # just across the edge, 15 cells away: still the network's gray


def test_more_weight_closer_and_less_across_an_edge_with_the_default_parameters():
    l_grid = np.where(np.arange(32)[None, :] < 16, 30.0, 80.0).repeat(16, 0).astype(np.float32)  # (16, 32)
    w = hint_weights(l_grid, None, np.array([[8, 4]]), HintParams())[0]  # (16, 32)
    assert w[8, 4] == pytest.approx(1.0)
    assert w[8, 5] > w[8, 8] > w[8, 12] > 0
    assert w[8, 16 + 6] < w[8, 4 - 2 + 8]  # 18 cells away across the edge < 10 cells away on its side... and
    flat = hint_weights(np.full((16, 32), 30.0, np.float32), None, np.array([[8, 4]]), HintParams())[0]
    assert w[8, 20] < flat[8, 20]  # ... the same distance without the edge weighs more


def test_the_hint_colour_wins_at_its_own_pixel_in_every_mode(centres):
    rgb = np.full((40, 60, 3), 128, np.uint8)
    logp = uniform_logp(len(centres), 10, 15)
    red = colours_ab([RED])[0]
    for mode in ("pool", "mix", "product"):
        ab = hinted_ab(logp, centres, rgb, Hints((PointHint(30, 20, RED),)), 0.38, HintParams(mode=mode))
        assert np.linalg.norm(ab[5, 7] - red) < 8, mode


def test_no_hints_leaves_the_distribution_as_it_was(centres):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(len(centres), 6, 8)).astype(np.float32)
    logp = logits - np.log(np.exp(logits).sum(0, keepdims=True))
    rgb = np.full((24, 32, 3), 100, np.uint8)
    expected = annealed_mean(np.moveaxis(logp, 0, -1), centres, 0.5)
    np.testing.assert_allclose(hinted_ab(logp, centres, rgb, Hints(), 0.5), expected, atol=1e-5)


def test_two_hints_of_different_colours_each_keep_their_own_region(centres):
    rgb = two_halves()
    logp = uniform_logp(len(centres), 16, 32)
    hints = Hints((PointHint(16, 32, RED), PointHint(110, 32, BLUE)))
    ab = hinted_ab(logp, centres, rgb, hints, 0.38, replace(HintParams(), alpha=2.0, sigma=40.0))
    red, blue = colours_ab([RED, BLUE])
    assert np.linalg.norm(ab[8, 4] - red) < np.linalg.norm(ab[8, 4] - blue)
    assert np.linalg.norm(ab[8, 28] - blue) < np.linalg.norm(ab[8, 28] - red)


def test_a_regression_models_ab_is_pulled_to_the_hint_too():
    rgb = np.full((32, 32, 3), 128, np.uint8)
    ab = np.zeros((8, 8, 2), np.float32)
    out = hinted_ab_regression(ab, rgb, Hints((PointHint(16, 16, RED),)))
    assert np.linalg.norm(out[4, 4] - colours_ab([RED])[0]) < 10


# ------------------------------------------------------------------------------------------------ global hints


def test_a_palette_prior_moves_every_colour_toward_the_palette(centres):
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=2.0, size=(len(centres), 6, 8))
    logp = (logits - np.log(np.exp(logits).sum(0, keepdims=True))).astype(np.float32)
    blue = colours_ab([BLUE])[0]
    before = annealed_mean(np.moveaxis(logp, 0, -1), centres, 0.38)
    prior = palette_prior([BLUE], centres)
    assert prior.sum() == pytest.approx(1.0) and prior.min() > 0  # floored: nothing forbidden
    after = annealed_mean(np.moveaxis(apply_prior(logp, prior, 1.0), 0, -1), centres, 0.38)
    d_before = np.linalg.norm(before - blue, axis=-1)
    d_after = np.linalg.norm(after - blue, axis=-1)
    assert (d_after < d_before).mean() > 0.9 and d_after.mean() < d_before.mean() / 2
    hinted = hinted_ab(logp, centres, np.full((24, 32, 3), 90, np.uint8), Hints(palette=(BLUE,)), 0.38)
    np.testing.assert_allclose(hinted, after, atol=1e-3)


def test_a_reference_photo_prior_peaks_at_its_colours(centres):
    from models.hints import reference_prior

    ref = np.zeros((50, 80, 3), np.uint8)
    ref[:] = BLUE
    prior = reference_prior(ref, centres)
    peak = centres[int(np.argmax(prior))]
    assert np.linalg.norm(peak - colours_ab([BLUE])[0]) < 10


# ------------------------------------------------------------------------------------------------- baseline


def test_the_baseline_reproduces_hint_colours_at_hint_pixels():
    rgb = np.full((80, 120, 3), 120, np.uint8)
    rgb[:, 60:] = 200
    # Hint colours of the photo's own lightness there, so the whole colour (not only its ab) comes back.
    lab_red = rgb8_to_lab(np.array([RED], np.uint8))[0]
    red_at_l = apply_ab(rgb[:1, :1], np.array([[lab_red[1:]]], np.float32))[0, 0]
    points = (PointHint(10, 40, tuple(int(v) for v in red_at_l)), PointHint(110, 40, BLUE))
    ab = baseline_ab(rgb, points, BaselineParams(spatial_sigma=10.0, lightness_sigma=5.0))  # working grid = photo
    assert ab.shape == (80, 120, 2)
    np.testing.assert_allclose(ab[40, 110], colours_ab([BLUE])[0], atol=0.5)  # its ab, exactly
    out = apply_ab(rgb, ab)
    assert np.abs(out[40, 10].astype(int) - red_at_l).max() <= 3  # the whole colour where it fits the photo's L


def test_the_baseline_stays_gray_far_from_every_hint_and_with_none():
    rgb = np.full((100, 300, 3), 128, np.uint8)
    ab = baseline_ab(rgb, (PointHint(2, 50, RED),), BaselineParams(spatial_sigma=10.0, lightness_sigma=10.0))
    assert np.abs(ab[:, -5:]).max() < 1.0
    assert np.abs(baseline_ab(rgb, ())).max() == 0.0


def test_the_baseline_does_not_cross_a_strong_lightness_edge():
    rgb = two_halves(64, 128, 40, 220)
    ab = baseline_ab(rgb, (PointHint(50, 32, RED),), BaselineParams(spatial_sigma=40.0, lightness_sigma=10.0))
    h, w = ab.shape[:2]
    assert np.linalg.norm(ab[h // 2, w // 2 - 4]) > 30
    assert np.linalg.norm(ab[h // 2, w // 2 + 4]) < 1


# --------------------------------------------------------------------------------------------- network input


def test_hint_planes_mark_the_hinted_cells_with_their_ab():
    planes = hint_planes((PointHint(5, 5, RED),), 20, 20, np.full((4, 4), 50.0, np.float32))
    assert planes.shape == (6, 4, 4)
    assert planes[2].sum() == 1.0 and planes[2, 1, 1] == 1.0
    np.testing.assert_allclose(planes[:2, 1, 1] * 110.0, colours_ab([RED])[0], atol=1e-4)
