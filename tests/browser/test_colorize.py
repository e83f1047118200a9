"""The colorize page in Chromium against the real service: upload, looks and temperature, the before/after
divider and pixel probe, results that reopen from their URL, batches as a ZIP, colour photos, errors."""

import io
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.browser.helpers import docs_photo, png_photo, png_pixels, screenshots

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The page posts to /api/v1/colorization (its older name, /api/v1/colorize, still answers).
ENDPOINT = re.compile(r"/api/v1/coloriz(e|ation)$")

READ_AFTER = """() => {
  const c = document.getElementById('after');
  return {w: c.width, h: c.height, px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)};
}"""


def after_pixels(page) -> np.ndarray:
    """The colorized photo as the page drew it, (h, w, 3) uint8."""
    data = page.evaluate(READ_AFTER)
    return np.array(data["px"], dtype=np.uint8).reshape(data["h"], data["w"], 4)[..., :3]


def choose_file(page, data: bytes, name: str, mime: str = "image/png") -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_a_photo_is_colorized_and_the_temperature_slider_recolors_it(page, live_server):
    page.goto("/colorization")
    photo = docs_photo("astronaut.png")
    choose_file(page, photo, "astronaut.png")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Colorized in")
    download = page.locator("#download")
    expect(download).to_have_attribute("href", re.compile(r"/recolor\?temperature="))
    job_url = download.get_attribute("href").split("/recolor")[0]
    job = live_server.client.get(job_url).json()
    t0 = f"{job['result']['temperature']:.2f}"
    after = page.locator("#after")
    expect(after).to_have_attribute("data-temperature", t0)

    # The page decodes the distribution itself; it must agree with the server's own decoding.
    shown = after_pixels(page)
    assert shown.shape == png_pixels(photo).shape
    server = png_pixels(live_server.client.get(f"{job_url}/recolor", params={"temperature": t0}).content)
    assert np.abs(shown.astype(int) - server).max() <= 2

    # The slider by keyboard: Home is T = 0, the mode; no new upload, a new picture.
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.focus("#temperature")
    page.keyboard.press("Home")
    expect(after).to_have_attribute("data-temperature", "0.00")
    expect(page.locator("#temperature-value")).to_have_text("0.00")
    mode = after_pixels(page)
    assert np.abs(mode.astype(int) - shown).mean() > 0.5, "the temperature did not change the picture"
    server_mode = png_pixels(live_server.client.get(f"{job_url}/recolor", params={"temperature": 0}).content)
    assert np.abs(mode.astype(int) - server_mode).max() <= 2
    assert posts == []
    expect(download).to_have_attribute("href", f"{job_url}/recolor?temperature=0.00")
    expect(download).to_have_attribute("download", "astronaut-colorized-T0.00.png")

    # A pixel's distribution: in the probe mode by pointer, then moved with the arrow keys.
    caption = page.locator("#abplot-caption")
    page.get_by_role("button", name="Inspect a pixel").click()
    page.click("#compare", position={"x": 60, "y": 40})
    expect(caption).to_contain_text("Pixel (")
    expect(caption.locator(".swatches li")).to_have_count(3)
    before = caption.inner_text()
    page.focus("#compare")
    page.keyboard.press("Shift+ArrowRight")
    expect(caption).not_to_have_text(before)
    page.get_by_role("button", name="Inspect a pixel").click()  # back to dragging the divider

    # The before/after split follows its slider.
    page.focus("#split")
    page.keyboard.press("End")
    expect(page.locator("#split-value")).to_have_text("100%")
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("PageUp")  # back to the middle (10% a step) for the screenshots
    page.locator("#temperature").fill(t0)  # and the card's temperature
    expect(after).to_have_attribute("data-temperature", t0)
    screenshots(page, "colorize-result", docs="colorization", show="#result")


def test_a_sample_photo_can_be_colorized_and_downloaded_full_size(page, live_server):
    page.goto("/colorization")
    page.locator(".sample").first.click()
    expect(page.locator(".sample").first).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    sample = live_server.client.get(page.locator(".sample").first.locator("img").get_attribute("src")).content
    assert png_pixels(download.path().read_bytes()).shape == png_pixels(sample).shape


