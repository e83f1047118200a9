"""What defines a task: its name, model, serving class, parameters, queue, outputs, page and commands."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import BadParameterError
from models.cards import Card


@dataclass(frozen=True)
class Upload:
    """What the API learned about an upload from its header, before any job exists."""

    format: str
    width: int
    height: int
    filename: str | None = None


class JobParams(BaseModel):
    """A task's request parameters: the route and the worker both validate a job's params with it."""

    # Fields the job record holds beside the parameters (the upload's name, size...) are ignored here.
    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def parse(cls, values: dict[str, Any]) -> Self:
        """``values`` -> the parameters, or BadParameterError naming each bad field."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg']}"
                                 for e in exc.errors())
            raise BadParameterError(problems) from exc

    def resolved(self, card: Card, upload: Upload) -> Self:
        """At submission: the parameters with the card's defaults filled in and checked against the upload,
        so the job is fully determined (a redelivered job does the same thing)."""
        return self

    def card_name(self, default: str) -> str:
        """The card the job is served by: ``default`` (``TaskSpec.model``) unless a parameter picks another."""
        return default

    def check_uploads(self, upload: Upload, files: Mapping[str, bytes], max_pixels: int) -> None:
        """At submission, after the photo is probed (in a thread, inside the upload-check slot): raise a
        domain error when the task's extra uploads (``TaskSpec.uploads``; ``files`` holds those given) are
        missing, do not fit the photo or contradict the parameters. Decode them with ``models.imageio``'s
        checked opening, within ``max_pixels``. Called only for a task with extra uploads."""


@dataclass(frozen=True)
class Output:
    """A blob a succeeded job stores, served at /api/v1/jobs/{id}/{name}."""

    name: str
    media_type: str
    description: str
    served: bool = True  # False: the task's own route serves it (extra headers, path parameters)


@dataclass(frozen=True)
class Page:
    """A browser page: its path, its HTML file under frontend/pages and its label in the nav bar."""

    path: str
    file: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """A ``pretext`` sub-command: its words, ``module:add_arguments:run`` and one-line help."""

    words: tuple[str, ...]
    target: str
    help: str
    aliases: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ExtraUpload:
    """A file a task takes beside the photo (``image``): a multipart field of its submission route, read
    within the same byte limit, checked by ``JobParams.check_uploads`` and stored as the job's blob
    ``name`` beside ``input`` (the worker reads it with ``store.blob(job.id, name)``)."""

    name: str
    description: str
    required: bool = False


RESULT = Output("result", "image/png", "the job's output image")


def default_links(base: str, result: dict[str, Any]) -> dict[str, str]:
    """Links of a succeeded job beyond self and result: none by default."""
    return {}


@dataclass(frozen=True)
class TaskSpec:
    """One pretext task as the whole service sees it; the job kind, queue, API path and CLI name are ``name``."""

    name: str
    title: str
    summary: str  # one line for the API docs and the CLI
    paper: str
    model: str  # the card (models/weights/{model}.json) the workers serve
    serving: str  # "module:Class" of the serving class, opened by the workers and the CLI (never by the API)
    params: type[JobParams]
    card: type[Card] = Card  # the typed card its models carry (models.cards, or the task's own module)
    outputs: tuple[Output, ...] = (RESULT,)
    page: Page | None = None
    commands: tuple[Command, ...] = ()
    aliases: tuple[str, ...] = ()  # older names: API paths and job kinds that still answer
    links: Callable[[str, dict[str, Any]], dict[str, str]] = default_links
    order: int = 100  # position in lists (nav bar, docs)
    keeps_input: bool = False  # the upload stays stored with the results (a route re-reads it), else deleted
    uploads: tuple[ExtraUpload, ...] = ()  # files beside the photo (a mask...), stored as blobs of those names

    def __post_init__(self) -> None:
        taken = {"input", "image", "wait", *(o.name for o in self.outputs), *self.params.model_fields}
        for extra in self.uploads:
            if extra.name in taken or not extra.name.isidentifier():
                raise ValueError(f"task {self.name}: the upload {extra.name!r} is not an identifier, or is "
                                 "already a parameter, an output or the photo")
            taken.add(extra.name)

    @property
    def queue(self) -> str:
        """The Celery queue its jobs wait in (one per task, so each can get its own workers)."""
        return self.name

    @property
    def large_queue(self) -> str:
        """The queue of its jobs above ``Settings.large_job_pixels``: their own workers, or a worker's turn."""
        return f"{self.name}-large"

    @property
    def task_name(self) -> str:
        """The registered Celery name of the task that runs its jobs."""
        return f"pretext.{self.name}"
