"""``pretext export context``: a checkpoint -> ONNX + card that serve exactly what the network computes."""

import json
from dataclasses import asdict

import numpy as np
import pytest
import torch

from models.cards import ContextCard, read_card_file
from models.context import N_POSITIONS, PatchBox, neighbour_box, positions_table
from models.context_model import ContextModel
from pretext.cli import main
from tests.imagecorpus import photo
from tests.training.helpers import with_random_statistics
from training.context import ContextConfig, make_pairs
from training.export_context import export_run, make_net
from training.trunk_from_onnx import load_trunk

WIDTHS = (8, 12, 16, 20)
VAL = {"kind": "val", "step": 7, "val_accuracy": 0.25}


def write_run(run_dir, cfg: ContextConfig, step: int = 7) -> torch.nn.Module:
    """A run folder as training.loop leaves it: checkpoint.pt and metrics.jsonl; the network saved in it."""
    torch.manual_seed(0)
    net = with_random_statistics(make_net(cfg))
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.save({"model": net.state_dict(), "optimizer": {}, "step": step, "elapsed": 12.5, "images": step * 8,
                "config": {"steps": 10, "batch_size": 8}, "task": {"config": asdict(cfg)}}, run_dir / "checkpoint.pt")
    rows = [{"kind": "train", "step": 5, "loss": 2.0}, {"kind": "val", "step": 5, "val_accuracy": 0.2}, VAL]
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return net


def config(project_colour: bool = True) -> ContextConfig:
    return ContextConfig(patch=16, gap=6, jitter=2, project_colour=project_colour, channel_drop_prob=0.4,
                         widths=WIDTHS, dim=16, hidden=24, image_size=64)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("context-export")
    cfg = config()
    net = write_run(root / "run", cfg)
    return export_run(root / "run", root / "models"), net, cfg


def test_the_card_holds_the_geometry_the_defences_the_positions_and_the_last_validation(exported):
    done, net, cfg = exported
    card = read_card_file(done.card)
    assert isinstance(card, ContextCard) and done.onnx.name == "context.onnx" and card.file == "context.onnx"
    assert (card.name, card.task, card.version) == ("context", "context", "context-step7")
    assert (card.patch, card.gap, card.jitter, card.project_colour, card.channel_drop_prob) == (16, 6, 2, True, 0.4)
    assert card.gap_ratio == pytest.approx(6 / 16)
    assert [p.model_dump() for p in card.positions] == positions_table()
    assert list(card.inputs) == ["patches"] and "(B, 2, 3, 16, 16)" in card.inputs["patches"]
    assert list(card.outputs) == ["logits"] and "(B, 8)" in card.outputs["logits"]
    assert card.parity_max_abs_diff is not None and card.parity_max_abs_diff <= 1e-3
    assert card.parameters == sum(p.numel() for p in net.parameters())
    assert card.metrics["validation"] == {"step": 7, "val_accuracy": 0.25}
    training = card.training
    assert training["steps"] == 7 and training["config"]["gap"] == 6 and training["loop"]["batch_size"] == 8
    assert training["defences"] == cfg.defences() and training["images_seen"] == 56


@pytest.mark.parametrize("project_colour", [True, False])
def test_serving_a_photo_gives_what_the_network_gives_on_trainings_validation_pairs(tmp_path, project_colour):
    cfg = config(project_colour)
    net = write_run(tmp_path / "run", cfg).eval()
    export_run(tmp_path / "run", tmp_path / "models")
    model = ContextModel(root=tmp_path / "models", device="cpu")
    assert model.card.project_colour is project_colour
    geom, size = cfg.geometry, cfg.image_size
    # training.context.cut_pairs without rng: the grid centred in the photo, no jitter.
    lo, hi = geom.step + geom.jitter, size - geom.patch - geom.step - geom.jitter
    centre = PatchBox((lo + hi) // 2, (lo + hi) // 2, geom.patch)
    images = np.stack([photo(size, size, seed=s) for s in range(N_POSITIONS)])
    labels = np.arange(N_POSITIONS)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(make_pairs(images, labels, None, cfg))), dim=1).numpy()
    for img, label, want in zip(images, labels, expected, strict=True):
        out = model.predict(img, centre, neighbour_box(centre, int(label), model.gap_ratio))
        assert out.truth == label
        np.testing.assert_allclose(out.probabilities, want, atol=1e-4)


def test_the_trunk_is_found_again_in_the_export(exported):
    done, net, _ = exported
    trunk = load_trunk(done.onnx)
    assert trunk.widths == WIDTHS and trunk.blocks[0][0].in_channels == 3
    x = torch.randn(3, 3, 24, 32)  # another size than the patches'
    with torch.no_grad():
        for got, want in zip(trunk.forward_blocks(x), net.encoder.trunk.forward_blocks(x), strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_the_command_exports_a_run_and_a_missing_run_exits_1(tmp_path, capsys):
    write_run(tmp_path / "run", config(), step=3)
    assert main(["export", "context", "--run", str(tmp_path / "run"), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["onnx"] == str(tmp_path / "out" / "context.onnx") and summary["parity_max_abs_diff"] <= 1e-3
    assert json.loads((tmp_path / "out" / "context.json").read_text())["version"] == "context-step3"
    assert main(["export", "context", "--run", str(tmp_path / "nothing"), "--out-dir", str(tmp_path / "o2")]) == 1
    assert "checkpoint.pt" in capsys.readouterr().err and not (tmp_path / "o2" / "context.json").exists()
