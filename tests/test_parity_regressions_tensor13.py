"""Differences from PyTorch found by the thirteenth differential fuzz of the Tensor API, each compared with torch.

* layouts: advanced indexing lays its result out as PyTorch's index (``x[:, idx]`` of a contiguous tensor is
  contiguous, so ``.view`` works), expand keeps a size-1 dim's stride, empty results and factories get PyTorch's
  strides (not NumPy's zeros), autograd.grad's copy of a broadcast gradient and nan_to_num of an expanded tensor
  are contiguous, flip shows no negative stride;
* numbers: torch.div with a number first divides, integer sums honour dtype=, float16 logsumexp sums in float32,
  integer value/alpha/beta convert as fill values, kthvalue picks PyTorch's index among ties;
* keys and data: index keys (range, int8 tensors, NumPy bools and arrays) and tensor() of NumPy scalars or
  complexes read as PyTorch reads them, full() infers from the Python type, NumPy integer dims taken as ints;
* autograd: in-place on a leaf that is a view, var/std's no-degrees-of-freedom warning, the gradient of
  number / tensor after an in-place change, version checks of pow and einsum, second backwards through nodes
  that saved nothing, autograd.functional's inputs.
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(lib) for torch and torchless: (torch's result, torchless's)."""
    return fn(torch), fn(torchless)


# ---------------------------------------------------------------------------- advanced indexing: result layout
def _layouts(lib):
    x = lib.arange(120.).reshape(2, 3, 4, 5)
    return {"contiguous": x, "transposed": x.transpose(0, 3), "permuted": x.permute(2, 0, 3, 1),
            "channels_last": x.contiguous(memory_format=lib.channels_last), "sliced": x[:, :, ::2],
            "expanded": x[:1, :, :1].expand(2, 3, 4, 5)}


# (indices below 2 and masks shaped from the tensor: every layout's dims have at least 2 elements)
_KEYS = {
    "middle": lambda lib, x: (slice(None), [0, 1, 1]),
    "front": lambda lib, x: ([1, 0],),
    "last": lambda lib, x: (Ellipsis, [1, 0, 0]),
    "split": lambda lib, x: ([0, 1], slice(None), [1, 0]),
    "none_between": lambda lib, x: ([0, 1], None, [1, 1]),
    "none_before": lambda lib, x: (slice(None), None, [0, 1]),
    "int_and_array": lambda lib, x: (0, slice(None), [0, 1]),
    "2d_index": lambda lib, x: (slice(None), lib.tensor([[0, 1], [1, 1]])),
    "2d_index_transposed": lambda lib, x: (slice(None), lib.tensor([[0, 1], [0, 0]]).t()),
    "broadcast_indices": lambda lib, x: (slice(None), [[0], [1]], [1, 0, 1]),
    "mask": lambda lib, x: (slice(None), lib.arange(x.shape[1]) % 2 == 0),
    "mask_2d": lambda lib, x: (lib.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2]) % 3 != 1,),
    "bool": lambda lib, x: (slice(None), True),
    "false": lambda lib, x: (False,),
    "empty_index": lambda lib, x: (slice(None), []),
    "empty_middle": lambda lib, x: (slice(None), [], slice(1, None)),
}


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "permuted", "channels_last", "sliced", "expanded"])
@pytest.mark.parametrize("key", sorted(_KEYS))
def test_advanced_index_result_strides_match_torch(layout, key):
    def index(lib):
        x = _layouts(lib)[layout]
        return x[_KEYS[key](lib, x)]
    expected, actual = _both(index)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.stride() == expected.stride()
    assert actual.is_contiguous() == expected.is_contiguous()
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_view_of_an_advanced_index_result_works_as_in_torch():
    assert_same_outcome(lambda lib: lib.arange(60.).reshape(3, 4, 5)[:, [0, 2]].view(-1))
    assert_same_outcome(lambda lib: lib.arange(60.).reshape(3, 4, 5)[0, :, [0, 1]].view(8))


