"""Differences from PyTorch found by running CNN code as people write it (Kaggle notebooks, Stack Overflow answers,
blog posts, course homework: custom Datasets, samplers, init loops, param groups, warmup schedulers, early stopping,
checkpoints, confusion matrices, mixup, seeding, autocast) unchanged under torchless, each fixed here and compared
against PyTorch:

- ``torch.cpu`` was missing: ``torch.cpu.is_available() device_count() current_device() synchronize()``, its
  stand-in ``Stream``/``Event``/``stream()`` for device-agnostic code, and the deprecated ``torch.cpu.amp.autocast``
  and ``torch.cpu.amp.GradScaler`` with PyTorch's FutureWarnings.
- ``torch.has_cuda``, ``has_cudnn``, ``has_mps``, ``has_mkldnn`` (old environment checks) were missing; they
  answer from ``torch.backends`` with PyTorch's deprecation warning. ``torch.utils.model_zoo.load_url`` (the old
  name of ``torch.hub.load_state_dict_from_url``) was missing.
- ``torch.tensor([array, array])`` (a list of NumPy arrays) did not give PyTorch's once-per-process UserWarning that
  this is extremely slow.
- ``float()`` of a tensor that requires grad (``float(loss)``, ``'%.3f' % loss``, ``math.exp(loss)``,
  ``torch.tensor([loss1, loss2])``) did not give PyTorch's once-per-process warning about converting such a tensor
  to a scalar.
- ``torch.tensor([t1, t2])`` of one-element tensors of shape (1,) (outputs collected in a loop) failed with
  "invalid data type 'list'": PyTorch reads a tensor inside a list as one number, whatever its shape.
- ``torch.from_numpy``/``torch.tensor`` of an array of strings or objects named torchless's supported dtypes; it
  now gives PyTorch's message, which lists PyTorch's.
- ``F.cross_entropy`` with class-probability targets (one-hot or mixup targets) and 'mean' reduction had grad_fn
  ``DivBackward0``; PyTorch divides by a number in C++ (``DivBackward1``), and an empty input gives
  ``NegBackward0``.
- ``torch.multiprocessing`` was missing (``set_sharing_strategy('file_system')``, a common fix in notebooks,
  ``get_sharing_strategy``, ``spawn`` and its ``ProcessRaisedException``/``ProcessExitedException``); and processes
  started by 'spawn' under ``python -m torchless.as_torch`` imported the real torch (or failed): they now get the
  aliases too.
- ``torch.distributions`` was missing (mixup's ``Beta(a, a).sample()``, ``Categorical``, ``Bernoulli``,
  ``Normal``, ``Uniform``, ``Dirichlet``, ``kl_divergence``), with PyTorch's shapes, formulas, reprs and errors.
"""
import textwrap
import warnings

import numpy as np
import pytest

import torchless
from helpers import run_python, same_script_output

torch = pytest.importorskip("torch")

def _recorded(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category.__name__, str(w.message)) for w in caught]


# ---------------------------------------------------------------------------- torch.cpu
def test_torch_cpu_answers_as_pytorch():
    for lib in (torch, torchless):
        assert lib.cpu.is_available() is True and lib.cpu.is_initialized() is True
        assert lib.cpu.device_count() == 1 and lib.cpu.current_device() == "cpu"
        assert lib.cpu.synchronize() is None and lib.cpu.set_device("cpu") is None
        assert isinstance(lib.cpu.current_stream(), lib.cpu.Stream) and lib.cpu.Event().query() is True
        stream = lib.cpu.Stream()
        with lib.cpu.stream(stream):
            assert lib.cpu.current_stream() is stream
        assert lib.cpu.current_stream() is not stream


@pytest.mark.parametrize("name", ["autocast", "GradScaler"])
def test_deprecated_cpu_amp_warns_as_pytorch(name):
    theirs, expected = _recorded(lambda: getattr(torch.cpu.amp, name)())
    ours, actual = _recorded(lambda: getattr(torchless.cpu.amp, name)())
    assert [w for w in actual if w[0] == "FutureWarning"] == expected
    assert isinstance(ours, getattr(torchless.amp, name))


