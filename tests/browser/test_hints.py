"""Colour hints on the colorize page (issue #32) in Chromium against the real service: the hint mode's popover,
a hint recolouring its region in the browser and undone by removing it, the palette, undo and clear, HINTS.json
saved and loaded, the full-size download, and the browser's hinted decoding against models/hints.py and the API's.
The other method, the hint network (a job on the server), on a service of this module's own whose models include
the tiny stand-in of the hint network; offered only where it is installed.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.settings import PROJECT_ROOT
from core.tasks.colorization import HINT_MODEL
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    LiveServer,
    docs_photo,
    live_stack,
    open_page,
    png_photo,
    png_pixels,
    shot,
)

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HINTS_JS = PROJECT_ROOT / "frontend" / "static" / "js" / "hints.js"

READ_AFTER = """() => {
  const c = document.getElementById('after');
  return {w: c.width, h: c.height, px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)};
}"""


def after_pixels(page) -> np.ndarray:
    data = page.evaluate(READ_AFTER)
    return np.array(data["px"], dtype=np.uint8).reshape(data["h"], data["w"], 4)[..., :3]


def ab_of(rgb: np.ndarray) -> np.ndarray:
    from models.color import rgb8_to_lab

    return rgb8_to_lab(np.asarray(rgb, dtype=np.uint8))[..., 1:]


def colorize(page, photo: bytes, name: str) -> None:
    page.goto("/colorization")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "image/png", "buffer": photo}])
    expect(page.locator("#status")).to_contain_text("Colorized in")
    expect(page.locator("#hints")).to_be_visible()


def hint_version(page) -> int:
    return int(page.locator("#after").get_attribute("data-hint-version") or 0)


def wait_recoloured(page, before: int) -> None:
    """Until the hints changed since version ``before`` are drawn, the second, exact pass included."""
    page.wait_for_function("""(v) => { const d = document.getElementById('after').dataset;
      return Number(d.hintVersion || 0) > v && d.hintsSettled === d.hintVersion; }""", arg=before)


def click_photo(page, fx: float, fy: float) -> None:
    """Click the photo at (fx, fy), shares of its width and height."""
    box = page.locator("#after").bounding_box()
    page.locator("#compare").click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def window(pixels: np.ndarray, x: int, y: int, r: int = 3) -> np.ndarray:
    return pixels[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].reshape(-1, 3)


def distance_to(pixels: np.ndarray, x: int, y: int, rgb: list[int]) -> float:
    """Mean ab distance of the pixels around (x, y) to the colour rgb."""
    return float(np.linalg.norm(ab_of(window(pixels, x, y)) - ab_of(np.array([rgb])), axis=-1).mean())


def job_id(page) -> str:
    return re.search(r"job=([0-9a-f]{32})", page.url).group(1)


def load_hints(page, hints: list, tmp_path: Path, name: str = "hints.json") -> None:
    path = tmp_path / name
    path.write_text(json.dumps(hints))
    before = hint_version(page)
    page.set_input_files("#hint-file", str(path))
    wait_recoloured(page, before)


def reference(live_server, job: str, photo: bytes, hints: list, temperature: float) -> np.ndarray:
    """models/hints.py's hinted decoding of the job's stored distribution over the photo, (H, W, 3) uint8."""
    pytest.importorskip("scipy", reason="models/hints.py's geodesic distances need scipy")
    from models.colorization import apply_ab
    from models.distribution import unpack
    from models.hints import hinted_ab, parse_hints
    from models.imageio import decode_image

    meta = live_server.client.get(f"/api/v1/jobs/{job}").json()["result"]["distribution"]
    data = live_server.client.get(f"/api/v1/jobs/{job}/distribution").content
    log_probs = unpack(data, tuple(meta["shape"]))
    rgb8 = decode_image(photo)
    centres = np.asarray(meta["bin_centres"], dtype=np.float32)
    parsed = parse_hints(json.dumps(hints), rgb8.shape[1], rgb8.shape[0])
    return apply_ab(rgb8, hinted_ab(log_probs, centres, rgb8, parsed, temperature))


def test_the_pages_parameters_are_models_hints(tmp_path):
    """hints.js ports models/hints.py: the same parameters and limits, or the page and the API disagree."""
    pytest.importorskip("scipy", reason="models/hints.py needs scipy")
    from dataclasses import asdict

    from models.hints import CUTOFF_SIGMAS, MAX_PALETTE, MAX_POINTS, HintParams

    source = HINTS_JS.read_text()
    block = re.search(r"export const PARAMS = Object\.freeze\(\{(.*?)\}\);", source, re.S).group(1)
    js = {k: v.strip("'") for k, v in re.findall(r"(\w+): ('?[\w.]+'?),", block)}
    expected = asdict(HintParams())
    assert set(js) == set(expected), "hints.js PARAMS and models.hints.HintParams have different fields"
    for key, value in expected.items():
        assert (js[key] == value) if isinstance(value, str) else float(js[key]) == pytest.approx(value), key
    for name, value in (("MAX_POINTS", MAX_POINTS), ("MAX_PALETTE", MAX_PALETTE), ("CUTOFF_SIGMAS", CUTOFF_SIGMAS)):
        assert re.search(rf"export const {name} = {value:g};", source), f"hints.js {name} is not {value}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_hint_recolours_its_region_at_once_and_removing_it_restores_it(page, live_server, viewport, tmp_path):
    page.set_viewport_size(viewport)
    photo = docs_photo("astronaut.png")
    colorize(page, photo, "astronaut.png")
    after = page.locator("#after")
    base = after_pixels(page)
    h, w = base.shape[:2]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" or "/recolor" in r.url else None)

    # The hint mode: a click on the photo offers the colours the network considered there, and any colour.
    mode = page.get_by_role("button", name="Colour hints")
    mode.click()
    expect(mode).to_have_attribute("aria-pressed", "true")
    click_photo(page, 0.3, 0.3)
    popover = page.locator("#hint-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Colour at (")
    swatches = popover.locator(".hint-swatch")
    assert 1 <= swatches.count() <= 4
    shares = [int(s.rstrip("%")) for s in swatches.all_inner_texts()]
    assert shares == sorted(shares, reverse=True) and all(0 < s <= 100 for s in shares)
    pop = popover.bounding_box()
    assert pop["x"] >= 0 and pop["x"] + pop["width"] <= viewport["width"], "the popover is off the screen"
    shot(page, f"hints-popover-{viewport['width']}")

    # Any colour: a strong blue, far from what the network chose.
    blue = [30, 60, 220]
    popover.locator("#hint-colour").fill("#1e3cdc")
    v = hint_version(page)
    popover.get_by_role("button", name="Use it").click()
    wait_recoloured(page, v)
    expect(popover).to_be_hidden()
    items = page.locator("#hint-list .hint-item")
    expect(items).to_have_count(1)
    expect(after).to_have_attribute("data-hints", "1")
    saved_point = items.first.locator(".hint-where").inner_text()
    px, py = (int(v) for v in re.findall(r"\d+", saved_point))
    x, y = int((px + 0.5) * w / after.evaluate("c => c.width")), int((py + 0.5) * h / after.evaluate("c => c.height"))
    hinted = after_pixels(page)
    assert distance_to(hinted, x, y, blue) < distance_to(base, x, y, blue) - 10, "the region did not turn blue"
    # Strongest where it was given (its weight is 1 there and falls with the edge-aware distance).
    moved = np.linalg.norm(ab_of(hinted) - ab_of(base), axis=-1)
    assert moved[max(0, y - 3):y + 4, max(0, x - 3):x + 4].mean() > np.median(moved)
    assert float(page.locator("#after").get_attribute("data-hint-ms")) < 5000
    expect(page.locator(".hint-dot")).to_have_count(1)

    # A swatch: the least likely colour the network offered at another point.
    click_photo(page, 0.7, 0.75)
    expect(popover).to_be_visible()
    last = swatches.last
    rgb = [int(c) for c in last.get_attribute("data-rgb").split(",")]
    before_swatch = after_pixels(page)
    v = hint_version(page)
    last.click()
    wait_recoloured(page, v)
    expect(items).to_have_count(2)
    qx, qy = (int(v) for v in re.findall(r"\d+", items.nth(1).locator(".hint-where").inner_text()))
    swatched = after_pixels(page)
    assert distance_to(swatched, qx, qy, rgb) <= distance_to(before_swatch, qx, qy, rgb) + 0.5
    shot(page, f"hints-two-{viewport['width']}")

    # Saved as HINTS.json: the API's and the CLI's format, in the photo's own pixels.
    with page.expect_download() as info:
        page.get_by_role("button", name="Save hints (JSON)").click()
    assert info.value.suggested_filename == "astronaut-hints.json"
    saved = json.loads(Path(info.value.path()).read_text())
    assert saved == [{"x": px, "y": py, "rgb": blue}, {"x": qx, "y": qy, "rgb": rgb}]

    # Removing the blue hint, then the other, restores the network's own colours exactly.
    v = hint_version(page)
    page.get_by_role("button", name=f"Remove hint 1 at ({px}, {py})").click()
    wait_recoloured(page, v)
    expect(items).to_have_count(1)
    assert distance_to(after_pixels(page), x, y, blue) > distance_to(hinted, x, y, blue) + 10
    v = hint_version(page)
    items.first.get_by_role("button", name=re.compile("Remove hint")).click()
    wait_recoloured(page, v)
    expect(items).to_have_count(0)
    assert np.abs(after_pixels(page).astype(int) - base).max() == 0
    expect(page.locator(".hint-dot")).to_have_count(0)

    # Undo brings the last one back; Clear all removes everything, and Undo undoes that too.
    v = hint_version(page)
    page.get_by_role("button", name="Undo").click()
    wait_recoloured(page, v)
    expect(items).to_have_count(1)
    v = hint_version(page)
    page.get_by_role("button", name="Clear all").click()
    wait_recoloured(page, v)
    expect(items).to_have_count(0)
    assert np.abs(after_pixels(page).astype(int) - base).max() == 0

    # The saved file loads back: the same hints, the same picture.
    load_hints(page, saved, tmp_path)
    expect(items).to_have_count(2)
    expect(page.locator("#hint-message")).to_contain_text("Loaded 2 point hints")
    assert np.abs(after_pixels(page).astype(int) - swatched).max() <= 1
    assert posts == [], "the hints went to the server"

    # A file that is not HINTS.json is refused with the reason; the hints stay.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"x": 99999, "y": 1, "rgb": [1, 2, 3]}]))
    page.set_input_files("#hint-file", str(bad))
    expect(page.locator("#hint-message")).to_contain_text("bad.json cannot be used")
    expect(page.locator("#hint-message")).to_contain_text("off the")
    expect(items).to_have_count(2)
    shot(page, f"hints-loaded-{viewport['width']}")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"


def test_the_hint_mode_works_from_the_keyboard(page):
    colorize(page, docs_photo("chelsea.png"), "chelsea.png")
    page.get_by_role("button", name="Colour hints").click()
    page.focus("#compare")
    page.keyboard.press("Enter")  # the probe's point: the middle of the photo
    popover = page.locator("#hint-popover")
    expect(popover).to_be_visible()
    page.keyboard.press("Tab")
    expect(popover.locator(".hint-swatch").first).to_be_focused()
    v = hint_version(page)
    page.keyboard.press("Enter")
    wait_recoloured(page, v)
    expect(page.locator("#hint-list .hint-item")).to_have_count(1)
    expect(page.locator("#compare")).to_be_focused()  # back on the photo, for the next hint
    page.keyboard.press("Shift+ArrowRight")
    expect(popover).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    expect(page.locator("#compare")).to_be_focused()
    expect(page.locator("#hint-list .hint-item")).to_have_count(1)

    # A palette: a prior over every pixel's colours; a colour picked, changed, then removed again. (Alone: a
    # point hint's colour outweighs it wherever the hint reaches.)
    v = hint_version(page)
    page.get_by_role("button", name="Clear all").click()
    wait_recoloured(page, v)
    no_hints = after_pixels(page)
    v = hint_version(page)
    page.get_by_role("button", name="Add a palette colour").click()
    wait_recoloured(page, v)
    colour = page.get_by_label("Palette colour 1", exact=True)
    expect(colour).to_have_count(1)
    v = hint_version(page)
    colour.fill("#20a040")
    wait_recoloured(page, v)
    green = after_pixels(page)
    assert np.abs(green.astype(int) - no_hints).mean() > 1, "the palette did not change the picture"
    assert (ab_of(green)[..., 0] < ab_of(no_hints)[..., 0]).mean() > 0.5, "the photo did not lean to green (-a)"
    v = hint_version(page)
    page.get_by_role("button", name="Remove palette colour 1").click()
    wait_recoloured(page, v)
    assert np.abs(after_pixels(page).astype(int) - no_hints).max() == 0


def test_the_browsers_hinted_colours_are_models_hints_and_download_at_full_size(page, live_server, tmp_path):
    """The page's decoding with hints and a palette against models/hints.py on the same stored distribution, at
    the photo's own size (1400 x 900, "Actual pixels"); the download is the server's, with the same hints."""
    photo = png_photo(1400, 900, seed=5)
    colorize(page, photo, "wide.png")
    hints = [{"x": 300, "y": 200, "rgb": [200, 30, 30]}, {"x": 1100.5, "y": 700, "rgb": [40, 90, 200]},
             {"palette": [[200, 180, 40], [30, 120, 60]]}]
    load_hints(page, hints, tmp_path)
    expect(page.locator("#hint-list .hint-item")).to_have_count(2)
    expect(page.locator("#palette-list input[type=color]")).to_have_count(2)
    t = float(page.locator("#after").get_attribute("data-temperature"))
    expected = reference(live_server, job_id(page), photo, hints, t)

    page.get_by_role("button", name="Actual pixels").click()
    expect(page.locator("#after")).to_have_attribute("data-drawn", "1400x900")
    shown = after_pixels(page)
    assert shown.shape == expected.shape == (900, 1400, 3)
    diff = np.abs(shown.astype(int) - expected)
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 3, (diff.mean(), diff.max())
    page.get_by_role("button", name="Actual pixels").click()

    download = page.locator("#download")
    expect(download).to_have_attribute("download", re.compile(r"-hints\.png$"))
    expect(download).to_have_attribute("href", re.compile(r"/recolor\?temperature=[0-9.]+&hints=%5B"))
    with page.expect_download() as info:
        download.click()
    full = png_pixels(Path(info.value.path()).read_bytes())
    assert full.shape == (900, 1400, 3)
    assert np.abs(full.astype(int) - expected).max() <= 1
    without = png_pixels(live_server.client.get(f"/api/v1/jobs/{job_id(page)}/result").content)
    assert np.abs(full.astype(int) - without).mean() > 1, "the hints did not change the download"

    # A hint by click on the photo shown smaller than its canvas (1024 px): painted first at the size shown and
    # scaled up, then exactly; in the end the very picture a whole new decoding draws.
    after = page.locator("#after")
    expect(after).to_have_attribute("data-drawn", "1024x658")
    assert after.bounding_box()["width"] < 0.75 * 1024, "the photo is shown at its canvas's size: no preview paint"
    page.get_by_role("button", name="Colour hints").click()
    click_photo(page, 0.5, 0.5)
    v = hint_version(page)
    page.locator("#hint-popover .hint-swatch").last.click()
    wait_recoloured(page, v)
    clicked = after_pixels(page)
    page.focus("#temperature")
    page.keyboard.press("ArrowLeft")
    expect(after).to_have_attribute("data-temperature", f"{t - 0.01:.2f}")
    page.keyboard.press("ArrowRight")
    expect(after).to_have_attribute("data-temperature", f"{t:.2f}")
    assert np.abs(after_pixels(page).astype(int) - clicked).max() == 0


def test_the_browsers_hinted_colours_match_the_apis(page, live_server, tmp_path):
    """The same hints sent to POST /api/v1/colorization (`hints`) give the picture the page shows."""
    props = live_server.client.get("/openapi.json").json()["components"]["schemas"]
    if not any("hints" in (s.get("properties") or {}) for name, s in props.items() if "coloriz" in name.lower()):
        pytest.skip("POST /api/v1/colorization takes no hints yet")
    photo = docs_photo("coffee.png")
    colorize(page, photo, "coffee.png")
    hints = [{"x": 120, "y": 100, "rgb": [180, 40, 40]}, {"x": 300, "y": 220, "rgb": [40, 160, 60]},
             {"palette": [[190, 150, 90]]}]
    load_hints(page, hints, tmp_path)
    t = page.locator("#after").get_attribute("data-temperature")
    shown = after_pixels(page)

    resp = live_server.client.post("/api/v1/colorization", params={"wait": 60},
                                   files={"image": ("coffee.png", photo, "image/png")},
                                   data={"temperature": t, "hints": json.dumps(hints)})
    assert resp.status_code in (200, 202), resp.text
    job = resp.json()
    for _ in range(120):
        if job["status"] in ("succeeded", "failed"):
            break
        page.wait_for_timeout(500)
        job = live_server.client.get(job["links"]["self"]).json()
    assert job["status"] == "succeeded", job
    api = png_pixels(live_server.client.get(job["links"]["result"]).content)
    assert api.shape == shown.shape
    diff = np.abs(api.astype(int) - shown)
    assert diff.mean() < 2, f"the page and the API differ by {diff.mean():.2f} levels on average (max {diff.max()})"


# ---- the hint network ------------------------------------------------------------------------------------------

READ_NETWORK = """() => {
  const img = document.getElementById('network-after');
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return {w: c.width, h: c.height, px: Array.from(ctx.getImageData(0, 0, c.width, c.height).data)};
}"""


@pytest.fixture(scope="module")
def hint_network_server(chromium: Path, tiny_models_dir: Path,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service of this module's own on the tiny models, the hint network's among them: the shipped models, which
    the session's server serves, have none yet."""
    with live_stack(tmp_path_factory.mktemp("hint-network"), tiny_models_dir) as server:
        yield server


