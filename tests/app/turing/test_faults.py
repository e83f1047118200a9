"""Database faults stop the Turing test only, and only while they last (issue #33, "Faults stop everything").

Before: with the database down at start the whole API exited, colorize included; with the database
write-locked a vote got a 500 after 30 s, and the waiting Turing writes took every thread of the API, so a
colorize upload and the /colorize page each took 33 s. Real databases (a SQLite file, PostgreSQL), real
Redis and a real worker, the app under uvicorn.
"""

import threading
import time
from pathlib import Path
from typing import Any

import httpx

from app.main import create_app
from tests.app.turing.faults import TcpGate, assert_503, client, postgres_target, serve, write_locked
from tests.app.turing.helpers import ADMIN, look, play, seed_pool, turing_settings
from tests.imagecorpus import good_files
from tests.service_fixtures import finished, image_field, wait_until

NO_ID = "0123456789abcdef0123456789abcdef"
UPLOAD_MAX_S = 2.0  # a colorize upload or a page, however many Turing requests wait on the database
VOTE_503_MAX_S = 10.0  # a vote on a locked database: the lock timeout (3 s) and the writers' queue, not 30 s
FLOOD = 50  # Turing writes at once on a locked database: more than the 40 threads of the default pool


def turing_routes_are_503(c: httpx.Client) -> None:
    """Every Turing route, read or write, answers 503 with Retry-After."""
    assert_503(c.get("/api/v1/turing/pool"))
    assert_503(c.get("/api/v1/turing/stats"))
    assert_503(c.post("/api/v1/turing/sessions", json={"mode": "untimed"}))
    assert_503(c.get(f"/api/v1/turing/sessions/{NO_ID}"))
    assert_503(c.get(f"/api/v1/turing/images/{NO_ID}"))
    assert_503(c.post(f"/api/v1/turing/trials/{NO_ID}/vote", json={"choice": "left"}))
    assert_503(c.get("/api/v1/turing/votes.csv", headers=ADMIN))


def colorize_works(c: httpx.Client) -> None:
    resp = c.post("/api/v1/colorization", files=image_field(good_files()["rgb.jpg"]))
    assert resp.status_code == 202, resp.text
    assert finished(c, resp.json()["id"])["status"] == "succeeded"


def test_the_api_starts_without_its_database_and_the_turing_test_comes_back(db_url: str, tmp_path: Path,
                                                                            redis_server, worker, tiny_models_dir):
    gate = None
    if db_url.startswith("sqlite"):  # a folder that cannot be made yet: a file is in its way
        blocker = tmp_path / "db-folder"
        blocker.write_text("not a folder yet")
        url = f"sqlite:///{blocker / 'turing.sqlite'}"
    else:  # a closed port in front of the PostgreSQL server
        gate = TcpGate(postgres_target(db_url))
        url = gate.url(db_url)
    settings = turing_settings(url, tmp_path / "var", REDIS_URL=redis_server.url, models_dir=tiny_models_dir,
                               device="cpu", database_retry_s=0.3)
    app = create_app(settings)
    try:
        with serve(app) as base, client(base) as c:
            assert c.get("/healthz").json() == {"status": "ok"}
            turing_routes_are_503(c)
            ready = c.get("/readyz")
            assert ready.status_code == 200, ready.text  # the job service is ready without the database
            assert ready.json()["database"].startswith("unavailable"), ready.json()
            colorize_works(c)
            for page in ("/colorize", "/turing", "/turing/trial", "/turing/results"):
                assert c.get(page, follow_redirects=True).status_code == 200, page

            # The database comes up: the Turing test works, without a restart.
            if gate is not None:
                gate.open()
            else:
                blocker.unlink()
            wait_until("the Turing routes to work", lambda: c.get("/api/v1/turing/pool").status_code == 200, 30,
                       interval_s=0.2)
            assert c.get("/readyz").json()["database"] == "ok"
            db = app.state.turing.db
            seed_pool(db, 2)
            session = play(c, db, lambda t, n: "left", stop_after=3)
            assert session["progress"]["done"] == 3

            if gate is None:
                return
            # The database goes away while the app runs: 503 again, the rest works; then it is back.
            gate.close()
            wait_until("the Turing routes to answer 503",
                       lambda: c.get("/api/v1/turing/pool").status_code == 503, 30, interval_s=0.2)
            turing_routes_are_503(c)
            assert c.get("/readyz").json()["database"].startswith("unavailable")
            colorize_works(c)
            gate.open()
            wait_until("the Turing routes to work again",
                       lambda: c.get("/api/v1/turing/pool").status_code == 200, 30, interval_s=0.2)
            again = c.get(f"/api/v1/turing/sessions/{session['id']}").json()
            assert again["progress"]["done"] == 3 and again["trial"]["id"] == session["trial"]["id"]
            assert play(c, db, lambda t, n: "left", session=again, stop_after=2)["progress"]["done"] == 5
    finally:
        if gate is not None:
            gate.close()


