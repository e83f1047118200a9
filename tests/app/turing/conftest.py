"""Fixtures of the Turing-test tests: each test gets an empty, migrated database on SQLite and PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.turing.db import Database
from tests.app.turing.helpers import NO_POSTGRES, TEST_DATABASE_URL, postgres_schema, seed_pool, turing_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a fresh schema on TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'turing.sqlite'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip(NO_POSTGRES)
    with postgres_schema(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
def turing_client(db_url: str, tmp_path: Path) -> Iterator[tuple[Any, Database]]:
    """(TestClient on a new app with this database, the app's Database) with a seeded photo pool."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(turing_settings(db_url, tmp_path / "var"))
    with TestClient(app) as client:
        db = app.state.turing.db
        seed_pool(db)
        yield client, db
