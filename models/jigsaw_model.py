"""The exported jigsaw network at serving time: model card + onnxruntime session (no torch)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ModelNotAvailableError
from models.cards import JigsawCard, load_card_as, models_dir
from models.jigsaw import (
    DEFAULT_CELL_FIT,
    METHODS,
    N_TILES,
    Runner,
    Solution,
    check_cell_fit,
    image_tiles,
    normalise_tiles,
    placement_index,
    solve_tiles,
)
from models.runtime import Device, load_session

MODEL_NAME = "jigsaw"
INPUT_NAME = "tiles"
OUTPUT_NAMES = ("perm_logits", "cell_logits")
NEIGHBOUR_OUTPUT = "neighbour_logits"  # (B, 2, 9, 9), only in models with the neighbour head


@dataclass(frozen=True)
class JigsawSpec:
    """What serving needs from the card: tile geometry, permutation set and solver defaults."""

    tile: int
    ratio: float  # share of each cell's side cut into a tile at serving (1.0: the whole cell)
    permutations: np.ndarray  # (K, 9) int64, in the order of the permutation logits
    default_method: str = "cell"
    rounds: int = 3  # solver rounds for the "perm" method
    flip: bool = False  # cell method: average with the mirrored puzzle's answer
    cell_fit: str = DEFAULT_CELL_FIT  # how a non-square cell becomes a square tile (models.jigsaw.CELL_FITS)
    cell_weight: float = 1.0  # neighbours method: weight of the cell head's log-probabilities


def spec_from_card(card: JigsawCard) -> JigsawSpec:
    """The serving spec of a card; raises ModelNotAvailableError when a setting is not one we know."""
    solver = card.solver
    try:
        return JigsawSpec(
            tile=card.tile_size,
            # The solver may serve another ratio than training's tile/cell, chosen on imagenette-val.
            ratio=card.tile_ratio if solver.tile_ratio is None else solver.tile_ratio,
            permutations=np.asarray(card.permutations, dtype=np.int64).reshape(-1, N_TILES),
            default_method=solver.default_method,
            rounds=solver.rounds,
            flip=solver.flip,
            cell_fit=check_cell_fit(solver.cell_fit or DEFAULT_CELL_FIT),
            cell_weight=solver.cell_weight,
        )
    except ValueError as exc:
        raise ModelNotAvailableError(f"jigsaw model card {card.name} is not usable ({exc})") from exc


class JigsawModel:
    """An ONNX session plus its card's contract, as the colorization model is for colorization."""

    def __init__(
        self, name: str = MODEL_NAME, device: Device = "auto", root: Path | None = None, threads: int = 0
    ) -> None:
        root = root or models_dir()
        self.card = load_card_as(name, JigsawCard, root)
        self.spec = spec_from_card(self.card)
        self.session = load_session(root / self.card.file, device, threads)
        names = {o.name for o in self.session.get_outputs()}
        self.outputs = [*OUTPUT_NAMES, *([NEIGHBOUR_OUTPUT] if NEIGHBOUR_OUTPUT in names else [])]
        if self.has_neighbours:
            placement_index()  # built once per process (~0.5 s, 30 MB) at load, not on the first request

    @property
    def has_neighbours(self) -> bool:
        return NEIGHBOUR_OUTPUT in self.outputs

    def run(self, tiles: np.ndarray) -> list[np.ndarray]:
        """(B, 9, 3, t, t) normalised tiles -> [perm logits (B, K), cell logits (B, 9, 9)[, neighbour
        logits (B, 2, 9, 9)]]."""
        return self.session.run(self.outputs, {INPUT_NAME: np.asarray(tiles, np.float32)})

    def tiles(self, rgb8: np.ndarray) -> np.ndarray:
        """Photo (H, W, 3) uint8 -> (9, 3, t, t) network input."""
        return serving_tiles(rgb8, self.spec)

    def solve(self, rgb8: np.ndarray, method: str | None = None, rounds: int | None = None) -> Solution:
        """Solve a shuffled photo; see ``models.jigsaw.solve_tiles``."""
        return solve_image(rgb8, self.run, self.spec, method, rounds)


def solve_image(
    rgb8: np.ndarray,
    run: Runner,
    spec: JigsawSpec,
    method: str | None = None,
    rounds: int | None = None,
) -> Solution:
    """Photo (H, W, 3) uint8 -> its solution, with any runner of the network's contract."""
    method = method or spec.default_method
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    if rounds is None:
        # Re-running only pays off for the set classifier; the cell head saw every ordering.
        rounds = spec.rounds if method == "perm" else 1
    return solve_tiles(serving_tiles(rgb8, spec), run, spec.permutations, method, rounds, spec.flip, spec.cell_weight)


def serving_tiles(rgb8: np.ndarray, spec: JigsawSpec) -> np.ndarray:
    """Photo (H, W, 3) uint8 -> (9, 3, t, t) network input, cut as the card says."""
    return normalise_tiles(image_tiles(rgb8, spec.tile, spec.ratio, spec.cell_fit))
