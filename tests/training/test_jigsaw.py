"""Jigsaw task, tiny training runs, ONNX export parity, the CLI and evaluation on real data."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.settings import get_settings
from models import jigsaw as J
from pretext import jigsaw as jigsaw_cli
from training import evaluate_jigsaw, export_jigsaw, train_jigsaw
from training.errors import TrainingConfigError
from training.jigsaw import JigsawConfig, JigsawTask, make_puzzles, stretched_crops

TINY = dict(
    tile=16, cell=19, image_size=64, widths=(8, 16, 16, 16), dim=32, hidden=64, cell_width=16, limit=16, val_images=8
)
TRAIN_ARGS = [
    "--tile",
    "16",
    "--cell",
    "19",
    "--image-size",
    "64",
    "--widths",
    "8,16,16,16",
    "--dim",
    "32",
    "--hidden",
    "64",
    "--cell-width",
    "16",
    "--limit",
    "16",
    "--val-images",
    "8",
    "--batch-size",
    "8",
    "--threads",
    "1",
    "--device",
    "cpu",
    "--log-every",
    "1",
    "--validate-every",
    "3",
    "--checkpoint-every",
    "3",
]


@pytest.fixture(scope="module")
def env(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Settings with this module's own cache and models folders (tiny 64 px caches of 16 images)."""
    root = tmp_path_factory.mktemp("jigsaw")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRETEXT_CACHE_DIR", str(root / "cache"))
        mp.setenv("PRETEXT_MODELS_DIR", str(root / "models"))
        get_settings.cache_clear()
        yield root
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def task(env) -> JigsawTask:
    return JigsawTask(JigsawConfig(**TINY, dropout=0.0))