def test_advanced_index_gradient_unchanged_by_layout():
    def run(lib):
        x = lib.arange(60.).reshape(3, 4, 5).requires_grad_()
        y = x.transpose(0, 2)[:, [0, 2, 2]]
        (y * lib.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return x.grad
    assert_same_outcome(run)


# ---------------------------------------------------------------------------- expand strides
@pytest.mark.parametrize("shape, size", [((3, 1), (2, 3, 1)), ((3,), (1, 1, 3)), ((3, 1), (1, 2, 3, 1)),
                                         ((3,), (2, 1, 3)), ((), (1, 3, 1)), ((1, 1), (1, 4))])
def test_expand_strides_match_torch(shape, size):
    expected, actual = _both(lambda lib: lib.ones(shape).expand(*size))
    assert actual.stride() == expected.stride()


def test_expand_of_a_strided_tensor_keeps_its_stride():
    expected, actual = _both(lambda lib: lib.ones(3)[::2].expand(1, 2))
    assert actual.stride() == expected.stride()
    expected, actual = _both(lambda lib: lib.arange(3.).reshape(3, 1).expand(2, 3, 1).transpose(0, -1)[..., 0])
    assert actual.stride() == expected.stride()


# ---------------------------------------------------------------------------- torch.div with a number first
@pytest.mark.parametrize("name", ["div", "divide", "true_divide"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "uint8", "bool"])
@pytest.mark.parametrize("number", [2.5, 7, True, -1])
def test_div_of_a_number_by_a_tensor_divides(name, dtype, number):
    # torch.div(2.5, x) divides (2.5 / 3 in float16 rounds to 0.8335), where Python's 2.5 / x is x.reciprocal() * 2.5
    def run(lib):
        x = lib.tensor([3, 7, 1, 5]).to(getattr(lib, dtype))
        return getattr(lib, name)(number, x)
    expected, actual = _both(run)
    assert str(actual.dtype) == str(expected.dtype).replace("torch.", "torchless.")
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


# ---------------------------------------------------------------------------- reductions
_EMPTY_RESULTS = {
    "sum": lambda x: x.sum(0), "mean": lambda x: x.mean(-1, keepdim=True), "amax": lambda x: x.amax((0, -1)),
    "max": lambda x: x.max(0), "argmin": lambda x: x.argmin(-1), "std": lambda x: x.std(0),
    "median": lambda x: x.median(0), "cumsum": lambda x: x.cumsum(0), "logsumexp": lambda x: x.logsumexp(0),
    "all": lambda x: x.all(-1), "count_nonzero": lambda x: x.count_nonzero(0), "topk": lambda x: x.topk(1, 0),
    "var": lambda x: x.var(-1), "nanmean": lambda x: x.nanmean(0), "prod": lambda x: x.prod(-1),
    "norm": lambda x: x.norm(dim=0),
}


@pytest.mark.parametrize("name", sorted(_EMPTY_RESULTS))
def test_empty_reduction_results_have_pytorchs_strides(name):
    # NumPy gives the empty arrays its routines make all-zero strides; PyTorch allocates them in C order
    def run(lib):
        out = _EMPTY_RESULTS[name](lib.zeros(2, 0, 3))
        return tuple(out) if isinstance(out, tuple) else (out,)
    for theirs, ours in zip(*_both(run), strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.stride() == theirs.stride()


def test_float16_prod_along_a_dim_is_contiguous():
    expected, actual = _both(lambda lib: lib.ones(2, 3, dtype=lib.float16).prod(-1))
    assert actual.stride() == expected.stride() and actual.is_contiguous()


def test_float16_logsumexp_sums_in_float32():
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((3, 4, 2)) * 3).astype(np.float16)
    data[:, 1, 1] = [-1.146, 2.893, 3.69]  # (a column whose float16-accumulated sum rounds apart)
    for dim in (0, (0, 1), 1):
        expected, actual = _both(lambda lib: lib.tensor(data).logsumexp(dim))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_kthvalue_picks_the_index_pytorchs_quickselect_picks_among_ties():
    rng = np.random.default_rng(1)
    for _ in range(200):
        shape = tuple(rng.integers(1, 7, size=int(rng.integers(1, 4))))
        data = rng.integers(0, 3, size=shape).astype(rng.choice(["float32", "int64", "float64"]))
        if data.dtype.kind == "f" and rng.random() < 0.3:
            data[rng.random(shape) < 0.3] = np.nan
        dim = int(rng.integers(-len(shape), len(shape)))
        k = int(rng.integers(1, shape[dim] + 1))
        expected, actual = _both(lambda lib: lib.tensor(data).kthvalue(k, dim))
        np.testing.assert_array_equal(actual.indices.numpy(), expected.indices.numpy())
        np.testing.assert_array_equal(actual.values.numpy(), expected.values.numpy())


# ---------------------------------------------------------------------------- creation
@pytest.mark.parametrize("value", [np.float32(1.5), np.float16(2.5), np.True_, np.complex64(1 + 2j), 1 + 2j, 0j,
                                   np.complex128(1j)])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float32", "float64"])
@pytest.mark.parametrize("nesting", ["scalar", "list", "mixed"])
def test_tensor_stores_numpy_scalars_and_complexes_as_pytorch(value, dtype, nesting):
    # a NumPy float or bool has no __index__, so an integer tensor refuses it; a complex fits no real float dtype
    data = {"scalar": value, "list": [value], "mixed": [1.0, value]}[nesting]
    assert_same_outcome(lambda lib: lib.tensor(data, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("value", [np.True_, np.False_, True, np.int8(3), np.float16(1.5), 1j])
def test_full_infers_its_dtype_from_the_python_type(value):
    assert_same_outcome(lambda lib: lib.full((2,), value))


def test_flip_of_an_empty_tensor_keeps_its_strides():
    for make in (lambda lib: lib.zeros(2, 0, 3), lambda lib: lib.zeros(2, 0, 3).transpose(0, 2)):
        expected, actual = _both(lambda lib: make(lib).flip(0))
        assert actual.stride() == expected.stride()


# ---------------------------------------------------------------------------- autograd
_LEAVES = {
    "reshaped": lambda lib: lib.arange(6.).reshape(2, 3).requires_grad_(),
    "transposed": lambda lib: lib.zeros(2, 3).t().requires_grad_(),
    "sliced": lambda lib: lib.zeros(6)[1:].requires_grad_(),
    "plain": lambda lib: lib.zeros(2, 3).requires_grad_(),
    "detached_view": lambda lib: lib.zeros(6).view(2, 3).detach().requires_grad_(),
}
_INPLACE = {
    "add_": lambda x: x.add_(1), "iadd": lambda x: x.__iadd__(1), "zero_": lambda x: x.zero_(),
    "copy_": lambda x: x.copy_(x.detach()), "index_put": lambda x: x.__setitem__([0], 1.0),
    "setitem": lambda x: x.__setitem__(0, 1.0),
}


@pytest.mark.parametrize("leaf", sorted(_LEAVES))
@pytest.mark.parametrize("op", sorted(_INPLACE))
def test_inplace_on_a_leaf_that_is_a_view_names_it_a_view(leaf, op):
    assert_same_outcome(lambda lib: _INPLACE[op](_LEAVES[leaf](lib)))


@pytest.mark.parametrize("name", ["sum", "cumsum", "nansum"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_integer_sums_in_the_dtype_asked_for(name, dtype, dim):
    # dtype= the input's own: NumPy would still sum int32 in int64 and uint8 or bool in uint64
    def run(lib):
        x = lib.tensor([[3, 250, 0, 1], [255, 7, 2, 9]]).to(getattr(lib, dtype))
        fn = getattr(x, name)
        if name == "cumsum":
            return fn(0 if dim is None else dim, dtype=getattr(lib, dtype))
        return fn(dtype=getattr(lib, dtype)) if dim is None else fn(dim, dtype=getattr(lib, dtype))
    assert_same_outcome(run)


def _warnings_of(fn):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message).replace("torchless.", "torch.")) for w in caught]


@pytest.mark.parametrize("name", ["std", "var", "std_mean", "var_mean"])
@pytest.mark.parametrize("shape, dim, correction", [((1,), None, None), ((2,), 0, 2), ((0,), None, 0), ((2, 1), 1, 1),
                                                    ((3,), None, 1), ((2, 0), 0, 0), ((1,), None, 0)])
@pytest.mark.parametrize("dtype", ["float32", "complex64"])
def test_no_degrees_of_freedom_warns_as_pytorch(name, shape, dim, correction, dtype):
    def run(lib):
        kwargs = {} if correction is None else {"correction": correction}
        if dim is not None:
            kwargs["dim"] = dim
        return _warnings_of(lambda: getattr(lib, name)(lib.ones(shape, dtype=getattr(lib, dtype)), **kwargs))
    expected, actual = _both(run)
    assert [m for _, m in actual] == [m for _, m in expected]
    assert all(c is UserWarning for c, _ in actual)


_EMPTY_FACTORIES = {
    "new_zeros": lambda lib: lib.ones(2).new_zeros(0, 2), "new_ones": lambda lib: lib.ones(2).new_ones(2, 0),
    "new_empty": lambda lib: lib.ones(2).new_empty(0, 2), "new_full": lambda lib: lib.ones(2).new_full((0, 2), 1.0),
    "eye": lambda lib: lib.eye(0, 2), "linspace": lambda lib: lib.linspace(0, 1, 0),
    "logspace": lambda lib: lib.logspace(0, 1, 0), "arange": lambda lib: lib.arange(0),
    "randperm": lambda lib: lib.randperm(0), "tensor_of_list": lambda lib: lib.tensor([[], []]),
    "empty_list": lambda lib: lib.tensor([]), "as_tensor_of_list": lambda lib: lib.as_tensor([[]]),
    "tensor_of_array": lambda lib: lib.tensor(np.zeros((2, 0, 3))),  # (PyTorch keeps NumPy's zero strides)
    "from_numpy": lambda lib: lib.from_numpy(np.zeros((2, 0))),
}


@pytest.mark.parametrize("name", sorted(_EMPTY_FACTORIES))
def test_empty_factory_results_have_pytorchs_strides(name):
    expected, actual = _both(_EMPTY_FACTORIES[name])
    assert tuple(actual.shape) == tuple(expected.shape) and actual.stride() == expected.stride()


@pytest.mark.parametrize("dim", [np.int64(1), np.int32(0), np.int64(-1)])
@pytest.mark.parametrize("name", ["amax", "amin", "softmax", "log_softmax", "sum", "argmax"])
def test_numpy_integer_dims_are_taken_as_ints(name, dim):
    assert_same_outcome(lambda lib: getattr(lib.arange(24.).reshape(2, 3, 4), name)(dim))


@pytest.mark.parametrize("layout", ["contiguous", "permuted", "sliced"])
def test_autograd_grad_of_a_mean_is_laid_out_as_pytorch(layout):
    # NumPy's order-'K' copy of the broadcast gradient put the reduced dim innermost: view(-1) then failed
    def run(lib):
        x = lib.arange(24.).reshape(2, 3, 4)
        x = {"contiguous": x, "permuted": x.reshape(4, 3, 2).permute(2, 1, 0), "sliced": lib.arange(48.).reshape(
            2, 3, 8)[..., ::2]}[layout].detach().requires_grad_()
        (grad,) = lib.autograd.grad(x.mean(1).sum(), x)
        return grad
    expected, actual = _both(run)
    assert actual.stride() == expected.stride() and actual.is_contiguous() == expected.is_contiguous()


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("change", ["through_view", "through_select", "itself"])
def test_number_over_tensor_gradient_survives_a_later_inplace_change(dtype, change):
    # PyTorch's 2 / y reads only reciprocal(y) in backward (no version check): changing y afterwards, even through
    # a view writing its memory, leaves the gradient that of the original y
    def run(lib):
        x = lib.arange(1.0, 7.0).reshape(2, 3).to(getattr(lib, dtype)).requires_grad_()
        y = x * 1
        z = 2 / y
        {"through_view": lambda: y.view(-1)[1:2].add_(1), "through_select": lambda: y[0].mul_(3),
         "itself": lambda: y.add_(1)}[change]()
        z.sum().backward()
        return x.grad
    assert_same_outcome(run, rtol=1e-3, atol=1e-3)


_SAVED_CHANGES = {
    "pow_tensor_exponent_output": lambda lib, y: (lambda z: (z.add_(1), z)[1])(y.pow(y.detach())),
    "einsum_operand": lambda lib, y: (lambda z: (y.mul_(2), z)[1])(lib.einsum("ij,ij->i", y, y)),
    "einsum_through_view": lambda lib, y: (lambda z: (y[1].mul_(2), z)[1])(lib.einsum("ij,ij->i", y, y)),
    "einsum_one_operand": lambda lib, y: (lambda z: (y.mul_(2), z)[1])(lib.einsum("ij->ji", y) * 1),
}


@pytest.mark.parametrize("name", sorted(_SAVED_CHANGES))
def test_changing_what_backward_saved_is_refused_as_in_pytorch(name):
    def run(lib):
        x = lib.arange(1.0, 7.0).reshape(2, 3).requires_grad_()
        _SAVED_CHANGES[name](lib, x * 1).sum().backward()
        return x.grad
    expected, actual = _both(lambda lib: _outcome_of(lambda: run(lib)))
    assert actual[0] == expected[0]
    if expected[0] == "ok":
        np.testing.assert_allclose(actual[1], expected[1])
    else:
        assert "modified by an inplace operation" in actual[1] and "modified by an inplace operation" in expected[1]


def _outcome_of(fn):
    try:
        return "ok", fn().detach().numpy()
    except RuntimeError as error:
        return "error", str(error)


# ---------------------------------------------------------------------------- index keys
_KEYS_READ_AS_PYTORCH = {
    "range": lambda lib: range(2), "range_in_tuple": lambda lib: (slice(None), range(1, 3)),
    "int8_tensor": lambda lib: lib.tensor([0, 1], dtype=lib.int8), "int16_tensor": lambda lib: lib.tensor([1], dtype=lib.int16),
    "int8_0d_tensor": lambda lib: lib.tensor(1, dtype=lib.int8), "numpy_bool": lambda lib: np.True_,
    "numpy_bool_in_tuple": lambda lib: (0, np.False_), "numpy_float": lambda lib: np.float32(1),
    "numpy_uint8_mask": lambda lib: np.array([1, 0], dtype=np.uint8), "numpy_float_array": lambda lib: np.array([0.0, 1.7]),
    "numpy_0d_float_array": lambda lib: np.array(1.0), "numpy_int8_array": lambda lib: np.array([1, 0], dtype=np.int8),
}


@pytest.mark.parametrize("key", sorted(_KEYS_READ_AS_PYTORCH))
@pytest.mark.parametrize("write", [False, True])
def test_index_keys_are_read_as_pytorch_reads_them(key, write):
    def run(lib):
        x = lib.arange(6.0).reshape(2, 3)
        k = _KEYS_READ_AS_PYTORCH[key](lib)
        if write:
            x[k] = -1.0
            return x
        return x[k]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (uint8 masks warn in both)
        assert_same_outcome(run)


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_unary_plus_refuses_bool_as_pytorch(dtype):
    assert_same_outcome(lambda lib: +lib.tensor([1, 0, 1]).to(getattr(lib, dtype)))


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "complex64", "float32"])
def test_autograd_functional_inputs_must_be_able_to_require_grad(name, dtype):
    if name == "hessian" and dtype == "complex64":
        pytest.skip("torchless has no double backward through real() yet")

    def run(lib):
        x = lib.tensor([1, 0, 2]).to(getattr(lib, dtype))
        fn = getattr(lib.autograd.functional, name)
        if name == "hessian":
            return fn(lambda t: (t.real if t.is_complex() else t).float().sum(), x)
        if name == "jacobian":
            return fn(lambda t: (t.real if t.is_complex() else t).float() * 2, x)
        return fn(lambda t: t * 2, x, lib.ones(3).to(getattr(lib, dtype)))
    assert_same_outcome(run)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "bool", "float32"])
