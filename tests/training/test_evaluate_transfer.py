"""``pretext evaluate transfer`` end to end on tiny models and a few real photos."""

import argparse
import json
import sys

import numpy as np
import pytest
import torch

from tests.training.helpers import with_random_statistics
from training.evaluate_transfer import (
    ROW_NAMES,
    add_arguments,
    inpainting_trunk,
    markdown,
    neighbour_rows,
    rows_for,
    run,
    with_shares,
)
from training.loop import LoopConfig, train
from training.supervised import SupervisedConfig, SupervisedTask
from training.tiny_models import tiny_colorization, tiny_context, tiny_inpainting, tiny_jigsaw, tiny_rotation

TINY_WIDTHS = (8, 8, 8, 8)
SMALL = ["--size", "32", "--grid", "2", "--train-images", "40", "--val-images", "20", "--iters", "5"]


def transfer(argv: list[str], monkeypatch=None) -> int:
    p = argparse.ArgumentParser()
    add_arguments(p)
    if monkeypatch is not None:  # the command the report records
        monkeypatch.setattr(sys, "argv", ["pretext", "evaluate", "transfer", *argv])
    return run(p.parse_args(argv))


@pytest.fixture
def report(datasets_dir, isolated_settings, tmp_path, monkeypatch):
    models = tmp_path / "weights"
    models.mkdir()
    tiny_colorization(models, widths=TINY_WIDTHS)
    tiny_jigsaw(models, widths=TINY_WIDTHS)
    tiny_rotation(models, widths=TINY_WIDTHS)
    tiny_inpainting(models, widths=TINY_WIDTHS)
    tiny_context(models, widths=TINY_WIDTHS)
    sup = tmp_path / "supervised"
    train(SupervisedTask(SupervisedConfig(size=32, imagenette_size=40, limit=40, val_images=8)),
          LoopConfig(steps=2, batch_size=4, warmup_steps=1, validate_every=2, checkpoint_every=2), sup)
    assert transfer(["--weights", str(models), "--supervised-run", str(sup), *SMALL, "--out", str(tmp_path / "out")],
                    monkeypatch) == 0
    return tmp_path / "out"


