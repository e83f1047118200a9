"""``pretext``: train, evaluate, export and use the pretext models from the shell.

Each sub-command lives in its own module, imported only when that command runs, so
``pretext colorize`` or ``pretext jigsaw solve`` never import torch.
"""

import argparse
import importlib
import sys

from pydantic import ValidationError

from models.errors import PretextError

# (words) -> (module, its add-arguments function, its run function, one-line help)
COMMANDS: dict[tuple[str, ...], tuple[str, str, str, str]] = {
    ("train", "colorization"): ("training.train_colorization", "add_arguments", "run",
                                "train the colorization model"),
    ("train", "jigsaw"): ("training.train_jigsaw", "add_arguments", "run", "train the jigsaw model"),
    ("train", "rotation"): ("training.train_rotation", "add_arguments", "run", "train the rotation model"),
    ("train", "supervised"): ("training.train_supervised", "add_arguments", "run",
                              "train the shared trunk on imagenette labels (transfer upper bound)"),
    ("evaluate", "colorization"): ("training.evaluate_colorization", "add_arguments", "run",
                                   "evaluate colorization models"),
    ("evaluate", "colorization-sweep"): ("training.sweep_colorization", "add_arguments", "run",
                                         "choose serving size and temperature on imagenette-val"),
    ("evaluate", "jigsaw"): ("training.evaluate_jigsaw", "add_arguments", "run", "evaluate the jigsaw model"),
    ("evaluate", "rotation"): ("training.evaluate_rotation", "add_arguments", "run",
                               "rotation accuracy on imagenette-val and turned photos"),
    ("evaluate", "transfer"): ("training.evaluate_transfer", "add_arguments", "run",
                               "linear classifiers on frozen features of every model's blocks"),
    ("export", "colorization"): ("training.export_colorization", "add_arguments", "run",
                                 "export a colorization run to ONNX"),
    ("export", "jigsaw"): ("training.export_jigsaw", "add_arguments", "run", "export a jigsaw run to ONNX"),
    ("export", "rotation"): ("training.export_rotation", "add_arguments", "run", "export a rotation run to ONNX"),
    ("colorize",): ("models.colorize_cli", "add_arguments", "run", "colorize photos with the shipped ONNX model"),
    ("jigsaw", "solve"): ("models.jigsaw_cli", "add_solve_arguments", "run_solve",
                          "solve shuffled 3x3 puzzles with the shipped ONNX model"),
    ("jigsaw", "shuffle"): ("models.jigsaw_cli", "add_shuffle_arguments", "run_shuffle",
                            "shuffle a photo's 3x3 grid"),
    ("rotate",): ("models.rotation_cli", "add_rotate_arguments", "run_rotate",
                  "tell how far photos are rotated; --fix writes them upright"),
    ("attention",): ("models.rotation_cli", "add_attention_arguments", "run_attention",
                     "overlay the rotation network's attention map on a photo"),
    ("turing", "import"): ("app.turing.import_cli", "add_arguments", "run",
                           "add photos to the Turing-test pool and queue their colorizations"),
}


def usage() -> str:
    lines = ["usage: pretext COMMAND [options]   (pretext COMMAND --help for its options)", ""]
    lines += [f"  {' '.join(words):<30} {entry[3]}" for words, entry in sorted(COMMANDS.items())]
    return "\n".join(lines)


def find_command(argv: list[str]) -> tuple[tuple[str, ...], list[str]] | None:
    """The longest registered command that prefixes argv, and the remaining arguments."""
    for n in (3, 2, 1):
        words = tuple(argv[:n])
        if words in COMMANDS:
            return words, argv[n:]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    found = find_command(argv)
    if found is None:
        print(usage(), file=sys.stderr if argv and argv[0] not in {"-h", "--help"} else sys.stdout)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    words, rest = found
    module_name, add_name, run_name, help_ = COMMANDS[words]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog="pretext " + " ".join(words), description=help_)
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
