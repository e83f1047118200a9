"""The stored tensors of an exported ONNX graph (the reader is ``models.onnx_tensors``, shared with serving)."""

from models.onnx_tensors import graph_tensors  # noqa: F401  (training's modules import it from here)
