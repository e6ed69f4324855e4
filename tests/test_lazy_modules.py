"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*), their
uninitialized parameters and buffers, and the Module hooks behind them.

The first half needs no PyTorch: a d2l-style LeNet, forward equivalence with the eager layers, initialisation
bounds computed from the inferred sizes. The second half runs the same calls through PyTorch and compares reprs,
classes, state dicts, shapes, values and error messages.
"""
import copy
import math
import re
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import Raised, outcome, tensor

# d2l's LeNet input and the shapes of its eager twin's parameters, by hand: 28x28 -> conv 5x5 pad 2 -> 28x28 ->
# pool -> 14x14 -> conv 5x5 -> 10x10 -> pool -> 5x5, so the first Linear sees 16 * 5 * 5 = 400 features.
LENET_SHAPES = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]


def lazy_lenet(lib, num_classes=10):
    nn_ = lib.nn
    return nn_.Sequential(
        nn_.LazyConv2d(6, kernel_size=5, padding=2), nn_.Sigmoid(), nn_.AvgPool2d(kernel_size=2, stride=2),
        nn_.LazyConv2d(16, kernel_size=5), nn_.Sigmoid(), nn_.AvgPool2d(kernel_size=2, stride=2),
        nn_.Flatten(), nn_.LazyLinear(120), nn_.Sigmoid(), nn_.LazyLinear(84), nn_.Sigmoid(),
        nn_.LazyLinear(num_classes))


def eager_lenet(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, num_classes))


def init_cnn(module):
    """d2l's initialisation, applied after the dry run: it only sees the layers once they are eager."""
    if type(module) is nn.Linear or type(module) is nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


# --------------------------------------------------------------------------- independent of torch
def test_d2l_lenet_dry_run_apply_and_training():
    torchless.manual_seed(0)
    net = lazy_lenet(torchless)
    optimizer = torchless.optim.SGD(net.parameters(), lr=0.1)  # before the dry run: it holds the same objects
    held = list(optimizer.param_groups[0]["params"])
    net(torchless.randn(1, 1, 28, 28))
    assert [tuple(p.shape) for p in net.parameters()] == LENET_SHAPES
    assert [type(m).__name__ for m in net if type(m).__name__.startswith(("Conv", "Linear"))] == [
        "Conv2d", "Conv2d", "Linear", "Linear", "Linear"]
    assert all(a is b for a, b in zip(held, net.parameters()))

    seen = []
    net.apply(lambda m: seen.append(type(m)) or init_cnn(m))
    assert seen.count(nn.Conv2d) == 2 and seen.count(nn.Linear) == 3
    bound = math.sqrt(6 / (400 + 120))  # xavier_uniform_ of the (120, 400) weight
    assert float(net[7].weight.abs().max()) <= bound and float(net[7].weight.abs().max()) > 0.9 * bound

    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    y = tensor(rng.integers(0, 10, 16))
    before = [p.detach().clone() for p in net.parameters()]
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(not torchless.equal(a, b) for a, b in zip(before, net.parameters()))


def test_lazy_forward_equals_eager_forward_with_the_same_weights():
    net = lazy_lenet(torchless)
    x = torchless.randn(3, 1, 28, 28)
    net(x)
    eager = eager_lenet()
    eager.load_state_dict(net.state_dict())
    assert torchless.equal(net(x), eager(x))
    assert repr(net) == repr(eager)


@pytest.mark.parametrize("layer, make_eager, shape", [
    (lambda: nn.LazyLinear(5), lambda: nn.Linear(7, 5), (4, 7)),
    (lambda: nn.LazyConv2d(4, 3, padding=1, groups=2), lambda: nn.Conv2d(6, 4, 3, padding=1, groups=2), (2, 6, 5, 5)),
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2), lambda: nn.ConvTranspose1d(3, 4, 3, stride=2), (2, 3, 6)),
])
def test_initialisation_draws_as_the_eager_layer_from_the_same_seed(layer, make_eager, shape):
    x = torchless.randn(*shape)
    torchless.manual_seed(7)
    lazy = layer()  # construction draws nothing: the draws happen at the dry run, weight then bias
    lazy(x)
    torchless.manual_seed(7)
    eager = make_eager()
    for a, b in zip(lazy.parameters(), eager.parameters()):
        assert torchless.equal(a, b)


