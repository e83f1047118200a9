"""Shared fixtures: settings isolated per test session, real data when ../shared is present."""

from pathlib import Path

import pytest

from core.settings import get_settings
from tests.service_fixtures import (  # noqa: F401  (fixtures of the app and worker tests)
    api,
    celery_client,
    job_store,
    redis_server,
    service_settings,
    tiny_models_dir,
    worker,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    path = Path(get_settings().datasets_dir)
    if not (path / "imagenette-train.zip").is_file():
        pytest.skip(f"datasets not found at {path} (set PRETEXT_DATASETS_DIR)")
    return path


@pytest.fixture(scope="session")
def centres():
    from models.gamut import in_gamut_bins

    return in_gamut_bins()


@pytest.fixture
def isolated_settings(monkeypatch, tmp_path):
    """Settings whose cache and models folders live in this test's temp dir."""
    monkeypatch.setenv("PRETEXT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PRETEXT_MODELS_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def turing_database(tmp_path_factory):
    """Every app and uvicorn the tests start stores Turing-test data in a temp SQLite file, never var/."""
    import os

    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('turing-db') / 'turing.sqlite'}"
    get_settings.cache_clear()
    yield os.environ["DATABASE_URL"]
    if old is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = old
    get_settings.cache_clear()
