"""Colour hints: people steer the colorization where it is ambiguous (issue #32). Pure numpy (+ scipy's Dijkstra).

HINTS.json, the one format of the API field ``hints``, the CLI's ``--hints`` file and the browser's hint mode:

    [{"x": 120, "y": 48.5, "rgb": [200, 30, 30]},      # a point hint (local)
     {"x": 10, "y": 300, "rgb": [40, 90, 200]},
     {"palette": [[200, 30, 30], [40, 90, 200]]}]       # optional, at most once: a global hint

- x, y: numbers in the input photo's pixel coordinates after EXIF orientation, origin top left, x to the
  right, y down; inside the photo: 0 <= x < width and 0 <= y < height. The hint is on pixel
  (floor(x), floor(y)). At most ``MAX_POINTS`` (64) point hints.
- rgb: three integers 0..255 (sRGB). Only the colour's chroma is used: its a and b in CIE Lab. The photo
  keeps its own lightness everywhere, so a hint says "this is red", not "this is this exact red".
- palette: 1..``MAX_PALETTE`` (5) rgb colours, the colours the photo should be made of.
- Any other key, a missing key, a bool where a number belongs, NaN, or anything that is not such a list is
  rejected with BadParameterError naming the entry ("hints[2].rgb: ..."). ``[]`` means no hints.

Two ways of using the hints without a new network, plus a model-free baseline:

1. Local hints on the network's distribution (``apply_point_hints``). The network predicts, per cell of its
   output grid (h, w) (1/4 of the network input, ~48 cells on the short side), log-probabilities over the Q
   ab bins. Each hint i at cell x_i with colour c_i (its ab):
   a. Geodesic distance d_i(x) on the 8-connected grid (Dijkstra), where one step between neighbour cells
      p, q costs   step(p, q) * 100 / min(h, w)                    (spatial: % of the photo's short side)
                 + alpha * |L(p) - L(q)|                          (L: the photo's lightness, area-averaged
                                                                   onto the grid, 0..100)
                 + beta * Hellinger(P(p), P(q))                   (the two cells' predicted distributions,
                                                                   sqrt(1 - sum_q sqrt(P(p)_q P(q)_q)), 0..1)
      with step = 1 or sqrt(2). A path that crosses a lightness edge or a change of the network's
      opinion pays for it, so a hint spreads over its own region and stops at its borders.
   b. Weight w_i(x) = exp(-(d_i(x) / sigma)^2) (0 beyond 3 sigma), times, when their widths are set (> 0),
      direct kernels on how alike x is to the hinted cell: exp(-((L(x) - L(x_i)) / lightness_sigma)^2) and
      exp(-Hellinger(P(x), P(x_i))^2 / feature_sigma^2) (same stuff by the network's opinion, however far).
   c. Reweighting, with g_i(q) ∝ exp(-|c_q - c_i|^2 / (2 s^2)) a Gaussian over the bin centres (s =
      ``colour_sigma`` ab units; the bins are the in-gamut ones) and S(x) = sum_i w_i(x):
      ``mode="pool"`` (default):  P'(q|x) = (kappa P(q|x) + sum_i w_i(x) g_i(q)) / (kappa + S(x)):
                                  the network's opinion counts as kappa (``network_weight``) of a hint;
      ``mode="mix"``:             P'(q|x) = (1 - W) P(q|x) + sum_i w_i g_i, W = S (the w_i divided by S
                                  where S > 1, so W <= 1);
      ``mode="product"``:         P'(q|x) ∝ P(q|x) * prod_i g_i(q)^{w_i(x)}.
      Cells no hint reaches (S < 1e-6) keep P exactly.
   d. Decode P' with the annealed mean at the requested temperature and put the ab on the photo's own
      full-resolution lightness (models.encoding.annealed_mean, models.colorization.apply_ab).
   e. Optionally (``points_lambda`` > 0) the point hints' colours also act as a palette (global prior, 2.).
2. Global hints (``palette_prior``, ``reference_prior``, ``apply_prior``): a palette of up to 5 colours, or a
   reference photo's ab histogram over the bins (Gaussian-smoothed), becomes a prior pi(q), floored at
   ``prior_floor`` / Q so no colour is forbidden outright; every cell's distribution becomes
   P'(q|x) ∝ P(q|x) pi(q)^lambda (the global hint of Zhang et al. SIGGRAPH 2017, done as a prior). The prior
   is applied first, the point hints after it (a point hint is the more specific statement).
3. Model-free baseline (``baseline_ab``): no network. On the photo's lightness at a working size (short side
   ``BASELINE_SHORT_SIDE``), ab(x) = sum_i k_s(|x - x_i|) k_L(|L(x) - L(x_i)|) c_i / max(sum_i k_s k_L, floor)
   with k_s(r) = exp(-(r / spatial_sigma)^2) (r in % of the short side), k_L(t) = exp(-(t / lightness_sigma)^2):
   the kernel-weighted mean of the hint colours (exactly c_i on an isolated hint's pixel), fading linearly to
   gray (ab = 0) where the total weight falls below ``floor``.

4. The network method (card colorization-hints, Zhang, Zhu et al. SIGGRAPH 2017): the point hints go into a
   hint-conditioned network as ``HINT_PLANES`` input planes (``hint_planes``; ``hint_planes_at`` is the one
   definition, shared with training.colorization_hints): the sparse points as in the paper, and the baseline
   kernel's sums (3.) on the input grid, so the network starts from the model-free spread and learns where
   to trust it; a palette stays a prior over its output.

All parameters live in ``HintParams`` / ``BaselineParams``, with defaults chosen by
``pretext evaluate hints --tune`` on validation data (imagenette-val and held-back tenths, never the test
photos); see reports/hints/ and docs/hints.md.
"""

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image

