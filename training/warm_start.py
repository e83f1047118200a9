"""Start a training run from an exported model: ONNX weights back into the training-time network.

The exporter folds each BatchNorm into the convolution before it, so the ONNX file holds a conv
weight W and bias B where the network has a bias-free conv and a BatchNorm. Loading W into the conv
and giving each BatchNorm the statistics of its input on a sample batch (mean m, variance v; scale
sqrt(v + eps), shift m + B) makes the network compute the exported function exactly, in eval mode
and, on that batch, in training mode too. So a longer run can pick up where a shipped one ended
even though its checkpoint is gone.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from training.onnx_tensors import graph_tensors


class WarmStartError(ValueError):
    """The ONNX graph's layers do not match the network's."""


def onnx_layer_weights(path: Path) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """(weight, bias) of every Conv, Gemm and weighted MatMul node of an ONNX file, in graph order.

    Weights come back in torch's layout: a Linear applied to a (B, n, d) tensor exports as MatMul by
    the transposed weight, followed by an Add of the bias, so both are undone here.
    """
    graph = onnx.load(str(path)).graph
    tensors = graph_tensors(graph)
    adds = {i: n for n in graph.node if n.op_type == "Add" for i in n.input}
    layers = []
    for node in graph.node:
        if node.op_type in ("Conv", "Gemm"):
            if node.input[1] not in tensors:
                raise WarmStartError(f"{path}: {node.name} has no stored weight")
            if node.op_type == "Gemm" and not _attribute(node, "transB", 0):
                raise WarmStartError(f"{path}: {node.name} is a Gemm without transB")
            bias = tensors.get(node.input[2]) if len(node.input) > 2 else None
            layers.append((tensors[node.input[1]], bias))
        elif node.op_type == "MatMul" and node.input[1] in tensors:  # q @ k and att @ v have no stored side
            add = adds.get(node.output[0])
            stored = [i for i in add.input if i in tensors] if add is not None else []
            layers.append((tensors[node.input[1]].T, tensors[stored[0]] if stored else None))
    return layers


def onnx_output_names(path: Path) -> list[str]:
    """The graph's output names, in order."""
    return [o.name for o in onnx.load(str(path), load_external_data=False).graph.output]


