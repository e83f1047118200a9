"""The features page in Chromium: on arrival a sample is searched, then an upload; a row per model with its
neighbours, every model's first-layer filters and the transfer table, at desktop and phone sizes.

The service is this module's own (Redis, worker, uvicorn), on the tiny untrained models with a features
card holding a transfer table, and an index of a small colour-coded imagenette-val written here
(tests/features_data.py), so no dataset photo is shown and the test does not need ../shared.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.cards import load_card
from tests.browser.helpers import DESKTOP, PHONE, LiveServer, live_stack, open_page, png_photo, screenshots, shot
from tests.features_data import write_imagenette_val
from training.export_features import write_features_card
from training.tiny_models import TINY_FEATURE_BLOCKS

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

K = 8
# A canvas's pixels are not all one colour: something was drawn into it.
DRAWN = """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
  return false; }"""


def transfer_report(names: list[str]) -> dict[str, Any]:
    """A transfer table with a row per model (figures made up: the models are untrained)."""
    table = {"random": "random init"}
    rows = [{"model": table.get(n, n), "input": "rgb",
             "blocks": [{"block": b, "top1": 0.3 + 0.01 * i + (0.1 if b == TINY_FEATURE_BLOCKS[n] else 0.0)}
                        for b in range(1, 5)]} for i, n in enumerate(names)]
    return {"size": 64, "grid": 4, "train_images": 100, "val_images": 18, "rows": rows}


def features_models(tiny: Path, target: Path) -> Path:
    """``target``: links to the tiny models and a features card of its own, with a transfer table."""
    target.mkdir(parents=True, exist_ok=True)
    for file in tiny.iterdir():
        if file.suffix == ".onnx" or (file.suffix == ".json" and file.name != "features.json"):
            (target / file.name).symlink_to(file.resolve())
    names = load_card("features", tiny).names
    write_features_card(target, transfer_report(names), "made up for the test")
    return target


@pytest.fixture(scope="module")
def features_server(chromium: Path, tiny_models_dir: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("features-browser")
    models = features_models(tiny_models_dir, root / "models")
    write_imagenette_val(root / "datasets", 6)
    with live_stack(root, models, datasets_dir=root / "datasets") as server:
        yield server


@pytest.fixture
def fpage(browser: Any, features_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_page(browser, features_server, request, DESKTOP)


@pytest.fixture
def fphone(browser: Any, features_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_page(browser, features_server, request, PHONE)


def check_results(page: Any, names: list[str]) -> None:
    """A row per model with K drawn neighbours, captioned; a drawn block of filters per model."""
    rows = page.locator("#rows .nn-row")
    expect(rows).to_have_count(len(names))
    assert rows.evaluate_all("(rs) => rs.map((r) => r.dataset.model)") == names
    for i in range(len(names)):
        row = rows.nth(i)
        expect(row.locator(".nn")).to_have_count(K)
        expect(row.locator(".nn-head")).to_contain_text(f"block {TINY_FEATURE_BLOCKS[names[i]]}")
        assert all(row.locator(".nn canvas").evaluate_all(f"(cs) => cs.map({DRAWN})"))
        labels = row.locator(".nn-label").all_text_contents()
        assert set(labels) <= {"tench", "English springer", "cassette player"} and len(labels) == K
    blocks = page.locator("#filter-blocks .filter-block")
    expect(blocks).to_have_count(len(names))
    assert all(blocks.locator("canvas").evaluate_all(f"(cs) => cs.map({DRAWN})"))
    expect(blocks.first.locator("figcaption")).to_contain_text("filters")


def test_a_sample_is_searched_on_arrival_then_an_upload(fpage, features_server):
    names = features_server.client.get("/api/v1/features/transfer").json()
    names = [m["name"] for m in names["models"]]
    fpage.goto("/features")
    expect(fpage.locator("#neighbours")).to_be_visible()  # no upload: the first sample was searched
    expect(fpage.locator("#samples .sample").first).to_have_attribute("aria-pressed", "true")
    check_results(fpage, names)
    assert fpage.evaluate("window.scrollY") == 0  # the answer on arrival does not scroll the page
    first_job = fpage.evaluate("new URLSearchParams(location.search).get('job')")
    assert first_job

    # The transfer table: a row per model, the block each is compared at outlined.
    table = fpage.locator("#transfer-table")
    expect(table.locator("tbody tr")).to_have_count(len(names))
    expect(table.locator("td.chosen")).to_have_count(len(names))
    expect(table.locator("tbody tr").first.locator("td.chosen")).to_have_text("40.0%")  # 0.3 + 0.1 at block 1

    fpage.set_input_files("#file", files=[{"name": "mine.png", "mimeType": "image/png", "buffer": png_photo(120, 90)}])
    expect(fpage.locator("#samples .sample[aria-pressed=true]")).to_have_count(0)
    fpage.wait_for_function("(old) => new URLSearchParams(location.search).get('job') !== old", arg=first_job)
    expect(fpage.locator("#status")).to_contain_text("mine.png")
    check_results(fpage, names)
    screenshots(fpage, "features")  # and nothing overflows a phone screen


def test_the_page_fits_a_phone_and_reopens_a_result_from_its_address(fphone, features_server):
    names = [m["name"] for m in features_server.client.get("/api/v1/features/transfer").json()["models"]]
    fphone.goto("/features")
    check_results(fphone, names)
    overflow = fphone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the phone screen"
    first = fphone.locator("#rows .nn-row .nn").first.bounding_box()
    assert first["width"] >= 60  # four neighbours to a line on a phone, each still large enough to see
    shot(fphone, "features-phone-arrival")
    job = fphone.evaluate("new URLSearchParams(location.search).get('job')")
    fphone.goto(f"/features?job={job}")
    check_results(fphone, names)
    expect(fphone.locator("#samples .sample[aria-pressed=true]")).to_have_count(0)  # reopened, not searched again