def test_a_dropped_file_that_is_not_an_image_gets_a_clear_message(page):
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto("/colorization")
    # What dragging a text file from the desktop onto the drop zone does.
    page.evaluate("""() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['just some notes, not a photo'], 'notes.txt', {type: 'text/plain'}));
      document.getElementById('dropzone').dispatchEvent(
        new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    alert = page.locator("#alert")
    expect(alert).to_contain_text("the service cannot read this file")
    expect(alert).to_contain_text("not an image")
    # Plain language on the page; the status code is kept for whoever reads the console.
    expect(alert).not_to_contain_text("415")
    assert any("HTTP 415" in w for w in warnings), warnings
    expect(page.locator("#result")).to_be_hidden()
    screenshots(page, "colorize-not-an-image")


VALIDATION = [{"loc": ["query", "temperature"], "msg": "Input should be less than or equal to 10",
               "type": "less_than_equal"}]


@pytest.mark.parametrize(("status", "detail", "expected"), [
    (413, "the upload is larger than the limit of 26214400 bytes",
     "Colorizing photo.png failed: the file is too large. The upload is larger than the limit of 25.0 MB."),
    (415, "image format PSD is not accepted",
     "Colorizing photo.png failed: the service cannot read this file. Image format PSD is not accepted."),
    (422, VALIDATION, "A setting was rejected. temperature: Input should be less than or equal to 10."),
    (503, "the colorization model is not installed",
     "The service cannot take this right now. The colorization model is not installed."),
    (503, "the task queue is unreachable; try again later", "right now. The task queue is unreachable"),
])
def test_every_error_the_api_answers_is_explained(page, status, detail, expected):
    # The real service answers these too (see tests/app); here each is provoked on demand.
    page.route(ENDPOINT, lambda route: route.fulfill(status=status, json={"detail": detail}))
    page.goto("/colorization")
    choose_file(page, png_photo(), "photo.png")
    alert = page.locator("#alert")
    expect(alert).to_contain_text(expected)
    expect(alert).not_to_contain_text(f"({status})")  # the code goes to the console, not to the person
    expect(page.locator("#progress")).to_be_hidden()


def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent(page):
    page.goto("/colorization")
    page.evaluate("document.body.dataset.maxUploadBytes = '1000'")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/" in r.url else None)
    choose_file(page, png_photo(200, 200), "big.png")
    expect(page.locator("#alert")).to_contain_text("The file is too large: big.png is")
    assert sent == []


def divider_at(page) -> float:
    """Where the divider is drawn, as a share of the photo's width (0..1)."""
    return page.evaluate("""() => {
      const photo = document.getElementById('after').getBoundingClientRect();
      const line = document.querySelector('.compare-divider').getBoundingClientRect();
      return (line.left + line.width / 2 - photo.left) / photo.width;
    }""")


def drag_on_photo(page, start: float, end: float) -> None:
    """Press on the photo at ``start`` of its width and drag to ``end`` (shares, 0..1)."""
    page.locator("#after").scroll_into_view_if_needed()
    box = page.locator("#after").bounding_box()
    y = box["y"] + box["height"] * 0.6
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, y, steps=8)
    page.mouse.up()


def test_the_divider_follows_a_drag_on_the_photo_and_the_tags_follow_it(page):
    page.goto("/colorization")
    choose_file(page, docs_photo("chelsea.png"), "chelsea.png")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    caption = page.locator("#abplot-caption")
    before = caption.inner_text()

    drag_on_photo(page, 0.3, 0.8)
    expect(page.locator("#split-value")).to_have_text("80%")
    assert abs(divider_at(page) - 0.8) < 0.02
    expect(caption).to_have_text(before)  # a drag moves the divider, it does not probe
    expect(page.locator(".probe")).to_be_hidden()

    # The tags stay true: no "gray input" over a fully colorized photo, no "colorized" over a gray one.
    left, right = page.locator(".compare-tag.left"), page.locator(".compare-tag.right")
    drag_on_photo(page, 0.5, -0.2)
    expect(page.locator("#split-value")).to_have_text("0%")
    expect(left).to_be_hidden()
    expect(right).to_be_visible()
    drag_on_photo(page, 0.5, 1.2)
    expect(page.locator("#split-value")).to_have_text("100%")
    expect(left).to_be_visible()
    expect(right).to_be_hidden()

    # Shift-click probes without leaving the divider mode, and leaves the divider where it is.
    box = page.locator("#after").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(caption).to_contain_text("Pixel (")
    expect(page.locator("#split-value")).to_have_text("100%")

    # Actual pixels: the photo at its full resolution, one image pixel per screen pixel, in a box that scrolls.
    page.get_by_role("button", name="Actual pixels").click()
    expect(page.get_by_role("button", name="Actual pixels")).to_have_attribute("aria-pressed", "true")
    full = page.evaluate("""() => { const c = document.getElementById('after');
      return [c.width, c.height, c.getBoundingClientRect().width]; }""")
    job = page.evaluate("new URLSearchParams(location.search).get('job')")
    assert job
    assert full[2] == pytest.approx(full[0], abs=1)
    drag_on_photo(page, 0.05, 0.3)  # the divider still follows, in the photo's own coordinates
    assert abs(divider_at(page) - 0.3) < 0.02
    page.get_by_role("button", name="Actual pixels").click()


