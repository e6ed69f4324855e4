"""Regression tests for module27's findings: nn.init, nn.Module and nn.utils driven as a PyTorch user does.

Differences fixed:
- ``nn.init.sparse_`` of a complex tensor drew its values with twice PyTorch's variance: PyTorch's ``normal_``
  gives each part of a complex number std / sqrt(2), which only ``Tensor.normal_`` did (now ``normal_like``,
  behind both).
- ``nn.init.trunc_normal_`` and ``nn.init.orthogonal_`` of a complex tensor failed with a KeyError of NumPy's
  dtype, or filled a one-element tensor; PyTorch draws first (into the tensor for trunc_normal_), then refuses
  complex numbers in its first comparison (``"lt_cpu"``/``"gt_cpu" not implemented for 'ComplexFloat'``) or in
  torch.sign of the QR's diagonal.
- ``nn.utils.clip_grads_with_norm_`` given a total norm that is not 0-d read it as a number (or failed in
  ``item``): PyTorch's ``_foreach_mul_`` (its CPU default) refuses it ("scalar tensor expected to be 0 dim ..."),
  and with ``foreach=False`` its ``mul_`` broadcasts it into each gradient, dtype group by group, until one
  cannot hold the product.
- nn.init's functions writing their values directly (trunc_normal_, orthogonal_, sparse_, eye_, dirac_) failed
  with NumPy's "assignment destination is read-only" on a view of an expanded tensor holding each element once
  (``w.expand(2, 6, 4)[0]``), which PyTorch writes through; on an expanded tensor whose elements share memory,
  eye_ and dirac_ give PyTorch's result (a 1 wherever a 1 was written to the memory), the others its error.
- The random fills (``Tensor.uniform_``, ``Tensor.normal_``, so nn.init's initializers too) refused an expanded
  tensor only after drawing its values, so the generator moved on where PyTorch's, which checks first, does not;
  ``normal_`` checked the dtype before ``std``, where PyTorch reports a negative std first. The other random
  fills (random_, bernoulli_, exponential_, cauchy_, log_normal_, geometric_) too drew first, and checked the
  dtype or random_'s bounds before the overlap, where PyTorch checks it right after its arguments' values;
  cauchy_ of a complex tensor named its type "None" in PyTorch's error ("c10::complex<float>").
- ``functional_call`` with tied weights compares, as PyTorch, the values of all the tied names when several are
  given (a KeyError for one not given); ``nn.utils.stateless.functional_call`` given a tuple of dicts fails with
  PyTorch's AttributeError (only ``torch.func``'s takes several dicts).
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

COMPLEX = ["complex64", "complex128"]


def _both(shape, dtype):
    """The same zero tensor in each library, each library's default generator seeded alike."""
    torch.manual_seed(3)
    torchless.manual_seed(3)
    return torch.zeros(shape, dtype=getattr(torch, dtype)), torchless.zeros(shape, dtype=getattr(torchless, dtype))


def _outcome(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error), str(error)
    return None


def _assert_same_state(expected, actual):
    """The tensor's values and the default generator's next draw, as PyTorch leaves them."""
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(torchless.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", [(4, 6), (1, 1), (7, 2)])
@pytest.mark.parametrize("std", [0.01, 2.0])
def test_sparse_of_complex_tensor_draws_pytorch_spread(shape, dtype, std):
    expected, actual = _both(shape, dtype)
    torch.nn.init.sparse_(expected, 0.3, std=std)
    torchless.nn.init.sparse_(actual, 0.3, std=std)
    _assert_same_state(expected, actual)


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", [(4, 6), (1, 1), (0, 3), (3,), (2, 3, 2)])
@pytest.mark.parametrize("bounds", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 3.0, 4.0), (1.0, 2.0, -1.0, 3.0)])
def test_trunc_normal_refuses_complex_after_pytorch_draws(shape, dtype, bounds):
    expected, actual = _both(shape, dtype)
    error = _outcome(lambda: torch.nn.init.trunc_normal_(expected, *bounds))
    assert error is not None
    assert _outcome(lambda: torchless.nn.init.trunc_normal_(actual, *bounds)) == error
    _assert_same_state(expected, actual)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("shape", [(4, 6), (1, 1), (6, 2), (2, 3, 2)])
