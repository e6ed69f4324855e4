"""Regression tests for tensor16: the Tensor API and the torch namespace against PyTorch (torch.vander and
torch.linalg.vander, count_nonzero's dim by keyword, 0-d tensors for the ints of polygamma, mvlgamma and torch.fft,
index_copy into a 0-d tensor, and what a differential fuzzer over the Tensor methods a CNN user touches found)."""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome, outcome


def _outcome(call):
    """("ok", values, dtype, grad_fn) or (exception type, message), torch's names read as torchless's."""
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, (tuple, list)) else (result,)
    return "ok", [(np.asarray(r.detach()).tolist(), str(r.dtype).replace("torchless", "torch"),
                   type(r.grad_fn).__name__) if hasattr(r, "detach") else
                  str(r).replace("torchless", "torch") for r in results]


def _both(make):
    torch = pytest.importorskip("torch")
    return _outcome(lambda: make(torch)), _outcome(lambda: make(torchless))


# ---------------------------------------------------------------------------- vander
VANDER_CALLS = {
    "default": lambda lib: lib.vander(lib.tensor([1, 2, 3])),
    "increasing": lambda lib: lib.vander(lib.tensor([1, 2, 3]), N=4, increasing=True),
    "float_N": lambda lib: lib.vander(lib.tensor([1.0, 2, 3]), 2),
    "no_columns": lambda lib: lib.vander(lib.tensor([1, 2, 3]), 0),
    "negative_N": lambda lib: lib.vander(lib.tensor([1, 2, 3]), -1),
    "0d": lambda lib: lib.vander(lib.tensor(1)),
    "2d": lambda lib: lib.vander(lib.ones(2, 2)),
    "bool": lambda lib: lib.vander(lib.tensor([True, False])),
    "empty": lambda lib: lib.vander(lib.tensor([], dtype=lib.float32)),
    "uint8": lambda lib: lib.vander(lib.tensor([1, 2], dtype=lib.uint8), 3),
    "int8_overflow_in_int64": lambda lib: lib.vander(lib.tensor([100], dtype=lib.int8), 3),
    "float16": lambda lib: lib.vander(lib.tensor([1, 2], dtype=lib.float16), 3),
    "keywords": lambda lib: lib.vander(x=lib.tensor([1, 2]), N=3),
    "N_0d_tensor": lambda lib: lib.vander(lib.tensor([1.0, 2]), lib.tensor(3)),
    "N_float": lambda lib: lib.vander(lib.tensor([1.0, 2]), 3.0),
    "increasing_int": lambda lib: lib.vander(lib.tensor([1.0, 2]), 2, 1),
    "input_keyword": lambda lib: lib.vander(input=lib.tensor([1.0, 2])),
    "grad_fn": lambda lib: lib.vander(lib.tensor([1.0, 2], requires_grad=True), 3),
    "grad_fn_one_column": lambda lib: lib.vander(lib.tensor([1.0, 2], requires_grad=True), 1),
    "version": lambda lib: lib.vander(lib.tensor([1.0, 2]), 3, True)._version,
    # PyTorch's own backward fails: its cumprod's saved input is overwritten in place
    "backward": lambda lib: lib.vander(lib.tensor([1.0, 2], requires_grad=True), 3).sum().backward(),
    "linalg": lambda lib: lib.linalg.vander(lib.tensor([1, 2, 3])),
    "linalg_batch": lambda lib: lib.linalg.vander(lib.tensor([[1, 2, 3], [4, 5, 6]]), N=2),
    "linalg_0d": lambda lib: lib.linalg.vander(lib.tensor(1)),
    "linalg_0d_N": lambda lib: lib.linalg.vander(lib.tensor(2.0), N=3),
    "linalg_N_1": lambda lib: lib.linalg.vander(lib.tensor([1, 2]), N=1),
    "linalg_bool": lambda lib: lib.linalg.vander(lib.tensor([True, False])),
    "linalg_half": lambda lib: lib.linalg.vander(lib.tensor([1, 2], dtype=lib.float16)),
    "linalg_uint8": lambda lib: lib.linalg.vander(lib.tensor([1, 2], dtype=lib.uint8), N=3),
    "linalg_N_positional": lambda lib: lib.linalg.vander(lib.tensor([1, 2]), 3),
    "linalg_N_one_element": lambda lib: lib.linalg.vander(lib.tensor([1.0, 2]), N=lib.tensor([3])),
    "linalg_empty": lambda lib: lib.linalg.vander(lib.zeros(0), N=3),
    "linalg_grad_fn": lambda lib: lib.linalg.vander(lib.tensor([1.0, 2], requires_grad=True)),
}


