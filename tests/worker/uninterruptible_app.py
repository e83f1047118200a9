"""The workers' Celery app plus one test task that the soft time limit cannot interrupt."""

# Like a long call into C (an ONNX run), the task does not see the soft limit's signal, so only the
# hard limit, which kills the pool process, can end it.

import signal
import time
from typing import Any

from celery import Task

from core.store import Job, JobStore
from worker.base import JobTask, run_job
from worker.celery_app import celery_app

UNINTERRUPTIBLE = "pretext.test.uninterruptible"


def _block(_job: Job, _store: JobStore) -> tuple[dict[str, Any], dict[str, bytes]]:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})  # Celery's soft limit signal
    time.sleep(60)
    return {}, {}


@celery_app.task(name=UNINTERRUPTIBLE, base=JobTask, bind=True)
def uninterruptible(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(self, job_id, _block)


app = celery_app
