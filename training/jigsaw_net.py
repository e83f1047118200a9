"""The siamese jigsaw network (Noroozi and Favaro 2016): one tile encoder, two heads."""

import torch
from torch import nn

from models.jigsaw import N_TILES
from training.nets import WIDTHS, Trunk, conv_bn


class TileEncoder(nn.Module):
    """(N, 3, t, t) tile -> (N, dim) feature: the shared trunk, global average pool, a small FC."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS, dim: int = 256) -> None:
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


class NeighbourHead(nn.Module):
    """Tiles (B, 9, 3, t, t) -> neighbour logits (B, 2, 9, 9): [b, 0, i, j] tile j continues tile i
    to the right, [b, 1, i, j] below it.

    A small CNN reads the seam of two tiles: the last ``strip`` columns of one beside the first
    ``strip`` columns of the other (for "below", both tiles transposed, so the same filters see
    horizontal seams). The tile encoder cannot do this: its global pool keeps what a tile shows,
    not how its border continues, and its training gaps hide borders on purpose. This head is
    for solving whole-cell puzzles only; it shares no weights with the pretext encoder.
    """

    def __init__(self, strip: int = 8, width: int = 48) -> None:
        super().__init__()
        self.strip = strip
        w = width
        self.body = nn.Sequential(
            conv_bn(3, w // 2), conv_bn(w // 2, w, stride=2), conv_bn(w, w), conv_bn(w, 2 * w, stride=2),
        )
        self.out = nn.Sequential(nn.Linear(2 * w, w), nn.ReLU(inplace=True), nn.Linear(w, 2))

    def seam_logits(self, seams: torch.Tensor) -> torch.Tensor:
        """Seams (N, 3, t, 2 * strip) -> (N, 2) logits [right-of for row seams, below for transposed]."""
        return self.out(self.body(seams).mean(dim=(2, 3)))

    def pair_logits(self, a: torch.Tensor, b: torch.Tensor, below: torch.Tensor) -> torch.Tensor:
        """Pairs of tiles (N, 3, t, t) and a direction per pair (N,) bool -> (N,) logits (training)."""
        at = torch.where(below[:, None, None, None], a.transpose(-1, -2), a)
        bt = torch.where(below[:, None, None, None], b.transpose(-1, -2), b)
        s = self.strip
        logits = self.seam_logits(torch.cat([at[..., -s:], bt[..., :s]], dim=-1))
        return torch.where(below, logits[:, 1], logits[:, 0])

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        t, s = tiles.shape[-1], self.strip
        seams = []
        for x in (tiles, tiles.transpose(-1, -2)):  # rows, then columns as rows
            rights = x[..., -s:].unsqueeze(2).expand(-1, -1, N_TILES, -1, -1, -1)  # (B, 9, 9, 3, t, s): tile i
            lefts = x[..., :s].unsqueeze(1).expand(-1, N_TILES, -1, -1, -1, -1)  # (B, 9, 9, 3, t, s): tile j
            seams.append(torch.cat([rights, lefts], dim=-1).reshape(-1, 3, t, 2 * s))
        # One pass of the body over both directions' seams, so the exported graph holds each layer once.
        logits = self.seam_logits(torch.cat(seams)).reshape(2, -1, N_TILES, N_TILES, 2)
        return torch.stack([logits[0, ..., 0], logits[1, ..., 1]], dim=1)  # (B, 2, 9, 9)


class JigsawNet(nn.Module):
    """Tiles (B, 9, 3, t, t) -> permutation logits (B, K), cell logits (B, 9, 9) [b, tile i, cell c]."""

    # Every tile goes through the same encoder (siamese). The permutation head sees the 9
    # features concatenated in input order, as in the paper; the cell head relates them by
    # self-attention, since a tile's place is only defined relative to the others.

    def __init__(
        self,
        n_perms: int,
        widths: tuple[int, ...] = WIDTHS,
        dim: int = 256,
        hidden: int = 512,
        dropout: float = 0.3,
        cell_width: int = 128,
        cell_layers: int = 2,
        neighbour_strip: int = 0,
        neighbour_width: int = 48,
    ) -> None:
        super().__init__()
        self.encoder = TileEncoder(widths, dim)
        self.perm_head = head(N_TILES * dim, hidden, n_perms, dropout)
        self.cell_head = RelationalCellHead(dim, cell_width, cell_layers)
        # Registered last, so the exported graph lists the pretext layers first, as older exports do.
        self.neighbour_head = NeighbourHead(neighbour_strip, neighbour_width) if neighbour_strip else None

    def forward(self, tiles: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(perm logits, cell logits) and, with a neighbour head, neighbour logits (B, 2, 9, 9)."""
        out = self.pretext(tiles)
        return out if self.neighbour_head is None else (*out, self.neighbour_head(tiles))

    def pretext(self, tiles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two pretext heads only: (perm logits (B, K), cell logits (B, 9, 9))."""
        t = tiles.shape[-1]
        feats = self.encoder(tiles.reshape(-1, 3, t, t))  # (B*9, dim)
        # -1 rather than tiles.shape[0] keeps the batch axis dynamic in the ONNX graph.
        feats = feats.reshape(-1, N_TILES, feats.shape[-1])  # (B, 9, dim)
        joint = feats.reshape(-1, N_TILES * feats.shape[-1])  # (B, 9*dim)
        return self.perm_head(joint), self.cell_head(feats)