def parse(add, argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add(p)
    return p.parse_args(argv)


@pytest.fixture(scope="module")
def run_dir(env) -> Path:
    """A 6-step training run through ``pretext train jigsaw``'s entry point."""
    out = env / "run"
    assert train_jigsaw.run(parse(train_jigsaw.add_arguments, [*TRAIN_ARGS, "--steps", "6", "--out", str(out)])) == 0
    return out


def test_puzzles_follow_the_permutation_convention(task):
    idx = np.arange(4)
    perms = J.uniform_permutations(np.random.default_rng(0), 4)
    ident = np.tile(J.IDENTITY, (4, 1))
    rng = np.random.default_rng(1)
    plain = make_puzzles(task.val_images, idx, ident, rng, task.cfg, train=False)
    shuffled = make_puzzles(task.val_images, idx, perms, rng, task.cfg, train=False)
    assert plain.shape == (4, 9, 3, 16, 16) and plain.dtype == np.float32
    for b in range(4):
        assert np.array_equal(shuffled[b], plain[b, perms[b]])  # position i holds cell perms[i]


def test_training_puzzles_are_augmented_and_normalised(task):
    cfg = JigsawConfig(**TINY, gray_prob=1.0, channel_drop_prob=0.0)
    perms = np.tile(J.IDENTITY, (6, 1))
    x = make_puzzles(task.train_images, np.arange(6), perms, np.random.default_rng(0), cfg, train=True)
    assert np.all(np.isfinite(x))
    assert np.allclose(x.mean(axis=(2, 3, 4)), 0, atol=1e-4)
    assert np.allclose(x[:, :, 0], x[:, :, 1]) and np.allclose(x[:, :, 1], x[:, :, 2])  # grayscale
    cfg = JigsawConfig(**TINY, gray_prob=0.0, channel_drop_prob=1.0, jitter=0.0, channel_shift=0)
    x = make_puzzles(task.train_images, np.arange(6), perms, np.random.default_rng(0), cfg, train=True)
    # Two of three channels are dropped to faint noise: one channel carries most of the variance.
    share = x.var(axis=(3, 4)).max(-1) / x.var(axis=(3, 4)).sum(-1)
    assert np.all(share > 0.9)


def coordinate_images(n: int, size: int) -> np.ndarray:
    """(n, size, size, 3) uint8 whose red channel is the column and green the row of each pixel."""
    ramp = np.arange(size, dtype=np.uint8)
    img = np.zeros((size, size, 3), dtype=np.uint8)
    img[..., 0] = ramp[None, :]
    img[..., 1] = ramp[:, None]
    return np.repeat(img[None], n, axis=0)


def test_stretched_crops_squeeze_windows_of_both_orientations_within_the_aspect():
    crops = stretched_crops(coordinate_images(200, 200), 60, np.random.default_rng(0), 1.5)
    assert crops.shape == (200, 60, 60, 3) and crops.dtype == np.uint8
    # The span of source columns and rows a crop covers is its window's width and height.
    width = crops[:, 30, -1, 0].astype(float) - crops[:, 30, 0, 0]
    height = crops[:, -1, 30, 1].astype(float) - crops[:, 0, 30, 1]
    ratio = width / height
    assert np.all(ratio < 1.5 * 1.05) and np.all(ratio > 1 / (1.5 * 1.05))
    assert (ratio > 1.3).any() and (ratio < 1 / 1.3).any()  # wide and tall windows both occur
    assert np.allclose(width * height, 60 * 60, rtol=0.1)  # about crop^2 source pixels each


def tile_aspects(images: np.ndarray, cfg: JigsawConfig) -> np.ndarray:
    """Training puzzles of coordinate images -> (N,) source width over height spanned by their tiles."""
    perms = np.tile(J.IDENTITY, (len(images), 1))
    x = make_puzzles(images, np.arange(len(images)), perms, np.random.default_rng(0), cfg, train=True)
    # Tiles are standardised jointly over channels, so the ratio of the two ramps survives.
    across = np.abs(x[:, :, 0, :, -1] - x[:, :, 0, :, 0]).mean(axis=(1, 2))  # red: source column
    down = np.abs(x[:, :, 1, -1, :] - x[:, :, 1, 0, :]).mean(axis=(1, 2))  # green: source row
    return across / down


def test_training_crops_are_squeezed_square_only_when_asked():
    images = coordinate_images(40, 64)
    cfg = {**TINY, "limit": None, "augment": False}
    assert np.allclose(tile_aspects(images, JigsawConfig(**cfg)), 1.0, atol=0.02)
    stretched = tile_aspects(images, JigsawConfig(**cfg, aspect=1.5))
    assert np.all(stretched < 1.5 * 1.1) and np.all(stretched > 1 / (1.5 * 1.1))
    assert (stretched > 1.2).any() and (stretched < 1 / 1.2).any()
    with pytest.raises(TrainingConfigError, match="aspect"):
        JigsawConfig(**TINY, aspect=0.8)
    assert train_jigsaw.task_config(parse(train_jigsaw.add_arguments, ["--aspect", "1.5"])).aspect == 1.5


def test_batches_carry_set_and_uniform_puzzles(task):
    tiles, classes, cells, uniform = task.batch(np.random.default_rng(0), 0, 8)
    assert tiles.shape == (8, 9, 3, 16, 16) and uniform.tolist() == [False] * 4 + [True] * 4
    assert np.all(classes[uniform].numpy() == -1)
    assert np.array_equal(cells[~uniform].numpy(), task.perms[classes[~uniform].numpy()])
    assert all(sorted(c) == list(range(9)) for c in cells.tolist())


def test_loss_sums_both_heads_and_falls_on_a_fixed_batch(task):
    torch.manual_seed(0)
    model = task.make_model()
    batch = task.batch(np.random.default_rng(0), 0, 8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss, extra = task.loss(model, batch)
        assert extra["perm_ce"] + extra["cell_ce"] == pytest.approx(float(loss.detach()), rel=1e-5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.7 * losses[0]


def test_training_run_logs_validates_and_resumes(run_dir):
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    val_rows = [r for r in rows if r["kind"] == "val"]
    assert len(train_rows) == 6 and all(np.isfinite(r["loss"]) for r in train_rows)
    assert [r["step"] for r in val_rows] == [3, 6]
    assert {"val_perm_top1", "val_perm_top5", "val_cell_solved_acc"} <= set(val_rows[-1])
    assert (run_dir / "checkpoint.pt").is_file() and (run_dir / "loss_curve.png").is_file()
    ck = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    assert ck["step"] == 6 and len(ck["task"]["permutations"]) == J.DEFAULT_SET_SIZE
    # Resuming continues from step 6 instead of starting again.
    args = parse(train_jigsaw.add_arguments, [*TRAIN_ARGS, "--steps", "7", "--out", str(run_dir)])
    assert train_jigsaw.run(args) == 0
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "train"][-2:] == [6, 7]


@pytest.fixture(scope="module")
def exported(env, run_dir) -> Path:
    models = env / "models"
    assert export_jigsaw.run(parse(export_jigsaw.add_arguments, ["--run", str(run_dir), "--out-dir", str(models)])) == 0
    return models


def test_export_writes_a_card_and_matches_pytorch_at_another_batch(exported, run_dir):
    import onnxruntime as ort

    from models.cards import sha256_of

    card = json.loads((exported / "jigsaw.json").read_text())
    onnx_file = exported / card["file"]
    assert card["sha256"] == sha256_of(onnx_file)
    assert card["tile_size"] == 16 and card["cell_size"] == 19
    assert np.array_equal(card["permutations"], J.permutation_set(J.DEFAULT_SET_SIZE, 0))
    assert card["permutation_set"]["min_hamming"] >= 6
    assert {"tiles"} == set(card["inputs"]) and {"perm_logits", "cell_logits"} == set(card["outputs"])
    model, ck = export_jigsaw.load_checkpoint(run_dir)
    assert card["parity_max_abs_diff"] < 1e-3 and card["training"]["steps"] == ck["step"]
    sess = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(5).standard_normal((3, 9, 3, 16, 16)).astype(np.float32)
    perm, cell = sess.run(["perm_logits", "cell_logits"], {"tiles": x})
    with torch.no_grad():
        want_perm, want_cell = model(torch.from_numpy(x))
    assert perm.shape == (3, 100) and cell.shape == (3, 9, 9)
    np.testing.assert_allclose(perm, want_perm.numpy(), atol=1e-4)
    np.testing.assert_allclose(cell, want_cell.numpy(), atol=1e-4)


def test_cli_solves_with_the_exported_model(exported, datasets_dir, tmp_path, capsys):
    photo = sorted((datasets_dir / "photos" / "kodak").glob("*.jpg"))[1]
    shuffled = tmp_path / "s.png"
    assert jigsaw_cli.run_shuffle(parse(jigsaw_cli.add_shuffle_arguments, [str(photo), "-o", str(shuffled)])) == 0
    capsys.readouterr()
    for method in ("perm", "cell"):
        args = parse(jigsaw_cli.add_solve_arguments, [str(shuffled), str(photo), "--json", "--method", method])
        assert jigsaw_cli.run_solve(args) == 0
        recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert [r["file"] for r in recs] == [str(shuffled), str(photo)]
        for r in recs:
            assert sorted(r["permutation"]) == list(range(9)) and len(r["confidence"]) == 9


def test_evaluation_writes_markdown_and_json(exported, env):
    out = env / "eval"
    args = parse(
        evaluate_jigsaw.add_arguments, ["--out", str(out), "--val-images", "8", "--photos-limit", "2", "--limit", "16"]
    )
    assert evaluate_jigsaw.run(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["imagenette_val"]["images"] == 8 and 0 <= report["imagenette_val"]["top5"] <= 1
    methods = report["photos"]["methods"]
    assert set(methods) == {"perm x1", "perm iterated", "cell", "cell + flip"} and report["photos"]["photos"] == 2
    assert all(0 <= m["tile_accuracy"] <= 1 for m in methods.values())
    assert "| cell |" in (out / "report.md").read_text()
    variants = report["shortcut_variants"]
    assert list(variants) == [label for label, *_ in evaluate_jigsaw.TILE_VARIANTS]
    # Served at training's ratio, the first variant is the same cell-head solve as the table above.
    assert report["solver"]["tile_ratio"] == pytest.approx(16 / 19)
    assert variants["training's gap + per-tile normalisation"] == pytest.approx(methods["cell"]["tile_accuracy"])
    assert set(report["imagenette_val_uniform"]) == {
        "tile ratio 0.84", "tile ratio 0.84 + flip", "tile ratio 1.00", "tile ratio 1.00 + flip",
        "tile ratio 0.84, 3:2 and 2:3 crops, square fit", "tile ratio 0.84, 3:2 and 2:3 crops, stretch fit",
    }
    assert "no gap (whole cells)" in (out / "report.md").read_text()


def test_joint_normalisation_keeps_brightness_differences_between_tiles():
    tiles = np.stack([np.full((4, 4, 3), 50 + 20 * i, np.uint8) for i in range(9)])
    tiles[..., 0] += np.arange(4, dtype=np.uint8)  # some texture, so per-tile std is not zero
    joint = evaluate_jigsaw.normalise_jointly(tiles)
    assert joint.shape == (9, 3, 4, 4) and joint[8].mean() > joint[0].mean() + 1.0
    per_tile = J.normalise_tiles(tiles)
    assert abs(per_tile[8].mean() - per_tile[0].mean()) < 1e-5


def test_served_solver_settings_reach_the_serving_spec(run_dir, tmp_path):
    from models.jigsaw_model import JigsawModel

    args = ["--run", str(run_dir), "--out-dir", str(tmp_path), "--solver-flip", "--serve-tile-ratio", "1.0",
            "--serve-cell-fit", "stretch"]
    assert export_jigsaw.run(parse(export_jigsaw.add_arguments, args)) == 0
    model = JigsawModel(root=tmp_path, device="cpu")
    assert model.spec.flip is True and model.spec.ratio == 1.0 and model.spec.cell_fit == "stretch"
    assert model.card.tile_ratio == pytest.approx(16 / 19)  # training's ratio stays on record
    bad = ["--run", str(run_dir), "--out-dir", str(tmp_path / "bad"), "--serve-tile-ratio", "1.5"]
    assert export_jigsaw.run(parse(export_jigsaw.add_arguments, bad)) == 1


# --- neighbour head -------------------------------------------------------------------------------


def test_whole_cells_are_the_adjacent_cells_of_one_crop_or_its_mirror():
    from training.jigsaw import whole_cells

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 57, 57, 3), dtype=np.uint8)
    cfg = JigsawConfig(**{**TINY, "image_size": 57, "neighbour_strip": 4, "augment": False})
    cells = whole_cells(images, np.arange(6), rng, cfg)
    assert cells.shape == (6, 9, 3, 16, 16)

    def as_cells(img: np.ndarray, y: int, x: int) -> np.ndarray:
        """The 9 whole 16 px cells of the 48 px window at (y, x), normalised."""
        return J.normalise_tiles(np.stack([img[y + 16 * (c // 3):y + 16 * (c // 3 + 1),
                                               x + 16 * (c % 3):x + 16 * (c % 3 + 1)] for c in range(9)]))

    mirrored = 0
    for img, got in zip(images, cells, strict=True):
        found = [flip for flip in (False, True) for y in range(10) for x in range(10)
                 if np.allclose(got, as_cells(img[:, ::-1] if flip else img, y, x), atol=1e-4)]
        assert len(found) == 1  # one window, cut into adjacent cells with no gaps
        mirrored += int(found[0])
    assert 0 < mirrored < 6


def test_neighbour_pairs_label_exactly_the_seams_of_the_grid():
    from training.jigsaw import neighbour_pairs

    k, a, b, below, y = neighbour_pairs(np.random.default_rng(0), 5, negatives=10)
    assert len(k) == 5 * 2 * (6 + 10) and set(k.tolist()) == set(range(5))
    seams = {(False, int(p), int(q)) for p, q in J.RIGHT_OF} | {(True, int(p), int(q)) for p, q in J.BELOW}
    for d, p, q, label in zip(below, a, b, y, strict=True):
        assert p != q and (bool(label) == ((bool(d), int(p), int(q)) in seams))
    assert y.sum() == 5 * 12


def test_neighbour_head_scores_every_ordered_pair_as_its_pair_logits():
    from training.jigsaw_net import NeighbourHead

    torch.manual_seed(0)
    head = NeighbourHead(strip=3, width=8).eval()
    tiles = torch.randn(2, 9, 3, 12, 12)
    with torch.no_grad():
        all_pairs = head(tiles)
        i, j = torch.tensor([0, 4, 8, 2]), torch.tensor([1, 3, 0, 5])
        for d in (False, True):
            one = head.pair_logits(tiles[1, i], tiles[1, j], torch.full((4,), d))
            torch.testing.assert_close(all_pairs[1, int(d), i, j], one)
    assert all_pairs.shape == (2, 2, 9, 9)


def test_neighbour_config_is_checked():
    with pytest.raises(TrainingConfigError):
        JigsawConfig(**TINY, neighbours_only=True)
    with pytest.raises(TrainingConfigError):
        JigsawConfig(**TINY, neighbour_strip=9)  # more than half a 16 px tile


@pytest.fixture(scope="module")
def neighbour_export(env, exported) -> Path:
    """The tiny export continued with a fresh neighbour head trained alone for 4 steps, exported again."""
    run = env / "neighbours"
    args = [*TRAIN_ARGS, "--steps", "4", "--neighbour-strip", "4", "--neighbour-width", "8", "--neighbours-only",
            "--init-from", str(exported / "jigsaw.onnx"), "--out", str(run)]
    assert train_jigsaw.run(parse(train_jigsaw.add_arguments, args)) == 0
    out = env / "models-neighbours"
    args = ["--run", str(run), "--out-dir", str(out), "--serve-tile-ratio", "1.0", "--serve-cell-weight", "0.5"]
    assert export_jigsaw.run(parse(export_jigsaw.add_arguments, args)) == 0
    return out


def test_a_neighbour_head_run_leaves_the_pretext_heads_as_exported(exported, neighbour_export):
    import onnxruntime as ort

    old = ort.InferenceSession(str(exported / "jigsaw.onnx"), providers=["CPUExecutionProvider"])
    new = ort.InferenceSession(str(neighbour_export / "jigsaw.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in new.get_outputs()] == ["perm_logits", "cell_logits", "neighbour_logits"]
    x = np.random.default_rng(2).standard_normal((3, 9, 3, 16, 16)).astype(np.float32)
    before, after = old.run(None, {"tiles": x}), new.run(None, {"tiles": x})
    np.testing.assert_allclose(after[0], before[0], atol=1e-5)
    np.testing.assert_allclose(after[1], before[1], atol=1e-5)
    assert after[2].shape == (3, 2, 9, 9) and np.isfinite(after[2]).all()
    card = json.loads((neighbour_export / "jigsaw.json").read_text())
    assert card["solver"]["default_method"] == "neighbours" and card["solver"]["cell_weight"] == 0.5
    assert "neighbour_logits" in card["outputs"] and card["parity_max_abs_diff"] < 1e-3
    assert card["training"]["initialised_from"]["onnx"] == str(exported / "jigsaw.onnx")
    # Only the neighbour head trains, so validation measures only it.
    assert set(card["metrics"]["validation"]) == {"step", "val_neighbour_solved_acc"}


def test_neighbours_method_is_served_solved_and_evaluated(neighbour_export, env, datasets_dir, tmp_path, capsys,
                                                          monkeypatch):
    from models.jigsaw_model import JigsawModel

    model = JigsawModel(root=neighbour_export, device="cpu")
    assert model.has_neighbours and model.spec.default_method == "neighbours" and model.spec.cell_weight == 0.5
    photo = sorted((datasets_dir / "photos" / "kodak").glob("*.jpg"))[1]
    shuffled = tmp_path / "s.png"
    assert jigsaw_cli.run_shuffle(parse(jigsaw_cli.add_shuffle_arguments, [str(photo), "-o", str(shuffled)])) == 0
    capsys.readouterr()
    monkeypatch.setenv("PRETEXT_MODELS_DIR", str(neighbour_export))
    get_settings.cache_clear()
    assert jigsaw_cli.run_solve(parse(jigsaw_cli.add_solve_arguments, [str(shuffled), "--json"])) == 0
    rec = json.loads(capsys.readouterr().out)
    assert sorted(rec["permutation"]) == list(range(9)) and len(rec["confidence"]) == 9
    out = env / "eval-neighbours"
    args = ["--out", str(out), "--val-images", "4", "--photos-limit", "2", "--limit", "16",
            "--neighbour-val-images", "3"]
    assert evaluate_jigsaw.run(parse(evaluate_jigsaw.add_arguments, args)) == 0
    get_settings.cache_clear()
    report = json.loads((out / "report.json").read_text())
    assert {"neighbours", "neighbours + flip"} <= set(report["photos"]["methods"])
    labels = report["imagenette_val_neighbours"]
    assert len(labels) == 2 * 2 * len(evaluate_jigsaw.CELL_WEIGHTS) and report["neighbour_val_images"] == 3
    assert all(0 <= v <= 1 for v in labels.values())
    assert "## Neighbours method" in (out / "report.md").read_text()
    assert list(report["imagenette_val_jpeg"]) == ["served (neighbours), lossless",
                                                   "served (neighbours), JPEG quality 75"]
