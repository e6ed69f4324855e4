"""Parity regressions (session 30, fixa30): indexing keys of several Ellipses or empty index tensors, strides of
size-1 dims, storage offsets of empty views, nansum into an integer dtype, norm over repeated empty dims, var's
overflow, all compared with PyTorch at run time."""
import math

import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """What ``fn(lib)`` gives, comparable across the two libraries: a value as a nested list with its shape and
    dtype name, or an exception's type name and message."""
    try:
        result = fn(lib)
    except Exception as error:  # noqa: BLE001 (the exception is what we compare)
        return type(error).__name__, str(error)
    if isinstance(result, (lib.Tensor,)):
        return "tensor", tuple(result.shape), str(result.dtype).split(".")[-1], repr(result.tolist())  # (NaN == NaN)
    return "value", result


def _same(fn):
    expected = _outcome(torch, fn)
    assert _outcome(torchless, fn) == expected


def _key(lib, parts):
    """A key whose ("bool", ...) and ("long", ...) parts become tensors of ``lib``."""
    def part(p):
        if isinstance(p, tuple):
            return lib.tensor(list(p[1:]), dtype=getattr(lib, p[0]))
        return p
    return tuple(part(p) for p in parts)


def _read_and_write(shape, parts):
    def read(lib):
        return lib.arange(float(math.prod(shape))).reshape(shape)[_key(lib, parts)]

    def write(lib):
        x = lib.arange(float(math.prod(shape))).reshape(shape)
        x[_key(lib, parts)] = -1.0
        return x
    _same(read)
    _same(write)


@pytest.mark.parametrize("shape, parts", [
    ((3, 2, 1), (..., 7, ..., ("bool", False, True, True))),
    ((3, 2, 1), (..., -3, ..., ("bool", False, True, True))),
    ((3, 2, 1), (..., 1, ..., ("bool", False, True, True))),
    ((2, 3), (..., 5, ...)),
    ((2, 3), (..., -4, ..., None)),
    ((2, 3), (None, ..., 2, ...)),
    ((2, 3, 4), (..., ("bool", True, False, True), ..., 9)),
    ((2, 3, 4), (1, ..., ..., 3)),
    ((2, 3, 4), (1, ..., ..., 4)),
    ((0, 2), (..., 0, ...)),
])
def test_several_ellipses_check_each_int_in_its_dim(shape, parts):
    _read_and_write(shape, parts)


@pytest.mark.parametrize("shape, parts", [
    ((0, 0), (("bool",), None, [0])),
    ((0, 0), (("bool",), [0])),
    ((0, 0), (("bool",), None, [5])),
    ((0, 0), (("long",), None, [0])),
    ((0, 0), (("long",), [3])),
    ((0, 0), (slice(None), None, [0])),
    ((0, 2), (("bool",), [1, 0])),
    ((2, 0), (("bool", False, False), [0])),
    ((2, 0), (("bool", True, False), [0])),
    ((0, 0, 2), (("bool",), ..., [2])),
])
def test_empty_index_broadcast_reads_no_index(shape, parts):
    _read_and_write(shape, parts)


_ODD_LAYOUTS = {  # tensors whose size-1 dims have strides C order would not give them
    "t_of_row": lambda lib: lib.arange(4.).reshape(1, 4).t(),
    "t_of_column": lambda lib: lib.arange(3.).reshape(3, 1).t(),
    "permuted": lambda lib: lib.arange(6.).reshape(2, 1, 3).permute(2, 1, 0),
    "last_dim_one": lambda lib: lib.arange(8.).reshape(2, 4)[:, 1:2],
    "all_ones": lambda lib: lib.arange(6.).reshape(2, 3)[1:, 2:],
    "contiguous": lambda lib: lib.arange(6.).reshape(2, 3),
}


@pytest.mark.parametrize("layout", sorted(_ODD_LAYOUTS))
@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("call", [
    lambda x: x.view(x.shape),
    lambda x: x.view(-1),
    lambda x: x.view(x.shape + (1,)),
    lambda x: x.view((1,) + tuple(x.shape) + (1,)),
    lambda x: x.reshape(x.shape),
    lambda x: x.reshape(1, -1, 1),
    lambda x: x.flatten(),
    lambda x: x.unflatten(-1, (1, x.shape[-1], 1)),
    lambda x: x.unflatten(0, (x.shape[0], 1)),
])
def test_view_strides_of_size_one_dims_as_compute_stride(layout, grad, call):
    def strides(lib):
        x = _ODD_LAYOUTS[layout](lib)
        if grad:
            x.requires_grad_()
        y = call(x)
        return tuple(y.shape), y.stride(), y.storage_offset(), y.tolist(), y.is_contiguous()
    _same(strides)


