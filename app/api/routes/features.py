"""The features task's own route: the models it compares and the transfer table, read from its card."""

from typing import Any

import anyio
from fastapi import APIRouter

from app.api.deps import SettingsDep
from app.services.cards import installed_card
from core.errors import ModelNotAvailableError
from core.tasks.features import SPEC
from models.features_card import FeaturesCard

router = APIRouter(tags=[SPEC.name])


@router.get("/features/transfer")
async def features_transfer(settings: SettingsDep) -> dict[str, Any]:
    """The models the features page compares (name, label, input kind, block and that block's linear top-1)
    and the transfer table they were chosen from (linear top-1 on imagenette-val of every block of every
    model, as ``pretext evaluate transfer`` measured it), from the features card; 503 while it is not
    installed."""
    card = await anyio.to_thread.run_sync(installed_card, settings.models_dir, SPEC.model)
    if not isinstance(card, FeaturesCard):
        raise ModelNotAvailableError(f"the {SPEC.model} card is a {card.task} card, not a features card")
    installed = [m for m in card.models if (settings.models_dir / m.file).is_file()]
    return {
        "version": card.version,
        "size": card.size,
        "grid": card.grid,
        "split": card.split,
        "models": [{"name": m.name, "label": m.label, "input": m.input, "block": m.block, "grid": m.grid,
                    "block_from": m.block_from, "top1": m.top1} for m in installed],
        "transfer": card.transfer,
    }
