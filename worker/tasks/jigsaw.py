"""The jigsaw task: the stored upload (shuffled here from a seed, or already shuffled) -> the solved puzzle."""

from typing import Any

import numpy as np
from celery import Task

from models.errors import BadParameterError
from models.imageio import decode_image, encode_png
from models.jigsaw import GRID, METHODS, crop_to_grid, shuffle_image, uniform_permutations, unshuffle_image
from models.settings import get_settings
from worker import sessions
from worker.base import JobTask, run_job
from worker.celery_app import celery_app
from worker.queues import task_name
from worker.store import Job, JobStore


def server_shuffle(seed: Any) -> np.ndarray:
    """The uniformly random permutation of ``seed`` (the same as ``pretext jigsaw shuffle --seed``)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return uniform_permutations(np.random.default_rng(seed), 1)[0]


def jigsaw_job(job: Job, store: JobStore) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode, crop to the 3x3 grid, shuffle unless the upload already is, solve, encode both images."""
    params = job.params
    method = params.get("method")
    if method is not None and method not in METHODS:
        raise BadParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    shuffle = None if params.get("shuffled") else server_shuffle(params.get("seed"))
    rgb8 = decode_image(store.blob(job.id, "input"), max_pixels=get_settings().max_image_pixels)
    h, w = rgb8.shape[:2]
    if h < GRID or w < GRID:
        raise BadParameterError(f"the image is {w}x{h}; a 3x3 puzzle needs at least 3x3 pixels")
    image = crop_to_grid(rgb8)
    puzzle = image if shuffle is None else shuffle_image(image, shuffle)
    model = sessions.jigsaw()
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
        "seed": None if shuffle is None else params.get("seed"),
        "correct": None if shuffle is None else int((solution.permutation == shuffle).sum()),
        "method": method,
        "rounds": solution.rounds,
        "model": {"name": model.card.get("name", sessions.JIGSAW), "version": model.card.get("version")},
    }
    blobs = {"shuffled": encode_png(puzzle), "result": encode_png(unshuffle_image(puzzle, solution.permutation))}
    return result, blobs


@celery_app.task(name=task_name("jigsaw"), base=JobTask, bind=True)
def jigsaw(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(self, job_id, jigsaw_job)