def test_cpu_amp_autocast_runs_a_model():
    model = torchless.nn.Conv2d(3, 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchless.cpu.amp.autocast():
            out = model(torchless.randn(1, 3, 5, 5))
    assert out.shape == (1, 4, 3, 3)


@pytest.mark.parametrize("name", ["has_cuda", "has_cudnn", "has_mps", "has_mkldnn"])
def test_deprecated_has_flags_warn_as_pytorch(name):
    expected, expected_warnings = _recorded(lambda: getattr(torch, name))
    actual, actual_warnings = _recorded(lambda: getattr(torchless, name))
    assert [(kind, message.replace("torchless.", "torch.")) for kind, message in actual_warnings] == expected_warnings
    if name == "has_mkldnn":  # torchless has no oneDNN: its backends.mkldnn says so
        assert actual is torchless.backends.mkldnn.is_available()
    else:
        assert actual is expected


# ---------------------------------------------------------------------------- warnings, once per process
_WARNING_PROBE = """
import math, warnings, numpy as np
import {lib} as torch
warnings.simplefilter("always")
x = torch.ones(2, requires_grad=True).sum()
leaf = torch.ones((), requires_grad=True)
a = np.array([1., 2.])
def shown(statement):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(statement)
        except Exception as error:
            print(statement, "raised", type(error).__name__)
    print(statement, [(w.category.__name__, str(w.message), w.lineno) for w in caught])
for statement in {statements!r}:
    shown(statement)
"""


@pytest.mark.parametrize("statements", [
    ["float(x)", "float(x)", "float(leaf)"],
    ["float(leaf)"],
    ["'%.3f' % x", "x.item()"],
    ["math.exp(x)"],
    ["x.item(); int(x); '{:.2f}'.format(x); float(x.detach())", "float(x)"],
    ["with torch.no_grad(): float(x)", "torch.tensor([x, x])"],
    ["torch.tensor([x, x], dtype=torch.int64)"],
    ["torch.as_tensor([leaf.reshape(1) * 2, leaf.reshape(1)])"],
    ["torch.Tensor([[x]])"],
    ["torch.tensor([a, a])", "torch.tensor([a, a])"],
    ["torch.tensor((a, a))"],
    ["torch.tensor([[1., 2.], a])"],
    ["torch.tensor([[a]], dtype=torch.float64)"],
    ["torch.tensor([np.array(1.0), np.array(2.0)])", "torch.tensor([a])"],
    ["torch.tensor([1.0, a[0]])", "torch.tensor(a)", "torch.from_numpy(a)"],
])
def test_once_per_process_warnings_match_pytorch(statements):
    expected, _ = run_python(["-c", _WARNING_PROBE.format(lib="torch", statements=statements)])
    actual, _ = run_python(["-c", _WARNING_PROBE.format(lib="torchless", statements=statements)])
    assert actual == expected


@pytest.mark.parametrize("array", [np.array(["a", "b"]), np.array([1, "x"], dtype=object), np.array([b"x"])])
def test_arrays_of_strings_and_objects_are_refused_as_pytorch(array):
    from helpers import assert_same_error
    assert_same_error(lambda: torch.from_numpy(array), lambda: torchless.from_numpy(array))
    assert_same_error(lambda: torch.tensor(array), lambda: torchless.tensor(array))


@pytest.mark.parametrize("data", [
    lambda lib: [lib.ones(1), lib.ones(1) * 2],
    lambda lib: [lib.ones(1, 1), lib.ones(1, 1)],
    lambda lib: [lib.ones(1) * 2, 3.0],
    lambda lib: [[lib.ones(1)], [lib.ones(1)]],
    lambda lib: [lib.tensor([1]), lib.tensor([2])],
    lambda lib: [lib.tensor([1]), 2.5],
    lambda lib: [lib.tensor([1], dtype=lib.uint8), lib.tensor([-1], dtype=lib.int8)],
    lambda lib: [lib.tensor([True]), False],
    lambda lib: [lib.ones(2), lib.ones(2)],
    lambda lib: [lib.tensor([1, 2]), lib.tensor([3, 4])],
    lambda lib: [lib.zeros(0)],
])
@pytest.mark.parametrize("make", ["tensor", "as_tensor", "Tensor"])
def test_one_element_tensors_in_a_list_are_numbers(data, make):
    """``torch.tensor([model(x) for x in batch])`` with (1,)-shaped outputs: PyTorch reads each tensor as a number."""
    from helpers import assert_same_outcome
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_outcome(lambda lib: getattr(lib, make)(data(lib)))
        assert_same_outcome(lambda lib: lib.tensor(data(lib), dtype=lib.int64))


# ---------------------------------------------------------------------------- soft-target cross entropy
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"reduction": "sum"}, {"reduction": "none"},
                                     {"weight": [1.0, 2.0, 0.5]}])
