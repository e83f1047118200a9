"""A photo the pages serve as a sample is never a Turing-test photo: its real colours are one click away.

Issue #33, attack 7: kodak/kodim23 was both in the pool and at /samples/kodak-kodim23.jpg.
"""

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from app.main import create_app
from app.turing import pool
from app.turing import repository as repo
from app.turing.db import Database, database_url
from app.turing.public_photos import public_fingerprints
from app.turing.tables import Photo
from core.settings import Settings
from tests.app.turing.helpers import play, turing_settings
from tests.imagecorpus import photo


def datasets_with_a_sample(root: Path) -> tuple[Path, np.ndarray]:
    """A datasets folder whose photos include kodak/kodim23.jpg (a sample of the pages) and two others."""
    photos = root / "photos"
    (photos / "kodak").mkdir(parents=True)
    (photos / "other").mkdir()
    parrots = photo(768, 512, seed=23)
    Image.fromarray(parrots).save(photos / "kodak" / "kodim23.jpg", quality=95)
    for i in (1, 2):
        Image.fromarray(photo(400, 300, seed=100 + i)).save(photos / "other" / f"p{i}.png")
    return root, parrots


def test_make_run_does_not_fill_the_pool_with_a_public_sample(tmp_path: Path):
    datasets, _ = datasets_with_a_sample(tmp_path / "datasets")
    settings = Settings(var_dir=tmp_path / "var", DATABASE_URL=None, datasets_dir=datasets, REDIS_URL=None)
    message = pool.fill_if_empty(settings)
    assert "imported 2 photos" in message and "1 left out" in message, message
    db = Database(database_url(settings))
    try:
        with db.session() as s:
            assert sorted(s.scalars(select(Photo.name))) == ["other/p1.png", "other/p2.png"]
    finally:
        db.dispose()


def test_importing_a_copy_of_a_sample_skips_it(tmp_path: Path, db_url: str):
    datasets, parrots = datasets_with_a_sample(tmp_path / "datasets")
    folder = tmp_path / "import"
    folder.mkdir()
    Image.fromarray(parrots).resize((600, 400), Image.Resampling.LANCZOS).save(folder / "parrots.webp", quality=90)
    Image.fromarray(photo(300, 200, seed=7)).save(folder / "mine.png")
    db = Database(db_url).migrate()
    try:
        report = pool.import_files(db, pool.photo_files(folder), folder, "tests",
                                   public=public_fingerprints(datasets))
        assert (report.added, report.public) == (1, 1)
    finally:
        db.dispose()


def test_sessions_never_draw_a_pool_photo_that_is_a_public_sample(tmp_path: Path, db_url: str):
    datasets, parrots = datasets_with_a_sample(tmp_path / "datasets")
    db = Database(db_url).migrate()
    rng = np.random.default_rng(0)
    try:
        with db.session() as s:  # a pool imported before public samples were refused
            ids = []
            for name, rgb in (("kodak/kodim23.jpg", parrots), ("a.png", photo(300, 200, seed=1)),
                              ("b.png", photo(300, 200, seed=2))):
                p = repo.add_photo(s, rgb, name, "old import", rng)
                repo.add_model_colorization(s, p.id, np.roll(rgb, 1, axis=2), "colorization", "v1")
                ids.append(p.id)
    finally:
        db.dispose()
    app = create_app(turing_settings(db_url, tmp_path / "var", datasets_dir=datasets))
    with TestClient(app) as client:
        assert client.get("/samples/kodak-kodim23.jpg").status_code == 200  # the sample stays public
        drawn: set[int] = set()
        tdb = app.state.turing.db
        play(client, tdb, lambda t, n: drawn.add(t.photo_id) or "left", look_s=None)
        assert drawn == set(ids[1:])
