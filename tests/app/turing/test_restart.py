"""Votes live in the database: they survive a restart of the app and of Redis."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.turing.helpers import play, seed_pool, turing_settings
from tests.service_fixtures import run_redis


def test_votes_survive_a_restart_of_the_app_and_of_redis(db_url: str, tmp_path: Path):
    redis1 = run_redis(tmp_path / "redis1")
    try:
        app1 = create_app(turing_settings(db_url, tmp_path / "var", REDIS_URL=redis1.url))
        with TestClient(app1) as client:
            db = app1.state.turing.db
            seed_pool(db, 3)
            session = play(client, db, lambda t, n: "left", stop_after=20)
            cookies = dict(client.cookies)
    finally:
        redis1.stop()  # Redis goes away with everything in it, and so does the app

    redis2 = run_redis(tmp_path / "redis2")
    try:
        app2 = create_app(turing_settings(db_url, tmp_path / "var", REDIS_URL=redis2.url))
        with TestClient(app2, cookies=cookies) as client:
            db = app2.state.turing.db
            again = client.get(f"/api/v1/turing/sessions/{session['id']}").json()
            assert again["progress"] == {"done": 20, "total": 50}
            assert again["trial"]["id"] == session["trial"]["id"]  # the same next trial
            done = play(client, db, lambda t, n: "left", session=again)
            assert done["finished"]
            stats = client.get("/api/v1/turing/stats").json()
            assert stats["votes"] == 50 and stats["sessions_finished"] == 1
    finally:
        redis2.stop()
