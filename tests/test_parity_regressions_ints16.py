"""Regression tests for ints16: int arguments of Tensor methods and torch functions as PyTorch's parser reads them
(Python and NumPy integers, 0-d integer tensors for an int; one-element integer tensors for a SymInt or a lone int
list), and its TypeErrors for the rest."""
import numpy as np
import pytest

import torchless


def _values(lib):
    """The argument kinds PyTorch's parser tells apart."""
    return {"float": 1.0, "bool": True, "str": "a", "None": None, "np_int": np.int64(1), "tensor_0d": lib.tensor(1),
            "tensor_1": lib.tensor([1]), "tensor_2": lib.tensor([1, 0]), "ndarray": np.array([1]),
            "ndarray_0d": np.array(1), "bool_tensor": lib.tensor(True), "float_tensor": lib.tensor(1.0)}


def _outcome(call):
    try:
        result = call()
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error)
    results = result if isinstance(result, (tuple, list)) else (result,)
    return "ok", [np.asarray(r.detach() if hasattr(r, "detach") else r).tolist() for r in results]


def _both(make):
    torch = pytest.importorskip("torch")
    return _outcome(lambda: make(torch)), _outcome(lambda: make(torchless))


def _cube(lib):
    return lib.arange(24.).reshape(2, 3, 4)


def _zeros_index(lib):
    return lib.zeros(2, 3, 4, dtype=lib.long)


