"""What the browser tests share: where Chromium is, the live server, screenshots, test photos."""

import importlib.util
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from core.settings import PROJECT_ROOT
from pretext.serve import Child, free_port, start_api
from tests.imagecorpus import photo
from tests.service_fixtures import run_redis, run_worker, wait_until, worker_env

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "Chromium not found at /usr/bin/chromium; install Debian's chromium to run browser tests"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
DOCS_IMG = PROJECT_ROOT / "docs" / "img"  # the README's screenshots, rewritten by every run
SHIPPED_MODELS = PROJECT_ROOT / "models" / "weights"
SHIPPED = ("colorization", "jigsaw", "rotation")
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000  # the longest any step may wait: a job on the tiny models takes well under a second

# Chromium logs every non-2xx response as a console error; the tests provoke some on purpose.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of (4\d\d|503)")


@dataclass
class LiveServer:
    url: str
    child: Child
    log: Path
    client: httpx.Client = field(repr=False)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def openapi_paths(self) -> dict[str, Any]:
        return self.client.get("/openapi.json").json()["paths"]

    def require(self, path: str, model: str) -> None:
        """Skip unless ``POST path`` exists and ``model`` is installed: the page's feature works."""
        if "post" not in self.openapi_paths().get(path, {}):
            pytest.skip(f"POST {path} is not in /openapi.json yet; this test runs once the endpoint exists")
        cards = self.client.get("/api/v1/models").json()["data"]
        if not any(c.get("name") == model and c.get("available") for c in cards):
            pytest.skip(f"the {model} model is not in the test models folder (tests/service_fixtures.py)")


@contextmanager
def live_stack(root: Path, models: Path, datasets_dir: Path | None = None) -> Iterator[LiveServer]:
    """A service of a test module's own, serving ``models``: its Redis, worker and uvicorn, their files in ``root``,
    stopped on leaving. For a page that needs models the session's server (the shipped ones) does not have. The
    worker reads ``datasets_dir`` when given (the API always offers the generated sample scenes)."""
    redis = run_redis(root / "redis")
    worker = child = client = None
    try:
        extra = {"datasets_dir": datasets_dir} if datasets_dir is not None else {}
        worker = run_worker(root.name, worker_env(redis.url, models, cache_dir=root / "cache", **extra),
                            root / "logs")
        env = worker_env(redis.url, models, turing_min_response_ms=0)
        env["DATABASE_URL"] = f"sqlite:///{root / 'turing.sqlite'}"
        env["PRETEXT_DATASETS_DIR"] = str(root / "no-datasets")  # the pages offer the generated sample scenes
        port = free_port()
        log = root / "api.log"
        with log.open("wb") as out:
            child = start_api("127.0.0.1", port, env, stdout=out)
        url = f"http://127.0.0.1:{port}"
        # A fresh connection per request, as the session's server's client (conftest.py says why).
        client = httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
        server = LiveServer(url, child, log, client)

        def up() -> bool:
            if not child.alive():
                pytest.fail(f"uvicorn exited with code {child.proc.returncode}:\n{server.tail()}")
            try:
                return client.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until("uvicorn to answer /healthz", up, 60, interval_s=0.2)
        yield server
    finally:
        if client is not None:
            client.close()
        if child is not None:
            child.stop(grace_s=10)
        if worker is not None:
            worker.stop()
        redis.stop()


