"""Job records and blobs in Redis: key names, the record codec, and the workers' (sync) store."""

# A job is a Redis hash pretext:job:{id}; its uploaded and produced bytes are plain string keys
# pretext:job:{id}:blob:{name}. All carry the same TTL, refreshed on each update, so nothing
# outlives job_ttl_s, and the broker message only ever carries the job id.

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import redis

from core.errors import JobNotFoundError

Status = Literal["queued", "running", "succeeded", "failed"]
STATUSES: tuple[Status, ...] = ("queued", "running", "succeeded", "failed")
TERMINAL = frozenset({"succeeded", "failed"})

PREFIX = "pretext"
STATS_KEY = f"{PREFIX}:stats:jobs"
LAUNCHER_STATUS_KEY = f"{PREFIX}:launcher:children"  # `make run`'s children, as /readyz reports them
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def new_job_id() -> str:
    return uuid.uuid4().hex


def is_job_id(job_id: str) -> bool:
    """True for strings shaped like our ids; anything else cannot name a job."""
    return bool(_JOB_ID.match(job_id))


def job_key(job_id: str) -> str:
    return f"{PREFIX}:job:{job_id}"


def blob_key(job_id: str, name: str) -> str:
    return f"{PREFIX}:job:{job_id}:blob:{name}"


def waiting_key(kind: str) -> str:
    """Sorted set of a task's queued job ids by creation time: a job's rank is its place in the queue."""
    return f"{PREFIX}:waiting:{kind}"


def done_channel(job_id: str) -> str:
    """Pub/sub channel on which a job's final status is announced."""
    return f"{PREFIX}:job:{job_id}:done"


@dataclass
class Job:
    """One job's record."""

    id: str
    kind: str
    status: Status = "queued"
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def to_fields(job: Job) -> dict[str, str]:
    """A job -> the string fields of its Redis hash (None fields are left out)."""
    fields: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "params": json.dumps(job.params),
        "attempts": job.attempts,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }
    optional = {
        "result": None if job.result is None else json.dumps(job.result),
        "error": job.error,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "worker": job.worker,
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    return {k: str(v) for k, v in fields.items()}


def from_fields(raw: dict[Any, Any]) -> Job:
    """The fields of a job hash (bytes or str) -> a Job."""
    f = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
         for k, v in raw.items()}

    def num(name: str) -> float | None:
        return float(f[name]) if name in f else None

    return Job(
        id=f["id"],
        kind=f["kind"],
        status=f["status"],  # type: ignore[arg-type]
        params=json.loads(f.get("params", "{}")),
        result=json.loads(f["result"]) if "result" in f else None,
        error=f.get("error"),
        attempts=int(f.get("attempts", 0)),
        created_at=num("created_at") or 0.0,
        updated_at=num("updated_at") or 0.0,
        started_at=num("started_at"),
        finished_at=num("finished_at"),
        worker=f.get("worker"),
    )


def stats_field(kind: str, status: str) -> str:
    return f"{kind}:{status}"


def transition(pipe: Any, job_id: str, kind: str, status: Status, ttl_s: int, **fields: Any) -> None:
    """Queue on ``pipe`` (sync or async pipeline) the commands that move a job to ``status``."""
    now = time.time()
    values = {"status": status, "updated_at": now, **fields}
    if status in TERMINAL:
        values["finished_at"] = now
    pipe.hset(job_key(job_id), mapping={k: (json.dumps(v) if isinstance(v, dict) else str(v))
                                         for k, v in values.items()})
    pipe.expire(job_key(job_id), ttl_s)
    pipe.hincrby(STATS_KEY, stats_field(kind, status), 1)
    pipe.zrem(waiting_key(kind), job_id)  # running or finished: no longer waiting
    if status in TERMINAL:
        pipe.publish(done_channel(job_id), status)


def upload_names(job: Job) -> tuple[str, ...]:
    """The blobs a job was submitted with: ``input`` and the extra uploads its record lists (a mask...)."""
    extra = job.params.get("uploads")
    names = [n for n in extra if isinstance(n, str)] if isinstance(extra, list) else []
    return ("input", *names)


def new_job(kind: str, params: dict[str, Any]) -> Job:
    now = time.time()
    return Job(id=new_job_id(), kind=kind, params=params, created_at=now, updated_at=now)


def create(pipe: Any, job: Job, blobs: dict[str, bytes], ttl_s: int) -> None:
    """Queue on ``pipe`` the commands that store a new job's blobs and its queued record."""
    for name, data in blobs.items():
        pipe.set(blob_key(job.id, name), data, ex=ttl_s)
    pipe.hset(job_key(job.id), mapping=to_fields(job))
    pipe.expire(job_key(job.id), ttl_s)
    pipe.hincrby(STATS_KEY, stats_field(job.kind, job.status), 1)
    pipe.zadd(waiting_key(job.kind), {job.id: job.created_at})
    # Jobs that expired without ever running leave the queue's count with their record.
    pipe.zremrangebyscore(waiting_key(job.kind), "-inf", job.created_at - ttl_s)


class JobStore:
    """The workers' view of the store: read a job and its input, record progress and results."""

    def __init__(self, client: redis.Redis, ttl_s: int) -> None:
        self.client = client
        self.ttl_s = ttl_s

    def create(self, kind: str, params: dict[str, Any], blobs: dict[str, bytes]) -> Job:
        """Store a queued job and its blobs in one transaction (the API does the same, async)."""
        job = new_job(kind, params)
        with self.client.pipeline(transaction=True) as pipe:
            create(pipe, job, blobs, self.ttl_s)
            pipe.execute()
        return job

    def get(self, job_id: str) -> Job:
        raw = self.client.hgetall(job_key(job_id))
        if not raw:
            raise JobNotFoundError(f"no job {job_id} (unknown or expired)")
        return from_fields(raw)

    def blob(self, job_id: str, name: str) -> bytes:
        data = self.client.get(blob_key(job_id, name))
        if data is None:
            raise JobNotFoundError(f"job {job_id} has no {name} (expired?)")
        return data

    def start(self, job: Job, worker: str, new_delivery: bool) -> Job:
        """Mark ``job`` running; a new delivery of its message counts as one more attempt."""
        attempts = job.attempts + (1 if new_delivery else 0)
        with self.client.pipeline(transaction=True) as pipe:
            transition(pipe, job.id, job.kind, "running", self.ttl_s, attempts=attempts,
                       started_at=time.time(), worker=worker)
            pipe.execute()
        return self.get(job.id)

    def succeed(self, job: Job, result: dict[str, Any], blobs: dict[str, bytes], keep_input: bool = False) -> None:
        """Store the result blobs, then the record; blobs first, so a reader never sees a dangling link.
        The upload is deleted unless ``keep_input`` (a task that re-reads it, as colorization's recolor)."""
        with self.client.pipeline(transaction=True) as pipe:
            for name, data in blobs.items():
                pipe.set(blob_key(job.id, name), data, ex=self.ttl_s)
            for name in upload_names(job):
                if keep_input:
                    pipe.expire(blob_key(job.id, name), self.ttl_s)
                else:
                    pipe.delete(blob_key(job.id, name))
            transition(pipe, job.id, job.kind, "succeeded", self.ttl_s, result=result)
            pipe.execute()

    def fail(self, job: Job, message: str) -> None:
        """Mark the job failed; its uploads are deleted (nothing will read them again)."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(*(blob_key(job.id, name) for name in upload_names(job)))
            transition(pipe, job.id, job.kind, "failed", self.ttl_s, error=message)
            pipe.execute()
