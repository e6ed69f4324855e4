"""Smaller pieces of torch.nn against PyTorch: nn.Buffer, nn.init's deprecated names, nn.utils.fusion,
skip_init, functional_call (nn.utils.stateless and torchless.func), the memory-format conversions, the
hook-based spectral_norm, DataParallel / DistributedDataParallel and fractional max pooling."""
import copy
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import Raised, assert_same_error, finite_difference_check, outcome, state_dict_from_torch

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _twin(torch_module, module):
    module.load_state_dict(state_dict_from_torch(torch_module))
    return torch_module, module


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message)) for w in caught]


# ---------------------------------------------------------------------------- nn.Buffer
def test_buffer_is_exported_and_registers_as_torch():
    assert nn.Buffer is nn.parameter.Buffer
    keys = []
    for lib in (torch, torchless):
        m = lib.nn.Linear(2, 3)
        m.kept = lib.nn.Buffer(lib.ones(2))
        m.dropped = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert type(m.kept) is lib.Tensor and isinstance(m.kept, lib.nn.Buffer)
        keys.append((list(m.state_dict()), [name for name, _ in m.named_buffers()]))
    assert keys[0] == keys[1]


# ---------------------------------------------------------------------------- nn.init
_DEPRECATED_INITS = [("uniform", (4, 3), {}), ("normal", (4, 3), {}), ("constant", (4, 3), {"val": 0.5}),
                     ("xavier_uniform", (4, 3), {}), ("xavier_normal", (4, 3), {}), ("kaiming_uniform", (4, 3), {}),
                     ("kaiming_normal", (4, 3), {}), ("orthogonal", (4, 3), {}), ("sparse", (4, 3), {"sparsity": 0.5}),
                     ("eye", (4, 3), {}), ("dirac", (4, 2, 3, 3), {})]


@pytest.mark.parametrize("name, shape, kwargs", _DEPRECATED_INITS)
def test_deprecated_init_names_warn_and_delegate(name, shape, kwargs):
    expected = _warnings_of(lambda: getattr(torch.nn.init, name)(torch.empty(shape), **kwargs))[1]
    torchless.manual_seed(3)
    t = torchless.empty(shape)
    result, caught = _warnings_of(lambda: getattr(nn.init, name)(t, **kwargs))
    assert caught == expected == [(FutureWarning, f"`nn.init.{name}` is now deprecated in favor of "
                                                  f"`nn.init.{name}_`.")]
    assert result is t
    torchless.manual_seed(3)
    np.testing.assert_array_equal(_np(t), _np(getattr(nn.init, name + "_")(torchless.empty(shape), **kwargs)))
    assert getattr(nn.init, name).__name__ == name


def test_deprecated_init_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.init.normal(torchless.empty(2))
    assert caught[0].filename == __file__


# ---------------------------------------------------------------------------- fusion
def _trained_bn(lib, bn):
    with lib.no_grad():
        bn.running_mean.copy_(lib.linspace(-1, 1, bn.num_features))
        bn.running_var.copy_(lib.linspace(0.5, 2, bn.num_features))
        if bn.weight is not None:
            bn.weight.copy_(lib.linspace(0.5, 1.5, bn.num_features))
            bn.bias.copy_(lib.linspace(-0.2, 0.3, bn.num_features))
    return bn


