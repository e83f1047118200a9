"""The job kinds: each has one Celery queue and one task, routed by the task's name."""

KINDS = ("colorize", "jigsaw", "rotation")


def task_name(kind: str) -> str:
    """The registered Celery name of the task that runs jobs of ``kind``."""
    return f"pretext.{kind}"


def queue_name(kind: str) -> str:
    """The queue jobs of ``kind`` wait in (one per kind, so each can get its own workers)."""
    return kind
