"""The API's (async) view of the job store: read jobs and their blobs, wait for them (core.submit creates them)."""

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis

from core.errors import JobNotFoundError, JobStateError
from core.store import (
    STATS_KEY,
    Job,
    blob_key,
    done_channel,
    from_fields,
    is_job_id,
    job_key,
    transition,
    waiting_key,
)
from core.tasks import get_task


class AsyncJobStore:
    """Job records and blobs in Redis, from the API's side."""

    def __init__(self, client: aioredis.Redis, ttl_s: int) -> None:
        self.client = client
        self.ttl_s = ttl_s

    async def get(self, job_id: str) -> Job:
        if not is_job_id(job_id):
            raise JobNotFoundError("no job with that id")  # not echoed: it is whatever the client sent
        raw = await self.client.hgetall(job_key(job_id))
        if not raw:
            raise JobNotFoundError(f"no job {job_id} (unknown or expired)")
        return from_fields(raw)

    async def blob(self, job_id: str, name: str) -> bytes:
        data = await self.client.get(blob_key(job_id, name))
        if data is None:
            raise JobNotFoundError(f"the {name} of job {job_id} has expired")
        return data

    async def fail(self, job: Job, message: str) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            transition(pipe, job.id, job.kind, "failed", self.ttl_s, error=message)
            await pipe.execute()

    async def wait(self, job_id: str, timeout_s: float) -> Job:
        """The job once it has finished, or as it is after ``timeout_s``; never waits longer."""
        deadline = time.monotonic() + timeout_s
        async with self.client.pubsub() as pubsub:
            # Subscribe before reading, so a job finishing in between is not missed.
            await pubsub.subscribe(done_channel(job_id))
            job = await self.get(job_id)
            while not job.finished and (left := deadline - time.monotonic()) > 0:
                try:
                    message = await asyncio.wait_for(
                        pubsub.get_message(ignore_subscribe_messages=True, timeout=left), left + 1.0
                    )
                except TimeoutError:
                    break
                if message is not None:
                    job = await self.get(job_id)
            return job

    async def queue_position(self, job: Job) -> int | None:
        """1 for the next job of its task to run, 2 after it...; None once it is no longer waiting."""
        rank = await self.client.zrank(waiting_key(job.kind), job.id)
        return None if rank is None else int(rank) + 1

    async def job_counts(self) -> dict[tuple[str, str], int]:
        """(kind, status) -> how many jobs ever reached that status."""
        raw = await self.client.hgetall(STATS_KEY)
        counts = {}
        for key, value in raw.items():
            kind, _, status = key.decode().partition(":")
            counts[(kind, status)] = int(value)
        return counts

    async def queue_lengths(self, queues: tuple[str, ...]) -> dict[str, int]:
        """Messages waiting in each Celery queue (kombu keeps each queue as a Redis list of that name)."""
        async with self.client.pipeline(transaction=False) as pipe:
            for q in queues:
                pipe.llen(q)
            lengths = await pipe.execute()
        return dict(zip(queues, lengths, strict=True))


def succeeded_result(job: Job, kind: str, what: str) -> dict[str, Any]:
    """The result of a succeeded job of task ``kind``; JobStateError (409) naming ``what`` otherwise."""
    if task_of(job) != kind:
        raise JobStateError(f"job {job.id} is a {job.kind} job, not a {kind} job; it has no {what}")
    if job.status != "succeeded" or not job.result:
        raise JobStateError(f"job {job.id} is {job.status}; its {what} exists once it has succeeded")
    return job.result


def task_of(job: Job) -> str:
    """The registered name of a job's task (jobs recorded under an older name included)."""
    try:
        return get_task(job.kind).name
    except KeyError:
        return job.kind
