"""Jigsaw jobs: the stored upload (shuffled here from a seed, or already shuffled) -> the solved puzzle."""

from typing import Any

import numpy as np

from core.errors import BadParameterError
from core.settings import get_settings
from core.store import Job, JobStore
from core.tasks.jigsaw import JigsawParams
from models.imageio import decode_image, encode_png
from models.jigsaw import GRID, crop_to_grid, shuffle_image, uniform_permutations, unshuffle_image
from worker import sessions


def server_shuffle(seed: int | None) -> np.ndarray:
    """The uniformly random permutation of ``seed`` (the same as ``pretext jigsaw shuffle --seed``)."""
    if seed is None:
        raise BadParameterError("a job the server shuffles needs a seed; the API chooses one at submission")
    return uniform_permutations(np.random.default_rng(seed), 1)[0]


def run(job: Job, store: JobStore, params: JigsawParams) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, crop to the 3x3 grid, shuffle unless the upload already is, solve, encode both images."""
    method = params.method
    shuffle = None if params.shuffled else server_shuffle(params.seed)
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    h, w = rgb8.shape[:2]
    if h < GRID or w < GRID:
        raise BadParameterError(f"the image is {w}x{h}; a 3x3 puzzle needs at least 3x3 pixels")
    image = crop_to_grid(rgb8)
    puzzle = image if shuffle is None else shuffle_image(image, shuffle)
    model = sessions.model("jigsaw")
    method = method or model.spec.default_method
    if method == "neighbours" and not model.has_neighbours:
        raise BadParameterError("the served jigsaw model has no neighbour head; use method cell or perm")
    solution = model.solve(puzzle, method)
    height, width = puzzle.shape[:2]
    result: dict[str, Any] = {
        "width": width,
        "height": height,
        "permutation": [int(v) for v in solution.permutation],
        "confidence": [round(float(c), 4) for c in solution.confidence],
        "shuffle": None if shuffle is None else [int(v) for v in shuffle],
        "seed": None if shuffle is None else params.seed,
        "correct": None if shuffle is None else int((solution.permutation == shuffle).sum()),
        "method": method,
        "rounds": solution.rounds,
        "model": {"name": model.card.name, "version": model.card.version},
    }
    blobs = {"shuffled": encode_png(puzzle), "result": encode_png(unshuffle_image(puzzle, solution.permutation))}
    return result, blobs

