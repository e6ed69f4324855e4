"""``torchless run``: a PyTorch script, run unchanged with ``torch`` and ``torchvision`` resolving to torchless."""
import argparse
import os

from .errors import CLIError


def add_parser(subparsers):
    p = subparsers.add_parser("run", help="run a PyTorch script with torch and torchvision resolving to torchless",
                              description="Run SCRIPT as __main__ with its arguments, 'import torch' and 'import "
                                          "torchvision' (and their submodules) giving torchless's modules.")
    p.add_argument("script", metavar="SCRIPT", help="the Python file to run")
    p.add_argument("arguments", nargs=argparse.REMAINDER, metavar="ARG", help="its command-line arguments")
    p.set_defaults(run=run)


def run(args):
    from ..as_torch import run_script

    if not os.path.isfile(args.script):
        raise CLIError(f"no such file: {args.script}")
    run_script(args.script, args.arguments)
    return 0
