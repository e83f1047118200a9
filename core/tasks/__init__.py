"""The task registry: one spec per pretext task, one module each in this package, found without a list.

Everything that lists tasks reads this registry: the queues and Celery routes, the workers' model
sessions and job functions, the API's submission routes and job links, ``/api/v1/models``, the pages'
nav bar, the CLI's commands, the bench and the deployment files' checks. Adding a task adds a module
here (see docs/adding-a-task.md).
"""

import importlib
import pkgutil
from functools import cache

from core.tasks.spec import TaskSpec


@cache
def all_tasks() -> tuple[TaskSpec, ...]:
    """Every task spec, in the order of their ``order`` field (then name)."""
    specs = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "spec":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"{module.__name__} defines no SPEC = TaskSpec(...)")
        specs.append(spec)
    specs.sort(key=lambda s: (s.order, s.name))
    names = [n for s in specs for n in (s.name, *s.aliases)]
    if len(names) != len(set(names)):
        raise ValueError(f"task names and aliases must be unique: {names}")
    return tuple(specs)


def task_names() -> tuple[str, ...]:
    return tuple(s.name for s in all_tasks())


def get_task(name: str) -> TaskSpec:
    """The spec of task ``name`` or of one of its aliases; KeyError otherwise."""
    for spec in all_tasks():
        if name == spec.name or name in spec.aliases:
            return spec
    raise KeyError(f"no task {name!r}; the tasks are {', '.join(task_names())}")