@pytest.mark.parametrize("name", list(VANDER_CALLS))
def test_vander_as_pytorch(name):
    """torch.vander (ones, copies and a running product in place, flipped unless increasing) and torch.linalg.vander
    (a running product of the expanded input after a column of ones): values, dtypes, nodes, errors, arguments."""
    expected, actual = _both(VANDER_CALLS[name])
    assert actual == expected


def test_vander_values_and_gradient_torch_free():
    x = np.array([1.5, -2.0, 3.0])
    np.testing.assert_array_equal(torchless.vander(torchless.tensor(x), 4).numpy(), np.vander(x, 4))
    np.testing.assert_array_equal(torchless.vander(torchless.tensor(x), 4, True).numpy(), np.vander(x, 4, True))
    t = torchless.tensor(x, requires_grad=True)
    torchless.linalg.vander(t, N=4).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 1 + 2 * x + 3 * x ** 2)


# ---------------------------------------------------------------------------- count_nonzero
def test_count_nonzero_refuses_a_tensor_dim_by_keyword():
    """A one-element tensor is an int list's element given by position, but neither an int nor an int list by
    keyword."""
    for call in (lambda lib: lib.ones(3).count_nonzero(dim=lib.tensor([0])),
                 lambda lib: lib.count_nonzero(lib.ones(3), dim=lib.tensor([0])),
                 lambda lib: lib.ones(3).count_nonzero(lib.tensor([0])),
                 lambda lib: lib.ones(3).count_nonzero(dim=lib.tensor(0))):
        expected, actual = _both(call)
        assert actual == expected
    with pytest.raises(TypeError, match="didn't match because some of the keywords were incorrect: dim"):
        torchless.ones(3).count_nonzero(dim=torchless.tensor([0]))


# ---------------------------------------------------------------------------- 0-d tensors for ints
SPECIAL_CALLS = {
    "polygamma": lambda lib: lib.polygamma(lib.tensor(1), lib.ones(2)),
    "polygamma_keywords": lambda lib: lib.polygamma(n=lib.tensor(1), input=lib.ones(2)),
    "polygamma_uint8": lambda lib: lib.polygamma(lib.tensor(1, dtype=lib.uint8), lib.ones(2)),
    "polygamma_negative": lambda lib: lib.polygamma(lib.tensor(-1), lib.ones(2)),
    "polygamma_one_element": lambda lib: lib.polygamma(lib.tensor([1]), lib.ones(2)),
    "polygamma_bool": lambda lib: lib.polygamma(lib.tensor(True), lib.ones(2)),
    "polygamma_method": lambda lib: lib.ones(2).polygamma(lib.tensor(1)),
    "polygamma_special": lambda lib: lib.special.polygamma(lib.tensor(1), lib.ones(2)),
    "mvlgamma": lambda lib: lib.mvlgamma(lib.ones(2) * 3, lib.tensor(2)),
    "mvlgamma_keyword": lambda lib: lib.mvlgamma(lib.ones(2) * 3, p=lib.tensor(2)),
    "mvlgamma_method": lambda lib: (lib.ones(2) * 3).mvlgamma(lib.tensor(2)),
    "multigammaln": lambda lib: lib.special.multigammaln(lib.ones(2) * 3, lib.tensor(2)),
    "mvlgamma_ndarray": lambda lib: lib.mvlgamma(lib.ones(2) * 3, np.array(2)),
    # the in-place forms PyTorch has
    "polygamma_": lambda lib: lib.ones(2).polygamma_(lib.tensor(1)),
    "polygamma_int": lambda lib: lib.tensor([1, 2]).polygamma_(1),
    "polygamma_float_n": lambda lib: lib.ones(2).polygamma_(1.0),
    "mvlgamma_": lambda lib: (lib.ones(2) * 3).mvlgamma_(p=2),
    "mvlgamma_int": lambda lib: lib.tensor([1, 2]).mvlgamma_(1),
    "mvlgamma_int_p": lambda lib: lib.tensor([1, 2]).mvlgamma_(0),
    "mvlgamma_bool": lambda lib: lib.tensor([True]).mvlgamma_(1),
    "i0_": lambda lib: lib.tensor([1.0], dtype=lib.float64).i0_(),
    "i0_argument": lambda lib: lib.ones(2).i0_(1),
    "i0_argument_out_of_place": lambda lib: lib.ones(2).i0(1),
    "igamma_": lambda lib: lib.tensor([1.0]).igamma_(lib.tensor([2.0])),
    "igammac_broadcast": lambda lib: lib.tensor([1.0]).igammac_(lib.tensor([[2.0]])),
    "igamma_missing": lambda lib: lib.ones(2).igamma_(),
    "igamma_grad_fn": lambda lib: (lib.ones(2, requires_grad=True) * 2).igamma_(lib.ones(2)),
}


