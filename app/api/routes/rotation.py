"""Rotation's own routes: a job's attention overlays and raw maps, per trunk block."""

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app.api.deps import JobDep, StoreDep
from app.services.jobs import succeeded_result
from core.errors import JobStateError
from core.tasks.rotation import BLOCKS

router = APIRouter(tags=["rotation"])
KIND = "rotation"
Block = Annotated[int, Path(ge=1, le=BLOCKS, description="trunk block, 1 = earliest")]


def _check_block(job_id: str, result: dict, block: int) -> None:
    blocks = int(result.get("attention", {}).get("blocks", 0))
    if block > blocks:
        raise JobStateError(f"job {job_id} has attention maps of blocks 1..{blocks}, not {block}")


@router.get("/jobs/{job_id}/attention/{block}", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def attention_overlay(job: JobDep, store: StoreDep, block: Block) -> Response:
    """Block ``block``'s attention as a heat map over the photo (PNG, the photo's orientation, long side
    at most 1024 px: result.attention.overlay gives the size and opacity)."""
    _check_block(job.id, succeeded_result(job, KIND, "attention maps"), block)
    return Response(await store.blob(job.id, f"attention{block}"), media_type="image/png")


@router.get("/jobs/{job_id}/attention/{block}/map", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def attention_map(job: JobDep, store: StoreDep, block: Block) -> Response:
    """Block ``block``'s raw attention map, min-max normalised, as an 8-bit grayscale PNG at the map's
    own resolution (result.attention.shapes); 255 is the block's strongest attention."""
    _check_block(job.id, succeeded_result(job, KIND, "attention maps"), block)
    return Response(await store.blob(job.id, f"attention{block}_map"), media_type="image/png")