from core.errors import BadParameterError
from models.color import lightness, rgb8_to_lab
from models.encoding import annealed_mean, empirical_prior, pairwise_sq_dist, smooth_prior
from models.numerics import log_softmax

MAX_POINTS = 64
MAX_PALETTE = 5
POINT_KEYS = frozenset({"x", "y", "rgb"})
PALETTE_KEYS = frozenset({"palette"})
BASELINE_SHORT_SIDE = 192  # the baseline's working grid: the network's input size
REFERENCE_SIDE = 128  # a reference photo is reduced to this short side before its histogram is taken
CUTOFF_SIGMAS = 3.0  # w = exp(-9) ~ 1e-4 beyond: not worth a Dijkstra step
HINT_PLANES = 6  # the hint network's hint input: 3 sparse planes (a, b, mask) and the baseline's spread (3)


# ----------------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class PointHint:
    x: float  # photo pixel coordinates, 0 <= x < width
    y: float  # 0 <= y < height
    rgb: tuple[int, int, int]

    @property
    def pixel(self) -> tuple[int, int]:
        """(column, row) of the hinted pixel."""
        return math.floor(self.x), math.floor(self.y)


@dataclass(frozen=True)
class Hints:
    points: tuple[PointHint, ...] = ()
    palette: tuple[tuple[int, int, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.points or self.palette)

    def to_json(self) -> list[dict[str, Any]]:
        """The canonical HINTS.json list (points in order, then the palette if any)."""
        out: list[dict[str, Any]] = [{"x": p.x, "y": p.y, "rgb": list(p.rgb)} for p in self.points]
        if self.palette:
            out.append({"palette": [list(c) for c in self.palette]})
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadParameterError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _colour(value: Any, where: str) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise BadParameterError(f"{where} must be a list of three integers 0..255 [R, G, B], got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 255:
            raise BadParameterError(f"{where} must be three integers 0..255 [R, G, B], got {value!r}")
    return int(value[0]), int(value[1]), int(value[2])


def parse_hints(data: Any, width: int | None, height: int | None, max_points: int = MAX_POINTS) -> Hints:
    """HINTS.json (str/bytes of JSON, or the already-decoded list; None or "" = no hints) for a photo of
    width x height -> Hints; BadParameterError naming the first bad entry. ``width``/``height`` None: the
    photo's size is not known yet, so everything but the upper bounds is checked."""
    if data is None or (isinstance(data, str | bytes) and not data.strip()):
        return Hints()
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadParameterError(f"hints is not valid JSON ({exc})") from exc
        except RecursionError as exc:  # "[[[[..." thousands deep
            raise BadParameterError("hints is nested too deeply to be HINTS.json") from exc
    if not isinstance(data, list):
        raise BadParameterError('hints must be a JSON list of {"x", "y", "rgb"} points and at most one '
                                f'{{"palette"}}, got {type(data).__name__}')
    points: list[PointHint] = []
    palette: tuple[tuple[int, int, int], ...] = ()
    for i, entry in enumerate(data):
        where = f"hints[{i}]"
        if not isinstance(entry, dict):
            raise BadParameterError(f'{where} must be an object {{"x", "y", "rgb"}} or {{"palette"}}, got {entry!r}')
        keys = set(entry)
        if keys == PALETTE_KEYS:
            if palette:
                raise BadParameterError(f"{where}: only one palette entry is allowed")
            colours = entry["palette"]
            if not isinstance(colours, list) or not 1 <= len(colours) <= MAX_PALETTE:
                raise BadParameterError(f"{where}.palette must be a list of 1 to {MAX_PALETTE} colours [R, G, B]")
            palette = tuple(_colour(c, f"{where}.palette[{k}]") for k, c in enumerate(colours))
            continue
        if "palette" in keys:
            raise BadParameterError(f"{where}: a palette entry has only the key 'palette', got {sorted(keys)}")
        if keys != POINT_KEYS:
            unknown, missing = sorted(keys - POINT_KEYS), sorted(POINT_KEYS - keys)
            detail = "; ".join(s for s in (unknown and f"unknown keys {unknown}", missing and f"missing {missing}")
                               if s)
            raise BadParameterError(f'{where}: a point hint has exactly the keys "x", "y", "rgb" ({detail})')
        x, y = _number(entry["x"], f"{where}.x"), _number(entry["y"], f"{where}.y")
        if x < 0.0 or y < 0.0:
            raise BadParameterError(f"{where} at ({x:g}, {y:g}) is off the photo (x and y start at 0, top left)")
        if width is not None and height is not None and (x >= width or y >= height):
            raise BadParameterError(f"{where} at ({x:g}, {y:g}) is off the {width}x{height} photo "
                                    f"(0 <= x < {width}, 0 <= y < {height})")
        points.append(PointHint(x, y, _colour(entry["rgb"], f"{where}.rgb")))
    if len(points) > max_points:
        raise BadParameterError(f"hints has {len(points)} points; at most {max_points} are allowed")
    return Hints(tuple(points), palette)


def colours_ab(rgb: Any) -> np.ndarray:
    """[(R, G, B)] * n -> (n, 2) float32 ab of each colour."""
    arr = np.asarray(rgb, dtype=np.uint8).reshape(-1, 3)
    return rgb8_to_lab(arr)[:, 1:].astype(np.float32)


# ------------------------------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class HintParams:
    """The distribution method's parameters (distances in % of the photo's short side)."""

    alpha: float = 1.0  # cost per unit of lightness difference between neighbour cells
    beta: float = 0.0  # cost of a full Hellinger distance (1) between neighbour cells' distributions
    sigma: float = 160.0  # w = exp(-(d / sigma)^2)
    colour_sigma: float = 6.0  # s: width of each hint's Gaussian over the ab bins, ab units
    lightness_sigma: float = 0.0  # > 0: also times exp(-((L(x) - L(x_i)) / lightness_sigma)^2)
    feature_sigma: float = 0.5  # > 0: also times exp(-(Hellinger(P(x), P(x_i)) / feature_sigma)^2)
    mode: Literal["mix", "pool", "product"] = "pool"
    network_weight: float = 0.02  # kappa of mode "pool": the network's distribution counts as kappa of a hint
    points_lambda: float = 0.0  # > 0: the point hints' colours also act as a palette prior with this lambda
    prior_lambda: float = 1.0  # global hints: P * pi^lambda
    prior_sigma: float = 10.0  # a palette colour's Gaussian over the bins, ab units
    prior_floor: float = 0.05  # share of a uniform distribution mixed into pi


@dataclass(frozen=True)
class BaselineParams:
    """The model-free baseline's parameters."""

    spatial_sigma: float = 60.0  # % of the short side
    lightness_sigma: float = 15.0  # L units
    floor: float = 0.05  # below this total kernel weight the colour fades linearly to gray


# --------------------------------------------------------------------------------------------------- geometry


def grid_cells(points: tuple[PointHint, ...], width: int, height: int, h: int, w: int) -> np.ndarray:
    """Point hints on a width x height photo -> (n, 2) int64 (row, col) of the grid cell (h, w) holding
    each hinted pixel's centre."""
    if not points:
        return np.zeros((0, 2), np.int64)
    px = np.array([p.pixel for p in points], dtype=np.float64)  # (n, 2) col, row
    col = np.clip(np.floor((px[:, 0] + 0.5) * w / width), 0, w - 1)
    row = np.clip(np.floor((px[:, 1] + 0.5) * h / height), 0, h - 1)
    return np.stack([row, col], 1).astype(np.int64)


def grid_lightness(rgb8: np.ndarray, h: int, w: int) -> np.ndarray:
    """(H, W, 3) uint8 photo -> (h, w) float32 L in [0, 100], the photo area-averaged onto the grid."""
    small = np.asarray(Image.fromarray(np.ascontiguousarray(rgb8)).resize((w, h), Image.Resampling.BOX))
    return lightness(small)


def _neighbour_offsets() -> list[tuple[int, int, float]]:
    # Each undirected 8-neighbour pair once: right, down, down-right, down-left.
    return [(0, 1, 1.0), (1, 0, 1.0), (1, 1, math.sqrt(2.0)), (1, -1, math.sqrt(2.0))]


def _pairs(h: int, w: int, dy: int, dx: int) -> tuple[slice, slice, slice, slice]:
    """Row/col slices of the cells a and their neighbours b = a + (dy, dx) that are inside an (h, w) grid."""
    ra, rb = slice(0, h - dy), slice(dy, h)
    ca, cb = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    return ra, ca, rb, cb


def edge_graph(l_grid: np.ndarray, sqrt_p: np.ndarray | None, params: HintParams) -> Any:
    """(h, w) L + optional (Q, h, w) sqrt of the probabilities -> the (h*w, h*w) scipy CSR graph of step costs
    (upper triangle; use undirected)."""
    from scipy.sparse import coo_matrix  # imported on first use: the API process only parses hints

    h, w = l_grid.shape
    unit = 100.0 / min(h, w)
    idx = np.arange(h * w).reshape(h, w)
    rows, cols, costs = [], [], []
    for dy, dx, step in _neighbour_offsets():
        ra, ca, rb, cb = _pairs(h, w, dy, dx)
        cost = step * unit + params.alpha * np.abs(l_grid[ra, ca] - l_grid[rb, cb])  # (h', w')
        if sqrt_p is not None and params.beta:
            bc = (sqrt_p[:, ra, ca] * sqrt_p[:, rb, cb]).sum(0)  # Bhattacharyya coefficient, (h', w')
            cost = cost + params.beta * np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))
        rows.append(idx[ra, ca].ravel())
        cols.append(idx[rb, cb].ravel())
        costs.append(cost.ravel())
    n = h * w
    edges = (np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols)))
    return coo_matrix(edges, shape=(n, n)).tocsr()


