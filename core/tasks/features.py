"""What each task's features know: a photo's nearest neighbours under every model, and first-layer filters."""

import re
from typing import Annotated, Any, Self

from pydantic import Field, field_validator

from core.errors import BadParameterError
from core.tasks.spec import Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card
from models.features_card import FeaturesCard

MAX_K = 16
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def split_names(text: str | None) -> list[str]:
    """"rotation, jigsaw" -> ["rotation", "jigsaw"]; ValueError for a bad or repeated name."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    bad = [n for n in names if not NAME.match(n)]
    if bad:
        raise ValueError(f"model names are lower-case letters, digits and dashes; got {', '.join(map(repr, bad))}")
    if len(names) != len(set(names)):
        raise ValueError(f"a model is named twice in {text!r}")
    return names


class FeaturesParams(JobParams):
    k: Annotated[int, Field(
        ge=1, le=MAX_K, strict=True, description="neighbours per model, most similar first",
    )] = 8
    models: Annotated[str | None, Field(
        max_length=400,
        description="comma-separated models to compare, in this order, such as rotation,jigsaw (default: every "
                    "model of the features card: GET /api/v1/features/transfer lists them)",
    )] = None

    @field_validator("models")
    @classmethod
    def _names_well_formed(cls, value: str | None) -> str | None:
        return ",".join(split_names(value)) or None

    @property
    def names(self) -> list[str]:
        return split_names(self.models)

    def resolved(self, card: Card, upload: Upload) -> Self:
        """A name the card does not list is refused (none named: the worker compares every installed one)."""
        unknown = [n for n in self.names if isinstance(card, FeaturesCard) and n not in card.names]
        if unknown:
            raise BadParameterError(f"models: no model {', '.join(map(repr, unknown))}; the models are "
                                    f"{', '.join(card.names)}")
        return self


def features_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    return {"neighbours": f"{base}/neighbours", "filters": f"{base}/filters"}


SPEC = TaskSpec(
    name="features",
    title="Features",
    summary="what each model's features know: a photo's nearest imagenette-val photos under every model, "
            "and every model's first-layer filters",
    paper="Nearest neighbours in feature space as in Doersch, Gupta, Efros. Unsupervised Visual Representation "
          "Learning by Context Prediction. ICCV 2015; first-layer filters as in Krizhevsky, Sutskever, Hinton. "
          "ImageNet Classification with Deep Convolutional Neural Networks. NIPS 2012",
    model="features",
    serving="models.features_model:FeaturesModel",
    card=FeaturesCard,
    params=FeaturesParams,
    outputs=(
        Output("neighbours", "image/png", "the neighbours: a row per model (result.models, in order), k index "
                                          "photos of result.index.size px each, most similar first"),
        Output("filters", "image/png", "every model's first-layer filters, a block per model (result.filters "
                                       "says where), each filter stretched over 0..255 by its own min and max"),
    ),
    page=Page("/features", "features.html", "Features"),
    commands=(
        Command(("export", "supervised"), "training.export_supervised:add_arguments:run",
                "export the supervised trunk's classifier to ONNX (a reference for the features page)"),
        Command(("export", "random"), "training.export_random:add_arguments:run",
                "export the random-init trunk (seed 0) to ONNX (a reference for the features page)"),
        Command(("export", "features"), "training.export_features:add_arguments:run",
                "write the features card: the models the features page compares, each at its best block"),
        Command(("features", "index"), "pretext.features:add_index_arguments:run_index",
                "build the features index (every imagenette-val photo under every model) into the cache"),
        Command(("evaluate", "features"), "training.evaluate_features:add_arguments:run",
                "precision@8 of each model's nearest neighbours on imagenette-val (leave-one-out)"),
    ),
    links=features_links,
    order=90,
)