@pytest.mark.parametrize("name", list(SPECIAL_CALLS))
def test_special_int_arguments_and_in_place_forms(name):
    expected, actual = _both(SPECIAL_CALLS[name])
    assert actual == expected


FFT_CALLS = {
    "fft_dim_0d": lambda lib: lib.fft.fft(lib.arange(4.0), dim=lib.tensor(0)),
    "fft_dim_positional": lambda lib: lib.fft.fft(lib.arange(4.0), None, lib.tensor(0)),
    "fft_n_one_element": lambda lib: lib.fft.fft(lib.arange(4.0), n=lib.tensor([4])),
    "fft_n_bool_tensor": lambda lib: lib.fft.fft(lib.arange(4.0), n=lib.tensor(True)),
    "fft_dim_float": lambda lib: lib.fft.fft(lib.arange(4.0), 4, 0.5),
    "fft_norm_int": lambda lib: lib.fft.fft(lib.arange(4.0), norm=1),
    "fft_too_many": lambda lib: lib.fft.fft(lib.arange(4.0), 4, 0, "ortho", None),
    "fft_unknown_keyword": lambda lib: lib.fft.fft(lib.arange(4.0), foo=1),
    "fft_numpy_names": lambda lib: lib.fft.fft(x=lib.arange(4.0), axis=0),
    "fft_missing_input": lambda lib: lib.fft.fft(),
    "fft_out": lambda lib: lib.fft.fft(lib.arange(4.0), out=lib.empty(4, dtype=lib.complex64)),
    "rfft_dim_0d": lambda lib: lib.fft.rfft(lib.arange(4.0), dim=lib.tensor(0)),
    "hfft_n_0d": lambda lib: lib.fft.hfft(lib.arange(4.0), n=lib.tensor(4)),
    "fftn_dim_0d": lambda lib: lib.fft.fftn(lib.arange(4.0), dim=lib.tensor(0)),
    "fftn_dim_tensor_list": lambda lib: lib.fft.fftn(lib.arange(4.0), dim=[lib.tensor(0)]),
    "fftn_s_one_element": lambda lib: lib.fft.fftn(lib.arange(4.0), s=lib.tensor([4])),
    "fftn_dim_ndarray": lambda lib: lib.fft.fftn(lib.arange(4.0), dim=np.array([0])),
    "fftn_dim_float": lambda lib: lib.fft.fftn(lib.arange(4.0), dim=(0.0,)),
    "fft2_dim_int": lambda lib: lib.fft.fft2(lib.ones(2, 3), dim=0),
    "fft2_dim_mixed": lambda lib: lib.fft.fft2(lib.ones(2, 3), dim=(lib.tensor(0), 1)),
    "fftshift_dim_0d": lambda lib: lib.fft.fftshift(lib.arange(4.0), dim=lib.tensor(0)),
    "fftshift_dim_one_element": lambda lib: lib.fft.fftshift(lib.arange(4.0), lib.tensor([0])),
    "ifftshift_dim_ndarray": lambda lib: lib.fft.ifftshift(lib.ones(2, 3), dim=np.array([1])),
    "fftshift_too_many": lambda lib: lib.fft.fftshift(lib.arange(4.0), 0, 1),
    "fftfreq_n_0d": lambda lib: lib.fft.fftfreq(lib.tensor(4)),
    "fftfreq_n_float": lambda lib: lib.fft.fftfreq(4.0),
    "fftfreq_d_0d": lambda lib: lib.fft.fftfreq(4, lib.tensor(2.0)),
    "fftfreq_d_str": lambda lib: lib.fft.fftfreq(4, "a"),
    "rfftfreq_bool": lambda lib: lib.fft.rfftfreq(True),
}


@pytest.mark.parametrize("name", list(FFT_CALLS))
def test_fft_arguments_as_pytorch_parser_reads_them(name):
    def call(lib):
        result = FFT_CALLS[name](lib)
        return lib.view_as_real(result) if result.is_complex() else result

    assert_same_outcome(call)


