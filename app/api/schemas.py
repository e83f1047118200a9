"""Response bodies of the API."""

from typing import Any

from pydantic import BaseModel

from worker.store import Job, Status

API_PREFIX = "/api/v1"


class Links(BaseModel):
    self: str
    result: str | None = None
    distribution: str | None = None  # colorize
    recolor: str | None = None  # colorize
    shuffled: str | None = None  # jigsaw: the puzzle as solved (the upload, or its server-side shuffle)
    attention: str | None = None  # rotation: overlay of the requested block; /attention/{1..4} for others
    attention_map: str | None = None  # rotation: the requested block's raw normalised map


class JobAccepted(BaseModel):
    """The answer to a submission that has not finished yet."""

    id: str
    status: Status
    links: Links


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


def job_links(job: Job) -> Links:
    base = f"{API_PREFIX}/jobs/{job.id}"
    links = Links(self=base)
    if job.status == "succeeded":
        links.result = f"{base}/result"
        result = job.result or {}
        if job.kind == "colorize" and result.get("distribution"):
            links.distribution = f"{base}/distribution"
            links.recolor = f"{base}/recolor"
        elif job.kind == "jigsaw":
            links.shuffled = f"{base}/shuffled"
        elif job.kind == "rotation" and result.get("attention"):
            links.attention = f"{base}/attention/{result.get('block', 3)}"
            links.attention_map = f"{links.attention}/map"
    return links


def job_out(job: Job) -> JobOut:
    return JobOut(id=job.id, kind=job.kind, status=job.status, result=job.result, error=job.error,
                  attempts=job.attempts, created_at=job.created_at, updated_at=job.updated_at,
                  links=job_links(job))


def job_accepted(job: Job) -> JobAccepted:
    return JobAccepted(id=job.id, status=job.status, links=job_links(job))
