"""Context-encoder inpainting (Pathak et al., CVPR 2016): masks, the network's window, the seamless paste.

Pure numpy, shared by training (masks, network input) and serving (window, composite). The network sees a
square window around the hole, scaled to its training side, as 4 channels: RGB in [0, 1] and the hole mask
(1 = fill); it returns RGB in [0, 1] for the whole window. Only the hole changes in the full-size result.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from core.errors import BadParameterError, ImageError, ImageTooLargeError
from models.imageio import DEFAULT_MAX_PIXELS, UPRIGHT, exif_orientation, open_checked

SIDE = 128  # training input side (the paper's 128 px)
CONTEXT = 2.0  # the window is this many times the hole's larger side: the hole is at most half of it
FEATHER = 3  # px at network scale: the paste fades over this band outside the hole (the loss's overlap band)


@dataclass(frozen=True)
class Window:
    """A square region of the photo (x, y, side), possibly reaching past its borders (edge-padded)."""

    x: int
    y: int
    side: int


def central_mask(height: int, width: int, area: float = 0.25) -> np.ndarray:
    """(H, W) bool: a centred rectangle covering ``area`` of the photo (a quarter: half of each side)."""
    scale = float(np.sqrt(area))
    mh, mw = max(1, round(height * scale)), max(1, round(width * scale))
    mask = np.zeros((height, width), dtype=bool)
    y, x = (height - mh) // 2, (width - mw) // 2
    mask[y : y + mh, x : x + mw] = True
    return mask


def box_mask(height: int, width: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """(H, W) bool of the box (x, y, w, h) in pixels, origin top left; BadParameterError if it is off the
    photo, empty or the whole photo."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise BadParameterError(f"the box {box} is empty: its width and height must be positive")
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise BadParameterError(f"the box {box} reaches outside the {width}x{height} photo")
    mask = np.zeros((height, width), dtype=bool)
    mask[y : y + h, x : x + w] = True
    check_mask(mask)
    return mask


