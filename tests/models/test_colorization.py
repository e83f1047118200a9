import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.colorization import mirror_averaged, scales_averaged
from models.colorization_model import ColorizationModel
from models.numerics import log_softmax
from tests.imagecorpus import photo
from training.tiny_models import tiny_colorization


def test_mirror_averaging_maps_the_mirrored_answer_back_to_its_columns():
    # A "network" that adds its column index: alone it is lopsided; averaged with the mirrored
    # run mapped back, every column gets the same offset.
    def run(x: np.ndarray) -> np.ndarray:
        return (x + np.arange(x.shape[-1], dtype=np.float32)).repeat(3, axis=1)

    l_in = np.random.default_rng(0).normal(size=(1, 1, 4, 6)).astype(np.float32)
    out = mirror_averaged(run, l_in)
    assert out.shape == (1, 3, 4, 6)
    np.testing.assert_allclose(out, np.repeat(l_in + 2.5, 3, axis=1), atol=1e-6)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("colorization")
    tiny_colorization(root)
    return root


def with_card(tiny_dir: Path, tmp_path: Path, **fields) -> ColorizationModel:
    """The tiny model served from a copy of its folder whose card has ``fields`` changed."""
    for f in tiny_dir.iterdir():
        shutil.copy(f, tmp_path / f.name)
    card = json.loads((tiny_dir / "colorization.json").read_text())
    (tmp_path / "colorization.json").write_text(json.dumps({**card, **fields}))
    return ColorizationModel(device="cpu", root=tmp_path)


def test_the_mirror_ensemble_colours_a_mirrored_photo_as_the_mirror_image(tiny_dir, tmp_path):
    img = photo(96, 64, seed=3)
    plain = ColorizationModel(device="cpu", root=tiny_dir)
    ensemble = with_card(tiny_dir, tmp_path, mirror_ensemble=True)
    assert ensemble.spec.mirror_ensemble and not plain.spec.mirror_ensemble
    out, out_m = ensemble.network_output(img), ensemble.network_output(np.ascontiguousarray(img[:, ::-1]))
    np.testing.assert_allclose(out_m, out[..., ::-1], atol=1e-5)
    # Untrained convolutions are not mirror-symmetric, so the plain network's outputs differ.
    base, base_m = plain.network_output(img), plain.network_output(np.ascontiguousarray(img[:, ::-1]))
    assert np.abs(base_m - base[..., ::-1]).max() > 1e-3
    np.testing.assert_allclose(out, (base + base_m[..., ::-1]) / 2, atol=1e-5)


def test_scales_are_averaged_as_log_probabilities_on_the_first_sides_grid():
    rng = np.random.default_rng(1)
    first = rng.normal(size=(1, 5, 4, 6)).astype(np.float32)
    # A second scale that is uniform per pixel adds the same log(1/5) everywhere, so the mean
    # keeps the first scale's distribution shape, only flattened by half in log space.
    uniform = np.zeros((1, 5, 8, 12), np.float32)
    out = scales_averaged([first, uniform])
    assert out.shape == (1, 5, 4, 6)
    expected = (log_softmax(first, axis=1) + np.log(1 / 5)) / 2
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # Regression ab maps are averaged as they are, after resizing onto the first grid. A linear
    # ramp sampled at pixel centres resizes exactly, so a swapped or misaligned axis would show.
    def ramp(h: int, w: int) -> np.ndarray:
        y = (np.arange(h, dtype=np.float32) + 0.5) / h
        x = (np.arange(w, dtype=np.float32) + 0.5) / w
        return np.stack([np.add.outer(3 * y, 0 * x), np.add.outer(0 * y, 5 * x)])[None]  # (1, 2, h, w)

    np.testing.assert_allclose(scales_averaged([ramp(4, 6), ramp(8, 12)], "ab"), ramp(4, 6), atol=1e-5)
    np.testing.assert_allclose(scales_averaged([ramp(4, 6), ramp(2, 3) + 2.0], "ab")[0, :, 1:-1, 1:-1],
                               ramp(4, 6)[0, :, 1:-1, 1:-1] + 1.0, atol=1e-5)


def test_a_card_with_several_serving_sides_ensembles_them_on_the_first_sides_grid(tiny_dir, tmp_path):
    img = photo(150, 100, seed=4)
    multi = with_card(tiny_dir, tmp_path, serve_short_sides=[64, 96])
    assert (multi.spec.serve_short_side, multi.spec.extra_short_sides) == (64, (96,))
    out = multi.network_output(img)
    assert out.shape[2:] == (64 // 4, 96 // 4)  # 100x150 photo -> 64x96 network input on the first side
    expected = scales_averaged([multi.output_at(img, 64), multi.output_at(img, 96)])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert np.abs(out - log_softmax(multi.output_at(img, 64), axis=1)).max() > 1e-3
    assert multi.colorize(img).rgb8.shape == img.shape
