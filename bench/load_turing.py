"""Load test of the Turing test's votes over loopback HTTP: votes per second, latency, nothing lost.

Starts the API under uvicorn on 127.0.0.1 with a fresh database (a temp SQLite file, or
--database-url), seeds a synthetic photo pool, then lets N concurrent participants (each its own
cookie) run sessions and vote as fast as the server answers. Every 10th vote is sent twice: the
second must be refused (409). At the end the database is checked against what the clients were told:
every accepted vote stored exactly once, no refused duplicate stored. Bounded by --participants,
--votes and --max-seconds.

    python -m bench.load_turing                      # 50 participants, whole sessions, 60 s cap
    python -m bench.load_turing --votes 10 --max-seconds 20   # a quick smoke run
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from app.turing import repository as repo
from app.turing.db import Database
from app.turing.tables import Vote
from pretext.serve import free_port, http_ok, start_api, wait_for

HOST = "127.0.0.1"  # loopback only, by design
MAX_PARTICIPANTS = 500
MAX_SECONDS = 600.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # accepted votes, seconds
    accepted: set[str] = field(default_factory=set)  # trial ids the server accepted a vote for
    duplicates_refused: int = 0
    duplicates_accepted: int = 0
    errors: list[str] = field(default_factory=list)
    sessions_finished: int = 0


def seed(db: Database, photos: int = 8) -> None:
    rng = np.random.default_rng(0)
    with db.session() as s:
        for i in range(photos):
            y, x = np.mgrid[0:256, 0:256]
            rgb = np.stack([(x + 40 * i) % 256, (y + 20 * i) % 256, (x + y) // 2 % 256], -1).astype(np.uint8)
            photo = repo.add_photo(s, rgb, f"synthetic-{i}", "bench", rng)
            repo.add_model_colorization(s, photo.id, rgb[..., ::-1], "colorization", "bench", 0.38)


async def participant(base: str, votes: int, deadline: float, tally: Tally, rng: np.random.Generator) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post("/api/v1/turing/sessions", json={"mode": "untimed"})
        if r.status_code != 201:
            tally.errors.append(f"session: {r.status_code} {r.text[:100]}")
            return
        session = r.json()
        sent = 0
        while session["trial"] is not None and sent < votes and time.monotonic() < deadline:
            trial = session["trial"]
            choice = "left" if rng.random() < 0.5 else "right"
            t0 = time.perf_counter()
            r = await client.post(trial["links"]["vote"], json={"choice": choice, "response_ms": 500})
            elapsed = time.perf_counter() - t0
            sent += 1
            if r.status_code != 201:
                tally.errors.append(f"vote: {r.status_code} {r.text[:100]}")
                return
            tally.latencies.append(elapsed)
            tally.accepted.add(trial["id"])
            if sent % 10 == 0:  # the same vote again: must be refused
                again = await client.post(trial["links"]["vote"], json={"choice": choice})
                if again.status_code == 409:
                    tally.duplicates_refused += 1
                else:
                    tally.duplicates_accepted += 1
            session = r.json()["session"]
        if session["finished"]:
            tally.sessions_finished += 1


async def drive(base: str, participants: int, votes: int, max_seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    deadline = time.monotonic() + max_seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(participant(base, votes, deadline, tally, np.random.default_rng(i))
                           for i in range(participants)))
    return tally, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--participants", type=int, default=50, help=f"concurrent participants (at most {MAX_PARTICIPANTS})")
    p.add_argument("--votes", type=int, default=50, help="votes per participant (50 = a whole session)")
    p.add_argument("--max-seconds", type=float, default=60.0, help=f"time cap (at most {MAX_SECONDS:.0f})")
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    args = p.parse_args(argv)
    participants = max(1, min(args.participants, MAX_PARTICIPANTS))
    votes = max(1, min(args.votes, 50))
    max_seconds = max(1.0, min(args.max_seconds, MAX_SECONDS))

    with tempfile.TemporaryDirectory(prefix="load-turing-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'turing.sqlite'}"
        db = Database(url).migrate()
        seed(db)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"} and not k.startswith("PRETEXT_")}
        env.update(DATABASE_URL=url, PRETEXT_VAR_DIR=tmp, PRETEXT_TURING_VOTES_PER_MINUTE="100000",
                   PRETEXT_TURING_SESSIONS_PER_HOUR="100000")
        log = (Path(tmp) / "api.log").open("wb")
        api = start_api(HOST, port, env, stdout=log)
        base = f"http://{HOST}:{port}"
        try:
            wait_for("the API", lambda: http_ok(f"{base}/healthz"), [api], 60)
            tally, wall = asyncio.run(drive(base, participants, votes, max_seconds))
            stats = httpx.get(f"{base}/api/v1/turing/stats", timeout=30).json()
        finally:
            api.stop()
            log.close()
        with db.session() as s:
            stored = int(s.scalar(select(func.count()).select_from(Vote)) or 0)
            stored_ids = set(s.scalars(select(Vote.trial_id)))
        db.dispose()

    lat = sorted(tally.latencies)
    n = len(lat)
    p99 = lat[min(n - 1, int(0.99 * n))] if n else float("nan")
    lost = len(tally.accepted - stored_ids)
    extra = stored - len(tally.accepted)
    print(f"participants          {participants} (concurrent), up to {votes} votes each")
    print(f"votes accepted        {n} in {wall:.2f} s = {n / wall:.1f} votes/s")
    if n:
        print(f"latency (ms)          p50 {1000 * statistics.median(lat):.1f}  p99 {1000 * p99:.1f}  "
              f"max {1000 * lat[-1]:.1f}")
    print(f"duplicates refused    {tally.duplicates_refused} (accepted: {tally.duplicates_accepted})")
    print(f"sessions finished     {tally.sessions_finished}; stats count {stats['votes']} votes of finished sessions")
    print(f"stored votes          {stored}: lost {lost}, counted twice or unexpected {extra}")
    for e in tally.errors[:5]:
        print(f"error: {e}")
    ok = not tally.errors and lost == 0 and extra == 0 and tally.duplicates_accepted == 0
    print("OK: no vote lost or counted twice" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
