"""``pretext colorize --hints``: the hint contract of the CLI (photos are scored through it)."""

import json
import shutil

import numpy as np
from PIL import Image

from models.color import rgb8_to_lab
from tests.imagecorpus import exif_rotated_jpeg, good_files
from tests.pretext.test_colorization import pretext

RED = [220, 20, 20]


def ab_distance(pixel: np.ndarray, rgb: list[int]) -> float:
    lab = rgb8_to_lab(np.array([pixel, rgb], np.uint8))
    return float(np.linalg.norm(lab[0, 1:] - lab[1, 1:]))


def test_hints_write_the_file_at_the_inputs_size_and_pull_the_hinted_pixel_to_the_hint(tiny_models_dir, tmp_path):
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(good_files()["rgb.jpg"])  # 96 x 64
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps([{"x": 20, "y": 30, "rgb": RED}]))
    plain = pretext("colorize", str(photo), "-o", str(tmp_path / "plain"), models_dir=tiny_models_dir)
    hinted = pretext("colorize", str(photo), "-o", str(tmp_path / "hinted"), "--hints", str(hints),
                     "--hint-method", "distribution", models_dir=tiny_models_dir)
    assert plain.returncode == 0 and hinted.returncode == 0, hinted.stderr
    assert hinted.stdout.strip() == str(tmp_path / "hinted" / "photo.png")
    before = np.asarray(Image.open(tmp_path / "plain" / "photo.png").convert("RGB"))
    after = np.asarray(Image.open(tmp_path / "hinted" / "photo.png").convert("RGB"))
    assert after.shape == before.shape == (64, 96, 3)
    assert ab_distance(after[30, 20], RED) < ab_distance(before[30, 20], RED) - 10


def test_hint_coordinates_are_those_of_the_upright_photo(tiny_models_dir, tmp_path):
    photo = tmp_path / "rotated.jpg"
    photo.write_bytes(exif_rotated_jpeg(90, 60))  # shown 60 wide, 90 high
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps([{"x": 50, "y": 80, "rgb": RED}]))  # inside 60 x 90, off the stored 90 x 60
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "out"), "--hints", str(hints),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    assert np.asarray(Image.open(tmp_path / "out" / "rotated.png")).shape[:2] == (90, 60)


def test_bad_hints_fail_clearly_without_a_traceback(tiny_models_dir, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(good_files()["rgb.jpg"])
    off = tmp_path / "off.json"
    off.write_text(json.dumps([{"x": 200, "y": 30, "rgb": RED}]))
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "o"), "--hints", str(off), models_dir=tiny_models_dir)
    assert proc.returncode == 1 and "off the 96x64 photo" in proc.stderr and "Traceback" not in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "o"), "--hints", str(broken),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "o"), "--hints", str(tmp_path / "missing.json"),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "cannot read the hints file" in proc.stderr


def test_the_hint_network_method_takes_the_hints_through_the_hint_model(tiny_models_dir, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(good_files()["rgb.jpg"])
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps([{"x": 20, "y": 30, "rgb": RED}]))
    out = {}
    for method in ("network", "distribution"):
        proc = pretext("colorize", str(photo), "-o", str(tmp_path / method), "--hints", str(hints), "--hint-method",
                       method, models_dir=tiny_models_dir)
        assert proc.returncode == 0, proc.stderr
        out[method] = np.asarray(Image.open(tmp_path / method / "photo.png").convert("RGB"))
    assert out["network"].shape == (64, 96, 3)
    # The tiny hint network is untrained: its input, not the distribution reweighting, took the point.
    assert ab_distance(out["network"][30, 20], RED) > ab_distance(out["distribution"][30, 20], RED) + 10


def test_the_hint_network_method_says_its_model_is_missing(tiny_models_dir, tmp_path):
    models = tmp_path / "models"  # the plain model only
    models.mkdir()
    for path in tiny_models_dir.glob("colorization.*"):
        shutil.copy(path, models / path.name)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(good_files()["rgb.jpg"])
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "o"), "--hint-method", "network", models_dir=models)
    assert proc.returncode == 2 and "colorization-hints" in proc.stderr and "Traceback" not in proc.stderr
    assert pretext("colorize", str(photo), "-o", str(tmp_path / "o"), models_dir=models).returncode == 0


def test_a_reference_photo_makes_the_colours_follow_it(tiny_models_dir, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(good_files()["rgb.jpg"])
    ref = tmp_path / "ref.png"
    Image.fromarray(np.full((40, 40, 3), RED, np.uint8)).save(ref)
    plain = pretext("colorize", str(photo), "-o", str(tmp_path / "a"), models_dir=tiny_models_dir)
    proc = pretext("colorize", str(photo), "-o", str(tmp_path / "b"), "--reference", str(ref),
                   models_dir=tiny_models_dir)
    assert plain.returncode == 0 and proc.returncode == 0, proc.stderr
    before = np.asarray(Image.open(tmp_path / "a" / "photo.png").convert("RGB")).reshape(-1, 3)
    after = np.asarray(Image.open(tmp_path / "b" / "photo.png").convert("RGB")).reshape(-1, 3)
    red_ab = rgb8_to_lab(np.array(RED, np.uint8))[1:]
    d = lambda px: np.linalg.norm(rgb8_to_lab(px)[:, 1:] - red_ab, axis=1).mean()  # noqa: E731
    assert d(after) < d(before)
