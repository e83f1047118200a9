"""Model sessions, opened once per worker process after the fork and reopened if the model changes."""

import logging
from pathlib import Path

from models.cards import card_path
from models.colorizer import Colorizer
from models.errors import ModelNotAvailableError
from models.settings import get_settings

logger = logging.getLogger(__name__)

COLORIZATION = "colorization"

# model name -> (card mtime, colorizer); per process, so never filled before the fork.
_colorizers: dict[str, tuple[int, Colorizer]] = {}


def colorizer(name: str = COLORIZATION) -> Colorizer:
    """This process's session for model ``name``; raises ModelNotAvailableError if it is not installed."""
    settings = get_settings()
    root = Path(settings.models_dir)
    card = card_path(name, root)
    try:
        stamp = card.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"the {name} model is not installed (no {card})") from exc
    cached = _colorizers.get(name)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    model = Colorizer(name, device=settings.device, root=root, threads=settings.onnx_threads)
    _colorizers[name] = (stamp, model)
    logger.info("opened %s (%s) on %s", name, model.card.get("version"), model.session.get_providers()[0])
    return model


def warm() -> None:
    """Open every installed model now, so the first job does not pay for it; missing ones are logged."""
    try:
        colorizer()
    except ModelNotAvailableError as exc:
        logger.warning("%s; colorize jobs will fail until it is installed", exc)
