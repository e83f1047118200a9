"""The pixels each client may submit per hour: a job's cost is its pixels, counted in Redis for every replica.

Fixed windows (``limits``' FixedWindowRateLimiter), because a hit's cost is added with one INCRBY; a moving
window would store one entry per unit of cost.
"""

import logging
import time

from limits import RateLimitItemPerHour
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from app.services.limits_storage import limits_storage
from core.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "pretext-pixels"


class PixelQuota:
    """``charge`` counts a job's pixels against its client's hourly allowance."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.limiter = FixedWindowRateLimiter(storage or limits_storage(settings, KEY_PREFIX))
        self.item = RateLimitItemPerHour(max(1, settings.pixels_per_client_per_hour), namespace="pixels")

    def charge(self, client: str, pixels: int) -> float:
        """0 when ``pixels`` fit the client's allowance (and are counted), else seconds until they would."""
        try:
            if self.limiter.hit(self.item, client, cost=max(1, pixels)):
                return 0.0
            reset = self.limiter.get_window_stats(self.item, client).reset_time
        except StorageError:
            # The job store is the same Redis: if it is down the submission fails anyway, with its own 503.
            logger.warning("the pixel quota cannot reach Redis; this upload is not counted", exc_info=True)
            return 0.0
        return max(1.0, reset - time.time())
