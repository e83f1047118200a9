"""The browser pages: HTML from ``frontend/pages`` with the shared nav bar, static assets, sample photos."""

# The pages are plain HTML files with two placeholders filled in here: the nav bar (one list, so a
# new page such as the Turing test adds one entry) and the upload limit the scripts check against.
# Everything a page loads comes from this server (the CSP below says so), so they work offline.

import html
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import SettingsDep
from app.services.samples import find_sample, list_samples, sample_jpeg
from core.settings import PROJECT_ROOT
from core.tasks import all_tasks
from core.tasks.spec import Page

FRONTEND_DIR = PROJECT_ROOT / "frontend"
STATIC_DIR = FRONTEND_DIR / "static"
STATIC_PREFIX = "/static"
NAV_MARK = "<!--nav-->"
LIMIT_MARK = "{{max_upload_bytes}}"

# Scripts and styles from this origin only; images also from blob:/data: URLs the scripts make.
CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


# Home first, then each registered task's page, then the Turing test.
PAGES: tuple[Page, ...] = (
    Page("/", "home.html", "Home"),
    *(spec.page for spec in all_tasks() if spec.page is not None),
    Page("/turing", "turing.html", "Turing test"),
)

router = APIRouter(include_in_schema=False)


def nav_html(current: str) -> str:
    """The nav bar's links, the current page marked for screen readers and the stylesheet."""
    items = []
    for page in PAGES:
        here = ' aria-current="page"' if page.path == current else ""
        items.append(f'<li><a href="{page.path}"{here}>{html.escape(page.label)}</a></li>')
    return (
        '<nav class="site-nav" aria-label="Main">'
        '<a class="brand" href="/"><svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">'
        '<rect x="2" y="2" width="9" height="9" rx="2" class="brand-a"/>'
        '<rect x="13" y="2" width="9" height="9" rx="2" class="brand-b"/>'
        '<rect x="2" y="13" width="9" height="9" rx="2" class="brand-c"/>'
        '<rect x="13" y="13" width="9" height="9" rx="2" class="brand-d"/></svg>Pretext Lab</a>'
        f'<ul>{"".join(items)}</ul></nav>'
    )


def render(page: Page, max_upload_bytes: int, root: Path = FRONTEND_DIR) -> str:
    """The page's HTML with the nav bar and the upload limit filled in."""
    text = (root / "pages" / page.file).read_text(encoding="utf-8")
    return text.replace(NAV_MARK, nav_html(page.path)).replace(LIMIT_MARK, str(int(max_upload_bytes)))


def _page_route(page: Page) -> None:
    async def show(settings: SettingsDep) -> HTMLResponse:
        body = await anyio.to_thread.run_sync(render, page, settings.max_upload_bytes)
        return HTMLResponse(body, headers=PAGE_HEADERS)

    show.__name__ = f"page_{page.file.removesuffix('.html')}"
    router.add_api_route(page.path, show, methods=["GET"], response_class=HTMLResponse)
    for alias in page.aliases:
        async def moved(request: Request, target: str = page.path) -> RedirectResponse:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(target + query, status_code=308)  # an older page name: bookmarks keep working

        router.add_api_route(alias, moved, methods=["GET"], response_class=RedirectResponse)


for _page in PAGES:
    _page_route(_page)


@router.get("/samples")
async def samples(settings: SettingsDep) -> dict[str, Any]:
    """The sample photos the pages offer: id, title, where it comes from and its URL."""
    items = await anyio.to_thread.run_sync(list_samples, settings.datasets_dir)
    data = [{"id": s.id, "title": s.title, "source": s.source, "url": f"/samples/{s.id}.jpg"} for s in items]
    return {"data": data, "count": len(data)}


@router.get("/samples/{name}.jpg", response_class=Response)
async def sample(name: str, settings: SettingsDep) -> Response:
    """One sample photo as a JPEG (long side at most 512 px)."""
    found = await anyio.to_thread.run_sync(find_sample, settings.datasets_dir, name)
    if found is None:
        raise HTTPException(404, f"no sample photo {name!r}")
    data = await anyio.to_thread.run_sync(sample_jpeg, found)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


def static_files() -> StaticFiles:
    """The app mounts this at STATIC_PREFIX: stylesheet, scripts and icons."""
    return StaticFiles(directory=STATIC_DIR)


# A wrong address typed or followed in a browser gets a page with a way home, not {"detail":"Not Found"}.
# No nav entry is marked current on it (its path matches none).
NOT_FOUND_PAGE = Page("", "not-found.html", "Not found")


def wants_html(request: Request) -> bool:
    """A browser asking for a page: it accepts HTML, and the path is not under /api (which always answers JSON)."""
    path = request.url.path
    return "text/html" in request.headers.get("accept", "") and not (path == "/api" or path.startswith("/api/"))


async def not_found_page(request: Request, exc: Exception) -> Response:
    """The app's handler of HTTP errors: the styled 404 page for browsers, FastAPI's JSON answer otherwise."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and wants_html(request):
        body = await anyio.to_thread.run_sync(render, NOT_FOUND_PAGE, request.app.state.settings.max_upload_bytes)
        return HTMLResponse(body, status_code=404, headers=PAGE_HEADERS)
    return await http_exception_handler(request, exc)


# ReDoc's bundle (served by fastapi-offline) shows Redocly's logo from cdn.redoc.ly in its menu; this policy
# keeps that one request from leaving the machine (the logo just does not appear), and allows what ReDoc
# needs: its script from here, the inline styles it writes and a search worker from a blob: URL.
REDOC_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
             "worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'")


class RedocPolicy:
    """ASGI middleware: the Content-Security-Policy above on the ReDoc page (``path``), nothing else touched."""

    def __init__(self, app: ASGIApp, path: str = "/redoc") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("content-security-policy", REDOC_CSP)
            await send(message)

        await self.app(scope, receive, send_with_policy)
