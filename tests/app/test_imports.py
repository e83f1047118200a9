"""The API process must stay light: it never imports torch or onnxruntime."""

import subprocess
import sys

from core.settings import PROJECT_ROOT

CHECK = """
import sys
from fastapi.testclient import TestClient
import app.main
with TestClient(app.main.create_app()) as client:
    client.get("/healthz")
    client.get("/api/v1/models")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "onnxruntime"})
print(",".join(heavy))
"""


def test_the_app_never_imports_torch_or_onnxruntime():
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120, env={"PATH": "/usr/bin:/bin", "PRETEXT_MODELS_DIR": "/nonexistent"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"app imported {out.stdout.strip()}"
