"""The supervised upper bound: same trunk, imagenette labels, loss falls on real photos."""

import json

import numpy as np
import pytest
import torch

from training.loop import LoopConfig, train
from training.supervised import SupervisedConfig, SupervisedTask


@pytest.fixture
def task(datasets_dir, isolated_settings):
    return SupervisedTask(SupervisedConfig(size=32, imagenette_size=40, limit=48, val_images=16))


def test_batches_hold_crops_and_their_labels(task):
    x, y = task.batch(np.random.default_rng(0), 0, 8)
    assert x.shape == (8, 3, 32, 32) and y.dtype == torch.int64
    assert set(y.tolist()) <= set(task.labels.tolist())


def test_a_short_run_lowers_the_loss_and_validates(task, tmp_path):
    summary = train(task, LoopConfig(steps=40, batch_size=16, lr=3e-3, warmup_steps=4, log_every=1,
                                     validate_every=40, checkpoint_every=40), tmp_path / "run")
    rows = [json.loads(r) for r in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r["kind"] == "train"]
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
    assert 0.0 <= rows[-1]["val_top1"] <= 1.0 and summary["steps"] == 40
