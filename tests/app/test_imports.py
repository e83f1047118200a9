"""The API process must stay light (no torch, no onnxruntime) and reach the workers only through core."""

import ast
import subprocess
import sys
from pathlib import Path

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


def imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth of its code (function-level imports too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_nothing_under_app_imports_the_worker():
    offenders = {str(path.relative_to(PROJECT_ROOT)): sorted(m for m in imported_modules(path)
                                                            if m == "worker" or m.startswith("worker."))
                 for path in (PROJECT_ROOT / "app").rglob("*.py")}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_import_scan_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from worker.tasks import job_function\n    import worker.base\n")
    assert imported_modules(source) == {"worker.tasks", "worker.base"}
