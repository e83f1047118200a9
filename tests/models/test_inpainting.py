"""Inpainting's numpy side: the hole, the window the network sees, the paste, and the served model."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from core.errors import BadParameterError, ImageTooLargeError
from models.inpainting import (
    Window,
    box_mask,
    check_mask,
    composite,
    crop_window,
    decode_mask,
    mask_from_image,
    network_input,
    paste_weight,
    resize_mask,
    window_for,
)
from tests.imagecorpus import encode, photo, png_bomb


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


HOLES = {
    "centre": (96, 64, (40, 20, 16, 12)),
    "top-left corner": (96, 64, (0, 0, 10, 6)),
    "bottom-right corner": (96, 64, (86, 58, 10, 6)),
    "right edge, tall": (120, 400, (110, 150, 10, 60)),
    "more than half the photo": (96, 64, (10, 5, 70, 50)),
    "one pixel": (300, 200, (299, 199, 1, 1)),
}


@pytest.mark.parametrize("case", HOLES.values(), ids=HOLES.keys())
def test_the_window_covers_the_hole_with_context_and_stays_on_the_photo_when_it_fits(case):
    width, height, box = case
    mask = box_mask(height, width, box)
    window = window_for(mask)
    x0, y0, x1, y1 = bbox(mask)
    assert window.x <= x0 and window.y <= y0
    assert window.x + window.side >= x1 and window.y + window.side >= y1
    assert window.side >= 2 * max(x1 - x0, y1 - y0)  # the hole is at most half the window
    if window.side <= width:
        assert window.x >= 0 and window.x + window.side <= width
    if window.side <= height:
        assert window.y >= 0 and window.y + window.side <= height


def test_a_window_larger_than_the_photo_is_centred_and_padded_with_the_edge():
    rgb = photo(20, 10)
    window = Window(-5, -10, 30)
    crop = crop_window(rgb, window)
    assert crop.shape == (30, 30, 3)
    np.testing.assert_array_equal(crop[10:20, 5:25], rgb)
    np.testing.assert_array_equal(crop[0, 5:25], rgb[0])  # above the photo: its top row repeated
    np.testing.assert_array_equal(crop[25, 29], rgb[9, 19])
    mask = box_mask(10, 20, (2, 1, 16, 8))
    wide = window_for(mask)
    assert wide.side == 32 and (wide.x, wide.y) == (-6, -11)  # centred on the photo, past both borders


@pytest.mark.parametrize("feather", [0.0, 2.5, 6.0])
def test_composite_changes_only_the_hole_and_its_feather_band(feather):
    rgb = photo(96, 64, seed=1)
    mask = np.zeros((64, 96), dtype=bool)
    mask[20:34, 30:41] = True
    mask[40:44, 50:70] = True  # two holes, any shape
    window = window_for(mask)
    fill = np.random.default_rng(0).integers(0, 256, (window.side, window.side, 3), dtype=np.uint8)
    out = composite(rgb, mask, fill, window, feather)
    distance = ndimage.distance_transform_edt(~mask)
    far = distance >= max(feather, 1.0)
    np.testing.assert_array_equal(out[far], rgb[far])
    ys, xs = np.nonzero(mask)
    np.testing.assert_array_equal(out[ys, xs], fill[ys - window.y, xs - window.x])
    weight = paste_weight(mask, feather)
    assert weight[mask].min() == 1.0 and weight[far].max() == 0.0
    if feather > 1:
        band = (distance > 0) & (distance < feather)
        assert weight[band].min() > 0 and weight[band].max() < 1


def test_mask_checks_refuse_an_empty_mask_a_full_one_and_another_size():
    with pytest.raises(BadParameterError, match="empty"):
        check_mask(np.zeros((4, 4), dtype=bool))
    with pytest.raises(BadParameterError, match="whole photo"):
        check_mask(np.ones((4, 4), dtype=bool))
    gray = np.zeros((64, 96), dtype=np.uint8)
    gray[10:20, 10:20] = 255
    gray[30, 30] = 127  # below half-white: kept
    mask = mask_from_image(gray, 64, 96)
    assert mask.sum() == 100 and not mask[30, 30]
    with pytest.raises(BadParameterError, match=r"the mask is 96x64, the photo 64x96"):
        mask_from_image(gray, 96, 64)


def test_box_checks_refuse_boxes_off_the_photo_empty_or_the_whole_photo():
    mask = box_mask(64, 96, (90, 60, 6, 4))
    assert mask.sum() == 24 and mask[60:, 90:].all()
    with pytest.raises(BadParameterError, match="outside the 96x64 photo"):
        box_mask(64, 96, (90, 60, 7, 4))
    with pytest.raises(BadParameterError, match="empty"):
        box_mask(64, 96, (10, 10, 0, 5))
    with pytest.raises(BadParameterError, match="whole photo"):
        box_mask(64, 96, (0, 0, 96, 64))


@pytest.mark.parametrize(("size", "side"), [(64, 128), (256, 128), (300, 128), (37, 128), (128, 128)])
def test_resize_mask_never_shrinks_the_hole(size, side):
    rng = np.random.default_rng(size)
    for _ in range(5):
        mask = np.zeros((size, size), dtype=bool)
        mask[tuple(rng.integers(0, size, (2, 12)))] = True  # single pixels: the hardest to keep
        y, x = rng.integers(0, size - 4, 2)
        mask[y : y + 3, x : x + 4] = True
        small = resize_mask(mask, side)
        assert small.shape == (side, side)
        scale = side / size
        for py, px in zip(*np.nonzero(mask), strict=True):
            # every network pixel that overlaps this hole pixel's area is in the network's hole
            ys = slice(int(np.floor(py * scale + 1e-9)), int(np.ceil((py + 1) * scale - 1e-9)))
            xs = slice(int(np.floor(px * scale + 1e-9)), int(np.ceil((px + 1) * scale - 1e-9)))
            assert small[ys, xs].all(), (py, px)


def test_network_input_hides_the_hole_and_carries_the_mask():
    a, b = photo(32, 32, seed=1), photo(32, 32, seed=2)
    mask = np.zeros((32, 32), dtype=bool)
    mask[8:20, 4:12] = True
    x = network_input(np.stack([a, b]), np.stack([mask, mask]))
    assert x.shape == (2, 4, 32, 32) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :3, mask], x[1, :3, mask])  # nothing of the photo in the hole
    np.testing.assert_array_equal(x[0, 3], mask.astype(np.float32))
    np.testing.assert_allclose(x[0, :3].transpose(1, 2, 0)[~mask], a[~mask] / 255.0, atol=1e-7)


def test_a_mask_decodes_white_as_hole_transparent_as_kept_and_as_shown():
    gray = np.zeros((64, 96), dtype=np.uint8)
    gray[5:15, 20:40] = 255
    np.testing.assert_array_equal(decode_mask(encode(Image.fromarray(gray), "PNG")), gray)
    layer = np.zeros((64, 96, 4), dtype=np.uint8)
    layer[5:15, 20:40] = 255  # white strokes on a transparent layer
    np.testing.assert_array_equal(decode_mask(encode(Image.fromarray(layer), "PNG")), gray)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 64 x 96, shown turned clockwise: 96 x 64
    stored = Image.fromarray(gray).transpose(Image.Transpose.ROTATE_90)
    np.testing.assert_array_equal(decode_mask(encode(stored, "PNG", exif=exif.tobytes())), gray)
    with pytest.raises(BadParameterError, match="mask is not a usable image"):
        decode_mask(b"not an image at all")
    with pytest.raises(ImageTooLargeError, match="mask"):
        decode_mask(png_bomb())


def test_the_served_model_fills_any_hole_and_keeps_the_rest(tiny_models_dir):
    from models.inpainting_model import InpaintingModel

    model = InpaintingModel("inpainting", device="cpu", root=tiny_models_dir)
    rgb = photo(150, 100, seed=3)
    mask = box_mask(100, 150, (60, 40, 30, 20))
    out = model.inpaint(rgb, mask)
    assert out.result.shape == rgb.shape and out.network_side == model.card.side
    assert out.fill.shape == (out.window.side, out.window.side, 3)
    feather = model.card.feather * out.window.side / model.card.side
    far = ndimage.distance_transform_edt(~mask) >= max(feather, 1.0)
    np.testing.assert_array_equal(out.result[far], rgb[far])
    with pytest.raises(BadParameterError, match="same size"):
        model.inpaint(rgb, mask[:, :-1])
    with pytest.raises(BadParameterError, match="empty"):
        model.inpaint(rgb, np.zeros_like(mask))
