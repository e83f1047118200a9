"""Colorization (Zhang, Isola and Efros 2016): a gray photo's colours as a distribution over ab bins."""

from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator

from core.errors import BadParameterError
from core.tasks.spec import RESULT, Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, ColorizationCard
from models.hints import MAX_PALETTE, MAX_POINTS, parse_hints

HINT_MODEL = "colorization-hints"  # the hint-conditioned network's card (a later part of issue #32 trains it)

Temperature = Annotated[
    float | None,
    Field(ge=0.0, le=10.0, allow_inf_nan=False,
          description="annealed-mean temperature: 0 = the mode, 1 = the mean, 0.38 = the paper's choice "
                      "(default: the model card's)"),
]


Hints = Annotated[
    str | None,
    Field(max_length=16384,
          description='colour hints, JSON text: a list of point hints {"x": X, "y": Y, "rgb": [R, G, B]} in the '
                      "photo's pixel coordinates (after EXIF orientation, origin top left, 0 <= x < width, "
                      f"0 <= y < height; at most {MAX_POINTS}; only the colour's chroma is used, the photo keeps its "
                      f'lightness) and at most one global hint {{"palette": [[R, G, B], ...]}} (1 to {MAX_PALETTE} '
                      "colours); R, G, B integers 0..255. The result is the full-size photo with the hints applied. "
                      'Example: [{"x": 120, "y": 48, "rgb": [200, 30, 30]}]. Unknown keys, points off the photo, '
                      "bad colours or too many points: 422"),
]
HintMethod = Annotated[
    Literal["distribution", "network"],
    Field(description='how hints are used: "distribution" reweights the network\'s per-pixel ab distribution '
                      'around each hint, with an edge-aware (geodesic) falloff (docs/hints.md); "network" feeds them '
                      f"to the hint-conditioned model {HINT_MODEL!r} (503 while it is not installed)"),
]


class ColorizationParams(JobParams):
    temperature: Temperature = None
    hints: Hints = None
    hint_method: HintMethod = "distribution"

    @field_validator("hints")
    @classmethod
    def _hints_well_formed(cls, value: str | None) -> str | None:
        # Everything but the photo's bounds, checked before the upload is read (and its pixels charged).
        try:
            parse_hints(value, None, None)
        except BadParameterError as exc:
            raise ValueError(str(exc)) from exc
        return value

    def card_name(self, default: str) -> str:
        """The hint network's card for hint_method "network" (the route answers 503 while it is missing)."""
        return HINT_MODEL if self.hint_method == "network" else default

    def resolved(self, card: Card, upload: Upload) -> Self:
        """The card's temperature; the hints checked against the upload's size and stored canonically (or None)."""
        update: dict[str, Any] = {}
        if self.temperature is None and isinstance(card, ColorizationCard):
            update["temperature"] = card.default_temperature
        hints = parse_hints(self.hints, upload.width, upload.height)
        update["hints"] = hints.dumps() if hints else None
        if hints.palette and isinstance(card, ColorizationCard) and card.output_kind != "logits":
            raise BadParameterError("a palette hint needs a model that predicts a distribution; "
                                    f"the {card.name} model predicts ab directly")
        return self.model_copy(update=update)


def colorization_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    if not result.get("distribution"):
        return {}  # a regression model predicts ab directly: nothing to re-decode
    return {"distribution": f"{base}/distribution", "recolor": f"{base}/recolor"}


SPEC = TaskSpec(
    name="colorization",
    title="Colorize",
    summary="colorize a photo: its own lightness with the network's colours",
    paper="Zhang, Isola, Efros. Colorful Image Colorization. ECCV 2016",
    model="colorization",
    serving="models.colorization_model:ColorizationModel",
    card=ColorizationCard,
    params=ColorizationParams,
    outputs=(
        RESULT,
        Output("distribution", "application/octet-stream",
               "the per-pixel ab distribution as float16 log-probabilities", served=False),
    ),
    page=Page("/colorization", "colorize.html", "Colorize", aliases=("/colorize",)),
    commands=(
        Command(("colorization",), "pretext.colorization:add_arguments:run",
                "colorize photos with the shipped ONNX model", aliases=(("colorize",),)),
        Command(("train", "colorization"), "training.train_colorization:add_arguments:run",
                "train the colorization model"),
        Command(("export", "colorization"), "training.export_colorization:add_arguments:run",
                "export a colorization run to ONNX"),
        Command(("evaluate", "colorization"), "training.evaluate_colorization:add_arguments:run",
                "evaluate colorization models"),
        Command(("evaluate", "colorization-sweep"), "training.sweep_colorization:add_arguments:run",
                "choose serving size and temperature on imagenette-val"),
        Command(("evaluate", "hints"), "training.evaluate_hints:add_arguments:run",
                "colour hints: PSNR and AuC against the number of hints; --tune on validation data"),
    ),
    aliases=("colorize",),
    links=colorization_links,
    keeps_input=True,  # /recolor re-decodes the stored distribution over the photo
    order=10,
)
