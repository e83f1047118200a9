"""Dependencies of the routes, as Annotated aliases (FastAPI full-stack template style)."""

from typing import Annotated

from celery import Celery
from fastapi import Depends, Query, Request

from app.services.addresses import client_address
from app.services.jobs import AsyncJobStore
from core.errors import ServiceUnavailableError
from core.redis_client import NOT_CONFIGURED
from core.settings import Settings
from core.store import Job, JobStore


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _store(request: Request) -> AsyncJobStore:
    store = request.app.state.store
    if store is None:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return store


def _jobs(request: Request) -> JobStore:
    jobs = request.app.state.jobs
    if jobs is None:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return jobs


def _celery(request: Request) -> Celery:
    celery = request.app.state.celery
    if celery is None:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return celery


def _client(request: Request) -> str:
    return client_address(request, request.app.state.proxies)


SettingsDep = Annotated[Settings, Depends(_settings)]
ClientDep = Annotated[str, Depends(_client)]  # the address per-client quotas count against
StoreDep = Annotated[AsyncJobStore, Depends(_store)]  # reads and waits, in the event loop
JobsDep = Annotated[JobStore, Depends(_jobs)]  # submissions, in a worker thread (core.submit)
CeleryDep = Annotated[Celery, Depends(_celery)]


async def _job(job_id: str, store: StoreDep) -> Job:
    return await store.get(job_id)


JobDep = Annotated[Job, Depends(_job)]

Temperature = Annotated[
    float,
    Query(ge=0.0, le=10.0, allow_inf_nan=False,
          description="annealed-mean temperature: 0 = the mode, 1 = the mean, 0.38 = the paper's choice"),
]
