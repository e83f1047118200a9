"""The Turing test inside the API process: database, quotas, and the pool's background collector.

The database is opened (and migrated) in the background, retried until it answers: the API starts without
it, and the Turing routes answer 503 with Retry-After until it is open. Every piece of database work of
those routes runs through ``TuringState.run``: on threads of their own (a bounded number, so requests
waiting on a locked database never take the threads that uploads and pages use), each fault of the
database turned into ``DatabaseUnavailableError`` (503 with Retry-After).
"""

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
from fastapi import FastAPI

from app.services.slots import slot
from app.turing import screening
from app.turing.db import (
    BUSY_RETRY_AFTER_S,
    DATABASE_FAULTS,
    Database,
    DatabaseUnavailableError,
    database_fault,
    first_line,
    is_timeout,
    open_database,
)
from app.turing.public_photos import hidden_photo_ids
from app.turing.quotas import Quotas
from core.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
COLLECT_EVERY_S = 2.0  # how often finished colorize jobs are copied into the database
QUEUE_EVERY_S = 30.0  # how often photos without a colorization get a job
FIRST_RETRY_S = 0.5  # the first pause between attempts to open the database; doubled up to database_retry_s
LOG_EVERY_ATTEMPTS = 20  # while the database stays down, a warning every this many attempts


def _too_many_waiting() -> DatabaseUnavailableError:
    return DatabaseUnavailableError("the Turing test is busy: too many requests are waiting for its database; "
                                    "try again in a few seconds", retry_after_s=BUSY_RETRY_AFTER_S)


