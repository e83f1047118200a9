"""The installed models' cards."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import SettingsDep
from core.errors import ModelNotAvailableError
from core.tasks import all_tasks
from models.cards import read_card_file

router = APIRouter(prefix="/models", tags=["models"])

BULKY = ("bin_centres", "prior", "permutations")


@router.get("")
async def list_models(
    settings: SettingsDep,
    full: Annotated[bool, Query(description="include the bulky arrays: bin centres, prior, permutations")] = False,
) -> dict[str, Any]:
    """Every valid model card in the models folder, with whether its ONNX file is present and which task
    serves it by default."""
    served = {spec.model: spec.name for spec in all_tasks()}
    data = []
    root = settings.models_dir
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            card = read_card_file(path)
        except ModelNotAvailableError:
            continue  # a half-written or foreign card is not a model yet
        entry = card.summary(() if full else BULKY)
        entry["available"] = (root / card.file).is_file()
        entry["served_by"] = served.get(card.name)
        data.append(entry)
    return {"data": data, "count": len(data)}
