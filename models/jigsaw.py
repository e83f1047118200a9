"""Jigsaw puzzle maths shared by training and serving (Noroozi and Favaro, ECCV 2016); numpy only.

"Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles": a crop is cut into
a 3x3 grid of cells, a smaller tile is cut from each cell at a random offset (the gap stops the
network matching edges), and the tiles are shuffled by one permutation of a fixed set chosen for
large Hamming distances; a network classifies which permutation was applied.

Conventions used everywhere in this project:

* cells and positions are numbered row-major, 0..8;
* a permutation ``p`` describes a shuffled image: ``p[i]`` is the original cell of the tile found
  at position ``i``, so ``shuffled[i] = original[p[i]]``;
* a tile-to-cell score matrix ``S`` has ``S[i, c]`` = score (log-probability) that the tile at
  input position ``i`` comes from cell ``c``.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy.optimize import linear_sum_assignment

from models.numerics import log_softmax, softmax

GRID = 3
N_TILES = GRID * GRID
IDENTITY = np.arange(N_TILES, dtype=np.int64)
# MIRROR[c]: the cell that cell c becomes when the photo is flipped left to right (an involution).
MIRROR = np.array([3 * (c // 3) + 2 - c % 3 for c in range(N_TILES)], dtype=np.int64)
NORM_EPS = 1e-3  # keeps flat (constant) tiles finite after standardisation

# 100 rather than the paper's preferred 1000: a 2-core CPU budget trains a few thousand steps,
# and with fewer classes the greedy selection keeps a larger minimum Hamming distance (less
# ambiguous classes); Noroozi and Favaro report that transfer quality changes little between
# 100 and 1000 permutations while the pretext task becomes much easier to learn.
DEFAULT_SET_SIZE = 100
DEFAULT_SET_SEED = 0


@dataclass(frozen=True)
class TileGeometry:
    """Tile and cell sizes in pixels; a training crop is 3 x 3 cells, each tile sits in a cell."""

    tile: int = 32
    cell: int = 38

    def __post_init__(self) -> None:
        if not 0 < self.tile <= self.cell:
            raise ValueError(f"tile {self.tile} must be positive and at most the cell {self.cell}")

    @property
    def crop(self) -> int:
        return GRID * self.cell

    @property
    def max_offset(self) -> int:
        """Largest offset of a tile inside its cell (offsets are 0..max_offset on each axis)."""
        return self.cell - self.tile

    @property
    def ratio(self) -> float:
        """Tile side over cell side; serving cuts the centred square of this share of a cell."""
        return self.tile / self.cell

    def gap_range(self) -> tuple[int, int]:
        """Smallest and largest gap in pixels between neighbouring tiles along one axis."""
        return 0, 2 * self.max_offset


# ---------------------------------------------------------------------------------------------
# Permutations


@lru_cache(maxsize=2)
def _all_permutations() -> np.ndarray:
    """(9!, 9) int8, every permutation of 9 in lexicographic order."""
    return np.array(list(itertools.permutations(range(N_TILES))), dtype=np.int8)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of positions where permutations differ; broadcasts over leading axes."""
    return (np.asarray(a) != np.asarray(b)).sum(-1)


def hamming_matrix(perms: np.ndarray) -> np.ndarray:
    """(K, 9) -> (K, K) pairwise Hamming distances."""
    p = np.asarray(perms)
    return (p[:, None, :] != p[None, :, :]).sum(-1)


def min_hamming(perms: np.ndarray) -> int:
    """Smallest Hamming distance between two different permutations of the set."""
    d = hamming_matrix(perms)
    np.fill_diagonal(d, N_TILES + 1)
    return int(d.min())


def permutation_set(size: int = DEFAULT_SET_SIZE, seed: int = DEFAULT_SET_SEED) -> np.ndarray:
    """(size, 9) int64 permutations chosen greedily for maximal Hamming distance; same seed, same set."""
    return _permutation_set(int(size), int(seed)).copy()