@pytest.fixture
def npage(browser: Any, hint_network_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_page(browser, hint_network_server, request, DESKTOP)


def network_pixels(page) -> np.ndarray:
    data = page.evaluate(READ_NETWORK)
    return np.array(data["px"], dtype=np.uint8).reshape(data["h"], data["w"], 4)[..., :3]


# Chromium gives Playwright no body for an upload holding a file: the page's forms are recorded as they are sent
# (their text fields: the photo is a file).
RECORD_FORMS = """(() => {
  window.sentForms = [];
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    if (body instanceof FormData) {
      window.sentForms.push(Object.fromEntries([...body].filter(([, v]) => typeof v === 'string')));
    }
    return send.call(this, body);
  };
})();"""


def network_forms(page) -> list[dict[str, str]]:
    """The text fields of the hint network's submissions so far."""
    return [f for f in page.evaluate("window.sentForms") if "hint_method" in f]


def add_hint(page, fx: float, fy: float, colour: str) -> None:
    """A point hint of the colour ``colour`` (#rrggbb) at (fx, fy) of the photo, in the hint mode."""
    click_photo(page, fx, fy)
    popover = page.locator("#hint-popover")
    expect(popover).to_be_visible()
    popover.locator("#hint-colour").fill(colour)
    popover.get_by_role("button", name="Use it").click()
    expect(popover).to_be_hidden()


def wait_network(page, hints: list) -> str:
    """Until the hint network's picture for ``hints`` is on screen; its job's id."""
    overlay = page.locator("#network-after")
    expect(overlay).to_have_attribute("data-hints", json.dumps(hints, separators=(",", ":")))
    expect(overlay).to_be_visible()
    expect(page.locator("#hint-method")).to_have_attribute("data-state", "shown")
    return overlay.get_attribute("data-job")


def test_the_hint_network_reruns_the_network_with_the_hints_and_instant_comes_back(npage, hint_network_server):
    page, server = npage, hint_network_server
    page.add_init_script(RECORD_FORMS)
    colorize(page, png_photo(150, 100, seed=3), "scene.png")
    method = page.locator("#hint-method")
    expect(method).to_be_visible()
    instant = page.get_by_role("radio", name=re.compile("^Instant"))
    network = page.get_by_role("radio", name=re.compile("^Hint network"))
    expect(instant).to_be_checked()
    expect(network).to_be_enabled()
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and "/api/v1/colorization" in r.url else None)

    # Chosen without hints, it waits for one; a hint makes a job with the hints and hint_method=network.
    network.check()
    expect(page.locator("#hint-message")).to_contain_text("Add a hint")
    page.get_by_role("button", name="Colour hints").click()
    v = hint_version(page)
    add_hint(page, 0.3, 0.3, "#1e3cdc")
    wait_recoloured(page, v)  # the instant picture underneath follows the hints all the same
    instant_hinted = after_pixels(page)
    px, py = (int(n) for n in re.findall(r"\d+", page.locator("#hint-list .hint-where").first.inner_text()))
    hints = [{"x": px, "y": py, "rgb": [30, 60, 220]}]
    job_id = wait_network(page, hints)
    assert len(posts) == 1, [r.url for r in posts]
    [form] = network_forms(page)
    assert form["hint_method"] == "network"
    assert json.loads(form["hints"]) == hints
    job = server.client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["result"]["model"]["name"] == HINT_MODEL
    assert job["result"]["hints"] == {"points": 1, "palette": 0, "method": "network"}

    # Its picture is the job's result, in place of the instant one, and it is what the download gives.
    shown = network_pixels(page)
    assert np.abs(shown.astype(int) - png_pixels(server.client.get(job["links"]["result"]).content)).max() <= 1
    assert shown.shape == instant_hinted.shape
    assert np.abs(shown.astype(int) - instant_hinted).mean() > 1, "the hint network's picture is the instant one"
    expect(page.locator(".compare-tag.right")).to_have_text("hint network")
    download = page.locator("#download")
    expect(download).to_have_attribute("href", job["links"]["result"])
    expect(download).to_have_attribute("download", re.compile(r"-hint-network\.png$"))
    with page.expect_download() as info:
        download.click()
    assert np.abs(png_pixels(Path(info.value.path()).read_bytes()).astype(int) - shown).max() <= 1
    with page.expect_download() as info:
        page.get_by_role("button", name="Save hints (JSON)").click()
    assert json.loads(Path(info.value.path()).read_text()) == hints
    shot(page, "hints-network")

    # Instant again: the instant picture and its download at once; back to the network, its last picture, no job.
    instant.check()
    expect(page.locator("#network-after")).to_be_hidden()
    expect(page.locator(".compare-tag.right")).to_have_text("colorized")
    expect(download).to_have_attribute("href", re.compile(r"/recolor\?temperature=[0-9.]+&hints=%5B"))
    assert np.abs(after_pixels(page).astype(int) - instant_hinted).max() == 0
    network.check()
    assert wait_network(page, hints) == job_id
    assert len(posts) == 1

    # A refusal (here a 503, as while the hint network is being installed) is said, with a way to try again.
    page.route("**/api/v1/colorization*", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"detail": "the colorization-hints model is not installed"})))
    add_hint(page, 0.7, 0.7, "#dc3c1e")
    alert = page.locator("#alert")
    expect(alert).to_contain_text("The service cannot take this right now")
    expect(alert).to_contain_text("colorization-hints model is not installed")
    expect(method).to_have_attribute("data-state", "error")
    page.unroute("**/api/v1/colorization*")
    page.get_by_role("button", name="Run the hint network again").click()
    qx, qy = (int(n) for n in re.findall(r"\d+", page.locator("#hint-list .hint-where").nth(1).inner_text()))
    two = [*hints, {"x": qx, "y": qy, "rgb": [220, 60, 30]}]
    second = wait_network(page, two)
    assert second != job_id
    expect(alert).to_be_empty()
    assert json.loads(network_forms(page)[-1]["hints"]) == two

    # No hints left: the network's own prediction, which the instant method shows; nothing runs.
    count = len(posts)
    page.get_by_role("button", name="Clear all").click()
    expect(page.locator("#network-after")).to_be_hidden()
    expect(method).to_have_attribute("data-state", "idle")
    page.wait_for_timeout(800)  # past the debounce: no job starts
    assert len(posts) == count

    # Reopened from its URL, the photo is not in this browser: the hint network is sent the result (its lightness
    # is the photo's). The method chosen stays chosen (the browser may give the radio back checked).
    page.reload()
    expect(page.locator("#status")).to_contain_text("Showing")
    network.check()
    page.get_by_role("button", name="Colour hints").click()
    add_hint(page, 0.5, 0.5, "#1e3cdc")
    rx, ry = (int(n) for n in re.findall(r"\d+", page.locator("#hint-list .hint-where").first.inner_text()))
    wait_network(page, [{"x": rx, "y": ry, "rgb": [30, 60, 220]}])
    assert [f["hint_method"] for f in network_forms(page)] == ["network"]


def test_without_the_hint_network_only_the_instant_method_is_offered(page, live_server):
    cards = live_server.client.get("/api/v1/models").json()["data"]
    if any(c["name"] == HINT_MODEL and c["available"] for c in cards):
        # The shipped models have it by now: the page is shown the list a server without it answers.
        listed = {"data": [c for c in cards if c["name"] != HINT_MODEL]}
        listed["count"] = len(listed["data"])
        page.route("**/api/v1/models", lambda route: route.fulfill(content_type="application/json",
                                                                   body=json.dumps(listed)))
    colorize(page, png_photo(150, 100, seed=3), "scene.png")
    expect(page.locator("#hint-method")).to_have_attribute("data-available", "false")
    expect(page.locator("#hint-method")).to_be_hidden()
    expect(page.get_by_role("radio", name=re.compile("^Hint network"))).to_have_count(0)
