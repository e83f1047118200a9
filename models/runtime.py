"""ONNX Runtime sessions: CUDA when a usable GPU is present (or asked for), CPU otherwise."""

import os
from pathlib import Path
from typing import Literal

from core.errors import ModelNotAvailableError

Device = Literal["auto", "cpu", "cuda"]


def gpu_present() -> bool:
    """True when an NVIDIA device node exists; checked before asking onnxruntime for CUDA.

    onnxruntime-gpu lists the CUDA provider even on machines without a GPU and then logs
    errors when it fails to start it, so we look for the device first.
    """
    return Path("/dev/nvidiactl").exists() or bool(os.environ.get("PRETEXT_FORCE_CUDA"))


def providers_for(device: Device) -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    cuda_ok = "CUDAExecutionProvider" in available
    if device == "cuda":
        if not cuda_ok:
            raise ModelNotAvailableError("PRETEXT_DEVICE=cuda but onnxruntime has no CUDA provider")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "auto" and cuda_ok and gpu_present():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def load_session(path: str | Path, device: Device = "auto", threads: int = 0):  # -> ort.InferenceSession
    """Open an ONNX model; raises ModelNotAvailableError when the file is missing or broken."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ModelNotAvailableError(f"no model file at {path}")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only: no provider warnings on CPU-only machines
    if threads:
        opts.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=providers_for(device))
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise ModelNotAvailableError(f"cannot load {path}: {exc}") from exc
