"""Mutation fuzz of image files through the upload check and the workers' decode: they never disagree.

Every mutated file is either refused at upload (an ImageError, answered 4xx) or decoded by the worker;
one accepted at upload and then failing in the worker is a job the user was told was accepted and lost.
"""

import random

import pytest

from app.services.uploads import probe_image
from core.errors import ImageError
from models.imageio import decode_image
from tests.imagecorpus import good_files

SEED = 33
MUTANTS_PER_FILE = 150
MAX_PIXELS = 4_000_000


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage: flipped bytes, a cut, a repeated or removed run, or bytes spliced in."""
    b = bytearray(data)
    kind = rng.choice(["flip", "flip", "cut", "repeat", "remove", "splice"])
    i = rng.randrange(len(b))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == "cut":
        del b[i:]
    elif kind == "repeat":
        b[i:i] = b[i : i + rng.randint(1, 64)]
    elif kind == "remove":
        del b[i : i + rng.randint(1, 64)]
    else:
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    return bytes(b)


@pytest.mark.parametrize("name", sorted(good_files()))
def test_a_mutated_file_is_refused_at_upload_or_decoded_by_the_worker(name):
    rng = random.Random(f"{SEED}:{name}")
    original = good_files()[name]
    accepted = refused = 0
    disagreements = []
    for k in range(MUTANTS_PER_FILE):
        data = mutate(original, rng)
        try:
            _, width, height = probe_image(data, MAX_PIXELS)
        except ImageError:
            refused += 1
            continue
        accepted += 1
        try:
            rgb = decode_image(data, MAX_PIXELS)
        except ImageError as exc:
            disagreements.append(f"mutant {k}: accepted at upload, then {type(exc).__name__}: {exc}")
            continue
        if rgb.shape[:2] != (height, width):
            disagreements.append(f"mutant {k}: upload said {width}x{height}, the worker decoded {rgb.shape[1]}x"
                                 f"{rgb.shape[0]}")
    assert not disagreements, "\n".join(disagreements[:10])
    assert accepted + refused == MUTANTS_PER_FILE
