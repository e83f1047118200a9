import argparse
import json

import numpy as np
import pytest
import torch

from models.colorization_model import ColorizationModel
from training.colorization import ColorizationConfig, ColorizationTask, pool_ab
from training.export_colorization import PriorCorrected
from training.export_colorization import run as export_run
from training.loop import LoopConfig, train
from training.nets import ColorizationNet


def tiny_task(centres, kind="classification"):
    cfg = ColorizationConfig(kind=kind, limit=48, prior_images=48, val_images=8, imagenette_size=64,
                             crop=32, finetune_crop=48, finetune_share=0.2)
    return ColorizationTask(cfg, centres=centres)


def test_pooled_targets_average_four_by_four_blocks():
    ab = np.arange(2 * 8 * 8 * 2, dtype=np.float32).reshape(2, 8, 8, 2)
    pooled = pool_ab(ab)
    assert pooled.shape == (2, 2, 2, 2)
    assert pooled[0, 0, 0, 0] == pytest.approx(ab[0, :4, :4, 0].mean())


def test_soft_targets_and_weights_have_the_right_shapes(datasets_dir, isolated_settings, centres):
    task = tiny_task(centres)
    l_in, target_ab = task.batch(np.random.default_rng(0), 0, 6)
    assert l_in.shape == (6, 1, 32, 32) and target_ab.shape == (6, 8, 8, 2)
    assert float(l_in.min()) >= -1.01 and float(l_in.max()) <= 1.01
    soft, w = task.targets(target_ab)
    assert soft.shape == (6, len(centres), 8, 8) and w.shape == (6, 8, 8)
    torch.testing.assert_close(soft.sum(1), torch.ones(6, 8, 8), rtol=0, atol=1e-5)


@pytest.mark.parametrize("bad", [
    {"crop": 128},  # Tiny ImageNet photos are 64 px
    {"crop": 128, "tiny_share": 0.0, "imagenette_size": 96},
    {"finetune_crop": 192, "imagenette_size": 160},
    {"tiny_share": 1.5},
])
def test_a_crop_the_photos_cannot_give_is_refused_before_training(bad):
    with pytest.raises(ValueError):
        ColorizationConfig(**bad)


def test_large_crops_without_tiny_imagenet_are_accepted():
    assert ColorizationConfig(crop=128, tiny_share=0.0, imagenette_size=160, finetune_crop=160).crop == 128


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_tiny_training_lowers_the_loss_and_resumes(datasets_dir, isolated_settings, centres, tmp_path, kind):
    task = tiny_task(centres, kind)
    task.total_steps = 40
    cfg = LoopConfig(steps=40, batch_size=16, lr=3e-3, warmup_steps=4, log_every=1,
                     checkpoint_every=20, validate_every=20, seed=1)
    out = tmp_path / "run"
    train(task, cfg, out)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r["kind"] == "train"]
    assert len(losses) == 40
    # Finetune steps (the last 20%) use larger crops, so compare within the first phase.
    assert np.mean(losses[24:32]) < np.mean(losses[:8])
    assert (out / "loss_curve.png").stat().st_size > 1000
    assert any(r["kind"] == "val" for r in rows)
    # A finished run resumes to nothing new: no further training rows are written.
    cfg2 = LoopConfig(**{**cfg.__dict__})
    train(task, cfg2, out)
    rows2 = (out / "metrics.jsonl").read_text().splitlines()
    assert sum(json.loads(x)["kind"] == "train" for x in rows2) == 40


def test_export_parity_and_serving_at_any_size(datasets_dir, isolated_settings, centres, tmp_path):
    task = tiny_task(centres)
    task.total_steps = 3
    out = tmp_path / "run"
    train(task, LoopConfig(steps=3, batch_size=8, warmup_steps=1, log_every=1), out)
    args = argparse.Namespace(run=out, name=None, out_dir=tmp_path / "m", serve_short_side=[64, 96], metrics=None)
    assert export_run(args) == 0
    card = json.loads((tmp_path / "m" / "colorization.json").read_text())
    assert (card["serve_short_side"], card["serve_short_sides"]) == (64, [64, 96])
    assert card["parity_max_abs_diff"] < 1e-3
    assert card["num_bins"] == len(centres) and len(card["sha256"]) == 64
    colorizer = ColorizationModel(root=tmp_path / "m", device="cpu")
    rgb = np.random.default_rng(0).integers(0, 255, (61, 203, 3), dtype=np.uint8)
    result = colorizer.colorize(rgb, temperature=0.0)
    assert result.rgb8.shape == rgb.shape
    assert result.output.shape[1] == len(centres)
    assert colorizer.spec.extra_short_sides == (96,)


def test_a_continuation_card_names_the_export_it_started_from(datasets_dir, isolated_settings, centres, tmp_path):
    def export_after(steps: int, run: str, init_from: str | None) -> dict:
        task = tiny_task(centres)
        task.total_steps = steps
        train(task, LoopConfig(steps=steps, batch_size=8, warmup_steps=1, init_from=init_from), tmp_path / run)
        args = argparse.Namespace(run=tmp_path / run, name=None, out_dir=tmp_path / run / "m",
                                  serve_short_side=64, metrics=None)
        assert export_run(args) == 0
        return json.loads((tmp_path / run / "m" / "colorization.json").read_text())

    first = export_after(2, "first", None)
    assert first["training"]["initialised_from"] is None
    onnx = tmp_path / "first" / "m" / "colorization.onnx"
    second = export_after(1, "second", str(onnx))
    lineage = second["training"]["initialised_from"]
    assert lineage["version"] == first["version"] and lineage["sha256"] == first["sha256"]
    assert lineage["images_seen"] == first["training"]["images_seen"]


def test_prior_correction_subtracts_scaled_log_weights():
    torch.manual_seed(0)
    net = ColorizationNet(5, widths=(4, 4, 4, 4)).eval()
    weights = np.array([0.5, 1.0, 2.0, 4.0, 1.0], np.float32)
    x = torch.randn(1, 1, 16, 16)
    with torch.no_grad():
        diff = net(x) - PriorCorrected(net, weights, 0.5)(x)
    expected = 0.5 * np.log(weights)
    np.testing.assert_allclose(diff[0, :, 0, 0].numpy(), expected, atol=1e-6)


def test_tiny_batches_train_whole_batches_of_64_px_photos_between_larger_crops(datasets_dir, isolated_settings,
                                                                               centres):
    cfg = ColorizationConfig(limit=48, prior_images=48, val_images=8, imagenette_size=96, crop=96,
                             tiny_share=0.0, tiny_batches=0.5)
    task = ColorizationTask(cfg, centres=centres)
    rng = np.random.default_rng(0)
    sides = {task.batch(rng, step, 4)[0].shape[-1] for step in range(30)}
    assert sides == {64, 96}


@pytest.mark.parametrize("zoom", [(0.5, 2.0), (3.0, 2.0)])
def test_a_zoom_range_below_one_or_reversed_is_refused(zoom):
    with pytest.raises(ValueError, match="zoom"):
        ColorizationConfig(zoom=zoom)
