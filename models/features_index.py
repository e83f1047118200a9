"""The photos neighbours are found among, and every model's features of them, built once into the cache.

The photos are a dataset split (imagenette-val) centre-cropped and resized as training sees them
(``models.dataset_zip.ZipSplit.cached``: one memmap, shared with training's own cache). Each model's
features of them are a float16 (N, D) ``.npy`` file named after the model file's sha256, its block, input,
size and grid: a new export is indexed again, an unchanged one never. Building takes a lock, so two worker
processes starting together build it once.
"""

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.dataset_zip import ZipSplit
from models.imagenette import class_name


@dataclass(frozen=True)
class IndexPhotos:
    """The index's photos: (N, S, S, 3) uint8 squares, their labels and class names."""

    split: str
    squares: np.ndarray
    labels: np.ndarray  # (N,) int64
    wnids: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.squares)

    def class_of(self, i: int) -> str:
        return class_name(self.wnids[i])


def index_photos(split: str, size: int, limit: int | None = None) -> IndexPhotos:
    """The first ``limit`` photos of ``split`` (all when None) at ``size`` px; DatasetNotFoundError if missing."""
    data = ZipSplit(split)
    squares = data.cached(size, limit)
    records = data.records[: len(squares)]
    return IndexPhotos(split, squares, data.labels[: len(squares)], tuple(r.wnid for r in records))


def vectors_path(cache_dir: Path, name: str, sha256: str, block: int, kind: str, size: int, grid: int,
                 split: str, photos: int) -> Path:
    """Where one model's features of the index live: everything they depend on is in the name."""
    return (Path(cache_dir) / "features"
            / f"{name}-{sha256[:16]}-block{block}-{kind}-{size}px-grid{grid}-{split}-{photos}.npy")


def cached_vectors(path: Path, build: Callable[[], np.ndarray]) -> np.ndarray:
    """The (N, D) float16 array at ``path`` (read-only memmap), built by ``build`` first if it is missing."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process building it: wait, then read what it wrote
            if not path.is_file():
                vectors = np.ascontiguousarray(build(), dtype=np.float16)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as fh:
                    np.save(fh, vectors)
                os.replace(tmp, path)
    return np.load(path, mmap_mode="r")
