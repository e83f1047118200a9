"""The protocol of Zhang et al. 2016's colorization Turing test, and the statistics of its votes."""

import math

PRACTICE_TRIALS = 10  # with feedback
TEST_TRIALS = 40  # without
ATTENTION_SHARE = 0.10  # real photo vs a random-colour version: anyone paying attention gets these right
DISPLAY_MS = 1000  # timed mode: how long the pair is shown before it is hidden
MODES = ("timed", "untimed")
SIDES = ("left", "right")
Z95 = 1.959963984540054


def attention_count(n: int) -> int:
    return round(n * ATTENTION_SHARE)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion k/n (None when n is 0)."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(k: int, n: int) -> dict:
    """k of n as the API reports it: counts, share and its 95% Wilson interval."""
    interval = wilson(k, n)
    return {"count": k, "total": n, "rate": (k / n) if n else None,
            "ci95": list(interval) if interval else None}