def test_fft_dim_as_0d_tensor_torch_free():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(torchless.fft.fft(torchless.tensor(x), dim=torchless.tensor(0)).numpy(),
                               np.fft.fft(x, axis=0), atol=1e-12)
    with pytest.raises(TypeError, match=r"^fft_fft\(\): argument 'n' \(position 2\) must be int, not float$"):
        torchless.fft.fft(torchless.tensor(x), 4.0)


# ---------------------------------------------------------------------------- index_copy into a 0-d tensor
@pytest.mark.parametrize("source_shape", [(), (1,), (2,), (1, 1), (1, 2), (1, 1, 1)])
@pytest.mark.parametrize("index", [[0], [0, 0], [1], 0, [[0]]])
@pytest.mark.parametrize("self_shape", [(), (3,), (2, 2)])
def test_index_copy_checks_in_pytorch_order(self_shape, index, source_shape):
    """The index's rank, the scalar source, the ranks, the dtypes, the slice shapes, the number of indices, then
    the bounds; a repeated index into a 0-d tensor leaves the last value."""
    def call(lib):
        source = lib.arange(1.0, 1 + int(np.prod(source_shape))).reshape(source_shape)
        return lib.zeros(self_shape).index_copy(0, lib.tensor(index), source)

    expected, actual = _both(call)
    assert actual == expected


def test_index_copy_0d_gradients():
    torch = pytest.importorskip("torch")
    for lib in (torch, torchless):
        a = lib.tensor(5.0, dtype=lib.float64, requires_grad=True)
        s = lib.tensor([4.0], dtype=lib.float64, requires_grad=True)
        (a.index_copy(0, lib.tensor([0]), s) * 3).backward()
        assert (a.grad.item(), s.grad.tolist()) == (0.0, [3.0])
    expected, actual = (outcome(lambda: (lib.tensor(5.0, requires_grad=True).index_copy(
        0, lib.tensor([0, 0]), lib.tensor([1.0, 2.0], requires_grad=True)) * 3).backward()) for lib in (torch, torchless))
    assert actual == expected
    y = torchless.zeros(()).index_copy(0, torchless.tensor([0, 0, 0]), torchless.tensor([1.0, 2.0, 3.0]))
    assert y.item() == 3.0


# ---------------------------------------------------------------------------- found by the fuzzer
def test_maximum_minimum_gradient_beside_nan():
    """PyTorch zeroes each side's gradient only where the other side wins: beside a NaN both get all of it."""
    torch = pytest.importorskip("torch")
    nan = float("nan")
    a_values, b_values = [[nan, 1.0, 2.0, 3.0]], [[1.0, nan, 2.0, nan], [0.0, 5.0, 1.0, -1.0]]
    for name in ("maximum", "minimum", "max"):
        grads = []
        for lib in (torch, torchless):
            a = lib.tensor(a_values, dtype=lib.float64, requires_grad=True)
            b = lib.tensor(b_values, dtype=lib.float64, requires_grad=True)
            getattr(lib, name)(a, b).sum().backward()
            grads.append((a.grad.tolist(), b.grad.tolist()))
        assert grads[1] == grads[0]
    a = torchless.tensor([nan, 1.0], requires_grad=True)
    torchless.maximum(a, torchless.tensor([0.0, 1.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 0.5]


NUMPY_BOOL_CALLS = {
    "add": lambda lib: lib.tensor([1, 2]) + np.bool_(True),
    "bool_add": lambda lib: lib.tensor([True, False]).add(np.bool_(True)),
    "mul": lambda lib: lib.tensor([1, 2]) * np.bool_(True),
    "sub": lambda lib: lib.tensor([1.0, 2]) - np.bool_(True),
    "rsub": lambda lib: np.bool_(True) - lib.tensor([1.0, 2]),
    "sub_bool_tensor": lambda lib: lib.tensor([True]) - np.bool_(True),
    "floor_divide": lambda lib: lib.tensor([1, 2]) // np.bool_(True),
    "clamp": lambda lib: lib.tensor([1, 2]).clamp(max=np.bool_(True)),
    "in_place": lambda lib: lib.tensor([1, 2]).add_(np.bool_(True)),
    "bitwise": lambda lib: lib.tensor([1, 2]) & np.bool_(True),
    "alpha": lambda lib: lib.tensor([1, 2]).add(lib.tensor([1, 1]), alpha=np.bool_(True)),
    "result_type": lambda lib: lib.result_type(lib.tensor([1, 2]), np.bool_(True)),
    "result_type_numbers": lambda lib: lib.result_type(np.bool_(True), np.bool_(True)),
    "where": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), np.bool_(True)),
    "masked_fill": lambda lib: lib.tensor([1, 2]).masked_fill(lib.tensor([True, False]), np.bool_(True)),
}


