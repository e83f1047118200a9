"""Rotation (Gidaris, Singh and Komodakis 2018): how far a photo is turned, and where the network looks."""

from typing import Annotated, Any, Self

from pydantic import Field

from core.tasks.spec import Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, RotationCard

BLOCKS = 4


class RotationParams(JobParams):
    block: Annotated[int, Field(
        ge=1, le=BLOCKS, strict=True,
        description="trunk block whose attention the result links to (1 = earliest); all four are stored",
    )] = 3
    p: Annotated[float | None, Field(
        gt=0.0, le=8.0, allow_inf_nan=False,
        description="attention exponent: the map is the sum over channels of |activation|^p (default: the card's)",
    )] = None
    opacity: Annotated[float, Field(
        ge=0.0, le=1.0, allow_inf_nan=False, description="opacity of the heat map over the photo in the overlays",
    )] = 0.5

    def resolved(self, card: Card, upload: Upload) -> Self:
        if self.p is None and isinstance(card, RotationCard):
            return self.model_copy(update={"p": card.default_p})
        return self


def rotation_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    if not result.get("attention"):
        return {}
    attention = f"{base}/attention/{result.get('block', 3)}"
    return {"attention": attention, "attention_map": f"{attention}/map"}


SPEC = TaskSpec(
    name="rotation",
    title="Rotation",
    summary="which of 0, 90, 180, 270 degrees a photo is turned, the upright photo and attention maps",
    paper="Gidaris, Singh, Komodakis. Unsupervised Representation Learning by Predicting Image Rotations. "
          "ICLR 2018",
    model="rotation",
    serving="models.rotation_model:RotationModel",
    card=RotationCard,
    params=RotationParams,
    outputs=(
        Output("result", "image/png", "the photo turned upright"),
        *(Output(f"attention{b}", "image/png", f"block {b}'s attention over the photo", served=False)
          for b in range(1, BLOCKS + 1)),
        *(Output(f"attention{b}_map", "image/png", f"block {b}'s raw attention map", served=False)
          for b in range(1, BLOCKS + 1)),
    ),
    page=Page("/rotation", "attention.html", "Rotation", aliases=("/attention",)),
    commands=(
        Command(("rotation",), "pretext.rotation:add_rotate_arguments:run_rotate",
                "tell how far photos are rotated; --fix writes them upright", aliases=(("rotate",),)),
        Command(("rotation", "attention"), "pretext.rotation:add_attention_arguments:run_attention",
                "overlay the rotation network's attention map on a photo", aliases=(("attention",),)),
        Command(("train", "rotation"), "training.train_rotation:add_arguments:run", "train the rotation model"),
        Command(("export", "rotation"), "training.export_rotation:add_arguments:run",
                "export a rotation run to ONNX"),
        Command(("evaluate", "rotation"), "training.evaluate_rotation:add_arguments:run",
                "rotation accuracy on imagenette-val and turned photos"),
    ),
    links=rotation_links,
    order=30,
)
