"""The answer to a job submission, shared by every job kind: 202 with links, or 200 if done within ?wait."""

from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from app.api.schemas import job_accepted, job_out
from app.services.jobs import AsyncJobStore
from core.errors import BadParameterError
from core.settings import Settings
from core.store import Job

Wait = Annotated[
    float,
    Query(ge=0.0, allow_inf_nan=False, description="seconds to wait for the result (at most max_wait_s)"),
]


def check_wait(wait: float, settings: Settings) -> None:
    if wait > settings.max_wait_s:
        raise BadParameterError(f"wait must be at most {settings.max_wait_s} seconds, got {wait}")


async def submitted(store: AsyncJobStore, job: Job, wait: float) -> JSONResponse:
    """200 with the job if it finishes within ``wait`` seconds, else 202 with its links and Location."""
    if wait > 0:
        job = await store.wait(job.id, wait)
        if job.finished:
            return JSONResponse(job_out(job).model_dump(), status_code=200)
    body = job_accepted(job)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=202, headers={"Location": body.links.self})
