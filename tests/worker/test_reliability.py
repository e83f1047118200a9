"""At-least-once delivery and time limits, each test against a private Redis and its own workers."""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.celery_config import make_celery
from core.settings import Settings
from core.store import Job, JobStore
from core.tasks import get_task
from tests.imagecorpus import good_files
from tests.service_fixtures import RedisServer, Worker, run_redis, run_worker, wait_for_job, worker_env

pytestmark = pytest.mark.slow

VISIBILITY_S = 3  # short, so an abandoned message comes back within the test
UNINTERRUPTIBLE = "pretext.test.uninterruptible"  # defined in tests/worker/uninterruptible_app.py


@contextmanager
def private_redis(tmp_path: Path) -> Iterator[tuple[RedisServer, list[Worker]]]:
    """A Redis of this test's own, and a list whose workers are stopped at the end."""
    server = run_redis(tmp_path / "redis")
    workers: list[Worker] = []
    try:
        yield server, workers
    finally:
        for w in workers:
            w.stop()
        server.stop()


def queue_job(server: RedisServer, task: str = get_task("colorization").task_name) -> tuple[JobStore, Job]:
    store = JobStore(server.client(), 600)
    job = store.create("colorization", {"temperature": 0.38}, {"input": good_files()["rgb.jpg"]})
    celery = make_celery(Settings(REDIS_URL=server.url))
    celery.send_task(task, args=[job.id], task_id=job.id, queue="colorization", ignore_result=True)
    celery.close()
    return store, job


def test_a_job_survives_the_sigkill_of_its_worker(tmp_path, tiny_models_dir):
    with private_redis(tmp_path) as (server, workers):
        env = worker_env(server.url, tiny_models_dir, broker_visibility_timeout_s=VISIBILITY_S,
                         broker_restore_interval_s=1)
        slow = run_worker("slow", {**env, "PRETEXT_TASK_TEST_DELAY_S": "120"}, tmp_path / "logs")
        workers.append(slow)
        store, job = queue_job(server)

        running = wait_for_job(store, job.id, 60, frozenset({"running"}))
        assert running.worker.startswith("slow@") and running.attempts == 1
        slow.child.signal(signal.SIGKILL)  # the whole worker: parent and pool process
        slow.child.proc.wait(10)

        workers.append(run_worker("rescuer", env, tmp_path / "logs"))
        done = wait_for_job(store, job.id, 60)
        assert done.status == "succeeded", done.error
        assert done.worker.startswith("rescuer@") and done.attempts == 2
        assert store.blob(job.id, "result").startswith(b"\x89PNG")


def test_a_job_over_the_soft_time_limit_is_failed_by_the_task_itself(tmp_path, tiny_models_dir):
    with private_redis(tmp_path) as (server, workers):
        env = worker_env(server.url, tiny_models_dir, task_soft_time_limit_s=1, task_time_limit_s=30,
                         task_test_delay_s=20)
        workers.append(run_worker("sleepy", env, tmp_path / "logs"))
        store, job = queue_job(server)
        failed = wait_for_job(store, job.id, 30)
        assert failed.status == "failed" and "time limit of 1 s" in failed.error, failed.error


def test_a_job_over_the_hard_time_limit_is_failed_not_left_running(tmp_path, tiny_models_dir):
    with private_redis(tmp_path) as (server, workers):
        env = worker_env(server.url, tiny_models_dir, task_soft_time_limit_s=1, task_time_limit_s=3)
        workers.append(run_worker("stuck", env, tmp_path / "logs", app="tests.worker.uninterruptible_app"))
        store, job = queue_job(server, UNINTERRUPTIBLE)
        failed = wait_for_job(store, job.id, 60)
        assert failed.status == "failed" and "time limit of 3 s" in failed.error, failed.error
        assert failed.attempts == 1
