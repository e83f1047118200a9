"""A trunk block's output as its own ONNX graph, and the first layer's filters, read from an exported model.

Every exported network names its nodes after the module path (``/encoder/trunk/blocks.2/blocks.2.1/...``).
The shared trunk (``training.nets.Trunk``) is found by its first convolution, ``{prefix}blocks.0/``; the
context encoder of the inpainting model by ``{prefix}encoder.0/``. Block ``b``'s output is the output of
the last node under ``{prefix}blocks.{b-1}/`` (its ReLU), and the graph is cut there with
``onnx.utils.Extractor``: from the trunk's own input (after any reshaping of tiles or patch pairs into a
batch) or, for the context encoder, from the model's input (its first ops hide the hole and rescale RGB).
The exporter folds each BatchNorm into the convolution before it, so the first Conv's weight is the filter.
"""

import re
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, utils

from core.errors import ModelNotAvailableError
from models.onnx_tensors import graph_tensors

# The first convolution of a trunk ("blocks") or of the context encoder ("encoder"): prefix, layer word, block.
FIRST_CONV = re.compile(r"^(?P<prefix>.*?/)(?P<word>blocks|encoder)\.0/")
LAYOUTS = {"blocks": "trunk", "encoder": "context-encoder"}


@dataclass(frozen=True)
class TrunkLayout:
    """Where the trunk sits in a graph: its node-name prefix, its kind and the tensor it starts from."""

    prefix: str  # e.g. "/encoder/trunk/"
    word: str  # "blocks" (the shared trunk) or "encoder" (the context encoder)
    first_conv: onnx.NodeProto
    start: str  # the tensor the cut graph takes as its input

    @property
    def kind(self) -> str:
        return LAYOUTS[self.word]

    def block_prefix(self, block: int) -> str:
        return f"{self.prefix}{self.word}.{block - 1}/"


def trunk_layout(graph: onnx.GraphProto) -> TrunkLayout:
    """The trunk of an exported model; ModelNotAvailableError when the graph has none."""
    for node in graph.node:
        match = FIRST_CONV.match(node.name)
        if node.op_type == "Conv" and match:
            word = match.group("word")
            start = graph.input[0].name if word == "encoder" else node.input[0]
            return TrunkLayout(match.group("prefix"), word, node, start)
    raise ModelNotAvailableError(f"the graph {graph.name!r} has no trunk (no convolution under blocks.0/ or "
                                 "encoder.0/)")


def block_count(graph: onnx.GraphProto, layout: TrunkLayout) -> int:
    """How many blocks the trunk has (consecutive from 1)."""
    names = [n.name for n in graph.node]
    b = 0
    while any(name.startswith(layout.block_prefix(b + 1)) for name in names):
        b += 1
    return b


def block_output(graph: onnx.GraphProto, layout: TrunkLayout, block: int) -> str:
    """The tensor block ``block`` (1 = earliest) hands on: the output of its last node."""
    last = [n for n in graph.node if n.name.startswith(layout.block_prefix(block))]
    if not last:
        raise ModelNotAvailableError(f"the graph has no block {block} (no node under {layout.block_prefix(block)})")
    return last[-1].output[0]


def _spatial_value_info(name: str, channels: int | str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", channels, "height", "width"])


def cut_at_block(model: onnx.ModelProto, block: int) -> onnx.ModelProto:
    """The part of ``model`` from its trunk's input to block ``block``'s output: (B, C, H, W) in, the block's
    maps (B, C_b, h, w) out, any batch and size (the model's own fixed sizes, such as the context encoder's
    128 px window, do not bind the convolutions it keeps)."""
    graph = model.graph
    layout = trunk_layout(graph)
    end = block_output(graph, layout, block)
    extractor = utils.Extractor(model)
    # Its table of typed tensors (``value_infos``; ``vimap`` before onnx 1.17) lacks most intermediate ones.
    infos = getattr(extractor, "value_infos", None)
    infos = extractor.vimap if infos is None else infos
    for name in (layout.start, end):
        infos.setdefault(name, _spatial_value_info(name, "channels"))
    cut = extractor.extract_model([layout.start], [end])
    channels = _input_channels(graph, layout)
    cut.graph.ClearField("value_info")  # shapes inferred at the export's size would bind the new graph
    del cut.graph.input[:]
    cut.graph.input.append(_spatial_value_info(layout.start, channels))
    del cut.graph.output[:]
    cut.graph.output.append(_spatial_value_info(end, "block_channels"))
    return cut


def _input_channels(graph: onnx.GraphProto, layout: TrunkLayout) -> int:
    if layout.word == "encoder":
        return int(graph.input[0].type.tensor_type.shape.dim[1].dim_value)
    return int(first_filters(graph, layout).shape[1])


def first_filters(graph: onnx.GraphProto, layout: TrunkLayout | None = None) -> np.ndarray:
    """The trunk's first convolution's weight (O, I, kh, kw) float32: the filters it looks at pixels with."""
    layout = layout or trunk_layout(graph)
    weights = graph_tensors(graph)
    name = layout.first_conv.input[1]
    if name not in weights:
        raise ModelNotAvailableError(f"the first convolution {layout.first_conv.name} has no stored weight")
    return np.asarray(weights[name], dtype=np.float32)
