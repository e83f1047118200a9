"""Where the CLIs write their results: one file per input, never over an input or an earlier result."""

from collections.abc import Iterable
from pathlib import Path

from core.errors import OutputError


def output_folder(folder: Path) -> Path:
    """``folder``, created if missing; an OutputError if it is a file or cannot be created."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"{folder} exists and is not a folder") from exc
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder}: {exc.strerror or exc}") from exc
    return folder


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, its folder created; write failures become an OutputError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


class OutputNames:
    """Names ``<stem><suffix>`` for the inputs of one run, made unique with -2, -3, ...

    Two inputs with one stem (a/x.jpg and b/x.jpg, or x.jpg and x.png) would otherwise write the same
    file, the second silently replacing the first; and an output named like an input would replace it.
    """

    def __init__(self, inputs: Iterable[Path], suffix: str = ".png") -> None:
        self.suffix = suffix
        self.taken = {_key(p) for p in inputs}

    def next(self, source: Path, folder: Path) -> Path:
        """The output path in ``folder`` for ``source``, reserved for this run."""
        stem, n = source.stem, 1
        path = folder / f"{stem}{self.suffix}"
        while _key(path) in self.taken:
            n += 1
            path = folder / f"{stem}-{n}{self.suffix}"
        self.taken.add(_key(path))
        return path


def _key(path: Path) -> Path:
    return path.resolve(strict=False)
