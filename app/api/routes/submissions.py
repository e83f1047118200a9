"""``POST /api/v1/{task}``: one submission route per registered task, its parameters read from its spec."""

# Each parameter is accepted as a form field or in the query string (the form wins), as it always was.
# The route declares them for the API docs but checks nothing itself: the task's params model does, the
# same one the worker validates the job with, so the two sides cannot disagree. A task's extra files
# (TaskSpec.uploads: a mask...) are multipart fields beside ``image``, read within the same byte limit,
# checked by the params' check_uploads in the upload-check slot, and stored as blobs beside ``input``.

import inspect
import re
from typing import Annotated, Any, get_args

import anyio
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from app.api.deps import CeleryDep, ClientDep, JobsDep, SettingsDep, StoreDep
from app.api.responses import Wait, check_wait, submitted
from app.services.cards import installed_card
from app.services.pixel_quota import PixelQuota
from app.services.slots import slot
from app.services.uploads import probe_image, read_upload
from core.errors import BadParameterError, ImageTooLargeError, QuotaExceededError
from core.settings import Settings
from core.submit import submit
from core.tasks.spec import TaskSpec, Upload

IMAGE_DOC = "the photo: JPEG, PNG, WebP, BMP, TIFF or GIF"
FORM_SUFFIX, QUERY_SUFFIX, UPLOAD_SUFFIX = "__form", "__query", "__upload"
# Numbers as people write them; Python's own parsing would also take "1_0" (10) or " 7".
STRICT_NUMBER = {
    int: re.compile(r"[+-]?[0-9]+"),
    float: re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"),
}


async def charge_pixels(quota: PixelQuota, client: str, settings: Settings, pixels: int) -> None:
    """QuotaExceededError (429) when the client's hourly pixel allowance cannot take this job."""
    if wait := await anyio.to_thread.run_sync(quota.charge, client, pixels):
        raise QuotaExceededError(
            f"this address has submitted its {settings.pixels_per_client_per_hour:,} pixels for this hour; "
            f"try again in {wait:.0f} s", retry_after_s=wait)


def number_type(annotation: Any) -> type | None:
    """int or float when a field holds that kind of number (bool, a subclass of int, is not one)."""
    kinds = {a for a in (annotation, *get_args(annotation)) if a in (int, float)}
    return float if float in kinds else next(iter(kinds), None)


async def check_numbers(spec: TaskSpec, request: Request) -> None:
    """BadParameterError for a number field whose raw text is not a plain decimal number."""
    form = await request.form()  # already parsed for the endpoint: Starlette keeps it
    for name, field in spec.params.model_fields.items():
        kind = number_type(field.annotation)
        if kind is None:
            continue
        for raw in (*form.getlist(name), *request.query_params.getlist(name)):
            if isinstance(raw, str) and raw and not STRICT_NUMBER[kind].fullmatch(raw):  # "" means not given
                noun = "an integer" if kind is int else "a decimal number"
                raise BadParameterError(f"{name} must be {noun} such as 2 or 0.5, got {raw!r}")


def _parameters(spec: TaskSpec) -> list[inspect.Parameter]:
    """The endpoint's signature: dependencies, the upload, ?wait, then each field as form and as query."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", keyword, annotation=Request),
        inspect.Parameter("settings", keyword, annotation=SettingsDep),
        inspect.Parameter("client", keyword, annotation=ClientDep),
        inspect.Parameter("store", keyword, annotation=StoreDep),
        inspect.Parameter("jobs", keyword, annotation=JobsDep),
        inspect.Parameter("celery", keyword, annotation=CeleryDep),
        inspect.Parameter("image", keyword, annotation=Annotated[UploadFile, File(description=IMAGE_DOC)]),
        inspect.Parameter("wait", keyword, annotation=Wait, default=0.0),
    ]
    for extra in spec.uploads:  # the task's files beside the photo (a mask...)
        file = File(alias=extra.name, description=extra.description)
        if extra.required:
            params.append(inspect.Parameter(extra.name + UPLOAD_SUFFIX, keyword,
                                            annotation=Annotated[UploadFile, file]))
        else:
            params.append(inspect.Parameter(extra.name + UPLOAD_SUFFIX, keyword, default=None,
                                            annotation=Annotated[UploadFile | None, file]))
    for name, field in spec.params.model_fields.items():
        optional = field.annotation | None  # absent means "the default", decided by the params model
        doc = field.description
        params.append(inspect.Parameter(name + FORM_SUFFIX, keyword, default=None,
                                        annotation=Annotated[optional, Form(alias=name, description=doc)]))
        params.append(inspect.Parameter(name + QUERY_SUFFIX, keyword, default=None,
                                        annotation=Annotated[optional, Query(alias=name, description=doc)]))
    return params


def _given(spec: TaskSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The fields the client sent, the form's value before the query's."""
    given = {}
    for name in spec.params.model_fields:
        value = values[name + FORM_SUFFIX]
        value = values[name + QUERY_SUFFIX] if value is None else value
        if value is not None:
            given[name] = value
    return given


