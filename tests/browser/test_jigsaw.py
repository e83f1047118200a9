"""The jigsaw page in Chromium: shuffle, swap by keyboard, solve with the real service, and degrade."""

import re

import pytest

from tests.browser.helpers import PHONE, docs_photo, fake_openapi, screenshots

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDPOINT = "/api/v1/jigsaw"
# The tiles by board position: which cell each shows, and whether it is marked right.
TILES = """() => [...document.querySelectorAll('.tile')]
  .sort((a, b) => a.dataset.pos - b.dataset.pos)
  .map((t) => ({cell: Number(t.dataset.cell), right: t.classList.contains('right')}))"""


def open_puzzle(page, photo: bytes | None = None) -> None:
    """The page with a shuffled puzzle: of ``photo`` (PNG) when given, else of the first sample photo."""
    page.goto("/jigsaw")
    if photo is None:
        page.locator(".sample").first.click()
    else:
        page.set_input_files("#file", files=[{"name": "coffee.png", "mimeType": "image/png", "buffer": photo}])
    expect(page.locator("#puzzle")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Shuffled")


def swap_first_two_by_keyboard(page) -> None:
    page.locator('.tile[tabindex="0"]').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Swapped the tiles at positions 1 and 2")


def test_the_network_solves_a_shuffled_puzzle(page, live_server):
    live_server.require(ENDPOINT, "jigsaw")
    open_puzzle(page, docs_photo("coffee.png"))
    swap_first_two_by_keyboard(page)
    before = page.evaluate(TILES)
    truth = [before[pos]["cell"] for pos in range(9)]
    with page.expect_response(lambda r: r.url.endswith(ENDPOINT)) as submitted:
        page.focus("#solve")
        page.keyboard.press("Enter")
    expect(page.locator(".tile .badge:visible")).to_have_count(9)
    expect(page.locator("#score")).to_contain_text("of 9")
    page.wait_for_timeout(800)  # the tiles' move animation, for the screenshot

    job = live_server.client.get(submitted.value.json()["links"]["self"]).json()
    assert job["status"] == "succeeded" and job["result"]["shuffle"] is None  # solved as uploaded
    permutation = job["result"]["permutation"]
    after = page.evaluate(TILES)
    # The tile from position i moved to position permutation[i]; right means it is its true cell.
    for i, cell in enumerate(truth):
        assert after[permutation[i]]["cell"] == cell
        assert after[permutation[i]]["right"] == (permutation[i] == cell)
    right = sum(p == c for p, c in zip(permutation, truth, strict=True))
    expect(page.locator("#score")).to_contain_text(f"{right} of 9")
    expect(page.locator("#status")).to_contain_text(f"The network put {right} of 9 tiles")
    screenshots(page, "jigsaw-solved", docs="jigsaw", show="#puzzle")


# The element is on screen, whole (the page scrolls smoothly, so this is waited for, not read once).
IN_VIEW = """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"""


def test_on_a_phone_the_puzzle_comes_into_view_and_reopens_from_its_url(page, live_server):
    """At 390x844 the board started at 1106 px, below the screen: choosing a photo now brings it up, the
    solved board stays in view, and the solved puzzle's URL rebuilds it with the same score."""
    live_server.require(ENDPOINT, "jigsaw")
    page.set_viewport_size(PHONE)
    page.goto("/jigsaw")
    page.locator(".sample").first.click()
    expect(page.locator("#status")).to_contain_text("Shuffled")
    page.wait_for_function(IN_VIEW, arg="#board")
    page.get_by_role("button", name="Let the network solve it").click()
    expect(page.locator(".tile .badge:visible")).to_have_count(9)
    page.wait_for_function(IN_VIEW, arg="#board")
    score = page.locator("#score").inner_text()
    expect(page).to_have_url(re.compile(r"/jigsaw\?job=[0-9a-f]{32}&truth=\d{9}$"))
    before = page.evaluate(TILES)

    page.reload()
    expect(page.locator(".tile .badge:visible")).to_have_count(9)
    expect(page.locator("#score")).to_have_text(score)
    assert page.evaluate(TILES) == before
    expect(page.locator("#recent .recent-item").first).to_have_attribute("aria-current", "true")


def test_without_the_endpoint_the_page_says_so_and_still_lets_you_swap(page, live_server):
    spec = fake_openapi(live_server, without=ENDPOINT)
    page.route("**/openapi.json", lambda route: route.fulfill(status=200, body=spec,
                                                                content_type="application/json"))
    open_puzzle(page)
    expect(page.locator("#availability")).to_contain_text("no jigsaw endpoint")
    expect(page.locator("#solve")).to_be_disabled()
    swap_first_two_by_keyboard(page)
    page.get_by_role("button", name="Show the original").click()
    expect(page.locator("#status")).to_contain_text("every tile in its place")
    screenshots(page, "jigsaw-no-endpoint")


@pytest.mark.parametrize(("status", "detail", "expected"), [
    (404, "Not Found", "Solving the puzzle failed: the server does not have what was asked for."),
    (503, "the jigsaw model is not installed (no models/weights/jigsaw.json); export one with `pretext export "
          "jigsaw`", re.compile(r"right now\. The jigsaw model is not installed")),
])
def test_a_missing_endpoint_or_model_is_explained(page, status, detail, expected):
    page.route(f"**{ENDPOINT}", lambda route: route.fulfill(status=status, json={"detail": detail}))
    open_puzzle(page)
    page.get_by_role("button", name="Let the network solve it").click()
    expect(page.locator("#alert")).to_contain_text(expected)
    expect(page.locator("#availability")).to_be_visible()
    expect(page.locator(".tile .badge:visible")).to_have_count(0)
