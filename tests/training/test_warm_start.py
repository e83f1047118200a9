"""A network warm-started from its exported ONNX file computes the exported function, and trains on."""

import json

import numpy as np
import pytest
import torch

from tests.training.helpers import with_random_statistics
from training.export_onnx import export
from training.jigsaw_net import JigsawNet
from training.loop import LoopConfig, train
from training.nets import ColorizationNet
from training.rotation import RotationNet, RotationWithAttention
from training.warm_start import WarmStartError, warm_start

WIDTHS = (8, 12, 16, 20)


def export_rotation(net: RotationNet, path):
    return export(RotationWithAttention(net), (torch.zeros(1, 3, 32, 32), torch.tensor([2.0])), path,
                  ["image", "p"], ["logits", "a1", "a2", "a3", "a4"], {"image": {0: "b", 2: "h", 3: "w"}})


def test_rotation_net_from_onnx_matches_the_original_in_eval_and_on_the_sample_in_training(tmp_path):
    original = with_random_statistics(RotationNet(WIDTHS))
    path = export_rotation(original, tmp_path / "r.onnx")
    torch.manual_seed(1)
    fresh = RotationNet(WIDTHS)
    sample = torch.randn(16, 3, 32, 32)
    warm_start(fresh, path, sample)
    x = torch.randn(3, 3, 40, 56)  # another size and batch than the sample
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), original(x), atol=1e-4, rtol=1e-4)
        # In training mode each BatchNorm normalises by the batch; on the fitted sample that is the
        # same function, so the first training step starts from the exported model's predictions.
        fresh.train()
        fresh.head[0].p = 0.0
        torch.testing.assert_close(fresh(sample), original(sample), atol=1e-4, rtol=1e-4)


def test_colorization_net_with_a_biased_output_conv_is_restored(tmp_path):
    original = with_random_statistics(ColorizationNet(10, WIDTHS))
    torch.nn.init.uniform_(original.out.bias, -1, 1)
    path = export(original, torch.zeros(1, 1, 32, 32), tmp_path / "c.onnx", "l", ["out"],
                  {"l": {0: "b", 2: "h", 3: "w"}})
    fresh = ColorizationNet(10, WIDTHS)
    warm_start(fresh, path, torch.randn(8, 1, 32, 32))
    x = torch.randn(2, 1, 48, 40)
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), original(x), atol=1e-4, rtol=1e-4)


def test_jigsaw_net_with_its_attention_cell_head_is_restored(tmp_path):
    original = with_random_statistics(JigsawNet(7, WIDTHS, dim=16, hidden=24, cell_width=16, cell_layers=2))
    for m in original.cell_head.modules():
        if isinstance(m, torch.nn.Linear):  # exported as MatMul + Add: the bias must find its way back
            torch.nn.init.uniform_(m.bias, -0.5, 0.5)
    path = export(original, torch.zeros(1, 9, 3, 16, 16), tmp_path / "j.onnx", "tiles",
                  ["perm_logits", "cell_logits"], {"tiles": {0: "b"}})
    fresh = JigsawNet(7, WIDTHS, dim=16, hidden=24, cell_width=16, cell_layers=2)
    warm_start(fresh, path, torch.randn(6, 9, 3, 16, 16))
    x = torch.randn(3, 9, 3, 16, 16)
    with torch.no_grad():
        for got, want in zip(fresh.eval()(x), original(x), strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_another_architecture_is_refused(tmp_path):
    path = export_rotation(with_random_statistics(RotationNet(WIDTHS)), tmp_path / "r.onnx")
    with pytest.raises(WarmStartError):
        warm_start(RotationNet((8, 12, 16, 24)), path, torch.randn(4, 3, 32, 32))
    with pytest.raises(WarmStartError):
        warm_start(ColorizationNet(10, WIDTHS), path, torch.randn(4, 1, 32, 32))
    jigsaw = export(with_random_statistics(JigsawNet(7, WIDTHS, dim=16, hidden=24, cell_width=16, cell_layers=2)),
                    torch.zeros(1, 9, 3, 16, 16), tmp_path / "j.onnx", "tiles", ["p", "c"], {"tiles": {0: "b"}})
    with pytest.raises(WarmStartError, match="layer norms"):  # one attention block fewer
        warm_start(JigsawNet(7, WIDTHS, dim=16, hidden=24, cell_width=16, cell_layers=1), jigsaw,
                   torch.randn(2, 9, 3, 16, 16))


class FixedRotationTask:
    """A rotation-shaped task on one fixed random batch: enough to watch the loop warm-start."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(16, 3, 32, 32, generator=gen)
        self.y = torch.randint(0, 4, (16,), generator=gen)

    def make_model(self) -> torch.nn.Module:
        return RotationNet(WIDTHS)

    def batch(self, rng: np.random.Generator, step: int, size: int):
        return self.x, self.y

    def loss(self, model, batch):
        return torch.nn.functional.cross_entropy(model(batch[0]), batch[1]), {}

    def validate(self, model) -> dict[str, float]:
        return {}

    def state(self) -> dict:
        return {}


def test_loop_starts_from_the_export_and_records_its_lineage(tmp_path):
    original = with_random_statistics(RotationNet(WIDTHS))
    path = export_rotation(original, tmp_path / "r.onnx")
    card = {"version": "r-step7", "sha256": "ab" * 32, "training": {"images_seen": 4096, "wall_time_s": 12.5}}
    path.with_suffix(".json").write_text(json.dumps(card))
    task = FixedRotationTask()
    cfg = LoopConfig(steps=1, batch_size=16, lr=0.0, warmup_steps=1, init_from=str(path))
    summary = train(task, cfg, tmp_path / "run")
    with torch.no_grad():  # lr 0: the one step leaves the weights as they were loaded
        torch.testing.assert_close(summary["model"].eval()(task.x), original(task.x), atol=1e-4, rtol=1e-4)
    lineage = summary["initialised_from"]
    assert lineage["version"] == "r-step7" and lineage["images_seen"] == 4096
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["initialised_from"] == lineage
