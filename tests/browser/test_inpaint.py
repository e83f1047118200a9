"""The inpainting page in Chromium: paint a hole (mouse, and a finger on a phone), undo it, fill it with both
models through the real service, and compare the original with each fill.

The session's live server serves the shipped models (models/weights) when the colorization, jigsaw and
rotation ones are there, and those have no inpainting model until one is trained and exported; this module
then runs a service of its own (Redis, worker, uvicorn) on a models folder holding the tiny untrained
models with any shipped ones over them, so it tests the page against the real API either way.
"""

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from core.tasks.inpainting import CARDS
from pretext.serve import free_port, start_api
from tests.browser.helpers import (
    DESKTOP,
    DOCS_IMG,
    EXPECTED_CONSOLE,
    PHONE,
    TIMEOUT_MS,
    LiveServer,
    docs_photo,
    merged_models,
    png_photo,
    png_pixels,
    save_screenshot,
    screenshots,
    shot,
)
from tests.browser.test_pages import UNLABELLED
from tests.service_fixtures import run_redis, run_worker, wait_until, worker_env

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDPOINT = "/api/v1/inpainting"
FILL_TIMEOUT_MS = 90_000  # two jobs, one after the other on the one worker, the first loading its model
BRUSH = 28  # the page's default brush, in CSS pixels

# The painted strokes canvas: how many pixels are painted, and whether photo pixel (x, y) is.
PAINTED = """() => { const c = document.getElementById('strokes');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1; return n; }"""
PAINTED_AT = """([x, y]) => document.getElementById('strokes').getContext('2d')
  .getImageData(Math.floor(x), Math.floor(y), 1, 1).data[3] > 0"""
# Chromium does not tell Playwright the bodies of requests holding blobs, so the page's multipart forms are
# recorded as sent: window.sentForms, one promise per form of {field: text, or a data: URL for a file}.
RECORD_FORMS = """(() => {
  window.sentForms = [];
  const read = (blob) => new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    if (body instanceof FormData) {
      const fields = [...body.entries()];
      window.sentForms.push(Promise.all(fields.map(async ([k, v]) => [k, v instanceof Blob ? await read(v) : v]))
        .then(Object.fromEntries));
    }
    return send.call(this, body);
  };
})();"""
# An <img> has loaded and has the given natural size.
LOADED = """([id, w, h]) => { const img = document.getElementById(id);
  return img.complete && img.naturalWidth === w && img.naturalHeight === h; }"""


# ---- the service: the session's when it has the inpainting models, else this module's own ----------


def has_inpainting(models: Path) -> bool:
    return all((models / f"{card}.json").is_file() for card in CARDS.values())


