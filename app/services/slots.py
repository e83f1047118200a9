"""Per-process limits on heavy steps inside the API (full-size decodes), so a few requests cannot take its
memory: each step has a few slots, a request waits a short while for one, then gets 503 with Retry-After."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from core.errors import BusyError


@asynccontextmanager
async def slot(state: Any, name: str, capacity: int, wait_s: float, retry_after_s: float = 2.0) -> AsyncIterator[None]:
    """One of ``capacity`` slots named ``name`` on the app's ``state``, waited for at most ``wait_s``."""
    limiters = getattr(state, "slots", None)
    if limiters is None:
        limiters = state.slots = {}
    limiter = limiters.get(name)
    if limiter is None:  # made on first use: anyio objects belong to the running event loop
        limiter = limiters[name] = anyio.CapacityLimiter(max(1, capacity))
    try:
        with anyio.fail_after(wait_s):
            await limiter.acquire()
    except TimeoutError:
        raise BusyError(f"the server is busy with other {name} requests; try again shortly",
                        retry_after_s=retry_after_s) from None
    try:
        yield
    finally:
        limiter.release()
