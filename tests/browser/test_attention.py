"""The attention page in Chromium: rotation prediction, the four turns, attention maps per block."""

import pytest

from tests.browser.helpers import docs_photo, fake_openapi, screenshots

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

    # An exponent out of range goes to the server, whose 422 is explained.
    page.fill("#p", "20")
    page.keyboard.press("Tab")
    expect(page.locator("#alert")).to_contain_text("A setting was rejected (422). p: ")


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
    expect(page.locator("#alert")).to_contain_text("(503). The rotation model is not installed")
    expect(page.locator("#maps")).to_be_hidden()
