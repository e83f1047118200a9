"""``pretext``: train, evaluate, export and use the pretext models from the shell.

Sub-commands import their heavy dependencies lazily: ``pretext colorize`` never imports torch.
"""

import argparse
import sys


def _train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a pretext model")
    models = p.add_subparsers(dest="model", required=True)
    from training import train_colorization

    train_colorization.add_arguments(models.add_parser("colorization", help="Zhang et al. 2016"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pretext", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _train(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train" and args.model == "colorization":
        from training import train_colorization

        return train_colorization.run(args)
    print(f"unknown command {args.command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
