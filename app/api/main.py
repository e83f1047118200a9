"""The /api/v1 router: a submission route per registered task, the task's own routes, and the shared ones."""

import importlib.util

from fastapi import APIRouter

from app.api.routes import jobs, models, submissions, turing
from core.tasks import all_tasks


def task_routes_module(name: str) -> str | None:
    """``app.api.routes.{name}`` when that task has routes of its own (beyond submission and outputs)."""
    module = f"{__name__.rsplit('.', 1)[0]}.routes.{name}"
    return module if importlib.util.find_spec(module) is not None else None


api_router = APIRouter()
for _spec in all_tasks():
    api_router.include_router(submissions.submission_router(_spec))
    if (_module := task_routes_module(_spec.name)) is not None:
        api_router.include_router(importlib.import_module(_module).router)
api_router.include_router(jobs.router)
api_router.include_router(models.router)
api_router.include_router(turing.router)
