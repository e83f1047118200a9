"""The stored tensors of an exported ONNX graph, by name: what reading weights back out of an export needs."""

import numpy as np
from onnx import GraphProto, numpy_helper


def graph_tensors(graph: GraphProto) -> dict[str, np.ndarray]:
    """Initializers, plus Constant node outputs and Identity aliases of them, keyed by tensor name."""
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # The exporter shares equal tensors (all-zero biases of an untrained net, say) through
    # Identity nodes, and may emit others as Constant nodes.
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensors[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "Identity" and node.input[0] in tensors:
            tensors[node.output[0]] = tensors[node.input[0]]
    return tensors
