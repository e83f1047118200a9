"""argparse types shared by the training commands; torch-free, so evaluations stay light to import."""

import argparse


def sides(text: str) -> list[int]:
    """'128' or '128,176' -> serving short sides; the first is the primary one (maps, output grid)."""
    try:
        out = [int(v) for v in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sides are comma-separated integers, got {text!r}") from exc
    if not out or min(out) < 8:
        raise argparse.ArgumentTypeError(f"sides must be at least 8 px, got {text!r}")
    return out
