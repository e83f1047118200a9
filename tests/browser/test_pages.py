"""Every page in Chromium: a title, the shared nav bar, labelled controls, and a layout that fits a phone."""

import re

import pytest

from app.api.routes.pages import PAGES as NAV_PAGES
from tests.browser.helpers import DESKTOP, PHONE, TIMEOUT_MS, safe_name, save_screenshot, screenshots, shot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each page's path; /colorize and /attention, the older names of two, keep answering.
PAGES = {"/": "home", "/colorization": "colorization", "/jigsaw": "jigsaw", "/rotation": "rotation",
         "/colorize": "colorize-older-name", "/attention": "attention-older-name"}
OVERFLOW = "document.scrollingElement.scrollWidth - window.innerWidth"

# Every control a person can reach must say what it is: a <label>, aria-label(ledby) or its own text.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href], [tabindex="0"]')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                    || (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_has_a_title_the_nav_bar_and_labelled_controls(page, path):
    page.goto(path)
    assert page.title().endswith("Pretext Lab") or page.title().startswith("Pretext Lab")
    expect(page.locator("h1")).to_have_count(1)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_count(len(NAV_PAGES) + 1)  # the brand, then one per page
    if nav.locator(f'a[href="{path}"]').count():
        expect(nav.locator(f'a[href="{path}"]').last).to_have_attribute("aria-current", "page")
    else:  # an older name of a page: the nav bar marks the page under its current name
        expect(nav.locator('[aria-current="page"]')).to_have_count(1)
    if path != "/":
        page.wait_for_selector(".sample")  # the sample photos are loaded by the page's script
        expect(page.locator("#alert")).to_have_attribute("role", "alert")
        expect(page.locator("#status")).to_have_attribute("aria-live", "polite")
    assert page.evaluate(UNLABELLED) == []
    screenshots(page, f"page-{PAGES[path]}", docs="home" if path == "/" else None)


def test_every_page_fits_a_phone_screen(page):
    """Every page of the nav bar and the Turing results, opened at phone size (not resized to it)."""
    page.set_viewport_size(PHONE)
    page.goto("/")
    links = page.get_by_role("navigation", name="Main").locator("a")
    paths = list(dict.fromkeys(links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")))
    too_wide = {}
    for path in [*paths, "/turing/results"]:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_timeout(300)  # scripts fill the page (samples, pool, statistics)
        shot(page, f"phone-{safe_name(path) or 'home'}")
        if (overflow := page.evaluate(OVERFLOW)) > 0:
            too_wide[path] = overflow
    assert len(paths) >= 5, paths
    assert too_wide == {}, f"pages wider than a {PHONE['width']} px phone screen (px too wide): {too_wide}"


def test_the_home_page_links_to_every_task(page):
    page.goto("/")
    for name, target in (("Colorize a photo", r"/colori[sz]\w*"), ("Solve a puzzle", "/jigsaw"),
                         ("See its attention", "/(attention|rotation)"), ("Take the Turing test", "/turing"),
                         ("/docs", "/docs"), ("/redoc", "/redoc")):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("href", re.compile(f"^{target}$"))
    page.get_by_role("link", name="Solve a puzzle").click()
    expect(page).to_have_url(f"{page.url.split('/jigsaw')[0]}/jigsaw")


def test_the_skip_link_comes_first_and_jumps_to_the_content(page):
    page.goto("/colorization")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/colori[sz]\w*#main$"))


@pytest.mark.parametrize(("path", "rendered"), [
    ("/docs", ".swagger-ui .opblock"),  # Swagger UI has drawn the operations
    ("/redoc", "redoc .menu-content [role=menuitem], redoc .api-content h1"),  # ReDoc has drawn its menu and title
])
def test_the_api_docs_render_offline(browser, live_server, path, rendered):
    """/docs and /redoc draw the API reference from this server alone: any request for another host is
    recorded and refused (as offline), and none may be made."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, device_scale_factor=1)
    context.set_default_timeout(TIMEOUT_MS)
    elsewhere: list[str] = []

    def only_here(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_here)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path)
        expect(page.locator(rendered).first).to_be_visible()
        expect(page.get_by_text("pretext-lab").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert elsewhere == [], f"{path} asked another host for {elsewhere}"
        assert errors == [], errors  # e.g. "SwaggerUIBundle is not defined" when its script comes from a CDN
        if path == "/docs":
            save_screenshot(page, "api-docs")
            page.set_viewport_size(PHONE)
            expect(page.locator(rendered).first).to_be_visible()
            save_screenshot(page, "api-docs")
    finally:
        context.close()


def test_a_wrong_address_gets_a_page_with_a_way_home(page, live_server):
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("h1")).to_have_text("There is no page at this address")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshots(page, "not-found", docs="not-found")
    home = page.get_by_role("link", name="Go to the home page")
    expect(home).to_have_attribute("href", "/")
    home.click()
    expect(page).to_have_url(f"{live_server.url}/")
    # The API keeps answering JSON, whatever the client accepts.
    api = live_server.client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    job = live_server.client.get(f"/api/v1/jobs/{'0' * 32}", headers={"Accept": "text/html"})
    assert job.status_code == 404 and "detail" in job.json()
