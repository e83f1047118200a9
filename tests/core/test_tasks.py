"""The task registry: every list of tasks derives from it, and each task's params model checks both sides."""

import re

import numpy as np
import pytest
from PIL import Image

from core.errors import BadParameterError
from core.queues import queue_names, task_routes
from core.tasks import all_tasks, get_task, task_names
from core.tasks.colorization import ColorizationParams
from core.tasks.inpainting import CARDS, InpaintingParams
from core.tasks.jigsaw import JigsawParams
from core.tasks.rotation import RotationParams
from core.tasks.spec import Upload
from models.cards import parse_card
from pretext.cli import commands


def test_the_registry_finds_every_task_module_in_order():
    assert task_names() == ("colorization", "jigsaw", "rotation", "context", "inpainting", "features")
    assert get_task("colorize") is get_task("colorization")  # the older name still finds it
    with pytest.raises(KeyError, match="no task"):
        get_task("inpainting-not-yet")


def test_queues_routes_and_cli_commands_derive_from_the_registry():
    assert queue_names() == (*task_names(), *(f"{n}-large" for n in task_names()))
    assert task_routes() == {f"pretext.{n}": {"queue": n} for n in task_names()}
    known = commands()
    for spec in all_tasks():
        for command in spec.commands:
            assert known[command.words] is command
            assert all(known[alias] is command for alias in command.aliases)
    assert known[("colorize",)].words == ("colorization",)
    assert known[("rotate",)].words == ("rotation",) and known[("attention",)].words == ("rotation", "attention")
    assert known[("inpaint",)].words == ("inpainting",)


def test_every_task_has_a_page_a_serving_class_and_a_job_function():
    from worker.sessions import serving_class
    from worker.tasks import job_function

    for spec in all_tasks():
        assert spec.page is not None and spec.page.path == f"/{spec.name}"
        assert callable(job_function(spec))
        assert serving_class(spec.name).__name__ == f"{spec.name.capitalize()}Model"


def test_params_are_parsed_strictly_with_the_field_named():
    with pytest.raises(BadParameterError, match="temperature"):
        ColorizationParams.parse({"temperature": 11})
    with pytest.raises(BadParameterError, match="seed applies only"):
        JigsawParams.parse({"seed": 3, "shuffled": True})
    with pytest.raises(BadParameterError, match="block"):
        RotationParams.parse({"block": True})  # a bool is no block number
    assert RotationParams.parse({"block": 2, "filename": "x.jpg"}).block == 2  # the job's other fields are ignored


def test_resolution_fills_card_defaults_and_checks_the_upload():
    card = parse_card({"task": "colorization", "name": "c", "version": "v", "file": "c.onnx",
                       "serve_short_side": 64, "default_temperature": 0.42, "bin_centres": [[0, 0], [10, 10]]})
    upload = Upload("JPEG", 100, 80)
    assert ColorizationParams.parse({}).resolved(card, upload).temperature == 0.42
    assert ColorizationParams.parse({"temperature": 0.0}).resolved(card, upload).temperature == 0.0
    seeded = JigsawParams.parse({}).resolved(card, upload)
    assert isinstance(seeded.seed, int) and seeded.seed >= 0  # chosen once, so a redelivered job shuffles the same
    assert JigsawParams.parse({"shuffled": True}).resolved(card, upload).seed is None
    with pytest.raises(BadParameterError, match="3x3"):
        JigsawParams.parse({}).resolved(card, Upload("PNG", 2, 2))


def test_adding_a_task_names_at_most_three_existing_files_and_the_layout_it_describes_holds():
    from core.settings import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "adding-a-task.md").read_text()
    edits = doc.split("## Existing files to edit", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\d+\. `([^`]+)`", edits, flags=re.MULTILINE)
    assert 1 <= len(named) <= 3 and all((PROJECT_ROOT / f).is_file() for f in named)
    for spec in all_tasks():  # every task today has the files the guide tells a new one to write
        trains = ("train", spec.name) in {c.words for c in spec.commands}  # features compares, trains nothing
        for path in (f"core/tasks/{spec.name}.py", f"models/{spec.name}_model.py", f"worker/tasks/{spec.name}.py",
                     *([f"training/train_{spec.name}.py"] if trains else []), f"training/export_{spec.name}.py",
                     f"frontend/pages/{spec.page.file}"):
            assert (PROJECT_ROOT / path).is_file(), path
        assert spec.serving == f"models.{spec.name}_model:{spec.name.capitalize()}Model"


def test_inpainting_takes_exactly_one_hole_and_picks_its_card_by_model():
    from tests.imagecorpus import encode

    upload = Upload("PNG", 150, 100)
    assert get_task("inpaint") is get_task("inpainting")
    assert [u.name for u in get_task("inpainting").uploads] == ["mask"]
    assert InpaintingParams.parse({}).card_name("inpainting") == CARDS["l2"] == "inpainting"
    assert InpaintingParams.parse({"model": "adversarial"}).card_name("inpainting") == "inpainting-adversarial"
    boxed = InpaintingParams.parse({"box": " 10, 20,30,40 "})
    assert boxed.resolved(parse_card_of("inpainting"), upload) == boxed
    boxed.check_uploads(upload, {}, 10**6)
    with pytest.raises(BadParameterError, match="not both"):
        boxed.check_uploads(upload, {"mask": b"x"}, 10**6)
    with pytest.raises(BadParameterError, match="say where the hole is"):
        InpaintingParams.parse({}).check_uploads(upload, {}, 10**6)
    for box, says in [("0,0,150,100", "whole photo"), ("140,0,11,5", "outside"), ("3,3,0,4", "empty")]:
        with pytest.raises(BadParameterError, match=says):
            InpaintingParams.parse({"box": box}).resolved(parse_card_of("inpainting"), upload)
    with pytest.raises(BadParameterError, match="X,Y,W,H"):
        InpaintingParams.parse({"box": "1,2,3"})
    mask = np.zeros((100, 150), dtype=np.uint8)
    mask[5:9, 5:9] = 255
    InpaintingParams.parse({}).check_uploads(upload, {"mask": encode(Image.fromarray(mask), "PNG")}, 10**6)
    with pytest.raises(BadParameterError, match="the mask is 100x150, the photo 150x100"):
        InpaintingParams.parse({}).check_uploads(upload, {"mask": encode(Image.fromarray(mask.T), "PNG")}, 10**6)


def parse_card_of(name: str):
    return parse_card({"task": "inpainting", "name": name, "version": "v", "file": f"{name}.onnx", "side": 128})


def test_a_tasks_extra_upload_cannot_take_the_name_of_a_parameter_or_an_output():
    from dataclasses import replace

    from core.tasks.spec import ExtraUpload

    spec = get_task("inpainting")
    for name in ("box", "fill", "input", "image", "wait", "not-an-identifier"):
        with pytest.raises(ValueError, match="upload"):
            replace(spec, uploads=(ExtraUpload(name, "clash"),))
