"""Odd and bad image files built in memory, shared by the image-loading, CLI and API tests."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def photo(w: int = 96, h: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth colourful (h, w, 3) uint8 test picture."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(seed)
    r = 128 + 100 * np.sin(x / 9 + rng.random())
    g = 128 + 100 * np.cos(y / 7 + rng.random())
    b = 128 + 100 * np.sin((x + y) / 11)
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def png_bomb(side: int = 20000) -> bytes:
    """A tiny PNG whose header claims side x side gray pixels (a decompression bomb)."""
    raw = zlib.compress(b"\x00" * (side + 1) * 16, 9)  # only a little data; the header is what matters

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def exif_rotated_jpeg(w: int = 90, h: int = 60) -> bytes:
    """A w x h JPEG whose EXIF orientation (6) says: rotate 90 degrees clockwise to view."""
    im = Image.fromarray(photo(w, h))
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(im, "JPEG", exif=exif.tobytes())


def good_files() -> dict[str, bytes]:
    """Name -> bytes of images in every accepted format and mode."""
    rgb = Image.fromarray(photo())
    sixteen = Image.fromarray(photo()[..., 0].astype(np.uint16) * 257)
    rgba = rgb.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.full((64, 96), 128, np.uint8)))
    gif = rgb.convert("P")
    return {
        "rgb.jpg": encode(rgb, "JPEG", quality=90),
        "gray.png": encode(rgb.convert("L"), "PNG"),
        "bilevel.png": encode(rgb.convert("1"), "PNG"),
        "la.png": encode(rgb.convert("LA"), "PNG"),
        "palette.png": encode(rgb.convert("P"), "PNG"),
        "rgba.png": encode(rgba, "PNG"),
        "cmyk.jpg": encode(rgb.convert("CMYK"), "JPEG"),
        "sixteen.png": encode(sixteen, "PNG"),
        "rgb.webp": encode(rgb, "WEBP"),
        "rgb.bmp": encode(rgb, "BMP"),
        "rgb.tiff": encode(rgb, "TIFF"),
        "anim.gif": encode(gif, "GIF", save_all=True, append_images=[gif.rotate(90)]),
    }


def bad_files() -> dict[str, bytes]:
    jpeg = encode(Image.fromarray(photo()), "JPEG")
    return {
        "empty.jpg": b"",
        "text.png": b"hello, this is not an image\n" * 20,
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "bomb.png": png_bomb(),
    }
