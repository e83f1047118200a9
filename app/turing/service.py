"""The Turing test inside the API process: database, quotas, and the pool's background collector."""

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from app.services.addresses import parse_proxies
from app.turing import screening
from app.turing.db import Database, open_database
from app.turing.public_photos import hidden_photo_ids
from app.turing.quotas import Quotas
from core.settings import Settings

logger = logging.getLogger(__name__)

COLLECT_EVERY_S = 2.0  # how often finished colorize jobs are copied into the database
QUEUE_EVERY_S = 30.0  # how often photos without a colorization get a job


class TuringState:
    """What the Turing routes share: the database, the quotas and who is counted."""

    def __init__(self, db: Database, settings: Settings, hidden_photos: frozenset[int] = frozenset()) -> None:
        self.db = db
        self.settings = settings
        self.quotas = Quotas(settings)
        self.proxies = parse_proxies(settings.trusted_proxies)
        self.rule = screening.Rule(settings.turing_attention_pass_min, settings.turing_min_response_ms)
        self.hidden_photos = hidden_photos  # pool photos that are public samples too: never drawn


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
    hidden = await anyio.to_thread.run_sync(hidden_photo_ids, db, settings.datasets_dir)
    if hidden:
        logger.warning("%d Turing-test pool photos are public samples too; sessions leave them out", len(hidden))
    app.state.turing = TuringState(db, settings, hidden)
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
