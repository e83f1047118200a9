"""Colorization's params model: hints are checked against the upload at submission and stored canonically."""

import json

import pytest

from core.errors import BadParameterError
from core.tasks.colorization import ColorizationParams
from core.tasks.spec import Upload
from models.cards import parse_card


def card(output_kind: str = "logits"):
    return parse_card({"task": "colorization", "name": "c", "version": "v", "file": "c.onnx",
                       "output_kind": output_kind, "serve_short_side": 64, "default_temperature": 0.42,
                       "bin_centres": [[0, 0], [10, 10]]})


def test_hints_are_checked_against_the_uploads_size_and_stored_canonically():
    upload = Upload("JPEG", 100, 80)
    given = '[ {"x": 99.5, "y": 0, "rgb": [1, 2, 3]}, {"palette": [[4, 5, 6]]} ]'
    resolved = ColorizationParams.parse({"hints": given}).resolved(card(), upload)
    assert json.loads(resolved.hints) == [{"x": 99.5, "y": 0.0, "rgb": [1, 2, 3]}, {"palette": [[4, 5, 6]]}]
    assert ColorizationParams.parse({"hints": "[]"}).resolved(card(), upload).hints is None
    assert ColorizationParams.parse({}).resolved(card(), upload).hint_method == "distribution"
    with pytest.raises(BadParameterError, match=r"hints\[0\] at \(100, 0\) is off the 100x80 photo"):
        ColorizationParams.parse({"hints": '[{"x": 100, "y": 0, "rgb": [1, 2, 3]}]'}).resolved(card(), upload)
    with pytest.raises(BadParameterError, match="hint_method"):
        ColorizationParams.parse({"hint_method": "guess"})


def test_the_network_method_is_served_by_the_hint_networks_card():
    assert ColorizationParams.parse({"hint_method": "network"}).card_name("colorization") == "colorization-hints"
    assert ColorizationParams.parse({}).card_name("colorization") == "colorization"


def test_a_palette_needs_a_model_that_predicts_a_distribution():
    palette = '[{"palette": [[200, 30, 30]]}]'
    with pytest.raises(BadParameterError, match="palette hint needs a model that predicts a distribution"):
        ColorizationParams.parse({"hints": palette}).resolved(card("ab"), Upload("PNG", 10, 10))
