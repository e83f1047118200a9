"""The one export sequence every task uses: ONNX, parity against PyTorch, then the card."""

import json

import pytest
import torch
from torch import nn

from models.cards import sha256_of
from training.export_onnx import OnnxSpec, ParityError, export_with_card


def spec(tolerance: float = 1e-3) -> OnnxSpec:
    return OnnxSpec(
        input_names=("x",),
        output_names=("y",),
        dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}, "y": {0: "batch", 2: "height", 3: "width"}},
        example=(torch.zeros(1, 3, 8, 8),),
        parity_inputs=(torch.randn(2, 3, 12, 20, generator=torch.Generator().manual_seed(0)),),
        tolerance=tolerance,
    )


def card(diff: float) -> dict:
    return {"name": "probe", "task": "probe", "version": "probe-1", "parity_max_abs_diff": diff}


class Poisoned(nn.Module):
    """Outputs NaN everywhere: no comparison with it can pass."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float("nan")


def test_the_card_is_written_beside_the_onnx_file_with_the_parity_error_and_hash(tmp_path):
    torch.manual_seed(0)
    exported = export_with_card(nn.Conv2d(3, 4, 3, padding=1), tmp_path / "m" / "probe.onnx", spec(), card)
    written = json.loads(exported.card.read_text())
    assert exported.card == tmp_path / "m" / "probe.json" and written["file"] == "probe.onnx"
    assert written["sha256"] == sha256_of(exported.onnx)
    assert written["parity_max_abs_diff"] == exported.parity_max_abs_diff < 1e-3
    summary = exported.summary()
    assert list(summary) == ["onnx", "card", "sha256", "parity_max_abs_diff", "size_mb"]
    assert summary["sha256"] == written["sha256"]


@pytest.mark.parametrize(("model", "tolerance"), [(nn.Conv2d(3, 4, 3, padding=1), -1.0), (Poisoned(), 1e-3)],
                         ids=["above-tolerance", "nan"])
def test_a_failed_parity_check_writes_no_card(tmp_path, model, tolerance):
    with pytest.raises(ParityError, match="parity check failed"):
        export_with_card(model, tmp_path / "probe.onnx", spec(tolerance), card)
    assert not (tmp_path / "probe.json").exists()