@pytest.mark.parametrize("layer, shape, fan_in", [
    (lambda: nn.LazyLinear(300), (2, 50), 50),
    (lambda: nn.LazyConv2d(64, 3, groups=4), (1, 8, 5, 5), 8 // 4 * 3 * 3),
    (lambda: nn.LazyConv1d(200, 5), (1, 3, 9), 3 * 5),
    # a transposed convolution's weight is (in, out / groups, k): its fan_in is out / groups * k
    (lambda: nn.LazyConvTranspose2d(6, 4, groups=2), (1, 40, 3, 3), 6 // 2 * 4 * 4),
])
def test_initialisation_is_uniform_within_one_over_sqrt_fan_in(layer, shape, fan_in):
    torchless.manual_seed(3)
    m = layer()
    m(torchless.randn(*shape))
    bound = 1 / math.sqrt(fan_in)
    for p in (m.weight, m.bias):
        values = p.detach().numpy().ravel()
        assert np.abs(values).max() <= bound
    weights = m.weight.detach().numpy().ravel()
    assert np.abs(weights).max() > 0.95 * bound
    np.testing.assert_allclose(weights.std(), bound / math.sqrt(3), rtol=0.1)  # U(-b, b) has std b / sqrt(3)


def test_norm_layers_materialise_ones_zeros_and_running_statistics():
    m = nn.LazyBatchNorm2d()
    x = tensor(np.random.default_rng(1).standard_normal((4, 3, 2, 2)).astype(np.float32))
    m(x)
    assert type(m) is nn.BatchNorm2d and m.num_features == 3
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3))
    data = x.numpy().transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * data.mean(1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * data.var(1, ddof=1), rtol=1e-5)
    assert m.num_batches_tracked.item() == 1


def test_the_first_call_removes_the_hooks_so_later_calls_take_the_plain_path():
    m = nn.LazyLinear(2)
    assert len(m._forward_pre_hooks) == 1 and len(m._load_state_dict_pre_hooks) == 1
    m(torchless.ones(1, 3))
    assert type(m) is nn.Linear
    assert not m._forward_pre_hooks and not m._load_state_dict_pre_hooks
    assert not hasattr(m, "_initialize_hook") and not hasattr(m, "_load_hook")


def test_a_failed_first_call_leaves_the_module_lazy():
    m = nn.LazyConv2d(3, 3)
    with pytest.raises(RuntimeError, match="Expected 3D"):
        m(torchless.ones(2, 3))
    assert type(m) is nn.LazyConv2d and m.has_uninitialized_params() and m.in_channels == 0
    m(torchless.ones(1, 2, 4, 4))
    assert type(m) is nn.Conv2d and m.in_channels == 2


def test_initialize_parameters_without_forward_keeps_the_hook_until_the_first_call():
    m = nn.LazyLinear(3)
    m.initialize_parameters(torchless.ones(2, 4))
    assert tuple(m.weight.shape) == (3, 4) and type(m.weight) is nn.Parameter
    assert type(m) is nn.LazyLinear and not m.has_uninitialized_params()
    m(torchless.ones(2, 4))
    assert type(m) is nn.Linear and m.in_features == 4


def test_dtype_argument_and_module_conversion_before_the_dry_run():
    m = nn.LazyConv1d(2, 3, dtype=torchless.float64)
    assert m.weight.dtype == torchless.float64
    m(torchless.ones(1, 4, 5, dtype=torchless.float64))
    assert m.weight.dtype == torchless.float64 and tuple(m.weight.shape) == (2, 4, 3)
    n = nn.LazyBatchNorm1d().double()
    assert type(n.running_mean) is nn.UninitializedBuffer and n.running_mean.dtype == torchless.float64
    n(torchless.ones(4, 3, dtype=torchless.float64))
    assert n.weight.dtype == n.running_var.dtype == torchless.float64


