"""Engine, sessions and migrations of the Turing-test database (SQLite by default, PostgreSQL by URL)."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, get_settings

PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
SQLITE_FILE = "turing.sqlite"
_migrate_lock = threading.Lock()


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


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets its folder created, WAL and a busy timeout for concurrent votes."""
    url = engine_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def alembic_config() -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    with _migrate_lock, engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    """An engine and its session factory; ``migrate`` first."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None

    def writing(self) -> AbstractContextManager[Any]:
        """Held around write transactions: on SQLite, one writer at a time in this process, so writers
        queue on a lock instead of sleeping in SQLite's busy handler; nothing on PostgreSQL."""
        return self._write_lock if self._write_lock is not None else nullcontext()

    def migrate(self) -> "Database":
        migrate(self.engine)
        return self

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings | None = None) -> Database:
    return Database(database_url(settings)).migrate()
