"""What every job task shares: the job's life cycle in the store, retries, and failure handling."""

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from core.errors import JobNotFoundError, PretextError
from core.redis_client import sync_redis
from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.spec import TaskSpec
from worker.tasks import JobFunction, JobResult, job_function

logger = logging.getLogger(__name__)

TRANSIENT = (redis.ConnectionError, redis.TimeoutError)
Work = Callable[[Job, JobStore], JobResult]  # a job function with its params already bound

_store: JobStore | None = None


def store() -> JobStore:
    """This process's store; redis-py reconnects by itself after a fork."""
    global _store
    if _store is None:
        settings = get_settings()
        _store = JobStore(sync_redis(settings), settings.job_ttl_s)
    return _store


class JobTask(Task):
    """Base class of the job tasks: retries only transient Redis errors, records every failure."""

    autoretry_for = TRANSIENT
    max_retries = get_settings().task_max_retries
    retry_backoff = 1
    retry_backoff_max = 30
    retry_jitter = True

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Mark the job failed; runs in the child for bugs, in the parent after a hard time limit."""
        if not args:
            return
        if isinstance(exc, TimeLimitExceeded):
            message = f"the job took longer than the time limit of {get_settings().task_time_limit_s} s"
        elif isinstance(exc, TRANSIENT):
            message = f"the job store was unreachable ({exc})"
        else:
            message = f"internal error while processing the job ({type(exc).__name__})"
        try:
            st = store()
            st.fail(st.get(args[0]), message)
        except (PretextError, redis.RedisError) as err:
            logger.error("could not mark job %s failed: %s", args[0], err)


def run_job(task: Task, job_id: str, work: Work, keep_input: bool = False) -> dict[str, Any]:
    """Run ``work`` on job ``job_id`` and record the outcome; domain errors fail the job, no retry."""
    settings = get_settings()
    st = store()
    try:
        job = st.get(job_id)
    except JobNotFoundError:
        logger.warning("job %s expired before it ran", job_id)
        return {"status": "missing"}
    if job.finished:
        # A redelivered message whose job another worker already finished: nothing to do.
        return {"status": job.status, "duplicate": True}
    new_delivery = not task.request.retries
    if new_delivery and job.attempts >= settings.task_max_attempts:
        st.fail(job, f"gave up after {job.attempts} attempts: the worker died each time it ran this job")
        return {"status": "failed"}
    job = st.start(job, task.request.hostname or "worker", new_delivery)
    t0 = time.perf_counter()
    try:
        if settings.task_test_delay_s:
            time.sleep(settings.task_test_delay_s)
        result, blobs = work(job, st)
    except PretextError as exc:
        st.fail(job, str(exc) or type(exc).__name__)
        return {"status": "failed"}
    except SoftTimeLimitExceeded:
        st.fail(job, f"the job took longer than the time limit of {settings.task_soft_time_limit_s} s")
        return {"status": "failed"}
    result["timing"] = {"queued_s": round((job.started_at or job.created_at) - job.created_at, 4),
                        "processing_s": round(time.perf_counter() - t0, 4)}
    st.succeed(job, result, blobs, keep_input)
    return {"status": "succeeded"}


def with_params(spec: TaskSpec, work: JobFunction) -> Work:
    """``work`` called with the job's params validated by the task's model (the route validated them too)."""

    def validated(job: Job, st: JobStore) -> JobResult:
        return work(job, st, spec.params.parse(job.params))

    return validated


def register(app: Celery, spec: TaskSpec) -> Task:
    """The Celery task that runs jobs of ``spec``: its job function inside the shared life cycle."""
    work = with_params(spec, job_function(spec))

    def run(self: Task, job_id: str) -> dict[str, Any]:
        return run_job(self, job_id, work, spec.keeps_input)

    run.__name__ = run.__qualname__ = spec.name
    run.__module__ = f"worker.tasks.{spec.name}"
    return app.task(name=spec.task_name, base=JobTask, bind=True)(run)
