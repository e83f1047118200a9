"""The one settings class of the project, read from the environment once."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of training, serving and storage; environment variables override."""

    model_config = SettingsConfigDict(env_prefix="PRETEXT_", extra="ignore")

    datasets_dir: Path = PROJECT_ROOT.parent / "shared" / "datasets"
    reference_dir: Path = PROJECT_ROOT.parent / "shared" / "reference"
    models_dir: Path = PROJECT_ROOT / "models" / "weights"
    var_dir: Path = PROJECT_ROOT / "var"
    cache_dir: Path = PROJECT_ROOT / "var" / "cache"

    device: Literal["auto", "cpu", "cuda"] = "auto"

    # Upload guards.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 64_000_000
    large_job_pixels: int = 16_000_000  # above this a job waits in its task's large queue
    # What one client (address, see trusted_proxies) may submit per hour, in pixels: about 500 photos of a
    # megapixel, or 8 at the pixel limit. A job's cost is its pixels.
    pixels_per_client_per_hour: int = 500_000_000

    # Services. REDIS_URL / DATABASE_URL are the conventional names, so read them unprefixed.
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")

    # HTTP API (``make run``): PORT is the conventional name, so it is read unprefixed too.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "PRETEXT_PORT"))
    max_wait_s: float = 60.0  # upper bound of ?wait= on job submissions
    ready_timeout_s: float = 1.0  # how long /readyz waits for a worker to answer a ping
    redis_timeout_s: float = 5.0  # socket timeout of the API's and workers' Redis clients
    # /recolor re-decodes a full-size photo inside the API: this many at once per process, the rest wait.
    recolor_concurrency: int = 2
    recolor_wait_s: float = 15.0
    # The upload check walks the whole file (every byte of a JPEG at 1/8 scale, other formats in full):
    # this many at once per API process.
    probe_concurrency: int = 4
    probe_wait_s: float = 15.0

    # Jobs: uploads, results and job records live in Redis this long after their last update.
    job_ttl_s: int = 6 * 3600
    result_expires_s: int = 6 * 3600  # Celery's own task results
    task_soft_time_limit_s: int = 120
    task_time_limit_s: int = 180
    # A message unacknowledged this long is handed to another worker; it must exceed the hard
    # time limit, or a slow job still running would be started a second time elsewhere.
    broker_visibility_timeout_s: int = 3600
    broker_restore_interval_s: int = 10  # how often workers look for such abandoned messages
    task_max_attempts: int = 3  # deliveries of one job (worker deaths included) before giving up
    task_max_retries: int = 5  # retries after transient Redis errors

    # Workers (``make run``): one worker on every queue ("single") or one per queue.
    worker_layout: Literal["single", "per_queue"] = "single"
    worker_concurrency: int = 0  # prefork processes per worker; 0: one per CPU core
    # The embedded Redis of `make run`: a memory ceiling, past which writes are refused (never evicted,
    # so no job still in flight loses its record); uploads then get 503 until jobs expire.
    redis_max_memory: str = "1gb"
    # Queues a worker consumes, comma-separated; empty: every task's queue (core.queues). Compose sets it.
    worker_queues: str = ""
    onnx_threads: int = 0  # intra-op threads per ONNX session; 0 lets onnxruntime choose
    # The features page's index: only the first N photos of imagenette-val (tests); 0: all of them.
    features_index_limit: int = Field(default=0, ge=0)
    task_test_delay_s: float = 0.0  # test only: sleep inside each job, to kill a worker mid-job

    # Turing test (app/turing): per-participant rate limits; who is left out of the fooling rates.
    turing_votes_per_minute: int = 120
    turing_sessions_per_hour: int = 30
    turing_attention_pass_min: float = 0.75  # share of test attention checks a participant must pass
    # Below this median server-measured answer time (image served -> vote) a participant is not counted.
    turing_min_response_ms: int = 300
    turing_new_participants_per_hour: int = 20  # new participant cookies per client address
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs); empty: the TCP peer is the client.
    trusted_proxies: str = ""
    # Bearer token for the per-vote export (GET /api/v1/turing/votes.csv); unset: the export is disabled.
    admin_token: SecretStr | None = None

    # Turing-test database faults: the Turing routes answer 503 with Retry-After (never a 500 or a hang), on
    # threads of their own, and the API starts and serves everything else without the database.
    database_connect_timeout_s: float = 3.0  # PostgreSQL connect_timeout (whole seconds, at least 2)
    # How long a write waits for a lock: SQLite's busy timeout and the in-process writer queue, PostgreSQL's
    # lock_timeout.
    database_lock_timeout_s: float = 3.0
    database_statement_timeout_s: float = 5.0  # PostgreSQL statement_timeout (migrations have none)
    database_retry_s: float = 5.0  # longest pause between attempts to open the database while it is down
    database_startup_wait_s: float = 10.0  # the API's start waits this long for the first attempt, then serves
    turing_db_concurrency: int = 8  # Turing requests at work on the database at once, per API process
    turing_db_wait_s: float = 2.0  # how long a Turing request waits for one of those places, else 503


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
