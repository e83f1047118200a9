"""Colorization (Zhang, Isola and Efros 2016): a gray photo's colours as a distribution over ab bins."""

from typing import Annotated, Any, Self

from pydantic import Field

from core.tasks.spec import RESULT, Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, ColorizationCard

Temperature = Annotated[
    float | None,
    Field(ge=0.0, le=10.0, allow_inf_nan=False,
          description="annealed-mean temperature: 0 = the mode, 1 = the mean, 0.38 = the paper's choice "
                      "(default: the model card's)"),
]


class ColorizationParams(JobParams):
    temperature: Temperature = None

    def resolved(self, card: Card, upload: Upload) -> Self:
        if self.temperature is None and isinstance(card, ColorizationCard):
            return self.model_copy(update={"temperature": card.default_temperature})
        return self


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
    ),
    aliases=("colorize",),
    links=colorization_links,
    keeps_input=True,  # /recolor re-decodes the stored distribution over the photo
    order=10,
)
