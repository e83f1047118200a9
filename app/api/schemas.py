"""Response bodies of the API."""

from typing import Any

from pydantic import BaseModel, ConfigDict

from app.services.jobs import task_of
from core.store import Job, Status
from core.tasks import get_task

API_PREFIX = "/api/v1"


class Links(BaseModel):
    """Where a job and its outputs are; each task adds its own (distribution, shuffled, attention...)."""

    model_config = ConfigDict(extra="allow")

    self: str
    result: str | None = None


class JobAccepted(BaseModel):
    """The answer to a submission that has not finished yet."""

    id: str
    status: Status
    links: Links


class QueuePlace(BaseModel):
    """Where a queued job stands: position 1 runs next; ``ahead`` jobs of its task wait before it."""

    position: int
    ahead: int


class JobOut(BaseModel):
    """A job as the API shows it."""

    id: str
    kind: str
    status: Status
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: float
    updated_at: float
    links: Links
    queue: QueuePlace | None = None  # while queued


def job_links(job: Job) -> Links:
    base = f"{API_PREFIX}/jobs/{job.id}"
    links = Links(self=base)
    if job.status == "succeeded":
        try:
            spec = get_task(job.kind)
        except KeyError:
            spec = None  # a kind no longer registered: its result still is
        # A task without an output called "result" (features: neighbours and filters) gets no result link.
        if spec is None or any(o.name == "result" for o in spec.outputs):
            links.result = f"{base}/result"
        extra = spec.links(base, job.result or {}) if spec is not None else {}
        links = Links(self=base, result=links.result, **extra)
    return links


def job_out(job: Job) -> JobOut:
    return JobOut(id=job.id, kind=task_of(job), status=job.status, result=job.result, error=job.error,
                  attempts=job.attempts, created_at=job.created_at, updated_at=job.updated_at,
                  links=job_links(job))


def job_accepted(job: Job) -> JobAccepted:
    return JobAccepted(id=job.id, status=job.status, links=job_links(job))
