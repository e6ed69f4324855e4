"""Entry point of the ``torchless`` console script."""
import argparse
import sys

from . import evaluate, explain, predict, run_script, serve, show, summary, train
from .errors import CLIError, report

COMMANDS = (train, evaluate, predict, summary, explain, show, serve, run_script)


def build_parser():
    parser = argparse.ArgumentParser(prog="torchless", description="Train and use small CNNs with torchless.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as err:
        report(args.command, err)
        return 1
    except KeyboardInterrupt:
        print(f"torchless {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
