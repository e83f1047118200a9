"""Print the pip requirements of a container image, one per line, from pyproject.toml's dependencies.

    python docker/requirements.py cpu|gpu [pyproject.toml]

Both images install exactly the project's runtime dependencies, with two adjustments:
- cpu: ``onnxruntime`` (CPU build, same import name, ~20 MB) instead of ``onnxruntime-gpu`` (~300 MB
  of CUDA kernels a CPU-only machine never loads);
- both: a PostgreSQL driver (psycopg 3, which app/turing/db.py selects for postgresql:// URLs) when the
  dependencies do not list one yet, because docker-compose.yml points DATABASE_URL at PostgreSQL.
Standard library only: it runs before anything is installed in the image.
"""

import re
import sys
import tomllib
from pathlib import Path

VARIANTS = ("cpu", "gpu")
POSTGRES_DRIVER = "psycopg[binary]>=3.1"


def dist_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def requirements(variant: str, pyproject: Path) -> list[str]:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    out = []
    for dep in deps:
        if variant == "cpu" and dist_name(dep) == "onnxruntime-gpu":
            dep = "onnxruntime" + dep.strip()[len("onnxruntime-gpu"):]
        out.append(dep)
    if not any(dist_name(d) in {"psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary"} for d in out):
        out.append(POSTGRES_DRIVER)
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    pyproject = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent / "pyproject.toml"
    print("\n".join(requirements(argv[1], pyproject)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
