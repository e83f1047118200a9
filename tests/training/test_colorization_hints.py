"""The hint network (issue #32, part 3): simulated hints, the warm start from a plain export, training, export."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.color import rgb8_to_lab
from models.colorization_model import ColorizationModel
from models.encoding import REBALANCE_LAMBDA, annealed_mean, rebalance_weights, smooth_prior
from models.hints import Hints, PointHint, hint_planes
from models.runtime import load_session
from training.colorization import ColorizationConfig, ColorizationTask
from training.colorization_hints import HINT_CHANNELS, HintSampling, hint_counts, patch_means, sample_hint_planes
from training.errors import TrainingConfigError
from training.export_colorization import run as export_run
from training.loop import LoopConfig, start_from_export, train
from training.nets import ColorizationNet
from training.tiny_models import tiny_colorization
from training.warm_start import WarmStartError, warm_start, widened

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "models" / "weights" / "colorization.onnx"
TINY_WIDTHS = (8, 8, 8, 8)
RED = (220, 20, 20)


def test_hint_counts_are_none_an_eighth_of_the_time_else_one_to_the_maximum():
    counts = hint_counts(np.random.default_rng(0), 20000, HintSampling())
    assert counts.min() == 0 and counts.max() == 20
    assert np.mean(counts == 0) == pytest.approx(0.125, abs=0.01)
    some = counts[counts > 0]
    assert some.min() == 1 and 6.0 < some.mean() < 8.0  # Geometric(1/8) has mean 8, capped at 20


def test_patch_means_average_the_true_ab_over_the_square_clipped_at_the_border():
    ab = np.random.default_rng(1).normal(size=(9, 11, 2)).astype(np.float32)
    rows, cols, halves = np.array([4, 0, 8, 3]), np.array([5, 0, 10, 7]), np.array([1, 2, 2, 0])
    got = patch_means(ab, rows, cols, halves)
    for k, (r, c, s) in enumerate(zip(rows, cols, halves, strict=True)):
        expected = ab[max(r - s, 0): r + s + 1, max(c - s, 0): c + s + 1].reshape(-1, 2).mean(0)
        np.testing.assert_allclose(got[k], expected, atol=1e-5)


def test_training_planes_are_the_planes_serving_builds_for_the_same_pixels_and_colours():
    # One-pixel patches: each sampled hint is a pixel's own colour, so a person giving those pixels' colours
    # as HINTS.json must get the very planes the network trained on (layout, order, scale, mask).
    rgb = np.random.default_rng(2).integers(0, 256, (3, 24, 32, 3), dtype=np.uint8)
    lab = rgb8_to_lab(rgb)
    planes = sample_hint_planes(lab[..., 1:], lab[..., 0], np.random.default_rng(3),
                                HintSampling(none_prob=0.0, max_patch=1))
    assert planes.shape == (3, 6, 24, 32)
    for i in range(3):
        rows, cols = np.nonzero(planes[i, 2])
        assert len(rows) >= 1
        points = tuple(PointHint(float(c), float(r), tuple(int(v) for v in rgb[i, r, c]))
                       for r, c in zip(rows, cols, strict=True))
        np.testing.assert_allclose(hint_planes(points, 32, 24, lab[i, ..., 0]), planes[i], atol=1e-4)


def test_a_wider_first_conv_starts_as_the_export_whatever_the_hints(tmp_path, centres):
    onnx = Path(tiny_colorization(tmp_path, widths=TINY_WIDTHS)).with_suffix(".onnx")
    plain = load_session(onnx, "cpu")
    torch.manual_seed(0)
    net = ColorizationNet(len(centres), widths=TINY_WIDTHS, in_channels=1 + HINT_CHANNELS)
    l_in = torch.rand(3, 1, 40, 56) * 2 - 1
    hints = torch.zeros(3, HINT_CHANNELS, 40, 56)
    hints[:, :3, 10, 20] = torch.tensor([0.5, -0.3, 1.0])
    hints[:, 3:] = 0.3  # kernel sums: the hint prior starts at zero here (training initialises it)
    heads = (net.hint_prior, net.hint_head)  # the plain export has no hint path
    with pytest.raises(WarmStartError, match="expects"):  # without grow, the shape check refuses
        warm_start(net, onnx, torch.cat([l_in, hints], 1), skip=heads)
    first = net.trunk.blocks[0][0]
    warm_start(net, onnx, torch.cat([l_in, hints], 1), skip=heads, grow=(first,))
    assert float(first.weight.detach()[:, 1:].abs().max()) == 0.0
    expected = plain.run(None, {"l": l_in.numpy()})[0]
    net.eval()
    with torch.no_grad():
        for planes in (torch.zeros_like(hints), hints):
            np.testing.assert_allclose(net(torch.cat([l_in, planes], 1)).numpy(), expected, atol=1e-4)


def test_widening_only_adds_input_channels():
    w = np.ones((8, 1, 3, 3), np.float32)
    wide = widened(w, (8, 4, 3, 3))
    assert wide.shape == (8, 4, 3, 3) and wide[:, 0].min() == 1.0 and wide[:, 1:].max() == 0.0
    for other in [(16, 4, 3, 3), (8, 4, 5, 5), (8, 1, 1, 1)]:  # left for warm_start's shape check to refuse
        assert widened(w, other) is w


@pytest.mark.parametrize("bad", [{"kind": "regression"}, {"hint_patch": 4}, {"max_hints": 0}, {"hint_gain": 0.0},
                                 {"mean_loss": -1.0}])
def test_a_hint_config_that_cannot_work_is_refused(bad):
    with pytest.raises(TrainingConfigError):
        ColorizationConfig(hints=True, **bad)


def hint_task(centres) -> ColorizationTask:
    cfg = ColorizationConfig(limit=48, prior_images=48, val_images=8, imagenette_size=64, crop=32,
                             finetune_crop=48, finetune_share=0.2, hints=True)
    return ColorizationTask(cfg, centres=centres)


def test_hint_batches_carry_the_planes_of_their_own_photos(datasets_dir, isolated_settings, centres):
    task = hint_task(centres)
    x, target_ab = task.batch(np.random.default_rng(0), 0, 16)
    assert x.shape == (16, 1 + HINT_CHANNELS, 32, 32) and target_ab.shape == (16, 8, 8, 2)
    mask = x[:, 3].numpy()
    assert set(np.unique(mask)) <= {0.0, 1.0}
    per_photo = mask.reshape(16, -1).sum(1)
    assert per_photo.max() <= 20 and per_photo.sum() > 0
    # A hint's ab is the mean over a patch around it: nearer the true ab of its own 4 x 4 target cell than
    # that of the same cell of another photo.
    b, r, c = np.nonzero(mask)
    hinted = x.numpy()[b, 1:3, r, c] * 110.0  # (k, 2)
    own = np.linalg.norm(hinted - target_ab.numpy()[b, r // 4, c // 4], axis=1)
    other = np.linalg.norm(hinted - target_ab.numpy()[(b + 1) % 16, r // 4, c // 4], axis=1)
    assert np.median(own) < 10.0 and np.median(own) < np.median(other)


def test_the_hint_network_warm_starts_trains_and_exports_as_colorization_hints(datasets_dir, isolated_settings,
                                                                               centres, tmp_path):
    # A plain export to start from (the shipped model's stand-in), at the real width.
    plain = ColorizationTask(ColorizationConfig(limit=48, prior_images=48, val_images=8, imagenette_size=64,
                                                crop=32, finetune_crop=48), centres=centres)
    plain.total_steps = 1
    train(plain, LoopConfig(steps=1, batch_size=4, warmup_steps=1), tmp_path / "plain")
    args = argparse.Namespace(run=tmp_path / "plain", name=None, out_dir=tmp_path / "m", serve_short_side=[64],
                              metrics=None)
    assert export_run(args) == 0
    onnx = tmp_path / "m" / "colorization.onnx"

    task = hint_task(centres)
    cfg = LoopConfig(steps=2, batch_size=4, warmup_steps=1, init_from=str(onnx))
    model = task.make_model()
    (tmp_path / "start").mkdir()
    start_from_export(task, model, onnx, cfg, tmp_path / "start")
    x, _ = task.batch(np.random.default_rng(5), 0, 4)
    expected = load_session(onnx, "cpu").run(None, {"l": x[:, :1].numpy()})[0]
    no_hints = torch.cat([x[:, :1], torch.zeros_like(x[:, 1:])], 1)
    with torch.no_grad():
        np.testing.assert_allclose(model.eval()(no_hints).numpy(), expected, atol=1e-3)  # no hints: the export
        hinted = model(x).numpy()
    # With hints, the initialised hint prior pulls each hinted cell towards its hint's colour.
    b, r, c = np.nonzero(x[:, 3].numpy())
    assert len(b) > 0
    colours = x.numpy()[b, 1:3, r, c] * 110.0  # (k, 2)

    def err(out: np.ndarray) -> np.ndarray:
        ab = annealed_mean(np.moveaxis(out, 1, -1), centres, 0.38)[b, r // 4, c // 4]
        return np.linalg.norm(ab - colours, axis=1)
    assert err(hinted).mean() < 0.5 * err(expected).mean()

    task.total_steps = 2
    train(task, cfg, tmp_path / "hints")
    rows = [json.loads(r) for r in (tmp_path / "hints" / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in rows if r["kind"] == "val"][-1]
    assert {"val_auc_raw", "val_auc_raw_hints", "val_hint_cell_gain_ab"} <= set(val)
    args = argparse.Namespace(run=tmp_path / "hints", name=None, out_dir=tmp_path / "m", serve_short_side=[64],
                              metrics=None, prior_correction=0.2)
    assert export_run(args) == 0
    card = json.loads((tmp_path / "m" / "colorization-hints.json").read_text())
    assert card["name"] == "colorization-hints" and set(card["inputs"]) == {"l", "hints"}
    assert "SIGGRAPH 2017" in card["paper"] and card["training"]["config"]["hints"] is True
    assert card["parity_max_abs_diff"] < 1e-3 and card["prior_correction"] == 0.2
    assert card["training"]["initialised_from"]["sha256"] == json.loads(onnx.with_suffix(".json").read_text())["sha256"]
    served = ColorizationModel("colorization-hints", device="cpu", root=tmp_path / "m")
    assert served.takes_hints
    rgb = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    assert served.colorize(rgb, 0.38, Hints((PointHint(10, 20, RED),))).rgb8.shape == rgb.shape


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped colorization model")
def test_at_step_0_the_hint_network_is_the_shipped_model(tmp_path):
    """Warm-started from models/weights/colorization.onnx and exported as the shipped card was (its prior
    correction, sides and temperature), the hint network serves exactly the shipped colours, hints or not."""
    shipped_card = json.loads(SHIPPED.with_suffix(".json").read_text())
    centres = np.asarray(shipped_card["bin_centres"], np.float32)
    net = ColorizationNet(len(centres), in_channels=1 + HINT_CHANNELS)  # its hint prior at zero: not trained
    sample = torch.cat([torch.rand(2, 1, 64, 64) * 2 - 1, torch.zeros(2, HINT_CHANNELS, 64, 64)], 1)
    warm_start(net, SHIPPED, sample, skip=(net.hint_prior, net.hint_head), grow=(net.trunk.blocks[0][0],))
    weights = rebalance_weights(smooth_prior(np.asarray(shipped_card["prior"]), centres), REBALANCE_LAMBDA)
    config = {**shipped_card["training"]["config"], "hints": True}
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    torch.save({"model": net.state_dict(), "step": 0, "task": {"centres": centres.tolist(), "weights": weights.tolist(),
                                                                "prior": shipped_card["prior"], "config": config}},
               run_dir / "checkpoint.pt")
    args = argparse.Namespace(run=run_dir, name=None, out_dir=tmp_path / "m", metrics=None,
                              serve_short_side=shipped_card["serve_short_sides"],
                              default_temperature=shipped_card["default_temperature"],
                              prior_correction=shipped_card["prior_correction"],
                              mirror_ensemble=shipped_card["mirror_ensemble"])
    assert export_run(args) == 0
    hinted = ColorizationModel("colorization-hints", device="cpu", root=tmp_path / "m")
    shipped = ColorizationModel("colorization", device="cpu", root=SHIPPED.parent)
    rgb = np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8)
    plain = shipped.colorize(rgb)
    for hints in (Hints(), Hints((PointHint(30, 40, RED),))):
        got = hinted.colorize(rgb, hints=hints)
        np.testing.assert_allclose(got.output, plain.output, atol=1e-3)
        assert np.abs(got.rgb8.astype(int) - plain.rgb8).max() <= 1


def test_without_rebalancing_and_with_the_mean_loss_the_loss_adds_the_mean_colours_squared_error(
        datasets_dir, isolated_settings, centres):
    base = dict(limit=48, prior_images=48, val_images=8, imagenette_size=64, crop=32, finetune_crop=48,
                finetune_share=0.2, hints=True, rebalance=False)
    plain = ColorizationTask(ColorizationConfig(**base), centres=centres)
    assert np.all(plain.weights == 1.0)  # plain cross-entropy: every colour counts the same
    mean = ColorizationTask(ColorizationConfig(**base, mean_loss=2.0), centres=centres)
    batch = plain.batch(np.random.default_rng(0), 0, 4)
    torch.manual_seed(0)
    model = plain.make_model().eval()
    ce, logs = plain.loss(model, batch)
    both, mean_logs = mean.loss(model, batch)
    assert "mean_sq_err_10ab" not in logs and mean_logs["mean_sq_err_10ab"] > 0
    with torch.no_grad():
        p = torch.softmax(model(batch[0]), 1)  # (B, Q, h, w)
    mean_ab = np.einsum("bqhw,qc->bhwc", p.numpy(), centres)
    expected = (((mean_ab - batch[1].numpy()) / 10.0) ** 2).sum(-1).mean()
    assert float(both - ce) == pytest.approx(2.0 * expected, rel=1e-3)
