"""The workers' Celery app (``celery -A worker.celery_app worker``): config, tasks, per-process setup."""

import logging

from celery.signals import worker_process_init, worker_ready

from models.settings import get_settings
from worker import sessions
from worker.config import make_celery
from worker.tasks import task_modules

logger = logging.getLogger(__name__)

settings = get_settings()
if not settings.redis_url:
    raise RuntimeError("REDIS_URL is not set; start the service with `make run` (python -m pretext.serve)")

celery_app = make_celery(settings, include=task_modules())
app = celery_app  # the name `celery -A` looks for first


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
