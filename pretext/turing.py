"""``pretext turing import DIR``: add photos to the Turing-test pool and queue their colorizations."""

import argparse
import sys
import time
from pathlib import Path

from app.turing import pool
from app.turing import repository as repo
from app.turing.db import open_database
from core.settings import Settings, get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder of photos (searched recursively)")
    parser.add_argument("--limit", type=int, default=None, help="import at most this many photos, spread evenly")
    parser.add_argument("--wait", type=float, default=300.0,
                        help="seconds to wait for the colorizations (0: queue and return; the app collects them)")
    parser.add_argument("--source", default=None, help="where the photos come from (default: the folder's name)")


def queue_and_wait(settings: Settings, db, wait_s: float, out=sys.stdout) -> dict[str, int]:
    """Queue colorize jobs for photos without one and collect results for up to ``wait_s``."""
    from core.submit import job_queue

    with job_queue(settings) as (store, celery):
        queued = pool.queue_missing(db, store, celery)
        print(f"queued {queued} colorization jobs", file=out)
        deadline = time.monotonic() + wait_s
        while True:
            pool.collect(db, store)
            with db.session() as s:
                status = repo.pool_status(s)
            if status["queued"] == 0 or time.monotonic() >= deadline:
                return status
            time.sleep(0.5)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"not a folder: {folder}", file=sys.stderr)
        return 2
    files = pool.photo_files(folder)
    if args.limit is not None:
        files = pool.spread(files, max(0, args.limit))
    db = open_database(settings)
    try:
        report = pool.import_files(db, files, folder, args.source or folder.name)
        print(f"{report.added} photos added, {report.duplicates} already there, {report.grayscale} grayscale "
              f"skipped, {report.public} skipped as public sample photos, {len(report.unreadable)} unreadable")
        for line in report.unreadable:
            print(f"  unreadable: {line}", file=sys.stderr)
        if not settings.redis_url:
            print("REDIS_URL is not set, so no colorization was queued; the app queues them when it runs "
                  "with Redis (make run)")
            return 0
        status = queue_and_wait(settings, db, args.wait)
        print(f"pool: {status['photos']} photos, {status['ready']} ready, {status['queued']} colorizations "
              f"waiting, {status['failed']} failed")
        return 0
    finally:
        db.dispose()
