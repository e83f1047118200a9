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
        "profiled.jpg": encode(rgb, "JPEG", icc_profile=rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)),
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


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def rgb_profile(red: tuple[float, float, float], green: tuple[float, float, float],
                blue: tuple[float, float, float], gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with these D50 primaries (XYZ) and one gamma."""
    def xyz(v: tuple[float, float, float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    text = b"test profile\0"
    # textDescriptionType: ASCII, then empty Unicode (language, count) and ScriptCode (code, count, 67 bytes).
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)),
            (b"bXYZ", xyz(blue)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
            (b"cprt", b"text\0\0\0\0none\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12
              + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


# sRGB's own primaries adapted to D50, as ICC profiles store them.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
