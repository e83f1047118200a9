"""Relative patch position (Doersch, Gupta and Efros, ICCV 2015): pure numpy pre/post-processing.

A centre patch and one of its eight neighbours on a 3x3 grid; the network says which neighbour.
Position convention everywhere: ``POSITIONS[k]`` is the (row, column) offset of the second patch
from the centre patch, in grid cells, row-major over the 3x3 grid with the centre left out:

    0 1 2
    3 . 4
    5 6 7
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from core.errors import BadParameterError
from models.numerics import softmax

POSITIONS: tuple[tuple[int, int], ...] = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
N_POSITIONS = len(POSITIONS)
POSITION_NAMES = ("top left", "top", "top right", "left", "right", "bottom left", "bottom", "bottom right")
# The green-magenta axis of RGB: chromatic aberration shifts green against red and blue, so this is the
# colour direction a network can read lens position from (Doersch et al., section 4.1).
GREEN_MAGENTA = np.array([-1.0, 2.0, -1.0], dtype=np.float32) / np.sqrt(6.0)


@dataclass(frozen=True)
class PatchGeometry:
    """Patch side, gap between neighbours and the largest jitter of a neighbour, in pixels."""

    patch: int = 32
    gap: int = 12
    jitter: int = 3

    @property
    def step(self) -> int:
        """Distance between the top-left corners of adjacent patches (before jitter)."""
        return self.patch + self.gap

    @property
    def span(self) -> int:
        """Side of the smallest square that holds the 3x3 grid with any jitter."""
        return 3 * self.patch + 2 * self.gap + 2 * self.jitter


def position_index(dy: int, dx: int) -> int:
    """The index in ``POSITIONS`` of a neighbour offset; BadParameterError for the centre or a non-neighbour."""
    try:
        return POSITIONS.index((int(dy), int(dx)))
    except ValueError:
        raise BadParameterError(f"({dy}, {dx}) is not one of the eight neighbours of the centre") from None


def project_colour(x: np.ndarray) -> np.ndarray:
    """(..., 3) RGB floats -> the same with the green-magenta component removed (gray is kept)."""
    return x - (x @ GREEN_MAGENTA)[..., None] * GREEN_MAGENTA


def prepare_patches(patches: np.ndarray, project: bool) -> np.ndarray:
    """(..., P, P, 3) uint8 or [0, 1] floats -> (..., 3, P, P) float32 network input.

    With ``project`` the green-magenta axis is removed first (the model's card says whether it
    trained that way); then each patch is standardised on its own, as the jigsaw tiles are.
    """
    from models.jigsaw import normalise_tiles  # scipy: not at import (the API reads this module's geometry)

    x = np.asarray(patches, dtype=np.float32)
    if np.asarray(patches).dtype == np.uint8:
        x = x / 255.0
    if project:
        x = project_colour(x)
    return normalise_tiles(x)


def grid_corners(centre_y: int, centre_x: int, geom: PatchGeometry) -> np.ndarray:
    """(9, 2) top-left corners of the 3x3 grid (row-major, centre at index 4), no jitter."""
    offs = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    return np.array([centre_y, centre_x]) + offs * geom.step


def position_probabilities(logits: np.ndarray) -> np.ndarray:
    """(B, 8) logits -> (B, 8) probabilities over the eight neighbour positions."""
    return softmax(np.asarray(logits, dtype=np.float64), axis=-1).astype(np.float32)


def as_grid(probs: np.ndarray) -> list[list[float | None]]:
    """(8,) probabilities -> the 3x3 grid a page draws, None at the centre."""
    cells: list[float | None] = [float(p) for p in probs]
    cells.insert(4, None)
    return [cells[0:3], cells[3:6], cells[6:9]]


# ---------------------------------------------------------------------------------------------
# Serving: patches anywhere in a photo of any size, at the card's gap ratio (gap / patch)

MIN_SIDE = 8  # the smallest patch side served, in photo pixels


@dataclass(frozen=True)
class PatchBox:
    """A square patch of a photo: its top-left corner and side, in photo pixels."""

    x: int
    y: int
    side: int

    def fits(self, width: int, height: int) -> bool:
        """Whether the whole patch lies on a width x height photo."""
        return self.x >= 0 and self.y >= 0 and self.x + self.side <= width and self.y + self.side <= height

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "side": self.side}

    def text(self) -> str:
        """"X,Y,S", as the API and the CLI take it."""
        return f"{self.x},{self.y},{self.side}"


def serving_step(side: int, gap_ratio: float) -> int:
    """Photo pixels between the top-left corners of adjacent patches of side ``side`` at ``gap_ratio``."""
    return side + int(side * gap_ratio + 0.5)  # rounded half up, as the page computes it too


def largest_side(short: int, gap_ratio: float) -> int:
    """The largest patch side whose 3x3 grid (no jitter) fits ``short`` pixels; 0 when none does."""
    side = int(short / (3.0 + 2.0 * gap_ratio)) + 1
    while side > 0 and side + 2 * serving_step(side, gap_ratio) > short:
        side -= 1
    return side


def default_box(width: int, height: int, gap_ratio: float) -> PatchBox:
    """The centre patch of the largest 3x3 grid centred on a width x height photo; BadParameterError when
    even MIN_SIDE patches do not fit."""
    side = largest_side(min(width, height), gap_ratio)
    if side < MIN_SIDE:
        need = MIN_SIDE + 2 * serving_step(MIN_SIDE, gap_ratio)
        raise BadParameterError(f"the photo is {width}x{height}; a 3x3 grid of patches of at least {MIN_SIDE} px "
                                f"at gap ratio {gap_ratio:g} needs at least {need}x{need} pixels")
    return PatchBox((width - side) // 2, (height - side) // 2, side)


def neighbour_box(centre: PatchBox, position: int, gap_ratio: float) -> PatchBox:
    """The patch at ``POSITIONS[position]`` of ``centre``'s grid (no jitter), of the same side."""
    dy, dx = POSITIONS[position]
    step = serving_step(centre.side, gap_ratio)
    return PatchBox(centre.x + dx * step, centre.y + dy * step, centre.side)


