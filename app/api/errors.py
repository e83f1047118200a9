"""Every mapping from an error to an HTTP answer, in one place; bodies are always {"detail": ...}."""

import logging

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.turing.db import DATABASE_FAULTS, database_fault, first_line
from core.errors import (
    BadParameterError,
    ImageError,
    ImageTooLargeError,
    JobNotFoundError,
    JobStateError,
    ModelNotAvailableError,
    PretextError,
    QuotaExceededError,
    RetryLaterError,
    ServiceUnavailableError,
)

logger = logging.getLogger(__name__)

# First match wins, so subclasses come before their bases.
STATUS_OF: tuple[tuple[type[PretextError], int], ...] = (
    (ImageTooLargeError, 413),
    (QuotaExceededError, 429),
    (ImageError, 415),
    (BadParameterError, 422),
    (JobNotFoundError, 404),
    (JobStateError, 409),
    (ModelNotAvailableError, 503),
    (ServiceUnavailableError, 503),
)


def status_of(exc: PretextError) -> int:
    """The HTTP status of a domain error; unknown ones are the client's fault rather than a 500."""
    return next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PretextError)
    headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))} if isinstance(exc, RetryLaterError) else None
    return JSONResponse({"detail": str(exc) or type(exc).__name__}, status_code=status_of(exc), headers=headers)


async def _redis_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("Redis unreachable: %s", exc)
    return JSONResponse({"detail": "the job store (Redis) is unreachable; try again later"}, status_code=503)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A fault of the database that no route turned into its domain error: the same 503 with Retry-After."""
    logger.warning("database fault: %s: %s", type(exc).__name__, first_line(exc))
    return await _domain_error(request, database_fault(exc))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PretextError, _domain_error)
    app.add_exception_handler(redis.RedisError, _redis_error)
    for fault in DATABASE_FAULTS:
        app.add_exception_handler(fault, _database_error)
    app.add_exception_handler(Exception, _unexpected)
