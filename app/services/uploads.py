"""Uploaded images: read within the size limit and check cheaply, before anything is queued."""

from fastapi import UploadFile

from core.errors import ImageTooLargeError
from models.imageio import MAX_BYTES_PER_PIXEL, open_checked, shown_size

CHUNK = 1 << 20
UPLOAD_METADATA_BYTES = 1 << 20  # EXIF, ICC profile and thumbnails of a phone photo fit well within 1 MiB
JPEG_PROBE_SCALE = 8  # libjpeg decodes at 1/8 scale ~10x faster, still reading every byte


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes; ImageTooLargeError as soon as they pass ``max_bytes``."""
    parts, total = [], 0
    while chunk := await upload.read(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ImageTooLargeError(f"the upload is larger than the limit of {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def probe_image(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    """Check that ``data`` is a complete image the workers will accept: (format, width, height)."""
    # The header checks are decode_image's own; then the data is walked without a full decode:
    # PNG chunk CRCs, JPEG at 1/8 scale, other formats fully.
    with open_checked(data, max_pixels) as im:
        w, h = im.size
        if im.format == "PNG":
            im.verify()
        else:
            if im.format in {"JPEG", "MPO"}:
                im.draft(None, (max(1, w // JPEG_PROBE_SCALE), max(1, h // JPEG_PROBE_SCALE)))
            im.load()
        fmt = str(im.format)
    # The size as shown, read by the same function the workers' decode uses. A fresh header read:
    # PNG's verify leaves its image unusable, and reading EXIF before verify breaks verify.
    with open_checked(data, max_pixels) as im:
        width, height = shown_size(im)
    # Bytes no pixel needs (private PNG chunks, padding) would sit in Redis with the job for hours.
    limit = width * height * MAX_BYTES_PER_PIXEL + UPLOAD_METADATA_BYTES
    if len(data) > limit:
        raise ImageTooLargeError(f"the file is {len(data)} bytes, more than a {width}x{height} image needs "
                                 f"({limit} with its metadata); remove what is stored beside the pixels")
    return fmt, width, height