@lru_cache(maxsize=8)
def _permutation_set(size: int, seed: int) -> np.ndarray:
    if not 1 <= size <= 362_880:
        raise ValueError(f"set size must be in 1..9!, got {size}")
    cands = _all_permutations()
    cols = np.ascontiguousarray(cands.T)  # (9, 9!): column-wise compares are contiguous, fast
    rng = np.random.default_rng(seed)

    def dist_to(k: int) -> np.ndarray:
        d = np.zeros(cols.shape[1], dtype=np.int32)
        for j in range(N_TILES):
            d += cols[j] != cols[j, k]
        return d

    # Start from the identity (row 0): the set then holds the "solved" class, where the iterative
    # solver stops. Each next pick maximises the minimum distance to those chosen; ties go to the
    # larger total distance (the paper's criterion), then to a seeded random draw.
    chosen = [0]
    min_d = dist_to(0)
    sum_d = min_d.copy()
    for _ in range(size - 1):
        # One key orders by minimum distance, then by total distance (sum_d < 9 * size + 1).
        key = min_d.astype(np.int64) * (N_TILES * size + 1) + sum_d
        best = np.flatnonzero(key == key.max())
        pick = int(best[rng.integers(len(best))])
        chosen.append(pick)
        d = dist_to(pick)
        np.minimum(min_d, d, out=min_d)
        sum_d += d
    return cands[chosen].astype(np.int64)


def uniform_permutations(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 9) int64 permutations drawn uniformly from all 9! orderings."""
    return np.argsort(rng.random((n, N_TILES)), axis=1).astype(np.int64)


def inverse(perm: np.ndarray) -> np.ndarray:
    """The inverse permutation: ``inverse(p)[p[i]] == i``."""
    p = np.asarray(perm, dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return inv


def check_permutation(perm: np.ndarray) -> np.ndarray:
    """A valid permutation of 0..8 as int64, or ValueError."""
    p = np.asarray(perm, dtype=np.int64)
    if p.shape != (N_TILES,) or not np.array_equal(np.sort(p), IDENTITY):
        raise ValueError(f"not a permutation of 0..8: {perm!r}")
    return p


# ---------------------------------------------------------------------------------------------
# Images, cells and tiles


def crop_to_grid(rgb8: np.ndarray) -> np.ndarray:
    """Drop the last h % 3 rows and w % 3 columns so the image splits into 3 x 3 equal cells."""
    h, w = rgb8.shape[:2]
    if h < GRID or w < GRID:
        raise ValueError(f"image {w}x{h} is too small for a 3x3 grid")
    return rgb8[: h - h % GRID, : w - w % GRID]


def split_cells(rgb8: np.ndarray) -> np.ndarray:
    """(H, W, C) with H, W multiples of 3 -> (9, H/3, W/3, C) cells, row-major."""
    h, w, c = rgb8.shape
    ch, cw = h // GRID, w // GRID
    return rgb8.reshape(GRID, ch, GRID, cw, c).transpose(0, 2, 1, 3, 4).reshape(N_TILES, ch, cw, c)


def join_cells(cells: np.ndarray) -> np.ndarray:
    """(9, h, w, C) row-major cells -> (3h, 3w, C) image."""
    _, h, w, c = cells.shape
    return cells.reshape(GRID, GRID, h, w, c).transpose(0, 2, 1, 3, 4).reshape(GRID * h, GRID * w, c)


def shuffle_image(rgb8: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Cropped-to-grid image with cell ``perm[i]`` moved to position ``i``: (3h, 3w, C)."""
    p = check_permutation(perm)
    return join_cells(split_cells(crop_to_grid(rgb8))[p])


