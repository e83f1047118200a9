"""Context prediction's pure pre/post-processing, and the serving class on the tiny untrained model."""

import numpy as np
import pytest

from core.errors import BadParameterError
from models.context import (
    CENTRE_COLOUR,
    GREEN_MAGENTA,
    MIN_SIDE,
    N_POSITIONS,
    POSITION_NAMES,
    POSITIONS,
    PatchBox,
    PatchGeometry,
    as_grid,
    crop_patch,
    default_box,
    grid_corners,
    largest_side,
    nearest_position,
    neighbour_box,
    outline_patches,
    patch_preview,
    position_index,
    position_probabilities,
    positions_on_photo,
    prepare_patches,
    project_colour,
    resize_patch,
    serving_step,
)
from tests.imagecorpus import photo

RATIO = 12 / 32


def test_positions_are_the_3x3_grid_row_major_without_its_centre():
    cells = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    assert list(POSITIONS) == [c for c in cells if c != (0, 0)] and N_POSITIONS == 8
    assert POSITION_NAMES[0] == "top left" and POSITION_NAMES[4] == "right" and POSITION_NAMES[7] == "bottom right"
    assert [position_index(dy, dx) for dy, dx in POSITIONS] == list(range(8))
    with pytest.raises(BadParameterError, match="not one of the eight"):
        position_index(0, 0)
    with pytest.raises(BadParameterError):
        position_index(2, 0)


def test_training_geometry_step_span_and_grid_corners():
    geom = PatchGeometry(32, 12, 3)
    assert geom.step == 44 and geom.span == 3 * 32 + 2 * 12 + 6
    corners = grid_corners(50, 60, geom)
    assert corners.shape == (9, 2) and corners[4].tolist() == [50, 60]
    assert corners[0].tolist() == [6, 16] and corners[8].tolist() == [94, 104]


def test_serving_steps_scale_the_gap_with_the_patch_and_the_largest_grid_fits_exactly():
    assert serving_step(32, RATIO) == 44  # training's own geometry at the training side
    assert serving_step(64, RATIO) == 88 and serving_step(10, RATIO) == 14  # 3.75 rounds up
    assert serving_step(20, 0.0) == 20
    for short in (30, 31, 100, 257, 1000):
        side = largest_side(short, RATIO)
        assert side + 2 * serving_step(side, RATIO) <= short
        assert side + 1 + 2 * serving_step(side + 1, RATIO) > short
    assert largest_side(5, RATIO) < MIN_SIDE


def test_the_default_box_is_the_centre_of_the_largest_grid_and_tiny_photos_are_refused():
    box = default_box(150, 100, RATIO)
    assert box == PatchBox(62, 37, 26)
    assert all(neighbour_box(box, k, RATIO).fits(150, 100) for k in range(N_POSITIONS))
    assert positions_on_photo(box, 150, 100, RATIO) == list(range(8))
    with pytest.raises(BadParameterError, match="needs at least 30x30"):
        default_box(29, 200, RATIO)


def test_neighbours_and_nearest_positions_round_trip_and_far_pieces_have_no_place():
    box = PatchBox(100, 80, 40)
    step = serving_step(40, RATIO)  # 55
    for k, (dy, dx) in enumerate(POSITIONS):
        other = neighbour_box(box, k, RATIO)
        assert (other.x, other.y, other.side) == (100 + dx * step, 80 + dy * step, 40)
        assert nearest_position(box, other, RATIO) == k
    right = PatchBox(100 + step + 20, 80 + 10, 40)  # 0.41 of a step from the right place
    assert nearest_position(box, right, RATIO) == 4
    assert nearest_position(box, PatchBox(100 + step + 25, 80 + 20, 40), RATIO) is None  # 0.58 away
    assert nearest_position(box, box, RATIO) is None  # the centre's own place
    assert nearest_position(box, PatchBox(100 + 2 * step, 80, 40), RATIO) is None  # two cells away
    # Near the photo's edge only the neighbours on it count.
    assert positions_on_photo(PatchBox(0, 0, 40), 200, 200, RATIO) == [4, 6, 7]


def test_colour_projection_removes_green_magenta_and_keeps_gray():
    rng = np.random.default_rng(0)
    x = rng.random((5, 7, 3)).astype(np.float32)
    projected = project_colour(x)
    np.testing.assert_allclose(projected @ GREEN_MAGENTA, 0.0, atol=1e-6)
    np.testing.assert_allclose(project_colour(projected), projected, atol=1e-6)  # a projection
    gray = np.repeat(rng.random((4, 4, 1)).astype(np.float32), 3, axis=-1)
    np.testing.assert_allclose(project_colour(gray), gray, atol=1e-6)
    # A green-magenta difference vanishes into the gray of the same mean; the red-blue one is kept.
    np.testing.assert_allclose(project_colour(np.array([0.4, 0.6, 0.4], np.float32)), 1.4 / 3, atol=1e-6)
    red_blue = np.array([0.7, 0.5, 0.3], np.float32)
    np.testing.assert_allclose(project_colour(red_blue), red_blue, atol=1e-6)