# Each call takes the probed value as ``v``
CALLS = {
    "index_select": lambda lib, v: _cube(lib).index_select(v, lib.tensor([0])),
    "gather": lambda lib, v: _cube(lib).gather(v, _zeros_index(lib)),
    "cat": lambda lib, v: lib.cat([_cube(lib), _cube(lib)], v),
    "cat_keyword": lambda lib, v: lib.cat([_cube(lib)], dim=v),
    "stack": lambda lib, v: lib.stack([_cube(lib), _cube(lib)], v),
    "index_fill": lambda lib, v: _cube(lib).index_fill(v, lib.tensor([0]), 1.0),
    "index_fill_function": lambda lib, v: lib.index_fill(_cube(lib), v, lib.tensor([0]), 1.0),
    "index_add": lambda lib, v: _cube(lib).index_add(v, lib.tensor([0]), lib.ones(2, 1, 4)),
    "index_copy": lambda lib, v: _cube(lib).index_copy(v, lib.tensor([0]), lib.ones(2, 1, 4)),
    "scatter": lambda lib, v: _cube(lib).scatter(v, _zeros_index(lib), 1.0),
    "scatter_function": lambda lib, v: lib.scatter(_cube(lib), v, _zeros_index(lib), 1.0),
    "scatter_add_": lambda lib, v: _cube(lib).scatter_add_(v, _zeros_index(lib), _cube(lib)),
    "take_along_dim": lambda lib, v: _cube(lib).take_along_dim(_zeros_index(lib), v),
    "narrow_copy": lambda lib, v: _cube(lib).narrow_copy(v, 0, 1),
    "kthvalue_k": lambda lib, v: _cube(lib).kthvalue(v),
    "kthvalue_dim": lambda lib, v: _cube(lib).kthvalue(1, v),
    "topk_k": lambda lib, v: _cube(lib).topk(v),
    "topk_k_function": lambda lib, v: lib.topk(_cube(lib), v),
    "tril": lambda lib, v: _cube(lib).tril(v),
    "triu_": lambda lib, v: _cube(lib).triu_(v),
    "diag": lambda lib, v: lib.ones(3, 3).diag(v),
    "rot90_k": lambda lib, v: _cube(lib).rot90(v),
    "rot90_dims": lambda lib, v: _cube(lib).rot90(1, v),
    "argsort": lambda lib, v: _cube(lib).argsort(v),
    "sort": lambda lib, v: _cube(lib).sort(v),
    "repeat_interleave": lambda lib, v: _cube(lib).repeat_interleave(v),
    "repeat_interleave_dim": lambda lib, v: _cube(lib).repeat_interleave(2, v),
    "unfold": lambda lib, v: _cube(lib).unfold(v, 1, 1),
    "diag_embed": lambda lib, v: _cube(lib).diag_embed(v),
    "tensor_split": lambda lib, v: _cube(lib).tensor_split(v),
    "tensor_split_function": lambda lib, v: lib.tensor_split(_cube(lib), v),
    "hsplit": lambda lib, v: _cube(lib).hsplit(v),
    "diff": lambda lib, v: _cube(lib).diff(v),
    "nanmean": lambda lib, v: _cube(lib).nanmean(v),
    "quantile": lambda lib, v: _cube(lib).quantile(0.5, v),
    "quantile_function": lambda lib, v: lib.quantile(_cube(lib), 0.5, v),
    "bincount": lambda lib, v: lib.tensor([1, 2]).bincount(minlength=v),
    "histc": lambda lib, v: _cube(lib).histc(v),
    "tril_indices": lambda lib, v: lib.tril_indices(3, v),
    "triu_indices_offset": lambda lib, v: lib.triu_indices(3, 3, offset=v),
    "all": lambda lib, v: _cube(lib).all(v),
    "std_correction": lambda lib, v: _cube(lib).std(0, correction=v),
    "renorm": lambda lib, v: _cube(lib).renorm(2, v, 1.0),
    "index_reduce": lambda lib, v: _cube(lib).index_reduce(v, lib.tensor([0]), lib.ones(1, 3, 4), "prod"),
    "cross": lambda lib, v: lib.ones(3, 3).cross(lib.ones(3, 3), v),
    "aminmax": lambda lib, v: _cube(lib).aminmax(dim=v),
    "stride": lambda lib, v: _cube(lib).stride(v),
    "select_scatter": lambda lib, v: _cube(lib).select_scatter(lib.zeros(3, 4), 0, v),
    "slice_scatter": lambda lib, v: _cube(lib).slice_scatter(lib.zeros(1, 3, 4), 0, v),
    "diagonal_scatter": lambda lib, v: lib.ones(3, 3).diagonal_scatter(lib.zeros(2), v),
    "squeeze": lambda lib, v: _cube(lib)[:1].squeeze(v),
    "cumsum_": lambda lib, v: _cube(lib).cumsum_(v),
    "unsafe_chunk": lambda lib, v: _cube(lib).unsafe_chunk(2, v),
    "topk_largest": lambda lib, v: _cube(lib).topk(1, 0, v),
    "kthvalue_keepdim": lambda lib, v: _cube(lib).kthvalue(1, 0, v),
    "matrix_power": lambda lib, v: lib.eye(3).matrix_power(v),
    "unique_dim": lambda lib, v: _cube(lib).unique(dim=v),
    "unique_consecutive": lambda lib, v: _cube(lib).unique_consecutive(dim=v),
    "cov": lambda lib, v: lib.arange(9.).reshape(3, 3).cov(correction=v),
    "combinations": lambda lib, v: lib.combinations(lib.arange(4), v),
    "split_with_sizes": lambda lib, v: _cube(lib).split_with_sizes([1, 1], v),
    "fill_diagonal_": lambda lib, v: lib.zeros(3, 3).fill_diagonal_(1.0, v),
    "new_empty_strided": lambda lib, v: _cube(lib).new_empty_strided((2, v), (1, 1)).shape,
    "count_nonzero_function": lambda lib, v: lib.count_nonzero(_cube(lib), v),
    "hsplit_function": lambda lib, v: lib.hsplit(_cube(lib), v),
}


@pytest.mark.filterwarnings("ignore:Using .*cross without specifying the dim")
@pytest.mark.parametrize("kind", list(_values(torchless)))
@pytest.mark.parametrize("name", list(CALLS))
def test_int_arguments_read_as_pytorch_parser_does(name, kind):
    """Accepted or refused as torch does, with its exception type and message, and the same values when taken."""
    expected, actual = _both(lambda lib: CALLS[name](lib, _values(lib)[kind]))
    assert actual == expected