def test_uninitialized_parameter_materialises_in_place():
    p = nn.UninitializedParameter(requires_grad=False, dtype=torchless.float64)
    same = p
    p.materialize((2, 3))
    assert same is p and type(p) is nn.Parameter
    assert tuple(p.shape) == (2, 3) and p.dtype == torchless.float64 and p.requires_grad is False
    b = nn.UninitializedBuffer()
    b.materialize((4,), dtype=torchless.float64)
    assert type(b) is torchless.Tensor and tuple(b.shape) == (4,) and b.dtype == torchless.float64


def test_copies_of_a_lazy_module_initialise_independently():
    m = nn.LazyLinear(3, dtype=torchless.float64)
    twin = copy.deepcopy(m)
    twin(torchless.ones(1, 5, dtype=torchless.float64))
    assert type(twin) is nn.Linear and tuple(twin.weight.shape) == (3, 5)
    assert type(m) is nn.LazyLinear and type(m.weight) is nn.UninitializedParameter
    assert m.weight.dtype == torchless.float64
    m(torchless.ones(1, 2, dtype=torchless.float64))
    assert tuple(m.weight.shape) == (3, 2)
    assert copy.deepcopy(nn.UninitializedBuffer(persistent=False)).persistent is False
    norm = copy.deepcopy(nn.LazyBatchNorm1d().double())
    assert type(norm.running_var) is nn.UninitializedBuffer and norm.running_var.dtype == torchless.float64
    norm(torchless.ones(2, 3, dtype=torchless.float64))
    assert norm.running_var.dtype == torchless.float64 and "running_var" in norm.state_dict()


def test_errors_name_the_function_called_even_one_provided_on_first_access(tmp_path):
    # torchless.save comes from the package's module __getattr__; its encoder is what touches the values (in
    # torchless's own format: PyTorch's pickles the placeholders by their class, as torch.save does)
    with pytest.raises(ValueError, match=r"uninitialized parameter in <function save>\. "):
        torchless.save(nn.LazyLinear(2).state_dict(), tmp_path / "lazy.pt", format="torchless")
    assert not (tmp_path / "lazy.pt").exists()


