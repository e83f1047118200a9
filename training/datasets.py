"""Read the shared dataset zips (JPEG members + CSV manifest) and cache decoded images as memmaps.

The reader itself is ``models.dataset_zip`` (no torch), shared with serving; this module adds what only
training needs.
"""

from pathlib import Path

from core.errors import DatasetNotFoundError
from models.dataset_zip import (  # noqa: F401  (the names training has always imported from here)
    Record,
    ZipSplit,
    datasets_dir,
    read_manifest,
    split_paths,
    square_resize,
)

SPLITS = ("imagenette-train", "imagenette-val", "tinyimagenet-train")
TINY_SIZE = 64  # Tiny ImageNet's side
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def photo_paths(root: Path | None = None) -> list[Path]:
    """Every photo under the datasets' ``photos/`` folder, sorted."""
    root = (root or datasets_dir()) / "photos"
    if not root.is_dir():
        raise DatasetNotFoundError(f"no photos folder at {root}")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
