"""A small imagenette-val of our own for the features tests: colour-coded classes, written as the real split is.

The real split (3,846 photos under ../shared) would make a service test build a large index, and its
photos may not be shown in screenshots; these are drawn here: each class has its own hue, each photo its
own pattern, so features that see colour find neighbours of the same class.
"""

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from models.imagenette import CLASS_NAMES

WNIDS = list(CLASS_NAMES)[:3]  # tench, English springer, cassette player
HUES = ((200, 60, 40), (40, 170, 60), (50, 80, 210))


def class_photo(label: int, seed: int, w: int = 80, h: int = 60) -> np.ndarray:
    """(h, w, 3) uint8: the class's colour, shaded and striped differently per photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.75 + 0.25 * np.sin(x / rng.uniform(3, 9) + y / rng.uniform(4, 12) + rng.uniform(0, 6))
    rgb = np.asarray(HUES[label], np.float32) * shade[..., None] + rng.normal(0, 6, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def jpeg(rgb8: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def write_imagenette_val(root: Path, per_class: int = 8) -> list[bytes]:
    """``root`` gets imagenette-val.zip, its manifest and classes.json: ``per_class`` photos of each of three
    classes, interleaved (photo i is of class i % 3). Returns the JPEG bytes in manifest order."""
    root.mkdir(parents=True, exist_ok=True)
    files, rows = [], []
    with zipfile.ZipFile(root / "imagenette-val.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(per_class * len(WNIDS)):
            label = i % len(WNIDS)
            member = f"{WNIDS[label]}/{WNIDS[label]}_{i}.jpg"
            data = jpeg(class_photo(label, seed=i))
            zf.writestr(member, data)
            files.append(data)
            rows.append({"member": member, "label": label, "wnid": WNIDS[label]})
    with (root / "imagenette-val.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["member", "label", "wnid"])
        writer.writeheader()
        writer.writerows(rows)
    (root / "classes.json").write_text(json.dumps({"imagenette": list(CLASS_NAMES)}))
    return files