@pytest.fixture(scope="module")
def inpaint_server(request: pytest.FixtureRequest, chromium: Path, browser_models_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if has_inpainting(browser_models_dir):
        yield request.getfixturevalue("live_server")
        return
    models = merged_models(request.getfixturevalue("tiny_models_dir"), tmp_path_factory.mktemp("inpaint-models"))
    assert has_inpainting(models), "training/tiny_models.py made no inpainting models"
    redis = run_redis(tmp_path_factory.mktemp("inpaint-redis"))
    worker = None
    child = None
    try:
        worker = run_worker("inpaint", worker_env(redis.url, models), tmp_path_factory.mktemp("inpaint-logs"))
        env = worker_env(redis.url, models)
        env["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('inpaint-db') / 'turing.sqlite'}"
        env["PRETEXT_DATASETS_DIR"] = str(tmp_path_factory.mktemp("inpaint-no-datasets"))  # generated samples
        port = free_port()
        log = tmp_path_factory.mktemp("inpaint-uvicorn") / "api.log"
        with log.open("wb") as out:
            child = start_api("127.0.0.1", port, env, stdout=out)
        url = f"http://127.0.0.1:{port}"
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
        client.close()
    finally:
        if child is not None:
            child.stop(grace_s=10)
        if worker is not None:
            worker.stop()
        redis.stop()


def open_page(browser: Any, server: LiveServer, request: pytest.FixtureRequest, **options: Any) -> Iterator[Any]:
    """A fresh page on ``server``, as the session's ``page`` fixture: script errors fail the test."""
    context = browser.new_context(base_url=server.url, device_scale_factor=1, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_FORMS)
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


@pytest.fixture
def ipage(browser: Any, inpaint_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_page(browser, inpaint_server, request, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Any, inpaint_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone-sized page with a touch screen (pointer events of type touch)."""
    yield from open_page(browser, inpaint_server, request, viewport=PHONE, has_touch=True, is_mobile=True)


# ---- steps ------------------------------------------------------------------------------------------


def upload(page: Any, data: bytes, name: str = "photo.png") -> tuple[int, int]:
    """Choose the PNG ``data``; its (width, height)."""
    page.set_input_files("#file", files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    expect(page.locator("#paint")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Paint over the part")
    return Image.open(io.BytesIO(data)).size


def photo_box(page: Any) -> dict[str, float]:
    page.locator("#strokes").scroll_into_view_if_needed()
    return page.locator("#strokes").bounding_box()


def mouse_stroke(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag the mouse from ``start`` to ``end``, given as fractions of the shown photo."""
    box = photo_box(page)

    def at(f: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + f[0] * box["width"], box["y"] + f[1] * box["height"]

    page.mouse.move(*at(start))
    page.mouse.down()
    page.mouse.move(*at(end), steps=12)
    page.mouse.up()


def touch_stroke(page: Any, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """A finger dragged from ``start`` to ``end`` (fractions of the shown photo), as real touch events."""
    box = photo_box(page)
    cdp = page.context.new_cdp_session(page)
    points = [{"x": box["x"] + (start[0] + (end[0] - start[0]) * i / steps) * box["width"],
               "y": box["y"] + (start[1] + (end[1] - start[1]) * i / steps) * box["height"]} for i in range(steps + 1)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
    for point in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def sent_forms(page: Any) -> list[dict[str, bytes]]:
    """The multipart forms the page has sent (RECORD_FORMS), each field's bytes by name."""
    def decode(value: str) -> bytes:
        return base64.b64decode(value.split(",", 1)[1]) if value.startswith("data:") else value.encode()

    return [{k: decode(v) for k, v in form.items()} for form in page.evaluate("() => Promise.all(window.sentForms)")]


def press_fill(page: Any, size: tuple[int, int]) -> list[Any]:
    """Press Fill and wait for both fills; the two submissions (requests)."""
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith(ENDPOINT) else None)
    page.get_by_role("button", name="Fill", exact=True).click()
    w, h = size
    for key in ("original", "l2", "adversarial"):
        page.wait_for_function(LOADED, arg=[key, w, h], timeout=FILL_TIMEOUT_MS)
    expect(page.locator("#l2")).to_be_visible()
    expect(page.locator("#adversarial")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Both fills are done")
    expect(page.locator("#alert")).to_be_empty()
    assert len(posts) == 2, [p.url for p in posts]
    return posts


def check_submissions(page: Any, server: LiveServer, posts: list[Any], size: tuple[int, int],
                      inside: tuple[float, float], outside: tuple[float, float]) -> None:
    """One submission per model, each with the painted mask: a PNG of the photo's size, white on black,
    white at ``inside`` and black at ``outside`` (fractions of the photo); each job filled that hole."""
    w, h = size
    forms = sent_forms(page)[-2:]
    models = []
    for post, fields in zip(posts, forms, strict=True):
        models.append(fields["model"].decode())
        mask = Image.open(io.BytesIO(fields["mask"]))
        assert mask.format == "PNG" and mask.size == size
        gray = np.asarray(mask.convert("L"))
        assert gray[int(inside[1] * h), int(inside[0] * w)] == 255
        assert gray[int(outside[1] * h), int(outside[0] * w)] == 0
        assert Image.open(io.BytesIO(fields["image"])).size == size
        job = server.client.get(post.response().json()["links"]["self"]).json()
        assert job["status"] == "succeeded", job
        assert job["result"]["source"] == "mask"
        assert (job["result"]["width"], job["result"]["height"]) == size
        assert job["result"]["hole_pixels"] == int((gray >= 128).sum())
    assert sorted(models) == ["adversarial", "l2"]


def compare_pixels(page: Any, split: int) -> np.ndarray:
    page.locator("#split").fill(str(split))
    expect(page.locator("#split-value")).to_have_text(f"{split}%")
    return png_pixels(page.locator("#compare").screenshot(animations="disabled"))


def check_slider(page: Any) -> None:
    """At 100% the view shows the original, at 0% the chosen fill: they differ (in the hole), a drag moves
    the divider, and choosing the other fill shows that one."""
    expect(page.locator("#compare-after")).to_have_attribute("src", page.locator("#l2").get_attribute("src"))
    original = compare_pixels(page, 100)
    filled = compare_pixels(page, 0)
    changed = np.abs(original.astype(int) - filled.astype(int)).max(axis=-1) > 24
    assert changed.mean() > 0.002, "the slider does not change what is shown"
    assert page.locator("#compare-before").evaluate("(el) => el.style.clipPath") == "inset(0px 100% 0px 0px)"

    page.locator("#compare").scroll_into_view_if_needed()
    box = page.locator("#compare").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    assert abs(int(page.locator("#split").input_value()) - 75) <= 1
    expect(page.locator("#split")).to_have_attribute("aria-valuetext", re.compile(r"% original, \d+% L2 fill$"))

    page.get_by_label("the adversarial fill").check()
    expect(page.locator("#compare-after")).to_have_attribute(
        "src", page.locator("#adversarial").get_attribute("src"))
    expect(page.locator("#compare-tag-right")).to_have_text("adversarial fill")
    page.get_by_label("the L2 fill").check()


# ---- tests ------------------------------------------------------------------------------------------


def test_paint_undo_fill_and_compare_on_a_desktop(ipage, inpaint_server):
    inpaint_server.require(ENDPOINT, "inpainting")
    page = ipage
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith(ENDPOINT) else None)
    page.goto("/inpainting")
    size = upload(page, docs_photo("chelsea.png", long_side=480), "chelsea.png")
    w, h = size
    assert page.locator("#strokes").evaluate("(c) => [c.width, c.height]") == [w, h]
    fill = page.get_by_role("button", name="Fill", exact=True)

    # Nothing painted: Fill is marked unavailable (aria-disabled, which Playwright will not click without
    # force), yet still takes a press, which says why and sends nothing.
    expect(fill).to_have_attribute("aria-disabled", "true")
    # A click event on the button itself: a forced pointer click can land before the layout has settled.
    fill.dispatch_event("click")
    expect(page.locator("#alert")).to_contain_text("Nothing is painted yet")
    page.wait_for_timeout(300)
    assert posts == []

    # A mouse stroke lands on the photo pixels under it; undo takes it back.
    mouse_stroke(page, (0.4, 0.35), (0.62, 0.5))
    expect(page.locator("#status")).to_contain_text("1 stroke painted")
    assert page.evaluate(PAINTED) > 0
    assert page.evaluate(PAINTED_AT, [0.5 * w, 0.425 * h]) and not page.evaluate(PAINTED_AT, [0.1 * w, 0.9 * h])
    expect(fill).to_have_attribute("aria-disabled", "false")
    page.get_by_role("button", name="Undo").click()
    assert page.evaluate(PAINTED) == 0
    expect(page.locator("#status")).to_contain_text("Nothing is painted any more")
    expect(fill).to_have_attribute("aria-disabled", "true")
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    fill.click(force=True)
    expect(page.locator("#alert")).to_contain_text("Nothing is painted yet")
    assert posts == []

    # Two strokes, undo the second: the first one is what gets filled.
    mouse_stroke(page, (0.4, 0.35), (0.62, 0.5))
    painted = page.evaluate(PAINTED)
    mouse_stroke(page, (0.1, 0.85), (0.2, 0.9))
    assert page.evaluate(PAINTED) > painted
    page.keyboard.press("Control+z")
    assert page.evaluate(PAINTED) == painted
    expect(page.locator("#status")).to_contain_text("1 stroke painted")

    posts.clear()
    check_submissions(page, inpaint_server, press_fill(page, size), size, inside=(0.5, 0.425), outside=(0.15, 0.88))
    check_slider(page)
    # The network's own window is linked, and served.
    href = page.locator("#l2-window").get_attribute("href")
    assert re.fullmatch(r"/api/v1/jobs/[0-9a-f]{32}/fill", href), href
    window = inpaint_server.client.get(href)
    assert window.status_code == 200 and window.headers["content-type"] == "image/png"

    screenshots(page, "inpaint-filled")
    path = save_screenshot(page, "inpaint", show="#paint")
    path.replace(DOCS_IMG / "inpaint.png")  # the README's one screenshot of this page, at desktop size


def test_paint_with_the_mouse_and_a_finger_and_fill_on_a_phone(phone, inpaint_server):
    inpaint_server.require(ENDPOINT, "inpainting")
    page = phone
    page.goto("/inpainting")
    size = upload(page, png_photo(301, 217, seed=3), "odd-size.png")
    w, h = size
    shown = page.locator("#strokes").bounding_box()
    assert shown["width"] < PHONE["width"] and shown["width"] != w  # scaled to the screen: coordinates are mapped
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0

    mouse_stroke(page, (0.3, 0.3), (0.45, 0.35))
    by_mouse = page.evaluate(PAINTED)
    assert by_mouse > 0 and page.evaluate(PAINTED_AT, [0.375 * w, 0.325 * h])
    touch_stroke(page, (0.55, 0.6), (0.75, 0.7))
    expect(page.locator("#status")).to_contain_text("2 strokes painted")
    assert page.evaluate(PAINTED) > by_mouse
    assert page.evaluate(PAINTED_AT, [0.65 * w, 0.65 * h]) and not page.evaluate(PAINTED_AT, [0.9 * w, 0.1 * h])
    # The finger painted instead of scrolling the page.
    assert page.locator("#strokes").evaluate("(c) => getComputedStyle(c).touchAction") == "none"

    # Undo removes the finger's stroke; the mouse's stays.
    page.get_by_role("button", name="Undo").click()
    assert page.evaluate(PAINTED) == by_mouse
    assert not page.evaluate(PAINTED_AT, [0.65 * w, 0.65 * h])
    touch_stroke(page, (0.55, 0.6), (0.75, 0.7))

    posts = press_fill(page, size)
    check_submissions(page, inpaint_server, posts, size, inside=(0.65, 0.65), outside=(0.9, 0.1))
    expect(page.locator("#results")).to_be_visible()
    check_slider(page)
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "inpaint-phone-filled")


def test_a_mask_the_api_refuses_is_explained(ipage):
    # A real refusal from the real API: a mask over the whole photo leaves nothing to fill the hole from.
    detail = "the mask covers the whole photo"
    ipage.goto("/inpainting")
    upload(ipage, png_photo(24, 16, seed=1))
    ipage.locator("#brush").fill("96")
    for y in np.linspace(0.0, 1.0, 26):  # the brush is sized on screen: stroke the photo row by row
        mouse_stroke(ipage, (0.0, float(y)), (1.0, float(y)))
    assert all(ipage.evaluate(PAINTED_AT, [x, y]) for x in range(24) for y in range(16))
    ipage.get_by_role("button", name="Fill", exact=True).click()
    expect(ipage.locator("#alert")).to_contain_text("Neither fill worked.")
    expect(ipage.locator("#alert")).to_contain_text(detail[0].upper() + detail[1:])
    expect(ipage.locator("#l2-figure")).to_have_attribute("data-state", "failed")
    expect(ipage.locator("#adversarial-figure")).to_have_attribute("data-state", "failed")
    expect(ipage.get_by_role("button", name="Fill", exact=True)).to_be_enabled()  # fix the mask and try again


@pytest.mark.parametrize("path", ["/inpainting", "/inpaint"])
def test_the_page_has_the_nav_bar_samples_and_labelled_controls(ipage, path):
    page = ipage
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/inpainting$"))
    assert page.title().endswith("Pretext Lab")
    expect(page.locator("h1")).to_have_count(1)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator('a[href="/inpainting"]')).to_have_attribute("aria-current", "page")
    expect(nav.locator('a[href="/inpainting"]')).to_have_text("Inpaint")
    expect(page.locator("#alert")).to_have_attribute("role", "alert")
    expect(page.locator("#status")).to_have_attribute("aria-live", "polite")
    page.locator(".sample").first.click()  # a sample photo opens the painting area as an upload does
    expect(page.locator("#paint")).to_be_visible()
    assert page.locator("#strokes").evaluate("(c) => c.width > 1 && c.height > 1")
    assert page.evaluate(UNLABELLED) == []
    for name in ("Undo", "Clear", "Mark the centre", "Fill"):
        assert page.get_by_role("button", name=name, exact=True).evaluate("(el) => el.tagName") == "BUTTON"
    expect(page.get_by_label("Brush size")).to_have_attribute("type", "range")


def test_the_home_page_has_a_card_for_inpainting(ipage):
    ipage.goto("/")
    link = ipage.get_by_role("link", name="Fill a hole", exact=True)
    expect(link).to_have_attribute("href", "/inpainting")
    link.click()
    expect(ipage.locator("h1")).to_have_text("Fill a hole in a photo")
