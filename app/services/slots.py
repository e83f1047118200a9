"""Per-process limits on heavy steps inside the API (full-size decodes), so a few requests cannot take its
memory: each step has a few slots, a request waits a short while for one, then gets 503 with Retry-After."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio

from core.errors import BusyError


@asynccontextmanager
async def slot(state: Any, name: str, capacity: int, wait_s: float,
               busy: Callable[[], BusyError] | None = None) -> AsyncIterator[None]:
    """One of ``capacity`` slots named ``name`` on ``state`` (the app's, or a service's), waited for at most
    ``wait_s``; then ``busy()`` is raised (default: a BusyError naming the step, Retry-After 2 s)."""
    limiters = getattr(state, "slots", None)
    if limiters is None:
        limiters = state.slots = {}
    limiter = limiters.get(name)
    if limiter is None:  # made on first use: anyio objects belong to the running event loop
        limiter = limiters[name] = anyio.CapacityLimiter(max(1, capacity))
    holder = object()  # each use its own token, so one request may hold slots of several steps
    try:
        limiter.acquire_on_behalf_of_nowait(holder)  # a free slot is taken even with no time to wait
    except anyio.WouldBlock:
        try:
            with anyio.fail_after(max(0.0, wait_s)):
                await limiter.acquire_on_behalf_of(holder)
        except TimeoutError:
            raise (busy() if busy is not None else BusyError(
                f"the server is busy with other {name} requests; try again shortly", retry_after_s=2.0)) from None
    try:
        yield
    finally:
        limiter.release_on_behalf_of(holder)
