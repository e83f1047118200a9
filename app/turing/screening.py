"""Who is left out of the published fooling rate: participants whose answers are not a person's.

Judged over the test trials of each participant's finished sessions, together (docs/turing.md, "Who is
counted"). Each rule names a reason; a participant with any reason is left out of every fooling rate.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

ATTENTION = "attention_checks"  # passed too few attention checks
TOO_FAST = "too_fast"  # answered faster than a person can, as timed by the server
ONE_SIDE = "one_side"  # chose the same side in every model trial
PREFERS_FAKE = "prefers_fake"  # chose the fake more often than chance allows
REASONS = (ATTENTION, TOO_FAST, ONE_SIDE, PREFERS_FAKE)

FAKE_P_MAX = 0.001  # one-sided binomial p below which choosing the fake is not chance
ONE_SIDE_MIN_TRIALS = 10  # fewer model trials than this say nothing about a side habit


@dataclass(frozen=True)
class Answer:
    """One test vote of a finished session, as the rules see it."""

    participant: int
    attention: bool
    chose_real: bool
    side: str
    server_ms: int | None  # image served -> vote; None for votes recorded before the server timed them


@dataclass(frozen=True)
class Rule:
    attention_pass_min: float
    min_response_ms: int


def upper_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2): how likely k or more fakes are chosen by chance."""
    if k <= 0:
        return 1.0
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n


def _reasons(answers: list[Answer], rule: Rule) -> list[str]:
    reasons = []
    checks = [a.chose_real for a in answers if a.attention]
    if checks and sum(checks) / len(checks) < rule.attention_pass_min:
        reasons.append(ATTENTION)
    times = [a.server_ms for a in answers if a.server_ms is not None]
    if rule.min_response_ms > 0 and times and statistics.median(times) < rule.min_response_ms:
        reasons.append(TOO_FAST)
    model = [a for a in answers if not a.attention]
    if len(model) >= ONE_SIDE_MIN_TRIALS and len({a.side for a in model}) == 1:
        reasons.append(ONE_SIDE)
    # A perfect fake is chosen half the time; much more than that means the chooser can tell the fake.
    fooled = sum(not a.chose_real for a in model)
    if model and upper_tail(fooled, len(model)) < FAKE_P_MAX:
        reasons.append(PREFERS_FAKE)
    return reasons


def screen(answers: Iterable[Answer], rule: Rule) -> dict[int, list[str]]:
    """The participants left out, each with its reasons (in REASONS order)."""
    by_participant: dict[int, list[Answer]] = defaultdict(list)
    for a in answers:
        by_participant[a.participant].append(a)
    out = {}
    for participant, theirs in by_participant.items():
        if reasons := _reasons(theirs, rule):
            out[participant] = reasons
    return out
