"""ONNX export with a parity check against PyTorch (timm style), shared by every model."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn


def _as_tuple(x: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return (x,) if isinstance(x, torch.Tensor) else tuple(x)


def export(
    model: nn.Module,
    example: torch.Tensor | Sequence[torch.Tensor],
    path: Path,
    input_name: str | Sequence[str],
    output_names: Sequence[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int = 17,
) -> Path:
    """Write ``model`` (in eval mode) to ``path`` with dynamic axes; several inputs allowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    names = [input_name] if isinstance(input_name, str) else list(input_name)
    with torch.no_grad():
        torch.onnx.export(
            model,
            _as_tuple(example),
            str(path),
            input_names=names,
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            dynamo=False,
        )
    return path


def parity(model: nn.Module, path: Path, inputs: torch.Tensor | Sequence[torch.Tensor]) -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime (CPU) over all outputs."""
    from models.runtime import load_session

    session = load_session(path, "cpu")
    args = _as_tuple(inputs)
    with torch.no_grad():
        expected = model.eval().cpu()(*args)
    expected_list = expected if isinstance(expected, (tuple, list)) else [expected]
    feeds = {i.name: a.numpy() for i, a in zip(session.get_inputs(), args, strict=True)}
    got = session.run(None, feeds)
    return max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected_list, got, strict=True))


def run_provenance(run_dir: Path, ck: dict[str, Any]) -> dict[str, Any]:
    """What a card's training section says about the run: volume, time, command and warm-start lineage."""
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    return {
        "images_seen": summary.get("images_seen", ck.get("images")),
        "wall_time_s": summary.get("wall_time_s", round(ck.get("elapsed", 0.0), 1)),
        "images_per_s": summary.get("images_per_s"),
        "device": summary.get("device"),
        "command": summary.get("command"),
        # A continuation's card must name the export it grew from, or its figures read as a fresh run's.
        "initialised_from": summary.get("initialised_from"),
    }
