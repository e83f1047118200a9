import numpy as np
import pytest

from models.color import lab_to_rgb, lab_to_rgb8, lab_to_rgb8_keep_lightness, lightness, rgb8_to_lab, rgb_to_lab

# Reference values from the CIE formulas with D65 white (as published by Bruce Lindbloom's calculator).
KNOWN = [
    ((255, 255, 255), (100.0, 0.0, 0.0)),
    ((0, 0, 0), (0.0, 0.0, 0.0)),
    ((255, 0, 0), (53.2408, 80.0925, 67.2032)),
    ((0, 255, 0), (87.7347, -86.1827, 83.1793)),
    ((0, 0, 255), (32.2970, 79.1875, -107.8602)),
    ((128, 128, 128), (53.5850, 0.0, 0.0)),
]


@pytest.mark.parametrize(("rgb", "lab"), KNOWN)
def test_known_colours_match_the_cie_formulas(rgb, lab):
    got = rgb8_to_lab(np.array(rgb, dtype=np.uint8))
    np.testing.assert_allclose(got, lab, atol=0.02)


def test_every_8bit_colour_round_trips_within_one_level():
    levels = np.arange(256, dtype=np.uint8)
    worst = 0
    for r in levels[::1]:
        g, b = np.meshgrid(levels, levels, indexing="ij")
        rgb = np.stack([np.full_like(g, r), g, b], -1)
        back = lab_to_rgb8(rgb8_to_lab(rgb))
        worst = max(worst, int(np.abs(back.astype(int) - rgb.astype(int)).max()))
    assert worst <= 1


def test_conversions_are_float32_and_keep_shape():
    x = np.random.default_rng(0).random((4, 5, 3)).astype(np.float32)
    lab = rgb_to_lab(x)
    assert lab.dtype == np.float32 and lab.shape == (4, 5, 3)
    assert lab_to_rgb(lab).dtype == np.float32


def test_out_of_gamut_lab_is_clipped_into_range():
    rgb = lab_to_rgb(np.array([[50.0, 120.0, -120.0]]))
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_lightness_of_gray_equals_lightness_of_equal_rgb():
    g = np.arange(256, dtype=np.uint8)
    np.testing.assert_allclose(lightness(g), lightness(np.stack([g, g, g], -1)), atol=1e-3)


def test_out_of_gamut_colours_lose_chroma_not_lightness():
    rng = np.random.default_rng(4)
    lab = np.stack([rng.uniform(0, 100, 4000), rng.normal(0, 60, 4000), rng.normal(0, 60, 4000)], -1)
    lab = lab.astype(np.float32)
    kept = lab_to_rgb8_keep_lightness(lab)
    clipped = lab_to_rgb8(lab)
    unclipped = lab_to_rgb(lab, clip=False)
    outside = ~np.all((unclipped >= 0) & (unclipped <= 1), axis=-1)
    assert outside.mean() > 0.3  # the draw must reach outside sRGB, or this pins nothing
    assert np.abs(lightness(kept) - lab[:, 0]).max() < 1.0
    assert np.abs(lightness(clipped) - lab[:, 0]).max() > 5.0
    np.testing.assert_array_equal(kept[~outside], clipped[~outside])
    # Chroma is scaled toward gray, so the hue (the sign of a and b where they are large) stays.
    out_lab = rgb8_to_lab(kept[outside])
    big = np.abs(lab[outside, 1:]) > 20
    assert np.mean(np.sign(out_lab[:, 1:][big]) == np.sign(lab[outside, 1:][big])) > 0.95
