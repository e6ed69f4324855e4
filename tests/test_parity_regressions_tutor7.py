"""Differences from PyTorch found by running teaching code (PyTorch's tutorials: Learn the Basics, the 60 minute
blitz, What is torch.nn really?, TensorBoard, saving and loading, transfer learning, hooks; d2l's CNN chapters;
common blog snippets) unchanged under torchless, each fixed here and compared against PyTorch where it can be:

- ``import torchvision.ops`` (``from torchvision.ops import Conv2dNormActivation``) as the first torchvision import
  failed with a circular import between ``ops.misc`` and ``models``; Conv2dNormActivation now lives in
  ``ops.misc``, as torchvision's does.
- torch.load's errors carry PyTorch's type names: a weights-only refusal is an ``UnpicklingError`` (was
  ``CheckpointError``), an empty file an ``EOFError`` (was ``_EmptyFileError``), a storage bound for CUDA a
  ``RuntimeError`` (was ``CheckpointError``); the types caught so far still catch them.
- A weights-only load refuses ``slice`` and ``frozenset`` as PyTorch's does, and names a refused global as PyTorch
  does: builtins bare (``GLOBAL slice``) and protocol 2's Python 2 names mapped (``range``, not ``builtins.xrange``).
- ``map_location={'cpu': 'cuda:0'}`` raises PyTorch's CUDA error for a torchless checkpoint too.
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


# ---------------------------------------------------------------------------- torch.load's errors
def _load_outcome(lib, obj, tmp_path, **load_options):
    path = tmp_path / f"{lib.__name__}.pt"
    lib.save(obj, path)
    try:
        return "loaded", lib.load(path, **load_options)
    except Exception as error:  # noqa: BLE001 - the exception is compared
        return type(error).__name__, str(error).replace("torchless", "torch")


@pytest.mark.parametrize("make", [
    lambda lib: {"x": slice(1, 2)},
    lambda lib: {"x": frozenset([1])},
    lambda lib: {"x": range(3)},
    lambda lib: {"x": Ellipsis},
    lambda lib: [np.arange(3)],
    lambda lib: lib.nn.Linear(2, 2),
])
def test_weights_only_refusals(make, tmp_path):
    expected = _load_outcome(torch, make(torch), tmp_path)
    assert expected[0] == "UnpicklingError"
    assert _load_outcome(torchless, make(torchless), tmp_path) == expected


def test_weights_only_allows_what_pytorch_allows(tmp_path):
    obj = {"set": {1, 2}, "complex": 1 + 2j, "bytes": b"ab", "bytearray": bytearray(b"cd"), "none": None}
    assert _load_outcome(torchless, obj, tmp_path) == _load_outcome(torch, obj, tmp_path) == ("loaded", obj)
    with torchless.serialization.safe_globals([range, slice]):
        assert _load_outcome(torchless, {"r": range(3), "s": slice(2)}, tmp_path) == (
            "loaded", {"r": range(3), "s": slice(2)})


def test_refusals_still_caught_as_before(tmp_path):
    import pickle

    torchless.save(torchless.nn.Linear(2, 2), tmp_path / "m.pt")
    for kind in (pickle.UnpicklingError, RuntimeError, torchless.serialization.CheckpointError):
        with pytest.raises(kind):
            torchless.load(tmp_path / "m.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    for lib in (torch, torchless):
        with pytest.raises(EOFError) as info:
            lib.load(tmp_path / "empty.pt")
        assert (type(info.value).__name__, str(info.value)) == ("EOFError", "")


@pytest.mark.parametrize("map_location", ["cuda", "cuda:1", {"cpu": "cuda:0"}])
@pytest.mark.parametrize("torch_format", [False, True])
def test_cuda_map_location_error(map_location, torch_format, tmp_path):
    outcomes = []
    for lib, options in ((torch, {}), (torchless, {"format": "torch"} if torch_format else {})):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save({"w": lib.ones(2)}, path, **options)
        try:
            lib.load(path, map_location=map_location)
            outcomes.append("loaded")
        except RuntimeError as error:
            outcomes.append((type(error).__name__, str(error)))
    assert outcomes[0][0] == "RuntimeError"
    assert outcomes[1] == outcomes[0]
