"""Model cards: the JSON file next to each ONNX model, typed per task and validated once at load."""

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ModelNotAvailableError
from core.settings import get_settings


class Card(BaseModel):
    """What every card holds; task cards add their serving contract. Unknown fields are kept as written."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: ClassVar[str] = "model"  # the task whose cards this class reads, for messages

    name: str
    task: str
    version: str
    file: str
    sha256: str | None = None
    paper: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)
    parameters: int | None = None
    parity_max_abs_diff: float | None = None
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    def summary(self, bulky: tuple[str, ...] = ()) -> dict[str, Any]:
        """The card as JSON, without the fields named in ``bulky``."""
        return {k: v for k, v in self.model_dump(mode="json").items() if k not in bulky}


class ServingSides(BaseModel):
    """Short sides a photo is resized to for the network; several are averaged."""

    serve_short_side: int = Field(gt=0)
    serve_short_sides: list[int] | None = None

    @property
    def sides(self) -> list[int]:
        return [int(s) for s in self.serve_short_sides or [self.serve_short_side]]


class ColorizationCard(Card, ServingSides):
    kind: ClassVar[str] = "colorization"

    output_kind: Literal["logits", "ab"] = "logits"
    default_temperature: float = Field(ge=0.0, le=10.0)
    bin_centres: list[tuple[float, float]]
    num_bins: int | None = None
    prior: list[float] = Field(default_factory=list)
    prior_correction: float = 0.0
    mirror_ensemble: bool = False

    @model_validator(mode="after")
    def _bins_agree(self) -> "ColorizationCard":
        if self.num_bins is not None and self.num_bins != len(self.bin_centres):
            raise ValueError(f"num_bins is {self.num_bins} but there are {len(self.bin_centres)} bin centres")
        return self


class JigsawSolver(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    methods: list[str] = Field(default_factory=lambda: ["perm", "cell"])
    default_method: str = "cell"
    rounds: int = 3
    flip: bool = False
    tile_ratio: float | None = None  # served ratio, when it differs from training's
    cell_fit: str | None = None
    cell_weight: float = 1.0


class JigsawCard(Card):
    kind: ClassVar[str] = "jigsaw"

    tile_size: int = Field(gt=0)
    tile_ratio: float = Field(gt=0.0, le=1.0)
    permutations: list[list[int]]
    solver: JigsawSolver = Field(default_factory=JigsawSolver)


class RotationCard(Card, ServingSides):
    kind: ClassVar[str] = "rotation"

    angles: list[int] = Field(default_factory=lambda: [0, 90, 180, 270])
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    default_p: float = Field(default=2.0, gt=0.0, le=8.0)
    mirror_views: bool = False


class InpaintingCard(Card):
    kind: ClassVar[str] = "inpainting"

    side: int = Field(default=128, gt=0)  # the square window side the network was trained at
    loss: Literal["l2", "l2+adversarial"] = "l2"
    feather: float = Field(default=3.0, ge=0.0)  # px at network scale over which the pasted fill fades out


class ContextPosition(BaseModel):
    model_config = ConfigDict(frozen=True)

    dy: int  # rows below the centre patch, in grid cells
    dx: int  # columns right of it
    name: str


class ContextCard(Card):
    kind: ClassVar[str] = "context"

    patch: int = Field(gt=0)  # the side both patches are resized to for the network
    gap: int = Field(ge=0)  # training's pixels between neighbours: served as the ratio gap / patch
    jitter: int = Field(default=0, ge=0)
    project_colour: bool = True  # remove the green-magenta axis before the network (as trained)
    channel_drop_prob: float = Field(default=0.0, ge=0.0, le=1.0)
    positions: list[ContextPosition]

    @model_validator(mode="after")
    def _positions_are_the_served_ones(self) -> "ContextCard":
        from models.context import POSITIONS  # numpy: on first use, as card_types does

        if [(p.dy, p.dx) for p in self.positions] != list(POSITIONS):
            raise ValueError(f"positions must be the eight offsets {list(POSITIONS)} in that order")
        return self

    @property
    def gap_ratio(self) -> float:
        return self.gap / self.patch


C = TypeVar("C", bound=Card)


def card_types() -> dict[str, type[Card]]:
    """The card class of each registered task (TaskSpec.card), by the "task" field its cards carry."""
    from core.tasks import all_tasks  # the registry's specs import this module: resolved on first use

    return {spec.name: spec.card for spec in all_tasks()}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def models_dir() -> Path:
    return Path(get_settings().models_dir)


def card_path(name: str, root: Path | None = None) -> Path:
    return (root or models_dir()) / f"{name}.json"


def parse_card(data: dict[str, Any], where: str = "card") -> Card:
    """A card's JSON -> its task's typed card; ModelNotAvailableError naming what is wrong."""
    card_type = card_types().get(str(data.get("task", "")), Card)
    try:
        return card_type.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'card'}: {e['msg']}" for e in exc.errors()[:5])
        raise ModelNotAvailableError(f"{where} is not a valid {card_type.kind} card ({problems})") from exc


def read_card_file(path: Path) -> Card:
    """The typed card at ``path``; ModelNotAvailableError when it is missing, not JSON or invalid."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelNotAvailableError(f"no model card {path}") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelNotAvailableError(f"model card {path} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ModelNotAvailableError(f"model card {path} is not a JSON object")
    return parse_card(data, str(path))


def load_card(name: str, root: Path | None = None) -> Card:
    """The typed card of model ``name`` (e.g. "colorization"); raises ModelNotAvailableError."""
    return read_card_file(card_path(name, root))


def load_card_as(name: str, card_type: type[C], root: Path | None = None) -> C:
    """The card of model ``name``, which must be of ``card_type``; raises ModelNotAvailableError."""
    card = load_card(name, root)
    if not isinstance(card, card_type):
        raise ModelNotAvailableError(f"model {name} is a {card.task} model, not a {card_type.kind} model")
    return card


def onnx_path(name: str, root: Path | None = None) -> Path:
    return (root or models_dir()) / load_card(name, root).file


def write_card(card: dict[str, Any], onnx_file: Path) -> Path:
    """Validate ``card`` and write it next to ``onnx_file``, stamping the file name and its sha256."""
    card = {**card, "file": onnx_file.name, "sha256": sha256_of(onnx_file)}
    parse_card(card, f"the card of {onnx_file}")
    path = onnx_file.with_suffix(".json")
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def serving_sides(card: dict[str, Any]) -> list[int]:
    """A report's serving short sides: ``serve_short_sides``, else the one ``serve_short_side``."""
    return [int(s) for s in card.get("serve_short_sides") or [card["serve_short_side"]]]