def test_cross_entropy_with_probability_targets(options):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 4)
    lam = 0.3
    target = (lam * np.eye(3)[labels] + (1 - lam) * np.eye(3)[labels[::-1]]).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        kwargs = dict(options)
        if "weight" in kwargs:
            kwargs["weight"] = lib.tensor(kwargs["weight"])
        x = lib.tensor(logits, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(target), **kwargs)
        loss.sum().backward()
        results.append((loss.grad_fn.name(), loss.detach().numpy(), x.grad.numpy()))
    (expected_name, expected, expected_grad), (name, actual, grad) = results
    assert name == expected_name
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)


def test_cross_entropy_with_probability_targets_of_an_empty_batch():
    results = []
    for lib in (torch, torchless):
        x = lib.zeros(0, 3, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.zeros(0, 3))
        loss.backward()
        results.append((loss.grad_fn.name(), np.isnan(loss.item()), tuple(x.grad.shape)))
    assert results[1] == results[0]


# ---------------------------------------------------------------------------- torch.multiprocessing
_SHARING_PROBE = """
import {lib}.multiprocessing as mp
print(sorted(mp.get_all_sharing_strategies()), mp.get_sharing_strategy())
try:
    mp.set_sharing_strategy("shm")
except Exception as error:
    print(type(error).__name__, str(error).split(",")[0])
mp.set_sharing_strategy("file_system")
print(mp.get_sharing_strategy(), mp.Process.__module__, mp.cpu_count() > 0)
print(sorted(set(mp.__all__) - {{"reducer"}}))
"""


def test_sharing_strategies_as_pytorch():
    # in new interpreters: importing PyTorch's torch.multiprocessing changes multiprocessing for the whole process
    expected, _ = run_python(["-c", _SHARING_PROBE.format(lib="torch")])
    actual, _ = run_python(["-c", _SHARING_PROBE.format(lib="torchless")])
    assert actual == expected


def test_spawn_runs_and_reports_failures_as_pytorch(tmp_path):
    output = same_script_output(tmp_path, """
        import torch, torch.multiprocessing as mp
        from torch.utils.data import DataLoader, Dataset

        def work(rank, queue):
            queue.put((rank, torch.__name__.replace("torchless", "torch"), float(torch.ones(2).sum() * rank)))

        def fails(rank):
            if rank == 1:
                raise ValueError("boom")

        def exits(rank):
            raise SystemExit(3)

        class Named(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, index):
                return torch.tensor(float(index))

        if __name__ == "__main__":
            queue = mp.get_context("spawn").SimpleQueue()
            mp.spawn(work, args=(queue,), nprocs=2)
            print(sorted([queue.get(), queue.get()]))
            try:
                mp.spawn(fails, nprocs=2)
            except mp.ProcessRaisedException as error:
                lines = str(error).splitlines()
                print(type(error).__name__, error.error_index, lines[2], lines[-1])
            try:
                mp.spawn(exits, nprocs=1)
            except mp.ProcessExitedException as error:
                print(type(error).__name__, error, error.exit_code)
            context = mp.spawn(work, args=(queue,), nprocs=1, join=False)
            print(type(context).__name__, len(context.pids()))
            while not context.join():
                pass
            print(queue.get())
            print([batch.tolist() for batch in DataLoader(Named(), batch_size=2, num_workers=2,
                                                            multiprocessing_context="spawn")])
    """)
    assert "ProcessRaisedException 1" in output