@pytest.mark.parametrize("name", list(NUMPY_BOOL_CALLS))
def test_numpy_bool_is_a_float_number(name):
    """PyTorch's parser reads a NumPy bool (no Python bool) through __float__: a float operand."""
    expected, actual = _both(NUMPY_BOOL_CALLS[name])
    assert actual == expected


def test_numpy_bool_promotes_to_the_default_float_torch_free():
    assert (torchless.tensor([1, 2]) + np.bool_(True)).dtype == torchless.float32
    with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
        torchless.tensor([1, 2]).add(torchless.tensor([1, 1]), alpha=np.bool_(True))


@pytest.mark.parametrize("first, second", [("np.float64(2.5)", "0"), ("np.int32(2)", "0"), ("np.bool_(True)", "False"),
                                           ("np.float16(2.5)", "1"), ("np.complex128(2.5)", "1"), ("True", "1"),
                                           ("np.float64(2.5)", "np.float64(1)"), ("1e300", "1"), ("2", "2.5")])
def test_where_of_two_numbers_takes_their_kinds(first, second):
    """Two numbers are PyTorch's wrapped numbers: bool, int64, the default float or complex dtype by kind (NumPy's
    float64 and int32 too), converted with its overflow checks."""
    expected, actual = _both(lambda lib: lib.where(lib.tensor([True, False]), eval(first), eval(second)))
    assert actual == expected


INDEX_PUT_CALLS = {
    "mask_double_value": lambda lib: lib.zeros(3).index_put_([lib.tensor([True, False, True])],
                                                             lib.tensor(1, dtype=lib.float64)),
    "mask_one_element_value": lambda lib: lib.zeros(3, dtype=lib.long).index_put_(
        (lib.tensor([True, False, True]),), lib.tensor([2.7])),
    "mask_out_of_place": lambda lib: lib.zeros(3).index_put((lib.tensor([True, False, True]),), lib.tensor(5)),
    "0d_mask": lambda lib: lib.zeros(3).index_put_((lib.tensor(True),), lib.tensor(2, dtype=lib.float64)),
    "mask_value_overflow": lambda lib: lib.zeros(2, 3, dtype=lib.uint8).index_put_((lib.tensor([True, False]),),
                                                                                    lib.tensor(300)),
    "mask_value_wraps": lambda lib: lib.zeros(2, 3, dtype=lib.uint8).index_put_((lib.tensor([True, False]),),
                                                                                 lib.tensor(-1)),
    "uint8_mask": lambda lib: lib.zeros(3).index_put_((lib.tensor([1, 0, 1], dtype=lib.uint8),), lib.tensor(2.0)),
    "two_values_need_dtype": lambda lib: lib.zeros(3).index_put_((lib.tensor([True, False, True]),),
                                                                 lib.tensor([1.0, 2.0], dtype=lib.float64)),
    "accumulate_needs_dtype": lambda lib: lib.zeros(3).index_put_((lib.tensor([True, False, True]),),
                                                                  lib.tensor(2.0, dtype=lib.float64), True),
    "mask_past_the_dims": lambda lib: lib.zeros(3).index_put_((lib.ones(3, 3, dtype=lib.bool),), lib.tensor(1.0)),
    "index_past_the_mask": lambda lib: lib.zeros(2, 3).index_put_((lib.ones(2, 3, dtype=lib.bool), lib.tensor([0])),
                                                                  lib.tensor(2.0)),
    "mask_shape": lambda lib: lib.zeros(2, 3).index_put_((lib.ones(3, 3, 1, dtype=lib.bool),), lib.tensor(2.0)),
    "0d_self": lambda lib: lib.zeros(()).index_put_((lib.tensor(True),), lib.tensor(2.0)),
    "two_0d_masks": lambda lib: lib.zeros(3).index_put_((lib.tensor(True), lib.tensor(True)), lib.tensor(2.0)),
}


