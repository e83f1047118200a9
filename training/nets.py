"""The shared trunk and the task heads. Sized for a 2-core CPU: about 1.4 GMACs at 256x256."""

import torch
import torch.nn.functional as F
from torch import nn

WIDTHS = (32, 64, 128, 160)  # the shared trunk's block widths, as shipped


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

    The hint network (``in_channels`` 4) takes L and the 3 hint planes of models.hints.hint_planes_at,
    (B, 4, H, W); the planes are multiplied by ``hint_gain`` (a buffer, so checkpoints and exports keep it) before
    the first convolution. With Adam, whose steps do not scale with a weight's size, a gain g makes their weights
    learn g times faster: a warm start's L weights sit at the BatchNorm-folded scale (mean |w| ~4), and the hint
    weights start at zero beside them.
    """

    def __init__(self, out_channels: int, widths: tuple[int, ...] = WIDTHS, in_channels: int = 1,
                 hint_gain: float = 1.0) -> None:
        super().__init__()
        gain = None
        if in_channels > 1:
            gain = torch.full((1, in_channels, 1, 1), float(hint_gain))
            gain[:, 0] = 1.0  # L itself
        self.register_buffer("input_gain", gain)
        self.trunk = Trunk(in_channels, widths)
        w2, w4 = widths[1], widths[3]
        self.reduce = nn.Sequential(nn.Conv2d(w4, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True))
        self.fuse = nn.Sequential(
            nn.Conv2d(128 + w2, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True)
        )
        self.out = nn.Conv2d(128, out_channels, 1)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        if self.input_gain is not None:  # L and the hint planes, (B, in_channels, H, W)
            l_norm = l_norm * self.input_gain
        feats = self.trunk.forward_blocks(l_norm)
        x = self.reduce(feats[-1])
        x = F.interpolate(x, size=feats[1].shape[-2:], mode="bilinear", align_corners=False)
        x = self.fuse(torch.cat([x, feats[1]], dim=1))
        return self.out(x)


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
