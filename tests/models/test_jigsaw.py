"""Jigsaw maths, solver and CLI conventions (numpy + onnxruntime side; no torch, no trained weights)."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import jigsaw as J
from models.jigsaw_model import JigsawSpec, solve_image
from pretext import jigsaw as jigsaw_cli
from tests.imagecorpus import photo

ROOT = Path(__file__).resolve().parents[2]


# --- permutation set --------------------------------------------------------------------------


def test_permutation_set_is_deterministic_valid_and_far_apart():
    perms = J.permutation_set(100, 0)
    assert perms.shape == (100, 9) and perms.dtype == np.int64
    assert np.array_equal(perms[0], J.IDENTITY)
    assert all(np.array_equal(np.sort(p), J.IDENTITY) for p in perms)
    assert len({tuple(p) for p in perms}) == 100
    assert np.array_equal(perms, J.permutation_set(100, 0))
    assert not np.array_equal(perms, J.permutation_set(100, 1))
    # Greedy max-min keeps every pair at least 6 apart; the paper's max-average pick does not.
    assert J.min_hamming(perms) >= 6
    assert J.hamming_matrix(perms).sum() / (100 * 99) > 7.9


def test_small_sets_reach_the_largest_possible_distance():
    # Nine permutations can be pairwise disjoint (a Latin square), and the greedy pick finds it.
    assert J.min_hamming(J.permutation_set(9, 3)) == 9
    assert J.min_hamming(J.permutation_set(9, 3)[:5]) == 9


def test_permutation_helpers():
    rng = np.random.default_rng(0)
    perms = J.uniform_permutations(rng, 50)
    assert all(np.array_equal(np.sort(p), J.IDENTITY) for p in perms)
    p = perms[0]
    assert np.array_equal(J.inverse(p)[p], J.IDENTITY)
    assert J.hamming(p, p) == 0
    with pytest.raises(ValueError):
        J.check_permutation([0, 1, 2, 3, 4, 5, 6, 7, 7])
    with pytest.raises(ValueError):
        J.permutation_set(0)


# --- tiling geometry --------------------------------------------------------------------------


def cell_coded(h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 whose every pixel holds the index of its 3x3 cell (h, w multiples of 3)."""
    rows = np.repeat(np.arange(3), h // 3)[:, None]
    cols = np.repeat(np.arange(3), w // 3)[None, :]
    return np.repeat((rows * 3 + cols).astype(np.uint8)[..., None], 3, axis=-1)


def test_crop_split_join():
    img = photo(77, 100)
    cropped = J.crop_to_grid(img)
    assert cropped.shape == (99, 75, 3)
    assert np.array_equal(cropped, img[:99, :75])
    cells = J.split_cells(cropped)
    assert cells.shape == (9, 33, 25, 3)
    assert np.array_equal(cells[5], cropped[33:66, 50:75])  # row 1, column 2
    assert np.array_equal(J.join_cells(cells), cropped)
    with pytest.raises(ValueError):
        J.crop_to_grid(np.zeros((2, 9, 3), np.uint8))


def test_shuffle_convention_and_unshuffle():
    img = cell_coded(30, 45)
    perm = np.array([4, 0, 8, 2, 6, 1, 3, 7, 5])
    shuffled = J.shuffle_image(img, perm)
    # The tile at position i comes from original cell perm[i].
    assert [int(c[0, 0, 0]) for c in J.split_cells(shuffled)] == perm.tolist()
    assert np.array_equal(J.unshuffle_image(shuffled, perm), img)


def test_geometry_gap_and_ratio():
    g = J.TileGeometry(32, 38)
    assert (g.crop, g.max_offset, g.gap_range()) == (114, 6, (0, 12))
    assert g.ratio == pytest.approx(32 / 38)
    with pytest.raises(ValueError):
        J.TileGeometry(40, 38)


def test_tiles_stay_in_their_cells_with_gaps_in_range():
    g = J.TileGeometry(8, 11)
    n, size = 20, 40
    y, x = np.mgrid[0:size, 0:size]
    coords = np.broadcast_to(np.stack([y, x, y * 0], -1), (n, size, size, 3)).astype(np.int64)
    rng = np.random.default_rng(1)
    offsets = J.random_offsets(rng, n, g)
    assert offsets.min() >= 0 and offsets.max() <= g.max_offset
    y0, x0 = rng.integers(0, size - g.crop + 1, n), rng.integers(0, size - g.crop + 1, n)
    top, left = J.grid_corners(g, offsets, y0, x0)
    tiles = J.cut_tiles(coords, top, left, g.tile)  # (n, 9, t, t, 3) of (y, x, 0)
    assert tiles.shape == (n, 9, 8, 8, 3)
    for c in range(9):
        cy, cx = y0 + (c // 3) * g.cell, x0 + (c % 3) * g.cell
        ty, tx = tiles[:, c, ..., 0], tiles[:, c, ..., 1]
        assert np.all(ty >= cy[:, None, None]) and np.all(ty < (cy + g.cell)[:, None, None])
        assert np.all(tx >= cx[:, None, None]) and np.all(tx < (cx + g.cell)[:, None, None])
    gaps = left[:, 1] - (left[:, 0] + g.tile)
    lo, hi = g.gap_range()
    assert gaps.min() >= lo and gaps.max() <= hi


def test_per_channel_corners_shift_channels_independently():
    img = np.arange(12 * 12 * 3).reshape(1, 12, 12, 3)
    top = np.zeros((1, 9, 3), np.int64)
    left = np.zeros((1, 9, 3), np.int64)
    top[0, 0, 2] = 1  # blue channel of tile 0 one row lower
    tiles = J.cut_tiles(img, top, left, 4)
    assert np.array_equal(tiles[0, 0, ..., 0], img[0, :4, :4, 0])
    assert np.array_equal(tiles[0, 0, ..., 2], img[0, 1:5, :4, 2])


def test_image_tiles_are_square_centred_and_from_the_right_cell():
    img = cell_coded(300, 201) * 20  # cells 100 x 67
    tiles = J.image_tiles(img, 16, 0.84)
    assert tiles.shape == (9, 16, 16, 3) and tiles.dtype == np.uint8
    assert [int(t[8, 8, 0]) for t in tiles] == [20 * c for c in range(9)]
    assert all(np.all(t == t[0, 0]) for t in tiles)  # the square never crosses into a neighbour


def test_stretch_fit_keeps_the_ends_of_wide_cells_that_the_square_fit_cuts_off():
    img = cell_coded(201, 300) * 20  # cells 67 x 100
    for c in range(3):
        img[:, c * 100 : c * 100 + 10, 1] = 255  # each cell's left end
        img[:, c * 100 + 90 : c * 100 + 100, 1] = 255  # and its right end
    square = J.image_tiles(img, 16, 1.0, "square")
    stretch = J.image_tiles(img, 16, 1.0, "stretch")
    assert [int(t[8, 8, 0]) for t in stretch] == [20 * c for c in range(9)]  # still the right cells
    assert np.all(square[..., 1] != 255)
    assert np.all(stretch[:, :, 0, 1] == 255) and np.all(stretch[:, :, -1, 1] == 255)


def test_square_cells_give_the_same_tiles_with_either_fit():
    img = photo(99, 99)
    assert np.array_equal(J.image_tiles(img, 16, 0.84, "square"), J.image_tiles(img, 16, 0.84, "stretch"))


def test_an_unknown_cell_fit_is_refused():
    with pytest.raises(ValueError, match="cell fit"):
        J.image_tiles(photo(99, 99), 16, 1.0, "squash")


def test_normalise_tiles_standardises_each_tile():
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (2, 9, 6, 6, 3)).astype(np.uint8)
    tiles[0, 3] = 77  # a flat tile
    x = J.normalise_tiles(tiles)
    assert x.shape == (2, 9, 3, 6, 6) and x.dtype == np.float32
    assert np.all(np.isfinite(x)) and np.allclose(x[0, 3], 0, atol=1e-3)
    assert np.allclose(x[1].mean(axis=(1, 2, 3)), 0, atol=1e-5)
    assert np.allclose(x[1].std(axis=(1, 2, 3)), 1, atol=1e-2)
    # Brightness and contrast of a tile do not matter.
    assert np.allclose(J.normalise_tiles(tiles[1] / 510 + 0.2), x[1], atol=2e-2)


# --- solver -----------------------------------------------------------------------------------


def test_assignment_resolves_conflicting_preferences():
    # Tiles 0 and 1 both prefer cell 0; tile 1 prefers it less strongly than cell 1 costs it.
    s = np.full((9, 9), -10.0)
    np.fill_diagonal(s, 0.0)
    s[1, 0], s[1, 1] = 1.0, 0.5
    sol = J.assign(s)
    assert np.array_equal(sol.permutation, J.IDENTITY)
    assert sol.confidence.shape == (9,) and np.all((sol.confidence > 0) & (sol.confidence <= 1))
    assert sol.confidence[1] < sol.confidence[0]
    with pytest.raises(ValueError):
        J.assign(np.zeros((9, 8)))


def test_cell_head_path_recovers_a_known_shuffle():
    rng = np.random.default_rng(0)
    for _ in range(20):
        perm = J.uniform_permutations(rng, 1)[0]
        logits = rng.normal(0, 1, (9, 9))
        logits[J.IDENTITY, perm] += 4.0
        sol = J.solve_outputs(np.zeros(100), logits, J.permutation_set(), "cell")
        assert np.array_equal(sol.permutation, perm)


def test_marginal_is_doubly_stochastic_and_perm_path_recovers_set_members():
    perms = J.permutation_set(100, 0)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(100))
    m = J.marginal_cell_probs(probs, perms)
    assert np.allclose(m.sum(0), 1) and np.allclose(m.sum(1), 1)
    for k in (0, 17, 99):
        logits = rng.normal(0, 0.5, 100)
        logits[k] += 5.0
        sol = J.solve_outputs(logits, np.zeros((9, 9)), perms, "perm")
        assert np.array_equal(sol.permutation, perms[k])
    with pytest.raises(ValueError):
        J.solve_outputs(logits, np.zeros((9, 9)), perms, "oracle")


def coded_tiles(perm: np.ndarray) -> np.ndarray:
    """(9, 3, 2, 2) tiles whose values are the cell they come from (an oracle can read them)."""
    return np.broadcast_to(perm[:, None, None, None], (9, 3, 2, 2)).astype(np.float32)


def test_iteration_composes_answers_in_the_right_order():
    perms = J.permutation_set(100, 0)
    a, b = perms[7], perms[42]
    target = b[a]  # a shuffle outside the set: x[i] comes from cell b[a[i]]
    assert not any(np.array_equal(target, p) for p in perms)

    def lazy_oracle(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Knows only set members exactly; for anything else it answers a.
        shown = y[0, :, 0, 0, 0].astype(int)
        hit = [k for k, p in enumerate(perms) if np.array_equal(p, shown)]
        logits = np.full((1, 100), -20.0)
        logits[0, hit[0] if hit else 7] = 20.0
        return logits, np.zeros((1, 9, 9))

    x = coded_tiles(target)
    once = J.solve_tiles(x, lazy_oracle, perms, "perm", rounds=1)
    assert np.array_equal(once.permutation, a)
    solved = J.solve_tiles(x, lazy_oracle, perms, "perm", rounds=5)
    assert np.array_equal(solved.permutation, target)
    assert solved.rounds == 3  # a, then b, then the identity says "solved"
    assert np.all(solved.confidence > 0.99)


def test_iterating_the_marginal_solver_does_not_hurt_on_a_soft_oracle():
    perms = J.permutation_set(100, 0)

    def soft_oracle(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shown = y[0, :, 0, 0, 0].astype(int)
        return (-1.0 * J.hamming(perms, shown))[None], np.zeros((1, 9, 9))

    rng = np.random.default_rng(0)
    acc = {1: [], 3: []}
    for perm in J.uniform_permutations(rng, 40):
        for r in acc:
            acc[r].append(np.mean(J.solve_tiles(coded_tiles(perm), soft_oracle, perms, "perm", r).permutation == perm))
    assert np.mean(acc[3]) >= np.mean(acc[1]) > 0.6


# --- serving path and CLI conventions ---------------------------------------------------------


class OracleModel:
    """Stands in for JigsawModel: scores tiles by their distance to the original image's tiles."""

    def __init__(self, original: np.ndarray, tile: int = 12, ratio: float = 0.84) -> None:
        perms = J.permutation_set(100, 0)
        self.spec = JigsawSpec(tile=tile, ratio=ratio, permutations=perms)
        self.reference = J.normalise_tiles(J.image_tiles(original, tile, ratio))  # (9, 3, t, t)

    def run(self, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = ((tiles[:, :, None] - self.reference[None, None]) ** 2).mean(axis=(3, 4, 5))  # (B, 9, 9)
        cell_logits = -10.0 * d
        shown = d.argmin(-1)  # (B, 9)
        perm_logits = -3.0 * J.hamming(self.spec.permutations[None], shown[:, None])
        return perm_logits.astype(np.float32), cell_logits.astype(np.float32)

    def solve(self, rgb8: np.ndarray, method: str | None = None, rounds: int | None = None) -> J.Solution:
        return solve_image(rgb8, self.run, self.spec, method, rounds)


@pytest.fixture
def real_photo(datasets_dir: Path) -> Path:
    return sorted((datasets_dir / "photos" / "kodak").glob("*.jpg"))[0]


def parse(parser_fn, argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    parser_fn(p)
    return p.parse_args(argv)


# The cell oracle solves any shuffle; the permutation oracle only knows its set's members.
SET_MEMBER = ",".join(map(str, J.permutation_set(100, 0)[17]))


@pytest.mark.parametrize(("method", "how"), [("cell", ["--seed", "3"]), ("perm", ["--permutation", SET_MEMBER])])
def test_shuffle_then_solve_round_trips_through_the_cli(real_photo, tmp_path, monkeypatch, capsys, method, how):
    from models.imageio import load_image

    original = J.crop_to_grid(load_image(real_photo))
    monkeypatch.setattr("models.jigsaw_model.JigsawModel", lambda *a, **k: OracleModel(original))
    shuffled = tmp_path / "shuffled.png"
    assert (
        jigsaw_cli.run_shuffle(parse(jigsaw_cli.add_shuffle_arguments, [str(real_photo), "-o", str(shuffled), *how]))
        == 0
    )
    line = json.loads(capsys.readouterr().out)
    perm = line["permutation"]
    assert sorted(perm) == list(range(9)) and perm != list(range(9))
    assert line["file"] == str(shuffled)
    out_dir = tmp_path / "solved"
    args = parse(
        jigsaw_cli.add_solve_arguments, [str(shuffled), "--json", "--method", method, "--unshuffle", str(out_dir)]
    )
    assert jigsaw_cli.run_solve(args) == 0
    rec = json.loads(capsys.readouterr().out.strip())
    assert set(rec) == {"file", "permutation", "confidence"}
    assert rec["permutation"] == perm and rec["file"] == str(shuffled)
    assert len(rec["confidence"]) == 9 and all(0 <= c <= 1 for c in rec["confidence"])
    solved = np.asarray(Image.open(out_dir / "shuffled-solved.png"))
    assert np.array_equal(solved, original)


def test_shuffle_seed_and_explicit_permutation(tmp_path, capsys):
    src = tmp_path / "p.png"
    Image.fromarray(cell_coded(31, 47) * 25).save(src)  # not multiples of 3: cropped to 30 x 45
    outs = []
    for name in ("a.png", "b.png"):
        args = parse(jigsaw_cli.add_shuffle_arguments, [str(src), "-o", str(tmp_path / name), "--seed", "9"])
        assert jigsaw_cli.run_shuffle(args) == 0
        outs.append(json.loads(capsys.readouterr().out)["permutation"])
    assert outs[0] == outs[1]
    perm = "8,7,6,5,4,3,2,1,0"
    args = parse(jigsaw_cli.add_shuffle_arguments, [str(src), "-o", str(tmp_path / "c.png"), "--permutation", perm])
    assert jigsaw_cli.run_shuffle(args) == 0
    out = np.asarray(Image.open(tmp_path / "c.png"))
    assert out.shape == (30, 45, 3)
    assert [int(c[0, 0, 0]) // 25 for c in J.split_cells(out)] == [8, 7, 6, 5, 4, 3, 2, 1, 0]
    bad = parse(jigsaw_cli.add_shuffle_arguments, [str(src), "-o", str(tmp_path / "d.png"), "--permutation", "1,2"])
    assert jigsaw_cli.run_shuffle(bad) == 1


def test_solve_reports_bad_files_and_continues(tmp_path, monkeypatch, capsys):
    img = photo(90, 60)
    good = tmp_path / "good.png"
    Image.fromarray(img).save(good)
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    monkeypatch.setattr("models.jigsaw_model.JigsawModel", lambda *a, **k: OracleModel(img))
    files = [str(tmp_path / "bad.jpg"), str(tmp_path / "missing.png"), str(good)]
    assert jigsaw_cli.run_solve(parse(jigsaw_cli.add_solve_arguments, [*files, "--json"])) == 1
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["file"] for x in lines] == [str(good)]
    assert lines[0]["permutation"] == list(range(9))
    assert "bad.jpg" in err and "missing.png" in err


def test_solve_without_a_model_fails_clearly(tmp_path, isolated_settings, capsys):
    f = tmp_path / "x.png"
    Image.fromarray(photo(30, 30)).save(f)
    assert jigsaw_cli.run_solve(parse(jigsaw_cli.add_solve_arguments, [str(f)])) == 2
    assert "jigsaw" in capsys.readouterr().err


def test_serving_modules_never_import_torch():
    code = (
        "import sys, models.jigsaw, models.jigsaw_model, pretext.jigsaw; "
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def ramp_coded_tiles(perm: np.ndarray) -> np.ndarray:
    """(9, 3, 2, 2) tiles: channel 0 holds the source cell, channel 1 rises left to right."""
    tiles = np.zeros((9, 3, 2, 2), np.float32)
    tiles[:, 0] = perm[:, None, None]
    tiles[:, 1] = np.array([0.0, 1.0])
    return tiles


def mirror_aware_runner(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weak, misleading evidence on upright tiles; strong evidence on mirrored ones, in mirrored cells."""
    cells = np.rint(x[0, :, 0, 0, 0]).astype(int)
    mirrored = x[0, :, 1, 0, 0] > x[0, :, 1, 0, 1]
    logits = np.zeros((1, 9, 9))
    for i, c in enumerate(cells):
        if mirrored[i]:
            logits[0, i, J.MIRROR[c]] += 5.0
        else:
            logits[0, i, c] += 1.0
            logits[0, i, (c + 1) % 9] += 1.5
    return np.zeros((1, 100)), logits


def test_flip_ensemble_maps_the_mirrored_answer_back_to_the_photo_cells():
    assert np.array_equal(J.MIRROR[J.MIRROR], J.IDENTITY) and J.MIRROR.tolist()[:3] == [2, 1, 0]
    perms = J.permutation_set(100, 0)
    perm = J.uniform_permutations(np.random.default_rng(3), 1)[0]
    tiles = ramp_coded_tiles(perm)
    # Alone, the upright view prefers the wrong cell of every tile; the mirrored view, mapped
    # back through MIRROR, outweighs it. A wrong mapping would scatter the tiles instead.
    assert not np.array_equal(J.solve_tiles(tiles, mirror_aware_runner, perms, "cell", 1).permutation, perm)
    sol = J.solve_tiles(tiles, mirror_aware_runner, perms, "cell", 1, flip=True)
    assert np.array_equal(sol.permutation, perm)


def test_unshuffle_without_a_folder_writes_beside_each_input(tmp_path, monkeypatch, capsys):
    img = photo(90, 60)
    perm = np.array([4, 0, 8, 1, 3, 5, 7, 2, 6])
    shuffled = tmp_path / "in" / "puzzle.png"
    shuffled.parent.mkdir()
    Image.fromarray(J.shuffle_image(img, perm)).save(shuffled)
    monkeypatch.setattr("models.jigsaw_model.JigsawModel", lambda *a, **k: OracleModel(img))
    args = parse(jigsaw_cli.add_solve_arguments, [str(shuffled), "--unshuffle", "--json"])
    assert jigsaw_cli.run_solve(args) == 0
    assert json.loads(capsys.readouterr().out)["permutation"] == perm.tolist()
    assert np.array_equal(np.asarray(Image.open(tmp_path / "in" / "puzzle-solved.png")), img)


def test_a_card_with_an_unknown_cell_fit_is_refused_as_unavailable():
    from core.errors import ModelNotAvailableError
    from models.cards import parse_card
    from models.jigsaw_model import spec_from_card

    card = {"task": "jigsaw", "name": "jigsaw", "version": "v", "file": "jigsaw.onnx", "tile_size": 16,
            "tile_ratio": 0.84, "permutations": J.permutation_set(4).tolist()}
    assert spec_from_card(parse_card(card)).cell_fit == "square"  # cards from before the setting existed
    assert spec_from_card(parse_card(card | {"solver": {"cell_fit": "stretch"}})).cell_fit == "stretch"
    with pytest.raises(ModelNotAvailableError, match="cell fit"):
        spec_from_card(parse_card(card | {"solver": {"cell_fit": "squash"}}))


# --- neighbours method ------------------------------------------------------------------------


def neighbour_logits_of(perm: np.ndarray, strength: float = 4.0) -> np.ndarray:
    """(2, 9, 9) logits a perfect neighbour head gives the puzzle shuffled by ``perm``."""
    at = J.inverse(perm)  # at[c]: the input position of the tile from cell c
    logits = np.full((2, 9, 9), -strength)
    for d, pairs in enumerate((J.RIGHT_OF, J.BELOW)):
        logits[d, at[pairs[:, 0]], at[pairs[:, 1]]] = strength
    return logits


def test_neighbour_pairs_are_the_twelve_seams_of_the_grid():
    assert len(J.RIGHT_OF) == len(J.BELOW) == 6
    assert all(b == a + 1 and a % 3 != 2 for a, b in J.RIGHT_OF)
    assert all(b == a + 3 for a, b in J.BELOW)


def test_placement_marginals_recover_a_known_shuffle_and_are_doubly_stochastic():
    rng = np.random.default_rng(1)
    for _ in range(5):
        perm = J.uniform_permutations(rng, 1)[0]
        logits = neighbour_logits_of(perm) + rng.normal(0, 1.0, (2, 9, 9))
        m = J.placement_marginals(logits)
        np.testing.assert_allclose(m.sum(0), 1.0, atol=1e-9)
        np.testing.assert_allclose(m.sum(1), 1.0, atol=1e-9)
        sol = J.assign_marginals(m)
        assert np.array_equal(sol.permutation, perm)
        np.testing.assert_allclose(sol.confidence, m[J.IDENTITY, perm])


def test_the_cell_head_decides_where_seams_say_nothing():
    perm = np.array([3, 7, 0, 8, 1, 5, 2, 6, 4])
    cell_logp = np.log(np.full((9, 9), 0.01))
    cell_logp[J.IDENTITY, perm] = np.log(0.92)
    flat = np.zeros((2, 9, 9))
    assert np.array_equal(J.assign_marginals(J.placement_marginals(flat, cell_logp)).permutation, perm)
    # Without the cell head every placement scores the same: confidence is spread evenly.
    np.testing.assert_allclose(J.placement_marginals(flat), 1 / 9)
    # Seams outweigh a weakly weighted, misleading cell head.
    wrong = np.log(np.full((9, 9), 0.01))
    wrong[J.IDENTITY, np.roll(perm, 1)] = np.log(0.92)
    m = J.placement_marginals(neighbour_logits_of(perm), wrong, cell_weight=0.5)
    assert np.array_equal(J.assign_marginals(m).permutation, perm)


def test_flip_averaging_maps_the_mirrored_seams_back():
    perm = J.uniform_permutations(np.random.default_rng(4), 1)[0]
    # The mirrored photo's tiles, in the same input positions: what was right of is now left of.
    mirrored = J.MIRROR[perm]
    flipped = neighbour_logits_of(mirrored)
    averaged = J.flip_averaged_neighbours(np.zeros((2, 9, 9)), flipped)
    np.testing.assert_allclose(averaged, neighbour_logits_of(perm) / 2)
    assert np.array_equal(J.assign_marginals(J.placement_marginals(averaged)).permutation, perm)


def seam_runner(perm: np.ndarray):
    """Outputs of a network whose neighbour head is right and whose cell head knows nothing."""
    def run(x: np.ndarray) -> list[np.ndarray]:
        return [np.zeros((1, 100)), np.zeros((1, 9, 9)), neighbour_logits_of(perm)[None]]
    return run


def test_neighbours_method_solves_through_solve_tiles_and_needs_the_third_output():
    perm = np.array([8, 6, 7, 5, 3, 0, 1, 2, 4])
    tiles = np.zeros((9, 3, 4, 4), np.float32)
    sol = J.solve_tiles(tiles, seam_runner(perm), J.permutation_set(), "neighbours")
    assert np.array_equal(sol.permutation, perm) and sol.rounds == 1 and np.all(sol.confidence > 0.9)
    with pytest.raises(ValueError, match="no neighbour head"):
        J.solve_tiles(tiles, lambda x: [np.zeros((1, 100)), np.zeros((1, 9, 9))], J.permutation_set(), "neighbours")


def test_the_shipped_model_solves_shuffled_photos_through_the_cli(datasets_dir, tmp_path, capsys):
    from core.settings import get_settings
    from training.datasets import ZipSplit

    if not (get_settings().models_dir / "jigsaw.onnx").is_file():
        pytest.skip("no jigsaw model in the models folder")
    split, shuffled, perms = ZipSplit("imagenette-val"), [], []
    for i in range(0, 3000, 500):  # six photos across the classes
        photo_path, out = tmp_path / f"val{i}.png", tmp_path / f"shuffled{i}.png"
        Image.fromarray(split.rgb(i)).save(photo_path)
        args = [str(photo_path), "-o", str(out), "--seed", str(i)]
        assert jigsaw_cli.run_shuffle(parse(jigsaw_cli.add_shuffle_arguments, args)) == 0
        perms.append(json.loads(capsys.readouterr().out)["permutation"])
        shuffled.append(str(out))
    assert jigsaw_cli.run_solve(parse(jigsaw_cli.add_solve_arguments, [*shuffled, "--json"])) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in recs] == shuffled
    right = np.mean([np.array(r["permutation"]) == p for r, p in zip(recs, perms, strict=True)])
    # The served solver places 99% of imagenette-val tiles; an untrained or miswired one about 11%.
    assert right >= 0.8
