"""Every page in Chromium: a title, the shared nav bar, labelled controls, and a layout that fits a phone."""

import pytest

from app.api.routes.pages import PAGES as NAV_PAGES
from tests.browser.helpers import screenshots

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {"/": "home", "/colorize": "colorize", "/jigsaw": "jigsaw", "/attention": "attention"}

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
    expect(nav.locator(f'a[href="{path}"]').last).to_have_attribute("aria-current", "page")
    if path != "/":
        page.wait_for_selector(".sample")  # the sample photos are loaded by the page's script
        expect(page.locator("#alert")).to_have_attribute("role", "alert")
        expect(page.locator("#status")).to_have_attribute("aria-live", "polite")
    assert page.evaluate(UNLABELLED) == []
    screenshots(page, f"page-{PAGES[path]}")


def test_the_home_page_links_to_every_task(page):
    page.goto("/")
    for name, target in (("Colorize a photo", "/colorize"), ("Solve a puzzle", "/jigsaw"),
                         ("See its attention", "/attention")):
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", target)
    page.get_by_role("link", name="Solve a puzzle").click()
    expect(page).to_have_url(f"{page.url.split('/jigsaw')[0]}/jigsaw")


def test_the_skip_link_comes_first_and_jumps_to_the_content(page):
    page.goto("/colorize")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('#')[0].split('/colorize')[0]}/colorize#main")