@pytest.mark.parametrize("kind", ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "Conv2d-nobias", "Conv2d-noaffine"])
def test_fuse_conv_bn_eval_matches_torch_and_conv_then_bn(kind):
    name = kind.split("-")[0]
    dims = int(name[-2])
    bias = kind != "Conv2d-nobias"
    affine = kind != "Conv2d-noaffine"
    bn_name = f"BatchNorm{dims}d"
    torch.manual_seed(0)
    tconv = getattr(torch.nn, name)(3, 4, 3, bias=bias)
    conv = _twin(tconv, getattr(nn, name)(3, 4, 3, bias=bias))[1]
    tbn = _trained_bn(torch, getattr(torch.nn, bn_name)(4, affine=affine)).eval()
    bn = _twin(tbn, getattr(nn, bn_name)(4, affine=affine))[1].eval()
    tconv.eval(), conv.eval()
    transpose = name.startswith("ConvTranspose")
    tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    assert fused is not conv and type(fused) is type(conv) and isinstance(fused.weight, nn.Parameter)
    assert conv.bias is None if not bias else True  # the original is left alone
    for key, value in tfused.state_dict().items():
        np.testing.assert_allclose(_np(fused.state_dict()[key]), value.numpy(), rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(0).standard_normal((2, 3) + (6,) * dims).astype(np.float32)
    np.testing.assert_allclose(_np(fused(torchless.tensor(x))), _np(bn(conv(torchless.tensor(x)))), rtol=1e-5,
                               atol=1e-5)


def test_fuse_linear_bn_eval_matches_torch():
    torch.manual_seed(0)
    tlin, lin = _twin(torch.nn.Linear(3, 4), nn.Linear(3, 4))
    tbn = _trained_bn(torch, torch.nn.BatchNorm1d(4)).eval()
    bn = _twin(tbn, nn.BatchNorm1d(4))[1].eval()
    tlin.eval(), lin.eval()
    tfused, fused = torch.nn.utils.fuse_linear_bn_eval(tlin, tbn), nn.utils.fuse_linear_bn_eval(lin, bn)
    for key, value in tfused.state_dict().items():
        np.testing.assert_allclose(_np(fused.state_dict()[key]), value.numpy(), rtol=1e-6, atol=1e-7)
    x = torchless.randn(5, 3)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-5, atol=1e-6)


def test_fusion_weights_functions_keep_dtypes_and_requires_grad():
    w, b = torchless.randn(4, 3, dtype=torchless.float64), None
    rm, rv = torchless.zeros(4), torchless.ones(4)
    for lib_w, lib_rm, lib_rv, lib in ((w, rm, rv, nn.utils), (torch.tensor(_np(w)), torch.zeros(4), torch.ones(4),
                                                                 torch.nn.utils)):
        fw, fb = lib.fuse_conv_bn_weights(lib_w, b, lib_rm, lib_rv, 1e-5, None, None)
        assert (str(fw.dtype)[-7:], str(fb.dtype)[-7:]) == ("float64", "float64")
        assert (fw.requires_grad, fb.requires_grad) == (False, False)


def test_fusion_errors_match_torch():
    torch.manual_seed(0)
    for make in (lambda lib: (lib.nn.Conv2d(2, 4, 3), lib.nn.BatchNorm2d(4)),):
        tconv, tbn = make(torch)
        conv, bn = make(torchless)
        assert_same_error(lambda: torch.nn.utils.fuse_conv_bn_eval(tconv, tbn),
                          lambda: nn.utils.fuse_conv_bn_eval(conv, bn))
    tbn = torch.nn.BatchNorm1d(5, track_running_stats=False).eval()
    bn = nn.BatchNorm1d(5, track_running_stats=False).eval()
    assert_same_error(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(3, 4).eval(), tbn),
                      lambda: nn.utils.fuse_linear_bn_eval(nn.Linear(3, 4).eval(), bn))
    tbn4 = torch.nn.BatchNorm1d(4, track_running_stats=False).eval()
    bn4 = nn.BatchNorm1d(4, track_running_stats=False).eval()
    assert_same_error(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(3, 4).eval(), tbn4),
                      lambda: nn.utils.fuse_linear_bn_eval(nn.Linear(3, 4).eval(), bn4))


# ---------------------------------------------------------------------------- skip_init
def test_skip_init_builds_without_touching_the_generator():
    torchless.manual_seed(5)
    m = nn.utils.skip_init(nn.Linear, 5, 3, bias=False)
    after = torchless.rand(3)
    torchless.manual_seed(5)
    np.testing.assert_array_equal(_np(after), _np(torchless.rand(3)))
    assert m.weight.shape == (3, 5) and m.bias is None and isinstance(m.weight, nn.Parameter)
    assert m.weight.requires_grad
    bn = nn.utils.skip_init(nn.BatchNorm2d, num_features=4, dtype=torchless.float64)
    assert bn.running_var.dtype == torchless.float64 and list(bn.state_dict()) == list(
        torch.nn.utils.skip_init(torch.nn.BatchNorm2d, num_features=4).state_dict())


def test_skip_init_errors_match_torch():
    class NoDevice(torch.nn.Module):
        pass

    class NoDeviceHere(nn.Module):
        pass

    assert_same_error(lambda: torch.nn.utils.skip_init(NoDevice), lambda: nn.utils.skip_init(NoDeviceHere))
    assert_same_error(lambda: torch.nn.utils.skip_init(int), lambda: nn.utils.skip_init(int))


