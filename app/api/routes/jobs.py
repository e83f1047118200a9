"""Jobs of every kind: status and result."""

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.deps import JobDep, StoreDep
from app.api.schemas import JobOut, job_out
from worker.errors import JobStateError

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
async def read_job(job: JobDep) -> JobOut:
    """A job's status, its result when it succeeded, its error when it failed."""
    return job_out(job)


@router.get("/{job_id}/result", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def read_result(job: JobDep, store: StoreDep) -> Response:
    """The job's output image (PNG)."""
    if job.status != "succeeded":
        raise JobStateError(f"job {job.id} is {job.status}; it has a result once it has succeeded")
    return Response(await store.blob(job.id, "result"), media_type="image/png")
