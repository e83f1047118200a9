"""Typed model cards: validated once at load, an invalid card a clear error naming the field."""

import json

import pytest

from core.errors import ModelNotAvailableError
from models.cards import ColorizationCard, JigsawCard, RotationCard, load_card, load_card_as, write_card

COLOR = {"task": "colorization", "name": "colorization", "version": "v1", "file": "colorization.onnx",
         "serve_short_side": 96, "serve_short_sides": [96, 128], "default_temperature": 0.38,
         "bin_centres": [[0, 0], [10, -10]], "num_bins": 2, "future_field": {"kept": True}}


def write(tmp_path, name, card):
    (tmp_path / f"{name}.json").write_text(json.dumps(card))


def test_the_shipped_cards_load_as_their_task_types():
    assert isinstance(load_card("colorization"), ColorizationCard)
    assert isinstance(load_card("jigsaw"), JigsawCard)
    assert isinstance(load_card("rotation"), RotationCard)


def test_a_card_keeps_unknown_fields_and_reads_its_serving_sides(tmp_path):
    write(tmp_path, "colorization", COLOR)
    card = load_card_as("colorization", ColorizationCard, tmp_path)
    assert card.sides == [96, 128] and card.output_kind == "logits"
    assert card.summary()["future_field"] == {"kept": True}
    assert "bin_centres" not in card.summary(("bin_centres",))


@pytest.mark.parametrize(("change", "fragment"), [
    ({"default_temperature": "warm"}, "default_temperature"),
    ({"num_bins": 3}, "num_bins is 3"),
    ({"serve_short_side": 0}, "serve_short_side"),
    ({"version": None}, "version"),
])
def test_an_invalid_card_is_a_clear_error_naming_the_field(tmp_path, change, fragment):
    write(tmp_path, "colorization", COLOR | change)
    with pytest.raises(ModelNotAvailableError, match=fragment):
        load_card("colorization", tmp_path)


def test_a_card_of_another_task_is_refused_where_one_kind_is_needed(tmp_path):
    write(tmp_path, "colorization", COLOR)
    with pytest.raises(ModelNotAvailableError, match="not a rotation model"):
        load_card_as("colorization", RotationCard, tmp_path)


def test_write_card_refuses_to_write_an_invalid_card(tmp_path):
    onnx = tmp_path / "colorization.onnx"
    onnx.write_bytes(b"not really onnx")
    with pytest.raises(ModelNotAvailableError, match="default_temperature"):
        write_card(COLOR | {"default_temperature": -1}, onnx)
    assert not onnx.with_suffix(".json").exists()
    path = write_card(COLOR, onnx)
    assert json.loads(path.read_text())["sha256"] and load_card("colorization", tmp_path).version == "v1"
