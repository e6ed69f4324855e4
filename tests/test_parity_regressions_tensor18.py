"""Differences from PyTorch found by the eighteenth differential fuzz of the Tensor API, each compared with torch.

* range factories to the last bit: floating arange steps as PyTorch's vectorised kernel does (vector heads,
  fused multiply-adds, thread ranges), linspace's float64 and integer values use fused multiply-adds, float16
  logspace rounds its double results through float; linspace/logspace of 0 or 1 values check only what PyTorch
  converts; as_tensor of a complex array as a real dtype is a new dense tensor (was the real part's strided view);
* printing: an empty tensor's repr names every dtype but the default float one;
* indexing: empty values broadcast to empty index_put results, a mask fill by a one-element tensor range-checks it,
  an index out of range is reported as PyTorch's kernel meets it;
* reductions: topk of k=0 along an empty dim, cumprod's float16 accumulation in float32;
* random: bernoulli of float64 probabilities draws float64 uniforms, multinomial's result strides.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


def _same_bits(theirs, ours):
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.fixture
def same_thread_count():
    """torch and torchless split a large kernel over the same number of threads (2), restored afterwards."""
    before = torch.get_num_threads(), torchless.get_num_threads()
    torch.set_num_threads(2)
    torchless.set_num_threads(2)
    yield
    torch.set_num_threads(before[0])
    torchless.set_num_threads(before[1])


# ---------------------------------------------------------------------------- range factories, bit for bit
_ARANGES = [(-5.0, 8.0, 0.1), (0, 1, 0.01), (2, 7, 0.1), (-3.3, 100, 0.37), (0.5, -20, -0.13),
            (1e6, 1e6 + 100, 0.3), (0.0, -1.5882331487894317, -0.009154081549218627), (-7.0, 3000.5, 0.5),
            (0.0, 100000.0, 1.0), (0.1, 7000.0, 0.19)]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("start, end, step", _ARANGES)
def test_floating_arange_matches_torch_bit_for_bit(start, end, step, dtype, same_thread_count):
    if dtype == "float16" and max(abs(start), abs(end)) > 60000:
        pytest.skip("beyond float16")
    _same_bits(torch.arange(start, end, step, dtype=getattr(torch, dtype)),
               torchless.arange(start, end, step, dtype=getattr(torchless, dtype)))


@pytest.mark.parametrize("size", [40000, 100003])
def test_floating_arange_over_several_threads_matches_torch(size, same_thread_count):
    # above the grain size each thread's range starts its own vectors
    step = 0.37
    for dtype in ("float32", "float64"):
        _same_bits(torch.arange(-3.3, -3.3 + step * (size - 0.5), step, dtype=getattr(torch, dtype)),
                   torchless.arange(-3.3, -3.3 + step * (size - 0.5), step, dtype=getattr(torchless, dtype)))


_SPACES = [(-0.007308418046713773, 1126.1619824054246, 1282), (0.004346386401376009, 0.00691018192460021, 1826),
           (-244.0, 0.011425665197109745, 1608), (1.0, -2.416249577797958, 703), (-10.112774540264333, 2.71, 2493),
           (3.0, -7.5, 11)]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int16", "int32", "int64"])
@pytest.mark.parametrize("start, end, steps", _SPACES)
def test_linspace_matches_torch_bit_for_bit(start, end, steps, dtype):
    _same_bits(torch.linspace(start, end, steps, dtype=getattr(torch, dtype)),
               torchless.linspace(start, end, steps, dtype=getattr(torchless, dtype)))


@pytest.mark.parametrize("start, end, steps", [(-0.20225549080528665, 0.05420198938484143, 2493),
                                               (0.0, -2.9779866973286966, 1306), (-6.77, 0.0017, 2437),
                                               (0.014207975580767885, -5.77876379980846, 2910)])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logspace_matches_torch_bit_for_bit(start, end, steps, dtype):
    _same_bits(torch.logspace(start, end, steps, dtype=getattr(torch, dtype)),
               torchless.logspace(start, end, steps, dtype=getattr(torchless, dtype)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.linspace(-9.6, -0.06, 0, dtype=lib.uint8),  # no value: the ends are not converted
    lambda lib: lib.linspace(-9.6, 1e6, 0, dtype=lib.int8),
    lambda lib: lib.linspace(3, 1e6, 1, dtype=lib.uint8),  # one value: start filled in, end unchecked
    lambda lib: lib.linspace(-9.6, 1e6, 1, dtype=lib.uint8),
    lambda lib: lib.linspace(1e5, 1, 1, dtype=lib.float16),  # a single float16 element is filled unchecked
    lambda lib: lib.linspace(1e5, 1, 2, dtype=lib.float16),
    lambda lib: lib.linspace(1e40, 3, 1, dtype=lib.float32),
    lambda lib: lib.linspace(lib.tensor(2.5), 3, 1, dtype=lib.int32),
    lambda lib: lib.logspace(5.3, -11.0, 1, dtype=lib.float16),
    lambda lib: lib.logspace(300, 1, 1, dtype=lib.float32),
])
def test_linspace_and_logspace_of_no_or_one_value_check_as_torch(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("make", [
    lambda lib: lib.as_tensor(np.arange(6, dtype=np.complex128).reshape(2, 3), dtype=lib.float64),
    lambda lib: lib.as_tensor(np.arange(6, dtype=np.complex64).reshape(2, 3)[:, ::2], dtype=lib.float32),
    lambda lib: lib.as_tensor(np.arange(6, dtype=np.complex64).reshape(2, 3).T, dtype=lib.float32),
])
def test_as_tensor_of_a_complex_array_as_real_is_a_new_dense_tensor(make):
    # (a complex array's real part is a strided view: PyTorch's conversion makes a new tensor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the complex-to-real cast's warning)
        theirs, ours = make(torch), make(torchless)
    assert ours.stride() == theirs.stride()
    _same_bits(theirs, ours)


# ---------------------------------------------------------------------------- printing
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128", "float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("shape", [(0,), (2, 0), (3,)])
def test_repr_names_the_dtype_of_an_empty_tensor_unless_the_default_float(shape, dtype, default):
    def shown(lib):
        before = lib.get_default_dtype()
        lib.set_default_dtype(getattr(lib, default))
        try:
            return repr(lib.zeros(shape, dtype=getattr(lib, dtype)))
        finally:
            lib.set_default_dtype(before)

    assert shown(torchless) == shown(torch).replace("torch.", "torchless.")


# ---------------------------------------------------------------------------- indexing
def _assigned(shape, key, value, dtype="float32"):
    """t[key] = value on an arange of ``shape``; ``key`` and ``value`` are functions of the library."""
    def call(lib):
        x = lib.arange(float(np.prod(shape))).reshape(shape).to(getattr(lib, dtype))
        x[key(lib)] = value(lib)
        return x
    return call


@pytest.mark.parametrize("shape, key", [((3,), lambda lib: []), ((3,), lambda lib: lib.tensor([False] * 3)),
                                        ((3, 4), lambda lib: (slice(None), [])), ((3, 4), lambda lib: (0, [])),
                                        ((1, 1, 3, 3), lambda lib: lib.tensor([False])),
                                        ((3, 4), lambda lib: (slice(None), lib.tensor([False] * 4)))])
@pytest.mark.parametrize("value_shape", [(2, 0), (0, 0), (3, 0), (2, 3, 0), (0,), (1, 0), (2, 0, 1, 3, 3)])
def test_an_empty_value_must_broadcast_to_an_empty_index_result(shape, key, value_shape):
    # (NumPy writes an empty value into an empty result of any shape; PyTorch's index_put broadcasts it)
    assert_same_outcome(_assigned(shape, key, lambda lib: lib.ones(value_shape)))


@pytest.mark.parametrize("dtype, value", [("uint8", -1.5), ("uint8", 300.0), ("int8", 200.0), ("float16", 1e5),
                                          ("int32", float("nan")), ("uint8", -1), ("bool", 0.5), ("int64", 2.5)])
@pytest.mark.parametrize("one_element", [lambda lib, v: lib.tensor(v), lambda lib, v: lib.tensor([v])])
def test_a_mask_fill_by_a_one_element_tensor_range_checks_the_value(dtype, value, one_element):
    # (PyTorch's masked_fill_ reads the value as a number, converted with fill's check)
    assert_same_outcome(_assigned((3,), lambda lib: lib.tensor([True, True, False]),
                                  lambda lib: one_element(lib, value), dtype))


@pytest.mark.parametrize("key", [
    lambda lib: (-4, [0, 2, 1], [2, 2, 2]),  # the first element's second index is the first one out of range
    lambda lib: ([0, 0, 5], [2, 0, 0]),
    lambda lib: ([[0], [5]], [2, 0, 0]),
    lambda lib: ([[0], [5]], slice(None), [0, 0, 3]),
    lambda lib: (lib.ones(4, 2, dtype=lib.bool), [7]),  # a mask counts one index tensor a dim
    lambda lib: ([5, 0], [0, 9]),
])
def test_an_index_out_of_range_is_reported_as_torch_meets_it(key):
    assert_same_outcome(lambda lib: lib.zeros(4, 2, 2, 4)[key(lib)])
    assert_same_outcome(_assigned((4, 2, 2, 4), key, lambda lib: lib.tensor(1.0)))


# ---------------------------------------------------------------------------- reductions and scans
@pytest.mark.parametrize("call", [
    lambda lib: lib.topk(lib.zeros(0), 0),
    lambda lib: lib.topk(lib.zeros(3, 0), 0),
    lambda lib: lib.topk(lib.zeros(3, 0), 0, sorted=False),
    lambda lib: lib.topk(lib.zeros(2, 3, 0), 0, dim=-1, largest=False),
    lambda lib: lib.topk(lib.zeros(0, 3), 0, dim=0),
])
def test_topk_of_nothing_along_an_empty_dim(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("dtype, out_dtype", [("float16", None), ("float32", None), ("float32", "float16"),
                                              ("float64", "float32"), ("float16", "float64")])
@pytest.mark.parametrize("shape, dim", [((3, 17), 1), ((40,), 0), ((9, 4), 0)])
def test_cumprod_carries_the_products_in_torchs_accumulation_type(dtype, out_dtype, shape, dim):
    # (float16 in float32, float32 in float64, each running product rounded once)
    values = np.random.default_rng(3).normal(size=shape) * 1.1

    def call(lib):
        return lib.cumprod(lib.tensor(values).to(getattr(lib, dtype)), dim,
                           dtype=None if out_dtype is None else getattr(lib, out_dtype))

    _same_bits(call(torch), call(torchless))


# ---------------------------------------------------------------------------- random draws
@pytest.mark.parametrize("p_dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("self_dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4,), (20,), (50, 3)])
def test_bernoulli_of_float64_probabilities_draws_float64_uniforms(shape, self_dtype, p_dtype):
    # (PyTorch's bernoulli_distribution<double> for double probabilities: a 64-bit word each)
    def draws(lib):
        lib.manual_seed(3)
        p = lib.rand(shape, dtype=getattr(lib, p_dtype))
        return (lib.bernoulli(p), lib.zeros(shape, dtype=getattr(lib, self_dtype)).bernoulli_(p),
                lib.rand(3))  # (and the stream goes on where torch's does)

    for theirs, ours in zip(draws(torch), draws(torchless)):
        _same_bits(theirs, ours)


@pytest.mark.parametrize("probabilities, samples", [((3, 6), 1), ((1, 6), 1), ((6,), 1), ((3, 6), 2)])
@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_result_has_torchs_strides(probabilities, samples, replacement):
    def sampled(lib):
        lib.manual_seed(0)
        return lib.multinomial(lib.rand(probabilities), samples, replacement=replacement)

    theirs, ours = sampled(torch), sampled(torchless)
    assert ours.stride() == theirs.stride()
    _same_bits(theirs, ours)
