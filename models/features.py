"""What a network's features know: frozen trunk features as unit vectors, and their nearest neighbours.

Pure numpy, shared by training (the linear probes of ``pretext evaluate transfer``, precision@k of
``pretext evaluate features``) and serving (the features page): each input kind is prepared one way
everywhere, a block's maps are average-pooled to a small grid (as ``torch.nn.functional.adaptive_avg_pool2d``
does, after Zhang et al. 2016 and Noroozi and Favaro 2016), and neighbours are found by cosine similarity.
"""

from collections.abc import Callable

import numpy as np
from PIL import Image

from models.color import rgb8_to_lab
from models.colorization import normalise_l
from models.context import prepare_patches
from models.dataset_zip import square_resize
from models.jigsaw import normalise_tiles
from models.rotation import normalise

SIZE = 64  # photo side the index and the queries are seen at: the transfer table's
GRID = 4  # each block's maps average-pooled to GRID x GRID
SAME_PHOTO = 0.9999  # cosine above which an index photo is taken for the query itself
NORM_EPS = 1e-12

Prepare = Callable[[np.ndarray], np.ndarray]
Runner = Callable[[np.ndarray], np.ndarray]  # prepared input (N, C, S, S) -> a block's maps (N, C_b, h, w)


def _lightness(rgb8: np.ndarray) -> np.ndarray:
    return normalise_l(rgb8_to_lab(rgb8)[..., 0])[:, None]


def _masked(rgb8: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] and the context encoder's hole mask, all zeros: the whole photo visible."""
    rgb = np.moveaxis(np.asarray(rgb8, dtype=np.float32) / 255.0, -1, -3)
    return np.ascontiguousarray(np.concatenate([rgb, np.zeros_like(rgb[:, :1])], axis=1), dtype=np.float32)


# How each model's trunk expects its input, from (N, S, S, 3) uint8 photos to (N, C, S, S) float32.
INPUTS: dict[str, Prepare] = {
    "rgb": normalise,  # ImageNet statistics (rotation, supervised, random)
    "tile": normalise_tiles,  # each image standardised on its own, as the jigsaw tiles were
    # As "tile" after the green-magenta axis is removed: a context-prediction run that projected colour.
    "context": lambda rgb8: prepare_patches(rgb8, project=True),
    "l": _lightness,  # colorization sees L only
    "masked": _masked,  # the context encoder: RGB in [0, 1] plus an empty hole mask
}
CHANNELS = {"rgb": 3, "tile": 3, "context": 3, "l": 1, "masked": 4}


def check_kind(kind: str) -> str:
    if kind not in INPUTS:
        raise ValueError(f"unknown input kind {kind!r}; the kinds are {', '.join(INPUTS)}")
    return kind


def square(rgb8: np.ndarray, size: int = SIZE) -> np.ndarray:
    """A photo (H, W, 3) uint8 -> (size, size, 3) uint8 centre square, resized as the index photos are."""
    return square_resize(Image.fromarray(np.ascontiguousarray(rgb8)), size)


def _bins(n: int, grid: int) -> list[tuple[int, int]]:
    """Adaptive pooling's windows along one axis: [floor(i n / g), ceil((i + 1) n / g))."""
    return [(i * n // grid, -(-(i + 1) * n // grid)) for i in range(grid)]


def pool_grid(maps: np.ndarray, grid: int = GRID) -> np.ndarray:
    """(N, C, H, W) -> (N, C * grid * grid) float32: each map averaged over a grid x grid of windows."""
    maps = np.asarray(maps, dtype=np.float32)
    n, c, h, w = maps.shape
    out = np.empty((n, c, grid, grid), dtype=np.float32)
    for i, (r0, r1) in enumerate(_bins(h, grid)):
        for j, (c0, c1) in enumerate(_bins(w, grid)):
            out[:, :, i, j] = maps[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out.reshape(n, -1)


def unit_vectors(x: np.ndarray) -> np.ndarray:
    """(N, D) -> (N, D) float16 rows of length 1 (an all-zero row stays zero: similar to nothing)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, NORM_EPS)).astype(np.float16)


def features(run: Runner, squares: np.ndarray, kind: str, grid: int = GRID, chunk: int = 128) -> np.ndarray:
    """(N, S, S, 3) uint8 photos -> (N, D) float16 unit vectors of one block's pooled maps."""
    prepare = INPUTS[check_kind(kind)]
    parts = [unit_vectors(pool_grid(run(prepare(np.asarray(squares[s : s + chunk]))), grid))
             for s in range(0, len(squares), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float16)


def nearest(index: np.ndarray, queries: np.ndarray, k: int, leave_out: np.ndarray | None = None,
            same_above: float | None = SAME_PHOTO) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` index rows most cosine-similar to each query: (indices (Q, k), similarities (Q, k)), best first.

    ``leave_out`` (Q,) names one index row per query to skip (leave-one-out; -1 for none); rows more similar
    than ``same_above`` are skipped as the query itself. Fewer than ``k`` candidates: the rest are -1, -inf.
    """
    rows32, q32 = np.asarray(index, dtype=np.float32), np.asarray(queries, dtype=np.float32)
    # Cosines of the stored vectors themselves: float16 rounding leaves their lengths 1 only to about 1e-4.
    sims = (q32 @ rows32.T) / np.maximum(np.outer(np.linalg.norm(q32, axis=1), np.linalg.norm(rows32, axis=1)),
                                         NORM_EPS)  # (Q, N)
    if leave_out is not None:
        rows = np.flatnonzero(np.asarray(leave_out) >= 0)
        sims[rows, np.asarray(leave_out)[rows]] = -np.inf
    if same_above is not None:
        sims[sims > same_above] = -np.inf
    k = min(k, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k else np.zeros((len(sims), 0), dtype=np.int64)
    top_sims = np.take_along_axis(sims, top, axis=1)
    order = np.argsort(-top_sims, axis=1, kind="stable")
    top, top_sims = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_sims, order, axis=1)
    top[~np.isfinite(top_sims)] = -1
    return top, top_sims


def neighbour_agreement(index: np.ndarray, labels: np.ndarray, k: int, chunk: int = 512) -> np.ndarray:
    """Leave-one-out: every row as a query against all the others; (N,) the share of its ``k`` nearest
    neighbours with its label."""
    labels = np.asarray(labels)
    k = min(k, len(index) - 1)  # the query itself is never a candidate
    out = np.empty(len(index), dtype=np.float64)
    for s in range(0, len(index), chunk):
        rows = np.arange(s, min(s + chunk, len(index)))
        top, _ = nearest(index, index[rows], k, leave_out=rows, same_above=None)
        out[rows] = (labels[top] == labels[rows, None]).mean(axis=1)
    return out


def precision_at_k(index: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The mean over all rows of ``neighbour_agreement``: leave-one-out precision@k."""
    return float(neighbour_agreement(index, labels, k).mean()) if len(index) > 1 else 0.0


def chance_precision(labels: np.ndarray) -> float:
    """precision@k of neighbours drawn at random from the other photos: sum over classes of
    n_c (n_c - 1) / (N (N - 1)), about 10% on Imagenette."""
    counts = np.bincount(np.asarray(labels)).astype(np.float64)
    n = counts.sum()
    return float((counts * (counts - 1)).sum() / max(1.0, n * (n - 1)))