@pytest.mark.parametrize("scalar", [-1, 300, -129, 2**40, 2.7, True, 0.0])
def test_integer_scales_convert_as_fill_values(dtype, scalar):
    # value/beta/alpha of an integer result: range-checked as a fill value (uint8 takes -1 as 255, refuses 300)
    def ones(lib, *shape):
        return lib.tensor([3, 0, 1][:shape[-1]] * int(np.prod(shape[:-1]))).reshape(shape).to(getattr(lib, dtype))
    calls = [lambda lib: lib.addcmul(ones(lib, 3), ones(lib, 3), ones(lib, 3), value=scalar),
             lambda lib: lib.addmm(ones(lib, 2, 2), ones(lib, 2, 2), ones(lib, 2, 2), beta=scalar, alpha=scalar),
             lambda lib: lib.addr(ones(lib, 2, 2), ones(lib, 2), ones(lib, 2), alpha=scalar),
             lambda lib: lib.addr(ones(lib, 2, 2), ones(lib, 2), ones(lib, 2), beta=scalar, alpha=2.5)]
    for call in calls:
        assert_same_outcome(call)


def test_nan_to_num_of_an_expanded_tensor_is_contiguous():
    expected, actual = _both(lambda lib: lib.arange(120.0).reshape(2, 3, 4, 5)[:, :1].expand(2, 3, 4, 5).nan_to_num())
    assert actual.stride() == expected.stride() and actual.is_contiguous() == expected.is_contiguous()
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_flip_over_a_size_one_dim_has_no_negative_stride():
    def run(lib):
        return lib.arange(20.0).reshape(2, 1, 2, 5).contiguous(memory_format=lib.channels_last).flip(1)
    expected, actual = _both(run)
    assert actual.stride() == expected.stride()
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


