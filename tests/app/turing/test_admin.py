"""Per-vote data needs the admin token; the aggregate statistics stay public.

Issue #33, attack 6: the CSV export needed no login and held each trial's real side.
"""

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.turing.helpers import ADMIN, ADMIN_TOKEN, play, seed_pool, turing_settings

CSV = "/api/v1/turing/votes.csv"


def test_the_vote_export_needs_the_admin_token(turing_client):
    client, db = turing_client
    play(client, db, lambda t, n: "left")
    anonymous = client.get(CSV)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "real_side" not in anonymous.text
    assert client.get(CSV, headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"}).status_code == 401
    assert client.get(CSV, headers={"Authorization": ADMIN_TOKEN}).status_code == 401  # no scheme
    r = client.get(CSV, headers=ADMIN)
    assert r.status_code == 200 and r.text.startswith("vote_id,") and "real_side" in r.text.splitlines()[0]
    stats = client.get("/api/v1/turing/stats")
    assert stats.status_code == 200 and stats.json()["votes"] == 50
    assert "real_side" not in stats.text and "left" not in stats.text  # aggregates only


def test_without_a_configured_token_the_export_is_disabled(db_url: str, tmp_path: Path):
    app = create_app(turing_settings(db_url, tmp_path / "var", admin_token=None))
    with TestClient(app) as client:
        seed_pool(app.state.turing.db, 2)
        for headers in ({}, ADMIN, {"Authorization": "Bearer "}):
            r = client.get(CSV, headers=headers)
            assert r.status_code == 403 and "PRETEXT_ADMIN_TOKEN" in r.json()["detail"]
        assert client.get("/api/v1/turing/stats").status_code == 200