def test_messages_name_the_argument_and_position():
    """The parser's words, torch-free: the op, the argument, its position, the type given."""
    x = torchless.arange(24.).reshape(2, 3, 4)
    cases = [(lambda: x.index_select(1.0, torchless.tensor([0])),
              "index_select(): argument 'dim' (position 1) must be int, not float"),
             (lambda: torchless.cat([x, x], torchless.tensor([0])), "cat(): argument 'dim' (position 2) must be int, "
                                                                    "not Tensor"),
             (lambda: x.kthvalue(2.0), "kthvalue(): argument 'k' (position 1) must be int, not float"),
             (lambda: x.tril(1.0), "tril(): argument 'diagonal' (position 1) must be int, not float"),
             (lambda: x.tril_(1.0), "tril_(): argument 'diagonal' (position 1) must be int, not float"),
             (lambda: x.diag(1.5), "diag(): argument 'diagonal' (position 1) must be int, not float"),
             (lambda: x.rot90(1.0), "rot90(): argument 'k' (position 1) must be int, not float")]
    for call, message in cases:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == message


def test_integer_tensors_taken_as_ints_give_the_int_results():
    """A one-element tensor for a SymInt (topk's and kthvalue's k), a 0-d one for a dim: as the int itself, against
    NumPy."""
    data = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    x = torchless.tensor(data)
    np.testing.assert_array_equal(x.topk(torchless.tensor([2])).values.numpy(), -np.sort(-data, axis=1)[:, :2])
    np.testing.assert_array_equal(x.kthvalue(torchless.tensor([2])).values.numpy(), np.sort(data, axis=1)[:, 1])
    np.testing.assert_array_equal(x.argsort(torchless.tensor(0)).numpy(), np.argsort(data, axis=0, kind="stable"))
    np.testing.assert_array_equal(x.index_select(torchless.tensor(1), torchless.tensor([4, 0])).numpy(),
                                  data[:, [4, 0]])
    pieces = x.tensor_split(torchless.tensor([1, 4]), 1)
    assert [p.shape[1] for p in pieces] == [1, 3, 1]


def test_tensor_split_and_repeat_interleave_tensor_dtypes():
    """tensor_split's tensor overload wants int64 of at most one dim; repeat_interleave's counts int32 or int64."""
    expected, actual = _both(lambda lib: _cube(lib).tensor_split(lib.tensor([[1]]), 1))
    assert actual == expected
    for dtype in ("int32", "int16", "float64", "bool"):
        expected, actual = _both(lambda lib: lib.arange(4.).repeat_interleave(lib.ones(4, dtype=getattr(lib, dtype))))
        assert actual == expected
    expected, actual = _both(lambda lib: lib.repeat_interleave(lib.tensor([1., 2.])))
    assert actual == expected
    for call in ("lib.repeat_interleave(x, None)", "lib.repeat_interleave(lib.tensor([1, 2]))",
                 "lib.repeat_interleave(x, 2, 1)", "lib.repeat_interleave(lib.tensor([1, 2]), output_size=3)"):
        expected, actual = _both(lambda lib: eval(call, {"lib": lib, "x": _cube(lib)}))
        assert actual == expected


@pytest.mark.parametrize("call", ["x.median(None)", "x.median(dim=None)", "x.median(keepdim=True)",
                                  "lib.median(x, None)", "x.nanmedian(None)", "x.nanmedian(dim=None, keepdim=True)",
                                  "x.median()", "lib.nanmedian(x)", "x.median(1, True)"])
def test_median_refuses_an_explicit_none_dim(call):
    """median/nanmedian's overload without dim takes nothing: dim=None is the other overload's bad int."""
    expected, actual = _both(lambda lib: eval(call, {"lib": lib, "x": _cube(lib)}))
    assert actual == expected


@pytest.mark.parametrize("dim, index, source_shape", [(1, [0], (1, 3, 4)), (2, [0], (3,)), (0, [0], (1, 3)),
                                                      (0, [0, 1], (1, 3, 5)), (1, [0], (2, 1, 5)), (-1, [0], (2, 3)),
                                                      (0, [0], ()), (1, [0, 2], (2, 2, 4))])
def test_index_add_checks_in_its_meta_functions_order(dim, index, source_shape):
    """index_add's dim against the source's rank, then the number of indices, then the shapes (a 0-d source
    beside a tensor of higher rank too)."""
    expected, actual = _both(lambda lib: _cube(lib).index_add(dim, lib.tensor(index), lib.ones(source_shape)))
    assert actual == expected
