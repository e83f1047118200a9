"""Installed models as the API sees them: their cards, read without opening any ONNX session."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.cards import card_path
from models.errors import ModelNotAvailableError

# What each job kind needs installed, and how to install it.
MODEL_OF_KIND = {"colorize": "colorization", "jigsaw": "jigsaw", "rotation": "rotation"}


def export_hint(name: str) -> str:
    return f"export one with `pretext export {name}`"


@lru_cache(maxsize=8)
def _read_card(path: Path, _mtime_ns: int) -> dict[str, Any]:
    return json.loads(path.read_text())


def installed_card(models_dir: Path, name: str = "colorization") -> dict[str, Any]:
    """The card of an installed model (card and ONNX file present); ModelNotAvailableError otherwise."""
    path = card_path(name, models_dir)
    hint = export_hint(name)
    try:
        card = _read_card(path, path.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"the {name} model is not installed (no {path}); {hint}") from exc
    except json.JSONDecodeError as exc:
        raise ModelNotAvailableError(f"the {name} model card {path} is not valid JSON") from exc
    onnx = models_dir / card.get("file", f"{name}.onnx")
    if not onnx.is_file():
        raise ModelNotAvailableError(f"the {name} model file is missing ({onnx}); {hint}")
    return card