def test_load_state_dict_pre_hook_sees_each_module_and_may_edit_the_state_dict():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    calls = []

    def rename_old_keys(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        calls.append((type(module).__name__, prefix, strict))
        for name in ("weight", "bias"):
            if prefix + "old_" + name in state_dict:
                state_dict[prefix + name] = state_dict.pop(prefix + "old_" + name)

    handle = net[1][0].register_load_state_dict_pre_hook(rename_old_keys)
    source = {k.replace("1.0.", "1.0.old_"): torchless.full(v.shape, 5.0) for k, v in net.state_dict().items()}
    assert repr(net.load_state_dict(source, strict=False)) == "<All keys matched successfully>"
    assert calls == [("Linear", "1.0.", True)]  # PyTorch tells hooks strict=True even then
    assert float(net[1][0].weight.sum()) == 10.0
    handle.remove()
    result = net.load_state_dict(source, strict=False)
    assert result.missing_keys == ["1.0.weight", "1.0.bias"] and len(calls) == 1


# --------------------------------------------------------------------------- against torch
LAZY_CASES = [
    ("LazyLinear", (3,), {}, (2, 4)),
    ("LazyLinear", (3,), {"bias": False}, (5,)),
    ("LazyConv1d", (4, 3), {"padding": 1, "bias": False}, (2, 3, 8)),
    ("LazyConv2d", (6, 5), {"padding": 2}, (1, 1, 28, 28)),
    ("LazyConv2d", (4, 3), {"stride": 2, "padding": 1, "groups": 2, "padding_mode": "reflect"}, (2, 4, 7, 7)),
    ("LazyConv2d", (4, 3), {"padding": "same", "dilation": 2}, (3, 6, 6)),
    ("LazyConv3d", (2, 3), {"stride": (1, 2, 1)}, (1, 2, 5, 6, 5)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"stride": 2, "groups": 2, "bias": False}, (1, 2, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"dilation": 2}, (2, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"affine": False, "momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"eps": 1e-3}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False, "bias": False}, (2, 2, 3, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"bias": False, "momentum": 0.3}, (2, 2, 3, 3, 3)),
]


def state_summary(module):
    """(key, class name, shape) of each state-dict entry; no shape for an uninitialized one."""
    return [(key, type(value).__name__, None if type(value).__name__.startswith("Uninitialized")
             else tuple(value.shape)) for key, value in module.state_dict().items()]


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY_CASES)
def test_lazy_layer_matches_torch_before_and_after_the_first_call(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    theirs, ours = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert state_summary(ours) == state_summary(theirs)
    assert [repr(p) for p in ours.parameters()] == [repr(p) for p in theirs.parameters()]
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()

    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with warnings.catch_warnings(record=True) as warned_theirs:
        warnings.simplefilter("always")
        out_theirs = theirs(torch.tensor(x))
    with warnings.catch_warnings(record=True) as warned_ours:
        warnings.simplefilter("always")
        out_ours = ours(tensor(x))
    # a lazy InstanceNorm without parameters never learns num_features, and says so at every call
    assert [str(w.message) for w in warned_ours] == [str(w.message) for w in warned_theirs]
    assert tuple(out_ours.shape) == tuple(out_theirs.shape)
    assert type(ours).__name__ == type(theirs).__name__ == name[len("Lazy"):]
    assert repr(ours) == repr(theirs)
    assert state_summary(ours) == state_summary(theirs)
    for key, value in theirs.state_dict().items():  # buffers after the dry run: the running statistics
        if key not in dict(theirs.named_parameters()):
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6)

    # with torch's random values in both, the layers compute the same
    ours.load_state_dict({k: tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    ours.eval(), theirs.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # compared above
        np.testing.assert_allclose(ours(tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY_CASES)
def test_loading_an_eager_state_dict_materialises_like_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    source = getattr(torch.nn, name)(*args, **kwargs)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # compared in the test above
        source(torch.tensor(x))
    state = {k: v.detach().numpy() for k, v in source.state_dict().items()}
    theirs, ours = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    results = (theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}),
               ours.load_state_dict({k: tensor(v) for k, v in state.items()}))
    assert repr(results[1]) == repr(results[0])
    assert type(ours).__name__ == type(theirs).__name__ == name  # still lazy until the first call
    assert state_summary(ours) == state_summary(theirs)
    assert repr(ours) == repr(theirs)
    ours.eval(), theirs.eval()
    # PyTorch's quirks kept: the inferred size of a loaded layer stays 0 (in its repr), and a loaded affine
    # LazyInstanceNorm then refuses its input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # compared in the test above
        expected, actual = outcome(lambda: theirs(torch.tensor(x))), outcome(lambda: ours(tensor(x)))
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message)
    else:
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)
    assert type(ours).__name__ == type(theirs).__name__
    assert len(ours._forward_pre_hooks) == len(theirs._forward_pre_hooks)


def both(torch, build):
    """``build(lib)`` for torch and for torchless, each outcome as (type name, message) or repr."""
    def run(lib):
        result = outcome(lambda: build(lib))
        return result if isinstance(result, Raised) else Raised("returned", repr(result))
    return run(torch), run(torchless)


def normalised(raised):
    """The message with the library's name read as torchless and the function named in an uninitialized-parameter
    error reduced to its name (``<method 'dim' of 'torch._C.TensorBase' objects>`` and ``<function Tensor.dim>``
    both give ``dim``), returned apart."""
    message = re.sub(r"\btorch\b", "torchless", raised.message)
    message = re.sub(r"0x[0-9a-f]+", "0x", message)
    found = re.search(r"uninitialized parameter in <(.*?)>\. This", message)
    if not found:
        return raised.type, message, None
    name = re.search(r"(?:method|function|wrapper) '?([\w.]+)", found.group(1)).group(1).rsplit(".", 1)[-1]
    return raised.type, message.replace(found.group(1), "..."), name