async def read_extra_uploads(spec: TaskSpec, values: dict[str, Any], max_bytes: int) -> dict[str, bytes]:
    """The task's extra files that were sent, by name, each within the upload byte limit. A file field
    left empty (no name, no bytes: a form's unused file input) is not sent."""
    files = {}
    for extra in spec.uploads:
        upload: UploadFile | None = values[extra.name + UPLOAD_SUFFIX]
        if upload is None:
            continue
        try:
            data = await read_upload(upload, max_bytes)
        except ImageTooLargeError as exc:
            raise ImageTooLargeError(f"{extra.name}: {exc}") from exc
        if data or upload.filename:
            files[extra.name] = data
    return files


def submission_endpoint(spec: TaskSpec):  # -> the endpoint coroutine function
    async def submit_job(**values: Any) -> JSONResponse:
        settings = values["settings"]
        check_wait(values["wait"], settings)
        await check_numbers(spec, values["request"])
        params = spec.params.parse(_given(spec, values))
        card = installed_card(settings.models_dir, params.card_name(spec.model))
        image: UploadFile = values["image"]
        data = await read_upload(image, settings.max_upload_bytes)
        files = await read_extra_uploads(spec, values, settings.max_upload_bytes)
        async with slot(values["request"].app.state, "upload check", settings.probe_concurrency,
                        settings.probe_wait_s):
            fmt, width, height = await anyio.to_thread.run_sync(probe_image, data, settings.max_image_pixels)
            upload = Upload(fmt, width, height, image.filename)  # width and height as shown (EXIF applied)
            if spec.uploads:
                await anyio.to_thread.run_sync(params.check_uploads, upload, files, settings.max_image_pixels)
        await charge_pixels(values["request"].app.state.pixel_quota, values["client"], settings, width * height)
        params = params.resolved(card, upload)
        record = {**params.model_dump(mode="json"), "filename": image.filename, "format": fmt,
                  "width": width, "height": height}
        if files:
            record["uploads"] = sorted(files)  # deleted with the input once the job is done (core.store)
        large = width * height > settings.large_job_pixels
        job = await anyio.to_thread.run_sync(submit, values["jobs"], values["celery"], spec.name, record,
                                             {"input": data, **files}, large)
        return await submitted(values["store"], job, values["wait"])

    submit_job.__signature__ = inspect.Signature(_parameters(spec), return_annotation=JSONResponse)
    submit_job.__name__ = f"submit_{spec.name}"
    submit_job.__doc__ = (f"Queue a photo: {spec.summary} ({spec.paper}). 202 with the job's links, or 200 with "
                          "the finished job if it is done within ?wait.")
    return submit_job


def submission_router(spec: TaskSpec) -> APIRouter:
    """POST /{spec.name}, and the same at each older name (documented as deprecated aliases)."""
    router = APIRouter(tags=[spec.name])
    endpoint = submission_endpoint(spec)
    responses = {200: {"description": "finished within ?wait"}}
    router.add_api_route(f"/{spec.name}", endpoint, methods=["POST"], status_code=202, responses=responses)
    for alias in spec.aliases:
        router.add_api_route(f"/{alias}", endpoint, methods=["POST"], status_code=202, responses=responses,
                             deprecated=True, operation_id=f"submit_{spec.name}_as_{alias}",
                             description=f"The older name of POST /api/v1/{spec.name}; the same in every way.")
    return router