# ---------------------------------------------------------------------------- functional_call
class _Tied:
    @staticmethod
    def make(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.foo = lib.nn.Parameter(lib.ones(2))
                self.foo_tied = self.foo
                self.register_buffer("count", lib.zeros(()))

            def forward(self, x):
                self.count.add_(1)
                return x + self.foo + self.foo_tied

        return Tied()


def _both_functional_calls(lib):
    yield lib.func.functional_call
    yield lambda *a, **k: _warnings_of(lambda: lib.nn.utils.stateless.functional_call(*a, **k))[0]


def test_functional_call_matches_torch_and_restores_the_module():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    net = _twin(tnet, nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)))[1]
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    weight = np.random.default_rng(2).standard_normal((2, 4)).astype(np.float32)
    for call in _both_functional_calls(torchless):
        mean = torchless.zeros(4)
        out = call(net, {"3.weight": torchless.tensor(weight), "1.running_mean": mean}, (torchless.tensor(x),))
        tmean = torch.zeros(4)
        expected = torch.func.functional_call(tnet, {"3.weight": torch.tensor(weight), "1.running_mean": tmean},
                                              (torch.tensor(x),))
        np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(mean), tmean.numpy(), rtol=1e-6)  # the running statistics land in the dict
        for key, value in tnet.state_dict().items():  # the module's own running_var was updated, as in PyTorch
            np.testing.assert_allclose(_np(net.state_dict()[key]), value.numpy(), rtol=1e-6, atol=1e-7)
        assert isinstance(net[3].weight, nn.Parameter)


def test_functional_call_is_differentiable_in_the_given_tensors():
    net = nn.Linear(3, 1)
    w = torchless.ones(1, 3, requires_grad=True)
    torchless.func.functional_call(net, {"weight": w}, torchless.arange(3.0)[None]).sum().backward()
    np.testing.assert_array_equal(_np(w.grad), [[0.0, 1.0, 2.0]])
    assert net.weight.grad is None


def test_functional_call_deprecation_warning_matches_torch():
    expected = _warnings_of(lambda: torch.nn.utils.stateless.functional_call(torch.nn.Linear(2, 1), {},
                                                                             torch.ones(1, 2)))[1]
    caught = _warnings_of(lambda: nn.utils.stateless.functional_call(nn.Linear(2, 1), {}, torchless.ones(1, 2)))[1]
    assert caught == [(category, message.replace("torch.", "torchless.")) for category, message in expected]


def test_functional_call_tied_weights_and_errors_match_torch():
    tied, ttied = _Tied.make(torchless), _Tied.make(torch)
    for tie_weights in (True, False):
        out = torchless.func.functional_call(tied, {"foo": torchless.zeros(2)}, torchless.zeros(2),
                                             tie_weights=tie_weights)
        expected = torch.func.functional_call(ttied, {"foo": torch.zeros(2)}, torch.zeros(2), tie_weights=tie_weights)
        np.testing.assert_array_equal(_np(out), _np(expected))
    cases = [
        lambda lib, m: lib.func.functional_call(m, {"foo": lib.zeros(2), "foo_tied": lib.ones(2)}, lib.zeros(2)),
        lambda lib, m: lib.func.functional_call(m, {"foo": lib.zeros(2)}, lib.zeros(2), strict=True),
        lambda lib, m: lib.func.functional_call(m, {"foo": lib.zeros(2), "count": lib.zeros(()), "bar": lib.ones(1)},
                                                lib.zeros(2), strict=True),
        lambda lib, m: lib.func.functional_call(m, ({"foo": lib.zeros(2)}, {"foo": lib.zeros(2)}), lib.zeros(2)),
        lambda lib, m: lib.func.functional_call(m, ({"foo": lib.zeros(2)}, 3), lib.zeros(2)),
        lambda lib, m: lib.func.functional_call(m, 3, lib.zeros(2)),
        lambda lib, m: lib.func.functional_call(m, {"nothere.weight": lib.zeros(2)}, lib.zeros(2)),
        lambda lib, m: lib.func.functional_call(lib.nn.DataParallel(m), {}, lib.zeros(2)),
    ]
    for case in cases:
        assert_same_error(lambda: case(torch, ttied), lambda: case(torchless, tied))