def uninitialized_weight(lib, **kwargs):
    return lib.nn.LazyLinear(3, **kwargs).weight


def linear_with_uninitialized_weight(lib):
    layer = lib.nn.Linear(4, 3)
    layer.weight = lib.nn.UninitializedParameter()
    return layer


# (label, call, whether both name the same function); the ValueErrors name a function, compared apart
MISUSES = [
    ("shape", lambda lib: uninitialized_weight(lib).shape, True),
    ("dim", lambda lib: uninitialized_weight(lib).dim(), True),
    ("numel", lambda lib: uninitialized_weight(lib).numel(), True),
    ("sum method", lambda lib: uninitialized_weight(lib).sum(), True),
    ("detach", lambda lib: uninitialized_weight(lib).detach(), True),
    ("item", lambda lib: uninitialized_weight(lib).item(), True),
    ("clone", lambda lib: uninitialized_weight(lib).clone(), True),
    ("view", lambda lib: uninitialized_weight(lib).view(-1), True),
    ("fill_", lambda lib: uninitialized_weight(lib).fill_(1), True),
    ("zero_", lambda lib: uninitialized_weight(lib).zero_(), True),
    ("requires_grad_", lambda lib: uninitialized_weight(lib).requires_grad_(False), True),
    ("len", lambda lib: len(uninitialized_weight(lib)), True),
    ("getitem", lambda lib: uninitialized_weight(lib)[0], True),
    ("bool", lambda lib: bool(uninitialized_weight(lib)), True),
    ("eq", lambda lib: uninitialized_weight(lib) == 1, True),
    ("format", lambda lib: f"{uninitialized_weight(lib)}", True),
    ("torch.sum", lambda lib: lib.sum(uninitialized_weight(lib)), True),
    ("torch.cat", lambda lib: lib.cat([uninitialized_weight(lib)]), True),
    ("torch.matmul", lambda lib: lib.matmul(lib.ones(2, 2), uninitialized_weight(lib)), True),
    ("F.linear", lambda lib: lib.nn.functional.linear(lib.ones(2, 4), uninitialized_weight(lib)), True),
    ("F.conv2d", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4), uninitialized_weight(lib)), True),
    ("F.relu", lambda lib: lib.nn.functional.relu(uninitialized_weight(lib)), True),
    ("layer forward", lambda lib: linear_with_uninitialized_weight(lib)(lib.ones(2, 4)), True),
    ("init.uniform_", lambda lib: lib.nn.init.uniform_(uninitialized_weight(lib)), True),
    ("init.normal_", lambda lib: lib.nn.init.normal_(uninitialized_weight(lib)), True),
    ("init.constant_", lambda lib: lib.nn.init.constant_(uninitialized_weight(lib), 0.5), True),
    ("init.kaiming_uniform_", lambda lib: lib.nn.init.kaiming_uniform_(uninitialized_weight(lib)), True),
    ("init.kaiming_normal_", lambda lib: lib.nn.init.kaiming_normal_(uninitialized_weight(lib)), True),
    # PyTorch names the Tensor method these go through, torchless the function called
    ("add", lambda lib: uninitialized_weight(lib) + 1, False),
    ("neg", lambda lib: -uninitialized_weight(lib), False),
    ("init.xavier_uniform_", lambda lib: lib.nn.init.xavier_uniform_(uninitialized_weight(lib)), False),
    ("init.zeros_", lambda lib: lib.nn.init.zeros_(uninitialized_weight(lib)), False),
    ("parameter count", lambda lib: sum(p.numel() for p in lib.nn.LazyConv2d(4, 3).parameters()), True),
    ("buffer add", lambda lib: lib.nn.LazyBatchNorm1d().running_mean + 1, False),
    ("buffer shape", lambda lib: lib.nn.LazyBatchNorm1d().running_var.shape, True),
    ("lazy state into eager", lambda lib: lib.nn.Linear(4, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict()),
     True),
    ("module requires_grad_", lambda lib: lib.nn.LazyLinear(3).requires_grad_(False), True),
    ("share_memory_", lambda lib: uninitialized_weight(lib).share_memory_(), True),
    ("integer dtype", lambda lib: lib.nn.UninitializedParameter(dtype=lib.int64), True),
    ("not implemented", lambda lib: lib.nn.modules.lazy.LazyModuleMixin.initialize_parameters(
        lib.nn.LazyLinear(3)), True),
    ("state loaded, other width", lambda lib: load_then_call(lib, 4, 5), True),
    ("not fully initialized", lambda lib: custom_lazy_call(lib, materialize=False), True),
    ("conv rank", lambda lib: lib.nn.LazyConv2d(3, 3)(lib.ones(2, 3)), True),
    ("conv transpose rank", lambda lib: lib.nn.LazyConvTranspose1d(3, 3)(lib.ones(5)), True),
    ("conv3d rank", lambda lib: lib.nn.LazyConv3d(3, 3)(lib.ones(1, 1, 2, 3, 4, 5)), True),
    ("conv groups", lambda lib: lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5)), True),
    ("batch norm rank", lambda lib: lib.nn.LazyBatchNorm2d()(lib.ones(2, 3, 4)), True),
    ("batch norm 1-D", lambda lib: lib.nn.LazyBatchNorm1d()(lib.ones(4)), True),
    ("linear 0-D", lambda lib: lib.nn.LazyLinear(3)(lib.tensor(1.0)), True),
    ("instance norm unbatched", lambda lib: lib.nn.LazyInstanceNorm1d()(lib.ones(3, 5)), True),
]