@pytest.mark.parametrize("name", list(INDEX_PUT_CALLS))
def test_index_put_as_pytorch(name):
    """index_put_ counts its index tensors (a mask as one), then the dims each takes; not accumulating, one value
    and a lone mask, it fills as masked_fill_ does (the value converted to self's dtype)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's deprecation of uint8 masks)
        expected, actual = _both(INDEX_PUT_CALLS[name])
    assert actual == expected


def test_sum_and_mean_with_dim_none_record_the_dims_overload():
    """dim=None given is the dims overload: SumBackward1/MeanBackward1 saving dim=None (omitted: SumBackward0)."""
    torch = pytest.importorskip("torch")
    shown = []
    for lib in (torch, torchless):
        a = lib.ones(2, 3, requires_grad=True)
        nodes = [a.sum(None), a.sum(None, True), a.mean(None), a.sum(), a.sum(dim=None, dtype=lib.float64)]
        shown.append([(type(y.grad_fn).__name__, getattr(y.grad_fn, "_saved_dim", "-")) for y in nodes])
    assert shown[1] == shown[0]
    assert type(torchless.ones(2, requires_grad=True).sum(None).grad_fn).__name__ == "SumBackward1"


ARGUMENT_CALLS = {
    "mean_bool_dim_int_tensor": lambda lib: lib.tensor([1, 2]).mean(True),
    "mean_keepdim_int": lambda lib: lib.tensor([1, 2]).mean(0, 1),
    "mean_dtype_int": lambda lib: lib.tensor([1, 2]).mean(0, dtype=5),
    "mean_function": lambda lib: lib.mean(lib.tensor([1, 2]), True),
    "mean_dim_out_of_range_int_tensor": lambda lib: lib.tensor([1, 2]).mean(5),
    "isclose_rtol_negative": lambda lib: lib.isclose(lib.ones(2), lib.ones(3), rtol=-0.123456789),
    "isclose_atol_nan": lambda lib: lib.isclose(lib.ones(2), lib.ones(2), atol=float("nan")),
    "isclose_atol_one_element": lambda lib: lib.isclose(lib.ones(2), lib.ones(2), 0.1, lib.tensor([2.0])),
    "isclose_rtol_0d": lambda lib: lib.isclose(lib.ones(2), lib.ones(2), rtol=lib.tensor(0.5)),
    "isclose_equal_nan_numpy": lambda lib: lib.ones(2).isclose(lib.ones(2), equal_nan=np.bool_(True)),
    "isclose_too_many": lambda lib: lib.ones(2).isclose(lib.ones(2), 1e-5, 1e-8, True, 4),
    "allclose_atol_one_element": lambda lib: lib.ones(2).allclose(lib.ones(2), atol=lib.tensor([2.0])),
    "allclose_equal_nan_int": lambda lib: lib.allclose(lib.ones(2), lib.ones(2), 1e-5, 1e-8, 1),
    "allclose_int_tolerance": lambda lib: lib.allclose(lib.tensor([1, 2]), lib.tensor([1, 3]), atol=1),
    "alpha_0d": lambda lib: lib.ones(2).add(lib.tensor([2.0]), alpha=lib.tensor(2.0)),
    "alpha_one_element": lambda lib: lib.ones(2).add_(lib.tensor([2.0]), alpha=lib.tensor([2.0])),
    "alpha_sub_str": lambda lib: lib.ones(2).sub(lib.tensor([2.0]), alpha="a"),
    "full_fill_one_element": lambda lib: lib.full((2,), lib.tensor([2.0])),
    "full_fill_requiring_grad": lambda lib: lib.full((2,), lib.tensor(2.0, requires_grad=True)),
    "new_full_fill_one_element": lambda lib: lib.ones(2).new_full((2,), lib.tensor([2.0])),
    "full_like_fill_one_element": lambda lib: lib.full_like(lib.ones(2), lib.tensor([2.0])),
    "zeros_requires_grad_int": lambda lib: lib.zeros(3, requires_grad=1),
    "zeros_requires_grad_none": lambda lib: lib.zeros(3, requires_grad=None),
    "ones_requires_grad_numpy": lambda lib: lib.ones(2, requires_grad=np.bool_(True)),
    "tensor_requires_grad_none": lambda lib: lib.tensor([1.0], requires_grad=None),
    "new_tensor_requires_grad_none": lambda lib: lib.ones(2).new_tensor([1.0], requires_grad=None),
    "new_zeros_requires_grad_int": lambda lib: lib.ones(2).new_zeros(2, requires_grad=1),
    "requires_grad__keyword": lambda lib: lib.ones(2).requires_grad_(requires_grad=1),
    "requires_grad__numpy": lambda lib: lib.ones(2).requires_grad_(np.bool_(True)),
    "keepdim_numpy_bool": lambda lib: lib.ones(3, 2).sum(0, keepdim=np.bool_(True)),
    "sort_numpy_bool": lambda lib: lib.ones(3, 2).sort(0, np.bool_(True)),
}


@pytest.mark.parametrize("name", list(ARGUMENT_CALLS))
def test_arguments_as_pytorch_parser_reads_them(name):
    """The parser's checks first (a Number is a number or a 0-d tensor outside the graph, a bool is a Python
    bool), then the op's own (isclose's tolerances, mean's dtype)."""
    expected, actual = _both(ARGUMENT_CALLS[name])
    assert actual == expected


