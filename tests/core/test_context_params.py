"""The context task's parameters: parsed strictly, resolved against the card and the upload at submission."""

import pytest

from core.errors import BadParameterError
from core.tasks import get_task
from core.tasks.context import ContextParams, parse_box, parse_point
from core.tasks.spec import Upload
from models.cards import ContextCard, parse_card
from models.context import PatchBox, default_box, neighbour_box, positions_table, serving_step

UPLOAD = Upload("PNG", 150, 100)


def card(patch: int = 32, gap: int = 12) -> ContextCard:
    found = parse_card({"task": "context", "name": "context", "version": "v", "file": "context.onnx",
                        "patch": patch, "gap": gap, "positions": positions_table()})
    assert isinstance(found, ContextCard)
    return found


def test_the_spec_names_its_card_outputs_page_and_commands():
    spec = get_task("context")
    assert spec.card is ContextCard and spec.params is ContextParams
    assert [o.name for o in spec.outputs] == ["result", "centre", "piece"] and all(o.served for o in spec.outputs)
    assert spec.page is not None and spec.page.path == "/context"
    assert {c.words for c in spec.commands} == {("context",), ("train", "context"), ("export", "context"),
                                               ("evaluate", "context")}
    assert spec.links("/api/v1/jobs/x", {}) == {"centre": "/api/v1/jobs/x/centre", "piece": "/api/v1/jobs/x/piece"}


def test_a_card_must_list_the_served_positions_in_order():
    assert card().gap_ratio == pytest.approx(0.375)
    swapped = positions_table()
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(Exception, match="positions must be the eight offsets"):
        parse_card({"task": "context", "name": "c", "version": "v", "file": "c.onnx", "patch": 32, "gap": 12,
                    "positions": swapped})


def test_boxes_and_points_are_whole_pixels():
    assert parse_box(" 40, 30 ,64 ") == PatchBox(40, 30, 64)
    assert parse_point("120,3") == (120, 3)
    for bad in ("40,30", "40,30,64,2", "-1,2,30", "1.5,2,30", "a,b,c", ""):
        with pytest.raises(ValueError, match="X,Y,S"):
            parse_box(bad)
    for bad in ("1", "1,2,3", "-4,2", "x,y"):
        with pytest.raises(ValueError, match="X,Y"):
            parse_point(bad)


@pytest.mark.parametrize(("values", "says"), [
    ({"box": "1,2"}, "box"),
    ({"other": "1;2"}, "other"),
    ({"position": 8}, "position"),
    ({"position": -1}, "position"),
    ({"position": True}, "position"),
    ({"position": "3"}, "position"),
    ({"position": 3, "other": "10,10"}, "not both"),
])
def test_bad_parameters_are_named(values, says):
    with pytest.raises(BadParameterError, match=says):
        ContextParams.parse(values)


def test_by_default_the_largest_centred_grid_and_a_random_position_are_chosen_once():
    resolved = ContextParams.parse({}).resolved(card(), UPLOAD)
    assert resolved.box == default_box(150, 100, 0.375).text() == "62,37,26"
    assert resolved.other is None and 0 <= resolved.position < 8
    again = ContextParams.parse({"filename": "p.png", **resolved.model_dump()})
    assert again.resolved(card(), UPLOAD) == resolved  # a resolved job resolves to itself: redelivery is the same
    positions = {ContextParams.parse({}).resolved(card(), UPLOAD).position for _ in range(200)}
    assert positions == set(range(8))  # uniform over the eight (a miss has chance 8 * (7/8)^200)


def test_given_parameters_are_kept_and_checked_against_the_photo():
    given = ContextParams.parse({"box": "60,40,20", "position": 7}).resolved(card(), UPLOAD)
    assert (given.box, given.position) == ("60,40,20", 7)
    centre, second = given.patches(150, 100, 0.375)
    assert centre == PatchBox(60, 40, 20) and second == PatchBox(60 + 28, 40 + 28, 20)
    other = ContextParams.parse({"box": "60,40,20", "other": "5,6"}).resolved(card(), UPLOAD)
    assert other.position is None and other.patches(150, 100, 0.375)[1] == PatchBox(5, 6, 20)
    # Near an edge a random position is one whose neighbour is on the photo.
    corner = {ContextParams.parse({"box": "0,0,30"}).resolved(card(), UPLOAD).position for _ in range(60)}
    assert corner == {4, 6, 7}


def test_the_cards_gap_ratio_spaces_the_patches():
    wide = card(patch=32, gap=32)  # ratio 1: a whole patch between neighbours
    resolved = ContextParams.parse({"box": "50,40,20", "position": 4}).resolved(wide, Upload("PNG", 200, 200))
    assert resolved.patches(200, 200, wide.gap_ratio)[1] == PatchBox(50 + 40, 40, 20)
    assert serving_step(20, wide.gap_ratio) == 40
    assert ContextParams.parse({}).resolved(wide, UPLOAD).box == default_box(150, 100, 1.0).text() == "65,40,20"


@pytest.mark.parametrize(("values", "upload", "says"), [
    ({"box": "140,40,20"}, UPLOAD, r"the box 140,40,20 \(X,Y,S\) reaches outside the 150x100 photo"),
    ({"box": "50,50,7"}, UPLOAD, "has side 7; patches need at least 8 px"),
    ({}, Upload("PNG", 29, 400), "needs at least 30x30 pixels"),
    ({"box": "0,0,30", "position": 0}, UPLOAD, r"top left \(position 0\) neighbour of the box 0,0,30 lies at -41,-41"),
    ({"box": "10,10,80"}, UPLOAD, "no neighbour of the box 10,10,80"),
    ({"box": "60,40,20", "other": "140,5"}, UPLOAD, "the second patch at 140,5 \\(side 20\\) reaches outside"),
])
def test_patches_off_the_photo_are_refused_at_submission(values, upload, says):
    with pytest.raises(BadParameterError, match=says):
        ContextParams.parse(values).resolved(card(), upload)


def test_a_job_without_a_position_or_other_cannot_be_run():
    with pytest.raises(BadParameterError, match="needs a position or other"):
        ContextParams.parse({"box": "60,40,20"}).patches(150, 100, 0.375)
    box = default_box(150, 100, 0.375)
    assert ContextParams.parse({"position": 2}).patches(150, 100, 0.375) == (box, neighbour_box(box, 2, 0.375))