def custom_lazy_module(lib, materialize):
    """A user's lazy module: the mixin on a Module of its own, with no class to become."""
    class Scale(lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.UninitializedParameter()

        def initialize_parameters(self, input):
            if materialize:
                self.weight.materialize(input.shape[-1:])
                lib.nn.init.ones_(self.weight)

        def forward(self, input):
            return input * self.weight

    return Scale()


def custom_lazy_call(lib, materialize):
    m = custom_lazy_module(lib, materialize)
    out = m(lib.ones(2, 3))
    return type(m).__name__, out, len(m._forward_pre_hooks), m.has_uninitialized_params()


def load_then_call(lib, width, other):
    m = lib.nn.LazyLinear(3)
    m.load_state_dict(lib.nn.Linear(width, 3).state_dict())
    return m(lib.ones(2, other))


@pytest.mark.parametrize("label, call, same_name", MISUSES, ids=[m[0] for m in MISUSES])
def test_misuse_raises_like_torch(label, call, same_name):
    torch = pytest.importorskip("torch")
    expected, actual = both(torch, call)
    assert expected.type != "returned", expected
    ours, theirs = normalised(actual), normalised(expected)
    assert ours[:2] == theirs[:2]
    if same_name:
        assert ours[2] == theirs[2]


# what PyTorch allows on an uninitialized parameter, and on a lazy module before its first call
ALLOWED = [
    ("repr", lambda lib: uninitialized_weight(lib)),
    ("str", lambda lib: str(uninitialized_weight(lib))),
    ("buffer repr", lambda lib: lib.nn.LazyBatchNorm2d().running_mean),
    ("dtype", lambda lib: uninitialized_weight(lib, dtype=lib.float64).dtype),
    ("size", lambda lib: uninitialized_weight(lib).size()),
    ("requires_grad", lambda lib: (uninitialized_weight(lib).requires_grad,
                                   lib.nn.UninitializedParameter(requires_grad=False).requires_grad,
                                   lib.nn.UninitializedBuffer().requires_grad)),
    ("grad and leaf", lambda lib: (uninitialized_weight(lib).grad, uninitialized_weight(lib).is_leaf)),
    ("data", lambda lib: uninitialized_weight(lib).data),
    ("is_floating_point", lambda lib: uninitialized_weight(lib).is_floating_point()),
    ("double", lambda lib: uninitialized_weight(lib).double().dtype),
    ("to", lambda lib: uninitialized_weight(lib).to(lib.float64).dtype),
    ("isinstance", lambda lib: (isinstance(uninitialized_weight(lib), lib.nn.Parameter),
                                lib.nn.parameter.is_lazy(uninitialized_weight(lib)),
                                lib.nn.parameter.is_lazy(lib.ones(1)))),
    ("parameters", lambda lib: list(lib.nn.LazyConv2d(2, 3).parameters())),
    ("state_dict", lambda lib: lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.LazyBatchNorm1d()).state_dict()),
    ("state_dict keep_vars", lambda lib: lib.nn.LazyLinear(3).state_dict(keep_vars=True)),
    ("lazy state into lazy", lambda lib: lazy_into_lazy(lib)),
    ("partial state", lambda lib: partial_state(lib)),
    ("assign", lambda lib: assign_state(lib)),
    ("optimizer before the dry run", lambda lib: optimizer_before_dry_run(lib)),
    ("custom lazy module", lambda lib: custom_lazy_call(lib, materialize=True)),
    ("module double", lambda lib: [p.dtype for p in lib.nn.LazyLinear(3).double().parameters()]),
    ("module repr", lambda lib: lib.nn.Sequential(lib.nn.LazyConv2d(4, 3), lib.nn.Flatten(), lib.nn.LazyLinear(2))),
]


