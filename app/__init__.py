"""The HTTP API: takes images, queues jobs, serves results. Never imports torch or onnxruntime."""
