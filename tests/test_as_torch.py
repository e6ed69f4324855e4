"""Running PyTorch code unchanged (torchless.as_torch): torch and torchvision, with their submodules, resolve
to torchless's own modules, in a script run by ``python -m torchless.as_torch`` or ``torchless run``."""

import subprocess
import sys
import textwrap
import types

import pytest

from torchless import as_torch

SCRIPT = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    from torch.optim.lr_scheduler import StepLR
    from torchvision import transforms
    import torchvision.transforms.functional as TF
    import torchless, torchless.nn.functional, torchless.vision.transforms

    assert torch is torchless and F is torchless.nn.functional and transforms is torchless.vision.transforms
    assert sys.modules["torch.nn.functional"] is torchless.nn.functional
    assert TF is torchless.vision.transforms.functional and StepLR is torchless.optim.lr_scheduler.StepLR
    assert __name__ == "__main__"
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))
    loader = DataLoader(TensorDataset(torch.zeros(4, 1, 4, 4), torch.tensor([0, 1, 0, 1])), batch_size=2)
    for images, labels in loader:
        F.cross_entropy(model(images), labels).backward()
    print("ran", sys.argv[1:])
    try:
        import torch.no_such_module
    except ModuleNotFoundError as error:
        print(error)
""")


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("command", [[sys.executable, "-m", "torchless.as_torch"],
                                     [sys.executable, "-m", "torchless.cli", "run"]])
def test_a_pytorch_script_runs_unchanged(script, command):
    done = subprocess.run(command + [str(script), "--epochs", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ran ['--epochs', '2']",
        "No module named 'torch.no_such_module' (torchless has no 'torchless.no_such_module')"]


def test_install_refuses_when_another_torch_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    with pytest.raises(RuntimeError, match="torch is already imported"):
        as_torch.install()


def test_install_is_idempotent(monkeypatch):
    import multiprocessing.spawn
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    # install() also makes spawned processes alias torch: undone with the rest after the test
    monkeypatch.setattr(multiprocessing.spawn, "get_command_line", multiprocessing.spawn.get_command_line)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.delitem(sys.modules, "torchvision", raising=False)
    as_torch.install()
    as_torch.install()
    assert sum(isinstance(finder, as_torch.AliasFinder) for finder in sys.meta_path) == 1
