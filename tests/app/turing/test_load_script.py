"""bench/load_turing.py, smoke-run small: concurrent participants, no vote lost or counted twice."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.load_turing import main

pytestmark = pytest.mark.slow


def test_the_load_script_loses_no_vote_and_counts_none_twice(capsys):
    # In a thread of its own: the script calls asyncio.run, which refuses to start inside a running
    # event loop, and the browser tests' session-wide Playwright leaves one in the main thread.
    with ThreadPoolExecutor(1) as pool:
        code = pool.submit(main, ["--participants", "8", "--votes", "12", "--max-seconds", "60"]).result(timeout=180)
    assert code == 0
    out = capsys.readouterr().out
    assert "OK: no vote lost or counted twice" in out and "lost 0" in out