# ---------------------------------------------------------------------------- torch.distributions
def _same(fn, rtol=1e-5, atol=1e-6):
    from helpers import Raised, outcome
    torch.manual_seed(0)
    expected = outcome(lambda: fn(torch))
    torchless.manual_seed(0)
    actual = outcome(lambda: fn(torchless))
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual
        return
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = actual if isinstance(actual, tuple) else (actual,)
    for theirs, ours in zip(expected, actual, strict=True):
        if isinstance(theirs, torch.Tensor):
            assert tuple(ours.shape) == tuple(theirs.shape)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
        else:
            assert str(ours).replace("torchless.", "torch.") == str(theirs)


def _normal(lib):
    return lib.distributions.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0]))


def _categorical(lib):
    return lib.distributions.Categorical(logits=lib.tensor([[0.1, -1.0, 2.0, 0.3], [1.0, 1.0, 0.0, -2.0]]))


@pytest.mark.parametrize("fn", [
    lambda lib: (repr(_normal(lib)), _normal(lib).batch_shape, _normal(lib).event_shape),
    lambda lib: (_normal(lib).sample(), _normal(lib).sample((3,)), _normal(lib).rsample(lib.Size([2]))),
    lambda lib: (_normal(lib).mean, _normal(lib).stddev, _normal(lib).variance, _normal(lib).entropy()),
    lambda lib: (_normal(lib).log_prob(lib.tensor([0.5, -1.0])), _normal(lib).cdf(lib.tensor([0.0, 0.5])),
                 _normal(lib).icdf(lib.tensor([0.3, 0.9]))),
    lambda lib: (repr(lib.distributions.Normal(0, 1)), lib.distributions.Normal(0.0, 1.0).sample((4,))),
    lambda lib: lib.distributions.Normal(0.0, -1.0),
    lambda lib: lib.distributions.Normal(lib.zeros(2), lib.tensor([1.0, 0.0])),
    lambda lib: _normal(lib).log_prob(lib.zeros(3)),
    lambda lib: _normal(lib).log_prob([0.0, 1.0]),
    lambda lib: lib.distributions.Normal(lib.zeros(2), 1.0, validate_args=False).log_prob(lib.zeros(3, 1)),
    lambda lib: (repr(lib.distributions.Uniform(0.0, 2.0)), lib.distributions.Uniform(0.0, 2.0).sample((3,)),
                 lib.distributions.Uniform(lib.zeros(2), lib.ones(2)).rsample((2,))),
    lambda lib: lib.distributions.Uniform(1.0, 0.0),
    lambda lib: lib.distributions.Uniform(0.0, 1.0).log_prob(lib.tensor(3.0)),
    lambda lib: lib.distributions.Uniform(0.0, 2.0, validate_args=False).log_prob(lib.tensor([0.5, 2.5])),
    lambda lib: (lib.distributions.Uniform(1.0, 3.0).mean, lib.distributions.Uniform(1.0, 3.0).variance,
                 lib.distributions.Uniform(1.0, 3.0).entropy(), lib.distributions.Uniform(1.0, 3.0).cdf(lib.tensor(2.5))),
    lambda lib: (lib.distributions.Bernoulli(lib.tensor([0.3, 0.9])).sample((4,)),
                 lib.distributions.Bernoulli(lib.tensor([0.3, 0.9])).log_prob(lib.tensor([1.0, 0.0])),
                 lib.distributions.Bernoulli(lib.tensor([0.3, 0.9])).entropy(),
                 lib.distributions.Bernoulli(lib.tensor([0.3, 0.9])).logits),
    lambda lib: (lib.distributions.Bernoulli(logits=lib.tensor([0.0, 2.0])).probs,
                 lib.distributions.Bernoulli(lib.tensor([0.3, 0.5])).mode),
    lambda lib: lib.distributions.Bernoulli(1.5),
    lambda lib: lib.distributions.Bernoulli(),
    lambda lib: lib.distributions.Bernoulli(lib.tensor([0.3, 0.9])).log_prob(lib.tensor([0.5, 1.0])),
    lambda lib: (repr(_categorical(lib)), _categorical(lib).batch_shape, _categorical(lib).sample(),
                 _categorical(lib).sample((3,)), _categorical(lib).probs, _categorical(lib).mode),
    lambda lib: (_categorical(lib).log_prob(lib.tensor([1, 3])), _categorical(lib).entropy(), _categorical(lib).mean),
    lambda lib: (lib.distributions.Categorical(lib.tensor([0.2, 0.3, 0.5])).sample((6,)),
                 lib.distributions.Categorical(lib.tensor([2.0, 3.0, 5.0])).logits),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.2, 0.3, 0.5])).log_prob(lib.tensor(3)),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.2, -0.3, 0.5])),
    lambda lib: lib.distributions.Categorical(probs=lib.tensor(1.0)),
    lambda lib: (repr(lib.distributions.Beta(lib.tensor([0.4]), lib.tensor([0.4]))),
                 lib.distributions.Beta(lib.tensor([2.0]), lib.tensor([3.0])).log_prob(lib.tensor([0.3])),
                 lib.distributions.Beta(2.0, 3.0).mean, lib.distributions.Beta(2.0, 3.0).variance,
                 lib.distributions.Beta(2.0, 3.0).entropy(), lib.distributions.Beta(2.0, 3.0).batch_shape),
    lambda lib: lib.distributions.Beta(-1.0, 1.0),
    lambda lib: lib.distributions.Beta(1.0, 1.0).log_prob(lib.tensor(1.5)),
    lambda lib: (lib.distributions.Dirichlet(lib.tensor([1.0, 2.0, 3.0])).mean,
                 lib.distributions.Dirichlet(lib.tensor([1.0, 2.0, 3.0])).log_prob(lib.tensor([0.2, 0.3, 0.5])),
                 lib.distributions.Dirichlet(lib.tensor([1.0, 2.0, 3.0])).entropy()),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Normal(0.0, 1.0), lib.distributions.Normal(1.0, 2.0)),
    lambda lib: lib.distributions.kl_divergence(_categorical(lib), lib.distributions.Categorical(logits=lib.zeros(2, 4))),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Bernoulli(0.3),
                                                lib.distributions.Bernoulli(lib.tensor([0.5, 1.0]))),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Beta(2.0, 3.0), lib.distributions.Beta(1.0, 1.0)),
    lambda lib: (lib.distributions.kl_divergence(lib.distributions.Beta(2.0, 3.0), lib.distributions.Normal(0.0, 1.0)),
                 lib.distributions.kl_divergence(lib.distributions.Beta(2.0, 3.0), lib.distributions.Uniform(0.0, 2.0))),
    lambda lib: (lib.distributions.kl_divergence(lib.distributions.Uniform(0.0, 1.0), lib.distributions.Uniform(-1.0, 3.0)),
                 lib.distributions.kl_divergence(lib.distributions.Uniform(0.0, 1.0), lib.distributions.Normal(0.0, 1.0)),
                 lib.distributions.kl_divergence(lib.distributions.Normal(0.0, 1.0), lib.distributions.Uniform(0.0, 1.0))),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Dirichlet(lib.ones(3)),
                                                lib.distributions.Dirichlet(lib.tensor([1.0, 2.0, 3.0]))),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Bernoulli(0.3), lib.distributions.Normal(0.0, 1.0)),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Uniform(0.0, 1.0), lib.distributions.Bernoulli(0.3)),
])
def test_distributions_match_pytorch(fn):
    _same(fn)


