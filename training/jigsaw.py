"""Jigsaw puzzles as a pretext task (Noroozi and Favaro, ECCV 2016).

Input: 9 tiles cut with a random gap from the 3x3 cells of a crop and shuffled; labels: the
index of the permutation in a fixed max-Hamming set (permutation head), and for puzzles shuffled
uniformly at random, each tile's cell (cell head). The loss is the sum of both cross-entropies.
Anti-shortcut measures: random gaps, per-tile normalisation, per-tile colour jitter, random
grayscale, colour-channel dropping and per-channel spatial jitter (against chromatic aberration).
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from models.jigsaw import (
    BELOW,
    DEFAULT_SET_SEED,
    DEFAULT_SET_SIZE,
    GRID,
    N_TILES,
    RIGHT_OF,
    TileGeometry,
    assign,
    assign_marginals,
    centre_offsets,
    cut_tiles,
    grid_corners,
    normalise_tiles,
    permutation_set,
    placement_marginals,
    random_offsets,
    uniform_permutations,
)
from models.jigsaw_model import NEIGHBOUR_OUTPUT
from models.numerics import log_softmax
from training.datasets import ZipSplit
from training.errors import TrainingConfigError
from training.jigsaw_net import JigsawNet, NeighbourHead
from training.nets import WIDTHS

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class JigsawConfig:
    tile: int = 32
    cell: int = 38  # tile/cell = 0.84, close to the paper's 64/75; crop = 114 px
    image_size: int = 128  # imagenette cached at this size; crops are cut from it
    set_size: int = DEFAULT_SET_SIZE
    set_seed: int = DEFAULT_SET_SEED
    uniform_share: float = 0.5  # share of each batch shuffled uniformly (for the cell head)
    augment: bool = True  # the anti-shortcut measures other than gaps and normalisation
    jitter: float = 1.0  # colour jitter strength (0 = none)
    gray_prob: float = 0.3  # per puzzle, as in the paper
    channel_drop_prob: float = 0.1  # per tile, after Doersch et al. 2015
    channel_shift: int = 1  # per-channel spatial jitter in pixels
    # Largest aspect ratio of a training crop (1 = square crops only). Serving stretches the cells of
    # 3:2 and 2:3 photos to square tiles; non-square crops squeezed to square train on that distortion.
    aspect: float = 1.0
    widths: tuple[int, ...] = WIDTHS
    dim: int = 256
    hidden: int = 512
    dropout: float = 0.3
    cell_width: int = 128  # the relational cell head's token width
    cell_layers: int = 2
    # Neighbour head (solver only): seam strip in pixels per tile, 0 = no head. Trained on whole,
    # unshuffled cells, since the solver is served whole cells; the pretext heads never see them.
    neighbour_strip: int = 0
    neighbour_width: int = 48
    neighbour_negatives: int = 12  # wrong pairs per direction per photo, against 6 right ones
    # Train only the neighbour head; the encoder and its two heads stay as initialised.
    neighbours_only: bool = False
    val_images: int = 500
    limit: int | None = None  # use only the first N images of each split (tests)

    def __post_init__(self) -> None:
        if self.image_size < self.geometry.crop:
            raise TrainingConfigError(f"image size {self.image_size} is smaller than the crop {self.geometry.crop}")
        if self.aspect < 1.0:
            raise TrainingConfigError(f"aspect must be at least 1 (a ratio and its inverse), got {self.aspect}")
        if not 0 <= self.neighbour_strip <= self.tile // 2:
            raise TrainingConfigError(f"neighbour strip must be in [0, tile/2], got {self.neighbour_strip}")
        if self.neighbours_only and not self.neighbour_strip:
            raise TrainingConfigError("neighbours_only needs a neighbour head (neighbour_strip > 0)")
        if self.image_size < GRID * self.tile:
            raise TrainingConfigError(f"image size {self.image_size} is smaller than 3 whole tiles")

    @property
    def geometry(self) -> TileGeometry:
        return TileGeometry(self.tile, self.cell)


def colour_jitter(x: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Per-tile saturation and per-channel gain on (B, 9, t, t, 3) floats in [0, 1]."""
    # Brightness and contrast jitter would be undone by per-tile normalisation, so only colour
    # changes; drawn per tile, colour continuity across tiles becomes unreliable.
    b = x.shape[0]
    sat = 1.0 + strength * rng.uniform(-0.6, 0.6, (b, N_TILES, 1, 1, 1)).astype(np.float32)
    gain = 1.0 + strength * rng.uniform(-0.1, 0.1, (b, N_TILES, 1, 1, 3)).astype(np.float32)
    gray = (x @ LUMA)[..., None]
    return np.clip((gray + sat * (x - gray)) * gain, 0.0, 1.0)


