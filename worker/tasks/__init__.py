"""One module per task, named after it, holding its job function ``run(job, store, params)``.

A job function is pure work: decode the stored upload, call the serving class, encode the outputs. The
Celery task around it (worker.base.register) validates the params with the task's model, records the job's
life cycle and its failures.
"""

import importlib
from collections.abc import Callable
from typing import Any

from core.store import Job, JobStore
from core.tasks.spec import JobParams, TaskSpec

JobResult = tuple[dict[str, Any], dict[str, bytes]]  # (the job's result, the blobs to store)
JobFunction = Callable[[Job, JobStore, JobParams], JobResult]


def job_function(spec: TaskSpec) -> JobFunction:
    """The ``run`` function of ``worker/tasks/{spec.name}.py``."""
    return importlib.import_module(f"{__name__}.{spec.name}").run
