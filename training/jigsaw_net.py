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


class SelfAttentionBlock(nn.Module):
    """Pre-norm self-attention + MLP over (B, n, width) tokens, written out so ONNX export is plain."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not a multiple of heads {heads}")
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, width = x.shape[1], x.shape[2]
        d = width // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(-1, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, h, n, d)
        att = torch.softmax(q @ k.transpose(-1, -2) * d**-0.5, dim=-1)  # (B, h, n, n)
        y = (att @ v).transpose(1, 2).reshape(-1, n, width)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.norm2(x)))


class RelationalCellHead(nn.Module):
    """Tile features (B, 9, dim) -> cell logits (B, 9, 9) [b, tile i, cell c].

    Self-attention without position embeddings is equivariant to the input order: shuffling the
    tiles shuffles the rows of the answer the same way, which is what "which cell does each tile
    come from" needs. An MLP over the concatenation would have to learn that symmetry from data.
    """

    def __init__(self, dim: int, width: int = 128, layers: int = 2, heads: int = 4, dropout: float = 0.1) -> None:
        super().__init__()
        self.inp = nn.Linear(dim, width)
        self.blocks = nn.ModuleList(SelfAttentionBlock(width, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, N_TILES)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.inp(feats)
        for block in self.blocks:
            x = block(x)
        return self.out(self.norm(x))


class JigsawNet(nn.Module):
    """Tiles (B, 9, 3, t, t) -> permutation logits (B, K), cell logits (B, 9, 9) [b, tile i, cell c]."""

    # Every tile goes through the same encoder (siamese). The permutation head sees the 9
    # features concatenated in input order, as in the paper; the cell head relates them by
    # self-attention, since a tile's place is only defined relative to the others.

    def __init__(
        self,
        n_perms: int,
        widths: tuple[int, ...] = (32, 64, 128, 160),
        dim: int = 256,
        hidden: int = 512,
        dropout: float = 0.3,
        cell_width: int = 128,
        cell_layers: int = 2,
    ) -> None:
        super().__init__()
        self.encoder = TileEncoder(widths, dim)
        self.perm_head = head(N_TILES * dim, hidden, n_perms, dropout)
        self.cell_head = RelationalCellHead(dim, cell_width, cell_layers)

    def forward(self, tiles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = tiles.shape[-1]
        feats = self.encoder(tiles.reshape(-1, 3, t, t))  # (B*9, dim)
        # -1 rather than tiles.shape[0] keeps the batch axis dynamic in the ONNX graph.
        feats = feats.reshape(-1, N_TILES, feats.shape[-1])  # (B, 9, dim)
        joint = feats.reshape(-1, N_TILES * feats.shape[-1])  # (B, 9*dim)
        return self.perm_head(joint), self.cell_head(feats)