def drop_channels(x: np.ndarray, rng: np.random.Generator, prob: float) -> np.ndarray:
    """(B, K, t, t, 3): keep one random channel of a tile, replacing the others by its mean plus faint noise."""
    hit = rng.random(x.shape[:2]) < prob
    if not hit.any():
        return x
    x = x.copy()
    for bi, ti in zip(*np.nonzero(hit), strict=True):
        keep = int(rng.integers(3))
        kept = x[bi, ti, ..., keep].copy()  # a copy: the next line overwrites the tile
        noise = rng.normal(0.0, 0.01 * float(kept.std()) + 1e-4, (*kept.shape, 3))
        x[bi, ti] = kept.mean() + noise.astype(np.float32)
        x[bi, ti, ..., keep] = kept
    return x


def stretched_crops(images: np.ndarray, crop: int, rng: np.random.Generator, aspect: float) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, crop, crop, 3): random windows of aspect in [1/aspect, aspect], resized square.

    The log aspect is uniform, so 2:3 and 3:2 are as likely; each window covers about crop^2 pixels
    (clipped to the image) and is squeezed square, as serving squeezes the cells of a non-square photo.
    """
    n, size = len(images), images.shape[1]
    ratios = np.exp(rng.uniform(-np.log(aspect), np.log(aspect), n))
    out = np.empty((n, crop, crop, 3), dtype=np.uint8)
    for k, r in enumerate(ratios):
        w = min(size, round(crop * np.sqrt(r)))
        h = min(size, round(crop / np.sqrt(r)))
        y = int(rng.integers(0, size - h + 1))
        x = int(rng.integers(0, size - w + 1))
        window = np.ascontiguousarray(images[k, y : y + h, x : x + w])
        out[k] = np.asarray(Image.fromarray(window).resize((crop, crop), Image.Resampling.BILINEAR))
    return out


def make_puzzles(
    images: np.ndarray,
    idx: np.ndarray,
    perms: np.ndarray,
    rng: np.random.Generator,
    cfg: JigsawConfig,
    train: bool,
) -> np.ndarray:
    """images[idx] (N, S, S, 3) uint8 -> (N, 9, 3, t, t) inputs; position i holds cell perms[n, i]."""
    # Training draws crop, flip, gaps and augmentations at random; evaluation centres everything.
    geom = cfg.geometry
    n = len(idx)
    order = np.argsort(idx)
    imgs = np.empty((n, *images.shape[1:]), dtype=np.uint8)
    imgs[order] = images[idx[order]]  # sorted reads are kinder to a memmap
    if train and cfg.aspect > 1.0:
        imgs = stretched_crops(imgs, geom.crop, rng, cfg.aspect)
    size = imgs.shape[1]
    if train:
        flips = rng.random(n) < 0.5
        imgs[flips] = imgs[flips, :, ::-1]
        y0 = rng.integers(0, size - geom.crop + 1, n)
        x0 = rng.integers(0, size - geom.crop + 1, n)
        offsets = random_offsets(rng, n, geom)
    else:
        y0 = x0 = np.full(n, (size - geom.crop) // 2)
        offsets = centre_offsets(n, geom)
    top, left = grid_corners(geom, offsets, y0, x0)  # (N, 9)
    if train and cfg.augment and cfg.channel_shift:
        s = cfg.channel_shift
        top = np.clip(top[..., None] + rng.integers(-s, s + 1, (n, N_TILES, 3)), 0, size - geom.tile)
        left = np.clip(left[..., None] + rng.integers(-s, s + 1, (n, N_TILES, 3)), 0, size - geom.tile)
    tiles = cut_tiles(imgs, top, left, geom.tile).astype(np.float32) / 255.0  # (N, 9, t, t, 3)
    if train and cfg.augment:
        if cfg.jitter:
            tiles = colour_jitter(tiles, rng, cfg.jitter)
        gray = rng.random(n) < cfg.gray_prob
        if gray.any():
            tiles[gray] = (tiles[gray] @ LUMA)[..., None]
        tiles = drop_channels(tiles, rng, cfg.channel_drop_prob)
    shuffled = np.take_along_axis(tiles, perms[:, :, None, None, None], axis=1)
    return normalise_tiles(shuffled)


def whole_cells(
    images: np.ndarray, idx: np.ndarray, rng: np.random.Generator, cfg: JigsawConfig
) -> np.ndarray:
    """images[idx] -> (N, 9, 3, t, t) whole adjacent cells of random crops, in place (unshuffled).

    As the solver is served: no gaps, per-tile normalisation; crops of aspect up to ``cfg.aspect``
    squeezed square, random mirror and grayscale. Colour is jittered per photo, not per tile,
    so colours still continue across seams as they do in a real photo.
    """
    t, n = cfg.tile, len(idx)
    order = np.argsort(idx)
    imgs = np.empty((n, *images.shape[1:]), dtype=np.uint8)
    imgs[order] = images[idx[order]]
    x = stretched_crops(imgs, GRID * t, rng, cfg.aspect)
    flips = rng.random(n) < 0.5
    x[flips] = x[flips, :, ::-1]
    x = x.astype(np.float32) / 255.0
    if cfg.augment:
        gray = rng.random(n) < cfg.gray_prob
        x[gray] = (x[gray] @ LUMA)[..., None]
    return normalise_tiles(grid_of_cells(x, t))


def grid_of_cells(crops: np.ndarray, t: int) -> np.ndarray:
    """(N, 3t, 3t, 3) crops -> (N, 9, t, t, 3): their whole cells, row-major, no gaps."""
    n = len(crops)
    return crops.reshape(n, GRID, t, GRID, t, 3).transpose(0, 1, 3, 2, 4, 5).reshape(n, N_TILES, t, t, 3)


def neighbour_pairs(rng: np.random.Generator, n: int, negatives: int) -> tuple[np.ndarray, ...]:
    """Labelled tile pairs for n unshuffled puzzles: (photo, tile a, tile b, below?, neighbour?) arrays.

    Each photo gives its 6 right-of and 6 below pairs as positives and ``negatives`` random
    ordered pairs per direction that are not neighbours that way.
    """
    rows = []
    for below, adjacent in ((False, RIGHT_OF), (True, BELOW)):
        is_adj = np.zeros((N_TILES, N_TILES), dtype=bool)
        is_adj[adjacent[:, 0], adjacent[:, 1]] = True
        for k in range(n):
            rows += [(k, a, b, below, True) for a, b in adjacent]
            # Draw more than needed and keep the first valid ones: no unbounded rejection loop.
            cand = rng.integers(0, N_TILES, (4 * negatives + 8, 2))
            ok = cand[(cand[:, 0] != cand[:, 1]) & ~is_adj[cand[:, 0], cand[:, 1]]][:negatives]
            rows += [(k, a, b, below, False) for a, b in ok]
    k, a, b, below, y = (np.array(c) for c in zip(*rows, strict=True))
    return k, a, b, below.astype(bool), y.astype(np.float32)


def neighbour_loss(head: NeighbourHead, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict]:
    """Binary cross-entropy of the neighbour head on labelled pairs of whole cells."""
    cells, k, a, b, below, target = batch
    device = next(head.parameters()).device
    cells = cells.to(device)
    logits = head.pair_logits(cells[k, a], cells[k, b], below.to(device))
    target = target.to(device)
    ce = F.binary_cross_entropy_with_logits(logits, target)
    acc = ((logits > 0).float() == target).float().mean()
    return ce, {"neighbour_bce": float(ce.detach()), "neighbour_acc": float(acc)}


class JigsawTask:
    """Data, model and loss of one jigsaw training run."""

    def __init__(self, cfg: JigsawConfig) -> None:
        self.cfg = cfg
        self.perms = permutation_set(cfg.set_size, cfg.set_seed)  # (K, 9)
        self.train_images = ZipSplit("imagenette-train").cached(cfg.image_size, cfg.limit)
        self.val_images = ZipSplit("imagenette-val").cached(cfg.image_size, cfg.limit)

    def make_model(self) -> nn.Module:
        c = self.cfg
        return make_net(c, len(self.perms))

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        """(tiles (B, 9, 3, t, t), permutation class (B,) or -1, tile cells (B, 9), is_uniform (B,)),
        then with a neighbour head (whole cells (B', 9, 3, t, t), pair rows of ``neighbour_pairs``);
        with ``neighbours_only`` just the latter."""
        if not self.cfg.neighbour_strip:
            return self.pretext_batch(rng, size)
        cells = whole_cells(self.train_images, rng.integers(0, len(self.train_images), size), rng, self.cfg)
        pairs = tuple(torch.from_numpy(a) for a in neighbour_pairs(rng, size, self.cfg.neighbour_negatives))
        neighbours = (torch.from_numpy(cells), *pairs)
        return neighbours if self.cfg.neighbours_only else (*self.pretext_batch(rng, size), *neighbours)

    def pretext_batch(self, rng: np.random.Generator, size: int) -> tuple[Any, ...]:
        """(tiles (B, 9, 3, t, t), permutation class (B,) or -1, tile cells (B, 9), is_uniform (B,))."""
        n_uniform = round(size * self.cfg.uniform_share)
        classes = rng.integers(0, len(self.perms), size)
        perms = self.perms[classes]
        perms[size - n_uniform :] = uniform_permutations(rng, n_uniform)
        classes[size - n_uniform :] = -1
        uniform = np.arange(size) >= size - n_uniform
        idx = rng.integers(0, len(self.train_images), size)
        tiles = make_puzzles(self.train_images, idx, perms, rng, self.cfg, train=True)
        return (
            torch.from_numpy(tiles),
            torch.from_numpy(classes),
            torch.from_numpy(perms),
            torch.from_numpy(uniform),
        )

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        if not self.cfg.neighbour_strip:
            return self.pretext_loss(model, batch)
        ce, extra = neighbour_loss(model.neighbour_head, batch[-6:])
        if self.cfg.neighbours_only:
            return ce, extra
        total, pretext = self.pretext_loss(model, batch[:4])
        return total + ce, pretext | extra

    def pretext_loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        tiles, classes, cells, uniform = batch
        device = next(model.parameters()).device
        perm_logits, cell_logits = model.pretext(tiles.to(device))
        classes, cells, uniform = classes.to(device), cells.to(device), uniform.to(device)
        total = perm_logits.sum() * 0.0  # keeps a graph even if a head has no items
        extra: dict[str, float] = {}
        if (~uniform).any():
            ce = F.cross_entropy(perm_logits[~uniform], classes[~uniform])
            total = total + ce
            acc = (perm_logits[~uniform].argmax(1) == classes[~uniform]).float().mean()
            extra |= {"perm_ce": float(ce.detach()), "perm_acc": float(acc)}
        # Every puzzle's tile cells are known, set-shuffled ones too, so the cell head learns
        # from all of them; the uniform share keeps it from leaning on the set's permutations.
        ce = F.cross_entropy(cell_logits.reshape(-1, N_TILES), cells.reshape(-1))
        total = total + ce
        if uniform.any():
            acc = (cell_logits[uniform].argmax(-1) == cells[uniform]).float().mean()
            extra |= {"cell_ce": float(ce.detach()), "cell_acc": float(acc)}
        return total, extra

    def val_puzzles(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Fixed evaluation puzzles: (set tiles, set classes, uniform tiles, uniform perms)."""
        rng = np.random.default_rng(12345)
        idx = np.arange(n)
        classes = rng.integers(0, len(self.perms), n)
        uperms = uniform_permutations(rng, n)
        set_tiles = make_puzzles(self.val_images, idx, self.perms[classes], rng, self.cfg, False)
        uni_tiles = make_puzzles(self.val_images, idx, uperms, rng, self.cfg, False)
        return set_tiles, classes, uni_tiles, uperms

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Permutation top-1/top-5 on set puzzles; cell-head tile accuracy on uniform puzzles;
        with a neighbour head, its tile accuracy on uniform whole-cell puzzles."""
        out = self.validate_neighbours(model) if self.cfg.neighbour_strip else {}
        if self.cfg.neighbours_only:
            return out  # the pretext heads are frozen: their figures cannot move
        return self.validate_pretext(model) | out

    def validate_neighbours(self, model: nn.Module, n: int = 200) -> dict[str, float]:
        """Tile accuracy of the exhaustive solver on neighbour logits of centred whole-cell puzzles."""
        n = min(n, self.cfg.val_images, len(self.val_images))
        rng = np.random.default_rng(54321)
        perms = uniform_permutations(rng, n)
        size, crop = self.val_images.shape[1], GRID * self.cfg.tile
        off = (size - crop) // 2
        x = self.val_images[:n, off : off + crop, off : off + crop].astype(np.float32) / 255.0
        cells = grid_of_cells(x, self.cfg.tile)
        shuffled = normalise_tiles(np.take_along_axis(cells, perms[:, :, None, None, None], axis=1))
        device = next(model.parameters()).device
        hits = []
        with torch.no_grad():
            for s in range(0, n, 50):
                logits = model.neighbour_head(torch.from_numpy(shuffled[s : s + 50]).to(device)).float().cpu().numpy()
                for j, lg in enumerate(logits):
                    hits.append((assign_marginals(placement_marginals(lg)).permutation == perms[s + j]).mean())
        return {"val_neighbour_solved_acc": float(np.mean(hits))}

    def validate_pretext(self, model: nn.Module) -> dict[str, float]:
        """Permutation top-1/top-5 on set puzzles; cell-head tile accuracy on uniform puzzles."""
        n = min(self.cfg.val_images, len(self.val_images))
        set_tiles, classes, uni_tiles, uperms = self.val_puzzles(n)
        perm_logits = run_model(model, set_tiles)[0]
        cell_logits = run_model(model, uni_tiles)[1]
        top5 = np.argsort(-perm_logits, axis=1)[:, :5]
        solved = np.stack([assign(log_softmax(c, axis=1)).permutation for c in cell_logits])
        return {
            "val_perm_top1": float((top5[:, 0] == classes).mean()),
            "val_perm_top5": float((top5 == classes[:, None]).any(1).mean()),
            "val_cell_argmax_acc": float((cell_logits.argmax(-1) == uperms).mean()),
            "val_cell_solved_acc": float((solved == uperms).mean()),
        }

    def new_heads(self, model: nn.Module, onnx_path: Path) -> tuple[nn.Module, ...]:
        """The neighbour head when warm-starting from an export made without one."""
        from training.warm_start import onnx_output_names

        if model.neighbour_head is None or NEIGHBOUR_OUTPUT in onnx_output_names(onnx_path):
            return ()
        return (model.neighbour_head,)

    def state(self) -> dict[str, Any]:
        cfg = asdict(self.cfg)
        cfg["widths"] = list(self.cfg.widths)
        return {"permutations": self.perms.tolist(), "config": cfg}


def make_net(cfg: JigsawConfig, n_perms: int) -> JigsawNet:
    return JigsawNet(n_perms, tuple(cfg.widths), cfg.dim, cfg.hidden, cfg.dropout, cfg.cell_width, cfg.cell_layers,
                     cfg.neighbour_strip, cfg.neighbour_width)


def run_model(model: nn.Module, tiles: np.ndarray, chunk: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(N, 9, 3, t, t) -> (perm logits (N, K), cell logits (N, 9, 9)) as numpy, in chunks."""
    device = next(model.parameters()).device
    perm_out, cell_out = [], []
    with torch.no_grad():
        for s in range(0, len(tiles), chunk):
            p, c = model.pretext(torch.from_numpy(tiles[s : s + chunk]).to(device))
            perm_out.append(p.float().cpu().numpy())
            cell_out.append(c.float().cpu().numpy())
    return np.concatenate(perm_out), np.concatenate(cell_out)
