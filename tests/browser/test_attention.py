"""The attention page in Chromium: rotation prediction, the four turns, attention maps per block."""

import re

import pytest

from tests.browser.helpers import PHONE, docs_photo, fake_openapi, screenshots

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDPOINT = "/api/v1/rotation"


def test_the_rotation_and_the_attention_maps_are_shown(page, live_server):
    live_server.require(ENDPOINT, "rotation")
    page.goto("/rotation")
    # A photo turned a quarter (the README's screenshot shows the network turning it back).
    page.set_input_files("#file", files=[{"name": "astronaut.png", "mimeType": "image/png",
                                          "buffer": docs_photo("astronaut.png", turn=90)}])
    expect(page.locator("#maps")).to_be_visible()
    expect(page.locator("#verdict")).to_contain_text("The network thinks this photo is")
    expect(page.locator("#probabilities [role=listitem]")).to_have_count(4)
    expect(page.locator("#views .view")).to_have_count(4)
    expect(page.locator("#views figcaption")).to_contain_text(["Turned 0° more", "Turned 90° more",
                                                                "Turned 180° more", "Turned 270° more"])
    expect(page.locator("#blocks .block")).to_have_count(4)
    expect(page.locator("#upright")).to_be_visible()

    # Each heat map is the block's own map (its size in the caption), laid over the photo.
    heat = page.locator("#blocks .heat")
    for i in range(4):
        size = heat.nth(i).evaluate("(c) => [c.width, c.height]")
        expect(page.locator("#blocks figcaption").nth(i)).to_contain_text(f"{size[0]} × {size[1]} map")
    expect(heat.first).to_have_css("opacity", "0.6")
    page.focus("#opacity")
    page.keyboard.press("End")
    expect(heat.first).to_have_css("opacity", "1")
    expect(page.locator("#opacity-value")).to_have_text("100%")
    page.keyboard.press("Home")
    expect(heat.last).to_have_css("opacity", "0")
    for _ in range(6):
        page.keyboard.press("PageUp")  # (heat maps at 60% for the screenshots)
    screenshots(page, "attention", docs="rotation", show="#views", phone_show="#prediction")

    # A click enlarges a map (the block's own map over a larger photo); Escape closes it.
    small = page.locator("#blocks .overlay").first.bounding_box()["width"]
    page.locator("#blocks .overlay").first.click()
    dialog = page.locator("#map-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Block 1")
    assert dialog.locator(".overlay").bounding_box()["width"] > 1.5 * small
    expect(dialog.locator(".heat")).to_have_css("opacity", "0.6")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def job_of(page) -> str:
    """The job id in the page's URL (the result's own address)."""
    return page.evaluate("new URLSearchParams(location.search).get('job')")


def test_p_out_of_range_is_refused_in_the_page_and_the_next_upload_works(page, live_server):
    live_server.require(ENDPOINT, "rotation")
    page.goto("/rotation")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.fill("#p", "20")
    page.keyboard.press("Tab")
    alert = page.locator("#alert")
    expect(alert).to_contain_text("must be a number above 0 and at most 8")
    expect(page.locator("#p")).to_have_value("2")  # reset to the last good value
    assert posts == []  # refused here, not sent to be refused by the server
    # A photo turned a quarter clockwise: the page says so in those words.
    page.set_input_files("#file", files=[{"name": "coffee.png", "mimeType": "image/png",
                                          "buffer": docs_photo("coffee.png", turn=-90)}])
    expect(page.locator("#maps")).to_be_visible()
    expect(alert).to_be_empty()
    job = live_server.client.get(f"/api/v1/jobs/{job_of(page)}").json()
    assert job["result"]["p"] == 2
    said = {0: "upright (0°)", 90: "turned 90° counter-clockwise", 180: "upside down (turned 180°)",
            270: "turned 90° clockwise"}[job["result"]["angle"]]
    expect(page.locator("#verdict")).to_contain_text(f"The network thinks this photo is {said}")
    expect(page.locator("#verdict")).not_to_contain_text("270° counter-clockwise")
    # Every angle, as the page's module words it.
    names = page.evaluate("""async () => { const m = await import('/static/js/attention-result.js');
      return [0, 90, 180, 270].map(m.angleName); }""")
    assert names == ["upright (0°)", "turned 90° counter-clockwise", "upside down (turned 180°)",
                     "turned 90° clockwise"]
    # A good exponent typed asks again, with it.
    first = job_of(page)
    page.fill("#p", "4")
    page.keyboard.press("Tab")
    page.wait_for_function("(first) => new URLSearchParams(location.search).get('job') !== first", arg=first)
    expect(page.locator("#status")).to_contain_text("The network thinks the photo is")
    assert live_server.client.get(f"/api/v1/jobs/{job_of(page)}").json()["result"]["p"] == 4
    expect(alert).to_be_empty()


def test_on_a_phone_the_answer_comes_into_view_and_reopens_from_its_url(page, live_server):
    live_server.require(ENDPOINT, "rotation")
    page.set_viewport_size(PHONE)
    page.goto("/rotation")
    page.set_input_files("#file", files=[{"name": "chelsea.png", "mimeType": "image/png",
                                          "buffer": docs_photo("chelsea.png", 256)}])
    expect(page.locator("#maps")).to_be_visible()
    page.wait_for_function("""() => { const r = document.getElementById('prediction').getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight / 2; }""")
    expect(page).to_have_url(re.compile(r"/rotation\?job=[0-9a-f]{32}"))
    verdict = page.locator("#verdict").inner_text()
    page.reload()
    expect(page.locator("#blocks .block")).to_have_count(4)
    expect(page.locator("#verdict")).to_have_text(verdict)
    expect(page.locator("#recent .recent-item")).to_have_count(1)


def test_without_the_endpoint_the_page_says_so(page, live_server):
    spec = fake_openapi(live_server, without=ENDPOINT)
    page.route("**/openapi.json", lambda route: route.fulfill(status=200, body=spec,
                                                                content_type="application/json"))
    page.goto("/rotation")
    expect(page.locator("#availability")).to_contain_text("no rotation endpoint")


def test_a_missing_model_is_explained(page):
    detail = ("the rotation model is not installed (no models/weights/rotation.json); "
              "export one with `pretext export rotation`")
    page.route(f"**{ENDPOINT}", lambda route: route.fulfill(status=503, json={"detail": detail}))
    page.goto("/rotation")
    page.locator(".sample").first.click()
    expect(page.locator("#alert")).to_contain_text("right now. The rotation model is not installed")
    expect(page.locator("#maps")).to_be_hidden()
