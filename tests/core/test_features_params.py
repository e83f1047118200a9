"""The features task's parameters: k and the models, checked at submission against the features card."""

import pytest

from core.errors import BadParameterError, ModelNotAvailableError
from core.tasks.features import FeaturesParams
from core.tasks.spec import Upload
from models.cards import parse_card

CARD = parse_card({"task": "features", "name": "features", "version": "v", "file": "random.onnx",
                   "models": [{"name": n, "label": n.title(), "file": f"{n}.onnx", "input": "rgb", "block": 2}
                              for n in ("random", "rotation", "supervised")]})
UPLOAD = Upload("PNG", 100, 80)


def test_models_are_a_comma_list_kept_in_order_and_checked_against_the_card():
    params = FeaturesParams.parse({"models": " rotation, random ,"})
    assert params.models == "rotation,random" and params.names == ["rotation", "random"]
    assert params.resolved(CARD, UPLOAD) == params
    assert FeaturesParams.parse({}).names == [] and FeaturesParams.parse({}).k == 8  # every installed model
    with pytest.raises(BadParameterError, match="no model 'jigsaw'; the models are random, rotation, supervised"):
        FeaturesParams.parse({"models": "rotation,jigsaw"}).resolved(CARD, UPLOAD)


@pytest.mark.parametrize(("values", "says"), [
    ({"k": 0}, "k"), ({"k": 17}, "k"), ({"k": "8"}, "k"), ({"k": True}, "k"),
    ({"models": "Rotation"}, "lower-case"), ({"models": "a,b,a"}, "twice"), ({"models": "x" * 401}, "models"),
])
def test_bad_values_are_refused_naming_the_field(values, says):
    with pytest.raises(BadParameterError, match=says):
        FeaturesParams.parse(values)


def test_a_card_with_a_model_named_twice_or_an_unknown_input_is_refused():
    entry = {"name": "random", "label": "R", "file": "random.onnx", "input": "rgb", "block": 1}
    base = {"task": "features", "name": "features", "version": "v", "file": "random.onnx"}
    with pytest.raises(ModelNotAvailableError, match="repeat"):
        parse_card({**base, "models": [entry, entry]})
    with pytest.raises(ModelNotAvailableError, match="input kind"):
        parse_card({**base, "models": [{**entry, "input": "hsv"}]})
    with pytest.raises(ModelNotAvailableError, match="models"):
        parse_card({**base, "models": []})
