"""The Turing test in Chromium: start page, a whole session by clicks and keys, the end page, the results."""

import re

import pytest

from app.turing import pool
from app.turing.db import Database
from core.settings import Settings
from pretext.turing import queue_and_wait
from tests.app.turing.helpers import truth
from tests.browser.helpers import docs_photo, screenshots

playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect, PlaywrightError = playwright.expect, playwright.Error

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def turing_pool(live_server, browser_redis, browser_models_dir, browser_database_url, tmp_path_factory):
    """Three photos in the live server's database, coloured by its worker through the job queue."""
    folder = tmp_path_factory.mktemp("turing-photos")
    for name in ("astronaut", "chelsea", "coffee"):
        (folder / f"{name}.png").write_bytes(docs_photo(f"{name}.png", 320))
    db = Database(browser_database_url).migrate()  # the live server's
    try:
        pool.import_files(db, pool.photo_files(folder), folder, "browser-test")
        settings = Settings(REDIS_URL=browser_redis.url, models_dir=browser_models_dir)
        status = queue_and_wait(settings, db, 120)
        assert status["ready"] >= 3, status
        yield db
    finally:
        db.dispose()


def test_a_whole_session_through_the_pages_shows_up_in_the_statistics(page, live_server, turing_pool):
    db = turing_pool
    before = live_server.client.get("/api/v1/turing/stats").json()
    trials: dict[int, str] = {}  # trial number -> id, from the API answers the page receives

    def on_response(response) -> None:
        if "/api/v1/turing/" in response.url and response.headers.get("content-type") == "application/json":
            try:
                body = response.json()
            except PlaywrightError:  # an answer the page navigated away from (the end page's statistics)
                return
            session = body.get("session", body)
            if isinstance(session, dict) and session.get("trial"):
                trials[session["trial"]["number"]] = session["trial"]["id"]

    page.on("response", on_response)
    page.goto("/turing")
    expect(page.locator("#status")).to_contain_text("ready for the test")
    screenshots(page, "turing-start", docs="turing")
    page.get_by_label("Untimed").check()
    page.get_by_role("button", name="Start the test").click()
    expect(page).to_have_url(re.compile(r"/turing/trial\?session=[0-9a-f]{32}$"))
    for number in range(1, 51):
        expect(page.locator("#where")).to_contain_text(f"Trial {number} of 50")
        expect(page.locator("#choose-left")).to_be_enabled()
        expect(page.locator("#img-left")).to_be_visible()
        expect(page.locator("#next")).to_be_hidden()
        if number == 1:
            screenshots(page, "turing-trial", docs="turing-trial")
        # The page never learns which side is real; the test reads it from the database, to pass the
        # attention checks like an attentive person (else this participant would be left out).
        t = truth(db, trials[number])
        side = t.real_side if t.is_attention else ("left" if number % 3 else "right")
        if number % 2:
            page.keyboard.press({"left": ("1", "ArrowLeft"), "right": ("2", "ArrowRight")}[side][number % 4 // 2])
        else:
            page.locator(f"#choose-{side}").click()
        if number <= 10:  # practice: feedback, then on
            expect(page.locator("#feedback")).to_contain_text("photo is the real one")
            page.get_by_role("button", name=re.compile("Next trial|Start the test trials")).click()
        elif number < 50:
            expect(page.locator("#feedback")).to_have_text("")
    expect(page).to_have_url(re.compile(r"/turing/end\?session="))
    expect(page.locator("#score")).to_contain_text("of 36 test trials")
    expect(page.locator("#attention")).to_contain_text("Attention checks passed")
    expect(page.locator("#overall")).to_contain_text("Current fooling rate")
    screenshots(page, "turing-end")
    after = live_server.client.get("/api/v1/turing/stats").json()
    assert after["votes"] == before["votes"] + 50
    assert after["sessions_finished"] == before["sessions_finished"] + 1
    assert after["participants"]["total"] == before["participants"]["total"] + 1
    assert after["participants"]["included"] == before["participants"]["included"] + 1
    assert after["fooling_rate"]["total"] == before["fooling_rate"]["total"] + 36
    page.get_by_role("link", name="All the results").click()
    expect(page.locator("#summary")).to_contain_text("Fooling rate")
    expect(page.locator("#photos tbody tr").first).to_contain_text(".png")
    screenshots(page, "turing-results")


def test_timed_mode_hides_the_pair_after_one_second(page, live_server, turing_pool):
    page.goto("/turing")
    expect(page.locator("#status")).to_contain_text("ready for the test")
    page.get_by_role("button", name="Start the test").click()  # timed is the default
    expect(page.locator("#img-left")).to_be_visible()
    expect(page.locator("#img-left")).to_be_hidden(timeout=3000)
    expect(page.locator("#img-right")).to_be_hidden()
    expect(page.locator("#choose-left")).to_be_enabled()  # still answerable
