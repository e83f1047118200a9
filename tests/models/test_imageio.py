import io
import os

import numpy as np
import pytest
from PIL import Image

from core.errors import (
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
    UnsupportedImageError,
)
from models.imageio import decode_image, encode_png, load_image
from tests.imagecorpus import (
    SRGB_BLUE,
    SRGB_GREEN,
    SRGB_RED,
    bad_files,
    encode,
    exif_rotated_jpeg,
    good_files,
    photo,
    rgb_profile,
)


@pytest.mark.parametrize(("name", "data"), sorted(good_files().items()))
def test_every_accepted_format_and_mode_decodes_to_rgb8(name, data):
    rgb = decode_image(data)
    assert rgb.dtype == np.uint8 and rgb.shape == (64, 96, 3)


def test_sixteen_bit_gray_keeps_its_levels():
    rgb = decode_image(good_files()["sixteen.png"])
    np.testing.assert_array_equal(rgb[..., 0], photo()[..., 0])
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])


def test_transparency_is_composited_over_white():
    im = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    assert (decode_image(encode(im, "PNG")) == 255).all()


def test_exif_orientation_is_applied():
    rgb = decode_image(exif_rotated_jpeg(90, 60))
    assert rgb.shape == (90, 60, 3)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("empty.jpg", NotAnImageError),
        ("text.png", NotAnImageError),
        ("truncated.jpg", TruncatedImageError),
        ("bomb.png", ImageTooLargeError),
    ],
)
def test_bad_files_raise_clear_domain_errors(name, error):
    with pytest.raises(error) as info:
        decode_image(bad_files()[name])
    assert str(info.value)


def test_pixel_limit_is_a_parameter():
    data = good_files()["rgb.jpg"]
    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_pixels=100)


def test_unlisted_formats_and_modes_are_refused():
    with pytest.raises(UnsupportedImageError):
        decode_image(encode(Image.fromarray(photo()), "PPM"))
    with pytest.raises(UnsupportedImageError):
        decode_image(encode(Image.new("F", (4, 4)), "TIFF"))


def test_png_encoding_round_trips():
    img = photo()
    np.testing.assert_array_equal(decode_image(encode_png(img)), img)


def test_a_bilevel_image_decodes_to_black_and_white():
    ink = np.zeros((6, 9), bool)
    ink[2:4, 3:7] = True
    rgb8 = decode_image(encode(Image.fromarray(ink), "PNG"))
    assert rgb8.shape == (6, 9, 3)
    np.testing.assert_array_equal(rgb8[..., 0], np.where(ink, 255, 0))


def test_a_pipe_or_a_folder_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)  # reading it would block until someone writes
    for path in (fifo, tmp_path):
        with pytest.raises(NotAnImageError, match="not a regular file"):
            load_image(path)


def test_a_file_too_big_for_any_image_within_the_pixel_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.png"
    with path.open("wb") as f:
        f.write(good_files()["rgb.jpg"])
        f.truncate(100 * 8 + 64 * 1024 * 1024 + 1)  # sparse: nothing is written to disk
    with pytest.raises(ImageTooLargeError, match="bytes"):
        load_image(path, max_pixels=100)
    assert load_image(tmp_path / "huge.png", max_pixels=64_000_000).shape == (64, 96, 3)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_an_embedded_colour_profile_is_converted_to_srgb(fmt):
    # A profile whose red channel has sRGB's green primary: its pure red is sRGB's pure green.
    swapped = rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    red = np.zeros((8, 12, 3), np.uint8)
    red[..., 0] = 255
    rgb8 = decode_image(encode(Image.fromarray(red), fmt, icc_profile=swapped))
    assert rgb8.shape == (8, 12, 3)
    assert (rgb8[..., 1] >= 250).all() and (rgb8[..., [0, 2]] <= 5).all()


def test_a_profile_is_applied_to_an_exif_turned_photo_too():
    swapped = rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6
    red = np.zeros((6, 10, 3), np.uint8)
    red[..., 0] = 255
    rgb8 = decode_image(encode(Image.fromarray(red), "JPEG", icc_profile=swapped, exif=exif.tobytes()))
    assert rgb8.shape == (10, 6, 3) and (rgb8[..., 1] >= 250).all()


def test_an_unreadable_profile_is_ignored_and_the_values_taken_as_srgb():
    img = photo()
    np.testing.assert_array_equal(decode_image(encode(Image.fromarray(img), "PNG", icc_profile=b"not a profile")), img)


@pytest.mark.parametrize("value", [9, 0, 1])
def test_an_orientation_outside_2_to_8_leaves_the_photo_as_stored_on_both_sides(value):
    from app.services.uploads import probe_image

    im = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = value
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    assert probe_image(buf.getvalue(), 10_000)[1:] == (40, 30)
    assert decode_image(buf.getvalue()).shape == (30, 40, 3)
