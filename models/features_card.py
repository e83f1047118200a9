"""The features card (models/weights/features.json): which models the features page compares, and how.

Written by ``pretext export features`` over the exported models; each entry names a model's ONNX file
(and its hash at export time), the input kind its trunk takes (``models.features.INPUTS``) and the block
whose features are compared: the one the transfer table (``reports/transfer/transfer.json``) found best.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.cards import Card

INPUT_KINDS = ("rgb", "tile", "context", "l", "masked")  # the keys of models.features.INPUTS (numpy-free here)


class FeatureSource(BaseModel):
    """One compared model: its file, input and block."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    label: str
    file: str
    sha256: str | None = None
    input: str
    block: int = Field(ge=1, le=8)
    grid: int = Field(default=4, gt=0)  # the block's maps average-pooled to grid x grid
    block_from: str = "transfer"  # "transfer": the table's best block; "chosen": given; "default": not in it
    top1: float | None = None  # the transfer table's linear top-1 at that block

    @field_validator("input")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in INPUT_KINDS:
            raise ValueError(f"input kind {value!r} is not one of {', '.join(INPUT_KINDS)}")
        return value


class FeaturesCard(Card):
    kind: ClassVar[str] = "features"

    size: int = Field(default=64, gt=0)  # photo side of the index and the queries
    grid: int = Field(default=4, gt=0)  # each block's maps pooled to grid x grid (each model's own grid rules)
    split: str = "imagenette-val"  # the photos the neighbours come from
    models: list[FeatureSource] = Field(min_length=1)
    transfer: dict[str, Any] = Field(default_factory=dict)  # the transfer table, for the page

    @model_validator(mode="after")
    def _unique_names(self) -> "FeaturesCard":
        names = [m.name for m in self.models]
        if len(names) != len(set(names)):
            raise ValueError(f"model names repeat: {names}")
        return self

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def source(self, name: str) -> FeatureSource:
        return next(m for m in self.models if m.name == name)