def test_isclose_tolerance_checks_torch_free():
    with pytest.raises(RuntimeError, match=r"^atol must be greater than or equal to zero, but got -1e-20$"):
        torchless.isclose(torchless.ones(2), torchless.ones(2), atol=-1e-20)
    with pytest.raises(TypeError, match=r"^isclose\(\): argument 'atol' must be float, not Tensor$"):
        torchless.isclose(torchless.ones(2), torchless.ones(2), atol=torchless.tensor([2.0]))


@pytest.mark.parametrize("call", [lambda lib, a: a.unique(), lambda lib, a: a.unique(return_inverse=True)[0],
                                  lambda lib, a: lib.unique(a, dim=0), lambda lib, a: a.unique_consecutive(),
                                  lambda lib, a: lib.unique_consecutive(a, dim=0)])
def test_unique_values_are_recorded_without_a_derivative(call):
    """PyTorch records unique's values (Unique2Backward0, UniqueDimBackward0, UniqueConsecutiveBackward0); backward
    through them raises its NotImplementedError."""
    torch = pytest.importorskip("torch")
    shown = []
    for lib in (torch, torchless):
        values = call(lib, lib.tensor([3.0, 1, 1], requires_grad=True))
        shown.append((type(values.grad_fn).__name__, values.requires_grad, outcome(lambda: values.sum().backward())))
    assert shown[1] == shown[0]
    with torchless.no_grad():
        assert not call(torchless, torchless.tensor([3.0, 1, 1], requires_grad=True)).requires_grad


IN_PLACE_ORDER_CALLS = {
    "sub_bool_leaf": lambda lib: lib.ones(2, requires_grad=True).sub_(lib.tensor(True)),
    "sub_bool_number_leaf": lambda lib: lib.ones(2, requires_grad=True).sub_(True),
    "sub_bool_non_leaf": lambda lib: (lib.ones(2, requires_grad=True) * 1).sub_(True),
    "add_str_leaf": lambda lib: lib.ones(2, requires_grad=True).add_("a"),
    "fill_vector_leaf": lambda lib: lib.ones(2, requires_grad=True).fill_(lib.ones(2)),
    "copy_shape_leaf": lambda lib: lib.ones(2, requires_grad=True).copy_(lib.ones(3)),
    "copy_broadcast_leaf": lambda lib: lib.ones(2, requires_grad=True).copy_(lib.ones(3, 2)),
    "copy_shape_view_of_leaf": lambda lib: lib.ones(2, requires_grad=True)[0].copy_(lib.ones(3)),
    "mul_str": lambda lib: lib.ones(2).mul_("a"),
    "mul_list_leaf": lambda lib: lib.ones(2, requires_grad=True).mul_([1, 2]),
    "pow_str": lambda lib: lib.ones(2).pow_("a"),
}


@pytest.mark.parametrize("name", list(IN_PLACE_ORDER_CALLS))
def test_in_place_checks_in_pytorch_order(name):
    """The parser's TypeError, then the refusal to write into a leaf requiring grad, then the op's own checks."""
    expected, actual = _both(IN_PLACE_ORDER_CALLS[name])
    assert actual == expected


RANDOM_FACTORY_CALLS = {
    "randint_negative_size_before_dtype_range": lambda lib: lib.randint(0, 5, (-1,), dtype=lib.bool),
    "randint_negative_size_before_range": lambda lib: lib.randint(5, 2, (-1,)),
    "randint_range_before_dtype_range": lambda lib: lib.randint(5, 2, (2,), dtype=lib.bool),
    "randint_bad_dtype_first": lambda lib: lib.randint(5, 2, (2,), dtype=5),
    "randint_nested_size_listed_with_dtype": lambda lib: lib.randint(0, 5, ((2, 3),), dtype=lib.float64),
    "randint_one_element_size": lambda lib: lib.randint(0, 5, (2, lib.tensor(3))).shape,
    "randn_empty_int": lambda lib: lib.randn(0, dtype=lib.int32),
    "randn_empty_bool": lambda lib: lib.randn(2, 0, dtype=lib.bool),
    "randn_int": lambda lib: lib.randn(2, dtype=lib.int32),
    "rand_float_size_with_dtype": lambda lib: lib.randn(2.0, dtype=lib.float64),
    "rand_float_size_with_requires_grad": lambda lib: lib.rand(2.0, requires_grad=True),
    "rand_float_size": lambda lib: lib.rand(2.0),
}