def decode_mask(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Bytes of a mask image -> (H, W) uint8 gray as shown (its own EXIF orientation applied), opened with
    the photos' checks (format, pixel limit, mode). Transparent pixels count as black (kept), so a hole
    painted white on a transparent layer works. BadParameterError naming the mask when it is not a
    usable image (ImageTooLargeError stays itself: 413)."""
    try:
        with open_checked(data, max_pixels) as im:
            im.seek(0)
            orientation = exif_orientation(im)
            im.load()
            if orientation in UPRIGHT:
                im = im.transpose(UPRIGHT[orientation])
            return _gray8(im)
    except ImageTooLargeError as exc:
        raise ImageTooLargeError(f"the mask: {exc}") from exc
    except ImageError as exc:
        raise BadParameterError(f"the mask is not a usable image: {exc}") from exc


def _gray8(im: Image.Image) -> np.ndarray:
    """Any mode the decoder allows -> (H, W) uint8 luminance, transparency laid over black."""
    if im.mode in {"I;16", "I;16B", "I"}:
        return np.clip(np.round(np.asarray(im).astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
    if im.mode in {"P", "LA", "PA"}:
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        im = Image.alpha_composite(Image.new("RGBA", im.size, (0, 0, 0, 255)), im)
    return np.asarray(im.convert("L"), dtype=np.uint8).copy()


def mask_from_image(gray8: np.ndarray, height: int, width: int) -> np.ndarray:
    """A decoded mask image (H, W) uint8 (white = fill) -> (H, W) bool; BadParameterError when its size is
    not the photo's, or it is empty or the whole photo."""
    if gray8.shape != (height, width):
        raise BadParameterError(f"the mask is {gray8.shape[1]}x{gray8.shape[0]}, the photo {width}x{height}: "
                                "they must be the same size")
    mask = gray8 >= 128
    check_mask(mask)
    return mask


def check_mask(mask: np.ndarray) -> None:
    """BadParameterError when a hole mask holds nothing to fill, or nothing to fill it from."""
    if not mask.any():
        raise BadParameterError("the mask is empty: paint (white) the region to fill")
    if mask.all():
        raise BadParameterError("the mask covers the whole photo: there is nothing left to fill it from")


def hole_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The bounding box (x, y, w, h) of a non-empty hole, read from its rows and columns (no pixel list)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, x0 = int(rows[0]), int(cols[0])
    return x0, y0, int(cols[-1]) + 1 - x0, int(rows[-1]) + 1 - y0


def window_for(mask: np.ndarray, context: float = CONTEXT) -> Window:
    """The square window the network sees: the hole's bounding box grown to ``context`` times its larger
    side, centred on it and shifted to stay on the photo where the photo is large enough."""
    x0, y0, w, h = hole_box(mask)
    x1, y1 = x0 + w, y0 + h
    side = int(np.ceil(max(y1 - y0, x1 - x0) * context))
    side = max(side, 8)
    height, width = mask.shape
    cy, cx = float(y0 + y1) / 2, float(x0 + x1) / 2

    def place(centre: float, extent: int) -> int:
        start = round(centre - side / 2)
        if side <= extent:  # fits: keep it on the photo
            return min(max(start, 0), extent - side)
        return round((extent - side) / 2)  # larger than the photo: centred, edges padded

    return Window(place(cx, width), place(cy, height), side)


def crop_window(array: np.ndarray, window: Window) -> np.ndarray:
    """array[window] (H, W, ...) with edge padding where the window leaves the photo: (side, side, ...)."""
    height, width = array.shape[:2]
    ys = np.clip(np.arange(window.y, window.y + window.side), 0, height - 1)
    xs = np.clip(np.arange(window.x, window.x + window.side), 0, width - 1)
    return array[ys[:, None], xs[None, :]]


def resize_rgb(rgb: np.ndarray, side: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (side, side, 3) uint8, antialiased."""
    return np.asarray(Image.fromarray(rgb).resize((side, side), Image.Resampling.BILINEAR, reducing_gap=None))


def _spans(extent: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``side`` cells over ``extent`` pixels: the first and one past the last pixel it overlaps."""
    i = np.arange(side)
    return (i * extent) // side, -((-(i + 1) * extent) // side)


def resize_mask(mask: np.ndarray, side: int) -> np.ndarray:
    """(H, W) bool -> (side, side) bool, a pixel in the hole if any of its area is (the hole never shrinks).

    Exact in integers: a network pixel's area overlaps source rows [start, end) and columns likewise, and
    it is in the hole when any source pixel there is (Pillow's box filter weighs pixels by their centres,
    so a hole pixel overlapping a network pixel by a sliver would not count)."""
    height, width = mask.shape
    r0, r1 = _spans(height, side)
    c0, c1 = _spans(width, side)
    rows = np.concatenate([np.zeros((1, width), np.int64), np.cumsum(mask, axis=0)])
    any_rows = (rows[r1] - rows[r0]) > 0  # (side, W)
    cols = np.concatenate([np.zeros((side, 1), np.int64), np.cumsum(any_rows, axis=1)], axis=1)
    return (cols[:, c1] - cols[:, c0]) > 0


def network_input(rgb8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B, S, S, 3) uint8 photos and (B, S, S) bool holes -> (B, 4, S, S) float32: RGB in [0, 1] with the
    hole set to 0.5 (what the network sees there does not matter: it masks it), then the mask."""
    rgb = rgb8.astype(np.float32) / 255.0
    hole = mask[..., None]
    rgb = np.where(hole, np.float32(0.5), rgb)
    return np.concatenate([rgb, hole.astype(np.float32)], axis=-1).transpose(0, 3, 1, 2).copy()


def paste_weight(mask: np.ndarray, feather: float) -> np.ndarray:
    """(H, W) bool hole -> (H, W) float32 alpha: 1 in the hole, falling linearly to 0 over ``feather`` px
    outside it, so the fill meets the photo without a visible edge."""
    if feather <= 0:
        return mask.astype(np.float32)
    distance = ndimage.distance_transform_edt(~mask)
    return np.clip(1.0 - distance / feather, 0.0, 1.0).astype(np.float32) * (~mask) + mask


def composite(rgb8: np.ndarray, mask: np.ndarray, fill8: np.ndarray, window: Window,
              feather: float) -> np.ndarray:
    """Paste ``fill8`` (the window's fill at full scale, (side, side, 3) uint8) into the photo inside the
    hole and a feathered band around it; every other pixel is the photo's own. (H, W, 3) uint8."""
    height, width = mask.shape
    out = rgb8.copy()
    # The window's part that lies on the photo. It holds the whole hole, so the distances to the hole
    # measured inside it are the photo's; the feather band (a few px) stays well inside its margin.
    x0, y0 = max(window.x, 0), max(window.y, 0)
    x1, y1 = min(window.x + window.side, width), min(window.y + window.side, height)
    a = paste_weight(mask[y0:y1, x0:x1], feather)[..., None]
    fill = fill8[y0 - window.y : y1 - window.y, x0 - window.x : x1 - window.x].astype(np.float32)
    blended = a * fill + (1.0 - a) * rgb8[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    # A hole outside the window cannot happen: the window covers the hole's bounding box.
    return out


def to_uint8(rgb01: np.ndarray) -> np.ndarray:
    """(3, S, S) float in [0, 1] -> (S, S, 3) uint8."""
    return np.clip(np.round(rgb01.transpose(1, 2, 0) * 255.0), 0, 255).astype(np.uint8)


def mean_fill(rgb8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The simplest baseline: the hole painted the mean colour of the rest of the photo. (H, W, 3) uint8."""
    out = rgb8.copy()
    out[mask] = np.round(rgb8[~mask].reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    return out
