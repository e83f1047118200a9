"""``pretext``: train, evaluate, export and use the pretext models from the shell.

Each sub-command lives in its own module, imported only when that command runs, so
``pretext colorize`` or ``pretext jigsaw solve`` never import torch.
"""

import argparse
import importlib
import sys

# (words) -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("train", "colorization"): ("training.train_colorization", "train the colorization model"),
    ("evaluate", "colorization"): ("training.evaluate_colorization", "evaluate colorization models"),
    ("export", "colorization"): ("training.export_colorization", "export a colorization run to ONNX"),
    ("colorize",): ("models.colorize_cli", "colorize photos with the shipped ONNX model"),
}


def usage() -> str:
    lines = ["usage: pretext COMMAND [options]   (pretext COMMAND --help for its options)", ""]
    lines += [f"  {' '.join(words):<24} {help_}" for words, (_, help_) in sorted(COMMANDS.items())]
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
    module_name, help_ = COMMANDS[words]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog="pretext " + " ".join(words), description=help_)
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(rest)) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
