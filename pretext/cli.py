"""``pretext``: train, evaluate, export and use the pretext models from the shell.

Each sub-command lives in its own module, imported only when that command runs, so
``pretext colorize`` or ``pretext jigsaw solve`` never import torch.
"""

import argparse
import importlib
import sys

from pydantic import ValidationError

from core.errors import PretextError
from core.tasks import all_tasks
from core.tasks.spec import Command

# The commands that belong to no task; each task's own come from its spec (core.tasks).
GENERAL: tuple[Command, ...] = (
    Command(("train", "supervised"), "training.train_supervised:add_arguments:run",
            "train the shared trunk on imagenette labels (transfer upper bound)"),
    Command(("evaluate", "transfer"), "training.evaluate_transfer:add_arguments:run",
            "linear classifiers on frozen features of every model's blocks"),
    Command(("turing", "import"), "pretext.turing:add_arguments:run",
            "add photos to the Turing-test pool and queue their colorizations"),
)


def commands() -> dict[tuple[str, ...], Command]:
    """Every command by its words, older names included (they run the same command)."""
    found: dict[tuple[str, ...], Command] = {}
    for command in (*(c for spec in all_tasks() for c in spec.commands), *GENERAL):
        for words in (command.words, *command.aliases):
            if words in found:
                raise ValueError(f"two commands are called {' '.join(words)!r}")
            found[words] = command
    return found


def usage() -> str:
    lines = ["usage: pretext COMMAND [options]   (pretext COMMAND --help for its options)", ""]
    for words, command in sorted(commands().items()):
        alias = f" (the older name of pretext {' '.join(command.words)})" if words != command.words else ""
        lines.append(f"  {' '.join(words):<30} {command.help}{alias}")
    return "\n".join(lines)


def find_command(argv: list[str]) -> tuple[tuple[str, ...], list[str]] | None:
    """The longest registered command that prefixes argv, and the remaining arguments."""
    known = commands()
    for n in (3, 2, 1):
        words = tuple(argv[:n])
        if words in known:
            return words, argv[n:]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    found = find_command(argv)
    if found is None:
        print(usage(), file=sys.stderr if argv and argv[0] not in {"-h", "--help"} else sys.stdout)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    words, rest = found
    command = commands()[words]
    module_name, add_name, run_name = command.target.split(":")
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog="pretext " + " ".join(words), description=command.help)
    getattr(module, add_name)(parser)
    args = parser.parse_args(rest)
    try:
        return int(getattr(module, run_name)(args) or 0)
    except PretextError as exc:
        # A reason the user can act on (a bad setting, a missing dataset) is not a crash.
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        # A PRETEXT_* environment variable the settings class refuses.
        print(f"{parser.prog}: a setting from the environment is invalid: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
