"""ONNX export with a parity check against PyTorch (timm style), shared by every model."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn


def export(
    model: nn.Module,
    example: torch.Tensor,
    path: Path,
    input_name: str,
    output_names: Sequence[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int = 17,
) -> Path:
    """Write ``model`` (in eval mode) to ``path`` with dynamic axes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    with torch.no_grad():
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=[input_name],
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            dynamo=False,
        )
    return path


def parity(model: nn.Module, path: Path, inputs: torch.Tensor) -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime (CPU) on ``inputs``."""
    from models.runtime import load_session

    session = load_session(path, "cpu")
    with torch.no_grad():
        expected = model.eval().cpu()(inputs)
    expected_list = expected if isinstance(expected, (tuple, list)) else [expected]
    got = session.run(None, {session.get_inputs()[0].name: inputs.numpy()})
    return max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected_list, got, strict=True))
