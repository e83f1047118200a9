"""The photo pool: import photos, queue their colorizations on the workers, collect the results.

Colorizations run as ordinary ``colorize`` jobs (worker.tasks.colorize, the card's default
temperature). Their PNGs are copied from Redis into the database as soon as the job has succeeded,
normalised like every trial image, so the pool outlives Redis' job TTL and any Redis restart.
"""

import importlib.util
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.turing import repository as repo
from app.turing.db import Database
from app.turing.images import is_colour, square
from app.turing.public_photos import is_public, public_fingerprints
from core.errors import PretextError
from core.settings import get_settings
from models.imageio import decode_image, encode_png, load_image

logger = logging.getLogger(__name__)

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
# Colour photos that scikit-image ships inside its wheel (skimage/data), used when no photos folder exists.
SKIMAGE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")
FILL_LIMIT = 60  # photos `make run` imports into an empty pool


@dataclass
class ImportReport:
    added: int = 0
    duplicates: int = 0
    grayscale: int = 0
    public: int = 0  # photos the pages serve as samples: public, so never in the pool
    unreadable: list[str] = field(default_factory=list)
    queued: int = 0


def photo_files(folder: Path) -> list[Path]:
    """Image files under ``folder``, recursively, in a stable order."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


def spread(files: list[Path], limit: int) -> list[Path]:
    """At most ``limit`` files, taken evenly across the list (so across sub-folders too)."""
    if len(files) <= limit:
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def skimage_photos() -> list[Path]:
    """The bundled scikit-image sample photos, found without importing scikit-image."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return []
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return [data / name for name in SKIMAGE_PHOTOS if (data / name).is_file()]


def default_photos(datasets_dir: Path) -> tuple[list[Path], str]:
    """What `make run` fills an empty pool with: the datasets' photos, else scikit-image's samples."""
    photos = Path(datasets_dir) / "photos"
    if photos.is_dir():
        files = photo_files(photos)
        if files:
            return spread(files, FILL_LIMIT), str(photos)
    files = skimage_photos()
    return files, "scikit-image sample data" if files else ""


def import_files(db: Database, files: Iterable[Path], root: Path | None, source: str,
                 seed: int | None = None, public: Sequence[np.ndarray] | None = None) -> ImportReport:
    """Add each colour photo and its attention-check fake; grayscale, duplicate and public photos are skipped.

    ``public``: fingerprints of the photos served elsewhere (default: the samples of the settings' datasets).
    """
    report = ImportReport()
    rng = np.random.default_rng(seed)
    if public is None:
        public = public_fingerprints(Path(get_settings().datasets_dir))
    for path in files:
        try:
            rgb8 = load_image(path)
        except (PretextError, OSError) as exc:
            report.unreadable.append(f"{path}: {exc}")
            continue
        if not is_colour(rgb8):
            report.grayscale += 1
            continue
        if is_public(rgb8, public):
            report.public += 1
            continue
        name = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else path.name
        with db.session() as s:
            photo = repo.add_photo(s, rgb8, name, source, rng)
        if photo is None:
            report.duplicates += 1
        else:
            report.added += 1
    return report


def queue_missing(db: Database, job_store, celery) -> int:
    """Queue a colorization job for every photo without a model colorization; how many were queued."""
    from core.submit import submit

    with db.session() as s:
        todo = [(p.id, p.png, p.name) for p in repo.photos_without_model(s)]
    for photo_id, png, name in todo:
        rgb8 = decode_image(png)
        # ServiceUnavailableError stops the round; the photos left are queued on the next one.
        job = submit(job_store, celery, "colorization", {"temperature": None, "filename": name, "source": "turing"},
                     {"input": encode_png(square(rgb8))})
        with db.session() as s:
            repo.add_queued(s, photo_id, job.id)
    return len(todo)


def collect(db: Database, job_store) -> dict[str, int]:
    """Copy the results of finished colorize jobs into the database; counts of what changed."""
    from core.errors import JobNotFoundError

    done = {"succeeded": 0, "failed": 0, "queued": 0}
    with db.session() as s:
        queued = [(c.id, c.job_id) for c in repo.queued_colorizations(s)]
    for col_id, job_id in queued:
        try:
            job = job_store.get(job_id) if job_id else None
        except JobNotFoundError:
            job = None
        if job is None:
            with db.session() as s:
                repo.fail(s, col_id, "the colorization job expired before its result was collected")
            done["failed"] += 1
        elif job.status == "succeeded":
            rgb8 = decode_image(job_store.blob(job_id, "result"))
            model = (job.result or {}).get("model") or {}
            with db.session() as s:
                repo.complete(s, col_id, rgb8, str(model.get("name") or "colorization"),
                              str(model.get("version") or "unknown"), (job.result or {}).get("temperature"))
            done["succeeded"] += 1
        elif job.status == "failed":
            with db.session() as s:
                repo.fail(s, col_id, job.error or "the colorization job failed")
            done["failed"] += 1
        else:
            done["queued"] += 1
    return done




def fill_if_empty(settings) -> str:
    """`make run`: an empty pool gets the datasets' photos (or scikit-image's); what was done, in words."""
    from app.turing.db import open_database

    db = open_database(settings)
    try:
        with db.session() as s:
            if repo.pool_status(s)["photos"]:
                return "Turing-test pool already has photos"
        files, source = default_photos(settings.datasets_dir)
        if not files:
            return ("Turing-test pool is empty and no photos were found (no datasets photos folder, no "
                    "scikit-image); add some with `pretext turing import DIR`")
        root = Path(settings.datasets_dir) / "photos" if source != "scikit-image sample data" else None
        report = import_files(db, files, root, source, seed=0,
                              public=public_fingerprints(Path(settings.datasets_dir)))
        queued = 0
        if settings.redis_url:
            from core.submit import job_queue

            with job_queue(settings) as (store, celery):
                queued = queue_missing(db, store, celery)
        return (f"Turing-test pool was empty: imported {report.added} photos from {source} ({report.public} "
                f"left out: public samples); {queued} colorizations queued")
    finally:
        db.dispose()
