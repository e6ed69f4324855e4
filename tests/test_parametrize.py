"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the hook-based
nn.utils.weight_norm, against PyTorch where it is deterministic and against NumPy's SVD for spectral norm."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from torchless.nn.utils import parametrizations, parametrize
from helpers import assert_same_error, state_dict_from_torch


def _symmetric_class(lib, with_right_inverse):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(0, 1)

    if with_right_inverse:
        Symmetric.right_inverse = lambda self, A: A.triu()
    return Symmetric


def _numpy(t):
    return t.detach().numpy()


def _twin_linears(torch, in_features=4, out_features=4):
    """A torch and a torchless Linear with the same weight and bias."""
    torch_linear = torch.nn.Linear(in_features, out_features)
    linear = nn.Linear(in_features, out_features)
    linear.load_state_dict(state_dict_from_torch(torch_linear))
    return torch_linear, linear


def _twin_layers(torch, kind):
    if kind == "Linear":
        return _twin_linears(torch, 5, 3)
    torch_conv = torch.nn.Conv2d(2, 3, 3)
    conv = nn.Conv2d(2, 3, 3)
    conv.load_state_dict(state_dict_from_torch(torch_conv))
    return torch_conv, conv


def _assert_state_dicts_equal(actual, expected):
    assert list(actual) == list(expected)
    for key in expected:
        np.testing.assert_allclose(_numpy(actual[key]), expected[key].detach().numpy(), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------- weight_norm (parametrization)
@pytest.mark.parametrize("kind", ["Linear", "Conv2d"])
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_matches_torch_in_state_forward_and_gradients(kind, dim):
    torch = pytest.importorskip("torch")
    torch_layer, layer = _twin_layers(torch, kind)
    torch.nn.utils.parametrizations.weight_norm(torch_layer, dim=dim)
    parametrizations.weight_norm(layer, dim=dim)
    # right_inverse of the same weight: g and v as torch computes them
    _assert_state_dicts_equal(layer.state_dict(), torch_layer.state_dict())
    # new g and v, given to both
    with torch.no_grad():
        torch_layer.parametrizations.weight.original0.mul_(torch.rand_like(torch_layer.parametrizations.weight.original0) + 0.5)
        torch_layer.parametrizations.weight.original1.add_(0.1)
    layer.load_state_dict(state_dict_from_torch(torch_layer))
    np.testing.assert_allclose(_numpy(layer.weight), torch_layer.weight.detach().numpy(), rtol=1e-5, atol=1e-6)

    x = np.random.default_rng(0).standard_normal((2, 5) if kind == "Linear" else (2, 2, 6, 6)).astype(np.float32)
    expected = torch_layer(torch.from_numpy(x))
    actual = layer(torchless.tensor(x))
    np.testing.assert_allclose(_numpy(actual), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    (expected ** 2).sum().backward()
    (actual ** 2).sum().backward()
    for name in ("original0", "original1"):
        np.testing.assert_allclose(getattr(layer.parametrizations.weight, name).grad.numpy(),
                                   getattr(torch_layer.parametrizations.weight, name).grad.numpy(),
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), torch_layer.bias.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_weight_norm_structure_and_old_state_dict_compatibility():
    torch = pytest.importorskip("torch")
    torch_linear, linear = _twin_linears(torch, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    torch.nn.utils.parametrizations.weight_norm(torch_linear)
    parametrizations.weight_norm(linear)
    assert type(linear).__name__ == "ParametrizedLinear"
    assert isinstance(linear, nn.Linear)
    assert repr(linear) == repr(torch_linear)
    assert [name for name, _ in linear.named_parameters()] == [name for name, _ in torch_linear.named_parameters()]
    # a state dict of the hook-based weight_norm (weight_g, weight_v) loads, as in torch
    torch_linear.load_state_dict(old.state_dict())
    linear.load_state_dict(state_dict_from_torch(old))
    np.testing.assert_allclose(_numpy(linear.weight), torch_linear.weight.detach().numpy(), rtol=1e-6)


def test_weight_norm_cannot_be_left_unparametrized_and_leaves_its_value():
    torch = pytest.importorskip("torch")
    torch_linear, linear = _twin_linears(torch)
    torch.nn.utils.parametrizations.weight_norm(torch_linear)
    parametrizations.weight_norm(linear)
    assert_same_error(lambda: torch.nn.utils.parametrize.remove_parametrizations(torch_linear, "weight", False),
                      lambda: parametrize.remove_parametrizations(linear, "weight", False))
    expected = torch_linear.weight.detach().numpy()
    torch.nn.utils.parametrize.remove_parametrizations(torch_linear, "weight")
    parametrize.remove_parametrizations(linear, "weight")
    assert type(linear) is nn.Linear and isinstance(linear.weight, nn.Parameter) and linear.weight.requires_grad
    _assert_state_dicts_equal(linear.state_dict(), torch_linear.state_dict())  # weight re-registered last
    np.testing.assert_allclose(_numpy(linear.weight), expected, rtol=1e-6)


# ---------------------------------------------------------------------------- register_parametrization
@pytest.mark.parametrize("with_right_inverse", [False, True])
def test_user_parametrization_matches_torch(with_right_inverse):
    torch = pytest.importorskip("torch")
    torch_linear, linear = _twin_linears(torch)
    torch.nn.utils.parametrize.register_parametrization(torch_linear, "weight", _symmetric_class(torch, with_right_inverse)())
    parametrize.register_parametrization(linear, "weight", _symmetric_class(torchless, with_right_inverse)())
    assert type(linear).__name__ == "ParametrizedLinear"
    assert repr(linear) == repr(torch_linear)
    _assert_state_dicts_equal(linear.state_dict(), torch_linear.state_dict())
    assert list(linear.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(_numpy(linear.weight), torch_linear.weight.detach().numpy())
    assert parametrize.is_parametrized(linear) and parametrize.is_parametrized(linear, "weight")
    assert not parametrize.is_parametrized(linear, "bias")
    assert parametrize.type_before_parametrizations(linear) is nn.Linear

    A = np.random.default_rng(1).standard_normal((4, 4)).astype(np.float32)
    if with_right_inverse:
        original = linear.parametrizations.weight.original
        torch_linear.weight = torch.from_numpy(A)
        linear.weight = torchless.tensor(A)
        assert linear.parametrizations.weight.original is original  # assignment keeps the parameter
        np.testing.assert_allclose(_numpy(linear.weight), torch_linear.weight.detach().numpy())
    else:
        def assign(module, value):
            module.weight = value
        assert_same_error(lambda: assign(torch_linear, torch.from_numpy(A)), lambda: assign(linear, torchless.tensor(A)))


def test_gradient_reaches_the_original_through_the_parametrization():
    torch = pytest.importorskip("torch")
    torch_linear, linear = _twin_linears(torch)
    torch.nn.utils.parametrize.register_parametrization(torch_linear, "weight", _symmetric_class(torch, True)())
    parametrize.register_parametrization(linear, "weight", _symmetric_class(torchless, True)())
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    torch_linear(torch.from_numpy(x)).pow(2).sum().backward()
    linear(torchless.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(linear.parametrizations.weight.original.grad.numpy(),
                               torch_linear.parametrizations.weight.original.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_chained_parametrizations_and_buffers():
    torch = pytest.importorskip("torch")

    def build(lib):
        class Double(lib.nn.Module):
            def forward(self, X):
                return X * 2

            def right_inverse(self, X):
                return X / 2

        module = lib.nn.BatchNorm1d(3)
        with lib.no_grad():
            module.running_mean.copy_(lib.tensor([1.0, -2.0, 3.0]))
        lib.nn.utils.parametrize.register_parametrization(module, "running_mean", Double())
        lib.nn.utils.parametrize.register_parametrization(module, "running_mean", Double())
        module.running_mean = lib.tensor([4.0, 8.0, -4.0])
        return module

    torch_module, module = build(torch), build(torchless)
    assert len(module.parametrizations.running_mean) == 2
    assert not isinstance(module.parametrizations.running_mean.original, nn.Parameter)  # still a buffer
    _assert_state_dicts_equal(module.state_dict(), torch_module.state_dict())
    np.testing.assert_allclose(_numpy(module.running_mean), [4.0, 8.0, -4.0])


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations_matches_torch(leave_parametrized):
    torch = pytest.importorskip("torch")
    torch_linear, linear = _twin_linears(torch)
    torch.nn.utils.parametrize.register_parametrization(torch_linear, "weight", _symmetric_class(torch, False)())
    parametrize.register_parametrization(linear, "weight", _symmetric_class(torchless, False)())
    original = linear.parametrizations.weight.original
    torch.nn.utils.parametrize.remove_parametrizations(torch_linear, "weight", leave_parametrized)
    parametrize.remove_parametrizations(linear, "weight", leave_parametrized)
    assert type(linear) is nn.Linear and not hasattr(linear, "parametrizations")
    assert linear.weight is original  # the same Parameter object: an optimizer holding it stays valid
    _assert_state_dicts_equal(linear.state_dict(), torch_linear.state_dict())
    assert repr(linear) == repr(torch_linear)


def test_cached_evaluates_each_parametrization_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1

    linear = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with parametrize.cached():
        first, second = linear.weight, linear.weight
        with parametrize.cached():  # nested: the cache lives until the outermost exits
            assert linear.weight is first
    assert first is second and len(calls) == 1
    assert linear.weight is not first and len(calls) == 2


def test_parametrized_module_pickles_only_through_state_dict_but_deep_copies():
    linear = parametrize.register_parametrization(nn.Linear(2, 2), "weight", _symmetric_class(torchless, True)())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through state_dict"):
        pickle.dumps(linear)
    replica = copy.deepcopy(linear)
    assert type(replica).__name__ == "ParametrizedLinear"
    assert replica.parametrizations.weight.original is not linear.parametrizations.weight.original
    np.testing.assert_array_equal(_numpy(replica.weight), _numpy(linear.weight))


def test_the_generated_class_is_per_module():
    parametrized = parametrize.register_parametrization(nn.Linear(2, 2), "weight", _symmetric_class(torchless, False)())
    plain = nn.Linear(2, 2)
    assert type(plain) is nn.Linear and isinstance(plain.weight, nn.Parameter)
    assert type(parametrized) is not type(plain)


# ---------------------------------------------------------------------------- misuse, with torch's messages
def _misuse_cases(lib):
    class WrongShapeInverse(lib.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X[:2]

    class ToDouble(lib.nn.Module):
        def forward(self, X):
            return X.double()

    class Flatten(lib.nn.Module):
        def forward(self, X):
            return X.flatten()

    class NotATensor(lib.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return 3

    Symmetric = _symmetric_class(lib, True)
    P = lib.nn.utils.parametrize

    def parametrized():
        return P.register_parametrization(lib.nn.Linear(4, 4), "weight", Symmetric())

    return {
        "missing name": lambda: P.register_parametrization(lib.nn.Linear(4, 4), "weights", Symmetric()),
        "right_inverse of the wrong shape": lambda: P.register_parametrization(lib.nn.Linear(4, 4), "weight",
                                                                               WrongShapeInverse()),
        "dtype change": lambda: P.register_parametrization(lib.nn.Linear(4, 4), "weight", ToDouble()),
        "right_inverse not a tensor": lambda: P.register_parametrization(lib.nn.Linear(4, 4), "weight", NotATensor()),
        "appended shape change": lambda: P.register_parametrization(parametrized(), "weight", Flatten()),
        "appended dtype change": lambda: P.register_parametrization(parametrized(), "weight", ToDouble()),
        "appended right_inverse shape": lambda: P.register_parametrization(parametrized(), "weight",
                                                                           WrongShapeInverse()),
        "remove unparametrized": lambda: P.remove_parametrizations(parametrized(), "bias"),
        "spectral norm without the name": lambda: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                                              "weights"),
        "spectral norm dim": lambda: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
        "spectral norm iterations": lambda: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                                        n_power_iterations=0),
    }


@pytest.mark.parametrize("case", list(_misuse_cases(torchless)))
def test_misuse_raises_torchs_error(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_misuse_cases(torch)[case], _misuse_cases(torchless)[case])


def test_unsafe_allows_a_shape_change():
    class Flatten(nn.Module):
        def forward(self, X):
            return X.flatten()

    linear = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Flatten(), unsafe=True)
    assert linear.weight.shape == (6,)
    assert linear.parametrizations.weight.unsafe


# ---------------------------------------------------------------------------- spectral_norm
@pytest.mark.parametrize("make, dim, matrix_shape", [
    (lambda: nn.Linear(7, 5), 0, (5, 7)),
    (lambda: nn.Conv2d(3, 4, 3), 0, (4, 27)),
    (lambda: nn.ConvTranspose2d(3, 4, 3), 1, (4, 27)),  # dim 1 by default for transposed convolutions
])
def test_spectral_norm_converges_to_unit_largest_singular_value(make, dim, matrix_shape):
    torchless.manual_seed(0)
    module = parametrizations.spectral_norm(make(), n_power_iterations=5)
    spectral = module.parametrizations.weight[0]
    assert spectral.dim == dim
    assert spectral._u.shape == (matrix_shape[0],) and spectral._v.shape == (matrix_shape[1],)
    assert list(module.state_dict()) == ["bias", "parametrizations.weight.original",
                                         "parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    for _ in range(20):
        weight = module.weight
    original = _numpy(module.parametrizations.weight.original)
    matrix = np.moveaxis(_numpy(weight), dim, 0).reshape(matrix_shape)
    sigma = np.linalg.svd(np.moveaxis(original, dim, 0).reshape(matrix_shape), compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(matrix, compute_uv=False)[0], 1.0, rtol=1e-4)
    np.testing.assert_allclose(_numpy(weight), original / sigma, rtol=1e-4, atol=1e-6)


def test_spectral_norm_updates_u_and_v_in_training_only():
    module = parametrizations.spectral_norm(nn.Linear(6, 4))
    spectral = module.parametrizations.weight[0]
    with torchless.no_grad():  # a fresh direction, far from the converged one
        spectral._u.copy_(torchless.tensor(np.ones(4, dtype=np.float32) / 2))
    module.eval()
    before = _numpy(spectral._u).copy(), _numpy(spectral._v).copy()
    module.weight
    np.testing.assert_array_equal(_numpy(spectral._u), before[0])
    np.testing.assert_array_equal(_numpy(spectral._v), before[1])
    module.train()
    module.weight
    assert not np.array_equal(_numpy(spectral._u), before[0])


def test_spectral_norm_matches_torch_from_the_same_singular_vectors():
    torch = pytest.importorskip("torch")
    torch_conv = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Conv2d(2, 3, 2), n_power_iterations=2)
    conv = parametrizations.spectral_norm(nn.Conv2d(2, 3, 2), n_power_iterations=2)
    conv.load_state_dict(state_dict_from_torch(torch_conv))  # weight, bias, _u and _v
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4)).astype(np.float32)
    expected, actual = torch_conv(torch.from_numpy(x)), conv(torchless.tensor(x))
    np.testing.assert_allclose(_numpy(actual), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    _assert_state_dicts_equal(conv.state_dict(), torch_conv.state_dict())  # the same power-iteration steps
    expected.pow(2).sum().backward()
    actual.pow(2).sum().backward()
    np.testing.assert_allclose(conv.parametrizations.weight.original.grad.numpy(),
                               torch_conv.parametrizations.weight.original.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_spectral_norm_of_a_vector_is_its_normalization():
    module = nn.Module()
    module.register_buffer("scale", torchless.tensor([3.0, 4.0]))
    parametrizations.spectral_norm(module, "scale")
    np.testing.assert_allclose(_numpy(module.scale), [0.6, 0.8], rtol=1e-6)
    assert not hasattr(module.parametrizations.scale[0], "_u")


# ---------------------------------------------------------------------------- hook-based weight_norm
@pytest.mark.parametrize("dim", [0, 1, None])
def test_hook_weight_norm_matches_torch(dim):
    torch = pytest.importorskip("torch")
    torch_layer, layer = _twin_layers(torch, "Conv2d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(torch_layer, dim=dim)
    with pytest.warns(FutureWarning, match="is deprecated in favor of"):
        nn.utils.weight_norm(layer, dim=dim)
    _assert_state_dicts_equal(layer.state_dict(), torch_layer.state_dict())
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight_g", "weight_v"]
    with torch.no_grad():
        torch_layer.weight_g.mul_(2)
    with torchless.no_grad():
        layer.weight_g.mul_(2)
    x = np.random.default_rng(4).standard_normal((1, 2, 5, 5)).astype(np.float32)
    expected, actual = torch_layer(torch.from_numpy(x)), layer(torchless.tensor(x))  # the hook recomputes weight
    np.testing.assert_allclose(_numpy(actual), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    expected.sum().backward()
    actual.sum().backward()
    np.testing.assert_allclose(layer.weight_g.grad.numpy(), torch_layer.weight_g.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.weight_v.grad.numpy(), torch_layer.weight_v.grad.numpy(), rtol=1e-4, atol=1e-5)

    torch.nn.utils.remove_weight_norm(torch_layer)
    nn.utils.remove_weight_norm(layer)
    _assert_state_dicts_equal(layer.state_dict(), torch_layer.state_dict())
    assert isinstance(layer.weight, nn.Parameter) and not layer._forward_pre_hooks


def test_hook_weight_norm_misuse_raises_torchs_error():
    torch = pytest.importorskip("torch")

    def twice(lib):
        layer = lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))
        return lib.nn.utils.weight_norm(layer)

    assert_same_error(lambda: twice(torch), lambda: twice(torchless))
    assert_same_error(lambda: torch.nn.utils.remove_weight_norm(torch.nn.Linear(2, 2)),
                      lambda: nn.utils.remove_weight_norm(nn.Linear(2, 2)))
