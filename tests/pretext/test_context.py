"""``pretext context``: where the piece goes, per photo, in-process; bad options exit 2, a box that does not fit 1."""

import json

import numpy as np
import pytest
from PIL import Image

from models.context import POSITION_NAMES, PatchBox, as_grid, default_box, neighbour_box, serving_step
from tests.imagecorpus import photo
from tests.pretext.test_colorization import pretext


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def ratio(models_dir) -> float:
    card = json.loads((models_dir / "context.json").read_text())
    return card["gap"] / card["patch"]


def write_photos(tmp_path, *sizes: tuple[int, int]) -> list:
    paths = []
    for i, (w, h) in enumerate(sizes):
        path = tmp_path / f"p{i}.png"
        Image.fromarray(photo(w, h, seed=i)).save(path)
        paths.append(path)
    return paths


def test_json_lines_name_the_patches_the_answer_and_the_truth(tiny_models_dir, tmp_path):
    files = write_photos(tmp_path, (150, 100), (90, 120))
    proc = pretext("context", *map(str, files), "--position", "3", "--json", models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    assert [line["file"] for line in lines] == [str(p) for p in files]
    for line, (w, h) in zip(lines, [(150, 100), (90, 120)], strict=True):
        box = default_box(w, h, ratio(tiny_models_dir))
        assert line["box"] == box.as_dict()
        assert line["other_box"] == neighbour_box(box, 3, ratio(tiny_models_dir)).as_dict()
        assert (line["position"], line["truth"], line["truth_name"]) == (3, 3, "left")
        probs = line["probabilities"]
        assert len(probs) == 8 and sum(probs) == pytest.approx(1.0, abs=1e-5)
        assert line["grid"] == as_grid(np.array(probs))
        assert line["predicted"] == int(np.argmax(probs)) and line["correct"] == (line["predicted"] == 3)


def test_text_output_shows_the_grid_and_a_seed_repeats_the_random_positions(tiny_models_dir, tmp_path):
    files = write_photos(tmp_path, (150, 100), (150, 100), (150, 100))
    proc = pretext("context", *map(str, files), "--seed", "5", models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    blocks = proc.stdout.strip().split(f"{tmp_path}/")[1:]
    assert len(blocks) == 3
    for block in blocks:
        rows = block.strip().splitlines()
        assert "centre patch 62,37 side 26" in rows[0] and "network: " in rows[1] and "truth " in rows[1]
        cells = [c for row in rows[2:5] for c in row.split()]
        assert cells[4] == "·" and len(cells) == 9
        assert sum(float(c.rstrip("%")) for c in cells if c != "·") == pytest.approx(100.0, abs=0.5)
    first = json_lines(pretext("context", *map(str, files), "--seed", "5", "--json",
                               models_dir=tiny_models_dir).stdout)
    again = json_lines(pretext("context", *map(str, files), "--seed", "5", "--json",
                               models_dir=tiny_models_dir).stdout)
    assert [line["position"] for line in first] == [line["position"] for line in again]
    for block, line in zip(blocks, first, strict=True):  # the text run drew the same positions
        assert f"truth {POSITION_NAMES[line['position']]} (position {line['position']})" in block


def test_other_names_the_second_patch_and_a_far_one_has_no_truth(tiny_models_dir, tmp_path):
    (path,) = write_photos(tmp_path, (150, 100))
    step = serving_step(24, ratio(tiny_models_dir))
    near = pretext("context", str(path), "--box", "60,40,24", "--other", f"{60 + step - 4},{40 + 3}", "--json",
                   models_dir=tiny_models_dir)
    assert near.returncode == 0, near.stderr
    (line,) = json_lines(near.stdout)
    assert line["other_box"] == PatchBox(60 + step - 4, 43, 24).as_dict()
    assert (line["position"], line["truth"], line["truth_name"]) == (None, 4, "right")
    far = pretext("context", str(path), "--box", "60,40,24", "--other", "0,0", models_dir=tiny_models_dir)
    assert far.returncode == 0 and "no neighbour place, so there is no right answer" in far.stdout


@pytest.mark.parametrize("args", [
    ["--box", "1,2"],
    ["--box", "10,10,4"],
    ["--position", "8"],
    ["--position", "x"],
    ["--other", "3"],
    ["--position", "1", "--other", "3,4"],
])
def test_bad_options_exit_2_before_any_work(tiny_models_dir, tmp_path, args):
    (path,) = write_photos(tmp_path, (150, 100))
    proc = pretext("context", str(path), *args, models_dir=tiny_models_dir)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_a_box_that_does_not_fit_a_photo_exits_1_naming_it_and_the_others_are_answered(tiny_models_dir, tmp_path):
    small, large = write_photos(tmp_path, (80, 80), (150, 100))
    proc = pretext("context", str(small), str(large), "--box", "40,40,24", "--position", "7", "--json",
                   models_dir=tiny_models_dir)
    assert proc.returncode == 1
    assert f"error: {small}: the bottom right (position 7) neighbour of the box 40,40,24" in proc.stderr
    assert [line["file"] for line in json_lines(proc.stdout)] == [str(large)]
    (tmp_path / "t").mkdir()
    (tiny,) = write_photos(tmp_path / "t", (20, 20))
    proc = pretext("context", str(tiny), models_dir=tiny_models_dir)
    assert proc.returncode == 1 and "needs at least" in proc.stderr and "Traceback" not in proc.stderr


def test_without_the_model_it_exits_2(tmp_path):
    (path,) = write_photos(tmp_path, (150, 100))
    proc = pretext("context", str(path), models_dir=tmp_path / "no-models")
    assert proc.returncode == 2 and "context" in proc.stderr and "Traceback" not in proc.stderr