# ---------------------------------------------------------------------------- memory format
def test_convert_weight_memory_format_returns_the_module_unchanged():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Conv3d(3, 3, 1))
    state = {k: _np(v).copy() for k, v in net.state_dict().items()}
    assert nn.utils.convert_conv2d_weight_memory_format(net, torchless.channels_last) is net
    assert nn.utils.convert_conv3d_weight_memory_format(net, torchless.contiguous_format) is net
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(_np(value), state[key])


# ---------------------------------------------------------------------------- spectral_norm (hook-based)
def _twin_spectral(kind, **options):
    torch.manual_seed(0)
    make = {"Linear": lambda lib: lib.nn.Linear(5, 4), "Conv2d": lambda lib: lib.nn.Conv2d(3, 4, 3),
            "ConvTranspose2d": lambda lib: lib.nn.ConvTranspose2d(3, 4, 3)}[kind]
    tm, m = _twin(make(torch), make(torchless))
    torch.nn.utils.spectral_norm(tm, **options)
    nn.utils.spectral_norm(m, **options)
    # PyTorch draws u and v from its own generator: start from its vectors
    with torchless.no_grad():
        m.weight_u.copy_(torchless.tensor(tm.weight_u.numpy()))
        m.weight_v.copy_(torchless.tensor(tm.weight_v.numpy()))
    return tm, m


@pytest.mark.parametrize("kind, options", [("Linear", {}), ("Conv2d", {"n_power_iterations": 3}),
                                           ("ConvTranspose2d", {}), ("Conv2d", {"dim": 1, "eps": 1e-4})])
def test_spectral_norm_matches_torch(kind, options):
    tm, m = _twin_spectral(kind, **options)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.state_dict()._metadata == tm.state_dict()._metadata
    assert m.weight_u.shape == tm.weight_u.shape and m.weight_v.shape == tm.weight_v.shape
    x = np.random.default_rng(0).standard_normal((2, 5) if kind == "Linear" else (2, 3, 6, 6)).astype(np.float32)
    for training in (True, True, False):
        tm.train(training), m.train(training)
        tx, lx = torch.tensor(x, requires_grad=True), torchless.tensor(x, requires_grad=True)
        tout, out = tm(tx), m(lx)
        np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_np(m.weight_u), tm.weight_u.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(m.weight_v), tm.weight_v.numpy(), rtol=1e-5, atol=1e-6)
        tout.square().sum().backward()
        out.square().sum().backward()
        np.testing.assert_allclose(_np(m.weight_orig.grad), tm.weight_orig.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_np(lx.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-5, atol=1e-6)
    assert not m._forward_pre_hooks and not m._state_dict_hooks and not m._load_state_dict_pre_hooks


def test_spectral_norm_state_dict_round_trips_and_loads_version_0():
    tm, m = _twin_spectral("Linear")
    m.eval()
    m(torchless.ones(1, 5))
    other = nn.utils.spectral_norm(nn.Linear(5, 4)).eval()
    other.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(other(torchless.ones(1, 5))), _np(m(torchless.ones(1, 5))), rtol=1e-6)
    # A version-0 state dict holds the weight and u, without v: v is solved for so that u^T W v is the saved
    # weight's sigma. (PyTorch's pinverse of the rank-deficient W^T W in float32 amplifies rounding noise, so
    # its v itself is not comparable; the weight it reproduces is.)
    tm.eval()
    tm(torch.ones(1, 5))
    old = {k: v for k, v in tm.state_dict().items() if k != "weight_v"}
    old["weight"] = tm.weight.detach()
    fresh = nn.utils.spectral_norm(nn.Linear(5, 4)).eval()
    fresh.load_state_dict({k: torchless.tensor(v.numpy()) for k, v in old.items()})
    fresh(torchless.ones(1, 5))
    np.testing.assert_allclose(_np(fresh.weight), tm.weight.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_spectral_norm_errors_match_torch():
    cases = [lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3), n_power_iterations=0),
             lambda lib: lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3))),
             lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3, bias=False), name="bias"),
             lambda lib: lib.nn.utils.spectral_norm(lib.nn.LazyLinear(3)),
             lambda lib: lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 3))]
    for case in cases:
        assert_same_error(lambda: case(torch), lambda: case(torchless))


