"""Imagenette's ten classes: WordNet id -> the name people read (the datasets' classes.json has only the ids)."""

import json
from pathlib import Path

# In label order (the datasets' README and classes.json["imagenette"] agree on it).
CLASS_NAMES: dict[str, str] = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}


def class_name(wnid: str) -> str:
    """The class's name, or its WordNet id when it is not one of Imagenette's."""
    return CLASS_NAMES.get(wnid, wnid)


def dataset_classes(datasets_dir: Path) -> list[dict[str, str | int]]:
    """[{label, wnid, name}] in label order, from ``classes.json`` beside the splits; Imagenette's own list
    when that file is missing."""
    path = Path(datasets_dir) / "classes.json"
    wnids = json.loads(path.read_text())["imagenette"] if path.is_file() else list(CLASS_NAMES)
    return [{"label": i, "wnid": w, "name": class_name(w)} for i, w in enumerate(wnids)]
