"""The context page in Chromium: guess where a piece goes, see the network's answer, keep score; on a
desktop with a mouse and on a 390x844 touch screen."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.helpers import EXPECTED_CONSOLE, PHONE, TIMEOUT_MS, docs_photo, fake_openapi, screenshots, shot
from tests.browser.test_pages import OVERFLOW, UNLABELLED
from tests.service_fixtures import wait_until

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDPOINT = "/api/v1/context"
NAMES = ["top left", "top", "top right", "left", "right", "bottom left", "bottom", "bottom right"]
PERCENTS = "() => [...document.querySelectorAll('#guess-grid button .percent')].map((e) => e.textContent)"
REVEALED = "#guess-grid button .percent:not(:empty)"
# Where the amber outline of the centre patch is, in percent of the photo (the page sets these).
OUTLINE = "() => { const s = document.getElementById('centre-outline').style; return [s.left, s.top, s.width]; }"


def is_submission(response: Any) -> bool:
    return response.url.endswith(ENDPOINT) and response.request.method == "POST"


def finished_job(live_server: Any, response: Any) -> dict:
    """The job a page's POST created, once it has finished."""
    url = response.json()["links"]["self"]

    def done() -> dict | None:
        job = live_server.client.get(url).json()
        return job if job["status"] in {"succeeded", "failed"} else None

    job = wait_until(f"the context job {url}", done, TIMEOUT_MS / 1000, interval_s=0.1)
    assert job["status"] == "succeeded", job
    return job