def positions_on_photo(centre: PatchBox, width: int, height: int, gap_ratio: float) -> list[int]:
    """The positions whose neighbour of ``centre`` lies whole on a width x height photo."""
    return [k for k in range(N_POSITIONS) if neighbour_box(centre, k, gap_ratio).fits(width, height)]


def nearest_position(centre: PatchBox, other: PatchBox, gap_ratio: float) -> int | None:
    """The neighbour place of ``centre``'s grid nearest ``other``'s corner, or None when that place is more
    than half a step (the distance between adjacent patches) away."""
    step = serving_step(centre.side, gap_ratio)
    fy, fx = (other.y - centre.y) / step, (other.x - centre.x) / step
    dist = [float(np.hypot(fy - dy, fx - dx)) for dy, dx in POSITIONS]
    best = int(np.argmin(dist))
    return best if dist[best] <= 0.5 else None


def crop_patch(rgb8: np.ndarray, box: PatchBox) -> np.ndarray:
    """(H, W, 3) -> the (S, S, 3) patch ``box``; BadParameterError when it is not all on the photo."""
    height, width = rgb8.shape[:2]
    if box.side < 1 or not box.fits(width, height):
        raise BadParameterError(f"the patch {box.text()} (X,Y,S) is not inside the {width}x{height} photo")
    return rgb8[box.y : box.y + box.side, box.x : box.x + box.side]


def resize_patch(patch: np.ndarray, size: int) -> np.ndarray:
    """(S, S, 3) uint8 -> (size, size, 3) uint8, antialiased as the training photos were cached."""
    if patch.shape[0] == size and patch.shape[1] == size:
        return np.ascontiguousarray(patch)
    im = Image.fromarray(np.ascontiguousarray(patch)).resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return np.asarray(im, dtype=np.uint8)


def positions_table() -> list[dict[str, int | str]]:
    """The eight positions as the card and the job result list them: offset in grid cells and name."""
    return [{"dy": dy, "dx": dx, "name": name} for (dy, dx), name in zip(POSITIONS, POSITION_NAMES, strict=True)]


# ---------------------------------------------------------------------------------------------
# Pictures of a job: the photo with both patches outlined, and the patches themselves

CENTRE_COLOUR = (242, 169, 0)  # amber
PIECE_COLOUR = (0, 190, 255)  # sky blue
PATCH_PREVIEW = 256  # the served patches' longest side (never enlarged)


def outline_patches(rgb8: np.ndarray, boxes: list[tuple[PatchBox, tuple[int, int, int]]],
                    scale: float = 1.0) -> np.ndarray:
    """(H, W, 3) uint8 with each (box, colour) outlined, boxes in photo pixels times ``scale``; a copy."""
    im = Image.fromarray(np.ascontiguousarray(rgb8))
    draw = ImageDraw.Draw(im)
    width = max(2, round(max(im.size) / 320))
    for box, colour in boxes:
        x0, y0 = box.x * scale, box.y * scale
        x1, y1 = (box.x + box.side) * scale - 1, (box.y + box.side) * scale - 1
        draw.rectangle((x0 - width - 1, y0 - width - 1, x1 + width + 1, y1 + width + 1), outline=(0, 0, 0), width=1)
        draw.rectangle((x0 - width, y0 - width, x1 + width, y1 + width), outline=colour, width=width)
    return np.asarray(im)


def patch_preview(patch: np.ndarray, longest: int = PATCH_PREVIEW) -> np.ndarray:
    """An (S, S, 3) patch as cut, shrunk to at most ``longest`` px (never enlarged)."""
    if patch.shape[0] <= longest:
        return np.ascontiguousarray(patch)
    return resize_patch(patch, longest)
