"""Vote stuffing: participants whose answers are not a person's are left out of the published figure.

Issue #33, attack 3: two new cookies chose the fake on every trial, passed the attention checks and moved
the published fooling rate from nothing to 100%.
"""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.turing import screening
from app.turing.tables import Trial
from tests.app.turing.helpers import pick, play, seed_pool, turing_settings

STATS = "/api/v1/turing/stats"


def honest(t: Trial, number: int) -> str:
    """Passes the attention checks, spots two of three fakes: a person paying attention."""
    return pick(t, want_real=t.is_attention or number % 3 != 0)


def stuffer(t: Trial, number: int) -> str:
    """Knows the answer and picks the fake, but answers the attention checks right."""
    return pick(t, want_real=t.is_attention)


def test_two_stuffers_choosing_the_fake_do_not_move_the_published_rate(turing_client):
    client, db = turing_client
    play(client, db, honest)
    play(TestClient(client.app), db, honest)
    before = client.get(STATS).json()
    assert before["participants"] == {"total": 2, "excluded": 0, "included": 2}
    for _ in range(2):  # new cookies, taking as long as a person over each pair (1.5 s, by the server's clock)
        play(TestClient(client.app), db, stuffer)
    after = client.get(STATS).json()
    assert after["fooling_rate"] == before["fooling_rate"]
    assert after["models"] == before["models"] and after["photos"] == before["photos"]
    assert after["participants"] == {"total": 4, "excluded": 2, "included": 2}
    assert after["exclusions"]["reasons"][screening.PREFERS_FAKE] == 2
    assert after["votes"] == before["votes"] + 100  # counted as votes, left out of the figure


def test_too_fast_and_one_sided_participants_are_left_out(turing_client):
    client, db = turing_client
    play(client, db, honest)
    before = client.get(STATS).json()

    def fooled_often(t: Trial, number: int) -> str:  # 2 of 3 fakes chosen: not beyond chance on its own
        return pick(t, want_real=t.is_attention or number % 3 == 0)

    def always_left(t: Trial, number: int) -> str:
        return t.real_side if t.is_attention else "left"

    play(TestClient(client.app), db, fooled_often, look_s=None)  # answers the moment the pair arrives
    play(TestClient(client.app), db, always_left)
    after = client.get(STATS).json()
    assert after["fooling_rate"] == before["fooling_rate"]
    reasons = after["exclusions"]["reasons"]
    assert reasons[screening.TOO_FAST] == 1 and reasons[screening.ONE_SIDE] == 1
    assert reasons[screening.PREFERS_FAKE] == 0 and after["participants"]["excluded"] == 2


def test_new_participants_per_address_are_capped(db_url: str, tmp_path: Path):
    app = create_app(turing_settings(db_url, tmp_path / "var", turing_new_participants_per_hour=2))
    with TestClient(app) as first:
        seed_pool(app.state.turing.db, 2)
        assert first.post("/api/v1/turing/sessions", json={"mode": "untimed"}).status_code == 201
        assert first.post("/api/v1/turing/sessions", json={"mode": "untimed"}).status_code == 201  # same cookie
        assert TestClient(app).post("/api/v1/turing/sessions", json={"mode": "untimed"}).status_code == 201
        third = TestClient(app).post("/api/v1/turing/sessions", json={"mode": "untimed"})
        assert third.status_code == 429 and "new participants" in third.json()["detail"]
        assert int(third.headers["Retry-After"]) >= 1
        assert first.post("/api/v1/turing/sessions", json={"mode": "untimed"}).status_code == 201  # known cookie


@pytest.mark.parametrize(("k", "n", "flagged"), [(27, 36, False), (28, 36, True), (18, 36, False), (0, 0, False)])
def test_choosing_the_fake_beyond_chance_is_one_sided_binomial(k: int, n: int, flagged: bool):
    answers = [screening.Answer(1, False, i >= k, "left" if i % 2 else "right", 2000) for i in range(n)]
    out = screening.screen(answers, screening.Rule(attention_pass_min=0.75, min_response_ms=300))
    assert (screening.PREFERS_FAKE in out.get(1, [])) is flagged


def test_a_participant_at_a_human_pace_is_told_their_answers_count(turing_client):
    client, db = turing_client
    session = play(client, db, choose=lambda truth, trial: truth.real_side)
    assert session["score"]["excluded"] is False and session["score"]["exclusion_reasons"] == []
