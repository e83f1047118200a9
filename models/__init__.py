"""Pre/post-processing shared by training and serving, plus the exported ONNX models."""