def open_game(page: Any, photo: bytes | None = None, tap: bool = False) -> Any:
    """The page with a piece dealt, from ``photo`` (PNG) or the first sample; the POST's response."""
    page.goto("/context")
    with page.expect_response(is_submission) as submitted:
        if photo is None and tap:
            page.locator(".sample").first.tap()
        elif photo is None:
            page.locator(".sample").first.click()
        else:
            page.set_input_files("#file", files=[{"name": "coffee.png", "mimeType": "image/png", "buffer": photo}])
    expect(page.locator("#game")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Where does the piece go?")
    return submitted.value


def assert_revealed(page: Any, result: dict, guess: int) -> None:
    """Eight percentages (the job's, summing to about 100), the truth, the guess and the network's pick marked."""
    expect(page.locator(REVEALED)).to_have_count(8)
    percents = page.evaluate(PERCENTS)
    assert percents == [f"{100 * p:.1f}%" for p in result["probabilities"]]
    assert sum(float(p.rstrip("%")) for p in percents) == pytest.approx(100.0, abs=0.5)
    truth = result["truth"]
    expect(page.locator("#guess-grid .truth")).to_have_count(1)
    expect(page.locator("#guess-grid .truth")).to_have_attribute("data-position", str(truth))
    expect(page.locator("#guess-grid .network")).to_have_attribute("data-position", str(result["predicted"]))
    expect(page.locator("#guess-grid .guess")).to_have_attribute("data-position", str(guess))
    expect(page.locator("#piece-outline")).to_be_visible()
    said = "You were right" if guess == truth else f"You said {NAMES[guess]}"
    expect(page.locator("#verdict")).to_contain_text(f"{said}: the piece was {NAMES[truth]} of the centre.")


def test_a_guess_is_revealed_against_the_network_and_scored_over_rounds(page, live_server):
    live_server.require(ENDPOINT, "context")
    first = finished_job(live_server, open_game(page, docs_photo("coffee.png")))
    result = first["result"]
    assert result["truth"] == result["position"] and result["box"]["side"] == int(page.input_value("#size"))
    assert page.evaluate(UNLABELLED) == []
    expect(page.locator(REVEALED)).to_have_count(0)  # nothing is given away before the guess
    wrong = (result["truth"] + 1) % 8
    page.locator(f'#guess-grid button[data-position="{wrong}"]').click()
    assert_revealed(page, result, wrong)
    network = int(result["correct"])
    expect(page.locator("#score")).to_have_text(f"You 0 of 1 · Network {network} of 1")
    screenshots(page, "context-revealed", docs="context", show="#game")

    # The next piece: a new question, the grid cleared; this time the right answer.
    with page.expect_response(is_submission) as submitted:
        page.get_by_role("button", name="Next piece").click()
    expect(page.locator(REVEALED)).to_have_count(0)
    second = finished_job(live_server, submitted.value)["result"]
    assert second["box"] == result["box"]  # the same centre patch, a new piece
    page.locator(f'#guess-grid button[data-position="{second["truth"]}"]').focus()
    page.keyboard.press("Enter")
    assert_revealed(page, second, second["truth"])
    network += int(second["correct"])
    expect(page.locator("#score")).to_have_text(f"You 1 of 2 · Network {network} of 2")

    # A smaller patch deals a new piece of that side.
    smaller = int(page.get_attribute("#size", "min"))
    with page.expect_response(is_submission) as submitted:
        page.fill("#size", str(smaller))
    assert finished_job(live_server, submitted.value)["result"]["box"]["side"] == smaller
    expect(page.locator("#size-value")).to_have_text(f"{smaller} px")


@pytest.fixture
def phone(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A 390x844 touch screen on the live server; fails the test on script errors, as the page fixture does."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, device_scale_factor=1,
                                  has_touch=True, is_mobile=True)
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


def test_on_a_touch_phone_a_tap_moves_the_centre_patch_and_a_tap_guesses(phone, live_server):
    live_server.require(ENDPOINT, "context")
    first = finished_job(live_server, open_game(phone, tap=True))["result"]
    before = phone.evaluate(OUTLINE)
    frame = phone.locator("#photo-frame").bounding_box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= PHONE["width"]
    with phone.expect_response(is_submission) as submitted:
        phone.locator("#photo-frame").tap(position={"x": 2, "y": 2})  # the top-left corner: as far as the grid allows
    moved = finished_job(live_server, submitted.value)["result"]
    after = phone.evaluate(OUTLINE)
    assert after != before and moved["box"]["side"] == first["box"]["side"]
    card = next(c for c in live_server.client.get("/api/v1/models").json()["data"] if c["name"] == "context")
    side = moved["box"]["side"]
    step = side + int(side * card["gap"] / card["patch"] + 0.5)
    assert (moved["box"]["x"], moved["box"]["y"]) == (step, step)  # as near the corner as keeps the grid on it
    guess = moved["truth"]
    phone.locator(f'#guess-grid button[data-position="{guess}"]').tap()
    assert_revealed(phone, moved, guess)
    expect(phone.locator("#score")).to_have_text(f"You 1 of 1 · Network {int(moved['correct'])} of 1")
    assert phone.evaluate(OVERFLOW) <= 0
    grid = phone.locator("#guess-grid").bounding_box()
    assert grid["width"] <= PHONE["width"] and grid["width"] >= 240  # cells big enough for a finger
    shot(phone, "context-phone-revealed")


def test_without_the_endpoint_the_person_still_plays_and_the_truth_is_shown(page, live_server):
    spec = fake_openapi(live_server, without=ENDPOINT)
    page.route("**/openapi.json", lambda route: route.fulfill(status=200, body=spec, content_type="application/json"))
    page.goto("/context")
    page.locator(".sample").first.click()
    expect(page.locator("#availability")).to_contain_text("no context endpoint")
    expect(page.locator("#game")).to_be_visible()
    page.locator('#guess-grid button[data-position="0"]').click()
    expect(page.locator("#guess-grid .truth")).to_have_count(1)
    expect(page.locator(REVEALED)).to_have_count(0)  # no network, no percentages
    expect(page.locator("#verdict")).to_contain_text("the piece was")
    expect(page.locator("#score")).to_contain_text("Network —")