def test_distribution_gradients_match_pytorch():
    grads = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        loc = lib.tensor([0.5, -1.0], requires_grad=True)
        scale = lib.tensor([1.0, 2.0], requires_grad=True)
        normal = lib.distributions.Normal(loc, scale)
        (normal.log_prob(lib.tensor([0.0, 1.0])).sum() + normal.rsample((3,)).sum()).backward()
        logits = lib.tensor([0.1, 0.2, -0.5], requires_grad=True)
        lib.distributions.Categorical(logits=logits).entropy().backward()
        grads.append([loc.grad.numpy(), scale.grad.numpy(), logits.grad.numpy()])
    for theirs, ours in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_mixup_beta_samples_lie_in_the_unit_interval():
    torchless.manual_seed(0)
    beta = torchless.distributions.Beta(torchless.tensor([0.4]), torchless.tensor([0.4]))
    samples = beta.sample((2000,))
    assert samples.shape == (2000, 1) and samples.dtype == torchless.float32
    assert 0 <= samples.min().item() and samples.max().item() <= 1
    assert abs(samples.mean().item() - 0.5) < 0.05  # the mean of Beta(a, a)
    assert torchless.distributions.Beta(0.2, 0.2).sample().shape == ()


# ---------------------------------------------------------------------------- whole scripts
def test_a_wild_training_script_runs_unchanged(tmp_path):
    """Custom Dataset over NumPy arrays, WeightedRandomSampler, random_split, an init loop, param groups, warmup by
    SequentialLR, clipping, early stopping with deepcopy, a checkpoint dict, mixup, a confusion matrix."""
    same_script_output(tmp_path, """
        import copy, math, os, random, warnings
        import numpy as np
        import torch, torch.nn as nn, torch.nn.functional as F
        from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler, random_split
        from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

        def seed_everything(seed=42):
            random.seed(seed); np.random.seed(seed); torch.manual_seed(seed); torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.deterministic = True; torch.backends.cudnn.benchmark = False
        seed_everything()
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.multiprocessing.set_sharing_strategy("file_system")

        class ArrayDataset(Dataset):
            def __init__(self, images, labels, transform=None):
                self.images, self.labels, self.transform = images, labels, transform
            def __len__(self):
                return len(self.labels)
            def __getitem__(self, idx):
                if torch.is_tensor(idx):
                    idx = idx.tolist()
                image = torch.from_numpy(self.images[idx]).float() / 255.0
                if self.transform:
                    image = self.transform(image)
                return image, int(self.labels[idx])

        images = np.random.randint(0, 256, (60, 1, 8, 8), dtype=np.uint8)
        labels = np.array([0] * 40 + [1] * 12 + [2] * 8)
        dataset = ArrayDataset(images, labels, transform=lambda x: (x - 0.5) / 0.5)
        train_set, val_set = random_split(dataset, [48, 12], generator=torch.Generator().manual_seed(0))
        train_labels = labels[train_set.indices]
        class_weights = 1.0 / np.bincount(train_labels)
        sampler = WeightedRandomSampler(class_weights[train_labels], num_samples=len(train_labels), replacement=True)
        train_loader = DataLoader(train_set, batch_size=16, sampler=sampler, drop_last=True)
        val_loader = DataLoader(val_set, batch_size=8, shuffle=False)

        class Block(nn.Module):
            def __init__(self, channels):
                super().__init__()
                self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
                self.bn = nn.BatchNorm2d(channels)
            def forward(self, x):
                return F.relu(x + self.bn(self.conv(x)))

        class Net(nn.Module):
            def __init__(self, num_classes=3):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
                self.blocks = nn.ModuleList([Block(8) for _ in range(2)])
                self.head = nn.ModuleDict({"pool": nn.AdaptiveAvgPool2d(1), "drop": nn.Dropout(0.2),
                                           "fc": nn.Linear(8, num_classes)})
                for m in self.modules():
                    if isinstance(m, nn.Conv2d):
                        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    elif isinstance(m, nn.BatchNorm2d):
                        nn.init.constant_(m.weight, 1); nn.init.constant_(m.bias, 0)
            def forward(self, x):
                x = self.stem(x)
                for block in self.blocks:
                    x = block(x)
                x = torch.flatten(self.head["pool"](x), 1)
                return self.head["fc"](self.head["drop"](x))

        def init_linear(m):
            if type(m) == nn.Linear:
                nn.init.xavier_uniform_(m.weight); m.bias.data.fill_(0.01)

        model = Net().to(device)
        model.apply(init_linear)
        print("params", sum(p.numel() for p in model.parameters() if p.requires_grad))
        optimizer = torch.optim.SGD([{"params": model.stem.parameters(), "lr": 0.01},
                                     {"params": list(model.blocks.parameters()) + list(model.head.parameters())}],
                                    lr=0.05, momentum=0.9, weight_decay=5e-4)
        warmup = LinearLR(optimizer, start_factor=0.1, total_iters=2)
        scheduler = SequentialLR(optimizer, [warmup, CosineAnnealingLR(optimizer, T_max=4)], milestones=[2])
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        best_loss, best_weights, patience = math.inf, copy.deepcopy(model.state_dict()), 0
        for epoch in range(5):
            model.train()
            running = 0.0
            for inputs, targets in train_loader:
                inputs, targets = inputs.to(device), targets.to(device)
                lam = float(np.random.beta(0.4, 0.4))
                index = torch.randperm(inputs.size(0))
                mixed = lam * inputs + (1 - lam) * inputs[index]
                soft = lam * F.one_hot(targets, 3).float() + (1 - lam) * F.one_hot(targets[index], 3).float()
                optimizer.zero_grad()
                outputs = model(mixed)
                loss = F.cross_entropy(outputs, soft)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
                optimizer.step()
                running += loss.item() * inputs.size(0)
            scheduler.step()
            model.eval()
            val_loss, correct, total = 0.0, 0, 0
            confusion = torch.zeros(3, 3, dtype=torch.int64)
            with torch.no_grad():
                for inputs, targets in val_loader:
                    outputs = model(inputs)
                    val_loss += criterion(outputs, targets).item()
                    _, predicted = torch.max(outputs, 1)
                    correct += (predicted == targets).sum().item()
                    total += targets.size(0)
                    confusion.index_put_((targets, predicted), torch.ones_like(targets), accumulate=True)
            print(f"epoch {epoch} train {running / 48:.4f} val {val_loss:.4f} acc {100 * correct / total:.1f}"
                  f" lr {[round(lr, 6) for lr in scheduler.get_last_lr()]} {loss.grad_fn.name()}")
            if val_loss < best_loss:
                best_loss, best_weights, patience = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                patience += 1
        print(confusion.tolist(), confusion.diag().sum().item())
        torch.save({"epoch": 5, "model_state_dict": best_weights, "optimizer_state_dict": optimizer.state_dict(),
                    "scheduler_state_dict": scheduler.state_dict(), "best_loss": best_loss}, "checkpoint.pth")
        checkpoint = torch.load("checkpoint.pth", map_location=device, weights_only=True)
        restored = Net()
        print(restored.load_state_dict(checkpoint["model_state_dict"]))
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
        print(sorted(checkpoint), scheduler.last_epoch, round(checkpoint["best_loss"], 4))
        restored.eval()
        with torch.inference_mode():
            probs = torch.softmax(restored(torch.from_numpy(images[:4]).float() / 255.0), dim=1)
        print(probs.argmax(dim=1).tolist(), probs.sum(1).round(decimals=4).tolist())
        print(torch.distributions.Categorical(probs=probs).entropy().round(decimals=4).tolist())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print("%.4f" % loss, float(loss) > 0, torch.tensor([loss, loss]).shape)
        print([str(w.message).splitlines()[0] for w in caught])
    """)


