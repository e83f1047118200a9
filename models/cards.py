"""Model cards: the JSON file next to each ONNX model, and finding them."""

import hashlib
import json
from pathlib import Path
from typing import Any

from models.errors import ModelNotAvailableError
from models.settings import get_settings


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def models_dir() -> Path:
    return Path(get_settings().models_dir)


def card_path(name: str, root: Path | None = None) -> Path:
    return (root or models_dir()) / f"{name}.json"


def load_card(name: str, root: Path | None = None) -> dict[str, Any]:
    """The card of model ``name`` (e.g. "colorization"); raises ModelNotAvailableError."""
    path = card_path(name, root)
    if not path.is_file():
        raise ModelNotAvailableError(f"no model card {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelNotAvailableError(f"model card {path} is not valid JSON") from exc


def onnx_path(name: str, root: Path | None = None) -> Path:
    card = load_card(name, root)
    return (root or models_dir()) / card.get("file", f"{name}.onnx")


def all_cards(root: Path | None = None) -> list[dict[str, Any]]:
    """Every card in the models folder, sorted by name."""
    root = root or models_dir()
    if not root.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(root.glob("*.json"))]


def write_card(card: dict[str, Any], onnx_file: Path) -> Path:
    """Write ``card`` next to ``onnx_file``, stamping the file name and its sha256."""
    card = {**card, "file": onnx_file.name, "sha256": sha256_of(onnx_file)}
    path = onnx_file.with_suffix(".json")
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def serving_sides(card: dict[str, Any]) -> list[int]:
    """A card's (or report's) serving short sides: ``serve_short_sides``, else the one ``serve_short_side``."""
    return [int(s) for s in card.get("serve_short_sides") or [card["serve_short_side"]]]
