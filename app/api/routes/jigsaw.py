"""Jigsaw puzzles: submit a photo to shuffle and solve (or an already shuffled one), fetch the puzzle."""

import secrets
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from app.api.deps import CeleryDep, JobDep, SettingsDep, StoreDep
from app.api.responses import Wait, check_wait, submitted
from app.services.cards import installed_card
from app.services.jobs import succeeded_result
from app.services.submit import submit
from app.services.uploads import probe_image, read_upload
from models.errors import BadParameterError

router = APIRouter(tags=["jigsaw"])
KIND = "jigsaw"
MODEL = "jigsaw"
GRID = 3  # models.jigsaw.GRID, not imported: the API stays free of the solver's dependencies
MAX_SEED = 2**53 - 1  # exact in JavaScript numbers too
RANDOM_SEEDS = 2**32  # a server-chosen seed stays exact in JavaScript numbers

SEED_DOC = "seed of the uniformly random permutation the server shuffles with (default: a random one)"
SHUFFLED_DOC = "true: the upload already is a shuffled 3x3 grid, solve it as it is"
METHOD_DOC = ("neighbours: the seams between tiles plus the cell head, over every placement; cell: the per-tile "
              "cell head; perm: the marginalised permutation head (default: the card's)")
Method = Literal["perm", "cell", "neighbours"]


@router.post("/jigsaw", status_code=202, responses={200: {"description": "finished within ?wait"}})
async def jigsaw(
    settings: SettingsDep,
    store: StoreDep,
    celery: CeleryDep,
    image: Annotated[UploadFile, File(description="the photo: JPEG, PNG, WebP, BMP, TIFF or GIF")],
    seed_form: Annotated[int | None, Form(alias="seed", ge=0, le=MAX_SEED, description=SEED_DOC)] = None,
    seed_query: Annotated[int | None, Query(alias="seed", ge=0, le=MAX_SEED, description=SEED_DOC)] = None,
    shuffled_form: Annotated[bool | None, Form(alias="shuffled", description=SHUFFLED_DOC)] = None,
    shuffled_query: Annotated[bool | None, Query(alias="shuffled", description=SHUFFLED_DOC)] = None,
    method_form: Annotated[Method | None, Form(alias="method", description=METHOD_DOC)] = None,
    method_query: Annotated[Method | None, Query(alias="method", description=METHOD_DOC)] = None,
    wait: Wait = 0.0,
) -> JSONResponse:
    """Queue a 3x3 jigsaw puzzle: the photo shuffled by the server (from ``seed``), or, with
    ``shuffled=true``, an upload that already is a shuffled grid. Sides that are not multiples of 3
    lose their last rows or columns. The result's ``permutation[i]`` is the original row-major cell
    of the tile at position ``i`` of the shuffled image (as ``pretext jigsaw solve``)."""
    check_wait(wait, settings)
    seed = seed_form if seed_form is not None else seed_query
    shuffled = bool(shuffled_form if shuffled_form is not None else shuffled_query)
    method = method_form if method_form is not None else method_query
    if shuffled and seed is not None:
        raise BadParameterError("seed applies only when the server shuffles; leave it out with shuffled=true")
    installed_card(settings.models_dir, MODEL)
    data = await read_upload(image, settings.max_upload_bytes)
    fmt, width, height = await anyio.to_thread.run_sync(probe_image, data, settings.max_image_pixels)
    if width < GRID or height < GRID:
        raise BadParameterError(f"the image is {width}x{height}; a 3x3 puzzle needs at least 3x3 pixels")
    if not shuffled and seed is None:
        seed = secrets.randbelow(RANDOM_SEEDS)  # chosen here, so a redelivered job shuffles the same way
    params = {"seed": seed, "shuffled": shuffled, "method": method, "filename": image.filename,
              "format": fmt, "width": width, "height": height}
    job = await submit(store, celery, KIND, params, {"input": data})
    return await submitted(store, job, wait)


@router.get("/jobs/{job_id}/shuffled", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def shuffled_image(job: JobDep, store: StoreDep) -> Response:
    """The puzzle the solver saw (PNG): the upload cropped to the grid, shuffled unless it already was."""
    succeeded_result(job, KIND, "shuffled image")
    return Response(await store.blob(job.id, "shuffled"), media_type="image/png")
