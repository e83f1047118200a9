"""Inpainting with a context encoder (Pathak et al. 2016): fill a hole anywhere in a photo."""

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator

from core.errors import BadParameterError, ImageTooLargeError
from core.tasks.spec import Command, ExtraUpload, JobParams, Output, Page, TaskSpec, Upload
from models.cards import Card, InpaintingCard

BOX = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*")
CARDS = {"l2": "inpainting", "adversarial": "inpainting-adversarial"}  # --model -> the card it serves
MASK_METADATA_BYTES = 1 << 20  # beside a mask's pixels, as beside a photo's (app.services.uploads)
MASK = ExtraUpload("mask", "the hole as an image the photo's size after EXIF orientation, white = fill "
                           "(PNG; transparent counts as black); give this or box")


def parse_box(text: str) -> tuple[int, int, int, int]:
    """"X,Y,W,H" (non-negative integers, pixels, origin top left) -> a tuple; ValueError otherwise."""
    match = BOX.fullmatch(text)
    if not match:
        raise ValueError(f"a box is X,Y,W,H in whole pixels, such as 40,30,120,80; got {text!r}")
    return tuple(int(v) for v in match.groups())  # type: ignore[return-value]


class InpaintingParams(JobParams):
    model: Annotated[Literal["l2", "adversarial"], Field(
        description="l2: the reconstruction-loss model (smooth fill); adversarial: plus a discriminator (sharper)",
    )] = "l2"
    box: Annotated[str | None, Field(
        description="the hole as X,Y,W,H in the photo's pixels (origin top left, after EXIF orientation); "
                    "give this or a mask",
    )] = None

    @field_validator("box")
    @classmethod
    def _box_format(cls, value: str | None) -> str | None:
        if value is not None:
            parse_box(value)
        return value

    def resolved(self, card: Card, upload: Upload) -> Self:
        if self.box is not None:
            x, y, w, h = parse_box(self.box)
            if w == 0 or h == 0:
                raise BadParameterError(f"the box {self.box} is empty")
            if x + w > upload.width or y + h > upload.height:
                raise BadParameterError(f"the box {self.box} reaches outside the {upload.width}x{upload.height} photo")
            if w == upload.width and h == upload.height:
                raise BadParameterError("the box covers the whole photo: there is nothing left to fill it from")
        return self

    def card_name(self, default: str) -> str:
        return CARDS[self.model]

    def check_uploads(self, upload: Upload, files: Mapping[str, bytes], max_pixels: int) -> None:
        """Exactly one of a mask and a box; a mask must decode, be the photo's shown size, hold a hole and
        leave something of the photo around it."""
        data = files.get(MASK.name)
        if data is None and self.box is None:
            raise BadParameterError("say where the hole is: upload a mask (field mask) or give box=X,Y,W,H")
        if data is not None and self.box is not None:
            raise BadParameterError("give either a mask or a box, not both")
        if data is not None:
            from models.imageio import MAX_BYTES_PER_PIXEL  # numpy, scipy and Pillow: not at import
            from models.inpainting import decode_mask, mask_from_image

            mask_from_image(decode_mask(data, max_pixels), upload.height, upload.width)
            limit = upload.width * upload.height * MAX_BYTES_PER_PIXEL + MASK_METADATA_BYTES
            if len(data) > limit:  # it would sit in Redis with the job: bytes no pixel needs
                raise ImageTooLargeError(f"the mask file is {len(data)} bytes, more than a {upload.width}x"
                                         f"{upload.height} mask needs ({limit}); save it as a plain PNG")


def inpainting_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    return {"fill": f"{base}/fill"}


SPEC = TaskSpec(
    name="inpainting",
    title="Inpainting",
    summary="fill a hole (a mask or a box) in a photo from its surroundings, with the L2 or the adversarial model",
    paper="Pathak, Krähenbühl, Donahue, Darrell, Efros. Context Encoders: Feature Learning by Inpainting. "
          "CVPR 2016",
    model="inpainting",
    serving="models.inpainting_model:InpaintingModel",
    card=InpaintingCard,
    params=InpaintingParams,
    outputs=(
        Output("result", "image/png", "the photo with the hole filled, at its own size"),
        Output("fill", "image/png", "the bare network output for the window around the hole"),
    ),
    page=Page("/inpainting", "inpaint.html", "Inpaint", aliases=("/inpaint",)),
    commands=(
        Command(("inpainting",), "pretext.inpainting:add_arguments:run",
                "fill a hole (--mask or --box) in photos with the context encoder", aliases=(("inpaint",),)),
        Command(("train", "inpainting"), "training.train_inpainting:add_arguments:run",
                "train the context encoder (L2, or adversarial)"),
        Command(("export", "inpainting"), "training.export_inpainting:add_arguments:run",
                "export an inpainting run to ONNX"),
        Command(("evaluate", "inpainting"), "training.evaluate_inpainting:add_arguments:run",
                "inpainting PSNR and sharpness against mean fill and OpenCV's Telea and Navier-Stokes"),
    ),
    aliases=("inpaint",),
    links=inpainting_links,
    order=40,
    uploads=(MASK,),
)
