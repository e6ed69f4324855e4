"""Regressions of session 38's error-parity work (errors38).

* uint16, uint32 and uint64 tensors (PyTorch's "limited support" dtypes) are refused, as PyTorch 2.13 refuses them,
  by the ops whose CPU kernels have no version for them: arithmetic but mul (``add_stub`` for + and -), ordering
  comparisons (``lt_cpu`` ...), extrema (``max_all``, ``max_cpu``, ``max_values_cpu``, ``argmax_cpu``,
  ``maximum_cpu``), shifts, ``~``, negation, abs, sign, pow, clamp and relu, floor division and remainders, the
  selection and index writes (``index_select``, ``scatter_gather_tensor_cpu``, ``index_put``, ``masked_fill`` ...),
  scans, nonzero, matrix products (``dot``, ``addmm_impl_cpu_``, ``bmm``), the range factories (``arange_cpu`` ...)
  and more, each with PyTorch's NotImplementedError naming its kernel and the dtype. They computed before. What
  PyTorch runs on those dtypes still runs: casts, copies, == and !=, bitwise and/or/xor, mul, sum, sort, reading
  by index, and ops PyTorch builds from those (``fill_diagonal_``, ``x[None] = v``); uint8 keeps every kernel.
* ``torch.save`` checks its destination before it pickles the object (a lambda saved into a missing directory is
  refused for the directory), refuses a file name without a stem (``dir/``, ``.pt``) with PyTorch's "invalid file
  name" and a text stream with the stream's own TypeError; ``torch.load`` of a text stream without weights_only
  raises pickle's TypeError.

The independent sections' expected texts are PyTorch's kernel names and message formats (from its sources); the
torch sections compare with the installed PyTorch at run time.
"""
import io
import os

import numpy as np
import pytest

import torchless

