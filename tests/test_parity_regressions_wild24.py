"""Differences from PyTorch found by running whole CNN programs as people write them (a DCGAN, denoising
autoencoders, a U-Net, neural style transfer with LBFGS, Siamese nets with contrastive and triplet losses,
knowledge distillation, mixup and cutmix, fine-tuning with frozen backbones and parameter groups, class-weighted
sampling, test-time augmentation and weight averaging, TorchScript, dict datasets with padding collate functions)
unchanged under ``python -m torchless.as_torch``, each fixed here and compared against PyTorch:

- A script run through ``torchless.as_torch`` had the path as typed as ``__file__`` (``runpy.run_path``'s
  behaviour): ``python script.py`` gives the absolute path, so warnings and tracebacks printed a different file
  name, and ``os.path.dirname(__file__)`` broke after an ``os.chdir``. ``sys.argv[0]`` stays the path as typed.
- The deprecated ``torch.nn.utils.weight_norm`` warned naming the caller's line; PyTorch's ``@deprecated``
  ``WeightNorm.apply`` names its own call in weight_norm.py (so the warning is shown once per process, not once
  per calling line). So did the size_average / reduce deprecation of loss modules and of the losses that read the
  flags themselves (margin_ranking_loss, poisson_nll_loss, ...), meshgrid's missing-indexing warning and
  checkpoint's missing use_reentrant warning: PyTorch names a library line in each.
"""
import pytest

import torchless
from helpers import run_python

torch = pytest.importorskip("torch")


def test_a_script_run_through_the_alias_knows_its_absolute_path(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train.py").write_text(
        "import os, sys, warnings\n"
        "import torch\n"
        "print(__file__, sys.argv[0], sorted(name for name in vars() if name.startswith('__')))\n"
        "print(__name__, __spec__, __package__, __cached__, type(__builtins__).__name__)\n"
        "warnings.warn('learning rate too high')\n"
        "torch.tensor(torch.ones(2))  # PyTorch's copy-construct warning, pointing at this line\n"
        "os.chdir('..')\n"
        "print(os.path.isfile(__file__))\n")
    script = "scripts/train.py"  # relative, as typed in a terminal
    expected = run_python([script], cwd=tmp_path)
    actual = [printed.replace("torchless.", "torch.")
              for printed in run_python(["-m", "torchless.as_torch", script], cwd=tmp_path)]
    assert actual[0].splitlines() == expected[0].splitlines()
    warned = [line for line in expected[1].splitlines() if "Warning" in line]
    assert [line for line in actual[1].splitlines() if "Warning" in line] == warned
    assert len(warned) == 2 and warned[0].startswith(str(tmp_path / script))


def _warnings_of(lib, call):
    """What ``call(lib)`` warns: category, message, and which file the warning names (inside the library or not)."""
    import os
    import warnings

    library = os.path.dirname(lib.__file__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    return [(w.category, str(w.message).replace("torchless", "torch"), os.path.basename(w.filename),
             w.filename.startswith(library)) for w in caught]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(3, 2)),
    lambda lib: lib.nn.MSELoss(size_average=False),
    lambda lib: lib.nn.CrossEntropyLoss(reduce=False),
    lambda lib: lib.nn.functional.l1_loss(lib.ones(2), lib.zeros(2), size_average=False),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([0, 2]), reduce=False),
    lambda lib: lib.nn.functional.margin_ranking_loss(lib.ones(2), lib.zeros(2), lib.ones(2), size_average=True),
    lambda lib: lib.nn.functional.poisson_nll_loss(lib.ones(2), lib.ones(2), reduce=True),
    lambda lib: lib.utils.checkpoint.checkpoint(lambda x: x * 2, lib.ones(2, requires_grad=True)),
    lambda lib: lib.utils.checkpoint.checkpoint_sequential(lib.nn.Sequential(lib.nn.ReLU()), 1,
                                                           lib.ones(2, requires_grad=True)),
])
def test_library_warnings_name_the_library_as_pytorchs_do(call):
    """Which file a warning names decides what it prints and, under the default filters, how often it shows."""
    def where(lib):
        return [(category, message, inside) for category, message, _, inside in _warnings_of(lib, call)]

    assert where(torchless) == where(torch)


def test_deprecated_weight_norm_warning_names_weight_norm_py():
    def call(lib):
        lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))

    assert _warnings_of(torchless, call) == _warnings_of(torch, call)


def test_meshgrid_indexing_warning_names_the_library(tmp_path):
    script = ("import os, warnings, torch\n"
              "with warnings.catch_warnings(record=True) as caught:\n"
              "    warnings.simplefilter('always')\n"
              "    torch.meshgrid(torch.ones(2), torch.ones(3))\n"
              "    torch.meshgrid(torch.ones(2), torch.ones(3))  # once per process\n"
              "library = os.path.dirname(torch.__file__)\n"
              "print([(w.category.__name__, w.filename.startswith(library)) for w in caught])\n")
    (tmp_path / "grid.py").write_text(script)
    expected, _ = run_python(["grid.py"], cwd=tmp_path)
    actual, _ = run_python(["-m", "torchless.as_torch", "grid.py"], cwd=tmp_path)
    assert actual == expected == "[('UserWarning', True)]\n"
