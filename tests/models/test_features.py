"""Features as unit vectors, their nearest neighbours, and trunks cut out of exported graphs (parity with torch)."""

import numpy as np
import onnx
import pytest

from core.errors import ModelNotAvailableError
from models.features import (
    CHANNELS,
    INPUTS,
    chance_precision,
    nearest,
    neighbour_agreement,
    pool_grid,
    precision_at_k,
    square,
    unit_vectors,
)
from models.features_card import INPUT_KINDS
from models.features_graph import block_count, cut_at_block, first_filters, trunk_layout
from models.features_sprites import filter_sheet, filter_tiles, neighbour_sprite
from models.runtime import load_session

WIDTHS = (4, 6, 8, 8)


def test_every_input_kind_is_prepared_and_known_to_the_card():
    assert set(INPUTS) == set(INPUT_KINDS) == set(CHANNELS)
    photos = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    for kind, prepare in INPUTS.items():
        x = prepare(photos)
        assert x.shape == (2, CHANNELS[kind], 16, 16) and x.dtype == np.float32, kind
    masked = INPUTS["masked"](photos)
    np.testing.assert_allclose(masked[:, :3], np.moveaxis(photos, -1, 1) / 255.0, atol=1e-6)
    assert not masked[:, 3].any()  # the whole photo visible: no hole


def test_pooling_averages_each_window_as_adaptive_pooling_does():
    maps = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
    pooled = pool_grid(maps, 4).reshape(2, 3, 4, 4)
    np.testing.assert_allclose(pooled[1, 2, 3, 1], maps[1, 2, 6:8, 2:4].mean())
    # 5 rows into 2 windows overlap as torch's adaptive pooling's do: rows [0, 3) and [2, 5).
    odd = np.random.default_rng(1).normal(size=(1, 2, 5, 3)).astype(np.float32)
    got = pool_grid(odd, 2).reshape(1, 2, 2, 2)
    np.testing.assert_allclose(got[0, 1, 1, 0], odd[0, 1, 2:5, 0:2].mean(), rtol=1e-6)
    np.testing.assert_allclose(got[0, 0, 0, 1], odd[0, 0, 0:3, 1:3].mean(), rtol=1e-6)
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(odd), 2).flatten(1).numpy()
    np.testing.assert_allclose(pool_grid(odd, 2), want, rtol=1e-5, atol=1e-6)


def test_unit_vectors_are_float16_of_length_one_and_a_zero_row_stays_zero():
    x = np.random.default_rng(2).normal(size=(5, 40)) * np.array([[1], [10], [1e-3], [0], [1e4]])
    v = unit_vectors(x)
    assert v.dtype == np.float16
    norms = np.linalg.norm(v.astype(np.float32), axis=1)
    np.testing.assert_allclose(norms[[0, 1, 2, 4]], 1.0, atol=2e-3)
    assert norms[3] == 0.0


def test_nearest_ranks_by_cosine_and_leaves_out_the_query_itself():
    index = unit_vectors(np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.5, 0.5, 0], [-1, 0, 0]], float))
    query = np.array([[2.0, 0, 0]])  # the first row, longer: the same photo
    top, sims = nearest(index, query, 3)
    assert top[0].tolist() == [1, 3, 2]  # row 0 is the query itself (cosine 1): left out
    assert sims[0, 0] == pytest.approx(0.9 / np.hypot(0.9, 0.1), abs=1e-3) and np.all(np.diff(sims[0]) <= 0)
    kept, _ = nearest(index, query, 2, same_above=None)
    assert kept[0].tolist() == [0, 1]
    few, few_sims = nearest(index[:2], query, 3)  # only one candidate is not the query
    assert few.shape == (1, 2) and few[0].tolist() == [1, -1] and few_sims[0, 1] == -np.inf


