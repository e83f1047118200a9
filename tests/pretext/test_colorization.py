import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.color import lightness
from models.imageio import decode_image
from tests.imagecorpus import bad_files, exif_rotated_jpeg, good_files

ROOT = Path(__file__).resolve().parents[2]


def pretext(*args: str, models_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PRETEXT_MODELS_DIR": str(models_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pretext", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def test_colorize_writes_one_png_per_input_at_its_size(tiny_models_dir, tmp_path):
    files = []
    for name, data in {**good_files(), "rotated.jpg": exif_rotated_jpeg(90, 60)}.items():
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        files.append(path)
    out = tmp_path / "out"
    proc = pretext("colorization", *map(str, files), "-o", str(out), "--temperature", "0.2",
                   models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    for path in files:
        result = np.asarray(Image.open(out / f"{path.stem}.png"))
        source = decode_image(path.read_bytes())
        assert result.shape == source.shape
        # The model only adds colour: lightness stays within rounding of the input's.
        assert np.abs(lightness(result) - lightness(source)).mean() < 1.0


def test_colorize_reports_bad_files_and_still_does_the_good_ones(tiny_models_dir, tmp_path):
    paths = []
    for name, data in {**bad_files(), "good.png": good_files()["rgb.jpg"]}.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    paths.append(str(tmp_path / "missing.jpg"))
    proc = pretext("colorization", *paths, "-o", str(tmp_path / "out"), models_dir=tiny_models_dir)
    assert proc.returncode == 1
    assert (tmp_path / "out" / "good.png").is_file()
    for name in [*bad_files(), "missing.jpg"]:
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("t", ["-1", "nan", "11"])
def test_colorize_refuses_absurd_temperatures(tiny_models_dir, tmp_path, t):
    (tmp_path / "a.jpg").write_bytes(good_files()["rgb.jpg"])
    proc = pretext("colorization", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--temperature", t,
                   models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "temperature" in proc.stderr


def test_colorize_without_a_model_says_so(tmp_path):
    (tmp_path / "a.jpg").write_bytes(good_files()["rgb.jpg"])
    proc = pretext("colorization", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), models_dir=tmp_path)
    assert proc.returncode == 2 and "no model card" in proc.stderr


def test_colorize_never_imports_torch(tiny_models_dir):
    code = ("import sys; from pretext.cli import main; import pretext.colorization, models.colorization_model; "
            "print(json.dumps(['torch' in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert json.loads(proc.stdout) == [False], proc.stderr


def test_colorize_gives_inputs_with_one_name_their_own_outputs(tiny_models_dir, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.jpg").write_bytes(good_files()["rgb.jpg"])
    (tmp_path / "blocked").write_text("a file, not a folder")
    paths = [str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg")]
    proc = pretext("colorization", *paths, "-o", str(tmp_path / "out"), models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(tmp_path / "out" / "x.png"), str(tmp_path / "out" / "x-2.png")]
    proc = pretext("colorization", *paths, "-o", str(tmp_path / "blocked"), models_dir=tiny_models_dir)
    assert proc.returncode == 2 and "not a folder" in proc.stderr and "Traceback" not in proc.stderr
