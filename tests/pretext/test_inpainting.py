"""``pretext inpaint``: DIR/NAME.png at the photo's shown size, only the hole (and its feather band) changed."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from models.imageio import decode_image
from tests.imagecorpus import encode, exif_rotated_jpeg, photo
from tests.pretext.test_colorization import ROOT, pretext

BOX = (60, 40, 30, 20)


def write_png(path, array: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(Image.fromarray(array), "PNG"))
    return path


def mask_array(width: int, height: int, box: tuple[int, int, int, int] | None) -> np.ndarray:
    gray = np.zeros((height, width), dtype=np.uint8)
    if box is not None:
        x, y, w, h = box
        gray[y : y + h, x : x + w] = 255
    return gray


def far_from(box: tuple[int, int, int, int], shape: tuple[int, int], models_dir) -> np.ndarray:
    """Pixels farther from the hole than the feather band at the scale the photo is filled at."""
    card = json.loads((models_dir / "inpainting.json").read_text())
    mask = mask_array(shape[1], shape[0], box) > 0
    window = int(np.ceil(max(box[2], box[3]) * 2.0))
    feather = card.get("feather", 3.0) * window / card["side"]
    return ndimage.distance_transform_edt(~mask) >= max(feather, 1.0)


def test_inpaint_writes_the_filled_photo_at_its_size_and_changes_only_the_hole(tiny_models_dir, tmp_path):
    source = photo(150, 100, seed=4)
    files = [write_png(tmp_path / "in" / "a.png", source), write_png(tmp_path / "in" / "b.png", source[::-1])]
    out = tmp_path / "out"
    proc = pretext("inpaint", *map(str, files), "--box", "60,40,30,20", "-o", str(out), models_dir=tiny_models_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(out / "a.png"), str(out / "b.png")]
    far = far_from(BOX, source.shape[:2], tiny_models_dir)
    for path, original in zip(files, (source, source[::-1]), strict=True):
        result = np.asarray(Image.open(out / path.name))
        assert result.shape == original.shape
        np.testing.assert_array_equal(result[far], original[far])


def test_a_box_and_the_same_mask_give_the_same_photo_with_either_model(tiny_models_dir, tmp_path):
    source = write_png(tmp_path / "p.png", photo(150, 100, seed=4))
    mask = write_png(tmp_path / "hole.png", mask_array(150, 100, BOX))
    for model in ("l2", "adversarial"):
        by_box = pretext("inpainting", str(source), "--box", "60,40,30,20", "--model", model,
                         "-o", str(tmp_path / f"box-{model}"), models_dir=tiny_models_dir)
        by_mask = pretext("inpaint", str(source), "--mask", str(mask), "--model", model,
                          "-o", str(tmp_path / f"mask-{model}"), models_dir=tiny_models_dir)
        assert by_box.returncode == 0 and by_mask.returncode == 0, by_box.stderr + by_mask.stderr
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / f"box-{model}" / "p.png")),
                                      np.asarray(Image.open(tmp_path / f"mask-{model}" / "p.png")))
    l2 = np.asarray(Image.open(tmp_path / "box-l2" / "p.png"))
    assert not np.array_equal(l2, np.asarray(Image.open(tmp_path / "box-adversarial" / "p.png")))


def test_an_exif_rotated_photo_is_filled_as_it_is_shown(tiny_models_dir, tmp_path):
    tagged = tmp_path / "tagged.jpg"
    tagged.write_bytes(exif_rotated_jpeg(90, 60))  # stored 90 x 60, shown 60 x 90
    shown = decode_image(tagged.read_bytes())
    box = (10, 50, 20, 30)  # inside 60 x 90 only
    mask = write_png(tmp_path / "shown-mask.png", mask_array(60, 90, box))
    for how in (["--box", "10,50,20,30"], ["--mask", str(mask)]):
        out = tmp_path / f"out{how[0]}"
        proc = pretext("inpaint", str(tagged), *how, "-o", str(out), models_dir=tiny_models_dir)
        assert proc.returncode == 0, proc.stderr
        result = np.asarray(Image.open(out / "tagged.png"))
        assert result.shape == shown.shape == (90, 60, 3)
        far = far_from(box, shown.shape[:2], tiny_models_dir)
        np.testing.assert_array_equal(result[far], shown[far])
    stored = write_png(tmp_path / "stored-mask.png", mask_array(90, 60, (10, 10, 20, 20)))
    proc = pretext("inpaint", str(tagged), "--mask", str(stored), "-o", str(tmp_path / "x"), models_dir=tiny_models_dir)
    assert proc.returncode == 1 and "the mask is 90x60, the photo 60x90" in proc.stderr


def test_a_photo_the_box_does_not_fit_is_named_and_the_others_still_filled(tiny_models_dir, tmp_path):
    big = write_png(tmp_path / "big.png", photo(150, 100))
    small = write_png(tmp_path / "small.png", photo(80, 50))
    proc = pretext("inpaint", str(small), str(big), "--box", "60,40,30,20", "-o", str(tmp_path / "out"),
                   models_dir=tiny_models_dir)
    assert proc.returncode == 1
    assert "small.png" in proc.stderr and "outside the 80x50 photo" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "out" / "big.png").is_file() and not (tmp_path / "out" / "small.png").exists()


@pytest.mark.parametrize(("hole", "says"), [
    (["--box", "60,40,-3,20"], "X,Y,W,H"),
    (["--box", "60,40,0,20"], "empty"),
    (["--mask", "MISSING"], "No such file"),
    (["--mask", "TEXT"], "mask is not a usable image"),
    (["--mask", "EMPTY"], "mask is empty"),
    (["--mask", "FULL"], "whole photo"),
    ([], "one of the arguments --mask --box is required"),
    (["--box", "1,1,5,5", "--mask", "EMPTY"], "not allowed with argument"),
])
def test_a_bad_box_or_mask_stops_before_any_work(tiny_models_dir, tmp_path, hole, says):
    source = write_png(tmp_path / "p.png", photo(150, 100))
    masks = {"MISSING": tmp_path / "missing.png", "TEXT": tmp_path / "text.png",
             "EMPTY": write_png(tmp_path / "empty.png", mask_array(150, 100, None)),
             "FULL": write_png(tmp_path / "full.png", mask_array(150, 100, (0, 0, 150, 100)))}
    masks["TEXT"].write_text("not an image\n")
    args = [str(masks.get(a, a)) for a in hole]
    proc = pretext("inpaint", str(source), *args, "-o", str(tmp_path / "out"), models_dir=tiny_models_dir)
    assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out" / "p.png").exists()


def test_inpaint_never_imports_torch(tiny_models_dir, tmp_path):
    source = write_png(tmp_path / "p.png", photo(64, 64))
    code = ("import sys; from pretext.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules, 'torch imported'; raise SystemExit(code)")
    proc = subprocess.run([sys.executable, "-c", code, "inpaint", str(source), "--box", "8,8,16,16", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"PRETEXT_MODELS_DIR": str(tiny_models_dir), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
