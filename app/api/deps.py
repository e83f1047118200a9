"""Dependencies of the routes, as Annotated aliases (FastAPI full-stack template style)."""

from typing import Annotated

from celery import Celery
from fastapi import Depends, Query, Request

from app.services.jobs import AsyncJobStore
from models.settings import Settings
from worker.errors import ServiceUnavailableError
from worker.store import Job

NOT_CONFIGURED = "REDIS_URL is not set, so there is no job queue; start the service with `make run`"


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _store(request: Request) -> AsyncJobStore:
    store = request.app.state.store
    if store is None:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return store


def _celery(request: Request) -> Celery:
    celery = request.app.state.celery
    if celery is None:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return celery


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[AsyncJobStore, Depends(_store)]
CeleryDep = Annotated[Celery, Depends(_celery)]


async def _job(job_id: str, store: StoreDep) -> Job:
    return await store.get(job_id)


JobDep = Annotated[Job, Depends(_job)]

Temperature = Annotated[
    float,
    Query(ge=0.0, le=10.0, allow_inf_nan=False,
          description="annealed-mean temperature: 0 = the mode, 1 = the mean, 0.38 = the paper's choice"),
]
