"""bench/load_turing.py, smoke-run small: concurrent participants, no vote lost or counted twice."""

import pytest

from bench.load_turing import main

pytestmark = pytest.mark.slow


def test_the_load_script_loses_no_vote_and_counts_none_twice(capsys):
    assert main(["--participants", "8", "--votes", "12", "--max-seconds", "60"]) == 0
    out = capsys.readouterr().out
    assert "OK: no vote lost or counted twice" in out and "lost 0" in out
