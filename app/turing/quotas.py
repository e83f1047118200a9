"""The Turing test's rate limits and quotas, counted in Redis so that every API replica shares them.

Moving windows of the ``limits`` package: in Redis when REDIS_URL is set, else in this process's memory
(``make run`` without Redis, the tests). Keys are opaque strings: a client address, a participant id, a
cookie's hash.
"""

import logging
import time

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from app.services.limits_storage import limits_storage
from core.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "pretext-turing-limits"
ADDRESS_SESSIONS_FACTOR = 20  # sessions per client address per hour, as a multiple of the per-participant quota


class Quotas:
    """Each limit of the Turing routes; ``wait`` counts an event and says how long to wait if over."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or limits_storage(settings, KEY_PREFIX)
        self.limiter = MovingWindowRateLimiter(self.storage)
        per_hour = max(1, settings.turing_sessions_per_hour)
        self.votes = RateLimitItemPerMinute(max(1, settings.turing_votes_per_minute), namespace="votes")
        self.sessions = RateLimitItemPerHour(per_hour, namespace="sessions")
        self.sessions_per_address = RateLimitItemPerHour(per_hour * ADDRESS_SESSIONS_FACTOR,
                                                         namespace="sessions-address")
        self.new_participants = RateLimitItemPerHour(max(1, settings.turing_new_participants_per_hour),
                                                     namespace="participants-address")

    def wait(self, item: RateLimitItem, key: str) -> float:
        """0 when the event is allowed (and counted), else the seconds until it would be."""
        try:
            if self.limiter.hit(item, key):
                return 0.0
            reset = self.limiter.get_window_stats(item, key).reset_time
        except StorageError:
            # Votes and sessions live in the database, not Redis: without Redis they go on, unlimited, rather
            # than the whole test stopping; the log says so.
            logger.warning("the Turing-test rate limits cannot reach Redis; this request is not limited",
                           exc_info=True)
            return 0.0
        return max(1.0, reset - time.time())
