"""Relative patch position (Doersch, Gupta and Efros 2015): where does this piece go?"""

import re
import secrets
from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator

from core.errors import BadParameterError
from core.tasks.spec import Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, ContextCard
from models.context import (
    MIN_SIDE,
    N_POSITIONS,
    POSITION_NAMES,
    PatchBox,
    default_box,
    neighbour_box,
    positions_on_photo,
)

BOX = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*")
POINT = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*")
DEFAULT_GAP_RATIO = 12 / 32  # training's default gap / patch, for a card of another kind


def parse_box(text: str) -> PatchBox:
    """"X,Y,S" (non-negative integers, pixels, origin top left) -> a PatchBox; ValueError otherwise."""
    match = BOX.fullmatch(text)
    if not match:
        raise ValueError(f"a box is X,Y,S in whole pixels (top-left corner and side), such as 40,30,64; got {text!r}")
    x, y, side = (int(v) for v in match.groups())
    return PatchBox(x, y, side)


def parse_point(text: str) -> tuple[int, int]:
    """"X,Y" (non-negative integers, pixels, origin top left) -> (x, y); ValueError otherwise."""
    match = POINT.fullmatch(text)
    if not match:
        raise ValueError(f"other is X,Y in whole pixels (the second patch's top-left corner), such as 120,30; "
                         f"got {text!r}")
    x, y = (int(v) for v in match.groups())
    return x, y


def gap_ratio_of(card: Card) -> float:
    """The card's gap / patch: how far apart neighbouring patches are served, relative to their side."""
    return card.gap_ratio if isinstance(card, ContextCard) else DEFAULT_GAP_RATIO


def position_name(position: int) -> str:
    return f"{POSITION_NAMES[position]} (position {position})"


class ContextParams(JobParams):
    box: Annotated[str | None, Field(
        description="the centre patch as X,Y,S: top-left corner and side in the photo's pixels (origin top left, "
                    f"after EXIF orientation), S at least {MIN_SIDE} (default: the centre patch of the largest 3x3 "
                    "grid that fits the photo at the model's gap ratio)",
    )] = None
    position: Annotated[int | None, Field(
        ge=0, le=N_POSITIONS - 1, strict=True,
        description="which neighbour the second patch is, 0..7 row-major around the centre (0 top left, 1 top, "
                    "2 top right, 3 left, 4 right, 5 bottom left, 6 bottom, 7 bottom right), at the model's gap "
                    "ratio (default: one chosen at random by the server; give this or other)",
    )] = None
    other: Annotated[str | None, Field(
        description="the second patch's top-left corner as X,Y in the photo's pixels, the side the centre's, "
                    "instead of position; its truth is the nearest neighbour place within half a step, else null",
    )] = None

    @field_validator("box")
    @classmethod
    def _box_format(cls, value: str | None) -> str | None:
        if value is not None:
            parse_box(value)
        return value

    @field_validator("other")
    @classmethod
    def _other_format(cls, value: str | None) -> str | None:
        if value is not None:
            parse_point(value)
        return value

    @model_validator(mode="after")
    def _position_or_other(self) -> Self:
        if self.position is not None and self.other is not None:
            raise ValueError("give either position or other, not both")
        return self

    def centre_box(self, width: int, height: int, gap_ratio: float) -> PatchBox:
        """The centre patch, ``box`` or the default for a width x height photo, checked against it."""
        centre = default_box(width, height, gap_ratio) if self.box is None else parse_box(self.box)
        if centre.side < MIN_SIDE:
            raise BadParameterError(f"the box {centre.text()} has side {centre.side}; patches need at least "
                                    f"{MIN_SIDE} px")
        if not centre.fits(width, height):
            raise BadParameterError(f"the box {centre.text()} (X,Y,S) reaches outside the {width}x{height} photo")
        return centre

    def patches(self, width: int, height: int, gap_ratio: float) -> tuple[PatchBox, PatchBox]:
        """The centre patch and the second one on a width x height photo; BadParameterError when either is
        off it, the photo is too small, or neither position nor other is set."""
        centre = self.centre_box(width, height, gap_ratio)
        if self.other is not None:
            second = PatchBox(*parse_point(self.other), centre.side)
            if not second.fits(width, height):
                raise BadParameterError(f"the second patch at {self.other} (side {centre.side}) reaches outside "
                                        f"the {width}x{height} photo")
            return centre, second
        if self.position is None:
            raise BadParameterError("a context job needs a position or other; the API chooses a position at "
                                    "submission")
        second = neighbour_box(centre, self.position, gap_ratio)
        if not second.fits(width, height):
            raise BadParameterError(
                f"the {position_name(self.position)} neighbour of the box {centre.text()} lies at "
                f"{second.x},{second.y} at gap ratio {gap_ratio:g}, outside the {width}x{height} photo; "
                "choose a smaller box, or one further inside")
        return centre, second

    def resolved(self, card: Card, upload: Upload) -> Self:
        ratio = gap_ratio_of(card)
        centre = self.centre_box(upload.width, upload.height, ratio)
        update: dict[str, Any] = {"box": centre.text()}
        if self.position is None and self.other is None:
            # Chosen here, among the neighbours on the photo, so a redelivered job asks the same question.
            fitting = positions_on_photo(centre, upload.width, upload.height, ratio)
            if not fitting:
                raise BadParameterError(f"no neighbour of the box {centre.text()} at gap ratio {ratio:g} lies on "
                                        f"the {upload.width}x{upload.height} photo; choose a smaller box, or one "
                                        "further inside")
            update["position"] = fitting[secrets.randbelow(len(fitting))]
        resolved = self.model_copy(update=update)
        resolved.patches(upload.width, upload.height, ratio)
        return resolved


def context_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    return {"centre": f"{base}/centre", "piece": f"{base}/piece"}


SPEC = TaskSpec(
    name="context",
    title="Context",
    summary="which of the eight neighbours of a centre patch a second patch is",
    paper="Doersch, Gupta, Efros. Unsupervised Visual Representation Learning by Context Prediction. ICCV 2015",
    model="context",
    serving="models.context_model:ContextModel",
    card=ContextCard,
    params=ContextParams,
    outputs=(
        Output("result", "image/png", "the photo (long side at most 1024 px) with the centre patch and the piece "
                                      "outlined"),
        Output("centre", "image/png", "the centre patch as cut from the photo (at most 256 px)"),
        Output("piece", "image/png", "the second patch as cut from the photo (at most 256 px)"),
    ),
    page=Page("/context", "context.html", "Context"),
    commands=(
        Command(("context",), "pretext.context:add_arguments:run",
                "say where a second patch sits around a centre patch of photos, with the shipped ONNX model"),
        Command(("train", "context"), "training.train_context:add_arguments:run",
                "train the relative-position (context prediction) model"),
        Command(("export", "context"), "training.export_context:add_arguments:run",
                "export a context run to ONNX"),
        Command(("evaluate", "context"), "training.evaluate_context:add_arguments:run",
                "evaluate the context model and its shortcut defences"),
    ),
    links=context_links,
    order=35,
)