def geodesic_distances(graph: Any, cells: np.ndarray, w: int, limit: float) -> np.ndarray:
    """Graph + (n, 2) (row, col) sources -> (n, h*w) float64 edge-aware distances (inf beyond ``limit``)."""
    from scipy.sparse.csgraph import dijkstra

    sources = cells[:, 0] * w + cells[:, 1]
    return np.atleast_2d(dijkstra(graph, directed=False, indices=sources, limit=limit))


def hint_weights(l_grid: np.ndarray, probs: np.ndarray | None, cells: np.ndarray, params: HintParams) -> np.ndarray:
    """(h, w) L, optional (Q, h, w) probabilities, (n, 2) cells -> (n, h, w) float32 weights w_i(x) in [0, 1]:
    the geodesic falloff, times the direct lightness and distribution kernels when their widths are set."""
    h, w = l_grid.shape
    n = len(cells)
    if n == 0:
        return np.zeros((0, h, w), np.float32)
    sqrt_p = None if probs is None else np.sqrt(np.maximum(probs, 0.0)).astype(np.float32)
    graph = edge_graph(l_grid.astype(np.float32), sqrt_p if params.beta else None, params)
    d = geodesic_distances(graph, cells, w, CUTOFF_SIGMAS * params.sigma)  # (n, h*w)
    weights = np.exp(-((d / params.sigma) ** 2)).astype(np.float32)  # inf -> 0
    if params.lightness_sigma:
        l_flat = l_grid.reshape(-1)
        l_hint = l_grid[cells[:, 0], cells[:, 1]]  # (n,)
        weights *= np.exp(-(((l_flat[None, :] - l_hint[:, None]) / params.lightness_sigma) ** 2))
    if params.feature_sigma and sqrt_p is not None:
        sp = sqrt_p.reshape(len(sqrt_p), -1)  # (Q, N)
        bc = sp[:, cells[:, 0] * w + cells[:, 1]].T @ sp  # (n, N) Bhattacharyya coefficients
        hell2 = np.clip(1.0 - bc, 0.0, 1.0)  # squared Hellinger distance
        weights *= np.exp(-hell2 / params.feature_sigma**2)
    return weights.reshape(n, h, w)


