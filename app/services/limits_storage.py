"""Where the API's rate limits and quotas count (the ``limits`` package): Redis, so every replica shares them."""

from limits.storage import Storage, storage_from_string

from core.settings import Settings


def limits_storage(settings: Settings, key_prefix: str) -> Storage:
    """Redis storage when REDIS_URL is set (the same timeouts as core.redis_client), else this process's
    memory (``make run`` without Redis, some tests)."""
    if not settings.redis_url:
        return storage_from_string("memory://")
    timeout = settings.redis_timeout_s
    return storage_from_string(settings.redis_url, key_prefix=key_prefix, wrap_exceptions=True,
                               socket_timeout=timeout, socket_connect_timeout=timeout)