def test_the_full_resolution_views_show_every_pixel(page):
    """The preview is decoded at up to 1024 px; "Actual pixels" and "Full screen" decode the photo at its own size."""
    page.goto("/colorization")
    choose_file(page, png_photo(1400, 900, seed=3), "wide.png")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    size = "() => { const c = document.getElementById('after'); return [c.width, c.height]; }"
    width_is = "(w) => document.getElementById('after').width === w"
    assert page.evaluate(size) == [1024, 658]
    page.get_by_role("button", name="Actual pixels").click()
    page.wait_for_function(width_is, arg=1400)
    assert page.evaluate(size) == [1400, 900]
    assert page.locator("#compare").bounding_box()["width"] == pytest.approx(1400, abs=1)  # one pixel per pixel
    page.get_by_role("button", name="Actual pixels").click()
    page.wait_for_function(width_is, arg=1024)

    page.get_by_role("button", name="Full screen").click()
    page.wait_for_function("() => document.fullscreenElement?.id === 'compare-frame'")
    page.wait_for_function(width_is, arg=1400)
    expect(page.locator("#fullscreen")).to_have_text("Leave full screen")
    page.locator("#fullscreen").click()
    page.wait_for_function("() => document.fullscreenElement === null")
    page.wait_for_function(width_is, arg=1024)


def test_the_page_opens_at_the_balanced_look_and_offers_the_others(page, live_server):
    """Balanced (T = 0.6) is the page's default (frontend/static/js/looks.js says why); Vivid is the paper's 0.38."""
    page.goto("/colorization")
    choose_file(page, docs_photo("coffee.png"), "coffee.png")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    balanced = page.get_by_role("radio", name=re.compile("Balanced"))
    expect(balanced).to_be_checked()
    expect(page.locator("label.look.paper")).to_contain_text("T = 0.38")  # the paper's value, marked
    expect(page.locator("#after")).to_have_attribute("data-temperature", "0.60")
    job_url = page.locator("#download").get_attribute("href").split("/recolor")[0]
    # The look is sent with the upload, so the server's own result is decoded as shown too.
    assert live_server.client.get(job_url).json()["result"]["temperature"] == pytest.approx(0.6)

    page.get_by_role("radio", name=re.compile("Vivid")).check()
    expect(page.locator("#after")).to_have_attribute("data-temperature", "0.38")
    expect(page.locator("#download")).to_have_attribute("href", re.compile(r"temperature=0\.38$"))
    page.get_by_role("radio", name=re.compile("Muted")).check()
    expect(page.locator("#after")).to_have_attribute("data-temperature", "1.00")
    page.focus("#temperature")
    page.keyboard.press("ArrowLeft")  # between the looks: none is checked
    expect(page.locator("#after")).to_have_attribute("data-temperature", "0.99")
    for name in ("Vivid", "Balanced", "Muted"):
        expect(page.get_by_role("radio", name=re.compile(name))).not_to_be_checked()


def test_a_result_reopens_from_its_url_and_the_recent_strip(page, live_server):
    page.goto("/colorization")
    choose_file(page, docs_photo("rocket.jpg"), "rocket.png")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    expect(page).to_have_url(re.compile(r"/colorization\?job=[0-9a-f]{32}"))
    job = re.search(r"job=([0-9a-f]{32})", page.url).group(1)
    page.get_by_role("radio", name=re.compile("Vivid")).check()
    expect(page).to_have_url(re.compile(r"t=0\.38"))  # the look shown is part of the address
    shown = after_pixels(page)

    page.reload()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#after")).to_have_attribute("data-temperature", "0.38")
    # The same picture, drawn again; its lightness now comes from the stored result (the server keeps no
    # upload), which is the photo's own to within rounding.
    diff = np.abs(after_pixels(page).astype(int) - shown)
    assert diff.mean() < 0.5 and diff.max() <= 8
    expect(page.locator("#result-name")).to_contain_text("rocket.png")
    recent = page.locator("#recent .recent-item")
    expect(recent.first).to_have_attribute("href", re.compile(job))
    expect(recent.first).to_have_attribute("aria-current", "true")

    # A fresh page of the same browser: the strip reopens it.
    page.goto("/colorization")
    expect(page.locator("#result")).to_be_hidden()
    page.locator(f'#recent a[data-job="{job}"]').click()
    expect(page.locator("#after")).to_have_attribute("data-temperature", "0.38")
    expect(page).to_have_url(re.compile(job))

    # A result the server no longer has says so, and leaves the strip.
    gone = "0123456789abcdef0123456789abcdef"
    page.evaluate(f"""() => {{ const k = 'pretext-lab:recent';
      const items = JSON.parse(localStorage.getItem(k));
      items.unshift({{kind: 'colorization', id: '{gone}', name: 'old.png', url: '/colorization?job={gone}',
                      at: Date.now()}});
      localStorage.setItem(k, JSON.stringify(items)); }}""")
    page.goto(f"/colorization?job={gone}")
    expect(page.locator("#alert")).to_contain_text("no longer stored")
    expect(page.locator(f'#recent a[data-job="{gone}"]')).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/colorization$"))