def test_orthogonal_refuses_complex_after_pytorch_draws(shape, dtype):
    expected, actual = _both(shape, dtype)
    error = _outcome(lambda: torch.nn.init.orthogonal_(expected))
    assert error is not None
    assert _outcome(lambda: torchless.nn.init.orthogonal_(actual)) == error
    _assert_same_state(expected, actual)


def test_orthogonal_of_empty_complex_tensor_is_a_no_op():
    expected, actual = _both((0, 3), "complex64")
    assert torch.nn.init.orthogonal_(expected) is expected
    assert torchless.nn.init.orthogonal_(actual) is actual


@pytest.mark.parametrize("dtype", COMPLEX)
def test_tensor_normal_of_complex_keeps_pytorch_spread(dtype):
    expected, actual = _both((5, 4), dtype)
    expected.normal_(0.5, 3.0)
    actual.normal_(0.5, 3.0)
    _assert_same_state(expected, actual)


@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("total_norm", [[1.0, 2.0], [4.0], [[4.0]], [[1.0], [2.0], [3.0]], 4.0])
def test_clip_grads_with_norm_of_a_shaped_total_norm(total_norm, foreach):
    def clipped(library):
        library.manual_seed(0)
        parameters = [library.nn.Parameter(library.randn(3, 2)), library.nn.Parameter(library.randn(4).double())]
        for parameter in parameters:
            parameter.grad = library.randn_like(parameter)
        error = _outcome(lambda: library.nn.utils.clip_grads_with_norm_(parameters, 1.0, library.tensor(total_norm),
                                                                         foreach=foreach))
        return error, [parameter.grad.numpy() for parameter in parameters]

    (expected_error, expected), (error, actual) = clipped(torch), clipped(torchless)
    assert error == expected_error
    for expected_grad, grad in zip(expected, actual):
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


INITIALIZERS = [
    ("uniform_", ()), ("normal_", (1.0, 2.0)), ("xavier_uniform_", ()), ("kaiming_normal_", ()),
    ("trunc_normal_", ()), ("trunc_normal_", (0.0, 1.0, 2.0, 3.0)), ("orthogonal_", ()), ("eye_", ()),
    ("constant_", (2.0,)), ("zeros_", ()), ("sparse_", (0.4,)),
]
EXPANDED = [  # (a view of an expanded tensor in each library, whether its elements share memory)
    (lambda L: L.zeros(6, 4).expand(2, 6, 4)[1], False),
    (lambda L: L.zeros(6, 4).expand(2, 6, 4).transpose(1, 2)[0], False),
    (lambda L: L.zeros(4).expand(6, 4), True),
    (lambda L: L.zeros(6, 1).expand(6, 4), True),
]


@pytest.mark.parametrize("view, shares_memory", EXPANDED)
@pytest.mark.parametrize("name, args", INITIALIZERS)
def test_initializers_of_expanded_tensors(name, args, view, shares_memory):
    def initialized(library):
        library.manual_seed(3)
        tensor = view(library)
        error = _outcome(lambda: getattr(library.nn.init, name)(tensor, *args))
        return error, tensor.clone().numpy(), library.rand(3).numpy()

    (expected_error, expected, expected_next), (error, actual, actual_next) = initialized(torch), initialized(torchless)
    assert error == expected_error
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(actual_next, expected_next)  # the draws PyTorch makes, none before its error


