import json

import numpy as np
import pytest

from models.colorization import mirror_averaged
from models.colorizer import Colorizer
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


def test_the_mirror_ensemble_colours_a_mirrored_photo_as_the_mirror_image(tiny_dir):
    img = photo(96, 64, seed=3)
    plain = Colorizer(device="cpu", root=tiny_dir)
    card = json.loads((tiny_dir / "colorization.json").read_text())
    (tiny_dir / "colorization.json").write_text(json.dumps({**card, "mirror_ensemble": True}))
    ensemble = Colorizer(device="cpu", root=tiny_dir)
    (tiny_dir / "colorization.json").write_text(json.dumps(card))
    assert ensemble.spec.mirror_ensemble and not plain.spec.mirror_ensemble
    out, out_m = ensemble.network_output(img), ensemble.network_output(np.ascontiguousarray(img[:, ::-1]))
    np.testing.assert_allclose(out_m, out[..., ::-1], atol=1e-5)
    # Untrained convolutions are not mirror-symmetric, so the plain network's outputs differ.
    base, base_m = plain.network_output(img), plain.network_output(np.ascontiguousarray(img[:, ::-1]))
    assert np.abs(base_m - base[..., ::-1]).max() > 1e-3
    np.testing.assert_allclose(out, (base + base_m[..., ::-1]) / 2, atol=1e-5)
