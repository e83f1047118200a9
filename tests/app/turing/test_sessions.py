"""A whole Turing-test session through the API, on SQLite and PostgreSQL: protocol, refusals, limits."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.turing import protocol
from app.turing.tables import Trial, Vote
from tests.app.turing.helpers import pick, play, truth, turing_settings


def test_a_full_session_has_practice_with_feedback_then_test_trials_without(turing_client):
    client, db = turing_client
    r = client.post("/api/v1/turing/sessions", json={"mode": "timed"})
    assert r.status_code == 201
    session = r.json()
    assert session["progress"] == {"done": 0, "total": 50}
    assert session["trial"]["display_ms"] == protocol.DISPLAY_MS
    feedback_numbers = []
    while session["trial"] is not None:
        trial = session["trial"]
        t = truth(db, trial["id"])
        assert trial["phase"] == ("practice" if trial["number"] <= 10 else "test")
        body = client.post(trial["links"]["vote"], json={"choice": pick(t, True)}).json()
        if "feedback" in body:
            feedback_numbers.append(trial["number"])
            assert body["feedback"] == {"correct": True, "real": t.real_side}
        session = body["session"]
    assert feedback_numbers == list(range(1, 11))  # feedback in the practice trials only
    assert session["finished"] and session["progress"] == {"done": 50, "total": 50}
    # Votes without looking at the images are faster than a person: the participant is told they do not count.
    assert session["score"] == {"test_trials": 36, "spotted_real": 36, "fooled": 0, "fooled_rate": 0.0,
                                "attention_checks": {"passed": 4, "total": 4},
                                "excluded": True, "exclusion_reasons": ["too_fast"]}
    with db.session() as s:
        trials = list(s.scalars(select(Trial).where(Trial.session_id == session["id"]).order_by(Trial.position)))
    assert [t.phase for t in trials] == ["practice"] * 10 + ["test"] * 40
    assert sum(t.is_attention for t in trials if t.phase == "practice") == 1  # 10% attention checks
    assert sum(t.is_attention for t in trials if t.phase == "test") == 4
    assert {t.real_side for t in trials} == {"left", "right"}  # sides drawn per trial
    assert client.get(f"/api/v1/turing/sessions/{session['id']}").json()["finished"] is True


def test_untimed_mode_has_no_display_limit(turing_client):
    client, _db = turing_client
    session = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
    assert session["mode"] == "untimed" and session["trial"]["display_ms"] is None
    assert client.post("/api/v1/turing/sessions", json={"mode": "sometimes"}).status_code == 422


def test_double_votes_out_of_order_votes_and_finished_trials_are_refused(turing_client):
    client, db = turing_client
    session = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
    first = session["trial"]
    assert client.post(first["links"]["vote"], json={"choice": "left"}).status_code == 201
    again = client.post(first["links"]["vote"], json={"choice": "right"})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    with db.session() as s:
        later = s.scalar(select(Trial).where(Trial.session_id == session["id"], Trial.position == 5))
    assert client.post(f"/api/v1/turing/trials/{later.id}/vote", json={"choice": "left"}).status_code == 409
    session = play(client, db, lambda t, n: "left", session=client.get(
        f"/api/v1/turing/sessions/{session['id']}").json())
    assert session["finished"]
    last = client.post(f"/api/v1/turing/trials/{later.id}/vote", json={"choice": "left"})
    assert last.status_code == 409
    with db.session() as s:
        votes = s.scalars(select(Vote.trial_id)).all()
    assert len(votes) == len(set(votes)) == 50


def test_someone_elses_session_trials_and_images_are_refused(turing_client):
    client, db = turing_client
    mine = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
    trial = mine["trial"]
    other = TestClient(client.app)  # the same app, another browser: no cookie yet
    other.post("/api/v1/turing/sessions", json={"mode": "untimed"})  # gets a participant of its own
    assert other.get(f"/api/v1/turing/sessions/{mine['id']}").status_code == 403
    assert other.post(trial["links"]["vote"], json={"choice": "left"}).status_code == 403
    assert other.get(trial["images"]["left"]).status_code == 403
    anonymous = TestClient(client.app)
    assert anonymous.post(trial["links"]["vote"], json={"choice": "left"}).status_code == 403
    assert anonymous.get(f"/api/v1/turing/sessions/{mine['id']}").status_code == 403
    assert client.get("/api/v1/turing/sessions/" + "0" * 32).status_code == 404
    assert client.post("/api/v1/turing/trials/nope/vote", json={"choice": "left"}).status_code == 404
    with db.session() as s:
        assert s.scalar(select(Vote.id)) is None  # none of that was recorded
    assert client.post(trial["links"]["vote"], json={"choice": "left"}).status_code == 201


def test_votes_are_rate_limited_per_participant(db_url: str, tmp_path: Path):
    from tests.app.turing.helpers import seed_pool

    app = create_app(turing_settings(db_url, tmp_path / "var", turing_votes_per_minute=3))
    with TestClient(app) as client:
        seed_pool(app.state.turing.db, 2)
        session = play(client, app.state.turing.db, lambda t, n: "left", stop_after=3)
        r = client.post(session["trial"]["links"]["vote"], json={"choice": "left"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        other = TestClient(app)  # another participant is not held back
        play(other, app.state.turing.db, lambda t, n: "left", stop_after=3)


def test_an_empty_pool_is_said_plainly(db_url: str, tmp_path: Path):
    app = create_app(turing_settings(db_url, tmp_path / "var"))
    with TestClient(app) as client:
        assert client.get("/api/v1/turing/pool").json() == {"photos": 0, "ready": 0, "queued": 0, "failed": 0,
                                                            "empty": True}
        r = client.post("/api/v1/turing/sessions", json={"mode": "timed"})
        assert r.status_code == 503 and "pool is empty" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/turing", "/turing/trial", "/turing/end", "/turing/results"])
def test_the_pages_are_served_with_the_nav_bar(turing_client, path):
    client, _db = turing_client
    r = client.get(path)
    assert r.status_code == 200 and "Content-Security-Policy" in r.headers
    assert '<a href="/turing" aria-current="page">Turing test</a>' in r.text
    assert "<!--nav-->" not in r.text