# ------------------------------------------------------------------------------------------ distribution method


def colour_kernels(ab: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """(n, 2) ab, (Q, 2) bin centres -> (n, Q) float64 Gaussians over the bins, rows summing to 1."""
    d2 = pairwise_sq_dist(ab, centres).astype(np.float64)  # (n, Q)
    g = np.exp(-(d2 - d2.min(1, keepdims=True)) / (2.0 * sigma**2))
    return g / g.sum(1, keepdims=True)


def reweight(log_probs: np.ndarray, weights: np.ndarray, kernels: np.ndarray, mode: str = "pool",
             network_weight: float = 0.02) -> np.ndarray:
    """(Q, h, w) log P, (n, h, w) w_i, (n, Q) g_i -> (Q, h, w) float32 log P' (see the module docstring).
    Only cells some hint reaches (sum_i w_i > 1e-6) are recomputed; the rest keep P."""
    q, h, w = log_probs.shape
    out = log_probs.astype(np.float32).reshape(q, -1).copy()
    if len(weights) == 0:
        return out.reshape(q, h, w)
    wf = weights.reshape(len(weights), -1).astype(np.float32)  # (n, N)
    total = wf.sum(0)  # (N,)
    active = np.flatnonzero(total > 1e-6)
    if not len(active):
        return out.reshape(q, h, w)
    wa, lp = wf[:, active], out[:, active]  # (n, A), (Q, A)
    ker = kernels.astype(np.float32)
    if mode == "product":
        z = lp + np.log(np.maximum(ker, 1e-30)).T @ wa  # (Q, A)
        out[:, active] = log_softmax(z, axis=0, dtype=np.float32)
        return out.reshape(q, h, w)
    p = np.exp(lp)
    if mode == "mix":  # (1 - W) P + sum_i w_i g_i, the w_i scaled down where their sum exceeds 1
        wa = wa / np.maximum(total[active], 1.0)
        mixed = (1.0 - wa.sum(0)) * p + ker.T @ wa
    elif mode == "pool":  # (kappa P + sum_i w_i g_i) / (kappa + sum_i w_i)
        mixed = (network_weight * p + ker.T @ wa) / (network_weight + total[active])
    else:
        raise ValueError(f"unknown hint mode {mode!r}")
    out[:, active] = np.log(np.maximum(mixed, 1e-30))
    return out.reshape(q, h, w)


def apply_point_hints(log_probs: np.ndarray, centres: np.ndarray, l_grid: np.ndarray,
                      points: tuple[PointHint, ...], width: int, height: int,
                      params: HintParams = HintParams()) -> np.ndarray:
    """(Q, h, w) log P on a width x height photo's grid, (h, w) grid L -> (Q, h, w) log P' with the hints."""
    if not points:
        return log_probs
    _, h, w = log_probs.shape
    cells = grid_cells(points, width, height, h, w)
    probs = np.exp(log_probs.astype(np.float32)) if params.beta or params.feature_sigma else None
    weights = hint_weights(l_grid, probs, cells, params)
    kernels = colour_kernels(colours_ab([p.rgb for p in points]), centres, params.colour_sigma)
    return reweight(log_probs, weights, kernels, params.mode, params.network_weight)


def palette_prior(palette: Any, centres: np.ndarray, params: HintParams = HintParams()) -> np.ndarray:
    """[(R, G, B)] * k -> (Q,) float64 prior over the bins: the mean of the colours' Gaussians, floored."""
    g = colour_kernels(colours_ab(palette), centres, params.prior_sigma).mean(0)
    return (1.0 - params.prior_floor) * g + params.prior_floor / len(centres)


def reference_prior(rgb8: np.ndarray, centres: np.ndarray, params: HintParams = HintParams()) -> np.ndarray:
    """A reference photo (H, W, 3) uint8 -> (Q,) float64 prior: its ab histogram over the bins, smoothed with
    ``prior_sigma`` and floored."""
    img = Image.fromarray(np.ascontiguousarray(rgb8))
    scale = REFERENCE_SIDE / min(img.size)
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.BOX)
    ab = rgb8_to_lab(np.asarray(img.convert("RGB")))[..., 1:].reshape(-1, 2)
    hist = smooth_prior(empirical_prior(ab, centres), centres, params.prior_sigma)
    return (1.0 - params.prior_floor) * hist + params.prior_floor / len(centres)


