"""The shared trunk and the task heads. Sized for a 2-core CPU: about 1.4 GMACs at 256x256."""

import torch
import torch.nn.functional as F
from torch import nn

WIDTHS = (32, 64, 128, 160)  # the shared trunk's block widths, as shipped
OUT_STRIDE = 4  # the colorization output's grid: a quarter of the input
SPREAD_PLANES = 3  # the hint network's last planes: the baseline kernel's sums (models.hints.hint_planes_at)
HINT_HIDDEN = 64  # the hint head's hidden width


def conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Trunk(nn.Module):
    """Four blocks: /2, /4, /8, then dilated context at /8. Shared by every pretext task.

    The dilated last block (after the colorization paper's conv5/6) widens the receptive field
    to about 170 px without losing resolution.
    """

    def __init__(self, in_channels: int = 1, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        w1, w2, w3, w4 = widths
        self.widths = widths
        self.blocks = nn.ModuleList(
            [
                conv_bn(in_channels, w1, stride=2),
                nn.Sequential(conv_bn(w1, w2, stride=2), conv_bn(w2, w2)),
                nn.Sequential(conv_bn(w2, w3, stride=2), conv_bn(w3, w3)),
                nn.Sequential(
                    conv_bn(w3, w4, dilation=2), conv_bn(w4, w4, dilation=2), conv_bn(w4, w4, dilation=4)
                ),
            ]
        )

    def forward_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, C, H, W) -> the output of every block, [(B, w1, H/2, W/2), ..., (B, w4, H/8, W/8)]."""
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_blocks(x)[-1]


class TrunkClassifier(nn.Module):
    """Image (B, C, H, W) -> class logits (B, classes): the shared trunk, global average pool, linear."""

    def __init__(self, classes: int, in_channels: int = 3, widths: tuple[int, ...] = WIDTHS,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.trunk = Trunk(in_channels, widths)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(widths[-1], classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x).mean(dim=(2, 3)))


class ColorizationNet(nn.Module):
    """L (B, 1, H, W) -> (B, out_channels, H/4, W/4): ab-bin logits, or ab/110 for regression.

    The hint network (``in_channels`` 1 + 6) takes L and the hint planes of models.hints.hint_planes_at,
    (B, 7, H, W): the sparse points (a, b, mask) and the model-free baseline's kernel sums (num_a, num_b, den).
    All go into the first convolution, the sparse points multiplied by ``hint_gain`` (a buffer, so checkpoints
    and exports keep it): with Adam, whose steps do not scale with a weight's size, a gain g makes their weights
    learn g times faster beside a warm start's L weights at the BatchNorm-folded scale (mean |w| ~4). All also
    reach the output directly, pooled to its grid: ``hint_prior`` (1x1 over the kernel sums; initialised by
    training.colorization_hints.spread_prior_weights to the product of the hints' Gaussians, so the network
    starts from the baseline's spread) is scaled per cell by 2 sigmoid(a learned gate), and ``hint_head`` adds a
    learned correction from the network's own features and the planes. The gate and correction start at 0.
    """

    def __init__(self, out_channels: int, widths: tuple[int, ...] = WIDTHS, in_channels: int = 1,
                 hint_gain: float = 1.0) -> None:
        super().__init__()
        gain = None
        if in_channels > 1:
            gain = torch.ones((1, in_channels, 1, 1))  # L itself, and the dense kernel sums (already O(1))
            gain[:, 1 : in_channels - SPREAD_PLANES] = float(hint_gain)  # the sparse points
        self.register_buffer("input_gain", gain)
        self.trunk = Trunk(in_channels, widths)
        w2, w4 = widths[1], widths[3]
        self.reduce = nn.Sequential(nn.Conv2d(w4, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True))
        self.fuse = nn.Sequential(
            nn.Conv2d(128 + w2, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True)
        )
        self.out = nn.Conv2d(128, out_channels, 1)
        self.hint_prior: nn.Conv2d | None = None
        self.hint_head: nn.Sequential | None = None
        if in_channels > 1:
            planes = in_channels - 1
            self.hint_prior = nn.Conv2d(SPREAD_PLANES, out_channels, 1, bias=False)
            nn.init.zeros_(self.hint_prior.weight)
            self.hint_head = nn.Sequential(
                nn.Conv2d(128 + planes, HINT_HIDDEN, 1), nn.ReLU(True), nn.Conv2d(HINT_HIDDEN, out_channels + 1, 1)
            )
            nn.init.zeros_(self.hint_head[-1].weight)
            nn.init.zeros_(self.hint_head[-1].bias)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        planes = l_norm[:, 1:]  # (B, 6, H, W) for the hint network, empty otherwise
        if self.input_gain is not None:  # L and the hint planes, (B, in_channels, H, W)
            l_norm = l_norm * self.input_gain
        feats = self.trunk.forward_blocks(l_norm)
        x = self.reduce(feats[-1])
        x = F.interpolate(x, size=feats[1].shape[-2:], mode="bilinear", align_corners=False)
        x = self.fuse(torch.cat([x, feats[1]], dim=1))
        logits = self.out(x)
        if self.hint_prior is None or self.hint_head is None:
            return logits
        pooled = F.avg_pool2d(planes, OUT_STRIDE)  # (B, 6, H/4, W/4)
        points, spread = pooled[:, :-SPREAD_PLANES] * OUT_STRIDE**2, pooled[:, -SPREAD_PLANES:]  # hints per cell
        extra = self.hint_head(torch.cat([x, points, spread], dim=1))  # (B, Q + 1, H/4, W/4)
        spread = self.hint_prior(spread)
        # The gate scales the prior within (0, 2), 1 at the start: unbounded, training took it below -1 in places,
        # turning the prior against its own hint's colour (reports/hints/network-candidates.md).
        return logits + 2.0 * torch.sigmoid(extra[:, -1:]) * spread + extra[:, :-1]


def count_macs(model: nn.Module, shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass over conv and linear layers, by hooks."""
    total = 0

    def conv_hook(m: nn.Conv2d, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total += out.numel() * k

    def linear_hook(m: nn.Linear, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return total