def unshuffle_image(rgb8: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Undo ``shuffle_image``: the cell at position ``i`` goes back to cell ``perm[i]``."""
    return shuffle_image(rgb8, inverse(check_permutation(perm)))


def cut_tiles(images: np.ndarray, top: np.ndarray, left: np.ndarray, tile: int) -> np.ndarray:
    """images (B, H, W, C), corners top/left (B, 9) or per channel (B, 9, C) -> (B, 9, t, t, C)."""
    b, _, _, c = images.shape
    ar = np.arange(tile)
    if top.ndim == 2:
        top, left = top[..., None], left[..., None]  # (B, 9, 1): one corner for all channels
    rows = top[:, :, None, None, :] + ar[None, None, :, None, None]  # (B, 9, t, 1, C|1)
    cols = left[:, :, None, None, :] + ar[None, None, None, :, None]  # (B, 9, 1, t, C|1)
    bi = np.arange(b)[:, None, None, None, None]
    ci = np.arange(c)[None, None, None, None, :]
    return images[bi, rows, cols, ci]


def grid_corners(
    geom: TileGeometry, offsets: np.ndarray, y0: np.ndarray, x0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets in cells (B, 9, 2) + crop corners y0, x0 (B,) -> image corners (top, left), (B, 9) each."""
    cells = np.arange(N_TILES)
    base_y = (cells // GRID) * geom.cell  # (9,)
    base_x = (cells % GRID) * geom.cell
    top = y0[:, None] + base_y[None] + offsets[..., 0]
    left = x0[:, None] + base_x[None] + offsets[..., 1]
    return top, left


def random_offsets(rng: np.random.Generator, n: int, geom: TileGeometry) -> np.ndarray:
    """(n, 9, 2) tile offsets inside their cells, uniform on 0..max_offset."""
    return rng.integers(0, geom.max_offset + 1, (n, N_TILES, 2))


def centre_offsets(n: int, geom: TileGeometry) -> np.ndarray:
    """(n, 9, 2) offsets that centre each tile in its cell (evaluation and serving)."""
    return np.full((n, N_TILES, 2), geom.max_offset // 2, dtype=np.int64)


# How a cell becomes a square tile at serving: "square" cuts the centred square (no distortion, but
# a non-square cell loses its two ends, the very edges its neighbours continue); "stretch" resizes
# the whole window of the cell to the square tile. Square cells give the same tiles either way.
CELL_FITS = ("square", "stretch")
DEFAULT_CELL_FIT = "square"  # what cards written before the setting existed were served with


def check_cell_fit(fit: str) -> str:
    if fit not in CELL_FITS:
        raise ValueError(f"unknown cell fit {fit!r}; use one of {CELL_FITS}")
    return fit


def image_tiles(rgb8: np.ndarray, tile: int, ratio: float, fit: str = DEFAULT_CELL_FIT) -> np.ndarray:
    """Any photo (H, W, 3) uint8 -> (9, tile, tile, 3) uint8: each cell's centred window, resized.

    The window spans ``ratio`` of the cell (training's tile / cell, or 1.0 for whole cells): of its
    shorter side for ``fit="square"``, of each side for ``fit="stretch"``.
    """
    cells = split_cells(crop_to_grid(np.asarray(rgb8, dtype=np.uint8)))
    _, ch, cw, _ = cells.shape
    if check_cell_fit(fit) == "square":
        wh = ww = max(1, min(ch, cw, round(ratio * min(ch, cw))))
    else:
        wh, ww = max(1, min(ch, round(ratio * ch))), max(1, min(cw, round(ratio * cw)))
    y, x = (ch - wh) // 2, (cw - ww) // 2
    out = np.empty((N_TILES, tile, tile, 3), dtype=np.uint8)
    for i, cell in enumerate(cells):
        window = cell[y : y + wh, x : x + ww]
        if wh == ww == tile:
            out[i] = window
        else:
            # Box filter: an area average when shrinking, so large photos do not alias.
            im = Image.fromarray(np.ascontiguousarray(window)).resize((tile, tile), Image.Resampling.BOX)
            out[i] = np.asarray(im)
    return out


def normalise_tiles(tiles: np.ndarray) -> np.ndarray:
    """(..., t, t, 3) uint8 or [0, 1] float -> (..., 3, t, t) float32, each tile standardised."""
    # One mean and std per tile over pixels and channels: brightness and contrast no longer
    # continue across neighbours (a low-level shortcut), while the tile keeps its own colours.
    x = np.asarray(tiles, dtype=np.float32)
    if np.asarray(tiles).dtype == np.uint8:
        x = x / 255.0
    mean = x.mean(axis=(-3, -2, -1), keepdims=True)
    std = x.std(axis=(-3, -2, -1), keepdims=True)
    x = (x - mean) / (std + NORM_EPS)
    return np.ascontiguousarray(np.moveaxis(x, -1, -3), dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Solver


@dataclass(frozen=True)
class Solution:
    """A solved puzzle: ``permutation[i]`` is the original cell of the tile at position ``i``."""

    permutation: np.ndarray  # (9,) int64
    confidence: np.ndarray  # (9,) float64 in [0, 1], per input tile
    rounds: int = 1


def assign(scores: np.ndarray) -> Solution:
    """Hungarian assignment maximising a (9, 9) tile-to-cell score; confidence = row-softmax of the pick."""
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (N_TILES, N_TILES) or not np.all(np.isfinite(s)):
        raise ValueError(f"scores must be a finite (9, 9) matrix, got shape {s.shape}")
    rows, cols = linear_sum_assignment(s, maximize=True)
    perm = np.empty(N_TILES, dtype=np.int64)
    perm[rows] = cols
    conf = softmax(s, axis=1)[IDENTITY, perm]
    return Solution(perm, conf)


def marginal_cell_probs(perm_probs: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """(K,) permutation-class probabilities -> (9, 9) doubly stochastic P(tile i comes from cell c)."""
    # Each class is a permutation matrix, so the weighted sum has rows and columns summing to 1.
    p = np.asarray(perm_probs, dtype=np.float64)
    perms = np.asarray(perms, dtype=np.int64)
    m = np.zeros((N_TILES, N_TILES))
    for i in range(N_TILES):
        m[i] = np.bincount(perms[:, i], weights=p, minlength=N_TILES)
    return m


def cell_scores(perm_logits: np.ndarray, cell_logits: np.ndarray, perms: np.ndarray, method: str) -> np.ndarray:
    """One puzzle's outputs -> (9, 9) log-probabilities: "perm" marginalises, "cell" uses the cell head."""
    if method == "perm":
        m = marginal_cell_probs(softmax(np.asarray(perm_logits).ravel()), perms)
        return np.log(m + 1e-9)
    if method == "cell":
        return log_softmax(np.asarray(cell_logits).reshape(N_TILES, N_TILES), axis=1)
    raise ValueError(f"unknown method {method!r}; use 'perm' or 'cell'")


# Neighbouring cells, row-major: RIGHT_OF[k] = (a, b) with cell b right of cell a, BELOW[k] = (a, b)
# with cell b below cell a. A 3x3 grid has 6 of each.
RIGHT_OF = np.array([(3 * r + c, 3 * r + c + 1) for r in range(GRID) for c in range(GRID - 1)], dtype=np.int64)
BELOW = np.array([(3 * r + c, 3 * (r + 1) + c) for r in range(GRID - 1) for c in range(GRID)], dtype=np.int64)


@lru_cache(maxsize=1)
def placement_index() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat gather indices over all 9! placements (placement[k, c] = tile put in cell c).

    Returns (right (9!, 6), below (9!, 6), cell (9!, 9)) int32 indices into a raveled (9, 9)
    matrix: [tile a, tile b] for each neighbouring pair, [tile, cell] for each cell.
    """
    p = _all_permutations().astype(np.int32)
    right = p[:, RIGHT_OF[:, 0]] * N_TILES + p[:, RIGHT_OF[:, 1]]
    below = p[:, BELOW[:, 0]] * N_TILES + p[:, BELOW[:, 1]]
    cell = p * N_TILES + np.arange(N_TILES, dtype=np.int32)
    return right, below, cell


def placement_marginals(pair_logits: np.ndarray, cell_logp: np.ndarray | None = None,
                        cell_weight: float = 1.0) -> np.ndarray:
    """Neighbour logits (2, 9, 9) [+ cell log-probs (9, 9)] -> (9, 9) P(tile i sits in cell c).

    ``pair_logits[0, i, j]``: log-odds that tile j continues tile i to its right; ``[1, i, j]``:
    below it. Every one of the 9! placements is scored exactly (sum of its 12 neighbour log-odds,
    plus ``cell_weight`` times its tiles' cell log-probabilities) and the softmax over placements
    is marginalised per tile and cell; exhaustive search is cheap at 3x3 and never gets stuck.
    """
    pair = np.asarray(pair_logits, dtype=np.float64).reshape(2, N_TILES * N_TILES)
    right, below, cell = placement_index()
    scores = pair[0][right].sum(1) + pair[1][below].sum(1)  # (9!,)
    if cell_logp is not None and cell_weight:
        scores += cell_weight * np.asarray(cell_logp, dtype=np.float64).ravel()[cell].sum(1)
    w = np.exp(scores - scores.max())
    m = np.bincount(cell.ravel(), weights=np.repeat(w, N_TILES), minlength=N_TILES * N_TILES)
    return (m / w.sum()).reshape(N_TILES, N_TILES)


def assign_marginals(marginals: np.ndarray) -> Solution:
    """Hungarian assignment on log marginals; each tile's confidence is its chosen cell's marginal."""
    m = np.asarray(marginals, dtype=np.float64)
    sol = assign(np.log(np.clip(m, 1e-12, None)))
    return Solution(sol.permutation, m[IDENTITY, sol.permutation])


# Runs the network on (B, 9, 3, t, t) tiles -> (perm logits (B, K), cell logits (B, 9, 9)[,
# neighbour logits (B, 2, 9, 9) when the model has the neighbour head]).
Runner = Callable[[np.ndarray], Sequence[np.ndarray]]
# "neighbours" scores every placement by the neighbour head's seams plus the cell head.
METHODS = ("perm", "cell", "neighbours")


def solve_outputs(perm_logits: np.ndarray, cell_logits: np.ndarray, perms: np.ndarray, method: str) -> Solution:
    """Solve one puzzle from one forward pass's outputs (an ONNX session's two arrays)."""
    return assign(cell_scores(perm_logits, cell_logits, perms, method))


def flip_tiles(tiles: np.ndarray) -> np.ndarray:
    """(..., 3, t, t) tiles -> each mirrored left to right, i.e. the tiles of the mirrored photo."""
    return np.ascontiguousarray(np.asarray(tiles)[..., ::-1])


def flip_averaged_cell_logits(tiles: np.ndarray, cell_logits: np.ndarray, run: Runner) -> np.ndarray:
    """(9, 9) cell log-probabilities averaged with those of the mirrored puzzle, mapped back.

    Training flipped photos at random, so the mirrored puzzle is as familiar to the network as
    the original; its tile i from cell c sits in cell MIRROR[c] of the mirrored photo.
    """
    return mirror_averaged_cell_logp(cell_logits, run(flip_tiles(tiles)[None])[1][0])


def mirror_averaged_cell_logp(cell_logits: np.ndarray, mirrored_logits: np.ndarray) -> np.ndarray:
    """Cell logits (9, 9) of a puzzle and of its mirror -> averaged (9, 9) log-probabilities, in
    the puzzle's cells (the mirror's tile i from cell c sits in cell MIRROR[c])."""
    own = log_softmax(np.asarray(cell_logits).reshape(N_TILES, N_TILES), axis=1)
    flipped = log_softmax(np.asarray(mirrored_logits).reshape(N_TILES, N_TILES), axis=1)
    return (own + flipped[:, MIRROR]) / 2


def flip_averaged_neighbours(neighbours: np.ndarray, flipped: np.ndarray) -> np.ndarray:
    """(2, 9, 9) neighbour logits averaged with the mirrored puzzle's, mapped back.

    In the mirror, tile j right of tile i becomes tile i right of tile j (a transpose); which tile
    lies below which does not change.
    """
    n, f = np.asarray(neighbours, dtype=np.float64), np.asarray(flipped, dtype=np.float64)
    return np.stack([(n[0] + f[0].T) / 2, (n[1] + f[1]) / 2])


def solve_neighbours(tiles: np.ndarray, run: Runner, flip: bool = False, cell_weight: float = 1.0) -> Solution:
    """Solve normalised tiles (9, 3, t, t) by exhaustive placement scoring on the neighbour head.

    Needs a model with the neighbour head (a third output). The cell head's log-probabilities,
    weighted by ``cell_weight``, add where each tile belongs; ``flip`` averages both heads with
    the mirrored puzzle's answers.
    """
    x = np.asarray(tiles, dtype=np.float32)
    outputs = run(x[None])
    if len(outputs) < 3:
        raise ValueError("this jigsaw model has no neighbour head; use method 'cell' or 'perm'")
    cell = log_softmax(np.asarray(outputs[1][0]).reshape(N_TILES, N_TILES), axis=1)
    neighbours = np.asarray(outputs[2][0])
    if flip:
        mirrored = run(flip_tiles(x)[None])
        cell = mirror_averaged_cell_logp(outputs[1][0], mirrored[1][0])
        neighbours = flip_averaged_neighbours(neighbours, np.asarray(mirrored[2][0]))
    return assign_marginals(placement_marginals(neighbours, cell, cell_weight))


def solve_tiles(
    tiles: np.ndarray,
    run: Runner,
    perms: np.ndarray,
    method: str = "cell",
    rounds: int = 3,
    flip: bool = False,
    cell_weight: float = 1.0,
) -> Solution:
    """Solve normalised tiles (9, 3, t, t): assign, reorder by the answer, run again, up to ``rounds``.

    ``flip`` (cell and neighbours methods) also runs the mirrored puzzle and averages the answers.
    The neighbours method searches all placements at once, so it runs one round.
    """
    if method == "neighbours":
        return solve_neighbours(tiles, run, flip, cell_weight)
    # Re-running matters for "perm": the classifier only knows its K permutations, but a nearly
    # solved puzzle is close to the identity, which the set holds. Stop once it looks solved.
    x = np.asarray(tiles, dtype=np.float32)
    current = IDENTITY.copy()  # x[i] is believed to come from cell current[i]
    conf = np.zeros(N_TILES)
    done = 0
    while done < max(1, rounds):
        done += 1
        # y[current[i]] = x[i]: the puzzle as solved so far.
        y = np.empty_like(x)
        y[current] = x
        perm_logits, cell_logits = run(y[None])[:2]
        if flip and method == "cell":
            cell_logits = flip_averaged_cell_logits(y, cell_logits[0], run)[None]
        sol = solve_outputs(perm_logits[0], cell_logits[0], perms, method)
        # y[j] comes from cell sol[j] and x[i] sits at j = current[i], so compose.
        conf = sol.confidence[current]
        current = sol.permutation[current]
        if np.array_equal(sol.permutation, IDENTITY):
            break
    return Solution(current, conf, done)
