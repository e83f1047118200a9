"""The features page's two pictures: the neighbours of a query (a row per model) and first-layer filters."""

from dataclasses import dataclass
from typing import Any

import numpy as np

BLANK = 238  # the gray of a missing neighbour and of the gaps between filters
FILTER_CELL = 24  # px per filter: a 3x3 filter drawn 8x, a 4x4 one 6x
FILTER_GAP = 2
FILTERS_PER_ROW = 16
BLOCK_GAP = 8  # px between two models' filters


def neighbour_sprite(squares: np.ndarray, rows: list[np.ndarray], k: int) -> np.ndarray:
    """Index photos (N, S, S, 3) uint8 and per model the indices of its neighbours (-1: none) ->
    (len(rows) * S, k * S, 3) uint8: a row per model, its neighbours left to right, best first."""
    s = squares.shape[1]
    out = np.full((len(rows) * s, k * s, 3), BLANK, dtype=np.uint8)
    for r, indices in enumerate(rows):
        for c, i in enumerate(np.asarray(indices)[:k]):
            if i >= 0:
                out[r * s : (r + 1) * s, c * s : (c + 1) * s] = squares[int(i)]
    return out


def filter_tiles(weight: np.ndarray, channels: str) -> np.ndarray:
    """(O, I, kh, kw) conv weight -> (O, kh, kw, 3) uint8, each filter stretched over [0, 255] by its own
    min and max; ``channels`` "rgb" draws the first three input channels as RGB, "gray" the first one."""
    w = np.asarray(weight, dtype=np.float32)
    w = w[:, :3] if channels == "rgb" else np.repeat(w[:, :1], 3, axis=1)
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - lo
    scaled = np.where(span > 0, (w - lo) / np.where(span > 0, span, 1.0), 0.5)
    return np.round(np.moveaxis(scaled, 1, -1) * 255.0).astype(np.uint8)


@dataclass(frozen=True)
class FilterBlock:
    """One model's filters on the sheet: where they are (from its left edge), so a page can cut them out."""

    name: str
    label: str
    top: int
    height: int
    width: int
    count: int
    kernel: tuple[int, int]
    channels: str  # "rgb" or "gray"
    columns: int

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "top": self.top, "height": self.height, "width": self.width,
                "count": self.count, "kernel": list(self.kernel), "channels": self.channels, "columns": self.columns,
                "cell": FILTER_CELL, "gap": FILTER_GAP}


def filter_sheet(models: list[tuple[str, str, np.ndarray, str]]) -> tuple[np.ndarray, list[FilterBlock]]:
    """[(name, label, weight (O, I, kh, kw), "rgb" or "gray")] -> one RGB image, a block of filters per
    model (FILTERS_PER_ROW to a row), stacked top to bottom; and where each block is."""
    step = FILTER_CELL + FILTER_GAP
    tiles = [filter_tiles(weight, channels) for _, _, weight, channels in models]
    width = max((min(len(t), FILTERS_PER_ROW) for t in tiles), default=1) * step - FILTER_GAP
    heights = [-(-len(t) // FILTERS_PER_ROW) * step - FILTER_GAP for t in tiles]
    sheet = np.full((sum(heights) + BLOCK_GAP * max(0, len(models) - 1), width, 3), BLANK, dtype=np.uint8)
    blocks, top = [], 0
    for (name, label, _, channels), t, height in zip(models, tiles, heights, strict=True):
        kh, kw = t.shape[1:3]
        scale = max(1, FILTER_CELL // max(kh, kw))
        for i, tile in enumerate(t):
            big = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)[:FILTER_CELL, :FILTER_CELL]
            y, x = top + (i // FILTERS_PER_ROW) * step, (i % FILTERS_PER_ROW) * step
            sheet[y : y + big.shape[0], x : x + big.shape[1]] = big
        columns = min(len(t), FILTERS_PER_ROW)
        blocks.append(FilterBlock(name, label, top, height, columns * step - FILTER_GAP, len(t), (kh, kw), channels,
                                  columns))
        top += height + BLOCK_GAP
    return sheet, blocks