def lazy_into_lazy(lib):
    m = lib.nn.LazyLinear(3)
    return m.load_state_dict(lib.nn.LazyLinear(3).state_dict()), type(m.weight).__name__


def partial_state(lib):
    m = lib.nn.LazyLinear(3)
    result = m.load_state_dict({"weight": lib.zeros(3, 4)}, strict=False)
    return result, type(m.weight).__name__, tuple(m.weight.shape), type(m.bias).__name__


def assign_state(lib):
    m = lib.nn.LazyLinear(3)
    state = lib.nn.Linear(4, 3, dtype=lib.float64).state_dict()
    result = m.load_state_dict(state, assign=True)
    return result, type(m.weight).__name__, m.weight.dtype, m(lib.ones(1, 4, dtype=lib.float64)).dtype, m


def optimizer_before_dry_run(lib):
    m = lib.nn.LazyLinear(2)
    optimizer = lib.optim.SGD(m.parameters(), lr=0.5)
    optimizer.zero_grad()
    optimizer.step()  # no gradients yet: nothing to do
    m(lib.ones(1, 3)).sum().backward()
    return [tuple(p.grad.shape) for p in optimizer.param_groups[0]["params"]]


@pytest.mark.parametrize("label, call", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_allowed_use_behaves_like_torch(label, call):
    torch = pytest.importorskip("torch")
    expected, actual = both(torch, call)
    assert expected.type == "returned", expected
    assert actual.type == "returned", actual
    assert actual.message == expected.message.replace("torch.", "torchless.")


def test_load_state_dict_pre_hooks_are_called_like_torchs():
    torch = pytest.importorskip("torch")

    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.BatchNorm1d(2)))
        calls = []

        def record(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            keys = sorted(k for k in state_dict if k.startswith(prefix))
            calls.append((type(module).__name__, prefix, local_metadata.get("version"), strict, keys))

        for module in (net, net[1], net[1][0]):
            module.register_load_state_dict_pre_hook(record)
        net[0]._register_load_state_dict_pre_hook(
            lambda state_dict, prefix, *rest: calls.append(("without the module", prefix, len(rest))))
        state = net.state_dict()
        net.load_state_dict(state)
        del state["0.bias"]
        net.load_state_dict(state, strict=False)
        return calls

    assert run(torchless) == run(torch)
