"""What each model's features know, at serving time: its trunk cut at a block, run by onnxruntime (no torch).

``FeaturesModel`` reads the features card (``models.features_card``), and for each model listed there opens
its ONNX file cut at the card's block (``models.features_graph``). The index, every index photo's features
under every model, is built at first use into the cache (``models.features_index``), never per request.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from core.errors import BadParameterError, ModelNotAvailableError
from core.settings import get_settings
from models.cards import load_card_as, models_dir, sha256_of
from models.features import CHANNELS, features, nearest, square
from models.features_card import FeaturesCard, FeatureSource
from models.features_graph import cut_at_block, first_filters
from models.features_index import IndexPhotos, cached_vectors, index_photos, vectors_path
from models.features_sprites import FilterBlock, filter_sheet
from models.runtime import Device, load_session

MODEL_NAME = "features"


@dataclass
class Neighbours:
    """One model's nearest index photos to a query."""

    source: FeatureSource
    indices: np.ndarray  # (k,) int64, best first; -1 where there are fewer candidates
    similarities: np.ndarray  # (k,) float32 cosine similarities


class FeatureExtractor:
    """One model's trunk up to its card's block, as an onnxruntime session on a cut of its ONNX graph."""

    def __init__(self, source: FeatureSource, root: Path, device: Device, threads: int, cache_dir: Path) -> None:
        path = root / source.file
        if not path.is_file():
            raise ModelNotAvailableError(f"the {source.name} model file is missing ({path})")
        self.source = source
        self.sha256 = sha256_of(path)
        model = onnx.load(str(path))
        self.filters = first_filters(model.graph)  # (O, I, kh, kw)
        # The cut graph goes to the cache (keyed by the file's hash), where the session is opened from.
        cut = Path(cache_dir) / "features" / f"{source.name}-{self.sha256[:16]}-block{source.block}.onnx"
        if not cut.is_file():
            cut.parent.mkdir(parents=True, exist_ok=True)
            tmp = cut.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(cut_at_block(model, source.block).SerializeToString())
            os.replace(tmp, cut)
        self.session = load_session(cut, device, threads)
        self.input_name = self.session.get_inputs()[0].name

    def run(self, x: np.ndarray) -> np.ndarray:
        """(N, C, S, S) prepared input -> the block's maps (N, C_b, h, w)."""
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})[0]

    @property
    def channels(self) -> str:
        """How the first-layer filters are drawn: "gray" for a lightness input, else "rgb"."""
        return "gray" if CHANNELS[self.source.input] == 1 else "rgb"


class FeaturesModel:
    """The card's models, each cut at its block, and the index of photos they are compared on."""

    def __init__(self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None,
                 threads: int = 0, index_limit: int | None = None) -> None:
        self.root = root or models_dir()
        # The first N photos of the split form the index (None: the settings' features_index_limit, 0 = all).
        self.index_limit = get_settings().features_index_limit if index_limit is None else index_limit
        self.card = load_card_as(name, FeaturesCard, self.root)
        self.device, self.threads = device, threads
        # Models whose file is missing are left out (the card may list one not exported here).
        self.names = [m.name for m in self.card.models if (self.root / m.file).is_file()]
        if not self.names:
            raise ModelNotAvailableError(f"none of the models the {name} card lists is installed in {self.root}")
        self._extractors: dict[str, FeatureExtractor] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._photos: IndexPhotos | None = None
        self._sheets: dict[tuple[str, ...], tuple[np.ndarray, list[FilterBlock]]] = {}

    @property
    def cache_dir(self) -> Path:
        return Path(get_settings().cache_dir)

    def extractor(self, name: str) -> FeatureExtractor:
        """Model ``name``'s extractor, opened on first use (a worker starts without opening them all)."""
        if name not in self.names:
            raise BadParameterError(f"no model {name!r} here; the models are {', '.join(self.names)}")
        if name not in self._extractors:
            self._extractors[name] = FeatureExtractor(self.card.source(name), self.root, self.device, self.threads,
                                                      self.cache_dir)
        return self._extractors[name]

    @property
    def session(self):  # -> ort.InferenceSession, the first model's (what a worker logs when it opens this)
        return self.extractor(self.names[0]).session

    def check_names(self, names: list[str] | None) -> list[str]:
        """``names`` (all models when None or empty), each installed; BadParameterError otherwise."""
        for name in names or []:
            if name not in self.names:
                raise BadParameterError(f"no model {name!r} here; the models are {', '.join(self.names)}")
        return list(names) if names else list(self.names)

    @property
    def photos(self) -> IndexPhotos:
        """The index photos (read from the dataset, cached, at first use)."""
        if self._photos is None:
            self._photos = index_photos(self.card.split, self.card.size, self.index_limit or None)
        return self._photos

    def vectors(self, name: str) -> np.ndarray:
        """Model ``name``'s (N, D) float16 features of the index photos, built into the cache if missing."""
        if name not in self._vectors:
            ext, photos = self.extractor(name), self.photos
            path = vectors_path(self.cache_dir, name, ext.sha256, ext.source.block, ext.source.input,
                                self.card.size, ext.source.grid, photos.split, len(photos))
            self._vectors[name] = cached_vectors(path, lambda: self.features(name, photos.squares))
        return self._vectors[name]

    def build_index(self, names: list[str] | None = None) -> dict[str, tuple[int, ...]]:
        """Every model's index features, built now if missing: name -> their shape."""
        return {name: self.vectors(name).shape for name in self.check_names(names)}

    def features(self, name: str, squares: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 photos at the card's size -> (N, D) float16 unit vectors of model ``name``."""
        ext = self.extractor(name)
        return features(ext.run, squares, ext.source.input, ext.source.grid)

    def neighbours(self, rgb8: np.ndarray, k: int, names: list[str] | None = None) -> list[Neighbours]:
        """Per model, the ``k`` index photos nearest to a photo (H, W, 3) uint8 (the photo itself left out
        when it is one of them)."""
        query = square(rgb8, self.card.size)[None]
        found = []
        for name in self.check_names(names):
            top, sims = nearest(self.vectors(name), self.features(name, query), k)
            found.append(Neighbours(self.card.source(name), top[0], sims[0]))
        return found

    def filter_sheet(self, names: list[str] | None = None) -> tuple[np.ndarray, list[FilterBlock]]:
        """The first-layer filters of the models, a block each (``models.features_sprites.filter_sheet``)."""
        key = tuple(self.check_names(names))
        if key not in self._sheets:
            exts = [self.extractor(n) for n in key]
            self._sheets[key] = filter_sheet([(e.source.name, e.source.label, e.filters, e.channels) for e in exts])
        return self._sheets[key]