# ---------------------------------------------------------------------------- DataParallel
def test_data_parallel_without_gpus_calls_the_module():
    torch.manual_seed(0)
    tnet, net = _twin(torch.nn.Linear(3, 2), nn.Linear(3, 2))
    tdp, dp = torch.nn.DataParallel(tnet, device_ids=[0, 1], dim=1), nn.DataParallel(net, device_ids=[0, 1], dim=1)
    assert repr(dp) == repr(tdp).replace("torch", "torchless")
    assert dp.module is net and dp.device_ids == tdp.device_ids == []
    assert list(dp.state_dict()) == list(tdp.state_dict()) == ["module.weight", "module.bias"]
    x = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(_np(dp(torchless.tensor(x))), _np(tdp(torch.tensor(x))), rtol=1e-6)
    assert hasattr(dp, "dim") == hasattr(tdp, "dim")
    assert isinstance(dp, nn.Module) and nn.parallel.DataParallel is nn.DataParallel


def test_distributed_data_parallel_without_process_group_raises_as_torch():
    assert_same_error(lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 3)),
                      lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 3)))
    assert_same_error(lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 3),
                                                                        delay_all_reduce_named_params=[]),
                      lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 3), delay_all_reduce_named_params=[]))


# ---------------------------------------------------------------------------- fractional max pooling
def _samples(lib, shape, dtype, seed):
    return lib.tensor(np.random.default_rng(seed).random(shape).astype(dtype))


_FRACTIONAL_CASES = [
    # (spatial, input shape, kernel, output_size, output_ratio)
    (2, (2, 3, 9, 8), 2, (4, 5), None),
    (2, (2, 3, 9, 8), 3, (7, 6), None),
    (2, (3, 10, 11), (2, 3), None, (0.5, 0.7)),
    (2, (1, 2, 7, 7), 2, 1, None),
    (2, (1, 2, 5, 5), 1, 5, None),
    (2, (2, 1, 16, 13), (3, 2), (9, 6), None),
    (3, (2, 2, 7, 8, 9), 2, (3, 4, 5), None),
    (3, (2, 6, 7, 5), (2, 1, 2), None, 0.5),
    (3, (1, 1, 5, 5, 5), 1, 4, None),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spatial, shape, kernel, output_size, output_ratio", _FRACTIONAL_CASES)
def test_fractional_max_pool_matches_torch_given_samples(spatial, shape, kernel, output_size, output_ratio, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x[..., 0, 1] = x[..., 0, 0]  # ties: the first maximum wins
    batch = 1 if len(shape) == spatial + 1 else shape[0]
    samples_shape = (batch, shape[-spatial - 1], spatial)
    outputs = []
    for lib in (torch, torchless):
        fn = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")
        inp = lib.tensor(x, requires_grad=True)
        out, indices = fn(inp, kernel, output_size=output_size, output_ratio=output_ratio, return_indices=True,
                          _random_samples=_samples(lib, samples_shape, dtype, 1))
        (out * lib.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
        outputs.append((_np(out), _np(indices), _np(inp.grad), out.grad_fn.name(), str(indices.dtype)))
    expected, actual = outputs
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])
    np.testing.assert_array_equal(actual[2], expected[2])
    assert actual[3] == expected[3]
    assert actual[4] == expected[4].replace("torch", "torchless")


@pytest.mark.parametrize("spatial", [2, 3])
def test_fractional_max_pool_intervals_match_torch_over_many_samples(spatial):
    # every plane its own samples: the window starts are exact float32 arithmetic, as PyTorch's kernel
    shape = (4, 16) + (13,) * spatial
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)  # each window's maximum is its last cell
    results = []
    for lib in (torch, torchless):
        fn = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")
        samples = _samples(lib, (4, 16, spatial), np.float32, 7)
        results.append(_np(fn(lib.tensor(x), 3, output_size=(5,) * spatial, return_indices=True,
                              _random_samples=samples)[1]))
    np.testing.assert_array_equal(results[1], results[0])


