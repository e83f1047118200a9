"""The installed models' cards."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import SettingsDep

router = APIRouter(prefix="/models", tags=["models"])

BULKY = ("bin_centres", "prior", "permutations")


@router.get("")
async def list_models(
    settings: SettingsDep,
    full: Annotated[bool, Query(description="include the bulky arrays: bin centres, prior, permutations")] = False,
) -> dict[str, Any]:
    """Every model card in the models folder, with whether its ONNX file is present."""
    data = []
    root = settings.models_dir
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            card = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # a half-written card is not a model yet
        if not full:
            card = {k: v for k, v in card.items() if k not in BULKY}
        card["available"] = (root / card.get("file", f"{path.stem}.onnx")).is_file()
        data.append(card)
    return {"data": data, "count": len(data)}