def test_leave_one_out_precision_and_chance():
    rng = np.random.default_rng(3)
    centres = np.eye(4)[:2] * 10
    labels = np.repeat([0, 1], 6)
    feats = unit_vectors(centres[labels] + rng.normal(size=(12, 4)))
    assert precision_at_k(feats, labels, 5) == 1.0  # two clean clusters of six: all five others agree
    agreement = neighbour_agreement(feats, labels, 11)
    np.testing.assert_allclose(agreement, 5 / 11)  # every other photo: 5 of the 11 share the class
    assert chance_precision(labels) == pytest.approx(5 / 11)
    assert chance_precision(np.array([0, 0, 1, 1])) == pytest.approx(1 / 3)
    shuffled = unit_vectors(rng.normal(size=(200, 8)))
    noise = precision_at_k(shuffled, rng.integers(0, 4, 200), 8)
    assert 0.1 < noise < 0.45  # random features: about chance (0.25)


def test_a_query_square_is_its_centre_resized_like_the_index_photos():
    photo = np.zeros((30, 90, 3), dtype=np.uint8)
    photo[:, 30:60] = 200  # the centre square is all 200
    sq = square(photo, 16)
    assert sq.shape == (16, 16, 3) and np.all(sq == 200)


def test_the_sprites_place_each_neighbour_and_stretch_each_filter():
    squares = np.stack([np.full((4, 4, 3), 10 * i, dtype=np.uint8) for i in range(6)])
    sprite = neighbour_sprite(squares, [np.array([5, 2]), np.array([1, -1])], 2)
    assert sprite.shape == (8, 8, 3)
    assert sprite[0, 0, 0] == 50 and sprite[0, 4, 0] == 20 and sprite[4, 0, 0] == 10
    assert sprite[4, 4, 0] not in {0, 10, 20, 30, 40, 50}  # no neighbour: blank
    w = np.random.default_rng(4).normal(size=(3, 4, 3, 3)).astype(np.float32)
    tiles = filter_tiles(w, "rgb")
    assert tiles.shape == (3, 3, 3, 3) and tiles.min(axis=(1, 2, 3)).tolist() == [0, 0, 0]
    assert tiles.max(axis=(1, 2, 3)).tolist() == [255, 255, 255]  # each filter by its own min and max
    np.testing.assert_array_equal(np.argmax(tiles[0].reshape(-1)), np.argmax(np.moveaxis(w[0, :3], 0, -1)))
    gray = filter_tiles(w, "gray")
    assert np.all(gray[..., 0] == gray[..., 2])
    sheet, blocks = filter_sheet([("a", "A", w, "rgb"), ("b", "B", np.ones((40, 1, 3, 3), np.float32), "gray")])
    assert [b.name for b in blocks] == ["a", "b"] and blocks[1].top > blocks[0].top + blocks[0].height
    assert blocks[1].count == 40 and blocks[1].columns == 16 and sheet.shape[0] == blocks[1].top + blocks[1].height
    assert blocks[0].width == 3 * 26 - 2 and blocks[1].width == sheet.shape[1] == 16 * 26 - 2  # as wide as used
    assert np.all(sheet[blocks[1].top : blocks[1].top + 24, :24] == 128)  # a flat filter: mid gray


# ---- graphs cut at a block: the same maps as the network itself -------------------------------------


def _session(model: onnx.ModelProto, tmp_path, name: str):
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(model.SerializeToString())
    return load_session(path, "cpu")