def test_fractional_max_pool_nan_and_half():
    x = np.full((1, 1, 4, 4), np.nan, np.float32)
    x[0, 0, 0, 0] = 1
    results = []
    for lib in (torch, torchless):
        out = F.fractional_max_pool2d if lib is torchless else torch.nn.functional.fractional_max_pool2d
        results.append([_np(t) for t in out(lib.tensor(x), 2, output_size=2, return_indices=True,
                                            _random_samples=lib.zeros(1, 1, 2))])
        half = out(lib.tensor(x).half(), 2, output_size=3, _random_samples=lib.full((1, 1, 2), 0.3).half())
        results[-1].append(_np(half.float()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_fractional_max_pool_gradient_finite_differences():
    samples = torchless.tensor(np.random.default_rng(3).random((2, 2, 2)))
    samples3 = torchless.tensor(np.random.default_rng(3).random((2, 2, 3)))
    x = np.random.default_rng(4).standard_normal((2, 2, 7, 6))
    x3 = np.random.default_rng(4).standard_normal((2, 2, 5, 5, 6))
    finite_difference_check(lambda t: F.fractional_max_pool2d(t, 3, output_size=(4, 3), _random_samples=samples),
                            [x])
    finite_difference_check(lambda t: F.fractional_max_pool3d(t, 2, output_ratio=0.5, _random_samples=samples3),
                            [x3])


def test_fractional_max_pool_without_samples_draws_from_torchless_generator():
    x = torchless.randn(2, 3, 10, 10)
    torchless.manual_seed(11)
    a, ia = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), return_indices=True)
    torchless.manual_seed(11)
    samples = torchless.rand(2, 3, 2)
    b, ib = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), return_indices=True, _random_samples=samples)
    np.testing.assert_array_equal(_np(a), _np(b))
    np.testing.assert_array_equal(_np(ia), _np(ib))
    assert a.shape == (2, 3, 5, 5)
    # unbatched: one (1, C, spatial) draw in the input's dtype
    y = torchless.randn(3, 6, 6, 6, dtype=torchless.float64)
    torchless.manual_seed(11)
    a = F.fractional_max_pool3d(y, 2, output_size=2)
    torchless.manual_seed(11)
    b = F.fractional_max_pool3d(y, 2, output_size=2, _random_samples=torchless.rand(1, 3, 3, dtype=torchless.float64))
    np.testing.assert_array_equal(_np(a), _np(b))


def test_fractional_max_pool_modules_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9, 9)).astype(np.float32)
    for spatial, args in ((2, dict(kernel_size=2, output_ratio=0.5)), (2, dict(kernel_size=(3, 2), output_size=4)),
                          (3, dict(kernel_size=2, output_size=(3, 4, 5), return_indices=True)),
                          (3, dict(kernel_size=(2, 1, 2), output_ratio=(0.5, 0.3, 0.6)))):
        name = f"FractionalMaxPool{spatial}d"
        inp = x[:, :, 0] if spatial == 2 else x
        samples_shape = (2, 3, spatial)
        tm = getattr(torch.nn, name)(**args, _random_samples=_samples(torch, samples_shape, np.float32, 2))
        m = getattr(nn, name)(**args, _random_samples=_samples(torchless, samples_shape, np.float32, 2))
        assert repr(m) == repr(tm)
        assert (m.kernel_size, m.output_size, m.output_ratio, m.return_indices) == \
               (tm.kernel_size, tm.output_size, tm.output_ratio, tm.return_indices)
        assert list(m.state_dict()) == list(tm.state_dict()) == ["_random_samples"]
        expected, actual = tm(torch.tensor(inp)), m(torchless.tensor(inp))
        for e, a in zip(expected if isinstance(expected, tuple) else (expected,),
                        actual if isinstance(actual, tuple) else (actual,)):
            np.testing.assert_array_equal(_np(a), _np(e))
    m = nn.FractionalMaxPool2d(2, output_size=3)
    assert "_random_samples" in m._buffers and m._random_samples is None and list(m.state_dict()) == []
    assert m(torchless.randn(1, 2, 8, 8)).shape == (1, 2, 3, 3)