def test_a_device_agnostic_timing_script_runs_unchanged(tmp_path):
    same_script_output(tmp_path, """
        import warnings
        import numpy as np
        import torch
        device = torch.device("cpu")
        synchronize = getattr(torch, device.type).synchronize
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(16, 2))
        torch.manual_seed(0)
        batch = torch.randn(2, 3, 4, 4)
        synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with torch.cpu.amp.autocast(enabled=False):
                out = model(batch)
            scaler = torch.cpu.amp.GradScaler()
        print(out.dtype, out.shape, [w.category.__name__ for w in caught], scaler.is_enabled())
        print(getattr(torch, device.type).device_count(), getattr(torch, device.type).is_available())
        print(torch.cpu.current_device(), type(torch.cpu.current_stream()).__name__)
        features = [np.ones(3, dtype=np.float32) * i for i in range(2)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            stacked = torch.tensor(features)
        print(stacked.tolist(), [str(w.message).split(".")[0] for w in caught])
    """)


def test_an_image_folder_notebook_runs_unchanged(tmp_path):
    """ImageFolder over PNG files, transforms.Compose, a DataLoader with workers and a MixUp/CutMix collate_fn,
    make_grid and matplotlib, as torchvision's docs and notebooks write them (torchvision is not installed beside
    the oracle, so the shapes are checked against torchvision's documented ones)."""
    pytest.importorskip("PIL")
    pytest.importorskip("matplotlib")
    path = tmp_path / "notebook.py"
    path.write_text(textwrap.dedent("""
        import os
        import numpy as np
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import torch, torchvision
        from PIL import Image
        from torch.utils.data import DataLoader, default_collate
        from torchvision import datasets, transforms
        from torchvision.transforms import v2

        rng = np.random.RandomState(0)
        for name in ["cat", "dog", "fox"]:
            os.makedirs(os.path.join("data", name))
            for i in range(4):
                Image.fromarray(rng.randint(0, 255, (20, 24, 3), dtype=np.uint8)).save(f"data/{name}/{i}.png")
        train_tf = transforms.Compose([transforms.RandomResizedCrop(16), transforms.RandomHorizontalFlip(),
                                       transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406],
                                                                                   [0.229, 0.224, 0.225])])
        dataset = datasets.ImageFolder("data", transform=train_tf)
        print(dataset.classes, dataset.class_to_idx, len(dataset))
        mix = v2.RandomChoice([v2.CutMix(num_classes=3), v2.MixUp(num_classes=3)])
        loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2,
                            collate_fn=lambda batch: mix(*default_collate(batch)))
        for images, targets in loader:
            print(tuple(images.shape), tuple(targets.shape), round(float(targets.sum()), 4))
        grid = torchvision.utils.make_grid(images, nrow=2, padding=1, normalize=True)
        print(tuple(grid.shape), 0 <= grid.min().item() <= grid.max().item() <= 1)
        plt.imshow(grid.permute(1, 2, 0))
        plt.savefig("grid.png")
        print(Image.open("grid.png").size[0] > 0)
    """))
    printed, _ = run_python(["-m", "torchless.as_torch", str(path)], cwd=tmp_path)
    assert printed.splitlines() == [
        "['cat', 'dog', 'fox'] {'cat': 0, 'dog': 1, 'fox': 2} 12",
        "(4, 3, 16, 16) (4, 3) 4.0", "(4, 3, 16, 16) (4, 3) 4.0", "(4, 3, 16, 16) (4, 3) 4.0",
        "(3, 35, 35) True", "True"]
