import pytest
from PIL import Image

from app.services.uploads import probe_image
from core.errors import ImageError
from models.imageio import decode_image
from tests.imagecorpus import bad_files, encode, exif_rotated_jpeg, good_files


@pytest.mark.parametrize("name", sorted(good_files()))
def test_the_probe_gives_the_size_the_workers_will_decode(name):
    data = good_files()[name]
    fmt, width, height = probe_image(data, 64_000_000)
    assert decode_image(data).shape[:2] == (height, width) and fmt


def test_an_exif_turned_photo_is_probed_at_its_shown_size():
    assert probe_image(exif_rotated_jpeg(90, 60), 64_000_000) == ("JPEG", 60, 90)


@pytest.mark.parametrize("name", sorted(bad_files()))
def test_the_probe_refuses_what_the_workers_would(name):
    with pytest.raises(ImageError):
        probe_image(bad_files()[name], 64_000_000)


def test_bytes_beyond_what_the_pixels_need_are_refused_before_queuing():
    import struct
    import zlib

    from core.errors import ImageTooLargeError

    png = encode(Image.new("RGB", (64, 64), (10, 120, 30)), "PNG")
    body = b"x" * (2 << 20)  # a private ancillary chunk ("prIv") of 2 MiB
    chunk = struct.pack(">I", len(body)) + b"prIv" + body + struct.pack(">I", zlib.crc32(b"prIv" + body))
    padded = png[:33] + chunk + png[33:]  # after the IHDR chunk
    assert probe_image(png, 10_000)[1:] == (64, 64)
    with pytest.raises(ImageTooLargeError, match="more than a 64x64 image needs"):
        probe_image(padded, 10_000)