class TuringState:
    """What the Turing routes share: the database (None until open), the quotas and who is counted."""

    def __init__(self, settings: Settings, db: Database | None = None,
                 hidden_photos: frozenset[int] = frozenset()) -> None:
        self.db = db
        self.settings = settings
        self.quotas = Quotas(settings)
        self.rule = screening.Rule(settings.turing_attention_pass_min, settings.turing_min_response_ms)
        self.hidden_photos = hidden_photos  # pool photos that are public samples too: never drawn
        self.error: str | None = None  # why the last attempt to open the database failed
        self.attempts = 0
        # Made on first use: anyio objects belong to the running event loop. The places of Turing requests
        # at work on the database are slots (app.services.slots); their threads are not the default limiter's.
        self._threads: anyio.CapacityLimiter | None = None
        self._pinging = False  # a /readyz check of the database is under way

    def _thread_limiter(self) -> anyio.CapacityLimiter:
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(math.inf)  # bounded by the slots of run()
        return self._threads

    def unavailable(self) -> DatabaseUnavailableError:
        """The error of a request that arrives before the database is open."""
        why = f"not reachable yet ({self.error})" if self.error else "still opening"
        return DatabaseUnavailableError(
            f"the Turing-test database is {why}; the Turing test is paused until it is back (the rest of the "
            "service works); try again later", retry_after_s=max(1.0, self.settings.database_retry_s))

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` (database work) on a thread of the Turing test's own pool; 503s for every fault.

        It waits ``turing_db_wait_s`` at most for one of ``turing_db_concurrency`` places, then is refused
        (busy); a fault of the database inside becomes ``DatabaseUnavailableError`` too.
        """
        if self.db is None:
            raise self.unavailable()
        async with slot(self, "Turing database", self.settings.turing_db_concurrency, self.settings.turing_db_wait_s,
                        busy=_too_many_waiting):
            try:
                return await anyio.to_thread.run_sync(work, limiter=self._thread_limiter())
            except DATABASE_FAULTS as exc:
                logger.warning("Turing-test database fault: %s: %s", type(exc).__name__, first_line(exc))
                raise database_fault(exc) from exc

    async def database_status(self) -> str:
        """For /readyz: "ok", "opening", "busy" or "unavailable (why)", within ``ready_timeout_s``.

        The check takes none of the Turing requests' places and at most one thread: a probe never waits
        behind them, nor piles up while the database does not answer.
        """
        db = self.db
        if db is None:
            return f"unavailable ({self.error})" if self.error else "opening"
        if self._pinging:
            return "busy"  # the last check has not had its answer yet
        threads = self._thread_limiter()
        outcome: list[BaseException | None] = []

        def ping() -> None:
            try:
                db.ping()
                outcome.append(None)
            except Exception as exc:
                outcome.append(exc)
            finally:
                self._pinging = False

        self._pinging = True
        with anyio.move_on_after(max(0.1, self.settings.ready_timeout_s)):
            await anyio.to_thread.run_sync(ping, limiter=threads, abandon_on_cancel=True)
        if not outcome:
            return "busy"
        if (exc := outcome[0]) is None:
            return "ok"
        if isinstance(exc, DATABASE_FAULTS) and is_timeout(exc):
            return "busy"
        return f"unavailable ({type(exc).__name__})"

    async def open_until_up(self, first_attempt: anyio.Event) -> Database:
        """Open (and migrate) the database, retrying with a growing pause until it works; sets ``db``."""
        threads = self._thread_limiter()
        pause = max(0.05, min(FIRST_RETRY_S, self.settings.database_retry_s))
        while True:
            self.attempts += 1
            try:
                db, hidden = await anyio.to_thread.run_sync(_open, self.settings, limiter=threads)
            except Exception as exc:  # unreachable, a missing database or folder, a lock during migration...
                self.error = type(exc).__name__
                if self.attempts == 1 or self.attempts % LOG_EVERY_ATTEMPTS == 0:
                    logger.warning("the Turing-test database cannot be opened (attempt %d: %s: %s); the Turing "
                                   "routes answer 503 until it can, the rest of the API works; retrying",
                                   self.attempts, type(exc).__name__, first_line(exc))
                first_attempt.set()
                await anyio.sleep(pause)
                pause = min(pause * 2, max(FIRST_RETRY_S, self.settings.database_retry_s))
                continue
            if hidden:
                logger.warning("%d Turing-test pool photos are public samples too; sessions leave them out",
                               len(hidden))
            self.hidden_photos = hidden
            self.db = db
            self.error = None
            if self.attempts > 1:
                logger.warning("the Turing-test database is open after %d attempts; the Turing test works again",
                               self.attempts)
            first_attempt.set()
            return db


def _open(settings: Settings) -> tuple[Database, frozenset[int]]:
    """The migrated database and the pool photos to hide; nothing left open on failure."""
    db = open_database(settings)
    try:
        return db, hidden_photo_ids(db, settings.datasets_dir)
    except BaseException:
        db.dispose()
        raise


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
            except DATABASE_FAULTS as exc:  # the database down or locked: a line, not a traceback every 2 s
                logger.warning("the Turing-test pool collector cannot use the database (%s); retrying",
                               type(exc).__name__)
            except Exception:  # Redis down, a bad photo...: log and try again later
                logger.exception("the Turing-test pool collector failed; retrying")
            stop.wait(COLLECT_EVERY_S)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database in the background (the app serves without it), then run the pool collector while
    the app serves (when Redis is set).

    The start waits for the first attempt to open the database (at most ``database_startup_wait_s``), so a
    healthy database is open before the first request.
    """
    settings: Settings = app.state.settings
    state = TuringState(settings)
    app.state.turing = state
    stop = threading.Event()
    collector: asyncio.Task[None] | None = None

    async def open_then_collect(first_attempt: anyio.Event) -> None:
        nonlocal collector
        db = await state.open_until_up(first_attempt)
        if settings.redis_url and not stop.is_set():
            collector = asyncio.create_task(asyncio.to_thread(_pool_worker, db, settings, stop))

    first_attempt = anyio.Event()
    opener = asyncio.create_task(open_then_collect(first_attempt))
    with anyio.move_on_after(max(0.0, settings.database_startup_wait_s)):
        await first_attempt.wait()
    try:
        yield
    finally:
        stop.set()
        opener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await opener
        if collector is not None:
            with contextlib.suppress(Exception):
                await collector
        app.state.turing = None
        if state.db is not None:
            state.db.dispose()