def apply_prior(log_probs: np.ndarray, prior: np.ndarray, lam: float) -> np.ndarray:
    """(Q, h, w) log P, (Q,) pi -> (Q, h, w) float32 log of P pi^lambda, renormalised per cell."""
    z = log_probs.astype(np.float64) + lam * np.log(np.maximum(prior, 1e-300))[:, None, None]
    return log_softmax(z, axis=0, dtype=np.float64).astype(np.float32)


def apply_hints(log_probs: np.ndarray, centres: np.ndarray, rgb8: np.ndarray, hints: Hints,
                params: HintParams = HintParams(), reference: np.ndarray | None = None) -> np.ndarray:
    """(Q, h, w) log P of the photo (H, W, 3) uint8 -> (Q, h, w) log P': the global prior (palette and/or
    reference photo), then the point hints."""
    height, width = rgb8.shape[:2]
    _, h, w = log_probs.shape
    out = log_probs
    if hints.palette:
        out = apply_prior(out, palette_prior(hints.palette, centres, params), params.prior_lambda)
    if reference is not None:
        out = apply_prior(out, reference_prior(reference, centres, params), params.prior_lambda)
    if hints.points and params.points_lambda:
        out = apply_prior(out, palette_prior([p.rgb for p in hints.points], centres, params), params.points_lambda)
    if hints.points:
        out = apply_point_hints(out, centres, grid_lightness(rgb8, h, w), hints.points, width, height, params)
    return out


