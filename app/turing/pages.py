"""The Turing-test pages besides the start page (which is in the shared nav list of app.api.routes.pages)."""

import anyio
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep
from app.api.routes.pages import PAGE_HEADERS, Page, render

router = APIRouter(include_in_schema=False)

# Each is shown with the nav bar's "Turing test" entry marked as the current page.
TURING_PAGES = {
    "/turing/trial": Page("/turing", "turing-trial.html", "Turing test"),
    "/turing/end": Page("/turing", "turing-end.html", "Turing test"),
    "/turing/results": Page("/turing", "turing-results.html", "Turing test"),
}


def _route(path: str, page: Page) -> None:
    async def show(settings: SettingsDep) -> HTMLResponse:
        body = await anyio.to_thread.run_sync(render, page, settings.max_upload_bytes)
        return HTMLResponse(body, headers=PAGE_HEADERS)

    show.__name__ = f"page_{page.file.removesuffix('.html').replace('-', '_')}"
    router.add_api_route(path, show, methods=["GET"], response_class=HTMLResponse)


for _path, _page in TURING_PAGES.items():
    _route(_path, _page)
