"""Submitting a job, the one path the API and the Turing-test pool share: store it, then send its task."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import redis
from celery import Celery
from kombu.exceptions import OperationalError

from core.celery_config import make_celery
from core.errors import ServiceUnavailableError
from core.redis_client import sync_redis
from core.settings import Settings
from core.store import Job, JobStore
from core.tasks import get_task

SEND_ERRORS = (OperationalError, redis.RedisError, OSError)


def submit(store: JobStore, celery: Celery, task: str, params: dict[str, Any], blobs: dict[str, bytes],
           large: bool = False) -> Job:
    """Create a job of ``task`` with its input and queue it (on the task's large queue when ``large``);
    never reports as accepted what is not queued.

    ServiceUnavailableError when Redis or the broker cannot be reached (a stored job is then marked failed).
    """
    spec = get_task(task)
    try:
        job = store.create(spec.name, params, blobs)
    except redis.RedisError as exc:
        raise ServiceUnavailableError("the job store (Redis) is unreachable; try again later") from exc
    # The job record is where results are read, so Celery's own result is not needed; asking for it
    # would also keep a result subscription open in this process for every task sent.
    try:
        queue = spec.large_queue if large else spec.queue
        celery.send_task(spec.task_name, args=[job.id], task_id=job.id, ignore_result=True, queue=queue)
    except SEND_ERRORS as exc:
        # The broker is the same Redis, so this may fail too; the record then expires on its own.
        with suppress(redis.RedisError):
            store.fail(job, "the task queue was unreachable, so the job was never queued")
        raise ServiceUnavailableError("the task queue is unreachable; try again later") from exc
    return job


@contextmanager
def job_queue(settings: Settings) -> Iterator[tuple[JobStore, Celery]]:
    """A job store and a Celery client for a process that submits jobs outside the API (the CLI, the
    Turing pool's collector); both are closed on exit."""
    client = sync_redis(settings)
    celery = make_celery(settings)
    try:
        yield JobStore(client, settings.job_ttl_s), celery
    finally:
        celery.close()
        client.close()
