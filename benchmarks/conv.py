"""Convolutions only, torchless vs PyTorch side by side: ``python benchmarks/conv.py [--quick] [--markdown]``.

The same as ``python benchmarks/run.py --section conv`` (forward and forward+backward over the
issue's table of shapes, ratios and their geometric means); ``benchmarks/conv_kernels.py`` times
the array kernels alone, algorithm by algorithm.
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import run  # noqa: E402  (the benchmark module beside this file)

if __name__ == "__main__":
    sys.exit(run.main(["--section", "conv", *sys.argv[1:]]))
