"""The Celery queues and task names, one per registered task."""

from core.tasks import all_tasks


def queue_names() -> tuple[str, ...]:
    """Every task's queue, in registry order; a worker without --queues consumes them all."""
    return tuple(spec.queue for spec in all_tasks())


def task_routes() -> dict[str, dict[str, str]]:
    """Celery's routing: each task's jobs go to its own queue."""
    return {spec.task_name: {"queue": spec.queue} for spec in all_tasks()}
