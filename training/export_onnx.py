"""ONNX export with a parity check against PyTorch (timm style) and the model card, shared by every model.

Each task supplies only what differs: the module to export (its network, or a wrapper of it), an
``OnnxSpec`` (graph names, dynamic axes, example and parity inputs, tolerance) and its card.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from models.cards import write_card

PARITY_TOLERANCE = 1e-3
OPSET = 17


@dataclass(frozen=True)
class OnnxSpec:
    """One task's ONNX contract and the inputs that trace and check it."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    dynamic_axes: dict[str, dict[int, str]]
    example: tuple[torch.Tensor, ...]  # traced by the exporter
    # Another batch and size than the example's: parity there proves the dynamic axes are dynamic.
    parity_inputs: tuple[torch.Tensor, ...]
    tolerance: float = PARITY_TOLERANCE
    opset: int = OPSET


class ParityError(RuntimeError):
    """The exported graph's outputs differ from PyTorch's by more than the task's tolerance."""


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the ONNX file, its card and the parity error."""

    onnx: Path
    card: Path
    parity_max_abs_diff: float

    def summary(self) -> dict[str, Any]:
        """The one-line JSON report every ``pretext export`` prints."""
        return {
            "onnx": str(self.onnx),
            "card": str(self.card),
            "sha256": json.loads(self.card.read_text())["sha256"],
            "parity_max_abs_diff": self.parity_max_abs_diff,
            "size_mb": round(self.onnx.stat().st_size / 1e6, 2),
        }


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


def export_checked(model: nn.Module, path: Path, spec: OnnxSpec) -> float:
    """Export ``model`` to ``path`` as ``spec`` says; the parity error, ParityError above the tolerance."""
    export(model, spec.example, path, list(spec.input_names), spec.output_names, spec.dynamic_axes, spec.opset)
    diff = parity(model, path, spec.parity_inputs)
    if not diff <= spec.tolerance:  # written so that NaN fails too
        raise ParityError(f"parity check failed: max |onnx - torch| = {diff}")
    return diff


def export_with_card(model: nn.Module, path: Path, spec: OnnxSpec,
                     card_for: Callable[[float], dict[str, Any]]) -> Exported:
    """Export, check parity, then write ``card_for(parity error)`` beside the ONNX file (stamped with its hash)."""
    diff = export_checked(model, path, spec)
    return Exported(path, write_card(card_for(diff), path), diff)
