"""The workers' Celery app (``celery -A worker.celery_app worker``): config, tasks, per-process setup."""

import logging

from celery.signals import worker_process_init, worker_ready

from core.celery_config import make_celery
from core.settings import get_settings
from core.tasks import all_tasks
from worker import sessions
from worker.base import register

logger = logging.getLogger(__name__)

settings = get_settings()
if not settings.redis_url:
    raise RuntimeError("REDIS_URL is not set; start the service with `make run` (python -m pretext.serve)")

celery_app = make_celery(settings)
app = celery_app  # the name `celery -A` looks for first
TASKS = {spec.name: register(celery_app, spec) for spec in all_tasks()}
if settings.worker_queues:
    # A worker started without --queues consumes every queue it knows: here, only the ones asked for.
    chosen = {q.strip() for q in settings.worker_queues.split(",") if q.strip()}
    unknown = chosen - {q.name for q in celery_app.conf.task_queues}
    if unknown:
        raise RuntimeError(f"PRETEXT_WORKER_QUEUES names unknown queues {sorted(unknown)}")
    celery_app.conf.task_queues = [q for q in celery_app.conf.task_queues if q.name in chosen]


@worker_process_init.connect
def _open_sessions(**_: object) -> None:
    """Open the ONNX sessions in each pool process after the fork, never in the parent."""
    sessions.warm()


@worker_ready.connect
def _check_timeouts(**_: object) -> None:
    if settings.broker_visibility_timeout_s <= settings.task_time_limit_s:
        logger.warning(
            "broker visibility timeout (%s s) is not above the task time limit (%s s): a slow job may be "
            "handed to a second worker while the first still runs it",
            settings.broker_visibility_timeout_s, settings.task_time_limit_s,
        )