def hinted_ab(log_probs: np.ndarray, centres: np.ndarray, rgb8: np.ndarray, hints: Hints, temperature: float,
              params: HintParams = HintParams(), reference: np.ndarray | None = None) -> np.ndarray:
    """(Q, h, w) log P -> (h, w, 2) ab decoded by the annealed mean after the hints."""
    logp = apply_hints(log_probs, centres, rgb8, hints, params, reference)
    return annealed_mean(np.moveaxis(logp, 0, -1), centres, temperature)


def hinted_ab_regression(ab_grid: np.ndarray, rgb8: np.ndarray, hints: Hints,
                         params: HintParams = HintParams()) -> np.ndarray:
    """A regression model's (h, w, 2) ab -> (h, w, 2) ab' = (1 - W) ab + sum_i w_i c_i (no distribution:
    the geodesic distance has no Hellinger term; a palette is ignored)."""
    if not hints.points:
        return ab_grid
    height, width = rgb8.shape[:2]
    h, w = ab_grid.shape[:2]
    cells = grid_cells(hints.points, width, height, h, w)
    weights = hint_weights(grid_lightness(rgb8, h, w), None, cells, params).reshape(len(cells), -1)
    weights = weights / np.maximum(weights.sum(0), 1.0)
    colours = colours_ab([p.rgb for p in hints.points])  # (n, 2)
    ab = ab_grid.reshape(-1, 2) * (1.0 - weights.sum(0))[:, None] + weights.T @ colours
    return ab.reshape(h, w, 2).astype(np.float32)


# --------------------------------------------------------------------------------------- model-free baseline


def working_size(width: int, height: int, short_side: int = BASELINE_SHORT_SIDE) -> tuple[int, int]:
    """(h, w) of a grid with the photo's aspect and ~short_side cells on its short side (never upscaled)."""
    scale = min(1.0, short_side / min(width, height))
    return max(1, round(height * scale)), max(1, round(width * scale))


