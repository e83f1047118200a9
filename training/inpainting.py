"""The context encoder (Pathak, Krähenbühl, Donahue, Darrell and Efros, CVPR 2016) as a pretext task.

Input: a photo with a hole (a central square, random blocks, or a region shaped like an object in another
photo) and the hole's mask; label: the photo itself. Loss: L2 inside the hole, with the visible band around
it weighted more (the paper's overlap), and, for the adversarial model, a discriminator's verdict on the
pasted result (the paper's lambda_rec = 0.999, lambda_adv = 0.001).
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from torch import nn

from models.inpainting import SIDE, central_mask, network_input
from training.crops import zoomed_crops
from training.datasets import ZipSplit
from training.errors import TrainingConfigError
from training.sources import batch_counts, check_shares, load_sources

ENCODER_WIDTHS = (32, 64, 128, 256)  # /2, /4, /8, /16: 128 px -> 8 x 8 at the bottleneck
OVERLAP = 4  # px of visible context around the hole that the loss also scores (the paper's overlapPred)
OVERLAP_WEIGHT = 5.0  # their weight against a hole pixel (the paper uses 10 with a band of 4 px at 64 px)
MASK_KINDS = ("central", "blocks", "regions")


def down(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    """4x4 stride-2 convolution (DCGAN style), halving the side."""
    if not norm:
        return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2, inplace=True))


def up(cin: int, cout: int) -> nn.Sequential:
    """Nearest 2x upsampling then a 3x3 convolution: doubles the side without transposed-conv checkerboards."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ChannelwiseFC(nn.Module):
    """The paper's channel-wise fully-connected layer: each channel's h x w map is mapped to a new h x w map
    by its own dense layer (no mixing across channels), so information crosses the whole hole at
    1/C of a full dense layer's parameters. Done as a grouped 1x1 convolution over flattened maps."""

    def __init__(self, channels: int, side: int) -> None:
        super().__init__()
        self.channels, self.side = channels, side
        n = side * side
        self.fc = nn.Conv2d(channels * n, channels * n, 1, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        y = self.fc(x.reshape(b, self.channels * self.side * self.side, 1, 1))
        return y.reshape(b, self.channels, self.side, self.side)


class ContextEncoder(nn.Module):
    """(B, 4, S, S) RGB in [0, 1] + hole mask -> (B, 3, S, S) RGB in [0, 1] for the whole window.

    Encoder (4 stride-2 blocks) -> channel-wise FC -> 1x1 mixing -> decoder (4 upsampling blocks). No skip
    connections: everything the decoder knows passes the bottleneck, which is what makes the encoder's
    features worth transferring.
    """

    def __init__(self, widths: tuple[int, ...] = ENCODER_WIDTHS, side: int = SIDE, dropout: float = 0.3) -> None:
        super().__init__()
        w1, w2, w3, w4 = widths
        self.widths, self.side = tuple(widths), side
        self.encoder = nn.ModuleList([down(4, w1, norm=False), down(w1, w2), down(w2, w3), down(w3, w4)])
        self.bottleneck = nn.Sequential(
            ChannelwiseFC(w4, side // 16), nn.Dropout(dropout),
            nn.Conv2d(w4, w4, 1, bias=False), nn.BatchNorm2d(w4), nn.ReLU(inplace=True),
        )
        self.decoder = nn.Sequential(up(w4, w3), up(w3, w2), up(w2, w1), up(w1, max(8, w1 // 2)),
                                     nn.Conv2d(max(8, w1 // 2), 3, 3, 1, 1), nn.Sigmoid())

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's block outputs [(B, w1, S/2, S/2), ..., (B, w4, S/16, S/16)] (transfer reads these)."""
        rgb, mask = x[:, :3], x[:, 3:4]
        h = torch.cat([(rgb - 0.5) * 2.0 * (1.0 - mask), mask], dim=1)  # the hole is zeroed: nothing leaks
        feats = []
        for block in self.encoder:
            h = block(h)
            feats.append(h)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.bottleneck(self.features(x)[-1]))


class Discriminator(nn.Module):
    """(B, 3, S, S) pasted result -> (B,) logit that it is a real photo: 4 strided convs, global average."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            down(3, width, norm=False), down(width, width * 2), down(width * 2, width * 4),
            down(width * 4, width * 4), nn.Conv2d(width * 4, 1, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - 0.5) * 2.0).mean(dim=(1, 2, 3))


class InpaintingGAN(nn.Module):
    """The generator (the exported network) and, for the adversarial model, its discriminator."""

    def __init__(self, generator: ContextEncoder, discriminator: Discriminator | None) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(x)


# ---- masks ----------------------------------------------------------------------------------------------

def block_masks(rng: np.random.Generator, n: int, side: int = SIDE) -> np.ndarray:
    """(n, side, side) bool: 1 to 4 random rectangles each, sides 1/8 to 1/2 of the window."""
    masks = np.zeros((n, side, side), dtype=bool)
    for k in range(n):
        for _ in range(rng.integers(1, 5)):
            h, w = rng.integers(side // 8, side // 2 + 1, 2)
            y, x = rng.integers(0, side - h + 1), rng.integers(0, side - w + 1)
            masks[k, y : y + h, x : x + w] = True
    return masks


def region_shapes(images: np.ndarray, count: int, rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    """(count, side, side) bool object-like regions cut from other photos: a photo's luminance is smoothed
    and thresholded at a random level, and one connected piece covering 5-35% of the window is kept (the
    paper took object masks from PASCAL segmentations; these come from the photos' own strong regions)."""
    shapes = []
    tries = 0
    while len(shapes) < count and tries < count * 20:
        tries += 1
        photo = images[rng.integers(0, len(images))].astype(np.float32)
        gray = photo @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        smooth = ndimage.gaussian_filter(gray, sigma=rng.uniform(2.0, 5.0))
        level = np.quantile(smooth, rng.uniform(0.2, 0.8))
        binary = smooth > level if rng.random() < 0.5 else smooth < level
        labels, found = ndimage.label(binary)
        if not found:
            continue
        sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, found + 1))
        area = binary.size
        ok = np.nonzero((sizes >= 0.05 * area) & (sizes <= 0.35 * area))[0]
        if not len(ok):
            continue
        region = labels == (int(rng.choice(ok)) + 1)
        region = ndimage.binary_fill_holes(region)
        if region.shape != (side, side):
            from PIL import Image

            region = np.asarray(Image.fromarray(region).resize((side, side), Image.Resampling.NEAREST))
        shapes.append(region)
    if not shapes:
        raise TrainingConfigError("no photo gave an object-like region; check the training photos")
    return np.stack(shapes)


def region_masks(bank: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, S, S) bool: shapes from the bank, randomly flipped, turned and shifted (wrapping)."""
    side = bank.shape[1]
    out = np.empty((n, side, side), dtype=bool)
    for k in range(n):
        m = bank[rng.integers(0, len(bank))]
        m = np.rot90(m, rng.integers(0, 4))
        if rng.random() < 0.5:
            m = m[:, ::-1]
        out[k] = np.roll(m, tuple(rng.integers(-side // 4, side // 4 + 1, 2)), axis=(0, 1))
    return out


def loss_weights(masks: np.ndarray, overlap: int = OVERLAP, overlap_weight: float = OVERLAP_WEIGHT) -> np.ndarray:
    """(B, S, S) bool holes -> (B, S, S) float32: 1 in the hole, ``overlap_weight`` in the visible band of
    ``overlap`` px around it (so the fill continues its surroundings), 0 elsewhere."""
    weights = np.zeros(masks.shape, dtype=np.float32)
    structure = np.ones((2 * overlap + 1, 2 * overlap + 1), dtype=bool)
    for k, m in enumerate(masks):
        band = ndimage.binary_dilation(m, structure=structure) & ~m
        weights[k][band] = overlap_weight
        weights[k][m] = 1.0
    return weights


# ---- metrics (training validation and the evaluation share them) ----------------------------------------

def hole_errors(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """(H, W, 3) uint8 result and truth, (H, W) bool hole -> mean L1, mean L2 (of [0, 1] values, as the
    paper reports them) and PSNR in dB, inside the hole."""
    diff = (pred[mask].astype(np.float64) - truth[mask].astype(np.float64)) / 255.0
    l2 = float(np.mean(diff ** 2))
    return {"l1": float(np.mean(np.abs(diff))), "l2": l2, "psnr": float(10 * np.log10(1.0 / max(l2, 1e-10)))}


def gradient_energy(rgb8: np.ndarray, mask: np.ndarray, margin: int = 2) -> float:
    """Mean squared finite-difference gradient of the luminance inside the hole, ``margin`` px in from its
    edge: how much detail the fill holds. The edge is left out, or the step between a flat fill and its
    surroundings (mean fill's, say) would count as detail."""
    interior = ndimage.binary_erosion(mask, iterations=margin) if margin else mask
    mask = interior if interior.any() else mask
    gray = rgb8.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0
    gy = np.zeros_like(gray)
    gx = np.zeros_like(gray)
    gy[:-1] = gray[1:] - gray[:-1]
    gx[:, :-1] = gray[:, 1:] - gray[:, :-1]
    return float(np.mean((gx ** 2 + gy ** 2)[mask]))


# ---- the task --------------------------------------------------------------------------------------------

@dataclass
class InpaintingConfig:
    side: int = SIDE
    cache_side: int = 160  # photos cached at this side; training windows are zoomed crops of it
    zoom: tuple[float, float] = (0.8, 1.25)
    mask_shares: tuple[float, float, float] = (0.4, 0.3, 0.3)  # central, blocks, regions
    tiny_share: float = 0.0  # Tiny ImageNet (64 px, upscaled: blurry, so off by default)
    shares: dict[str, float] = field(default_factory=dict)  # wider splits (training.sources)
    adversarial_weight: float = 0.0  # 0: the L2 model; the paper's adversarial model uses 0.001
    discriminator_width: int = 32
    widths: tuple[int, ...] = ENCODER_WIDTHS
    region_bank: int = 1500
    val_images: int = 300
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.side % 16:
            raise TrainingConfigError(f"side must be a multiple of 16, got {self.side}")
        if len(self.mask_shares) != 3 or min(self.mask_shares) < 0 or not sum(self.mask_shares) > 0:
            raise TrainingConfigError(f"mask_shares must be three non-negative shares, got {self.mask_shares}")
        if not 0.0 <= self.adversarial_weight < 1.0:
            raise TrainingConfigError(f"adversarial_weight must lie in [0, 1), got {self.adversarial_weight}")
        if not 0.0 < self.zoom[0] <= self.zoom[1]:
            raise TrainingConfigError(f"zoom must satisfy 0 < min <= max, got {self.zoom}")
        check_shares(self.shares, self.tiny_share)


class InpaintingTask:
    """Data, model and loss of one context-encoder run (L2, or L2 plus adversarial)."""

    def __init__(self, cfg: InpaintingConfig) -> None:
        self.cfg = cfg
        self.imagenette = ZipSplit("imagenette-train").cached(cfg.cache_side, cfg.limit)
        self.val = ZipSplit("imagenette-val").cached(cfg.cache_side, cfg.limit)
        self.tiny = ZipSplit("tinyimagenet-train").cached(cfg.cache_side, cfg.limit) if cfg.tiny_share else None
        self.sources = load_sources(cfg.shares, cfg.cache_side, cfg.limit)
        rng = np.random.default_rng(12345)
        # Region shapes come from photos the windows are not cut from in the same batch (any photo will do).
        self.bank = region_shapes(self.imagenette, cfg.region_bank, rng, cfg.side)
        val_rng = np.random.default_rng(777)
        n_val = min(cfg.val_images, len(self.val))
        off = (cfg.cache_side - cfg.side) // 2
        self.val_photos = np.asarray(self.val[:n_val, off : off + cfg.side, off : off + cfg.side])
        self.val_masks = {
            "central": np.broadcast_to(central_mask(cfg.side, cfg.side), (n_val, cfg.side, cfg.side)),
            "regions": region_masks(self.bank, val_rng, n_val),
        }
        self.d_opt: torch.optim.Optimizer | None = None

    def make_model(self) -> nn.Module:
        disc = Discriminator(self.cfg.discriminator_width) if self.cfg.adversarial_weight > 0 else None
        return InpaintingGAN(ContextEncoder(self.cfg.widths, self.cfg.side), disc)

    def new_heads(self, model: nn.Module, onnx_path: Any) -> tuple[nn.Module, ...]:
        """The export holds only the generator: a discriminator starts fresh."""
        return (model.discriminator,) if model.discriminator is not None else ()

    def photos(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, side, side, 3) uint8 training windows from the configured sources."""
        cfg = self.cfg
        parts = []
        n_tiny = round(n * cfg.tiny_share) if self.tiny is not None else 0
        if n_tiny:
            parts.append(zoomed_crops(self.tiny, rng.integers(0, len(self.tiny), n_tiny), cfg.side, (1.0, 1.0), rng))
        counts = batch_counts(n, cfg.shares)
        for name, src in self.sources.items():
            if counts[name]:
                parts.append(zoomed_crops(src.images, rng.choice(src.train, counts[name]), cfg.side,
                                          tuple(cfg.zoom), rng))
        rest = n - n_tiny - sum(counts.values())
        if rest > 0:
            idx = rng.integers(0, len(self.imagenette), rest)
            parts.append(zoomed_crops(self.imagenette, idx, cfg.side, tuple(cfg.zoom), rng))
        return np.concatenate(parts)[:n]

    def masks(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, side, side) bool holes, a mix of the three kinds in the configured shares."""
        side = self.cfg.side
        shares = np.asarray(self.cfg.mask_shares, dtype=np.float64)
        kinds = rng.choice(3, n, p=shares / shares.sum())
        out = np.empty((n, side, side), dtype=bool)
        centre = central_mask(side, side)
        out[kinds == 0] = centre
        out[kinds == 1] = block_masks(rng, int((kinds == 1).sum()), side)
        out[kinds == 2] = region_masks(self.bank, rng, int((kinds == 2).sum()))
        return out

    def batch(self, rng: np.random.Generator, step: int, size: int) -> tuple[Any, ...]:
        photos = self.photos(rng, size)
        masks = self.masks(rng, size)
        x = torch.from_numpy(network_input(photos, masks))  # (B, 4, S, S)
        truth = torch.from_numpy(photos.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)  # (B, 3, S, S)
        weights = torch.from_numpy(loss_weights(masks))[:, None]  # (B, 1, S, S)
        return x, truth, weights

    def loss(self, model: nn.Module, batch: tuple[Any, ...]) -> tuple[torch.Tensor, dict]:
        x, truth, weights = batch
        device = next(model.parameters()).device
        x, truth, weights = x.to(device), truth.to(device), weights.to(device)
        pred = model.generator(x)
        rec = (weights * (pred - truth) ** 2).sum() / (weights.sum() * 3.0)
        hole = x[:, 3:4]
        figures = {"rec": float(rec.detach()), "hole_mse": float((hole * (pred - truth) ** 2).sum().detach()
                                                                  / (hole.sum() * 3.0 + 1e-6))}
        lam = self.cfg.adversarial_weight
        if lam == 0:
            return rec, figures
        disc = model.discriminator
        pasted = hole * pred + (1.0 - hole) * truth
        # The generator's adversarial term, through a frozen copy of the discriminator's weights, so this
        # term trains the generator only; the discriminator's own loss (fake detached) trains it only.
        frozen = {k: v.detach() for k, v in disc.named_parameters()}
        fooled = torch.func.functional_call(disc, frozen, (pasted,))
        adv = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
        real = disc(truth)
        fake = disc(pasted.detach())
        d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                  + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))) / 2
        figures.update(adv=float(adv.detach()), d_loss=float(d_loss.detach()),
                       d_real=float(torch.sigmoid(real.detach()).mean()),
                       d_fake=float(torch.sigmoid(fake.detach()).mean()))
        return (1.0 - lam) * rec + lam * adv + d_loss, figures

    @torch.no_grad()
    def fill(self, model: nn.Module, photos: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 photos, (B, S, S) holes -> (B, S, S, 3) uint8 with the hole filled (hard paste)."""
        device = next(model.parameters()).device
        out = np.empty_like(photos)
        for start in range(0, len(photos), 50):
            x = torch.from_numpy(network_input(photos[start : start + 50], masks[start : start + 50]))
            pred = model.generator(x.to(device)).cpu().numpy().transpose(0, 2, 3, 1)
            pred8 = np.clip(np.round(pred * 255.0), 0, 255).astype(np.uint8)
            m = masks[start : start + 50, ..., None]
            out[start : start + 50] = np.where(m, pred8, photos[start : start + 50])
        return out

    def validate(self, model: nn.Module) -> dict[str, float]:
        """PSNR inside central and region holes on imagenette-val windows, and the hole's gradient energy
        relative to the truth's (sharpness: 1 is the truth's detail, the L2 model's blur is below)."""
        figures = {}
        for kind, masks in self.val_masks.items():
            filled = self.fill(model, self.val_photos, np.ascontiguousarray(masks))
            psnr = [hole_errors(f, t, m)["psnr"] for f, t, m in zip(filled, self.val_photos, masks, strict=True)]
            figures[f"psnr_{kind}"] = float(np.mean(psnr))
            energy = sum(gradient_energy(f, m) for f, m in zip(filled, masks, strict=True))
            truth = sum(gradient_energy(t, m) for t, m in zip(self.val_photos, masks, strict=True))
            figures[f"sharpness_{kind}"] = energy / max(truth, 1e-12)
        return figures

    def state(self) -> dict[str, Any]:
        return {"config": {**vars(self.cfg), "widths": list(self.cfg.widths)}}
