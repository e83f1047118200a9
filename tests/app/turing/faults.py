"""What the database-fault tests share: the app under uvicorn in a thread, a TCP gate in front of PostgreSQL
(the database "down" and "back" from the app's side), and another connection holding a write lock."""

import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from pretext.serve import free_port
from tests.service_fixtures import wait_until


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a free port, in a thread of this process (so the test can see ``app.state``);
    its base URL. Real HTTP with client-side timeouts: a request that hangs fails the test instead."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=10))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until("uvicorn to start or give up", lambda: server.started or not thread.is_alive(), 60)
        if not server.started:
            pytest.fail("the app did not start (its lifespan failed: see the log above)")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def client(base_url: str, timeout_s: float = 20, cookies: dict[str, str] | None = None) -> httpx.Client:
    # A fresh connection per request, as in tests/browser/conftest.py (no reuse of one uvicorn just closed).
    return httpx.Client(base_url=base_url, timeout=timeout_s, cookies=cookies,
                        limits=httpx.Limits(max_keepalive_connections=0))


def assert_503(resp: httpx.Response) -> None:
    """The answer of a Turing route without its database: 503, Retry-After, a message that says why."""
    assert resp.status_code == 503, (resp.request.url, resp.status_code, resp.text)
    assert int(resp.headers["retry-after"]) >= 1
    assert "database" in resp.json()["detail"] or "busy" in resp.json()["detail"]


class TcpGate:
    """A local port in front of the PostgreSQL server. Closed, it refuses connections and cuts the ones it
    carried, as a database that went down; open, it forwards them again. The port stays reserved meanwhile
    (bound, not listening), so no other socket takes it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._sock = self._reserve(0)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._acceptor: threading.Thread | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @staticmethod
    def _reserve(port: int) -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return s

    def url(self, db_url: str) -> str:
        """``db_url`` through this gate."""
        return make_url(db_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def open(self) -> None:
        self._stop = threading.Event()
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._acceptor = threading.Thread(target=self._accept, args=(self._sock, self._stop), daemon=True)
        self._acceptor.start()

    def close(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
            self._acceptor = None
        self._sock.close()
        self._sock = self._reserve(self.port)
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                downstream, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                downstream.close()
                continue
            downstream.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._conns += [downstream, upstream]
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def postgres_target(db_url: str) -> tuple[str, int]:
    url = make_url(db_url)
    return url.host or "127.0.0.1", url.port or 5432


@contextmanager
def write_locked(db_url: str) -> Iterator[None]:
    """Another connection holds the database's write lock until the block ends: on SQLite an immediate write
    transaction, on PostgreSQL ``LOCK TABLE`` of the votes and sessions tables in ACCESS EXCLUSIVE mode."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    with psycopg.connect(db_url) as pg:  # the test schema's search_path comes with the URL's options
        pg.execute("LOCK TABLE turing_votes, turing_sessions IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            pg.rollback()
