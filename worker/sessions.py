"""Model sessions, opened once per worker process after the fork and reopened if the model changes."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from models.cards import card_path
from models.colorizer import Colorizer
from models.errors import ModelNotAvailableError
from models.jigsaw_model import JigsawModel
from models.rotation_model import RotationModel
from models.settings import get_settings

logger = logging.getLogger(__name__)

COLORIZATION = "colorization"
JIGSAW = "jigsaw"
ROTATION = "rotation"

M = TypeVar("M")

# model name -> (card mtime, session); per process, so never filled before the fork.
_sessions: dict[str, tuple[int, Any]] = {}


def _open(name: str, factory: Callable[..., M]) -> M:
    """This process's ``factory`` session for model ``name``, reopened when its card changes."""
    settings = get_settings()
    root = Path(settings.models_dir)
    card = card_path(name, root)
    try:
        stamp = card.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"the {name} model is not installed (no {card})") from exc
    cached = _sessions.get(name)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    model = factory(name, device=settings.device, root=root, threads=settings.onnx_threads)
    _sessions[name] = (stamp, model)
    logger.info("opened %s (%s) on %s", name, model.card.get("version"), model.session.get_providers()[0])
    return model


def colorizer(name: str = COLORIZATION) -> Colorizer:
    """This process's session for model ``name``; raises ModelNotAvailableError if it is not installed."""
    return _open(name, Colorizer)


def jigsaw(name: str = JIGSAW) -> JigsawModel:
    """This process's jigsaw solver; raises ModelNotAvailableError if it is not installed."""
    return _open(name, JigsawModel)


def rotation(name: str = ROTATION) -> RotationModel:
    """This process's rotation model; raises ModelNotAvailableError if it is not installed."""
    return _open(name, RotationModel)


def warm() -> None:
    """Open every installed model now, so the first job does not pay for it; missing ones are logged."""
    for kind, opener in (("colorize", colorizer), ("jigsaw", jigsaw), ("rotation", rotation)):
        try:
            opener()
        except ModelNotAvailableError as exc:
            logger.warning("%s; %s jobs will fail until it is installed", exc, kind)
