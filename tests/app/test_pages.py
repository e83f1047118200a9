"""The pages router without a browser: HTML, static assets, sample photos; no Redis needed."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.api.routes.pages import FRONTEND_DIR, PAGES
from app.main import create_app
from app.services.samples import GENERATED, GENERATED_SIDE, SAMPLE_LONG_SIDE
from core.settings import Settings

LIMIT = 12345678
LOCAL_ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')
IMPORT = re.compile(r"""^import .* from '(\./[\w-]+\.js)';$""", re.MULTILINE)
# Anything that would make the browser fetch from another site: scripts, styles, images, fonts.
EXTERNAL = re.compile(r"""(?:\bsrc=|\burl\(|@import|\bfrom\s|<link[^>]*\bhref=)\s*["']?(?:https?:)?//""")
TASK_PAGES = ("/", "/colorization", "/jigsaw", "/rotation")


def client_for(datasets_dir: Path) -> TestClient:
    settings = Settings(REDIS_URL=None, datasets_dir=datasets_dir, max_upload_bytes=LIMIT)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """An app whose datasets folder is empty: the samples are the generated scenes."""
    return client_for(tmp_path)


def jpeg_size(data: bytes) -> tuple[int, int]:
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG"
    return im.size


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.file)
def test_each_page_is_html_with_its_title_the_nav_bar_and_the_upload_limit(client, page):
    resp = client.get(page.path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    body = resp.text
    assert re.search(r"<title>[^<]+</title>", body)
    assert f'<a href="{page.path}" aria-current="page">{page.label}</a>' in body
    assert body.count('aria-current="page"') == 1
    assert "<!--nav-->" not in body and "{{max_upload_bytes}}" not in body
    if page.path in TASK_PAGES:
        assert f'data-max-upload-bytes="{LIMIT}"' in body


def test_every_asset_the_pages_reference_is_served_with_its_type(client):
    types = {".css": "text/css", ".js": "javascript", ".svg": "image/svg+xml"}
    assets = {a for page in PAGES for a in LOCAL_ASSET.findall(client.get(page.path).text)}
    assert {"/static/css/site.css", "/static/js/colorize.js", "/static/js/jigsaw.js",
            "/static/js/attention.js"} <= assets
    for asset in assets:
        resp = client.get(asset)
        assert resp.status_code == 200, asset
        assert types.get(Path(asset).suffix, "") in resp.headers["content-type"], asset


def test_every_script_imports_only_modules_that_exist():
    scripts = FRONTEND_DIR / "static" / "js"
    for script in scripts.glob("*.js"):
        for name in IMPORT.findall(script.read_text()):
            assert (scripts / name).is_file(), f"{script.name} imports missing {name}"


def test_nothing_is_loaded_from_another_site():
    for path in FRONTEND_DIR.rglob("*"):
        if path.suffix in {".html", ".css", ".js"}:
            assert not EXTERNAL.search(path.read_text()), f"{path} loads something from another site"


def test_without_the_photos_folder_the_samples_are_generated_scenes(client):
    body = client.get("/samples").json()
    assert [s["id"] for s in body["data"]] == [name for name, _ in GENERATED]
    assert body["count"] == len(GENERATED)
    for sample in body["data"]:
        assert sample["source"] == "generated"
        resp = client.get(sample["url"])
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
        assert jpeg_size(resp.content) == (GENERATED_SIDE, GENERATED_SIDE)


def test_photos_from_the_datasets_folder_are_served_shrunk(tmp_path):
    folder = tmp_path / "photos" / "kodak"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (600, 900, 3), dtype=np.uint8)).save(folder / "kodim23.jpg")
    Image.fromarray(rng.integers(0, 255, (60, 90, 3), dtype=np.uint8)).save(folder / "kodim21.jpg")
    client = client_for(tmp_path)
    body = client.get("/samples").json()
    assert [(s["id"], s["title"], s["source"]) for s in body["data"]] == [
        ("kodak-kodim23", "Parrots", "kodak"), ("kodak-kodim21", "Lighthouse", "kodak")]
    assert jpeg_size(client.get("/samples/kodak-kodim23.jpg").content) == (SAMPLE_LONG_SIDE, 341)
    assert jpeg_size(client.get("/samples/kodak-kodim21.jpg").content) == (90, 60)  # never enlarged


@pytest.mark.parametrize("name", ["nope", "landscape.png", "..%2F..%2Fetc%2Fpasswd", "LANDSCAPE"])
def test_anything_but_a_listed_sample_is_404(client, name):
    assert client.get(f"/samples/{name}.jpg").status_code == 404


def test_the_pages_are_not_part_of_the_api_description(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p in paths for p in (*TASK_PAGES, "/samples"))


@pytest.mark.parametrize(("old", "new"), [("/colorize", "/colorization"), ("/attention", "/rotation")])
def test_a_page_under_its_older_name_redirects_to_the_task_page(client, old, new):
    with client:
        resp = client.get(old, params={"job": "abc"}, follow_redirects=False)
        assert resp.status_code == 308 and resp.headers["location"] == f"{new}?job=abc"
        assert client.get(old).status_code == 200  # followed, it is the page


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_their_scripts_from_this_server(client, path):
    with client:
        page = client.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", page.text)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset


def test_the_home_page_links_the_api_docs(client):
    with client:
        assert 'href="/docs"' in client.get("/").text
