"""Rebuild the shared trunk of any exported model from its ONNX file, for frozen-feature probes.

The exporter folds each BatchNorm into the convolution before it (conv weight W, bias B). Loading
W into the conv and setting the BatchNorm to scale 1, shift B, mean 0 and variance 1 - eps makes
the eval-mode ``Trunk`` compute exactly the exported function, block by block.
"""

import re
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from training.nets import Trunk
from training.onnx_tensors import graph_tensors

# Conv nodes of the trunk are named after their module path, e.g. "/net/trunk/blocks.2/blocks.2.1/..."
BLOCK_CONV = re.compile(r"(?:^|/)blocks\.(\d+)/")


class TrunkNotFoundError(ValueError):
    """The ONNX graph has no shared-trunk convolutions of the expected layout."""


def trunk_convs(path: Path) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """(weight, bias) of every trunk convolution of an ONNX file, grouped by block, in graph order."""
    graph = onnx.load(str(path)).graph
    weights = graph_tensors(graph)
    blocks: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for node in graph.node:
        match = BLOCK_CONV.search(node.name)
        if node.op_type != "Conv" or not match:
            continue
        if len(node.input) < 3 or node.input[1] not in weights or node.input[2] not in weights:
            raise TrunkNotFoundError(f"{path}: conv {node.name} has no folded weight and bias")
        blocks.setdefault(int(match.group(1)), []).append((weights[node.input[1]], weights[node.input[2]]))
    if sorted(blocks) != list(range(len(blocks))) or not blocks:
        raise TrunkNotFoundError(f"{path}: no trunk blocks found (blocks {sorted(blocks)})")
    return [blocks[i] for i in range(len(blocks))]


def load_trunk(path: Path) -> Trunk:
    """The eval-mode ``Trunk`` of an exported colorization, jigsaw or rotation model."""
    convs = trunk_convs(path)
    in_channels = convs[0][0][0].shape[1]
    widths = tuple(int(block[0][0].shape[0]) for block in convs)
    trunk = Trunk(in_channels, widths).eval()
    for block, saved in zip(trunk.blocks, convs, strict=True):
        modules = [m for m in block.modules() if isinstance(m, nn.Conv2d | nn.BatchNorm2d)]
        pairs = list(zip(modules[0::2], modules[1::2], strict=True))
        if len(pairs) != len(saved):
            raise TrunkNotFoundError(f"{path}: block has {len(saved)} convs, the trunk {len(pairs)}")
        for (conv, bn), (w, b) in zip(pairs, saved, strict=True):
            if tuple(conv.weight.shape) != w.shape:
                raise TrunkNotFoundError(f"{path}: conv weight {w.shape}, trunk expects {tuple(conv.weight.shape)}")
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.array(w)))
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(np.array(b)))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
    return trunk