def test_a_locked_database_gives_votes_503_in_seconds_and_colorize_stays_fast(db_url: str, tmp_path: Path,
                                                                             redis_server, worker, tiny_models_dir):
    # The default timeouts: what is asserted is what a deployment gets.
    settings = turing_settings(db_url, tmp_path / "var", REDIS_URL=redis_server.url, models_dir=tiny_models_dir,
                               device="cpu")
    app = create_app(settings)
    with serve(app) as base, client(base) as c:
        db = app.state.turing.db
        seed_pool(db, 2)
        session = c.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
        trial = session["trial"]
        look(c, db, trial)
        cookies = dict(c.cookies)
        assert cookies, "the participant cookie"

        with write_locked(db_url):
            start = time.monotonic()
            resp = c.post(trial["links"]["vote"], json={"choice": "left"})
            took = time.monotonic() - start
            assert_503(resp)
            assert took < VOTE_503_MAX_S, f"the vote took {took:.1f} s"

            # Many Turing writes wait on the lock at once; uploads and pages do not wait behind them.
            answers: list[tuple[int, str | None, float]] = []

            def turing_write(i: int) -> None:
                t0 = time.monotonic()
                with client(base, timeout_s=60, cookies=cookies if i % 2 else None) as one:
                    if i % 2:
                        r = one.post(trial["links"]["vote"], json={"choice": "left"})
                    else:  # a new participant each
                        r = one.post("/api/v1/turing/sessions", json={"mode": "untimed"})
                answers.append((r.status_code, r.headers.get("retry-after"), time.monotonic() - t0))

            threads = [threading.Thread(target=turing_write, args=(i,)) for i in range(FLOOD)]
            for t in threads:
                t.start()
            time.sleep(0.5)  # they are all waiting now
            upload, upload_s = timed(lambda: c.post("/api/v1/colorization",
                                                    files=image_field(good_files()["rgb.jpg"])))
            page, page_s = timed(lambda: c.get("/colorize", follow_redirects=True))
            health, _ = timed(lambda: c.get("/healthz"))
            for t in threads:
                t.join(60)
            assert upload.status_code == 202, upload.text
            assert page.status_code == 200 and health.status_code == 200
            assert upload_s < UPLOAD_MAX_S, f"the upload took {upload_s:.1f} s behind {FLOOD} Turing writes"
            assert page_s < UPLOAD_MAX_S, f"the /colorize page took {page_s:.1f} s"
            assert len(answers) == FLOOD
            assert {status for status, _, _ in answers} == {503}, answers  # never a 500
            assert all(retry is not None and int(retry) >= 1 for _, retry, _ in answers)
            assert max(s for _, _, s in answers) < 2 * VOTE_503_MAX_S, answers

        # The lock is gone: the same vote goes through, the upload's job finished.
        resp = c.post(trial["links"]["vote"], json={"choice": "left"})
        assert resp.status_code == 201, resp.text
        assert finished(c, upload.json()["id"])["status"] == "succeeded"
        assert c.get("/readyz").json()["database"] == "ok"


def timed(call: Any) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    resp = call()
    return resp, time.monotonic() - start
