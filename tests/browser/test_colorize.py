"""The colorize page in Chromium against the real service: upload, temperature, pixel probe, errors."""

import re

import numpy as np
import pytest

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

    # A pixel's distribution: by pointer, then moved with the arrow keys.
    caption = page.locator("#abplot-caption")
    page.click("#compare", position={"x": 60, "y": 40})
    expect(caption).to_contain_text("Pixel (")
    expect(caption.locator(".swatches li")).to_have_count(3)
    before = caption.inner_text()
    page.focus("#compare")
    page.keyboard.press("Shift+ArrowRight")
    expect(caption).not_to_have_text(before)

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
    page.goto("/colorization")
    # What dragging a text file from the desktop onto the drop zone does.
    page.evaluate("""() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['just some notes, not a photo'], 'notes.txt', {type: 'text/plain'}));
      document.getElementById('dropzone').dispatchEvent(
        new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    alert = page.locator("#alert")
    expect(alert).to_contain_text("(415)")
    expect(alert).to_contain_text("not an image")
    expect(page.locator("#result")).to_be_hidden()
    screenshots(page, "colorize-not-an-image")


VALIDATION = [{"loc": ["query", "temperature"], "msg": "Input should be less than or equal to 10",
               "type": "less_than_equal"}]


@pytest.mark.parametrize(("status", "detail", "expected"), [
    (413, "the upload is larger than the limit of 26214400 bytes",
     "Colorizing photo.png failed: the file is too large (413). The upload is larger than the limit of 25.0 MB."),
    (415, "image format PSD is not accepted",
     "Colorizing photo.png failed: the service cannot read this file (415). Image format PSD is not accepted."),
    (422, VALIDATION, "A setting was rejected (422). temperature: Input should be less than or equal to 10."),
    (503, "the colorization model is not installed", "(503). The colorization model is not installed."),
    (503, "the task queue is unreachable; try again later", "(503). The task queue is unreachable"),
])
def test_every_error_the_api_answers_is_explained(page, status, detail, expected):
    # The real service answers these too (see tests/app); here each is provoked on demand.
    page.route(ENDPOINT, lambda route: route.fulfill(status=status, json={"detail": detail}))
    page.goto("/colorization")
    choose_file(page, png_photo(), "photo.png")
    expect(page.locator("#alert")).to_contain_text(expected)
    expect(page.locator("#progress")).to_be_hidden()


def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent(page):
    page.goto("/colorization")
    page.evaluate("document.body.dataset.maxUploadBytes = '1000'")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/" in r.url else None)
    choose_file(page, png_photo(200, 200), "big.png")
    expect(page.locator("#alert")).to_contain_text("The file is too large: big.png is")
    assert sent == []
