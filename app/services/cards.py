"""Installed models as the API sees them: their typed cards, read without opening any ONNX session."""

from functools import lru_cache
from pathlib import Path

from core.errors import ModelNotAvailableError
from models.cards import Card, card_path, read_card_file


def export_hint(name: str) -> str:
    return f"export one with `pretext export {name.split('-')[0]}`"


@lru_cache(maxsize=16)
def _read_card(path: Path, _mtime_ns: int) -> Card:
    return read_card_file(path)  # cached per modification time: a new export is read again


def installed_card(models_dir: Path, name: str) -> Card:
    """The card of an installed model (valid card and ONNX file present); ModelNotAvailableError otherwise."""
    path = card_path(name, models_dir)
    hint = export_hint(name)
    try:
        card = _read_card(path, path.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"the {name} model is not installed (no {path}); {hint}") from exc
    if not (models_dir / card.file).is_file():
        raise ModelNotAvailableError(f"the {name} model file is missing ({models_dir / card.file}); {hint}")
    return card