def kernel_sums(cells: np.ndarray, ab: np.ndarray, l_grid: np.ndarray,
                params: BaselineParams = BaselineParams()) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) int (row, col) hint cells of an (h, w) grid, their (n, 2) ab and the grid's (h, w) lightness ->
    the baseline kernel's sums: num (h, w, 2) = sum_i k_i(x) c_i and den (h, w) = sum_i k_i(x), with
    k_i(x) = k_s(|x - x_i|) k_L(|L(x) - L(x_i)|) (module docstring, 3). The one definition of that kernel, for the
    baseline and for the hint network's spread planes."""
    h, w = l_grid.shape
    if not len(cells):
        return np.zeros((h, w, 2), np.float32), np.zeros((h, w), np.float32)
    unit = 100.0 / min(h, w)  # one cell in % of the short side
    dy2 = (np.arange(h)[None, :, None] - cells[:, 0, None, None]) ** 2 * unit**2  # (n, h, 1)
    dx2 = (np.arange(w)[None, None, :] - cells[:, 1, None, None]) ** 2 * unit**2  # (n, 1, w)
    l_hint = l_grid[cells[:, 0], cells[:, 1]]  # (n,)
    ab = np.asarray(ab, np.float32)
    num, den = np.zeros((2, h, w), np.float32), np.zeros((h, w), np.float32)
    for i in range(0, len(cells), 8):  # 8 hints at a time: memory stays ~8 grids whatever the count
        part = slice(i, i + 8)
        k = np.exp(-(dy2[part] + dx2[part]) / params.spatial_sigma**2
                   - ((l_grid[None] - l_hint[part, None, None]) / params.lightness_sigma) ** 2).astype(np.float32)
        num += np.tensordot(ab[part], k, axes=(0, 0))  # (2, h, w)
        den += k.sum(0)
    return np.moveaxis(num, 0, -1), den


def baseline_ab(rgb8: np.ndarray, points: tuple[PointHint, ...],
                params: BaselineParams = BaselineParams()) -> np.ndarray:
    """(H, W, 3) uint8 photo + point hints -> (h, w, 2) float32 ab on a working grid, by the plain edge-aware
    kernel (module docstring, 3). No hints: all gray."""
    height, width = rgb8.shape[:2]
    h, w = working_size(width, height)
    l_grid = grid_lightness(rgb8, h, w)  # (h, w)
    if not points:
        return np.zeros((h, w, 2), np.float32)
    cells = grid_cells(points, width, height, h, w)  # (n, 2)
    num, den = kernel_sums(cells, colours_ab([p.rgb for p in points]), l_grid, params)
    return (num / np.maximum(den, params.floor)[..., None]).astype(np.float32)


# ------------------------------------------------------------------------------------------- network method


def hint_planes_at(cells: np.ndarray, ab: np.ndarray, l_plane: np.ndarray, ab_scale: float = 110.0) -> np.ndarray:
    """(n, 2) int (row, col) cells of an (h, w) network input, their (n, 2) ab and the input's (h, w) lightness
    (0..100) -> (HINT_PLANES, h, w) float32 planes: the sparse points (a / ab_scale, b / ab_scale at each cell
    and a mask of 1 there, 0 elsewhere; a repeated cell keeps its last hint), then the baseline kernel's spread
    of them (``kernel_sums``: sum_i k_i a_i / ab_scale, sum_i k_i b_i / ab_scale, sum_i k_i). The one definition
    of the hint network's input, for serving (``hint_planes``) and training (training.colorization_hints)."""
    h, w = l_plane.shape
    planes = np.zeros((HINT_PLANES, h, w), np.float32)
    if len(cells):
        # One hint per cell, the last: reversed, np.unique's first occurrence is the last one.
        _, first = np.unique((cells[::-1, 0] * w + cells[::-1, 1]), return_index=True)
        cells, ab = cells[::-1][first], np.asarray(ab)[::-1][first]
        rows, cols = cells[:, 0], cells[:, 1]
        planes[0, rows, cols] = ab[:, 0] / ab_scale
        planes[1, rows, cols] = ab[:, 1] / ab_scale
        planes[2, rows, cols] = 1.0
        num, den = kernel_sums(cells, ab, l_plane)
        planes[3:5] = np.moveaxis(num, -1, 0) / ab_scale
        planes[5] = den
    return planes


def hint_planes(points: tuple[PointHint, ...], width: int, height: int, l_plane: np.ndarray,
                ab_scale: float = 110.0) -> np.ndarray:
    """Point hints on a width x height photo and the network input's (h, w) lightness (0..100) ->
    (HINT_PLANES, h, w) float32 input planes of the hint-conditioned network (card colorization-hints, after
    Zhang et al. 2017): ``hint_planes_at`` of the cells holding the hinted pixels, with the hints' own ab."""
    h, w = l_plane.shape
    if not points:
        return np.zeros((HINT_PLANES, h, w), np.float32)
    cells = grid_cells(points, width, height, h, w)
    return hint_planes_at(cells, colours_ab([p.rgb for p in points]), l_plane, ab_scale)