def test_prepare_patches_standardises_each_patch_channels_first():
    pairs = np.stack([photo(16, 16, seed=1), photo(16, 16, seed=2)])[None]  # (1, 2, 16, 16, 3)
    x = prepare_patches(pairs, project=False)
    assert x.shape == (1, 2, 3, 16, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x.mean(axis=(2, 3, 4)), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=(2, 3, 4)), 1.0, atol=1e-2)
    projected = prepare_patches(pairs, project=True)
    assert not np.allclose(projected, x)
    np.testing.assert_allclose(prepare_patches(pairs.astype(np.float32) / 255.0, True), projected, atol=1e-5)


def test_probabilities_and_the_grid_a_page_draws():
    probs = position_probabilities(np.array([[0.0, 1, 2, 3, 4, 5, 6, 7], [0] * 8]))
    assert probs.shape == (2, 8)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert int(probs[0].argmax()) == 7 and np.allclose(probs[1], 1 / 8)
    grid = as_grid(np.arange(8) / 28)
    assert grid[1][1] is None and [len(row) for row in grid] == [3, 3, 3]
    assert grid[0] == pytest.approx([0, 1 / 28, 2 / 28]) and grid[1][0] == pytest.approx(3 / 28)
    assert grid[1][2] == pytest.approx(4 / 28) and grid[2] == pytest.approx([5 / 28, 6 / 28, 7 / 28])


def test_patches_are_cut_resized_and_outlined_where_they_are():
    img = photo(120, 90, seed=4)
    box = PatchBox(30, 20, 40)
    np.testing.assert_array_equal(crop_patch(img, box), img[20:60, 30:70])
    with pytest.raises(BadParameterError, match="not inside the 120x90 photo"):
        crop_patch(img, PatchBox(90, 20, 40))
    with pytest.raises(BadParameterError):
        crop_patch(img, PatchBox(0, 0, 0))
    assert resize_patch(crop_patch(img, box), 16).shape == (16, 16, 3)
    assert resize_patch(img[:16, :16], 16).tobytes() == img[:16, :16].tobytes()  # same side: untouched
    big = np.zeros((300, 300, 3), np.uint8)
    assert patch_preview(big).shape == (256, 256, 3) and patch_preview(img[:40, :40]).shape == (40, 40, 3)
    drawn = outline_patches(img, [(box, CENTRE_COLOUR)])
    assert drawn.shape == img.shape and (img == photo(120, 90, seed=4)).all()  # a copy
    changed = np.any(drawn != img, axis=-1)
    assert changed[20 - 1, 50] and changed[40, 30 - 1]  # on the outline, just outside the patch
    assert not changed[25:55, 35:65].any() and not changed[:10].any()  # inside and far away untouched
    assert tuple(drawn[20 - 2, 50]) == CENTRE_COLOUR


# ---- the serving class on the tiny untrained model -------------------------------------------------


@pytest.fixture(scope="module")
def model(tiny_models_dir):
    from models.context_model import ContextModel

    return ContextModel(root=tiny_models_dir, device="cpu")


def test_the_tiny_model_answers_every_position_with_probabilities_that_sum_to_one(model):
    img = photo(150, 100, seed=2)
    box = default_box(150, 100, model.gap_ratio)
    for k in range(N_POSITIONS):
        out = model.predict(img, box, neighbour_box(box, k, model.gap_ratio))
        assert out.probabilities.shape == (8,) and out.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert out.predicted == int(np.argmax(out.probabilities)) and out.truth == k
        assert out.centre.shape == out.piece.shape == (box.side, box.side, 3)
    far = model.predict(img, box, PatchBox(box.x, box.y, box.side))
    assert far.truth is None


def test_the_network_sees_both_patches_at_the_cards_side_in_order(model):
    img = photo(150, 100, seed=2)
    box = default_box(150, 100, model.gap_ratio)
    other = neighbour_box(box, 4, model.gap_ratio)
    x = model.inputs(crop_patch(img, box), crop_patch(img, other))
    p = model.card.patch
    assert x.shape == (1, 2, 3, p, p)
    swapped = model.inputs(crop_patch(img, other), crop_patch(img, box))
    np.testing.assert_array_equal(x[0, ::-1], swapped[0])
    logits = model.run(np.concatenate([x, swapped]))  # the batch is dynamic
    assert logits.shape == (2, 8)


def test_a_patch_off_the_photo_raises(model):
    img = photo(150, 100, seed=2)
    with pytest.raises(BadParameterError, match="not inside"):
        model.predict(img, PatchBox(130, 10, 30), PatchBox(10, 10, 30))
    with pytest.raises(BadParameterError, match="not inside"):
        model.predict(img, PatchBox(10, 10, 30), PatchBox(10, 80, 30))
