"""Operations: liveness, readiness (Redis and a worker answer; the database is reported), Prometheus metrics."""

import json
from typing import Any

import anyio
import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.deps import SettingsDep
from app.metrics import JobSnapshot, render
from core.queues import queue_names
from core.store import LAUNCHER_STATUS_KEY

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    """200 when Redis answers and at least one worker answers a ping in time, else 503; the Turing-test
    database's state ("ok", "opening", "busy", "unavailable (...)") is reported but does not count."""
    store, celery = request.app.state.store, request.app.state.celery
    checks: dict[str, Any] = {"redis": "not configured", "workers": []}
    if store is not None:
        try:
            with anyio.fail_after(settings.ready_timeout_s + settings.redis_timeout_s):
                await store.client.ping()
            checks["redis"] = "ok"
        except (redis.RedisError, OSError, TimeoutError) as exc:
            checks["redis"] = f"unreachable ({type(exc).__name__})"
    if checks["redis"] == "ok":
        replies = await anyio.to_thread.run_sync(
            lambda: celery.control.ping(timeout=settings.ready_timeout_s, limit=1) or []
        )
        checks["workers"] = sorted(name for reply in replies for name in reply)
        if launcher := await launcher_status(store.client):
            checks["launcher"] = launcher
    # The Turing-test database is reported, never a reason to be unready: without it only the Turing test stops.
    turing = getattr(request.app.state, "turing", None)
    checks["database"] = await turing.database_status() if turing is not None else "not started"
    ready = checks["redis"] == "ok" and bool(checks["workers"])
    if not ready:
        detail = "Redis is unreachable" if checks["redis"] != "ok" else "no worker answered a ping"
        return JSONResponse({"detail": detail, **checks}, status_code=503)
    return JSONResponse({"status": "ready", **checks})


async def launcher_status(client: Any) -> dict[str, Any] | None:
    """What `make run`'s launcher last said of its children (running, restarting, restarts), if it runs."""
    try:
        raw = await client.hgetall(LAUNCHER_STATUS_KEY)
    except redis.RedisError:
        return None
    return {k.decode(): json.loads(v) for k, v in raw.items()} or None


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format; job figures are left out when Redis is unreachable."""
    store = request.app.state.store
    snapshot = None
    if store is not None:
        try:
            snapshot = JobSnapshot(await store.job_counts(), await store.queue_lengths(queue_names()))
        except redis.RedisError:
            snapshot = None
    return Response(render(request.app.state.metrics, snapshot), media_type=CONTENT_TYPE_LATEST)
