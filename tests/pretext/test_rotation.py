import json

import numpy as np
import pytest
from PIL import Image

from models.imageio import decode_image
from tests.imagecorpus import bad_files, exif_rotated_jpeg, good_files, photo
from tests.pretext.test_colorization import pretext

TURNS = (0, 90, 180, 270)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_angles_follow_pils_turns_and_fix_undoes_them(tiny_models_dir, tmp_path):
    # 96 x 64 at the tiny card's 64 px side runs unresampled, so the four-turn ensemble is exactly
    # equivariant: whatever the untrained net says of the upright photo, each PIL turn adds its angle.
    upright = Image.fromarray(photo(96, 64, seed=3))
    files = []
    for turn in TURNS:
        path = tmp_path / f"turned{turn}.png"
        upright.rotate(turn, expand=True).save(path)
        files.append(path)
    out = tmp_path / "fixed"
    proc = pretext("rotate", *map(str, files), "--json", "--fix", "-o", str(out), models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    assert [line["file"] for line in lines] == [str(p) for p in files]
    for line in lines:
        assert set(line) == {"file", "angle", "probabilities"}
        assert set(line["probabilities"]) == {"0", "90", "180", "270"}
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert str(line["angle"]) == max(line["probabilities"], key=line["probabilities"].get)
    first = lines[0]["angle"]
    assert [line["angle"] for line in lines] == [(first + turn) % 360 for turn in TURNS]
    # image.rotate(-angle, expand=True) of each turned copy is the same picture.
    fixed = [np.asarray(Image.open(out / f"{p.stem}.png")) for p in files]
    expected = np.asarray(upright.rotate(-first, expand=True))
    for image in fixed:
        np.testing.assert_array_equal(image, expected)


def test_an_exif_rotated_photo_is_judged_as_it_is_shown(tiny_models_dir, tmp_path):
    shown = tmp_path / "shown.png"
    Image.fromarray(decode_image(exif_rotated_jpeg(96, 64))).save(shown)
    (tmp_path / "tagged.jpg").write_bytes(exif_rotated_jpeg(96, 64))
    proc = pretext("rotate", str(tmp_path / "tagged.jpg"), str(shown), models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    tagged, plain = json_lines(proc.stdout)
    assert tagged["angle"] == plain["angle"]
    assert tagged["probabilities"] == pytest.approx(plain["probabilities"], abs=0.02)


def test_bad_files_are_named_on_stderr_and_the_good_ones_still_answered(tiny_models_dir, tmp_path):
    paths = []
    for name, data in {**bad_files(), "good.jpg": good_files()["rgb.jpg"]}.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    paths += [tmp_path / "missing.jpg", tmp_path]
    proc = pretext("rotate", *map(str, paths), "--fix", "-o", str(tmp_path / "out"), models_dir=tiny_models_dir)
    assert proc.returncode == 1
    assert [line["file"] for line in json_lines(proc.stdout)] == [str(tmp_path / "good.jpg")]
    assert (tmp_path / "out" / "good.png").is_file()
    for name in [*bad_files(), "missing.jpg", "not a regular file"]:
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fix_never_writes_over_an_input_or_an_earlier_copy(tiny_models_dir, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"
    Image.fromarray(photo(96, 64, seed=1)).save(first)
    Image.fromarray(photo(96, 64, seed=2)).save(second)
    before = first.read_bytes()
    proc = pretext("rotate", str(first), str(second), "--fix", "-o", str(tmp_path / "a"),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    assert first.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["x-2.png", "x-3.png", "x.png"]
    assert "x-3.png" in proc.stderr


def test_an_output_path_that_cannot_be_a_folder_stops_before_any_work(tiny_models_dir, tmp_path):
    (tmp_path / "good.jpg").write_bytes(good_files()["rgb.jpg"])
    (tmp_path / "taken").write_text("a file")
    proc = pretext("rotate", str(tmp_path / "good.jpg"), "--fix", "-o", str(tmp_path / "taken"),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "not a folder" in proc.stderr and not proc.stdout
    assert "Traceback" not in proc.stderr


def test_attention_writes_an_overlay_the_size_of_the_photo(tiny_models_dir, tmp_path):
    (tmp_path / "in.jpg").write_bytes(exif_rotated_jpeg(90, 60))
    out = tmp_path / "maps" / "overlay.png"
    proc = pretext("attention", str(tmp_path / "in.jpg"), "-o", str(out), "--block", "2", "--p", "1.5",
                   models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    assert np.asarray(Image.open(out)).shape == (90, 60, 3)  # as shown: EXIF turned it upright
    assert json_lines(proc.stdout)[0] | {"angle": 0} == {"file": str(tmp_path / "in.jpg"), "out": str(out),
                                                        "angle": 0, "block": 2, "p": 1.5}


@pytest.mark.parametrize(("args", "code", "says"), [
    (["--p", "0"], 1, "p must be"),
    (["--p", "nan"], 1, "p must be"),
    (["--block", "5"], 2, "invalid choice"),
    (["--opacity", "2"], 1, "opacity"),
])
def test_attention_refuses_bad_parameters_clearly(tiny_models_dir, tmp_path, args, code, says):
    (tmp_path / "in.jpg").write_bytes(good_files()["rgb.jpg"])
    proc = pretext("attention", str(tmp_path / "in.jpg"), "-o", str(tmp_path / "o.png"), *args,
                   models_dir=tiny_models_dir)
    assert proc.returncode == code and says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.png").exists()


def test_attention_into_a_folder_is_refused(tiny_models_dir, tmp_path):
    (tmp_path / "in.jpg").write_bytes(good_files()["rgb.jpg"])
    proc = pretext("attention", str(tmp_path / "in.jpg"), "-o", str(tmp_path), models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "is a folder" in proc.stderr
