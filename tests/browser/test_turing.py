"""The Turing test in Chromium: start page, a whole session by clicks and keys, the end page, the results."""

import re

import pytest

from app.turing import pool
from app.turing.db import Database
from core.settings import Settings
from pretext.turing import queue_and_wait
from tests.app.turing.helpers import truth
from tests.browser.helpers import PHONE, docs_photo, screenshots

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
            # No side is favoured: neither choice has the focus (nor its ring) when a pair appears.
            assert page.evaluate("document.activeElement.id") == "pair"
            assert page.locator(".turing-choice:focus, .turing-choice:focus-visible").count() == 0
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
    expect(page.locator("#counts")).to_contain_text(re.compile("your answers count", re.IGNORECASE))
    screenshots(page, "turing-end", docs="turing-end")
    after = live_server.client.get("/api/v1/turing/stats").json()
    assert after["votes"] == before["votes"] + 50
    assert after["sessions_finished"] == before["sessions_finished"] + 1
    assert after["participants"]["total"] == before["participants"]["total"] + 1
    assert after["participants"]["included"] == before["participants"]["included"] + 1
    assert after["fooling_rate"]["total"] == before["fooling_rate"]["total"] + 36
    page.get_by_role("link", name="All the results").click()
    expect(page.locator("#summary")).to_contain_text("Fooling rate")
    expect(page.locator("#photos tbody tr").first).to_contain_text(".png")
    expect(page.locator("#photos tbody tr .ci").first).to_be_visible()  # each rate with its interval, drawn
    screenshots(page, "turing-results", docs="turing-results")


def test_timed_mode_hides_the_pair_after_one_second(page, live_server, turing_pool):
    """On a phone held upright: the pair stacks, each photo as wide as the screen, both on it at once."""
    page.set_viewport_size(PHONE)
    page.goto("/turing")
    expect(page.locator("#status")).to_contain_text("ready for the test")
    page.get_by_role("button", name="Start the test").click()  # timed is the default
    expect(page.locator("#img-left")).to_be_visible()
    expect(page.locator("#img-left")).to_be_hidden(timeout=3000)
    expect(page.locator("#img-right")).to_be_hidden()
    expect(page.locator("#choose-left")).to_be_enabled()  # still answerable
    # The frames keep their size when the photos are hidden: wide (not the 128 px of side by side), and
    # both wholly on the screen, where the page scrolled them before showing the pair.
    frames = page.evaluate("""() => [...document.querySelectorAll('.turing-frame')].map((f) => {
      const r = f.getBoundingClientRect(); return {w: r.width, top: r.top, bottom: r.bottom}; })""")
    assert all(f["w"] >= 0.75 * PHONE["width"] for f in frames), frames
    assert all(f["top"] >= 0 and f["bottom"] <= PHONE["height"] for f in frames), frames
    expect(page.locator("#choose-left")).to_contain_text("Top is real")
    expect(page.locator("#choose-right")).to_have_attribute("aria-label", re.compile("bottom photo"))


def test_the_trial_page_without_a_session_offers_to_start_one(page):
    page.goto("/turing/trial")
    expect(page.locator("#no-session")).to_be_visible()
    expect(page.locator("#where")).to_have_text("No test in progress")
    expect(page.locator("#pair-panel")).to_be_hidden()
    expect(page.get_by_role("link", name="Start the test")).to_have_attribute("href", "/turing")
    screenshots(page, "turing-no-session")
    page.goto(f"/turing/trial?session={'0' * 32}")  # not this browser's, or gone
    expect(page.locator("#no-session")).to_contain_text("Start a new one")
    expect(page.locator("#alert")).to_be_empty()


SESSION = "ab" * 16
STATS = {"fooling_rate": {"count": 9, "total": 30, "rate": 0.3, "ci95": [0.17, 0.48]}, "models": [],
         "photos": [{"photo_id": 1, "photo": "one-vote.png", "count": 1, "total": 1, "rate": 1.0, "ci95": [0.21, 1.0]},
                    {"photo_id": 2, "photo": "many.png", "count": 8, "total": 29, "rate": 0.276, "ci95": [0.15, 0.45]}],
         "attention_checks": {"count": 8, "total": 12, "rate": 0.667, "ci95": [0.39, 0.86]}, "attention_pass_min": 0.75,
         "participants": {"total": 4, "excluded": 1, "included": 3},
         "exclusions": {"min_response_ms": 300, "reasons": {"attention_checks": 1}}, "sessions_finished": 4,
         "votes": 200}


def finished_session(score: dict) -> dict:
    return {"id": SESSION, "mode": "untimed", "practice_trials": 10, "test_trials": 40,
            "progress": {"done": 50, "total": 50}, "finished": True, "trial": None, "score": score, "links": {}}


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, "you answered 1 of the 4 attention-check pairs right"),  # judged by the page from this session
    ({"excluded": True, "exclusion_reasons": ["too_fast"]}, "faster than a person"),  # the server's own verdict
])
def test_a_participant_left_out_of_the_statistics_is_told(page, extra, expected):
    score = {"test_trials": 36, "spotted_real": 20, "fooled": 16, "fooled_rate": 0.444,
             "attention_checks": {"passed": 1, "total": 4}, **extra}
    page.route(f"**/api/v1/turing/sessions/{SESSION}", lambda route: route.fulfill(json=finished_session(score)))
    page.route("**/api/v1/turing/stats", lambda route: route.fulfill(json=STATS))
    page.goto(f"/turing/end?session={SESSION}")
    counts = page.locator("#counts")
    expect(counts).to_contain_text("not counted in the published fooling rate")
    expect(counts).to_contain_text(expected)
    expect(counts).to_have_class(re.compile("excluded"))


def test_a_photo_with_one_vote_is_not_shown_as_a_rate(page):
    page.route("**/api/v1/turing/stats", lambda route: route.fulfill(json=STATS))
    page.goto("/turing/results")
    rows = page.locator("#photos tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("many.png")  # ranked by what the votes show, not by one lucky vote
    expect(rows.last).to_contain_text("too few votes to tell (95% CI 21%–100%)")
    expect(rows.last).not_to_contain_text("100.0%")
    expect(page.locator("#summary")).to_contain_text("1 left out: attention checks: 1")
