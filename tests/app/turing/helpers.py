"""What the Turing-test tests share: databases (SQLite, PostgreSQL), a seeded pool, playing a session."""

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, select, text, update

from app.turing import repository as repo
from app.turing.db import Database, engine_url
from app.turing.tables import Trial, utcnow
from core.settings import Settings
from tests.imagecorpus import photo

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = "TEST_DATABASE_URL is not set; the PostgreSQL variants of the Turing storage tests need it"
MODEL_VERSIONS = (("colorization", "v1", 0.38), ("colorization", "v2", 0.0))
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LOOK_S = 1.5  # how long the scripted participants look at a pair, as the server's clock will see it


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema of its own on the test server (search_path set in the URL), dropped afterwards."""
    schema = f"turing_test_{secrets.token_hex(6)}"
    admin = create_engine(engine_url(base_url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def turing_settings(db_url: str, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"var_dir": var_dir, "DATABASE_URL": db_url, "turing_votes_per_minute": 100_000,
                              "turing_sessions_per_hour": 10_000, "turing_new_participants_per_hour": 10_000,
                              "admin_token": ADMIN_TOKEN}
    values.update(overrides)
    return Settings(**values)


def seed_pool(db: Database, n_photos: int = 4) -> list[int]:
    """Photos with an attention fake each and two model versions' colorizations (synthetic, no worker)."""
    rng = np.random.default_rng(1)
    ids = []
    with db.session() as s:
        for i in range(n_photos):
            rgb = photo(320, 256, seed=i)
            p = repo.add_photo(s, rgb, f"photo-{i}.png", "tests", rng)
            assert p is not None
            for k, (name, version, temperature) in enumerate(MODEL_VERSIONS):
                fake = np.roll(rgb, shift=k + 1, axis=2)  # channels permuted: a different "colorization"
                repo.add_model_colorization(s, p.id, fake, name, version, temperature)
            ids.append(p.id)
    return ids


def truth(db: Database, trial_id: str) -> Trial:
    """The server's record of a trial (real side, attention check, photo): what the client must not learn."""
    with db.session() as s:
        return s.scalar(select(Trial).where(Trial.id == trial_id))


Chooser = Callable[[Trial, int], str]  # (the trial's truth, its number) -> "left" or "right"


def pick(t: Trial, want_real: bool) -> str:
    other = "right" if t.real_side == "left" else "left"
    return t.real_side if want_real else other


def backdate_images(db: Database, trial_id: str, seconds: float) -> None:
    """As if the trial's images had been served ``seconds`` ago: a participant who looked that long."""
    when = utcnow() - timedelta(seconds=seconds)
    with db.session() as s:
        s.execute(update(Trial).where(Trial.id == trial_id).values(left_served_at=when, right_served_at=when))


def look(client: Any, db: Database, trial: dict[str, Any], seconds: float | None = LOOK_S) -> None:
    """Fetch the pair as the page does, and look at it for ``seconds`` (None: answer at once)."""
    for side in ("left", "right"):
        r = client.get(trial["images"][side])
        assert r.status_code == 200, r.text
    if seconds is not None:
        backdate_images(db, trial["id"], seconds)


def play(client: Any, db: Database, choose: Chooser, mode: str = "untimed",
         session: dict[str, Any] | None = None, stop_after: int | None = None,
         look_s: float | None = LOOK_S) -> dict[str, Any]:
    """Play a session through the API (started here unless given), looking at each pair ``look_s`` (None: not
    waiting at all); the last session body."""
    if session is None:
        r = client.post("/api/v1/turing/sessions", json={"mode": mode})
        assert r.status_code == 201, r.text
        session = r.json()
    votes = 0
    while session["trial"] is not None and (stop_after is None or votes < stop_after):
        trial = session["trial"]
        look(client, db, trial, look_s)
        t = truth(db, trial["id"])
        r = client.post(trial["links"]["vote"], json={"choice": choose(t, trial["number"]), "response_ms": 800})
        assert r.status_code == 201, r.text
        session = r.json()["session"]
        votes += 1
    return session