def onnx_norm_weights(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(scale, bias) of every LayerNormalization node, in graph order."""
    graph = onnx.load(str(path)).graph
    tensors = graph_tensors(graph)
    norms = []
    for node in graph.node:
        if node.op_type == "LayerNormalization":
            if node.input[1] not in tensors or len(node.input) < 3 or node.input[2] not in tensors:
                raise WarmStartError(f"{path}: {node.name} has no stored scale and bias")
            norms.append((tensors[node.input[1]], tensors[node.input[2]]))
    return norms


def _attribute(node: onnx.NodeProto, name: str, default: int) -> int:
    return next((a.i for a in node.attribute if a.name == name), default)


def _modules(model: nn.Module, skip: tuple[nn.Module, ...]) -> list[nn.Module]:
    """``model.modules()`` in order, less every module inside one of ``skip``."""
    skipped = {id(m) for s in skip for m in s.modules()}
    return [m for m in model.modules() if id(m) not in skipped]


def _conv_bn_pairs(model: nn.Module, skip: tuple[nn.Module, ...] = ()) -> list[tuple[nn.Module, nn.BatchNorm2d | None]]:
    """Every Conv2d and Linear in module order, each with the BatchNorm that follows a bias-free conv."""
    pairs: list[tuple[nn.Module, nn.BatchNorm2d | None]] = []
    for m in _modules(model, skip):
        if isinstance(m, nn.Conv2d | nn.Linear):
            pairs.append((m, None))
        elif isinstance(m, nn.BatchNorm2d):
            if not pairs or pairs[-1][1] is not None or pairs[-1][0].bias is not None:
                raise WarmStartError("a BatchNorm that does not follow a bias-free convolution")
            pairs[-1] = (pairs[-1][0], m)
    return pairs


def warm_start(model: nn.Module, onnx_path: Path, sample: torch.Tensor, skip: tuple[nn.Module, ...] = (),
               grow: tuple[nn.Module, ...] = ()) -> None:
    """Load an exported model's weights into ``model`` (same architecture), BatchNorms fitted on ``sample``.

    Modules in ``skip`` (a head the export does not have yet) keep their fresh initialisation. A convolution in
    ``grow`` may take more input channels than the export's (new inputs): those channels' weights start at zero,
    so the network computes the export's function whatever the new inputs hold. Every other shape must match.
    """
    _load_layer_norms(model, onnx_path, skip)
    layers = onnx_layer_weights(onnx_path)
    pairs = _conv_bn_pairs(model, skip)
    if len(layers) != len(pairs):
        raise WarmStartError(f"{onnx_path}: {len(layers)} conv/linear layers, the network has {len(pairs)}")
    grown = {id(m) for m in grow}
    hooks = []
    for (layer, bn), (w, b) in zip(pairs, layers, strict=True):
        if id(layer) in grown:
            w = widened(w, tuple(layer.weight.shape))
        if tuple(layer.weight.shape) != w.shape:
            raise WarmStartError(f"{onnx_path}: weight {w.shape}, the network expects {tuple(layer.weight.shape)}")
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.array(w)))
            if layer.bias is not None:
                layer.bias.copy_(torch.from_numpy(np.array(b)) if b is not None else torch.zeros_like(layer.bias))
        if bn is not None:
            folded_bias = torch.from_numpy(np.array(b)) if b is not None else torch.zeros(bn.num_features)
            hooks.append(bn.register_forward_pre_hook(_fit_batchnorm(folded_bias)))
    was_training = model.training
    model.eval()  # each BatchNorm is fitted in its pre-hook, then applied with those statistics
    try:
        with torch.no_grad():
            model(sample.to(next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
    model.train(was_training)


def widened(w: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A stored conv weight (out, c, k, k) -> ``shape`` (out, c', k, k), c' >= c, the new input channels zero.
    Any other difference is returned unchanged, for warm_start's shape check to refuse."""
    if len(shape) != w.ndim or shape[1] < w.shape[1] or shape[:1] + shape[2:] != w.shape[:1] + w.shape[2:]:
        return w
    out = np.zeros(shape, w.dtype)
    out[:, : w.shape[1]] = w
    return out


def _load_layer_norms(model: nn.Module, onnx_path: Path, skip: tuple[nn.Module, ...] = ()) -> None:
    """Copy the export's LayerNormalization scales and biases into the network's LayerNorms, in order."""
    norms = onnx_norm_weights(onnx_path)
    modules = [m for m in _modules(model, skip) if isinstance(m, nn.LayerNorm)]
    if len(norms) != len(modules):
        raise WarmStartError(f"{onnx_path}: {len(norms)} layer norms, the network has {len(modules)}")
    for m, (scale, bias) in zip(modules, norms, strict=True):
        if tuple(m.weight.shape) != scale.shape:
            raise WarmStartError(f"{onnx_path}: layer norm {scale.shape}, the network expects {tuple(m.weight.shape)}")
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(np.array(scale)))
            m.bias.copy_(torch.from_numpy(np.array(bias)))


def _fit_batchnorm(folded_bias: torch.Tensor) -> Callable[[nn.BatchNorm2d, tuple[torch.Tensor, ...]], None]:
    """A forward pre-hook that fits its BatchNorm to the incoming batch, shifted by the folded bias."""
    def hook(bn: nn.BatchNorm2d, inputs: tuple[torch.Tensor, ...]) -> None:
        y = inputs[0]  # (B, C, H, W): the conv's output without bias
        mean = y.mean(dim=(0, 2, 3))
        var = y.var(dim=(0, 2, 3), unbiased=False)
        with torch.no_grad():
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.copy_(mean + folded_bias.to(mean))

    return hook
