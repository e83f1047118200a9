"""``make run``'s launcher: starts Redis, a worker and the API; stops them all; fails loudly."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from pretext.serve import Child, StartError, free_port, spawn, wait_for
from tests.imagecorpus import good_files
from tests.service_fixtures import wait_until

pytestmark = pytest.mark.slow


def launch(tmp_path: Path, models_dir: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PRETEXT_") and k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(PORT=str(port), PRETEXT_VAR_DIR=str(tmp_path / "var"), PRETEXT_MODELS_DIR=str(models_dir),
               PRETEXT_DATASETS_DIR=str(tmp_path / "datasets"),  # the Turing pool fills from scikit-image's 5
               PRETEXT_DEVICE="cpu", PRETEXT_ONNX_THREADS="1", PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pretext.serve"], cwd=PROJECT_ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, process_group=0)
    return proc, log


def accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def our_processes(marker: str) -> list[int]:
    """Pids of processes whose environment mentions ``marker`` (every child inherits PRETEXT_VAR_DIR)."""
    pids = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in env.read_bytes():
                pids.append(int(env.parent.name))
        except OSError:
            continue  # gone, or not ours to read
    return pids


def post_colorize(port: int, data: bytes) -> tuple[int, dict]:
    boundary = "pretextboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/colorize?wait=30", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(60)


def test_it_serves_colorization_and_stops_everything_on_sigterm(tmp_path, tiny_models_dir):
    port = free_port()
    proc, log = launch(tmp_path, tiny_models_dir, port)
    try:
        wait_until("the launcher to say it serves", lambda: "serving at" in log.read_text(), 120, 0.2)
        out = log.read_text()
        assert f"http://127.0.0.1:{port}" in out and "[pretext] WARNING" not in out
        redis_port = int(re.search(r"embedded Redis at redis://127\.0\.0\.1:(\d+)", out).group(1))
        status, job = post_colorize(port, good_files()["rgb.jpg"])
        assert status == 200 and job["result"]["width"] == 96, job
    finally:
        code = stop(proc)
    assert code == 0, log.read_text()
    assert not accepts(port) and not accepts(redis_port)
    assert our_processes(str(tmp_path / "var")) == []


def test_a_missing_model_is_named_and_its_endpoint_answers_503(tmp_path):
    port = free_port()
    proc, log = launch(tmp_path, tmp_path / "no-models", port)
    try:
        wait_until("the launcher to say it serves", lambda: "serving at" in log.read_text(), 120, 0.2)
        assert "WARNING: the colorization model is not installed" in log.read_text()
        status, body = post_colorize(port, good_files()["rgb.jpg"])
        assert status == 503 and "colorization model is not installed" in body["detail"]
    finally:
        assert stop(proc) == 0


def test_a_busy_port_is_a_clear_error(tmp_path, tiny_models_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc, log = launch(tmp_path, tiny_models_dir, port)
        assert proc.wait(60) == 1
    assert f"port {port} is already in use" in log.read_text()
    assert our_processes(str(tmp_path / "var")) == []


def test_a_child_dying_at_start_is_reported():
    child = spawn("doomed", [sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(StartError, match="doomed exited with code 3 while starting"):
        wait_for("never", lambda: False, [child], timeout_s=30)
    assert isinstance(child, Child) and not child.alive()


def pids_of(marker: str, *words: str) -> list[int]:
    """Our processes (``marker`` in their environment) whose command line holds every one of ``words``."""
    found = []
    for pid in our_processes(marker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if all(w in cmdline for w in words):
            found.append(pid)
    return found


def redis_pids(port: str) -> list[int]:
    """The redis-server on ``port`` (it rewrites its own environment, so it is found by command line)."""
    found = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmd.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "redis-server" in line and f":{port}" in line:
            found.append(int(cmd.parent.name))
    return found


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_killed_redis_and_worker_are_restarted_and_no_finished_job_is_lost(tmp_path, tiny_models_dir):
    port = free_port()
    marker = str(tmp_path / "var")
    proc, log = launch(tmp_path, tiny_models_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until("the launcher to say it serves", lambda: "serving at" in log.read_text(), 120, 0.2)
        status, job = post_colorize(port, good_files()["rgb.jpg"])
        assert status == 200 and job["status"] == "succeeded", job
        time.sleep(1.5)  # Redis appends to its log every second

        redis_port = re.search(r"embedded Redis at redis://127\.0\.0\.1:(\d+)", log.read_text()).group(1)
        (redis_pid,) = redis_pids(redis_port)
        os.kill(redis_pid, signal.SIGKILL)
        wait_until("Redis to be restarted", lambda: "restarted redis" in log.read_text(), 60, 0.2)
        wait_until("the service to be ready again", lambda: get_json(f"{base}/readyz")[0] == 200, 90, 0.5)
        assert get_json(f"{base}/api/v1/jobs/{job['id']}")[1]["status"] == "succeeded"  # kept on disk

        for pid in pids_of(marker, "celery", "worker"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until("the worker to be restarted", lambda: "restarted worker" in log.read_text(), 60, 0.2)
        wait_until("a worker to answer", lambda: get_json(f"{base}/readyz")[0] == 200, 120, 0.5)
        status, again = post_colorize(port, good_files()["rgb.jpg"])
        assert status == 200 and again["status"] == "succeeded", again
        launcher = get_json(f"{base}/readyz")[1]["launcher"]
        assert launcher["redis"]["restarts"] >= 1 and launcher["redis"]["state"] == "running"
        assert any(v["restarts"] >= 1 for k, v in launcher.items() if k.startswith("worker"))
    finally:
        assert stop(proc) == 0
    assert our_processes(marker) == []
