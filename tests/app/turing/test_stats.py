"""Statistics and the CSV export match values computed by hand from scripted votes."""

import csv
import io
import math
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from app.turing.protocol import wilson
from app.turing.tables import Colorization, Photo, Trial, Vote
from tests.app.turing.helpers import ADMIN, pick, play


def scripted(attention_fails: int, fooled_first: int):
    """Practice: always left. Test: fail the first ``attention_fails`` attention checks and be fooled by
    the first ``fooled_first`` model colorizations."""
    seen = {"attention": 0, "model": 0}

    def choose(t: Trial, number: int) -> str:
        if t.phase == "practice":
            return "left"
        kind = "attention" if t.is_attention else "model"
        seen[kind] += 1
        limit = attention_fails if t.is_attention else fooled_first
        return pick(t, want_real=seen[kind] > limit)

    return choose


def test_wilson_interval_matches_published_values():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 20)
    assert low == 0.0 and round(high, 4) == 0.1611
    assert wilson(0, 0) is None


def test_statistics_match_hand_computed_values(turing_client):
    client, db = turing_client
    app = client.app
    a, b, c, d = client, TestClient(app), TestClient(app), TestClient(app)
    play(a, db, scripted(attention_fails=0, fooled_first=9))  # passes 4/4
    play(b, db, scripted(attention_fails=2, fooled_first=36))  # passes 2/4: excluded
    play(c, db, scripted(attention_fails=1, fooled_first=18))  # passes 3/4 = the 0.75 threshold: kept
    play(d, db, scripted(attention_fails=0, fooled_first=40), stop_after=20)  # unfinished: not counted
    stats = a.get("/api/v1/turing/stats").json()

    # Counted: A's 9 and C's 18 fooled of 36 model test trials each; B is left out.
    z = 1.959963984540054
    n, k = 72, 27
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert stats["fooling_rate"]["count"] == 27 and stats["fooling_rate"]["total"] == 72
    assert stats["fooling_rate"]["rate"] == pytest.approx(0.375)
    assert stats["fooling_rate"]["ci95"] == pytest.approx([centre - half, centre + half])
    assert stats["attention_checks"]["count"] == 9 and stats["attention_checks"]["total"] == 12
    assert stats["participants"] == {"total": 3, "excluded": 1, "included": 2}
    assert stats["sessions_finished"] == 3 and stats["votes"] == 150

    # Per model version and per photo, from the raw records of the counted participants.
    with db.session() as s:
        rows = s.execute(select(Vote.participant_id, Vote.chose_real, Colorization.model_version, Photo.name)
                         .join(Trial, Vote.trial_id == Trial.id)
                         .join(Colorization, Trial.colorization_id == Colorization.id)
                         .join(Photo, Trial.photo_id == Photo.id)
                         .where(Trial.phase == "test", Trial.is_attention.is_(False))).all()
        excluded_id = s.scalar(select(Vote.participant_id).group_by(Vote.participant_id)
                               .order_by(Vote.participant_id).offset(1).limit(1))  # B was second
    per_version, per_photo = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for pid, chose_real, version, name in rows:
        if pid == excluded_id or pid > excluded_id + 1:  # B, and D (unfinished)
            continue
        per_version[version][0] += not chose_real
        per_version[version][1] += 1
        per_photo[name][0] += not chose_real
        per_photo[name][1] += 1
    got = {m["version"]: (m["count"], m["total"]) for m in stats["models"]}
    assert got == {v: tuple(kn) for v, kn in per_version.items()}
    assert sum(t for _, t in got.values()) == 72
    for m in stats["models"]:
        assert m["ci95"] == pytest.approx(list(wilson(m["count"], m["total"])))
    assert {ph["photo"]: (ph["count"], ph["total"]) for ph in stats["photos"]} == \
        {name: tuple(kn) for name, kn in per_photo.items()}
    rates = [ph["rate"] for ph in stats["photos"]]
    assert rates == sorted(rates, reverse=True)  # the photos that fool people most come first

    # The CSV export: every vote of the three finished sessions (admin only, test_admin.py).
    r = a.get("/api/v1/turing/votes.csv", headers=ADMIN)
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == 150
    assert len({row["participant"] for row in table}) == 3
    counted = [row for row in table if row["phase"] == "test" and row["attention_check"] == "0"
               and row["participant_excluded"] == "0"]
    assert sum(int(row["fooled"]) for row in counted) == 27 and len(counted) == 72
    assert sum(row["participant_excluded"] == "1" for row in table) == 50
    assert {row["exclusion_reasons"] for row in table} == {"", "attention_checks prefers_fake"}  # B
    assert all(int(row["server_ms"]) >= 1000 for row in table)  # each pair looked at for 1.5 s


def test_each_photo_in_the_statistics_has_a_gray_thumbnail(turing_client):
    client, db = turing_client
    play(client, db, scripted(attention_fails=0, fooled_first=9))
    photos = client.get("/api/v1/turing/stats").json()["photos"]
    assert photos
    resp = client.get(photos[0]["thumbnail_url"])
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    thumb = Image.open(io.BytesIO(resp.content))
    assert thumb.mode == "L" and thumb.size == (96, 96)  # no colour: it cannot answer a trial
    assert client.get("/api/v1/turing/photos/999999/thumbnail").status_code == 404
