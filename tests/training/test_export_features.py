"""The two reference exports (random init, supervised) and the features card over the exported models."""

import json

import numpy as np
import pytest
import torch

from models.cards import load_card, read_card_file, sha256_of
from models.features_card import FeaturesCard
from models.runtime import load_session
from pretext.cli import main
from tests.training.helpers import with_random_statistics
from training.export_features import DEFAULT_BLOCK, write_features_card
from training.export_random import random_trunk
from training.supervised import SupervisedNet
from training.trunk_from_onnx import load_trunk

WIDTHS = (4, 6, 8, 8)


def test_the_random_export_is_the_transfer_tables_random_trunk(tmp_path):
    from training.evaluate_transfer import random_trunk as table_trunk

    assert main(["export", "random", "--out-dir", str(tmp_path)]) == 0
    card = read_card_file(tmp_path / "random.json")
    assert card.name == "random" and card.sha256 == sha256_of(tmp_path / "random.onnx")
    assert card.parity_max_abs_diff is not None and card.parity_max_abs_diff <= 1e-3
    x = torch.randn(2, 3, 48, 40)
    with torch.no_grad():
        want = table_trunk(0).forward_blocks(x)
        got = load_trunk(tmp_path / "random.onnx").forward_blocks(x)  # the module names survived the export
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-4, rtol=1e-4)
    session = load_session(tmp_path / "random.onnx", "cpu")
    out = session.run(None, {"image": x.numpy()})[0]
    np.testing.assert_allclose(out, want[-1].numpy(), atol=1e-4)
    assert not torch.equal(random_trunk(1).blocks[0][0].weight, random_trunk(0).blocks[0][0].weight)


def test_the_supervised_export_keeps_its_trunk_and_names_the_classes(tmp_path):
    torch.manual_seed(3)
    net = with_random_statistics(SupervisedNet(widths=WIDTHS))
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"model": net.state_dict(), "step": 7, "elapsed": 1.0, "images": 64, "config": {"steps": 7},
                "task": {"config": {"size": 64}}}, run / "checkpoint.pt")
    (run / "metrics.jsonl").write_text('{"kind": "val", "step": 7, "val_top1": 0.25}\n')
    out = tmp_path / "weights"
    assert main(["export", "supervised", "--run", str(run), "--out-dir", str(out)]) == 0
    card = json.loads((out / "supervised.json").read_text())
    assert card["version"] == "supervised-step7" and card["metrics"] == {"val_top1": 0.25}
    assert [c["name"] for c in card["classes"]][:2] == ["tench", "English springer"] and len(card["classes"]) == 10
    assert card["widths"] == list(WIDTHS) and card["outputs"]["logits"].startswith("float32 (B, 10)")
    x = torch.randn(3, 3, 40, 56)
    session = load_session(out / "supervised.onnx", "cpu")
    with torch.no_grad():
        np.testing.assert_allclose(session.run(None, {"image": x.numpy()})[0], net(x).numpy(), atol=1e-4)
        for got, want in zip(load_trunk(out / "supervised.onnx").forward_blocks(x), net.trunk.forward_blocks(x),
                             strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def transfer_report() -> dict:
    def row(model: str, kind: str, top1: list[float]) -> dict:
        return {"model": model, "input": kind, "blocks": [{"block": i + 1, "top1": t} for i, t in enumerate(top1)]}

    return {"size": 64, "grid": 4, "train_images": 100, "val_images": 50,
            "rows": [row("random init", "rgb", [0.6, 0.5, 0.4, 0.3]), row("rotation", "rgb", [0.5, 0.7, 0.65, 0.6]),
                     row("supervised", "rgb", [0.6, 0.7, 0.75, 0.8])]}


def test_the_features_card_takes_each_models_best_block_from_the_transfer_table(tmp_path):
    for name in ("random", "rotation", "context", "inpainting"):
        (tmp_path / f"{name}.onnx").write_bytes(name.encode())  # only their hashes are read here
    (tmp_path / "context.json").write_text(json.dumps({"training": {"defences": {"project_colour": False}}}))
    path = write_features_card(tmp_path, transfer_report(), "t.json", blocks={"inpainting": 3})
    card = load_card("features", tmp_path)
    assert isinstance(card, FeaturesCard) and path == tmp_path / "features.json"
    assert card.names == ["random", "rotation", "context", "inpainting"]  # the page's order; missing ones left out
    by = {m.name: m for m in card.models}
    assert (by["random"].block, by["random"].block_from, by["random"].top1) == (1, "transfer", 0.6)
    assert (by["rotation"].block, by["rotation"].input) == (2, "rgb")
    assert (by["context"].block, by["context"].block_from, by["context"].input) == (DEFAULT_BLOCK, "default", "tile")
    assert (by["inpainting"].block, by["inpainting"].block_from, by["inpainting"].input) == (3, "chosen", "masked")
    assert by["rotation"].sha256 == sha256_of(tmp_path / "rotation.onnx")
    assert card.file == "random.onnx"  # the card counts as installed while its first model is
    rows = {r["model"]: r for r in card.transfer["rows"]}
    assert rows["random init"]["name"] == "random" and rows["supervised"]["name"] is None  # not exported here
    assert rows["supervised"]["best_block"] == 4 and card.transfer["val_images"] == 50

    (tmp_path / "context.json").write_text(json.dumps({"project_colour": True}))
    assert load_card("features", tmp_path).source("context").input == "tile"  # not rewritten until exported again
    assert main(["export", "features", "--weights", str(tmp_path), "--transfer", str(tmp_path / "none.json")]) == 0
    fresh = load_card("features", tmp_path)
    assert fresh.source("context").input == "context" and fresh.source("random").block == DEFAULT_BLOCK


def test_no_models_no_card(tmp_path):
    with pytest.raises(ValueError, match="no model"):
        write_features_card(tmp_path, None)
    assert main(["export", "features", "--weights", str(tmp_path)]) == 1
    assert not (tmp_path / "features.json").exists()
