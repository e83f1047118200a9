"""Submitting a job: store its input and record, then send its task; never accept what is not stored."""

from contextlib import suppress
from functools import partial
from typing import Any

import anyio
import redis
from celery import Celery
from kombu.exceptions import OperationalError

from app.services.jobs import AsyncJobStore
from worker.errors import ServiceUnavailableError
from worker.queues import task_name
from worker.store import Job

SEND_ERRORS = (OperationalError, redis.RedisError, OSError)


async def submit(store: AsyncJobStore, celery: Celery, kind: str, params: dict[str, Any],
                 blobs: dict[str, bytes]) -> Job:
    """Create job ``kind`` and queue it; ServiceUnavailableError (job marked failed) if sending fails."""
    job = await store.create(kind, params, blobs)
    # The job record is where results are read, so Celery's own result is not needed; asking for it
    # would also keep a result subscription open in this process for every task sent.
    send = partial(celery.send_task, task_name(kind), args=[job.id], task_id=job.id, ignore_result=True)
    try:
        await anyio.to_thread.run_sync(send)
    except SEND_ERRORS as exc:
        # The broker is the same Redis, so this may fail too; the record then expires on its own.
        with suppress(redis.RedisError):
            await store.fail(job, "the task queue was unreachable, so the job was never queued")
        raise ServiceUnavailableError("the task queue is unreachable; try again later") from exc
    return job