@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (4, 4, 5), (6, 2, 3, 3, 3)])
@pytest.mark.parametrize("groups", [1, 2])
def test_dirac_of_expanded_tensor_writes_through(shape, groups):
    def initialized(library):
        tensor = library.zeros((1,) + shape[1:]).expand(shape)
        library.nn.init.dirac_(tensor, groups)
        return tensor.clone().numpy()

    np.testing.assert_array_equal(initialized(torchless), initialized(torch))


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
@pytest.mark.parametrize("method, args", [("normal_", ()), ("uniform_", ()), ("normal_", (0.0, -1.0)),
                                          ("uniform_", (2.0, 1.0))])
def test_random_fill_checks_before_drawing(method, args, dtype):
    def filled(library):
        library.manual_seed(0)
        tensor = library.zeros(4, dtype=getattr(library, dtype)).expand(6, 4)
        return _outcome(lambda: getattr(tensor, method)(*args)), library.rand(3).numpy()

    (expected_error, expected_next), (error, actual_next) = filled(torch), filled(torchless)
    assert error == expected_error
    np.testing.assert_array_equal(actual_next, expected_next)


FUNCTIONAL_CALLS = [  # (names of a weight tied three times given a value, each a key of ``values``)
    {"0.weight": "w", "1.weight": "w"},
    {"0.weight": "w", "1.weight": "w", "2.weight": "w"},
    {"0.weight": "w", "1.weight": "2w"},
    {"0.weight": "w", "1.weight": "2w", "2.weight": "w"},
    {"1.weight": "2w"},
]


@pytest.mark.parametrize("given", FUNCTIONAL_CALLS)
def test_functional_call_with_tied_weights(given):
    def called(library):
        library.manual_seed(0)
        layer = library.nn.Linear(3, 3)
        model = library.nn.Sequential(layer, layer, layer)
        values = {"w": library.eye(3), "2w": library.eye(3) * 2}
        x = library.randn(4, 3)
        result = []
        error = _outcome(lambda: result.append(library.func.functional_call(
            model, {name: values[value] for name, value in given.items()}, x)))
        return error, [r.detach().numpy() for r in result]

    (expected_error, expected), (error, actual) = called(torch), called(torchless)
    assert error == expected_error
    for expected_out, out in zip(expected, actual):
        np.testing.assert_allclose(out, expected_out, rtol=1e-5, atol=1e-6)


def test_stateless_functional_call_takes_one_dict():
    def called(library):
        model = library.nn.Linear(3, 2)
        with pytest.warns(FutureWarning):
            return _outcome(lambda: library.nn.utils.stateless.functional_call(
                model, ({"weight": library.ones(2, 3)},), library.ones(4, 3)))

    assert called(torchless) == called(torch)


RANDOM_FILLS = [
    ("random_", ()), ("random_", (3,)), ("random_", (3, 1)), ("random_", (0, 300)), ("bernoulli_", ()),
    ("bernoulli_", (2.0,)), ("bernoulli_", ("p",)), ("bernoulli_", ("2p",)), ("bernoulli_", ("int p",)),
    ("exponential_", ()), ("exponential_", (-1.0,)), ("cauchy_", ()), ("cauchy_", (0.0, -1.0)), ("log_normal_", ()),
    ("geometric_", (0.5,)), ("geometric_", (2.0,)),
]


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool", "uint8", "complex64"])
@pytest.mark.parametrize("method, args", RANDOM_FILLS)
def test_random_fills_of_expanded_tensor_check_before_drawing(method, args, dtype):
    def filled(library):
        library.manual_seed(0)
        tensor = library.zeros(4, dtype=getattr(library, dtype)).expand(6, 4)
        probabilities = {"p": library.full((6, 4), 0.5), "2p": library.full((6, 4), 2.0),
                         "int p": library.ones(6, 4, dtype=library.int64)}
        call_args = [probabilities.get(arg, arg) if isinstance(arg, str) else arg for arg in args]
        return _outcome(lambda: getattr(tensor, method)(*call_args)), library.rand(3).numpy()

    (expected_error, expected_next), (error, actual_next) = filled(torch), filled(torchless)
    assert error == expected_error
    np.testing.assert_array_equal(actual_next, expected_next)