@pytest.mark.parametrize("name", list(RANDOM_FACTORY_CALLS))
def test_random_factories_check_in_pytorch_order(name):
    expected, actual = _both(RANDOM_FACTORY_CALLS[name])
    assert actual == expected


KEY_AND_INDEX_FILL_CALLS = {
    "float_past_the_dims": lambda lib: lib.ones(3)[(0, 1.0)],
    "float_on_0d": lambda lib: lib.tensor(1.0)[1.0],
    "float_after_none_on_0d": lambda lib: lib.tensor(1.0)[None, 1.0],
    "float_in_range": lambda lib: lib.ones(3)[1.0],
    "index_fill_matrix_index": lambda lib: lib.ones(2, 3).index_fill(0, lib.tensor([[0]]), -1),
    "index_fill_matrix_index_bad_dim": lambda lib: lib.ones(2, 3).index_fill(5, lib.tensor([[0]]), -1),
    "index_fill_value_rank_first": lambda lib: lib.ones(2, 3).index_fill_(0, lib.tensor([[0]], dtype=lib.int32),
                                                                         lib.tensor([1.0])),
    "index_fill_0d_self_matrix_index": lambda lib: lib.tensor(2.0).index_fill_(0, lib.tensor([[0]]), 2),
}


@pytest.mark.parametrize("name", list(KEY_AND_INDEX_FILL_CALLS))
def test_key_count_and_index_fill_checks_in_pytorch_order(name):
    """t[key] counts the dims the key takes (an object of no index type as one) before it checks the types;
    index_fill_ checks the value's rank, the index's dtype, the dim, then the index's rank."""
    expected, actual = _both(KEY_AND_INDEX_FILL_CALLS[name])
    assert actual == expected


ZERO_DIM_AND_ORDER_CALLS = {
    "max_dim_0d_node": lambda lib: lib.tensor(2.0, requires_grad=True).max(0),
    "min_dim_0d_keepdim_node": lambda lib: lib.tensor(2.0, requires_grad=True).min(-1, True),
    "atleast_2d_unsqueezes": lambda lib: lib.atleast_2d(lib.ones(6, requires_grad=True)),
    "atleast_3d_unsqueezes": lambda lib: lib.atleast_3d(lib.ones(6, requires_grad=True)),
    "atleast_2d_tuple": lambda lib: lib.atleast_2d((lib.ones(2), lib.tensor(1.0))),
    "amax_empty_bool_dim": lambda lib: lib.ones(0).amax(True),
    "amin_empty_float_dim": lambda lib: lib.ones(0).amin(1.0),
    "masked_fill__shape_before_value": lambda lib: lib.ones(2, 1, dtype=lib.long).masked_fill_(
        lib.ones(1, 3, dtype=lib.bool), float("nan")),
    "kthvalue_0d_bool": lambda lib: lib.tensor(True).kthvalue(1),
    "kthvalue_1d_bool": lambda lib: lib.tensor([True]).kthvalue(1),
}


@pytest.mark.parametrize("name", list(ZERO_DIM_AND_ORDER_CALLS))
def test_zero_dim_nodes_and_check_order(name):
    expected, actual = _both(ZERO_DIM_AND_ORDER_CALLS[name])
    assert actual == expected


def test_max_dim_of_0d_gradient():
    a = torchless.tensor(2.0, dtype=torchless.float64, requires_grad=True)
    values, indices = a.max(0)
    (values * 3).backward()
    assert (a.grad.item(), indices.item(), type(values.grad_fn).__name__) == (3.0, 0, "MaxBackward0")


@pytest.mark.parametrize("call", [lambda lib: lib.where(lib.tensor(True)), lambda lib: lib.where(lib.tensor(0)),
                                  lambda lib: lib.where(lib.tensor([[1, 0], [0, 3]]))])
def test_where_of_a_condition_alone_as_nonzero_as_tuple(call):
    """torch.where(condition) is nonzero(as_tuple=True): a 0-d condition counts as a one-element vector."""
    expected, actual = _both(call)
    assert actual == expected


def test_masked_fill__checks_the_leaf_before_the_shapes():
    expected, actual = _both(lambda lib: lib.tensor(1.0, requires_grad=True).masked_fill_(
        lib.ones(2, 1, dtype=lib.bool), float("nan")))
    assert actual == expected
