"""Model sessions, opened once per worker process after the fork and reopened if the model changes."""

import importlib
import logging
from pathlib import Path
from typing import Any

from core.errors import ModelNotAvailableError
from core.settings import get_settings
from core.tasks import all_tasks, get_task
from models.cards import card_path

logger = logging.getLogger(__name__)

# model name -> (card mtime, session); per process, so never filled before the fork.
_sessions: dict[str, tuple[int, Any]] = {}


def serving_class(task: str) -> type:
    """The serving class of ``task`` (``TaskSpec.serving``, "module:Class"), imported on first use."""
    module, _, name = get_task(task).serving.partition(":")
    return getattr(importlib.import_module(module), name)


def model(task: str, name: str | None = None) -> Any:
    """This process's serving object for ``task`` (its card ``name``, default the task's model), reopened when
    its card changes; ModelNotAvailableError if it is not installed."""
    spec = get_task(task)
    name = name or spec.model
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
    opened = serving_class(spec.name)(name, device=settings.device, root=root, threads=settings.onnx_threads)
    _sessions[name] = (stamp, opened)
    logger.info("opened %s (%s) on %s", name, opened.card.version, opened.session.get_providers()[0])
    return opened


def warm() -> None:
    """Open every task's model now, so the first job does not pay for it; missing ones are logged."""
    for spec in all_tasks():
        try:
            model(spec.name)
        except ModelNotAvailableError as exc:
            logger.warning("%s; %s jobs will fail until it is installed", exc, spec.name)
