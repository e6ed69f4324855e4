"""torchless under ``python -OO``, which strips every docstring: serverless and embedded deployments run that way,
and PyTorch imports and trains there. Code that builds docstrings at import time must not depend on them."""
import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import torchless as torch
    import torchless.nn as nn
    import torchless.nn.functional as F
    import torchless.vision.models
    import torchless.vision.transforms
    assert torch.zeros_like.__doc__ is None or "input" in torch.zeros_like.__doc__
    for namespace in (torch, F, nn, torch.linalg, torch.fft, torch.special, torch.Tensor):
        for name in dir(namespace):
            getattr(namespace, name)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(980, 10))
    optimizer = torch.optim.Adam(net.parameters())
    loss = F.cross_entropy(net(torch.randn(4, 1, 28, 28)), torch.tensor([1, 2, 3, 4]))
    loss.backward()
    optimizer.step()
    print(type(torch.Tensor.abs.__doc__).__name__, round(loss.item(), 4))
""")


def _run(*flags):
    completed = subprocess.run([sys.executable, *flags, "-c", PROGRAM], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout.split()


def test_imports_and_trains_without_docstrings():
    # the same seeded step with and without docstrings: only the docs may differ
    _, stripped_loss = _run("-OO")
    kept_doc_type, kept_loss = _run()
    assert kept_doc_type == "str"
    assert stripped_loss == kept_loss
