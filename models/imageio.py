"""Safe decoding of user images: format whitelist, pixel limit, EXIF orientation, mode handling."""

import io
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from core.errors import (
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
    UnsupportedImageError,
)

ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "BMP", "TIFF", "GIF"})
ALLOWED_MODES = frozenset({"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "I;16", "I;16B", "I"})
DEFAULT_MAX_PIXELS = 64_000_000
PROFILED_MODES = frozenset({"RGB", "RGBA", "CMYK"})  # modes whose ICC profile decode applies
# No accepted image needs more than 8 bytes a pixel even uncompressed; the rest is room for metadata.
MAX_BYTES_PER_PIXEL = 8
METADATA_ALLOWANCE_BYTES = 64 * 1024 * 1024


def _check_size(im: Image.Image, max_pixels: int) -> None:
    w, h = im.size
    if w <= 0 or h <= 0:
        raise UnsupportedImageError(f"image has an empty size {w}x{h}")
    if w * h > max_pixels:
        raise ImageTooLargeError(
            f"image is {w}x{h} = {w * h} pixels, more than the limit of {max_pixels}"
        )


def _sixteen_bit_to_rgb8(im: Image.Image) -> np.ndarray:
    arr = np.asarray(im).astype(np.float64)
    # 16-bit data scales by 257 (65535 -> 255); mode "I" may hold anything, so clip.
    arr8 = np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8)
    return np.repeat(arr8[..., None], 3, axis=-1)


def _in_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Colour converted from the embedded ICC profile to sRGB; without one, the values are taken as sRGB.

    Phone photos often come in Display P3 and print files in CMYK with a profile: read as if they were
    sRGB their colours shift. A profile littleCMS cannot use is ignored rather than refused.
    """
    if not icc or im.mode not in PROFILED_MODES:
        return im
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if im.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(im, source, _srgb_profile(), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_rgb8(im: Image.Image) -> np.ndarray:
    """Any allowed mode -> (H, W, 3) uint8; transparency is composited over white."""
    if im.mode in {"I;16", "I;16B", "I"}:
        return _sixteen_bit_to_rgb8(im)
    if im.mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("RGB")
    if im.mode in {"LA", "PA"}:
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.uint8).copy()


@contextmanager
def open_checked(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[Image.Image]:
    """The image in ``data``, opened (header only) and checked for format, size and mode.

    Errors inside the block, Pillow's included, become the domain errors of ``ImageError``.
    """
    if not data:
        raise NotAnImageError("the file is empty")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on decompression bombs; our own limit decides first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            if im.format not in ALLOWED_FORMATS:
                raise UnsupportedImageError(
                    f"image format {im.format} is not accepted; use JPEG, PNG, WebP, BMP, TIFF or GIF"
                )
            _check_size(im, max_pixels)
            if im.mode not in ALLOWED_MODES:
                raise UnsupportedImageError(f"image mode {im.mode} is not supported")
            yield im
    except UnidentifiedImageError as exc:
        raise NotAnImageError("the file is not an image in a supported format") from exc
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(str(exc)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise TruncatedImageError(f"the image data is truncated or corrupt ({exc})") from exc


EXIF_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that makes the photo upright (2-8; 1 and anything else: as stored).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def exif_orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8) of an opened image; 1 when it has none or its EXIF cannot be read.

    The one reading of it: the upload check's size and the workers' decode both come from here, so
    they cannot disagree, and damaged EXIF is taken as no EXIF rather than failing a job later.
    """
    try:
        value = im.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # Pillow's EXIF parser raises struct, key, type and value errors on damaged data
        return 1
    return value if isinstance(value, int) and value in UPRIGHT else 1


def shown_size(im: Image.Image) -> tuple[int, int]:
    """(width, height) of an opened image as shown, after its EXIF orientation (5-8 swap the sides)."""
    w, h = im.size
    return (h, w) if exif_orientation(im) in {5, 6, 7, 8} else (w, h)


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Bytes of an uploaded image -> (H, W, 3) uint8 sRGB, upright per its EXIF orientation.

    Raises a subclass of ``ImageError`` for anything that is not a usable image.
    """
    with open_checked(data, max_pixels) as im:
        im.seek(0)
        orientation = exif_orientation(im)
        im.load()
        icc = im.info.get("icc_profile")
        upright = im.transpose(UPRIGHT[orientation]) if orientation in UPRIGHT else im
        return _to_rgb8(_in_srgb(upright, icc))


def read_image_file(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """The bytes of an image file, not yet decoded.

    A folder, a pipe or a device is refused before reading (a pipe would block), and so is a file
    too big to hold an image within the pixel limit; a missing file raises ``OSError``.
    """
    path = Path(path)
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise NotAnImageError(f"{path} is not a regular file")
    limit = max_pixels * MAX_BYTES_PER_PIXEL + METADATA_ALLOWANCE_BYTES
    if info.st_size > limit:
        raise ImageTooLargeError(f"the file is {info.st_size} bytes, more than any image within "
                                 f"{max_pixels} pixels needs ({limit})")
    return path.read_bytes()


def load_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file; see ``read_image_file`` and ``decode_image``."""
    return decode_image(read_image_file(path, max_pixels), max_pixels=max_pixels)


def encode_png(rgb8: np.ndarray, compress_level: int = 1) -> bytes:
    """(H, W, 3) or (H, W) uint8 -> PNG bytes without metadata.

    Level 1 by default: on a 50-megapixel result zlib's default level takes ~10x longer
    for a file only ~15% smaller.
    """
    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb8, dtype=np.uint8)).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