def test_unflatten_view_writes_through():
    def written(lib):
        x = lib.arange(4.).reshape(1, 4).t()
        y = x.unflatten(1, (1, 1))
        y[2, 0, 0] = 100
        return y.stride(), x.tolist()
    _same(written)


@pytest.mark.parametrize("view", [
    lambda x: x[1],
    lambda x: x[1:],
    lambda x: x[-1, ..., 0:] if x.dim() > 1 else x[-1],
    lambda x: x.select(0, x.shape[0] - 1),
    lambda x: x.transpose(0, -1)[..., 1:],
    lambda x: x.unbind(0)[-1],
    lambda x: x[1:].reshape(-1),
])
@pytest.mark.parametrize("shape", [(2, 0), (3, 0, 2), (2, 2, 0), (4, 0, 0, 1)])
def test_storage_offset_of_empty_views(view, shape):
    def layout(lib):
        y = view(lib.zeros(shape))
        return tuple(y.shape), y.stride(), y.storage_offset()
    _same(layout)


@pytest.mark.parametrize("values", [[math.inf], [-math.inf], [math.inf, 1.0], [math.nan, 2.5], [1e10], [-2.5, 3.7],
                                    [70000.0, -math.inf, math.nan]])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("out_dtype", ["int32", "int64", "int16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("dim", [None, 0])
def test_nansum_into_integers_reads_through_nan_to_num(values, dtype, out_dtype, dim):
    def summed(lib):
        x = lib.tensor(values, dtype=getattr(lib, dtype))
        args = () if dim is None else (dim,)
        return lib.nansum(x, *args, dtype=getattr(lib, out_dtype))
    _same(summed)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 1)])
@pytest.mark.parametrize("p", [math.inf, -math.inf, -1, -0.5, 2, 0])
@pytest.mark.parametrize("dim", [(0, 0), [0, -1], (0, 0, 0), (0, 1, 0), (-1, -1), (1, 1), (0, 5), (5, 0)])
def test_norm_over_repeated_empty_dims_refuses_the_empty_dim_first(shape, p, dim):
    _same(lambda lib: lib.ones(shape).norm(p, dim))
    _same(lambda lib: lib.linalg.vector_norm(lib.ones(shape), p, dim))


_HUGE_ROWS = [[1e308, 1e308], [1e308, -1e308], [1.5e308, 1.7e308, 1.6e308], [1.7e308, 1.7e308, -1e307],
              [1e308, 5e307, math.inf], [1e200, -1e200, 1e200], [3e38, 3e38], [1.0, 2.0, 4.0]]


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("row", _HUGE_ROWS)
@pytest.mark.parametrize("repeats", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 1, 0, (0, 1)])
@pytest.mark.parametrize("correction", [1, 0, 2])
def test_variance_where_the_sum_overflows_as_welford_or_the_one_output_kernel(row, repeats, dtype, fn, dim,
                                                                                 correction):
    _same(lambda lib: getattr(lib, fn)(lib.tensor([row] * repeats, dtype=getattr(lib, dtype)), dim,
                                       correction=correction))


@pytest.mark.parametrize("fn", ["var", "std"])
def test_variance_of_one_output_of_float32_whose_mean_overflows(fn):
    _same(lambda lib: getattr(lib, fn)(lib.full((3, 4), 3e38)))
    _same(lambda lib: getattr(lib, fn)(lib.full((1, 4), -3e38), 1))


def test_variance_part_of_var_mean_is_welford():
    _same(lambda lib: lib.var_mean(lib.tensor([[1e308, 1e308]] * 3, dtype=lib.float64))[0])
    _same(lambda lib: lib.std_mean(lib.tensor([[1.7e308, 1.7e308, -1e307]], dtype=lib.float64), 1)[0])


@pytest.mark.parametrize("shape, dim, index, source", [
    ((0, 1), -2, [0], (1, 1)),
    ((0, 3), 0, [0], (1, 3)),
    ((0, 3, 2), 0, [0, 1], (2, 3, 2)),
    ((2, 0), 1, [0], (2, 1)),
    ((3, 0, 2), -2, [0], (3, 1, 2)),
])
def test_index_copy_into_an_empty_tensor(shape, dim, index, source):
    _same(lambda lib: lib.zeros(shape, dtype=lib.long).index_copy(dim, lib.tensor(index),
                                                                     lib.ones(source, dtype=lib.long)))
