"""``pretext evaluate transfer`` end to end on tiny models and a few real photos."""

import argparse
import json

import numpy as np
import pytest
import torch

from training.evaluate_transfer import add_arguments, inpainting_trunk, run
from training.loop import LoopConfig, train
from training.supervised import SupervisedConfig, SupervisedTask
from training.tiny_models import tiny_colorization, tiny_inpainting, tiny_jigsaw, tiny_rotation

TINY_WIDTHS = (8, 8, 8, 8)


@pytest.fixture
def report(datasets_dir, isolated_settings, tmp_path):
    models = tmp_path / "weights"
    models.mkdir()
    tiny_colorization(models, widths=TINY_WIDTHS)
    tiny_jigsaw(models, widths=TINY_WIDTHS)
    tiny_rotation(models, widths=TINY_WIDTHS)
    tiny_inpainting(models, widths=TINY_WIDTHS)
    sup = tmp_path / "supervised"
    train(SupervisedTask(SupervisedConfig(size=32, imagenette_size=40, limit=40, val_images=8)),
          LoopConfig(steps=2, batch_size=4, warmup_steps=1, validate_every=2, checkpoint_every=2), sup)
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--weights", str(models), "--supervised-run", str(sup), "--size", "32", "--grid", "2",
                         "--train-images", "40", "--val-images", "20", "--iters", "5", "--out", str(tmp_path / "out")])
    assert run(args) == 0
    return tmp_path / "out"


def test_the_table_has_all_six_rows_for_every_block(report):
    data = json.loads((report / "transfer.json").read_text())
    assert [r["model"] for r in data["rows"]] == ["random init", "colorization", "jigsaw", "rotation", "inpainting",
                                                  "supervised"]
    assert data["missing"] == [] and data["train_images"] == 40 and data["val_images"] == 20
    for row in data["rows"]:
        assert [b["block"] for b in row["blocks"]] == [1, 2, 3, 4]
        assert all(0.0 <= b["top1"] <= 1.0 for b in row["blocks"])
    assert [r["input"] for r in data["rows"]] == ["rgb", "l", "tile", "rgb", "rgb", "rgb"]
    md = (report / "transfer.md").read_text()
    assert "| supervised | rgb |" in md and "jigsaw:" in md
    assert (report / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_models_are_named_not_silently_dropped(datasets_dir, isolated_settings, tmp_path):
    p = argparse.ArgumentParser()
    add_arguments(p)
    out = tmp_path / "out"
    args = p.parse_args(["--weights", str(tmp_path / "none"), "--supervised-run", str(tmp_path / "none"),
                         "--size", "32", "--grid", "1", "--train-images", "20", "--val-images", "10",
                         "--iters", "3", "--out", str(out)])
    assert run(args) == 0
    data = json.loads((out / "transfer.json").read_text())
    assert [r["model"] for r in data["rows"]] == ["random init"]
    assert len(data["missing"]) == 5 and any(m.startswith("inpainting:") for m in data["missing"])


def test_the_inpainting_row_is_the_exported_context_encoder_seeing_the_whole_photo(tmp_path):
    import onnxruntime as ort

    from models.rotation import normalise

    tiny_inpainting(tmp_path, widths=TINY_WIDTHS, side=32)
    trunk = inpainting_trunk(tmp_path / "inpainting.onnx")
    assert trunk.net.widths == TINY_WIDTHS and trunk.net.side == 32 and len(trunk.blocks) == 4
    rgb8 = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    x = torch.from_numpy(normalise(rgb8))
    masked = np.concatenate([rgb8.transpose(0, 3, 1, 2) / 255.0, np.zeros((2, 1, 32, 32))], axis=1)
    masked = masked.astype(np.float32)
    # The blocks are the exported network's: run on to the output, they give what the ONNX file gives.
    with torch.no_grad():
        feats = trunk.forward_blocks(x)
        out = trunk.net.decoder(trunk.net.bottleneck(feats[-1])).numpy()
    session = ort.InferenceSession(str(tmp_path / "inpainting.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(out, session.run(None, {"masked": masked})[0], atol=1e-4)
    assert [tuple(f.shape[1:]) for f in feats] == [(8, 16, 16), (8, 8, 8), (8, 4, 4), (8, 2, 2)]
