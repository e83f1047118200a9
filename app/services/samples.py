"""Sample photos for the pages: a few test photos from the datasets folder, or generated scenes.

The photos under ``<datasets_dir>/photos`` are never copied into the project: they are read, shrunk
and re-encoded on request. Without that folder the pages still get samples, drawn here with numpy.
"""

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLE_LONG_SIDE = 512  # small enough to upload at once, large enough for a 3x3 puzzle
JPEG_QUALITY = 90
GENERATED_SIDE = 384
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# (folder, file stem, title): scenes with a clear "up" and distinct regions, which suit all three
# pretext tasks. Wikipedia photos are left out because each needs its own attribution.
PREFERRED: tuple[tuple[str, str, str], ...] = (
    ("kodak", "kodim23", "Parrots"),
    ("kodak", "kodim21", "Lighthouse"),
    ("kodak", "kodim03", "Hats"),
    ("kodak", "kodim22", "Red barn"),
    ("kodak", "kodim13", "Mountain stream"),
    ("mcmaster", "10", "Vegetables"),
)


@dataclass(frozen=True)
class Sample:
    id: str
    title: str
    source: str  # the dataset folder, or "generated"
    path: Path | None = None  # the photo on disk; None for a generated scene


def list_samples(datasets_dir: Path) -> list[Sample]:
    """The preferred photos that exist under ``datasets_dir/photos``, else the generated scenes."""
    photos = Path(datasets_dir) / "photos"
    found = []
    for folder, stem, title in PREFERRED:
        path = photos / folder / f"{stem}.jpg"
        if path.is_file():
            found.append(Sample(f"{folder}-{stem}", title, folder, path))
    return found or [Sample(name, title, "generated") for name, title in GENERATED]


def find_sample(datasets_dir: Path, sample_id: str) -> Sample | None:
    """The sample with this id, or None; ids are matched against the listing, never used as paths."""
    if not ID_PATTERN.match(sample_id):
        return None
    return next((s for s in list_samples(datasets_dir) if s.id == sample_id), None)


def sample_jpeg(sample: Sample) -> bytes:
    """The sample as a JPEG whose long side is at most SAMPLE_LONG_SIDE."""
    if sample.path is None:
        return _generated_jpeg(sample.id)
    return _photo_jpeg(sample.path, sample.path.stat().st_mtime_ns)


def sample_pixels(sample: Sample) -> np.ndarray:
    """The sample's pixels as it is served: (H, W, 3) uint8."""
    with Image.open(io.BytesIO(sample_jpeg(sample))) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


@lru_cache(maxsize=16)
def _photo_jpeg(path: Path, _mtime_ns: int) -> bytes:
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((SAMPLE_LONG_SIDE, SAMPLE_LONG_SIDE), Image.Resampling.LANCZOS)
        return _jpeg(im)


def _jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


# ---- generated scenes ------------------------------------------------------------------------------


def _grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates scaled to [0, 1]: (y, x), each (side, side)."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / (side - 1)
    return y, x


def _paint(img: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> None:
    img[mask] = np.asarray(colour, dtype=np.float32)


def _sky(y: np.ndarray, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    t = y[..., None]
    return np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t


def landscape(side: int = GENERATED_SIDE) -> np.ndarray:
    """Sky, sun, two ranges of hills and a lake: every region has its own colour and place."""
    y, x = _grid(side)
    img = _sky(y, (70, 130, 210), (190, 220, 245))
    _paint(img, (x - 0.75) ** 2 + (y - 0.2) ** 2 < 0.08**2, (255, 210, 60))
    _paint(img, y > 0.45 + 0.12 * np.sin(x * 5.0 + 1.0), (70, 110, 80))
    _paint(img, y > 0.58 + 0.06 * np.sin(x * 9.0), (60, 150, 60))
    lake = y > 0.78
    img[lake] = _sky(y, (40, 90, 170), (20, 60, 130))[lake]
    _paint(img, (np.abs(x - 0.25) < 0.02) & (y > 0.5) & (y < 0.66), (110, 70, 40))  # a tree trunk
    _paint(img, (x - 0.25) ** 2 + (y - 0.47) ** 2 < 0.07**2, (30, 110, 40))  # and its crown
    return img


def beach(side: int = GENERATED_SIDE) -> np.ndarray:
    """Sky, sea with stripes of waves, sand, and a red-and-white parasol."""
    y, x = _grid(side)
    img = _sky(y, (90, 160, 230), (200, 230, 250))
    sea = y > 0.42
    img[sea] = _sky(y, (20, 110, 160), (60, 170, 190))[sea]
    _paint(img, sea & (np.sin(y * 90.0 + 3 * np.sin(x * 12)) > 0.92), (220, 240, 245))
    _paint(img, y > 0.66 + 0.03 * np.sin(x * 7.0), (230, 200, 140))
    canopy = ((x - 0.62) ** 2 + (y - 0.62) ** 2 < 0.2**2) & (y < 0.62)
    stripes = np.sin(np.arctan2(y - 0.62, x - 0.62) * 8.0) > 0
    _paint(img, canopy & stripes, (220, 40, 40))
    _paint(img, canopy & ~stripes, (250, 250, 245))
    _paint(img, (np.abs(x - 0.62) < 0.008) & (y >= 0.62) & (y < 0.9), (90, 60, 40))
    return img


def balloons(side: int = GENERATED_SIDE) -> np.ndarray:
    """Hot-air balloons of different colours over green fields."""
    y, x = _grid(side)
    img = _sky(y, (110, 170, 235), (225, 235, 250))
    _paint(img, y > 0.8, (90, 160, 70))
    _paint(img, (y > 0.8) & (np.sin(x * 40.0) > 0.6), (120, 180, 80))
    for cx, cy, r, colour in ((0.25, 0.3, 0.12, (230, 60, 50)), (0.62, 0.22, 0.09, (250, 190, 40)),
                              (0.78, 0.55, 0.1, (60, 90, 200)), (0.42, 0.6, 0.07, (150, 60, 170))):
        _paint(img, (x - cx) ** 2 + ((y - cy) * 0.85) ** 2 < r**2, colour)
        _paint(img, (np.abs(x - cx) < r * 0.25) & (y > cy + r * 1.15) & (y < cy + r * 1.5), (120, 80, 40))
    return img


GENERATED: tuple[tuple[str, str], ...] = (("landscape", "Landscape"), ("beach", "Beach"), ("balloons", "Balloons"))
_SCENES = {"landscape": landscape, "beach": beach, "balloons": balloons}


@lru_cache(maxsize=len(GENERATED))
def _generated_jpeg(name: str) -> bytes:
    rgb = np.clip(np.round(_SCENES[name]()), 0, 255).astype(np.uint8)
    return _jpeg(Image.fromarray(rgb))
