"""Jigsaw puzzles (Noroozi and Favaro 2016): the network puts a photo's shuffled 3x3 tiles back in place."""

import secrets
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from core.errors import BadParameterError
from core.tasks.spec import Command, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, JigsawCard

GRID = 3
MAX_SEED = 2**53 - 1  # exact in JavaScript numbers too
RANDOM_SEEDS = 2**32  # a server-chosen seed stays exact in JavaScript numbers

Method = Literal["perm", "cell", "neighbours"]


class JigsawParams(JobParams):
    seed: Annotated[int | None, Field(
        ge=0, le=MAX_SEED, strict=True,
        description="seed of the uniformly random permutation the server shuffles with (default: a random one)",
    )] = None
    shuffled: Annotated[bool, Field(
        strict=True, description="true: the upload already is a shuffled 3x3 grid, solve it as it is",
    )] = False
    method: Annotated[Method | None, Field(
        description="neighbours: the seams between tiles plus the cell head, over every placement; cell: the "
                    "per-tile cell head; perm: the marginalised permutation head (default: the card's)",
    )] = None

    @model_validator(mode="after")
    def _seed_only_when_shuffling(self) -> Self:
        if self.shuffled and self.seed is not None:
            raise ValueError("seed applies only when the server shuffles; leave it out with shuffled=true")
        return self

    def resolved(self, card: Card, upload: Upload) -> Self:
        if upload.width < GRID or upload.height < GRID:
            raise BadParameterError(
                f"the image is {upload.width}x{upload.height}; a 3x3 puzzle needs at least 3x3 pixels")
        if not self.shuffled and self.seed is None:
            # Chosen here, so a redelivered job shuffles the same way.
            return self.model_copy(update={"seed": secrets.randbelow(RANDOM_SEEDS)})
        return self


def jigsaw_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    return {"shuffled": f"{base}/shuffled"}


SPEC = TaskSpec(
    name="jigsaw",
    title="Jigsaw",
    summary="shuffle a photo's 3x3 grid (or take a shuffled one) and let the network solve it",
    paper="Noroozi and Favaro. Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles. "
          "ECCV 2016",
    model="jigsaw",
    serving="models.jigsaw_model:JigsawModel",
    card=JigsawCard,
    params=JigsawParams,
    outputs=(
        Output("result", "image/png", "the puzzle put back together by the network"),
        Output("shuffled", "image/png", "the puzzle the solver saw: the upload cropped to the grid, shuffled "
                                        "unless it already was"),
    ),
    page=Page("/jigsaw", "jigsaw.html", "Jigsaw"),
    commands=(
        Command(("jigsaw", "solve"), "pretext.jigsaw:add_solve_arguments:run_solve",
                "solve shuffled 3x3 puzzles with the shipped ONNX model"),
        Command(("jigsaw", "shuffle"), "pretext.jigsaw:add_shuffle_arguments:run_shuffle",
                "shuffle a photo's 3x3 grid"),
        Command(("train", "jigsaw"), "training.train_jigsaw:add_arguments:run", "train the jigsaw model"),
        Command(("export", "jigsaw"), "training.export_jigsaw:add_arguments:run", "export a jigsaw run to ONNX"),
        Command(("evaluate", "jigsaw"), "training.evaluate_jigsaw:add_arguments:run", "evaluate the jigsaw model"),
    ),
    links=jigsaw_links,
    order=20,
)
