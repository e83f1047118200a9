"""Errors of the job service, shared by the API and the workers; the API maps them to HTTP."""

from models.errors import PretextError


class JobNotFoundError(PretextError):
    """No job with this id (never existed, or expired)."""


class JobStateError(PretextError):
    """The job exists but cannot do what was asked in its current state (e.g. no result yet)."""


class ServiceUnavailableError(PretextError):
    """Redis or the task queue cannot be reached, or the service is not configured."""