WIDE = {"uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}

# (expression of x, a [1, 2, 3] tensor of the dtype D; the kernel PyTorch names)
REFUSED = [
    ("x + x", "add_stub"), ("x + 1", "add_stub"), ("1 - x", "add_stub"), ("x.sub_(x)", "add_stub"),
    ("x.add(x, alpha=2)", "add_stub"), ("x // 2", "div_floor_cpu"), ("x % 2", "remainder_cpu"),
    ("x.fmod(2)", "fmod_cpu"), ("x.div(2, rounding_mode='trunc')", "div_trunc_cpu"),
    ("x < 2", "lt_cpu"), ("x >= x", "ge_cpu"), ("2 < x", "gt_cpu"), ("x.le_(x)", "le_cpu"),
    ("x.max()", "max_all"), ("x.min(0)", "min_cpu"), ("x.amax()", "max_values_cpu"), ("x.aminmax()", "aminmax_cpu"),
    ("x.argmax()", "argmax_cpu"), ("torch.maximum(x, x)", "maximum_cpu"), ("x.fmin(x)", "minimum_cpu"),
    ("x >> 1", "rshift_cpu"), ("1 << x", "lshift_cpu"), ("~x", "bitwise_not_cpu"),
    ("x.bitwise_not()", "bitwise_not_cpu"), ("-x", "neg_cpu"), ("x.neg_()", "neg_cpu"), ("abs(x)", "abs_cpu"),
    ("x.sign()", "sign_cpu"), ("x.sgn()", "sign_cpu"),
    ("x ** 2", "pow"), ("2 ** x", "pow"), ("x.square()", "pow"), ("x.clamp(0, 2)", "clamp_scalar_cpu"),
    ("x.clamp(min=1)", "clamp_min_scalar_cpu"), ("x.clamp(x, x)", "clamp_cpu"), ("x.relu()", "clamp_min_scalar_cpu"),
    ("torch.nn.functional.relu(x)", "clamp_min_scalar_cpu"), ("x.gcd(x)", "gcd_cpu"),
    ("x.heaviside(x)", "heaviside_cpu"), ("x.flip(0)", "flip_cpu"), ("x.masked_fill(x == 1, 0)", "masked_fill"),
    ("x.masked_select(x == 1)", "masked_select"),
    ("x.masked_scatter(x == 1, x)", "masked_scatter"), ("x.index_select(0, torch.tensor([0]))", "index_select"),
    ("x.take(torch.tensor([0]))", "take_cpu"), ("x.gather(0, torch.tensor([0]))", "scatter_gather_tensor_cpu"),
    ("x.scatter(0, torch.tensor([0]), 1)", "scatter_gather_scalar_cpu"),
    ("x.scatter_add(0, torch.tensor([0]), x)", "scatter_gather_tensor_cpu"),
    ("x.scatter_reduce(0, torch.tensor([0]), x, 'amax')", "scatter_gather_tensor_cpu_reduce_amax"),
    ("x.scatter_reduce(0, torch.tensor([0]), x, 'sum', include_self=False)", "scatter_reduce_exclude_input_init"),
    ("x.index_fill(0, torch.tensor([0]), 1)", "index_fill_cpu"),
    ("x.index_add(0, torch.tensor([0]), x[:1])", "index_add_"),
    ("x.index_copy(0, torch.tensor([0]), x[:1])", "index_copy_cpu"),
    ("x.put(torch.tensor([0]), x[:1])", "take_put_cpu"),
    ("x.index_reduce(0, torch.tensor([0]), x[:1], 'prod')", "index_func_"),
    ("x.index_put((torch.tensor([0]),), x[:1])", "index_put"), ("x.topk(1)", "topk_cpu"),
    ("x.sum(dtype=D)", "sum_cpu"), ("x.float().sum(dtype=D)", "sum_cpu"), ("x.cumsum(0, dtype=D)", "cumsum_out_cpu"),
    ("x.prod(dtype=D)", "prod_out_cpu"), ("x.median()", "median_cpu"), ("x.median(0)", "median_out"),
    ("x.kthvalue(1)", "kthvalue_cpu"), ("x.mode()", "mode_cpu"), ("x.cummax(0)", "cummax_cpu"),
    ("x.histc()", "aminmax_cpu"), ("torch.bincount(x)", "bincount_cpu"), ("x.nonzero()", "nonzero_count_cpu"),
    ("x.count_nonzero()", "nonzero_count_cpu"), ("x.argwhere()", "nonzero_count_cpu"),
    ("torch.arange(4, dtype=D)", "arange_cpu"), ("torch.linspace(0, 4, 3, dtype=D)", "linspace_cpu"),
    ("torch.logspace(0, 1, 2, dtype=D)", "logspace_cpu"), ("torch.eye(2, dtype=D)", "eye"),
    ("torch.randperm(3, dtype=D)", "randperm"), ("torch.zeros(2, dtype=D).random_()", "random_kernel_cpu"),
    ("x.dot(x)", "dot"), ("x @ x", "dot"), ("torch.tensordot(x, x, 1)", "dot"),
    ("x.reshape(3, 1).mm(x.reshape(1, 3))", "addmm_impl_cpu_"), ("x.reshape(1, 3).mv(x)", "addmv_impl_cpu"),
    ("x.reshape(1, 1, 3).bmm(x.reshape(1, 3, 1))", "bmm"), ("x.logical_not()", "logical_not_cpu"),
    ("x.logical_and(torch.tensor(1))", "logical_and_cpu"), ("x.reshape(3, 1).triu()", "triu"),
    ("x.reshape(1, 3).trace()", "trace"), ("x.addcmul(x, x)", "addcmul_cpu_out"),
    ("x.bernoulli_(0.5)", "bernoulli_scalar_cpu_"), ("x.geometric_(0.5)", "geometric_cpu"),
    ("torch.searchsorted(x, x)", "searchsorted_out_cpu"), ("torch.isin(x, x)", "isin_default_cpu"),
    ("torch.combinations(x)", "masked_select"), ("x.diff()", "add_stub"),
    ("torch.nn.functional.pad(x.reshape(1, 1, 3), (1, 1), mode='replicate')", "replication_pad1d"),
]


def _run(lib, expression, name):
    D = getattr(lib, name)
    x = lib.tensor([1, 2, 3], dtype=D)
    return eval(expression, {"torch": lib, "x": x, "D": D, "np": np})


def _statement(lib, statement, name):
    x = lib.tensor([1, 2, 3], dtype=getattr(lib, name))
    exec(statement, {"torch": lib, "x": x})
    return x


# ---------------------------------------------------------------------------------------------- independent
@pytest.mark.parametrize("name", list(WIDE))
@pytest.mark.parametrize("expression, kernel", REFUSED)
def test_ops_without_a_kernel_for_wide_unsigned_dtypes_are_refused(expression, kernel, name):
    with pytest.raises(NotImplementedError) as caught:
        _run(torchless, expression, name)
    assert str(caught.value) == f"\"{kernel}\" not implemented for '{WIDE[name]}'"


@pytest.mark.parametrize("name", list(WIDE))
@pytest.mark.parametrize("statement, kernel", [
    ("x[torch.tensor([0])] = 5", "index_put"), ("x[[0, 1]] = 4", "index_put"), ("x[x == 1] = 0", "masked_fill"),
    ("x[[True, False, True]] = 1", "masked_fill"), ("x[torch.tensor(True)] = 5", "index_put"),
    ("x[torch.tensor([True, False, True])] = torch.tensor([8, 9], dtype=x.dtype)", "index_put"),
])
def test_writes_through_index_tensors_are_refused(statement, kernel, name):
    with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for '{WIDE[name]}'$"):
        _statement(torchless, statement, name)


@pytest.mark.parametrize("name", list(WIDE))
def test_what_pytorch_runs_on_wide_unsigned_dtypes_still_runs(name):
    D, ref = getattr(torchless, name), np.array([1, 2, 3], dtype=name)
    x = torchless.tensor(ref, dtype=D)
    assert (x * 2).tolist() == (ref * 2).tolist() and (x * 2).dtype is D
    assert (x == 2).tolist() == [False, True, False] and (x != x).tolist() == [False] * 3
    assert (x & 2).tolist() == (ref & 2).tolist() and (x ^ x).tolist() == [0, 0, 0]
    assert x.sum().item() == 6 and x.sort()[0].tolist() == [1, 2, 3] and x[1:].tolist() == [2, 3]
    assert x[torchless.tensor([2, 0])].tolist() == [3, 1] and x.clone().fill_(7).tolist() == [7] * 3
    assert x.float().tolist() == [1.0, 2.0, 3.0] and (x / 2).tolist() == [0.5, 1.0, 1.5]
    assert x.pow(1).tolist() == [1, 2, 3] and x.pow(0).tolist() == [1, 1, 1]  # (a copy and a fill)
    assert torchless.count_nonzero(x, 0).item() == 3  # (over a dim: comparisons and a sum)
    assert torchless.isin(x, 2).tolist() == [False, True, False]  # (a number: compared by ==)
    assert x.reshape(1, 3).t().contiguous().tolist() == [[1], [2], [3]]
    m = torchless.zeros(2, 2, dtype=D)
    assert m.fill_diagonal_(1).tolist() == np.eye(2, dtype=name).tolist()
    for statement, expected in (("x[None] = 2", [2, 2, 2]), ("x[0] = 5", [5, 2, 3]), ("x[1:] = 7", [1, 7, 7]),
                                ("x[torch.tensor(0)] = 5", [5, 2, 3]), ("x[...] = 3", [3, 3, 3])):
        assert _statement(torchless, statement, name).tolist() == expected, statement


@pytest.mark.parametrize("name", list(WIDE))
def test_empty_tensors_reach_no_kernel_where_pytorch_checks_nothing(name):
    D = getattr(torchless, name)
    empty = torchless.tensor([], dtype=D)
    assert empty.sum(dtype=D).item() == 0 and empty.flip(0).shape == (0,) and empty.cummax(0)[0].shape == (0,)
    assert empty.bernoulli_(0.5).shape == (0,) and torchless.linspace(0, 1, 1, dtype=D).tolist() == [0]
    assert empty.reshape(0, 0).triu().shape == (0, 0)
    with pytest.raises(NotImplementedError, match="add_stub"):  # (the dtype dispatched all the same)
        empty + 1


def test_uint8_keeps_every_kernel():
    ref = np.array([1, 2, 3], np.uint8)
    x = torchless.tensor(ref)
    assert (x + 1).tolist() == (ref + 1).tolist() and (-x).tolist() == (-ref).tolist()
    assert x.max().item() == 3 and (x < 2).tolist() == [True, False, False] and abs(x).tolist() == [1, 2, 3]
    assert (x @ x).item() == int(ref @ ref) and x.relu().tolist() == [1, 2, 3] and x.flip(0).tolist() == [3, 2, 1]
    assert (x ** 2).tolist() == (ref ** 2).tolist() and torchless.arange(3, dtype=torchless.uint8).tolist() == [0, 1, 2]


def test_bool_keeps_its_own_matrix_product_refusal():
    v = torchless.ones(2, dtype=torchless.bool)
    with pytest.raises(NotImplementedError, match="^\"dot\" not implemented for 'Bool'$"):
        torchless.inner(v, v)


def test_promotion_is_refused_before_a_logical_kernel():
    x = torchless.tensor([1, 2], dtype=torchless.uint16)
    with pytest.raises(RuntimeError, match="attempted to promote UInt16 and Long$"):
        x.logical_and(torchless.tensor([1, 0]))
    assert x.logical_and(torchless.tensor([1.0, 0.0])).tolist() == [True, False]  # (float: the common dtype)


def test_save_checks_the_destination_before_pickling(tmp_path):
    def unpicklable():
        return 1

    with pytest.raises(RuntimeError, match=f"^Parent directory {tmp_path / 'missing'} does not exist.$"):
        torchless.save(unpicklable, tmp_path / "missing" / "f.pt")
    for name in ("dir/", ".pt"):
        target = os.path.join(tmp_path, name)
        if name.endswith("/"):
            os.makedirs(target)
        with pytest.raises(RuntimeError) as caught:
            torchless.save(unpicklable, target)
        assert str(caught.value) == f"[enforce fail at inline_container.cc:720] . invalid file name: {target}"
    with pytest.raises(AttributeError, match="^expected 'f' to be string, path, or a file-like object"):
        torchless.save(unpicklable, 5)
    with pytest.raises(TypeError, match="^string argument expected, got 'memoryview'$"):
        torchless.save(torchless.ones(2), io.StringIO())
    torchless.save(torchless.ones(2), tmp_path / "a.")  # (a stem: a file name PyTorch takes)
    assert torchless.load(tmp_path / "a.").tolist() == [1.0, 1.0]


def test_load_of_a_text_stream():
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        torchless.load(io.StringIO("x"), weights_only=False)
    with pytest.raises(AssertionError, match="^Expected bytes, got str$"):
        torchless.load(io.StringIO("x"))


# ---------------------------------------------------------------------------------------------- torch parity
def _outcome(call):
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    if isinstance(result, tuple):
        return tuple((str(t.dtype).split(".")[-1], t.tolist()) if hasattr(t, "dtype") else t for t in result)
    return (str(result.dtype).split(".")[-1], result.tolist()) if hasattr(result, "dtype") else result


_PARITY = [e for e, _ in REFUSED] + [
    "x * 2", "x == 2", "x & x", "x.sum()", "x.sort()[0]", "x[torch.tensor([2, 0])]", "x.pow(1)", "x.pow(0)",
    "x.pow(-1)", "x.pow(70000)", "x.topk(5)", "torch.count_nonzero(x, 0)", "x.count_nonzero(())",
    "x.count_nonzero((0,))", "torch.isin(x, 2)", "torch.isin(2, x)", "torch.isin(x, torch.tensor([2]))",
    "x.logical_and(torch.tensor([1, 0, 1]))", "torch.tensor([], dtype=D).sum(dtype=D)", "torch.tensor([], dtype=D) + 1",
    "torch.tensor([], dtype=D).flip(0)", "torch.tensor([], dtype=D).cummax(0)", "torch.tensor(3, dtype=D).cummax(0)",
    "torch.tensor([], dtype=D).bernoulli_(0.5)", "torch.linspace(0, 1, 1, dtype=D)", "torch.linspace(0, 1, 0, dtype=D)",
    "torch.zeros(2, dtype=D).random_(3).shape", "x.scatter(0, torch.tensor([0]), x, reduce='multiply')",
    "x.scatter_reduce(0, torch.tensor([0]), x, 'mean')", "x.index_reduce(0, torch.tensor([0]), x[:1], 'prod', "
    "include_self=False)", "x.clamp(min=x)", "torch.bernoulli(x)", "torch.bernoulli(x, p=0.5)",
    "x.reshape(1, 1, 3).float().bmm(x.reshape(1, 3, 1))", "x.reshape(1, 1, 3).bmm(x.reshape(1, 3, 1).float())",
    "x.float() + x", "x < 2.5", "torch.zeros(2, 2, dtype=D).fill_diagonal_(1)", "x.reshape(3, 1).tril()",
]


@pytest.mark.parametrize("name", list(WIDE))
@pytest.mark.parametrize("expression", _PARITY)
def test_wide_unsigned_ops_as_torch(expression, name):
    torch = pytest.importorskip("torch")
    assert _outcome(lambda: _run(torchless, expression, name)) == _outcome(lambda: _run(torch, expression, name))


@pytest.mark.parametrize("statement", [
    "x[torch.tensor([0])] = 5", "x[x == 1] = 0", "x[0] = 5", "x[1:] = 7", "x[[0, 1]] = 4", "x[None] = 2",
    "x[torch.tensor(0)] = 5", "x[torch.tensor(True)] = 5", "x[[True, False, True]] = 1", "x[...] = 3",
    "x[None, torch.tensor([1])] = 1", "x[torch.tensor([[0]])] = 1",
    "x.index_put_((torch.tensor([0]),), torch.tensor(5, dtype=x.dtype), accumulate=True)",
    "x.index_put_((torch.tensor([True, False, True]),), torch.tensor(5, dtype=x.dtype))",
    "x.put_(torch.tensor([0]), torch.tensor([5], dtype=x.dtype), accumulate=True)",
    "x.index_add_(0, torch.tensor([], dtype=torch.long), torch.tensor([], dtype=x.dtype))",
    "x.masked_fill_(torch.tensor(True), 1)",
])
def test_wide_unsigned_writes_as_torch(statement):
    torch = pytest.importorskip("torch")
    ours = _outcome(lambda: _statement(torchless, statement, "uint16"))
    assert ours == _outcome(lambda: _statement(torch, statement, "uint16"))


@pytest.mark.parametrize("case", ["missing", "dir/", ".pt", "stem.", "text", "number"])
def test_save_destinations_as_torch(case, tmp_path):
    torch = pytest.importorskip("torch")

    def destination(lib):
        if case == "text":
            return io.StringIO()
        if case == "number":
            return 5
        root = os.path.join(tmp_path, "ours" if lib is torchless else "theirs")
        os.makedirs(os.path.join(root, "dir"))
        return os.path.join(root, "missing/f.pt" if case == "missing" else case)

    def save(lib):
        torch_lambda = lambda: 1  # noqa: E731 - pickle cannot save it: the destination must be refused first
        lib.save(torch_lambda if case != "stem." else lib.ones(2), destination(lib))
        return "saved"

    ours, theirs = _outcome(lambda: save(torchless)), _outcome(lambda: save(torch))
    if isinstance(theirs, tuple):  # (each library writes under its own directory)
        theirs = (theirs[0], theirs[1].replace(os.path.join(str(tmp_path), "theirs"), "ROOT"))
        ours = (ours[0], ours[1].replace(os.path.join(str(tmp_path), "ours"), "ROOT"))
    assert ours == theirs


@pytest.mark.parametrize("weights_only", [True, False])
def test_load_of_a_text_stream_as_torch(weights_only):
    torch = pytest.importorskip("torch")
    assert _outcome(lambda: torchless.load(io.StringIO("x"), weights_only=weights_only)) == \
        _outcome(lambda: torch.load(io.StringIO("x"), weights_only=weights_only))


# ---------------------------------------------------------------------------------------------- sparse layouts
_LAYOUT_REFUSALS = {"indices": "sparse coordinate tensor layout", "coalesce": "sparse coordinate tensor layout",
                    "is_coalesced": "sparse coordinate tensor layout", "values": "sparse tensor layout",
                    "crow_indices": "sparse row compressed tensor layout",
                    "col_indices": "sparse row compressed tensor layout",
                    "ccol_indices": "sparse column compressed tensor layout",
                    "row_indices": "sparse column compressed tensor layout"}


@pytest.mark.parametrize("name", list(_LAYOUT_REFUSALS))
def test_sparse_accessors_refuse_a_strided_tensor(name):
    with pytest.raises(RuntimeError) as caught:
        getattr(torchless.ones(2, 3), name)()
    assert str(caught.value) == f"{name} expected {_LAYOUT_REFUSALS[name]} but got Strided"
    with pytest.raises(TypeError, match=rf"^TensorBase.{name}\(\) takes no arguments \(1 given\)$"):
        getattr(torchless.ones(2, 3), name)(1)


def test_strided_answers_of_the_layout_methods():
    x = torchless.ones(2, 3)
    assert (x.dense_dim(), x.sparse_dim(), torchless.ones(()).dense_dim()) == (2, 0, 0)
    assert x.is_distributed() is False and x.const_data_ptr() == x.data_ptr()
    assert x.to_dense() is x and x.to_dense(masked_grad=True) is x
    converted = x.to_dense(torchless.float64)
    assert converted.dtype is torchless.float64 and converted.tolist() == [[1.0] * 3] * 2


@pytest.mark.parametrize("call", [
    lambda lib, x: x.to_dense(1), lambda lib, x: x.to_dense(dtype="x"), lambda lib, x: x.dense_dim(1),
    lambda lib, x: lib.Tensor.indices(None), lambda lib, x: lib.Tensor.dense_dim(), lambda lib, x: x.is_coalesced(b=1),
    lambda lib, x: x.to_dense(lib.float32) is x, lambda lib, x: x.values(),
])
def test_layout_methods_as_torch(call):
    torch = pytest.importorskip("torch")
    assert _outcome(lambda: call(torchless, torchless.ones(2, 3))) == _outcome(lambda: call(torch, torch.ones(2, 3)))
