"""Quotas live in Redis, shared by every API replica; X-Forwarded-For counts only from trusted proxies.

Issue #33, attack 5: the limits lived in each process's memory, so a second replica reset them, and the
per-address limit believed X-Forwarded-For from anyone.
"""

from pathlib import Path

from fastapi.testclient import TestClient
from limits.storage import MemoryStorage, RedisStorage

from app.main import create_app
from tests.app.turing.helpers import play, seed_pool, turing_settings
from tests.service_fixtures import run_redis

SESSIONS = "/api/v1/turing/sessions"
PROXY = ("192.0.2.10", 40000)  # TEST-NET-1: the load balancer in front of both replicas


def start(client: TestClient, headers: dict[str, str] | None = None) -> int:
    return client.post(SESSIONS, json={"mode": "untimed"}, headers=headers or {}).status_code


def test_two_replicas_on_one_redis_share_the_quotas(db_url: str, tmp_path: Path):
    redis = run_redis(tmp_path / "redis")
    try:
        settings = turing_settings(db_url, tmp_path / "var", REDIS_URL=redis.url, turing_new_participants_per_hour=2,
                                   turing_votes_per_minute=4)
        one, two = create_app(settings), create_app(settings)
        with TestClient(one) as a, TestClient(two) as b:
            seed_pool(one.state.turing.db, 2)
            assert start(a) == 201
            assert start(b) == 201
            c = TestClient(two)  # a third new cookie from the same address, on the other replica: over
            assert start(c) == 429
            # Headers from a peer that is not a trusted proxy change nothing.
            for forwarded in ("203.0.113.5", "203.0.113.6, 198.51.100.7"):
                assert start(TestClient(one), {"X-Forwarded-For": forwarded}) == 429
                assert start(TestClient(two), {"X-Real-IP": forwarded, "Forwarded": f"for={forwarded}"}) == 429
            # Votes: 4 a minute for one participant, whichever replica takes them.
            db = one.state.turing.db
            session = play(a, db, lambda t, n: "left", stop_after=2)
            b.cookies.update(a.cookies)
            session = play(b, db, lambda t, n: "left", session=session, stop_after=2)
            over = a.post(session["trial"]["links"]["vote"], json={"choice": "left"})
            assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
            assert isinstance(one.state.turing.quotas.storage, RedisStorage)
    finally:
        redis.stop()


def test_addresses_come_from_x_forwarded_for_only_through_trusted_proxies(db_url: str, tmp_path: Path):
    settings = turing_settings(db_url, tmp_path / "var", turing_new_participants_per_hour=1,
                               trusted_proxies="192.0.2.0/28, 2001:db8::1")
    app = create_app(settings)
    with TestClient(app) as client:
        seed_pool(app.state.turing.db, 2)

        def via_proxy(forwarded: str) -> int:
            return start(TestClient(app, client=PROXY), {"X-Forwarded-For": forwarded})

        assert via_proxy("198.51.100.1") == 201
        assert via_proxy("198.51.100.1") == 429  # the same client behind the proxy
        assert via_proxy("198.51.100.2") == 201  # another client behind it
        # The client is the right-most hop the proxy did not add: a spoofed left part is no new address.
        assert via_proxy("10.9.9.9, 198.51.100.2") == 429
        assert via_proxy("198.51.100.3, 192.0.2.11") == 201  # through two trusted hops
        # A direct peer that is no proxy: its own address, whatever it sends.
        assert start(client) == 201
        assert start(TestClient(app), {"X-Forwarded-For": "198.51.100.77"}) == 429
        assert isinstance(app.state.turing.quotas.storage, MemoryStorage)  # no REDIS_URL: memory, still works
