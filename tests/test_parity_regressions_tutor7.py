"""Differences from PyTorch found by running teaching code (PyTorch's tutorials: Learn the Basics, the 60 minute
blitz, What is torch.nn really?, TensorBoard, saving and loading, transfer learning, hooks; d2l's CNN chapters;
common blog snippets) unchanged under torchless, each fixed here and compared against PyTorch where it can be:

- ``import torchvision.ops`` (``from torchvision.ops import Conv2dNormActivation``) as the first torchvision import
  failed with a circular import between ``ops.misc`` and ``models``; Conv2dNormActivation now lives in
  ``ops.misc``, as torchvision's does.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _fresh_interpreter(code):
    """What ``code`` prints when run by a new interpreter, where nothing is imported yet."""
    source_root = os.path.dirname(os.path.dirname(torchless.__file__))  # this torchless, not an installed one
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# ---------------------------------------------------------------------------- torchvision.ops first
@pytest.mark.parametrize("statement", [
    "import torchless.vision.ops as ops",
    "from torchless.vision.ops import misc as ops",
    "import torchless.vision.models; import torchless.vision.ops as ops",
])
def test_vision_ops_importable_first(statement):
    printed = _fresh_interpreter(f"{statement}; print(ops.Conv2dNormActivation.__module__, "
                                 "ops.SqueezeExcitation.__module__)")
    assert printed == "torchless.vision.ops.misc torchless.vision.ops.misc"
