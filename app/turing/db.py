"""Engine, sessions and migrations of the Turing-test database (SQLite by default, PostgreSQL by URL).

Faults are bounded: a write waits a few seconds for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout),
a PostgreSQL statement a few more (statement_timeout), a connection attempt a few (connect_timeout); what
then fails becomes ``DatabaseUnavailableError`` (503 with Retry-After in the API) through ``database_fault``.
"""

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from core.errors import BusyError
from core.settings import Settings, get_settings

PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
SQLITE_FILE = "turing.sqlite"
_migrate_lock = threading.Lock()

BUSY_RETRY_AFTER_S = 2.0  # Retry-After of a lock wait or a full pool: usually over within seconds
DOWN_RETRY_AFTER_S = 5.0  # Retry-After of an unreachable database
# Errors of the database itself (unreachable, locked, too slow), as opposed to a bug in a query.
DATABASE_FAULTS: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# PostgreSQL's lock_not_available (lock_timeout) and query_canceled (statement_timeout).
_PG_TIMEOUT_STATES = frozenset({"55P03", "57014"})


class DatabaseUnavailableError(BusyError):
    """The Turing-test database is not open yet, unreachable, locked or too slow; ``retry_after_s`` says when
    to try again (503 in the API)."""


def is_timeout(exc: BaseException) -> bool:
    """True for a lock or statement that timed out, or a full pool (busy), rather than a database that is down."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _PG_TIMEOUT_STATES:
        return True
    message = str(orig if orig is not None else exc).lower()
    return "database is locked" in message or "database is busy" in message


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (SQLAlchemy's go on with the statement and a link)."""
    lines = str(exc).splitlines()
    return lines[0] if lines else ""


def database_fault(exc: BaseException) -> DatabaseUnavailableError:
    """The domain error of a fault of the database (``DATABASE_FAULTS``); its message names no host or query."""
    if isinstance(exc, DatabaseUnavailableError):
        return exc
    if is_timeout(exc):
        return DatabaseUnavailableError("the Turing-test database is busy (a lock or a slow query did not clear "
                                        "in time); try again in a few seconds", retry_after_s=BUSY_RETRY_AFTER_S)
    return DatabaseUnavailableError("the Turing-test database is unreachable; the Turing test is paused (the rest "
                                    "of the service works); try again later", retry_after_s=DOWN_RETRY_AFTER_S)


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL, or a SQLite file under the settings' var_dir."""
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.var_dir) / SQLITE_FILE}"


def engine_url(url: str) -> str:
    """Plain postgres URLs use psycopg 3 (the driver installed), not psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for ``url`` with the settings' short timeouts; SQLite gets its folder created, WAL and a busy
    timeout for concurrent votes, PostgreSQL a connect timeout, a lock timeout and a statement timeout."""
    settings = settings or get_settings()
    url = engine_url(url)
    lock_s = max(0.0, settings.database_lock_timeout_s)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": lock_s, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args["connect_timeout"] = max(2, math.ceil(settings.database_connect_timeout_s))  # libpq's floor
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=max(1.0, lock_s),
                           connect_args=connect_args)
    if engine.dialect.name == "postgresql":
        lock_ms = max(1, round(lock_s * 1000))
        statement_ms = max(1, round(settings.database_statement_timeout_s * 1000))

        @event.listens_for(engine, "connect")
        def _timeouts(dbapi_conn: Any, _record: Any) -> None:
            # Session-wide, so kept after the commit; set here rather than in the URL's `options`, which may
            # already hold a search_path.
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET lock_timeout = {lock_ms}")
                cur.execute(f"SET statement_timeout = {statement_ms}")
            dbapi_conn.commit()

    return engine


def alembic_config() -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration (idempotent); no statement timeout, the lock timeout stays."""
    with _migrate_lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL statement_timeout = 0"))
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    """An engine and its session factory; ``migrate`` first."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        settings = settings or get_settings()
        self.url = url
        self.engine = make_engine(url, settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.lock_timeout_s = max(0.0, settings.database_lock_timeout_s)
        self._write_lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Held around write transactions: on SQLite, one writer at a time in this process, so writers
        queue on a lock instead of sleeping in SQLite's busy handler; nothing on PostgreSQL. A writer waits
        for its turn at most the lock timeout, then gets ``DatabaseUnavailableError``."""
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=self.lock_timeout_s):
            raise DatabaseUnavailableError("the Turing-test database is busy (other writes are waiting); try again "
                                           "in a few seconds", retry_after_s=BUSY_RETRY_AFTER_S)
        try:
            yield
        finally:
            self._write_lock.release()

    def migrate(self) -> "Database":
        migrate(self.engine)
        return self

    def ping(self) -> None:
        """A round trip to the database (raises one of ``DATABASE_FAULTS`` when it does not answer)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings | None = None) -> Database:
    """The settings' database, migrated; on failure nothing is left open."""
    settings = settings or get_settings()
    db = Database(database_url(settings), settings)
    try:
        return db.migrate()
    except BaseException:
        db.dispose()
        raise
