"""The Celery queues and task names: each task has its queue, and a second one for large jobs."""

from core.tasks import all_tasks


def small_queues() -> tuple[str, ...]:
    """Each task's queue for ordinary jobs, in registry order."""
    return tuple(spec.queue for spec in all_tasks())


def large_queues() -> tuple[str, ...]:
    """Each task's queue for jobs above ``large_job_pixels``, so ordinary ones never wait behind them."""
    return tuple(spec.large_queue for spec in all_tasks())


def queue_names() -> tuple[str, ...]:
    """Every queue; a worker without --queues consumes them all."""
    return (*small_queues(), *large_queues())


def task_routes() -> dict[str, dict[str, str]]:
    """Celery's routing: each task's jobs go to its own queue (large ones are sent to its large queue)."""
    return {spec.task_name: {"queue": spec.queue} for spec in all_tasks()}
