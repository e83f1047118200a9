"""`pretext turing import DIR`: photos in, colorize jobs through the real worker, PNGs into the database."""

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.turing import repository as repo
from app.turing.db import Database
from app.turing.tables import Colorization
from core.settings import get_settings
from pretext.cli import main
from tests.app.turing.helpers import play, turing_settings
from tests.imagecorpus import photo


def test_import_queues_colorizations_on_the_worker_and_stores_them(db_url, tmp_path: Path, monkeypatch,
                                                                   redis_server, worker, tiny_models_dir):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(photo(200, 150, seed=i)).save(folder / f"p{i}.png")
    Image.fromarray(photo(200, 150, seed=0)).save(folder / "sub" / "copy.png")  # a duplicate
    Image.fromarray(np.full((80, 80), 128, np.uint8)).convert("RGB").save(folder / "gray.jpg")
    (folder / "broken.jpg").write_bytes(b"not an image")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("PRETEXT_MODELS_DIR", str(tiny_models_dir))
    get_settings.cache_clear()
    try:
        assert main(["turing", "import", str(folder), "--wait", "120"]) == 0
        assert main(["turing", "import", str(folder), "--wait", "0"]) == 0  # again: nothing new
    finally:
        get_settings.cache_clear()
    db = Database(db_url)
    try:
        with db.session() as s:
            assert repo.pool_status(s) == {"photos": 3, "ready": 3, "queued": 0, "failed": 0}
            cols = list(s.query(Colorization).filter(Colorization.kind == "model"))
            assert len(cols) == 3
            assert all(c.status == "succeeded" and c.png and c.job_id for c in cols)
            assert {c.model_name for c in cols} == {"colorization"}
            assert all(c.model_version not in ("", "pending") for c in cols)
            assert all(c.temperature is not None for c in cols)
    finally:
        db.dispose()
    app = create_app(turing_settings(db_url, tmp_path / "var"))
    with TestClient(app) as client:
        assert play(client, app.state.turing.db, lambda t, n: "right")["finished"]
