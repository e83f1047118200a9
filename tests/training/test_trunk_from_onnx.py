"""Trunks rebuilt from exported ONNX files compute what the exported networks computed."""

import pytest
import torch

from tests.training.helpers import with_random_statistics
from training.export_onnx import export
from training.nets import ColorizationNet
from training.rotation import RotationNet, RotationWithAttention
from training.trunk_from_onnx import TrunkNotFoundError, load_trunk

WIDTHS = (8, 12, 16, 20)


def test_colorization_trunk_matches_every_block_of_the_original(tmp_path):
    net = with_random_statistics(ColorizationNet(10, WIDTHS))
    path = export(net, torch.zeros(1, 1, 32, 32), tmp_path / "c.onnx", "l", ["out"],
                  {"l": {0: "b", 2: "h", 3: "w"}})
    trunk = load_trunk(path)
    assert trunk.widths == WIDTHS and trunk.blocks[0][0].in_channels == 1
    x = torch.randn(2, 1, 40, 48)  # another size than the export's
    with torch.no_grad():
        for got, want in zip(trunk.forward_blocks(x), net.trunk.forward_blocks(x), strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_rotation_trunk_is_found_inside_the_attention_wrapper(tmp_path):
    net = with_random_statistics(RotationNet(WIDTHS))
    path = export(RotationWithAttention(net), (torch.zeros(1, 3, 32, 32), torch.tensor(2.0)), tmp_path / "r.onnx",
                  ["image", "p"], ["logits", "a1", "a2", "a3", "a4"], {"image": {0: "b", 2: "h", 3: "w"}})
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(load_trunk(path)(x), net.trunk(x), atol=1e-4, rtol=1e-4)


def test_a_graph_without_a_trunk_is_refused(tmp_path):
    path = export(torch.nn.Linear(4, 2).eval(), torch.zeros(1, 4), tmp_path / "l.onnx", "x", ["y"], {"x": {0: "b"}})
    with pytest.raises(TrunkNotFoundError):
        load_trunk(path)
