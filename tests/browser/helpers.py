"""What the browser tests share: where Chromium is, the live server, screenshots, test photos."""

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from models.settings import PROJECT_ROOT
from pretext.serve import Child
from tests.imagecorpus import photo

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "Chromium not found at /usr/bin/chromium; install Debian's chromium to run browser tests"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 900}
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


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def shot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name(name)}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def screenshots(pg: Any, name: str) -> None:
    """Full-page screenshots at desktop and phone widths; at phone width nothing may overflow sideways."""
    shot(pg, f"{name}-desktop")
    pg.set_viewport_size(PHONE)
    pg.wait_for_timeout(300)  # let layout and canvases settle at the new width
    overflow = pg.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    shot(pg, f"{name}-phone")
    pg.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than a 390 px phone screen"


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


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