def open_page(browser: Any, server: LiveServer, request: pytest.FixtureRequest, viewport: dict) -> Iterator[Any]:
    """A fresh page on ``server``, as the session's ``page`` fixture: script errors fail the test."""
    context = browser.new_context(base_url=server.url, device_scale_factor=1, viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    pg.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
          if msg.type == "error" and not EXPECTED_CONSOLE.search(msg.text) else None)
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot(pg, f"FAILED-{request.node.name}")
    context.close()
    if problems and not (report is not None and report.failed):
        pytest.fail("the page reported errors:\n" + "\n".join(problems))


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def shot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name(name)}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def save_screenshot(pg: Any, name: str, show: str | None = None) -> Path:
    """docs/img/NAME-desktop.png or NAME-phone.png (by the page's width): what the screen shows, not the
    whole page, scrolled so that the element ``show`` starts at the top when given, without the focus
    ring of the control the test used last. Palette PNGs keep the committed images small (docs/img
    stays under ~3 MB)."""
    width = pg.viewport_size["width"]
    path = DOCS_IMG / f"{name}-{'phone' if width <= PHONE['width'] else 'desktop'}.png"
    if show:
        pg.locator(show).first.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        pg.wait_for_timeout(100)
    focused = pg.evaluate_handle("() => { const el = document.activeElement; el?.blur(); return el; }")
    data = pg.screenshot(animations="disabled", caret="hide")
    focused.evaluate("(el) => el?.focus?.({preventScroll: true})")
    focused.dispose()
    if show:
        pg.evaluate("window.scrollTo(0, 0)")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path


def screenshots(pg: Any, name: str, docs: str | None = None, show: str | None = None,
                phone_show: str | None = None) -> None:
    """Full-page screenshots at desktop and phone widths; at phone width nothing may overflow sideways.

    With ``docs``, the same two states also go to docs/img/DOCS-desktop.png and DOCS-phone.png (see
    save_screenshot), scrolled to ``show`` (on the phone to ``phone_show`` if given)."""
    shot(pg, f"{name}-desktop")
    if docs:
        save_screenshot(pg, docs, show)
    pg.set_viewport_size(PHONE)
    pg.wait_for_timeout(300)  # let layout and canvases settle at the new width
    overflow = pg.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    shot(pg, f"{name}-phone")
    if docs:
        save_screenshot(pg, docs, phone_show or show)
    pg.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than a 390 px phone screen"


def shipped_models_ready() -> bool:
    """Whether models/weights holds every shipped model with its card (they are committed)."""
    return all((SHIPPED_MODELS / f"{m}.onnx").is_file() and (SHIPPED_MODELS / f"{m}.json").is_file()
               for m in SHIPPED)


def shipped_serves_every_task() -> bool:
    """Whether models/weights has the card of every registered task's model (a new task's may not be yet)."""
    from core.tasks import all_tasks

    return all((SHIPPED_MODELS / f"{spec.model}.json").is_file() for spec in all_tasks())


def merged_models(tiny: Path, target: Path) -> Path:
    """``target`` holding links to the tiny models, the shipped ones in their place where there are any."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in (tiny, SHIPPED_MODELS):
        for file in folder.iterdir():
            if file.is_file():
                link = target / file.name
                link.unlink(missing_ok=True)
                link.symlink_to(file.resolve())
    return target


def fake_openapi(live_server: LiveServer, without: str) -> str:
    """The server's /openapi.json with one path removed: the page then thinks the endpoint is missing."""
    spec = live_server.client.get("/openapi.json").json()
    spec["paths"].pop(without, None)
    return json.dumps(spec)


def png_photo(w: int = 150, h: int = 100, seed: int = 0) -> bytes:
    """A smooth colourful PNG (lossless, so the browser and the server see the same pixels)."""
    buf = io.BytesIO()
    Image.fromarray(photo(w, h, seed)).save(buf, format="PNG")
    return buf.getvalue()


def docs_photo(file: str, long_side: int = 384, turn: int = 0) -> bytes:
    """A photo scikit-image ships in its wheel (public domain or CC0: astronaut.png, coffee.png, chelsea.png,
    rocket.jpg), as PNG bytes with its long side ``long_side``, turned ``turn`` degrees counter-clockwise:
    the photos of the README's screenshots, which may not show the datasets' photos. A generated one where
    scikit-image is missing."""
    spec = importlib.util.find_spec("skimage")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / file if spec else None
    if path is None or not path.is_file():
        return png_photo(long_side, long_side * 2 // 3)
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        im = im.rotate(turn, expand=True) if turn else im
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        return buf.getvalue()


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