_SAVING_NOTHING = {
    "lerp_number_weight": lambda lib, x: x.lerp(x.detach() * 0, 0.5),
    "addcmul_constant_factors": lambda lib, x: lib.addcmul(x, x.detach(), x.detach()),
    "addcdiv_constant_factors": lambda lib, x: lib.addcdiv(x, x.detach(), x.detach() + 1),
    "lerp_tensor_weight": lambda lib, x: x.lerp(x.detach() * 0, lib.full((2, 3), 0.5)),
    "mul_constant": lambda lib, x: x * x.detach(),
    "exp": lambda lib, x: x.exp(),
}


@pytest.mark.parametrize("name", sorted(_SAVING_NOTHING))
def test_second_backward_fails_only_where_pytorch_saved_tensors(name):
    # PyTorch frees what a node saved; a node that saved no tensor (lerp's number weight, addcmul's factors that
    # need no gradient) can be run through again without retain_graph
    def run(lib):
        x = lib.arange(1.0, 7.0).reshape(2, 3).requires_grad_()
        z = _SAVING_NOTHING[name](lib, x).sum()
        z.backward()
        z.backward()
        return x.grad
    assert_same_outcome(run)


def test_addcdiv_saves_its_divisor_whatever_needs_a_gradient():
    def run(lib):
        x = lib.arange(1.0, 7.0).reshape(2, 3).requires_grad_()
        t1, t2 = lib.ones(2, 3), lib.ones(2, 3) + 1
        z = lib.addcdiv(x, t1, t2)
        saved = z.grad_fn._saved_tensor2
        t2.add_(1)
        z.sum().backward()
        return saved, x.grad
    assert_same_outcome(run)