def test_the_table_has_all_seven_rows_for_every_block(report):
    data = json.loads((report / "transfer.json").read_text())
    assert [r["model"] for r in data["rows"]] == list(ROW_NAMES)
    assert data["missing"] == [] and data["train_images"] == 40 and data["val_images"] == 20
    for row in data["rows"]:
        assert [b["block"] for b in row["blocks"]] == [1, 2, 3, 4]
        assert all(0.0 <= b["top1"] <= 1.0 for b in row["blocks"])
    # The tiny context model's card says it trained on projected colour.
    assert [r["input"] for r in data["rows"]] == ["rgb", "l", "tile", "rgb", "rgb", "context", "rgb"]
    shares = {r["model"]: r["share_of_supervised_gain"] for r in data["rows"]}
    assert shares["random init"] == 0.0 and shares["supervised"] == 1.0
    md = (report / "transfer.md").read_text()
    assert "| supervised | rgb |" in md and "| context | context |" in md and "jigsaw:" in md
    assert "share of supervised gain" in md and "Nearest neighbours" not in md
    assert (report / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_measures_the_named_rows_and_keeps_the_others(report, monkeypatch):
    path = report / "transfer.json"
    data = json.loads(path.read_text())
    # A marker in an untouched row: a merge keeps it, a full re-run would overwrite it.
    data["rows"][2]["best_top1"] = 0.5
    data["rows"][2]["blocks"][0]["top1"] = 0.5
    del data["rows"][1]["command"]  # as in a report written before rows had their own command
    path.write_text(json.dumps(data))
    weights, sup = data["rows"][1]["source"].rsplit("/", 1)[0], data["rows"][-1]["source"].rsplit("/", 1)[0]
    (report / "neighbours.json").write_text(json.dumps({"k": 8, "chance": 0.1, "rows": [
        {"model": "random", "table_name": "random init", "block": 1, "precision_at_k": 0.3},
        {"model": "rotation", "table_name": "rotation", "block": 3, "precision_at_k": 0.42}]}))
    argv = ["--weights", weights, "--supervised-run", sup, *SMALL, "--out", str(report), "--only", "context"]
    assert transfer(argv, monkeypatch) == 0
    new = json.loads(path.read_text())
    assert [r["model"] for r in new["rows"]] == list(ROW_NAMES)
    assert new["rows"][2]["best_top1"] == 0.5 and new["rows"][2]["blocks"][0]["top1"] == 0.5
    assert "--only" in new["rows"][5]["command"] and "--only" not in new["rows"][2]["command"]
    assert new["rows"][1]["command"] == data["command"]  # the old report's command, not the merging one
    for old_row, new_row in zip(data["rows"], new["rows"], strict=True):
        if old_row["model"] != "context":
            assert old_row["blocks"] == new_row["blocks"]
    md = (report / "transfer.md").read_text()
    assert "Commands:" in md and "- context: `pretext evaluate transfer" in md
    assert "## Nearest neighbours: precision@8" in md and "| rotation | 3 | 42.0 |" in md
    assert "| random init | 1 | 30.0 |" in md and "chance 10.0%" in md
    assert new["neighbours"]["rows"][1] == {"model": "rotation", "block": 3, "precision": 0.42}
    # A neighbours file written later joins the table without measuring anything again.
    (report / "neighbours.json").write_text(json.dumps([{"model": "jigsaw", "block": 2, "precision_at_8": 0.5}]))
    assert transfer(["--out", str(report), "--render-only"]) == 0
    rendered = json.loads(path.read_text())
    assert rendered["rows"] == new["rows"] and "| jigsaw | 2 | 50.0 |" in (report / "transfer.md").read_text()
    assert transfer(["--out", str(report / "none"), "--render-only"]) == 2
    # Rows measured on other photos would not be comparable: refused, the report left as it was.
    before = path.read_text()
    other = [*argv[:4], "--size", "32", "--grid", "2", "--train-images", "30", "--val-images", "20", "--iters", "5",
             *argv[-4:]]
    assert transfer(other, monkeypatch) == 2
    assert path.read_text() == before


def test_the_share_of_supervised_gain_is_the_formula():
    def row(name: str, best: float) -> dict:
        return {"model": name, "input": "rgb", "best_top1": best, "blocks": [{"block": 1, "top1": best}]}

    report = with_shares({"rows": [row("random init", 0.60), row("jigsaw", 0.67), row("inpainting", 0.59),
                                   row("supervised", 0.80)],
                          "train_images": 1, "val_images": 1, "size": 64, "grid": 4, "missing": [], "command": "c"})
    shares = [r["share_of_supervised_gain"] for r in report["rows"]]
    assert shares == pytest.approx([0.0, 0.07 / 0.20, -0.01 / 0.20, 1.0])
    md = markdown(report)
    assert "| jigsaw | rgb | 67.0 | 67.0 | 0.35 |" in md and "| inpainting | rgb | 59.0 | 59.0 | -0.05 |" in md
    without = with_shares({**report, "rows": report["rows"][:3]})
    assert all(r["share_of_supervised_gain"] is None for r in without["rows"])
    assert "| n/a |" in markdown(without)


def test_neighbour_files_are_read_whatever_their_layout():
    want = [{"model": "jigsaw", "block": 2, "precision": 0.5}]
    assert neighbour_rows({"k": 8, "rows": [{"model": "jig", "table_name": "jigsaw", "block": 2,
                                             "precision_at_k": 0.5}]}) == want
    assert neighbour_rows([{"model": "jigsaw", "block": 2, "precision_at_8": 0.5}]) == want
    assert neighbour_rows({"rows": [{"model": "jigsaw", "block": 2, "precision@8": 0.5}]}) == want
    assert neighbour_rows({"jigsaw": {"block": 2, "precision_at_8": 0.5}}) == want
    assert neighbour_rows({"something": "else"}) == [] and neighbour_rows("text") == []


def test_the_context_row_is_the_exported_patch_encoders_trunk_with_its_cards_colour(tmp_path):
    from training.context import ContextNet
    from training.export_context import onnx_spec
    from training.export_onnx import export_checked

    net = with_random_statistics(ContextNet(16, TINY_WIDTHS, dim=16, hidden=16))
    export_checked(net, tmp_path / "context.onnx", onnx_spec(16))
    (tmp_path / "context.json").write_text(json.dumps({"project_colour": False}))
    rows, missing = rows_for(tmp_path, tmp_path / "no-run")
    row = next(r for r in rows if r.name == "context")
    assert row.input_kind == "tile" and not any(m.startswith("context") for m in missing)
    trunk = row.load()
    x = torch.randn(2, 3, 40, 48)  # whole photos, not the 16 px patches it was exported for
    with torch.no_grad():
        for got, want in zip(trunk.forward_blocks(x), net.encoder.trunk.forward_blocks(x), strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    (tmp_path / "context.json").write_text(json.dumps({"project_colour": True}))
    assert next(r for r in rows_for(tmp_path, tmp_path)[0] if r.name == "context").input_kind == "context"


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
    assert len(data["missing"]) == 6 and any(m.startswith("context:") for m in data["missing"])


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
