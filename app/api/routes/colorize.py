"""Colorization: submit a photo, fetch the stored distribution, re-decode it at another temperature."""

from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from app.api.deps import CeleryDep, JobDep, SettingsDep, StoreDep, Temperature
from app.api.responses import Wait, check_wait, submitted
from app.services.colorize import MODEL, distribution_meta, installed_card, recolor_png
from app.services.submit import submit
from app.services.uploads import probe_image, read_upload

router = APIRouter(tags=["colorize"])
KIND = "colorize"

QueryTemperature = Annotated[
    float | None, Query(alias="temperature", ge=0.0, le=10.0, allow_inf_nan=False)
]
FormTemperature = Annotated[
    float | None, Form(alias="temperature", ge=0.0, le=10.0, allow_inf_nan=False)
]


@router.post("/colorize", status_code=202, responses={200: {"description": "finished within ?wait"}})
async def colorize(
    settings: SettingsDep,
    store: StoreDep,
    celery: CeleryDep,
    image: Annotated[UploadFile, File(description="the photo: JPEG, PNG, WebP, BMP, TIFF or GIF")],
    temperature_form: FormTemperature = None,
    temperature_query: QueryTemperature = None,
    wait: Wait = 0.0,
) -> JSONResponse:
    """Queue a photo for colorization: 202 with the job's link, or 200 with the job if done within ?wait."""
    check_wait(wait, settings)
    card = installed_card(settings.models_dir, MODEL)
    data = await read_upload(image, settings.max_upload_bytes)
    fmt, width, height = await anyio.to_thread.run_sync(probe_image, data, settings.max_image_pixels)
    temperature = temperature_form if temperature_form is not None else temperature_query
    if temperature is None:
        temperature = float(card["default_temperature"])
    params = {"temperature": temperature, "filename": image.filename, "format": fmt,
              "width": width, "height": height}
    job = await submit(store, celery, KIND, params, {"input": data})
    return await submitted(store, job, wait)


DISTRIBUTION_FORMAT = (
    "Binary: the network's per-pixel distribution over the Q ab bins at network resolution, as "
    "log-probabilities in little-endian float16, layout (Q, h, w) in C order. Headers X-Shape "
    '("Q,h,w"), X-Dtype, X-Layout and X-Values describe it; the bin centres (a, b), in the order of '
    "Q, are in the job's result.distribution.bin_centres. Decoding at temperature T: per pixel, "
    "softmax(log_p / T) @ bin_centres, then upsample ab and combine with the photo's own L."
)


@router.get("/jobs/{job_id}/distribution", response_class=Response, description=DISTRIBUTION_FORMAT,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def distribution(job: JobDep, store: StoreDep) -> Response:
    """The stored per-pixel ab distribution of a succeeded colorize job (format in the description)."""
    meta = distribution_meta(job)
    data = await store.blob(job.id, "distribution")
    headers = {
        "X-Shape": ",".join(str(n) for n in meta["shape"]),
        "X-Dtype": meta["dtype"],
        "X-Layout": meta["layout"],
        "X-Values": meta["values"],
        "Cache-Control": "private, max-age=3600",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.api_route("/jobs/{job_id}/recolor", methods=["GET", "POST"], response_class=Response,
                  responses={200: {"content": {"image/png": {}}}})
async def recolor(job: JobDep, store: StoreDep, settings: SettingsDep, temperature: Temperature) -> Response:
    """The photo re-decoded from the stored distribution at ``temperature``, as PNG; no new job."""
    meta = distribution_meta(job)
    photo = await store.blob(job.id, "input")
    dist = await store.blob(job.id, "distribution")
    png = await anyio.to_thread.run_sync(
        recolor_png, photo, dist, meta, temperature, settings.max_image_pixels
    )
    return Response(png, media_type="image/png", headers={"X-Temperature": str(temperature)})
