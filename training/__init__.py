"""PyTorch training, evaluation and ONNX export of the three pretext models."""
