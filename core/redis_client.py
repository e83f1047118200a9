"""The one place Redis clients are built, so the API, the workers and the CLI share one set of timeouts."""

import redis
import redis.asyncio as aioredis

from core.errors import ServiceUnavailableError
from core.settings import Settings

NOT_CONFIGURED = "REDIS_URL is not set, so there is no job queue; start the service with `make run`"


def _options(settings: Settings) -> dict[str, float]:
    return {"socket_timeout": settings.redis_timeout_s, "socket_connect_timeout": settings.redis_timeout_s}


def _url(settings: Settings) -> str:
    if not settings.redis_url:
        raise ServiceUnavailableError(NOT_CONFIGURED)
    return settings.redis_url


def sync_redis(settings: Settings) -> redis.Redis:
    """A blocking client (workers, CLI, the API's submission thread); reconnects by itself after a fork."""
    return redis.Redis.from_url(_url(settings), **_options(settings))


def async_redis(settings: Settings) -> aioredis.Redis:
    """An asyncio client (the API's reads and waits)."""
    return aioredis.Redis.from_url(_url(settings), **_options(settings))
