"""The schema: Alembic migrations match the models and apply twice without harm; the pool fallback."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.turing import pool
from app.turing.db import Database, database_url, engine_url
from app.turing.tables import Base
from core.settings import Settings


def test_migrations_create_the_models_schema_and_are_idempotent(db_url: str):
    db = Database(db_url).migrate().migrate()
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
    finally:
        db.dispose()


def test_the_default_database_is_a_sqlite_file_under_var(tmp_path: Path):
    assert database_url(Settings(var_dir=tmp_path, DATABASE_URL=None)) == f"sqlite:///{tmp_path}/turing.sqlite"
    assert database_url(Settings(DATABASE_URL="postgresql://u@h/db")) == "postgresql://u@h/db"
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_an_empty_pool_is_filled_from_the_photos_folder_or_scikit_image(tmp_path: Path):
    (tmp_path / "photos" / "set").mkdir(parents=True)
    from PIL import Image

    from tests.imagecorpus import photo

    Image.fromarray(photo(64, 48)).save(tmp_path / "photos" / "set" / "a.png")
    files, source = pool.default_photos(tmp_path)
    assert [f.name for f in files] == ["a.png"] and source.endswith("photos")
    bundled = pool.skimage_photos()
    if not bundled:
        pytest.skip("scikit-image is not installed, so there are no bundled sample photos")
    files, source = pool.default_photos(tmp_path / "nowhere")
    assert files == bundled and source == "scikit-image sample data"
    assert all(f.is_file() for f in files)


def test_spread_takes_files_evenly():
    files = [Path(f"{i:03d}") for i in range(100)]
    assert pool.spread(files, 4) == [Path("000"), Path("025"), Path("050"), Path("075")]
    assert pool.spread(files[:3], 10) == files[:3]


def test_make_run_fills_an_empty_pool_once(tmp_path: Path):
    if not pool.skimage_photos():
        pytest.skip("scikit-image is not installed, so there are no bundled sample photos")
    settings = Settings(var_dir=tmp_path, DATABASE_URL=None, datasets_dir=tmp_path / "no-datasets", REDIS_URL=None)
    message = pool.fill_if_empty(settings)
    assert "imported" in message and "scikit-image" in message, message
    assert pool.fill_if_empty(settings) == "Turing-test pool already has photos"
    db = Database(database_url(settings))
    try:
        from app.turing import repository as repo

        with db.session() as s:
            status = repo.pool_status(s)
        assert status["photos"] >= 3 and status["ready"] == 0  # colorizations wait for the workers
    finally:
        db.dispose()
