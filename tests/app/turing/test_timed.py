"""Timed mode is the server's: each image is served once, and a vote's time is measured by the server.

Issue #33, attack 4: an image fetched again after 3 s gave the same bytes, and a vote claiming 300 ms was
taken at its word.
"""

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.turing.tables import Vote
from tests.app.turing.helpers import backdate_images, pick, play


def test_a_timed_image_is_served_once(turing_client):
    client, _db = turing_client
    trial = client.post("/api/v1/turing/sessions", json={"mode": "timed"}).json()["trial"]
    assert trial["display_ms"] == 1000
    assert client.get(trial["images"]["left"]).status_code == 200
    time.sleep(0.2)
    again = client.get(trial["images"]["left"])
    assert again.status_code == 410 and "shown once" in again.json()["detail"]
    assert client.get(trial["images"]["right"]).status_code == 200
    assert client.get(trial["images"]["right"]).status_code == 410
    assert client.post(trial["links"]["vote"], json={"choice": "left"}).status_code == 201  # still answerable


def test_the_vote_time_is_the_servers_and_the_claimed_time_is_ignored(turing_client):
    client, db = turing_client
    session = client.post("/api/v1/turing/sessions", json={"mode": "timed"}).json()
    trial = session["trial"]
    for side in ("left", "right"):
        assert client.get(trial["images"][side]).status_code == 200
    backdate_images(db, trial["id"], 5.0)  # the pair was served 5 s ago
    assert client.post(trial["links"]["vote"], json={"choice": "left", "response_ms": 300}).status_code == 201
    with db.session() as s:
        vote = s.scalar(select(Vote).where(Vote.trial_id == trial["id"]))
    assert vote.response_ms == 300 and 5000 <= vote.server_ms < 8000
    # A vote on a pair never fetched has no time to speak of: 0, which the screening counts as too fast.
    nxt = client.get(f"/api/v1/turing/sessions/{session['id']}").json()["trial"]
    assert client.post(nxt["links"]["vote"], json={"choice": "left", "response_ms": 4000}).status_code == 201
    with db.session() as s:
        assert s.scalar(select(Vote.server_ms).where(Vote.trial_id == nxt["id"])) == 0


def test_claiming_slow_answers_does_not_hide_fast_ones_from_the_figure(turing_client):
    client, db = turing_client

    def choose(t, n):  # honest-looking: sees through half the fakes, passes the checks
        return pick(t, want_real=t.is_attention or n % 2 == 0)

    play(client, db, choose, mode="timed")  # looks at each pair for 1.5 s, as the server sees it
    fast = TestClient(client.app)
    # Answers within milliseconds of the images arriving while claiming 800 ms each: the claim is ignored.
    play(fast, db, choose, mode="timed", look_s=None)
    stats = client.get("/api/v1/turing/stats").json()
    assert stats["participants"] == {"total": 2, "excluded": 1, "included": 1}
    assert stats["exclusions"]["reasons"]["too_fast"] == 1
    assert stats["fooling_rate"]["total"] == 36
