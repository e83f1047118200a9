"""Domain errors of the whole project (models, jobs, storage); the API maps them to HTTP in one place."""


class PretextError(Exception):
    """Base class of every error this project raises on purpose."""


class ImageError(PretextError):
    """An uploaded file cannot be used as an image."""


class NotAnImageError(ImageError):
    """The bytes are not an image in a supported format."""


class UnsupportedImageError(ImageError):
    """An image in a format or mode this project does not handle."""


class TruncatedImageError(ImageError):
    """The image data ends early or is corrupt."""


class ImageTooLargeError(ImageError):
    """The image has more pixels than allowed (decompression bomb guard)."""


class BadParameterError(PretextError):
    """A parameter is out of its allowed range."""


class ModelNotAvailableError(PretextError):
    """A model file or card is missing or unreadable."""


class DatasetNotFoundError(PretextError):
    """A dataset split is not where the settings say it is."""


class OutputError(PretextError):
    """A result cannot be written where the user asked."""


class JobNotFoundError(PretextError):
    """No job with this id (never existed, or expired)."""


class JobStateError(PretextError):
    """The job exists but cannot do what was asked in its current state (e.g. no result yet)."""


class ServiceUnavailableError(PretextError):
    """Redis or the task queue cannot be reached, or the service is not configured."""


class RetryLaterError(PretextError):
    """A refusal that passes by itself: ``retry_after_s`` says when to try again (the API's Retry-After)."""

    default_retry_after_s = 1.0

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = self.default_retry_after_s if retry_after_s is None else retry_after_s


class BusyError(RetryLaterError, ServiceUnavailableError):
    """The service is at capacity for this kind of request."""


class QuotaExceededError(RetryLaterError):
    """The client has used its allowance for now; it renews after ``retry_after_s``."""

    default_retry_after_s = 60.0
