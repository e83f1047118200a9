import numpy as np
import pytest
from PIL import Image

from core.errors import BadParameterError
from models.rotation import (
    attention_map,
    combine_rotations,
    network_size,
    overlay,
    rotate,
    rotations,
    turned_views,
)
from tests.imagecorpus import photo


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_rotate_matches_pils_counter_clockwise_convention(angle):
    img = photo(30, 20)
    expected = np.asarray(Image.fromarray(img).rotate(angle, expand=True))
    np.testing.assert_array_equal(rotate(img, angle), expected)
    np.testing.assert_array_equal(rotate(rotate(img, angle), -angle), img)


def test_rotate_refuses_other_angles():
    with pytest.raises(BadParameterError):
        rotate(photo(), 45)


def test_batch_holds_all_four_rotations_of_each_image_with_labels():
    imgs = np.stack([photo(16, 16, seed=s) for s in range(3)])
    x, y = rotations(imgs)
    assert x.shape == (12, 16, 16, 3)
    assert y.tolist() == [0, 1, 2, 3] * 3
    for b in range(3):
        for k in range(4):
            np.testing.assert_array_equal(x[4 * b + k], rotate(imgs[b], 90 * k))


def test_network_size_keeps_aspect_in_multiples_of_eight():
    assert network_size(800, 600, 64) == (88, 64)
    w, h = network_size(5000, 100, 64)
    assert h == 64 and w == 192  # long side capped at 3x


def test_attention_is_channel_sum_of_powered_magnitudes_normalised():
    act = np.zeros((2, 3, 3), np.float32)
    act[0, 0, 0] = -2.0
    act[1, 0, 0] = 1.0
    act[1, 2, 2] = 1.0
    m = attention_map(act, p=2)
    # (4 + 1) at (0, 0) is the peak; 1 at (2, 2); 0 elsewhere.
    assert m[0, 0] == pytest.approx(1.0)
    assert m[2, 2] == pytest.approx(0.2)
    assert m[1, 1] == 0.0
    m1 = attention_map(act, p=1)
    assert m1[2, 2] == pytest.approx(1 / 3)
    with pytest.raises(BadParameterError):
        attention_map(act, p=0)


def test_overlay_blends_heat_over_the_photo():
    img = photo(40, 30)
    att = np.zeros((4, 4), np.float32)
    att[0, 0] = 1.0
    out = overlay(img, att, opacity=0.0)
    np.testing.assert_array_equal(out, img)
    full = overlay(img, att, opacity=1.0)
    assert full.shape == img.shape and not np.array_equal(full[0, 0], full[-1, -1])
    with pytest.raises(BadParameterError):
        overlay(img, att, opacity=2.0)


def test_combined_views_undo_each_views_extra_turn():
    # A network that always sees the truth: input at class k, view j should say (k + j) % 4.
    for k in range(4):
        logits = np.full((4, 4), -5.0)
        for j in range(4):
            logits[j, (k + j) % 4] = 5.0
        assert int(np.argmax(combine_rotations(logits))) == k


def test_mirrored_views_count_with_the_turn_reversed():
    # Upright views say nothing; mirrored views of an input at class k say (j - k) % 4 for view j.
    for k in range(4):
        mirrored = np.full((4, 4), -5.0)
        for j in range(4):
            mirrored[j, (j - k) % 4] = 5.0
        probs = combine_rotations(np.zeros((4, 4)), mirrored)
        assert int(np.argmax(probs)) == k and probs.sum() == pytest.approx(1.0)
        # Read without the reversal, the same views would point at another class (unless k is 0 or 2).
        if k in (1, 3):
            assert int(np.argmax(combine_rotations(mirrored))) != k


def test_turned_views_reorder_rows_forward_and_mirrored_rows_backward():
    views = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(turned_views(views, 1), views[[1, 2, 3, 0]])
    np.testing.assert_array_equal(turned_views(views, 1, mirrored=True), views[[3, 0, 1, 2]])
    stacked = np.stack([views, -views])  # more serving sides ride along on leading axes
    np.testing.assert_array_equal(turned_views(stacked, 3)[1], -views[[3, 0, 1, 2]])


def test_views_of_several_sides_vote_together():
    # Side 0 is unsure; side 1 sees class 2 clearly. Together they must say 2.
    sure = np.full((4, 4), -5.0)
    for j in range(4):
        sure[j, (2 + j) % 4] = 5.0
    probs = combine_rotations(np.stack([np.zeros((4, 4)), sure]))
    assert int(np.argmax(probs)) == 2 and probs.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(combine_rotations(np.stack([sure, sure])), combine_rotations(sure), atol=1e-6)
