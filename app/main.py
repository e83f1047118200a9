"""The FastAPI application factory (``uvicorn app.main:create_app --factory``)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.errors import install_error_handlers
from app.api.main import api_router
from app.api.routes import health, pages
from app.api.schemas import API_PREFIX
from app.metrics import HttpMetrics
from app.middleware import BodyLimitMiddleware, MetricsMiddleware
from app.services.addresses import parse_proxies
from app.services.jobs import AsyncJobStore
from app.services.pixel_quota import PixelQuota
from app.turing import pages as turing_pages
from core.celery_config import make_celery
from core.redis_client import async_redis, sync_redis
from core.settings import Settings, get_settings
from core.store import JobStore

MULTIPART_SLACK = 64 * 1024  # room for the multipart framing and the small form fields


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app for ``settings`` (default: from the environment); Redis connects in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = sync_client = None
        if settings.redis_url:
            client, sync_client = async_redis(settings), sync_redis(settings)
            app.state.store = AsyncJobStore(client, settings.job_ttl_s)
            app.state.jobs = JobStore(sync_client, settings.job_ttl_s)
            app.state.celery = make_celery(settings)
        try:
            yield
        finally:
            if client is not None:
                await client.aclose()
            if sync_client is not None:
                sync_client.close()
            if app.state.celery is not None:
                app.state.celery.close()

    # /docs and /redoc load Swagger UI and ReDoc from this server (fastapi-offline ships them), never a CDN.
    app = FastAPIOffline(title="pretext-lab", summary="What self-supervised pretext tasks teach a network",
                         lifespan=lifespan, favicon_url="/static/img/favicon.svg")
    app.state.settings = settings
    app.state.proxies = parse_proxies(settings.trusted_proxies)  # whose X-Forwarded-For counts: app.api.deps
    app.state.pixel_quota = PixelQuota(settings)
    app.state.metrics = HttpMetrics()
    app.state.store = None
    app.state.jobs = None
    app.state.celery = None
    install_error_handlers(app)
    app.add_exception_handler(StarletteHTTPException, pages.not_found_page)  # browsers get a page, not JSON
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(turing_pages.router)
    app.mount(pages.STATIC_PREFIX, pages.static_files(), name="static")
    app.add_middleware(pages.RedocPolicy)  # ReDoc makes no request beyond this server
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + MULTIPART_SLACK)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # outermost: counts the 413s too
    return app
