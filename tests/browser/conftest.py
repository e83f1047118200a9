"""Browser tests: Debian's Chromium, driven by Playwright, against the real service.

The service is what ``make run`` starts: a private Redis, a Celery worker and uvicorn as a subprocess on a
free port, all three the browser tests' own, as is the Turing-test database. They serve the shipped models
from models/weights (the tiny untrained ones of tests/service_fixtures.py where those are missing), so the
screenshots show real answers, and the generated sample scenes, so no dataset photo ends up in the
repository. Screenshots go to test-artifacts/browser/ (gitignored), on phone and desktop widths, and the
README's to docs/img/.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretext.serve import free_port, start_api
from tests.browser.helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    EXPECTED_CONSOLE,
    NO_CHROMIUM,
    SHIPPED_MODELS,
    TIMEOUT_MS,
    LiveServer,
    merged_models,
    shipped_models_ready,
    shipped_serves_every_task,
    shot,
)
from tests.service_fixtures import RedisServer, Worker, run_redis, run_worker, wait_until, worker_env


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(NO_CHROMIUM)
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_models_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped models when all are there, with the tiny untrained one of any task whose model is not
    shipped yet; else the tiny ones alone (built on demand)."""
    if not shipped_models_ready():
        return request.getfixturevalue("tiny_models_dir")
    if shipped_serves_every_task():
        return SHIPPED_MODELS
    return merged_models(request.getfixturevalue("tiny_models_dir"), tmp_path_factory.mktemp("browser-models"))


@pytest.fixture(scope="session")
def browser_redis(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis of the browser tests' own: the API tests' worker (tiny models) never takes their jobs."""
    server = run_redis(tmp_path_factory.mktemp("browser-redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The live server's Turing-test database, its own: another API's pool collector (the API tests') would
    mark the colorizations queued on this Redis as expired, not finding their jobs on its own Redis."""
    return f"sqlite:///{tmp_path_factory.mktemp('browser-turing-db') / 'turing.sqlite'}"


@pytest.fixture(scope="session")
def browser_worker(browser_redis: RedisServer, browser_models_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    # The features page asks about a sample on arrival: its index (48 photos) goes to a cache of its own.
    env = worker_env(browser_redis.url, browser_models_dir, cache_dir=tmp_path_factory.mktemp("browser-cache"))
    w = run_worker("browser", env, tmp_path_factory.mktemp("logs"))
    yield w
    w.stop()


@pytest.fixture(scope="session")
def live_server(chromium: Path, browser_redis: RedisServer, browser_worker: Worker, browser_models_dir: Path,
                browser_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn serving app.main on a free port, with the browser tests' Redis, worker and models."""
    port = free_port()
    log = tmp_path_factory.mktemp("uvicorn") / "api.log"
    # Playwright answers faster than any person; the Turing screening rule itself is tested in tests/app/turing.
    env = worker_env(browser_redis.url, browser_models_dir, turing_min_response_ms=0)
    env["DATABASE_URL"] = browser_database_url
    # No datasets folder: the pages offer the generated sample scenes (app/services/samples.py).
    env["PRETEXT_DATASETS_DIR"] = str(tmp_path_factory.mktemp("no-datasets"))
    with log.open("wb") as out:
        child = start_api("127.0.0.1", port, env, stdout=out)
    url = f"http://127.0.0.1:{port}"
    # A fresh connection per request: a kept-alive one that uvicorn closes after its 5 s idle timeout can
    # be reused at that moment, and the request then fails with RemoteProtocolError.
    client = httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
    server = LiveServer(url, child, log, client)

    def up() -> bool:
        if not child.alive():
            pytest.fail(f"uvicorn exited with code {child.proc.returncode}:\n{server.tail()}")
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    wait_until("uvicorn to answer /healthz", up, 60, interval_s=0.2)
    yield server
    client.close()
    child.stop(grace_s=10)


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # expect() waits up to this long, then fails
    # Screenshots of this run only: a stale FAILED-*.png from an earlier run would mislead.
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh desktop-sized page on the live server; fails the test on script errors or CSP violations."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, device_scale_factor=1)
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
