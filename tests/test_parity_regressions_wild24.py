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
  flags themselves (margin_ranking_loss, poisson_nll_loss, ...), meshgrid's missing-indexing warning,
  checkpoint's missing use_reentrant warning, set_default_tensor_type's deprecation, the non-full backward hook
  warning and the implicit dim of the Softmax, LogSoftmax and Softmin modules: PyTorch names a library line in
  each. ``torch.cross`` without dim named torchless's line where PyTorch names the user's.
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


def _non_full_backward_hook(lib):
    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
    model.register_backward_hook(lambda *_: None)
    model(lib.ones(1, 2, requires_grad=True)).sum().backward()


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
    lambda lib: lib.nn.Softmax()(lib.ones(2, 2)),
    lambda lib: lib.nn.Sequential(lib.nn.Identity(), lib.nn.LogSoftmax())(lib.ones(2, 2)),
    lambda lib: lib.nn.Softmin()(lib.ones(2, 2)),
    lambda lib: lib.nn.functional.softmax(lib.ones(2, 2)),
    _non_full_backward_hook,
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


@pytest.mark.parametrize("statement, in_library", [
    ("torch.meshgrid(torch.ones(2), torch.ones(3))", True),
    ("torch.set_default_tensor_type(torch.DoubleTensor)", True),
    ("torch.cross(torch.ones(3, 3), torch.ones(3, 3)); torch.ones(3).cross(torch.ones(3))", False),
    ("torch.ones(3).cross(torch.ones(3))", False),
])
def test_warnings_once_per_process_name_where_pytorchs_do(statement, in_library, tmp_path):
    script = ("import os, warnings, torch\n"
              "with warnings.catch_warnings(record=True) as caught:\n"
              "    warnings.simplefilter('always')\n"
              f"    {statement}\n"
              f"    {statement}  # once per process\n"
              "library = os.path.dirname(torch.__file__)\n"
              "print([(w.category.__name__, w.filename.startswith(library), str(w.message)) for w in caught])\n")
    (tmp_path / "once.py").write_text(script)
    expected, _ = run_python(["once.py"], cwd=tmp_path)
    actual, _ = run_python(["-m", "torchless.as_torch", "once.py"], cwd=tmp_path)
    assert actual.replace("torchless.", "torch.") == expected
    assert expected.startswith(f"[('UserWarning', {in_library}, ") and expected.count("UserWarning") == 1
