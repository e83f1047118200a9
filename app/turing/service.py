"""The Turing test inside the API process: database, rate limits, and the pool's background collector."""

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI

from app.turing.db import Database, open_database
from core.settings import Settings

logger = logging.getLogger(__name__)

COLLECT_EVERY_S = 2.0  # how often finished colorize jobs are copied into the database
QUEUE_EVERY_S = 30.0  # how often photos without a colorization get a job


class RateLimiter:
    """At most ``limit`` events per key in any ``window_s`` (sliding window, in this process)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._events: dict[Any, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: Any) -> float:
        """0 when the event is allowed (and counted), else the seconds until it would be."""
        now = time.monotonic()
        with self._lock:
            if len(self._events) > 100_000:  # forget idle keys
                self._events = {k: q for k, q in self._events.items() if q and q[-1] > now - self.window_s}
            q = self._events.setdefault(key, deque())
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.001, q[0] + self.window_s - now)
            q.append(now)
            return 0.0


class TuringState:
    """What the Turing routes share: the database and the rate limiters."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.votes = RateLimiter(max(1, settings.turing_votes_per_minute), 60.0)
        self.sessions = RateLimiter(max(1, settings.turing_sessions_per_hour), 3600.0)
        self.sessions_per_client = RateLimiter(max(1, settings.turing_sessions_per_hour) * 20, 3600.0)


def _pool_worker(db: Database, settings: Settings, stop: threading.Event) -> None:
    """Queue colorizations for new photos and collect finished ones until ``stop`` is set."""
    from app.turing import pool
    from core.submit import job_queue

    next_queue = 0.0
    with job_queue(settings) as (store, celery):
        while not stop.is_set():
            try:
                if time.monotonic() >= next_queue:
                    if n := pool.queue_missing(db, store, celery):
                        logger.info("queued %d colorizations for the Turing-test pool", n)
                    next_queue = time.monotonic() + QUEUE_EVERY_S
                pool.collect(db, store)
            except Exception:  # Redis down, a bad photo...: log and try again later
                logger.exception("the Turing-test pool collector failed; retrying")
            stop.wait(COLLECT_EVERY_S)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Migrate the database, then run the pool collector while the app serves (when Redis is set)."""
    settings: Settings = app.state.settings
    db = await anyio.to_thread.run_sync(open_database, settings)
    app.state.turing = TuringState(db, settings)
    stop = threading.Event()
    task = None
    if settings.redis_url:
        task = asyncio.create_task(asyncio.to_thread(_pool_worker, db, settings, stop))
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(Exception):
                await task
        app.state.turing = None
        db.dispose()
