"""Rotation: submit a photo, get its angle, the upright photo and the network's attention per block."""

from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from app.api.deps import CeleryDep, JobDep, SettingsDep, StoreDep
from app.api.responses import Wait, check_wait, submitted
from app.services.cards import installed_card
from app.services.jobs import succeeded_result
from app.services.submit import submit
from app.services.uploads import probe_image, read_upload
from worker.errors import JobStateError

router = APIRouter(tags=["rotation"])
KIND = "rotation"
MODEL = "rotation"
BLOCKS = 4
DEFAULT_BLOCK = 3
DEFAULT_P = 2.0
DEFAULT_OPACITY = 0.5

BLOCK_DOC = "trunk block whose attention the result links to (1 = earliest); all four are stored"
P_DOC = "attention exponent: the map is the sum over channels of |activation|^p"
OPACITY_DOC = "opacity of the heat map over the photo in the overlays"
Block = Annotated[int, Path(ge=1, le=BLOCKS, description="trunk block, 1 = earliest")]


@router.post("/rotation", status_code=202, responses={200: {"description": "finished within ?wait"}})
async def rotation(
    settings: SettingsDep,
    store: StoreDep,
    celery: CeleryDep,
    image: Annotated[UploadFile, File(description="the photo: JPEG, PNG, WebP, BMP, TIFF or GIF")],
    block_form: Annotated[int | None, Form(alias="block", ge=1, le=BLOCKS, description=BLOCK_DOC)] = None,
    block_query: Annotated[int | None, Query(alias="block", ge=1, le=BLOCKS, description=BLOCK_DOC)] = None,
    p_form: Annotated[float | None, Form(alias="p", gt=0.0, le=8.0, allow_inf_nan=False, description=P_DOC)] = None,
    p_query: Annotated[float | None, Query(alias="p", gt=0.0, le=8.0, allow_inf_nan=False, description=P_DOC)] = None,
    opacity_form: Annotated[
        float | None, Form(alias="opacity", ge=0.0, le=1.0, allow_inf_nan=False, description=OPACITY_DOC)
    ] = None,
    opacity_query: Annotated[
        float | None, Query(alias="opacity", ge=0.0, le=1.0, allow_inf_nan=False, description=OPACITY_DOC)
    ] = None,
    wait: Wait = 0.0,
) -> JSONResponse:
    """Queue a photo for rotation prediction: which of 0, 90, 180, 270 degrees it is turned
    counter-clockwise from upright, the upright photo, and attention maps of the four trunk blocks."""
    check_wait(wait, settings)
    card = installed_card(settings.models_dir, MODEL)
    block = next((v for v in (block_form, block_query) if v is not None), DEFAULT_BLOCK)
    p = next((v for v in (p_form, p_query) if v is not None), float(card.get("default_p", DEFAULT_P)))
    opacity = next((v for v in (opacity_form, opacity_query) if v is not None), DEFAULT_OPACITY)
    data = await read_upload(image, settings.max_upload_bytes)
    fmt, width, height = await anyio.to_thread.run_sync(probe_image, data, settings.max_image_pixels)
    params = {"block": block, "p": p, "opacity": opacity, "filename": image.filename, "format": fmt,
              "width": width, "height": height}
    job = await submit(store, celery, KIND, params, {"input": data})
    return await submitted(store, job, wait)


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
