"""The siamese jigsaw network (Noroozi and Favaro 2016): one tile encoder, two heads."""

import torch
from torch import nn

from models.jigsaw import N_TILES
from training.nets import Trunk


class TileEncoder(nn.Module):
    """(N, 3, t, t) tile -> (N, dim) feature: the shared trunk, global average pool, a small FC."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 160), dim: int = 256) -> None:
        super().__init__()
        self.trunk = Trunk(3, widths)
        self.fc = nn.Sequential(nn.Linear(widths[-1], dim), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.trunk(x).mean(dim=(2, 3)))


def head(in_dim: int, hidden: int, out_dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_dim, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, out_dim),
    )


class JigsawNet(nn.Module):
    """Tiles (B, 9, 3, t, t) -> permutation logits (B, K), cell logits (B, 9, 9) [b, tile i, cell c]."""

    # Every tile goes through the same encoder (siamese). Both heads see the 9 features
    # concatenated in input order, since a tile's place is only defined relative to the others.

    def __init__(
        self,
        n_perms: int,
        widths: tuple[int, ...] = (32, 64, 128, 160),
        dim: int = 256,
        hidden: int = 512,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.encoder = TileEncoder(widths, dim)
        self.perm_head = head(N_TILES * dim, hidden, n_perms, dropout)
        self.cell_head = head(N_TILES * dim, hidden, N_TILES * N_TILES, dropout)

    def forward(self, tiles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = tiles.shape[-1]
        feats = self.encoder(tiles.reshape(-1, 3, t, t))  # (B*9, dim)
        # -1 rather than tiles.shape[0] keeps the batch axis dynamic in the ONNX graph.
        joint = feats.reshape(-1, N_TILES * feats.shape[-1])  # (B, 9*dim)
        cells = self.cell_head(joint).reshape(-1, N_TILES, N_TILES)
        return self.perm_head(joint), cells