_FRACTIONAL_ERRORS = [
    lambda lib, F, x: F.fractional_max_pool2d(x, 3),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_ratio=0.5),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5, 0.5)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_ratio=(0.5,)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_size=8),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_size=(7, 7)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 3, output_size=-1),
    lambda lib, F, x: F.fractional_max_pool2d(x, (2, 2, 2), output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=(2, 2, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2.0, output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2.0),
    lambda lib, F, x: F.fractional_max_pool2d([1], 2, output_size=2, _random_samples=lib.rand(2, 3, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=[1]),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=lib.rand(2, 3, 3)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=lib.rand(1, 3, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=lib.rand(2, 3)),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=lib.rand(2, 3, 2).double()),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=lib.rand(3, 4, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x[0, 0], 2, output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(x[0, 0], 2, output_size=2, _random_samples=lib.rand(1, 1, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x[0], 2, output_size=2, _random_samples=lib.rand(1, 2, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x.int(), 2, output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(x.int(), 2, output_size=2, _random_samples=lib.rand(2, 3, 2)),
    lambda lib, F, x: F.fractional_max_pool2d(x.long(), 2, output_size=2, _random_samples=lib.zeros(2, 3, 2).long()),
    lambda lib, F, x: F.fractional_max_pool2d(x.int(), 2, output_size=9, _random_samples=lib.zeros(2, 3, 2).int()),
    lambda lib, F, x: F.fractional_max_pool2d(lib.zeros(2, 0, 9, 8), 2, output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(lib.zeros(0, 3, 9, 8), 2, output_size=2),
    lambda lib, F, x: F.fractional_max_pool2d(x, 2, output_size=0),
    lambda lib, F, x: F.fractional_max_pool2d(x, 0, output_size=2, _random_samples=lib.full((2, 3, 2), 0.5),
                                              return_indices=True),
    lambda lib, F, x: F.fractional_max_pool3d(x, 2),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=(3, 3)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], (2, 2), output_size=3),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_ratio=(0.5, 0.5)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=(2, 8, 7)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=(1, 7, 6)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=(1, 8, 6)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=(1, 7, 7)),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=-1),
    lambda lib, F, x: F.fractional_max_pool3d(x[None], 2, output_size=1, _random_samples=lib.rand(1, 2, 2)),
    lambda lib, F, x: F.fractional_max_pool3d(x[0, 0], 2, output_size=1, _random_samples=lib.rand(1, 2, 3)),
    lambda lib, F, x: F.fractional_max_pool3d(x[0, 0], 2, output_size=1),
    lambda lib, F, x: F.fractional_max_pool3d(x.int(), 2, output_size=1, _random_samples=lib.zeros(1, 2, 3).int()),
    lambda lib, F, x: F.fractional_max_pool3d(lib.zeros(2, 0, 3, 3, 3), 2, output_size=1),
    lambda lib, F, x: lib.nn.FractionalMaxPool2d(2),
    lambda lib, F, x: lib.nn.FractionalMaxPool3d(2),
    lambda lib, F, x: lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
    lambda lib, F, x: lib.nn.FractionalMaxPool2d(2, output_ratio=1.0),
    lambda lib, F, x: lib.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.0)),
    lambda lib, F, x: lib.nn.FractionalMaxPool2d(2, output_ratio=(0.5,)),
    lambda lib, F, x: lib.nn.FractionalMaxPool3d(0, output_size=2),
    lambda lib, F, x: lib.nn.FractionalMaxPool3d((2, -1, 2), output_size=2),
]


@pytest.mark.parametrize("case", range(len(_FRACTIONAL_ERRORS)))
def test_fractional_max_pool_errors_match_torch(case):
    make = _FRACTIONAL_ERRORS[case]
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    expected = outcome(lambda: make(torch, torch.nn.functional, torch.tensor(x)))
    actual = outcome(lambda: make(torchless, F, torchless.tensor(x)))
    if isinstance(expected, Raised):
        assert_same_error(lambda: make(torch, torch.nn.functional, torch.tensor(x)),
                          lambda: make(torchless, F, torchless.tensor(x)))
    else:
        shapes = [tuple(t.shape) for t in (expected if isinstance(expected, tuple) else (expected,))]
        assert shapes == [tuple(t.shape) for t in (actual if isinstance(actual, tuple) else (actual,))]


def test_fractional_max_pool_exports():
    assert F.fractional_max_pool2d_with_indices and F.fractional_max_pool3d_with_indices
    assert "FractionalMaxPool2d" in nn.modules.__all__ and "FractionalMaxPool3d" in nn.modules.__all__
    assert copy.deepcopy(nn.FractionalMaxPool2d(2, output_ratio=0.5)).output_ratio == (0.5, 0.5)