def test_a_batch_of_three_photos_downloads_as_a_zip(page):
    page.goto("/colorization")
    photos = {name: docs_photo(f"{name}.png", 200) for name in ("astronaut", "chelsea", "coffee")}
    page.set_input_files("#file", files=[{"name": f"{n}.png", "mimeType": "image/png", "buffer": b}
                                         for n, b in photos.items()])
    items = page.locator("#batch-list .batch-item")
    expect(items).to_have_count(3)
    expect(page.locator('#batch-list .batch-item[data-state="done"]')).to_have_count(3)
    expect(items.locator(".batch-status")).to_have_text(["Done", "Done", "Done"])
    expect(page.locator("#batch-summary")).to_contain_text("3 of 3 photos colorized")
    expect(page.locator("#result")).to_be_visible()  # the first finished photo opens in the viewer
    screenshots(page, "colorize-batch", docs="colorization-batch", show="#batch")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download all (ZIP)").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        names = sorted(archive.namelist())
        assert names == ["astronaut-colorized.png", "chelsea-colorized.png", "coffee-colorized.png"]
        for name in names:
            original = Image.open(io.BytesIO(photos[name.split("-")[0]]))
            result = Image.open(io.BytesIO(archive.read(name)))
            assert result.format == "PNG" and result.size == original.size

    # Any finished one opens in the viewer.
    items.nth(2).get_by_role("button", name=re.compile("Show")).click()
    expect(page.locator("#result-name")).to_contain_text("coffee.png")


def test_a_colour_photo_is_shown_beside_the_networks_colours_with_its_error(page):
    page.goto("/colorization")
    choose_file(page, docs_photo("coffee.png"), "coffee.png")
    note = page.locator("#photo-note")
    expect(note).to_contain_text("coffee.png is a colour photo")
    expect(note).to_contain_text("shown in gray first")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    truth = page.locator("#truth")
    expect(truth).to_be_visible()
    error = page.locator("#truth-error")
    expect(error).to_contain_text("an all-gray guess")
    balanced = float(error.get_attribute("data-error"))
    assert 0 < balanced < 100
    page.get_by_role("radio", name=re.compile("Muted")).check()
    expect(error).to_contain_text("T = 1.00")
    assert float(error.get_attribute("data-error")) != balanced  # the figure follows the look
    screenshots(page, "colorize-colour-photo", show="#truth")

    # A gray photo has no real colours to compare with.
    gray = io.BytesIO()
    Image.open(io.BytesIO(docs_photo("coffee.png"))).convert("L").save(gray, format="PNG")
    choose_file(page, gray.getvalue(), "gray.png")
    expect(page.locator("#status")).to_contain_text("Colorized in")
    expect(note).to_be_hidden()
    expect(truth).to_be_hidden()


def test_a_busy_queue_shows_the_place_in_it(page):
    """GET /api/v1/jobs/{id} says {"queue": {"position", "ahead"}} while a job waits; the page shows it."""
    answers = {"n": 0}

    def queued(route):
        answers["n"] += 1
        if answers["n"] > 3:
            route.continue_()
            return
        job_id = route.request.url.rstrip("/").split("/")[-1]
        route.fulfill(json={"id": job_id, "kind": "colorization", "status": "queued", "result": None, "error": None,
                            "attempts": 0, "links": {"self": f"/api/v1/jobs/{job_id}"},
                            "queue": {"position": 3, "ahead": 2}})

    page.route(re.compile(r"/api/v1/jobs/[0-9a-f]{32}$"), queued)
    page.goto("/colorization")
    choose_file(page, png_photo(), "photo.png")
    expect(page.locator("#status")).to_contain_text("2 jobs are ahead of your photo in the queue")
    expect(page.locator("#status")).to_contain_text("Colorized in")
