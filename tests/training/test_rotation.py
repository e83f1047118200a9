import argparse
import json

import numpy as np
import pytest
import torch

from models.rotation import rotate
from models.rotation_model import RotationModel
from tests.imagecorpus import photo
from training.errors import TrainingConfigError
from training.export_rotation import run as export_run
from training.loop import LoopConfig, train
from training.rotation import RotationConfig, RotationTask


@pytest.fixture(scope="module")
def tiny_rotation(tmp_path_factory, datasets_dir):
    """A rotation run of a few steps on a few photos, exported to ONNX with its card."""
    root = tmp_path_factory.mktemp("rotation")
    mp = pytest.MonkeyPatch()
    mp.setenv("PRETEXT_CACHE_DIR", str(root / "cache"))
    from core.settings import get_settings

    get_settings.cache_clear()
    task = RotationTask(RotationConfig(size=32, imagenette_size=40, limit=32, val_images=16))
    run_dir = root / "run"
    train(task, LoopConfig(steps=30, batch_size=32, lr=3e-3, warmup_steps=3, log_every=1,
                           validate_every=15, checkpoint_every=15), run_dir)
    args = argparse.Namespace(run=run_dir, out_dir=root / "models", serve_short_side=32, metrics=None)
    assert export_run(args) == 0
    yield task, run_dir, root / "models"
    mp.undo()
    get_settings.cache_clear()


def test_batches_put_four_rotations_of_each_photo_together(tiny_rotation):
    task, _, _ = tiny_rotation
    x, y = task.batch(np.random.default_rng(0), 0, 16)
    assert x.shape == (16, 3, 32, 32) and y.tolist() == [0, 1, 2, 3] * 4
    torch.testing.assert_close(x[1], torch.rot90(x[0], 1, dims=(1, 2)))


def test_loss_falls_on_a_fixed_batch(tiny_rotation):
    task, run_dir, _ = tiny_rotation
    assert any(json.loads(r)["kind"] == "val" for r in (run_dir / "metrics.jsonl").read_text().splitlines())
    torch.manual_seed(0)
    model = task.make_model()
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    batch = task.batch(np.random.default_rng(1), 0, 32)
    losses = []
    for _ in range(15):
        loss, _ = task.loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_export_parity_and_card(tiny_rotation):
    _, _, models = tiny_rotation
    card = json.loads((models / "rotation.json").read_text())
    assert card["parity_max_abs_diff"] < 1e-3
    assert card["angles"] == [0, 90, 180, 270] and len(card["sha256"]) == 64


def test_predicted_angle_follows_the_input_counter_clockwise(tiny_rotation):
    _, _, models = tiny_rotation
    model = RotationModel(root=models, device="cpu")
    img = photo(32, 32, seed=4)  # already at the network's size, so no resampling differs
    base = model.predict(img)
    for angle in (90, 180, 270):
        turned = model.predict(rotate(img, angle))
        for k in (0, 90, 180, 270):
            assert turned.probabilities[str((k + angle) % 360)] == pytest.approx(base.probabilities[str(k)],
                                                                                 abs=1e-4)
    assert [m.shape for m in base.attention] == [(16, 16), (8, 8), (4, 4), (4, 4)]
    assert all(m.min() >= 0.0 and m.max() <= 1.0 for m in base.attention)


def test_training_above_64_px_still_mixes_in_tiny_imagenet(datasets_dir, isolated_settings):
    task = RotationTask(RotationConfig(size=72, imagenette_size=90, tiny_share=0.5, limit=8, val_images=4))
    assert task.tiny.shape[1:3] == (90, 90)  # upscaled to imagenette's cache side, so 72 px crops fit
    x, y = task.batch(np.random.default_rng(0), 0, 16)
    assert x.shape == (16, 3, 72, 72) and y.shape == (16,)


def test_zoomed_crops_are_close_ups_at_the_training_side(datasets_dir, isolated_settings):
    for bad in ((0.0, 1.0), (1.2, 0.8)):
        with pytest.raises(TrainingConfigError):
            RotationConfig(size=32, imagenette_size=40, zoom=bad)

    def crops(zoom: tuple[float, float]) -> np.ndarray:
        task = RotationTask(RotationConfig(size=32, imagenette_size=40, tiny_share=0.0, zoom=zoom, limit=8,
                                           val_images=4))
        return task.images(np.random.default_rng(0), 16).astype(np.float32)

    plain, close = crops((1.0, 1.0)), crops((0.5, 0.5))
    assert close.shape == plain.shape == (16, 32, 32, 3)
    # 16 px windows enlarged twice over: neighbouring pixels differ far less than in plain crops.
    def roughness(x: np.ndarray) -> float:
        return float(np.abs(np.diff(x, axis=2)).mean())

    assert roughness(close) < 0.75 * roughness(plain)


@pytest.mark.parametrize("mirror", [False, True])
def test_upright_views_turned_give_what_predict_gives_on_the_turned_photo(tiny_rotation, mirror):
    # The evaluation scores every turn of a photo from one set of runs; that must be what serving says.
    _, _, models = tiny_rotation
    model = RotationModel(root=models, device="cpu")
    model.mirror_views = mirror
    model.short_sides = [32, 48]
    img = photo(32, 48, seed=5)  # 32 px short side: the first side runs it unresampled
    upright, _ = model.views(img)
    assert upright.plain.shape == (2, 4, 4) and (upright.mirrored is not None) == mirror
    for angle in (0, 90, 180, 270):
        direct = model.predict(rotate(img, angle))
        shortcut = upright.turned(angle).probabilities()
        # The 48 px side resizes before turning instead of after: a pixel may round one level apart.
        np.testing.assert_allclose(shortcut, [direct.probabilities[str(a)] for a in (0, 90, 180, 270)], atol=0.02)
        assert int(np.argmax(shortcut)) * 90 == direct.angle


def test_more_serving_sides_change_the_answer_and_keep_the_attention_of_the_first(tiny_rotation):
    _, _, models = tiny_rotation
    model = RotationModel(root=models, device="cpu")
    img = photo(40, 56, seed=6)
    one = model.predict(img)
    model.short_sides = [32, 64]
    two = model.predict(img)
    assert one.probabilities != two.probabilities
    assert [m.shape for m in one.attention] == [m.shape for m in two.attention]
    assert sum(two.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
