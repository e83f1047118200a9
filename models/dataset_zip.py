"""The shared dataset zips (JPEG members + CSV manifest), read without torch: records, photos, cached squares.

Training (``training.datasets``) and serving (the features index) read the splits with this one reader, so
both see the same photos resized the same way.
"""

import csv
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.errors import DatasetNotFoundError
from core.settings import get_settings


@dataclass(frozen=True)
class Record:
    member: str
    label: int
    wnid: str


def datasets_dir() -> Path:
    return Path(get_settings().datasets_dir)


def split_paths(split: str, root: Path | None = None) -> tuple[Path, Path]:
    """(zip, manifest) paths of a split; raises DatasetNotFoundError when either is missing."""
    root = root or datasets_dir()
    zpath, mpath = root / f"{split}.zip", root / f"{split}.csv"
    if not zpath.is_file() or not mpath.is_file():
        raise DatasetNotFoundError(f"split {split!r} not found under {root}")
    return zpath, mpath


def read_manifest(path: Path) -> list[Record]:
    with path.open(newline="") as fh:
        return [Record(r["member"], int(r["label"]), r["wnid"]) for r in csv.DictReader(fh)]


def square_resize(im: Image.Image, size: int) -> np.ndarray:
    """Centre-crop to a square, resize to size x size: (size, size, 3) uint8."""
    im = im.convert("RGB")
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    im = im.crop((left, top, left + s, top + s))
    if s != size:
        im = im.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return np.asarray(im, dtype=np.uint8)


class ZipSplit:
    """One split: random access to decoded RGB images and their labels."""

    def __init__(self, split: str, root: Path | None = None) -> None:
        self.split = split
        self.zip_path, manifest = split_paths(split, root)
        self.records = read_manifest(manifest)
        self._zip: zipfile.ZipFile | None = None
        self._pid = -1

    def __len__(self) -> int:
        return len(self.records)

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.records], dtype=np.int64)

    def _archive(self) -> zipfile.ZipFile:
        # A ZipFile handle must not be shared across fork()ed data-loader workers.
        if self._zip is None or self._pid != os.getpid():
            self._zip = zipfile.ZipFile(self.zip_path)
            self._pid = os.getpid()
        return self._zip

    def image(self, i: int) -> Image.Image:
        data = self._archive().read(self.records[i].member)
        return Image.open(io.BytesIO(data))

    def rgb(self, i: int) -> np.ndarray:
        """(H, W, 3) uint8 of record i, as stored."""
        return np.asarray(self.image(i).convert("RGB"), dtype=np.uint8)

    def cached(self, size: int, limit: int | None = None) -> np.ndarray:
        """All images centre-cropped and resized to size x size: a read-only (N, size, size, 3) memmap.

        Built once under the cache directory, so training epochs never decode JPEGs.
        """
        n = len(self) if limit is None else min(limit, len(self))
        cache = Path(get_settings().cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        stem = cache / f"{self.split}-{size}-{n}"
        data, meta = stem.with_suffix(".u8"), stem.with_suffix(".json")
        shape = (n, size, size, 3)
        if not (meta.is_file() and json.loads(meta.read_text()).get("shape") == list(shape)):
            # One temp file per process: two runs building the same cache must not truncate each other's mapping.
            tmp = stem.with_suffix(f".u8.{os.getpid()}.tmp")
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
            for i in range(n):
                out[i] = square_resize(self.image(i), size)
            out.flush()
            del out
            os.replace(tmp, data)
            meta.write_text(json.dumps({"split": self.split, "shape": list(shape)}))
        return np.load(data, mmap_mode="r")