def test_a_cut_trunk_computes_each_block_as_the_rebuilt_torch_trunk(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.training.helpers import with_random_statistics
    from training.export_onnx import export
    from training.nets import ColorizationNet
    from training.rotation import RotationNet, RotationWithAttention
    from training.trunk_from_onnx import load_trunk

    colour = export(with_random_statistics(ColorizationNet(10, WIDTHS)), torch.zeros(1, 1, 32, 32),
                    tmp_path / "c.onnx", "l", ["out"], {"l": {0: "b", 2: "h", 3: "w"}})
    turn = export(RotationWithAttention(with_random_statistics(RotationNet(WIDTHS))),
                  (torch.zeros(1, 3, 32, 32), torch.tensor(2.0)), tmp_path / "r.onnx", ["image", "p"],
                  ["logits", "a1", "a2", "a3", "a4"], {"image": {0: "b", 2: "h", 3: "w"}})
    for path, channels in ((colour, 1), (turn, 3)):
        model = onnx.load(str(path))
        layout = trunk_layout(model.graph)
        assert layout.kind == "trunk" and block_count(model.graph, layout) == 4
        trunk = load_trunk(path)
        np.testing.assert_array_equal(first_filters(model.graph), trunk.blocks[0][0].weight.detach().numpy())
        x = np.random.default_rng(5).normal(size=(3, channels, 40, 56)).astype(np.float32)  # not the export's size
        with torch.no_grad():
            want = [m.numpy() for m in trunk.forward_blocks(torch.from_numpy(x))]
        for block in range(1, 5):
            session = _session(cut_at_block(model, block), tmp_path, f"{path.stem}-{block}")
            got = session.run(None, {session.get_inputs()[0].name: x})[0]
            np.testing.assert_allclose(got, want[block - 1], atol=1e-4, rtol=1e-4)


def test_a_jigsaw_trunk_is_cut_after_the_tiles_are_stacked_into_a_batch(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.training.helpers import with_random_statistics
    from training.export_jigsaw import onnx_spec
    from training.export_onnx import export_checked
    from training.jigsaw import JigsawConfig, make_net
    from training.trunk_from_onnx import load_trunk

    cfg = JigsawConfig(tile=16, cell=19, set_size=4, widths=WIDTHS, dim=16, hidden=16, cell_width=16,
                       neighbour_strip=4, neighbour_width=8)
    net = with_random_statistics(make_net(cfg, 4))
    path = tmp_path / "jigsaw.onnx"
    export_checked(net, path, onnx_spec(net, cfg.tile))
    model = onnx.load(str(path))
    layout = trunk_layout(model.graph)
    assert layout.prefix.endswith("/trunk/") and layout.start != model.graph.input[0].name  # the stacked tiles
    x = np.random.default_rng(6).normal(size=(2, 3, 64, 64)).astype(np.float32)  # whole photos, not tiles
    session = _session(cut_at_block(model, 2), tmp_path, "jigsaw-2")
    with torch.no_grad():
        want = load_trunk(path).forward_blocks(torch.from_numpy(x))[1].numpy()
    np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: x})[0], want, atol=1e-4,
                               rtol=1e-4)


def test_the_context_encoder_is_cut_from_its_input_at_any_size(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.training.helpers import with_random_statistics
    from training.export_inpainting import onnx_spec
    from training.export_onnx import export_checked
    from training.inpainting import ContextEncoder

    net = with_random_statistics(ContextEncoder((4, 6, 8, 8), 32))
    path = tmp_path / "inpainting.onnx"
    export_checked(net, path, onnx_spec(32))  # a fixed 32 px window
    model = onnx.load(str(path))
    layout = trunk_layout(model.graph)
    assert layout.kind == "context-encoder" and layout.start == "masked"
    assert first_filters(model.graph).shape == (4, 4, 4, 4)  # RGB and the mask, 4x4 kernels
    x = INPUTS["masked"](np.random.default_rng(7).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8))
    with torch.no_grad():
        want = net.features(torch.from_numpy(x))
    for block in (1, 4):
        session = _session(cut_at_block(model, block), tmp_path, f"ce-{block}")
        got = session.run(None, {"masked": x})[0]
        assert got.shape == tuple(want[block - 1].shape)  # 64 px, not the 32 px window
        np.testing.assert_allclose(got, want[block - 1].numpy(), atol=1e-4, rtol=1e-4)


def test_a_graph_without_a_trunk_or_block_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    from training.export_onnx import export

    path = export(torch.nn.Linear(4, 2).eval(), torch.zeros(1, 4), tmp_path / "l.onnx", "x", ["y"], {"x": {0: "b"}})
    with pytest.raises(ModelNotAvailableError, match="no trunk"):
        trunk_layout(onnx.load(str(path)).graph)
