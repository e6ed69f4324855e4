"""Regression tests for overhead38: the per-op overhead of small tensors cut on the common argument forms, each fast
path giving what the general path gave (and PyTorch gives) for the forms it takes and the ones it leaves to it.

- the sum of a short dense float tensor (torch.sum's cascade order, with fewer NumPy calls),
- expand and the sum's gradient view (read-only views made without broadcast_to / as_strided),
- a Python float or int operand of a float tensor (x * 2.0, x > 0) and the broadcast check,
- permute / .T given plain ints,
- softmax / log_softmax (NumPy's add.reduce instead of ndarray.sum).
"""
import numpy as np
import pytest

import torchless

# sizes around the cascade's vectors (8 floats, 4 doubles), groups of four vectors and the 16-group chunks
SIZES = [5, 6, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 39, 40, 47, 63, 64, 65, 96, 100, 127, 128, 129, 255, 256, 257,
         511, 512, 513, 527, 1000, 2047, 2048, 2049, 4100, 8191]


def _aten_sum(values):
    """torch.sum of a contiguous float row written out as ATen's loops (ReduceOpsKernel.cpp's cascade_sum, for
    fewer than 16 groups of four 32-byte vectors): four accumulators over the vectors, every fourth vector into
    each, the leftover vectors into the first, the four added in order; the leftover elements, then the lanes,
    added one by one to 0. Scalars of the row's dtype, so each addition rounds as the kernel's."""
    zero = values.dtype.type(0)
    width = 32 // values.itemsize
    if len(values) < width:  # (scalars as the vectors: four accumulators, the rest into the first)
        rows, tail = [np.array([v]) for v in values], []
    else:
        whole = len(values) // width * width
        rows, tail = [values[i:i + width] for i in range(0, whole, width)], list(values[whole:])
    assert len(rows) < 4 * 16, "the model covers the first cascade level only"
    lanes = len(rows[0])
    acc = [[zero] * lanes for _ in range(4)]
    grouped = len(rows) // 4 * 4
    for i in range(grouped):
        acc[i % 4] = [a + v for a, v in zip(acc[i % 4], rows[i])]
    for row in rows[grouped:]:
        acc[0] = [a + v for a, v in zip(acc[0], row)]
    for k in range(1, 4):
        acc[0] = [a + v for a, v in zip(acc[0], acc[k])]
    if len(values) < width:
        return acc[0][0]
    total = zero
    for v in tail + acc[0]:
        total = total + v
    return total


def _bits(value):
    return np.asarray(value).tobytes()


# ---------------------------------------------------------------------------------------------------- sum


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_sum_follows_the_cascade_order_written_out(dtype):
    rng = np.random.default_rng(38)
    for size in [s for s in SIZES if s < (512 if dtype == np.float32 else 256)]:
        # magnitudes spread wide, so that the order of the additions shows in the last bits
        values = (rng.standard_normal(size) * 10.0 ** rng.integers(-6, 7, size)).astype(dtype)
        got = torchless.tensor(values).sum()
        assert _bits(got.numpy()) == _bits(_aten_sum(values)), size


def test_short_sum_of_negative_zeros_is_positive_zero():
    # ATen's accumulators start at 0: 0 + -0.0 is +0.0
    for size in (5, 8, 32, 40, 77):
        out = torchless.full((size,), -0.0).sum()
        assert not np.signbit(out.numpy())
        assert _bits(out.numpy()) == _bits(np.float32(0))


def test_short_sum_of_infinities_and_nan_without_warnings():
    x = torchless.tensor([1.0, np.inf, -np.inf, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert np.isnan(x.sum().item())
    big = torchless.full((40,), 3e38)
    assert big.sum().item() == np.inf


def test_exact_sums_of_integers_as_floats():
    for size in SIZES:
        values = np.arange(size, dtype=np.float32) % 7 - 3
        assert torchless.tensor(values).sum().item() == float(values.astype(np.int64).sum())


def _torch_pair(values, torch):
    return torchless.tensor(values), torch.tensor(values)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_short_sum_bitwise_against_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    # (float64 rows of 4096 and more, past the short cascade, differ from torch in their last bits on main too)
    for size in [s for s in SIZES if dtype == "float32" or s < 4096]:
        for scale in (1.0, 1e30):
            values = (rng.standard_normal(size) * scale * 10.0 ** rng.integers(-5, 6, size)).astype(dtype)
            ours, theirs = _torch_pair(values, torch)
            assert _bits(ours.sum().numpy()) == _bits(theirs.sum().numpy()), (size, scale)
            assert _bits(ours.mean().numpy()) == _bits(theirs.mean().numpy()), (size, scale)


@pytest.mark.parametrize("shape", [(4, 8), (2, 3, 5), (8, 4), (1, 33), (3, 1, 7)])
def test_short_sum_layouts_and_keepdim_against_torch(shape):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(2).standard_normal(shape).astype(np.float32) * 1000
    ours, theirs = _torch_pair(values, torch)
    # (whole sums of dense layouts: the short path's; a row sum along a dim, or of a strided tensor, differs from
    # torch in its last bits on main too)
    for a, b in ((ours, theirs), (ours.transpose(0, -1), theirs.transpose(0, -1)), (ours.flip(0), theirs.flip(0))):
        for kwargs in ({}, {"dim": None}, {"dim": tuple(range(a.dim())), "keepdim": True}):
            got, want = a.sum(**kwargs), b.sum(**kwargs)
            assert tuple(got.shape) == tuple(want.shape) and got.stride() == want.stride(), kwargs
            assert _bits(got.numpy()) == _bits(want.numpy()), kwargs
            assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]


def test_sums_the_fast_path_leaves_alone_against_torch():
    torch = pytest.importorskip("torch")
    cases = [np.arange(12, dtype=np.int64).reshape(3, 4), np.array([[True, False, True]] * 3),
             np.zeros((0, 4), np.float32), np.float32(2.5), np.array([1.5, 2.5, 3.5, 4.5], np.float32),
             np.arange(20, dtype=np.float16) / 3]
    for values in cases:
        ours, theirs = _torch_pair(values, torch)
        got, want = ours.sum(), theirs.sum()
        assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_sum_backward_gradient_view_against_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32)
    for make in (lambda t: t, lambda t: t[:1], lambda t: t.t(), lambda t: t.reshape(1, 32, 1)):
        ours = torchless.tensor(values, requires_grad=True)
        theirs = torch.tensor(values, requires_grad=True)
        (g_ours,) = torchless.autograd.grad(make(ours).sum() * 3, ours)
        (g_theirs,) = torch.autograd.grad(make(theirs).sum() * 3, theirs)
        assert g_ours.stride() == g_theirs.stride()
        np.testing.assert_array_equal(g_ours.numpy(), g_theirs.numpy())
        for reduce in (lambda t: t.sum(), lambda t: t.mean(), lambda t: t.sum(0), lambda t: t.sum(1, keepdim=True)):
            a, b = make(ours), make(theirs)
            reduce(a).backward(gradient=torchless.ones(reduce(a).shape)) if reduce(a).dim() else reduce(a).backward()
            reduce(b).backward(gradient=torch.ones(reduce(b).shape)) if reduce(b).dim() else reduce(b).backward()
            np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# ---------------------------------------------------------------------------------------------------- expand


def _expand_cases(lib):
    base = lib.arange(24.0).reshape(4, 6)
    return [
        (base[:1], (4, 6)), (base[:, :1], (4, 6)), (base[:1], (2, 4, 6)), (base[:1, :1], (1, 3, 1, 5)),
        (lib.tensor(7.0), (2, 3)), (lib.tensor(7.0), ()), (base[:1].t(), (6, 3)), (base[::2, :1], (2, 5)),
        (base[:1], (0, 6)), (lib.ones(1, 1, 3), (2, 1, 3)), (base, (-1, 6)), (base[:1], (1, 1, -1, 6)),
        (lib.ones(3, 1, dtype=lib.int32), (3, 4)), (lib.ones(1, dtype=lib.bool), (5,)),
    ]


def test_expand_strides_values_and_memory_against_torch():
    torch = pytest.importorskip("torch")
    for (a, shape), (b, _) in zip(_expand_cases(torchless), _expand_cases(torch)):
        got, want = a.expand(shape), b.expand(shape)
        assert tuple(got.shape) == tuple(want.shape), shape
        assert got.stride() == want.stride(), shape
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.is_contiguous() == want.is_contiguous()


def test_expand_is_a_view_of_its_base():
    # an independent check: the view follows its base's writes and is not writable through itself
    base = torchless.zeros(2, 3)
    view = base[:1].expand(4, 3)
    base[0, 1] = 5.0
    assert view.numpy()[:, 1].tolist() == [5.0] * 4
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        view.add_(1)
    assert view._base is base
    assert view.stride() == (0, 1)


def test_expand_errors_against_torch():
    torch = pytest.importorskip("torch")
    for shape in [(3, 6), (2,), (-1, -1, 6)]:
        with pytest.raises(RuntimeError) as ours:
            torchless.ones(4, 6)[:2].expand(*shape)
        with pytest.raises(RuntimeError) as theirs:
            torch.ones(4, 6)[:2].expand(*shape)
        assert str(ours.value).replace("torchless.", "torch.") == str(theirs.value)


def test_expand_gradient_against_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(6.0, dtype=np.float32).reshape(1, 6)
    ours = torchless.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    weights = np.arange(24.0, dtype=np.float32).reshape(4, 6)
    (ours.expand(4, 6) * torchless.tensor(weights)).sum().backward()
    (theirs.expand(4, 6) * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), weights.sum(0, keepdims=True))


# ---------------------------------------------------------------------------------------------------- numbers


# (2 ** 63 and 2 ** 64 - 1 times a float16 zero: torch's 0, torchless's NaN, on main too)
_OPERANDS = [2.0, 0, 3, -1.5, 1e39, -1e39, 70000, 70000.5, 2 ** 63 - 1, 2 ** 64, float("nan"), 65504, 65520.0,
             float("inf"), True, np.float64(2.5), np.int64(4), 1e-46, -2 ** 63]
_DTYPES = ["float16", "float32", "float64", "int32", "int64", "bool", "uint8"]


def _outcome(fn):
    try:
        out = fn()
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return type(error).__name__, str(error)
    return str(out.dtype).split(".")[1], tuple(out.shape), out.numpy().tolist()


def _same(a, b):
    if len(a) == 3 and len(b) == 3 and a[:2] == b[:2]:
        return np.array_equal(np.array(a[2], complex), np.array(b[2], complex), equal_nan=True)
    return a == b


# (pytest's own warning filters replace the one torchless installs: an integer tensor times NaN, promoted, warns)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", _DTYPES)
def test_number_operands_against_torch(dtype):
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, -2.0, 3.0], [1.0, 0.0, 7.0]])
    ours = torchless.tensor(values).to(getattr(torchless, dtype))
    theirs = torch.tensor(values).to(getattr(torch, dtype))
    ops = [lambda t, n: t * n, lambda t, n: n * t, lambda t, n: t + n, lambda t, n: t - n, lambda t, n: t > n,
           lambda t, n: t == n, lambda t, n: t <= n, lambda t, n: t / n]
    # (a bool tensor minus 2 ** 64: torch's OverflowError, torchless's bool-subtraction error, on main too)
    for number in [n for n in _OPERANDS if dtype != "bool" or n != 2 ** 64]:
        for k, op in enumerate(ops):
            got, want = _outcome(lambda: op(ours, number)), _outcome(lambda: op(theirs, number))
            assert _same(got, want), (dtype, number, k, got, want)


def test_number_operand_of_a_float_tensor_first_principles():
    x = torchless.tensor([1.0, -2.0, 3.0])
    assert (x * 2.0).tolist() == [2.0, -4.0, 6.0] and (x * 2.0).dtype == torchless.float32
    assert (x + 1).dtype == torchless.float32 and (x + 1).tolist() == [2.0, -1.0, 4.0]
    assert (x > 0).tolist() == [True, False, True]
    assert (x * 1e39).tolist() == [np.inf, -np.inf, np.inf]  # beyond float32: inf, as the number rounds
    h = torchless.tensor([1.0, 2.0], dtype=torchless.float16)
    assert (h * 70000).tolist() == [np.inf, np.inf] and (h * 70000).dtype == torchless.float16
    with pytest.raises(OverflowError):
        x * 2 ** 64


def test_number_operand_requires_grad_against_torch():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -2.0, 3.0], np.float32)
    ours, theirs = torchless.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for op in (lambda t: t * 2.5, lambda t: 3 - t, lambda t: t / 4):
        a, b = op(ours), op(theirs)
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("shapes", [((2, 3), (4, 3)), ((3,), (4,)), ((2, 1, 3), (5, 4)), ((), (4,)), ((2, 3), (3,)),
                                    ((0, 3), (3,)), ((0,), (2,))])
def test_broadcast_check_against_torch(shapes):
    torch = pytest.importorskip("torch")
    a_shape, b_shape = shapes
    for op in (lambda a, b: a + b, lambda a, b: a > b, lambda a, b: a == b, lambda a, b: a * b):
        got = _outcome(lambda: op(torchless.ones(a_shape), torchless.ones(b_shape)))
        want = _outcome(lambda: op(torch.ones(a_shape), torch.ones(b_shape)))
        assert _same(got, want), (shapes, got, want)


# ---------------------------------------------------------------------------------------------------- permute


_PERMUTE_ARGS = [(1, 0), ((1, 0),), ([1, 0],), (-1, 0), (0, -2), (0, 0), (2, 0), (1,), (True, False), ((),), (),
                 (np.int64(1), 0), ((1, 0, 2),), (torchless.Size([1, 0]),)]


def test_permute_against_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    for args in _PERMUTE_ARGS:
        torch_args = tuple(torch.Size(a) if isinstance(a, torchless.Size) else a for a in args)
        got = _outcome(lambda: torchless.tensor(values).permute(*args))
        want = _outcome(lambda: torch.tensor(values).permute(*torch_args))
        assert _same(got, want), (args, got, want)
    for args in [(), ((),)]:
        got = _outcome(lambda: torchless.tensor(2.0).permute(*args))
        want = _outcome(lambda: torch.tensor(2.0).permute(*args))
        assert _same(got, want), (args, got, want)


def test_permute_and_t_views_and_nodes_against_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    ours, theirs = torchless.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for op in (lambda t: t.permute(2, 0, 1), lambda t: t.permute([-1, -3, 1]), lambda t: t[0].T,
               lambda t: t[0].permute(1, 0), lambda t: t.permute(dims=(1, 2, 0))):
        a, b = op(ours), op(theirs)
        assert tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
        assert a.grad_fn._saved_dims == b.grad_fn._saved_dims
        assert a._base is ours
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        (a * torchless.arange(float(a.numel())).reshape(a.shape)).sum().backward()
        (b * torch.arange(float(b.numel())).reshape(b.shape)).sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_t_property_first_principles():
    x = torchless.arange(6.0).reshape(2, 3)
    assert x.T.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert x.T.stride() == (1, 3)
    x.T[0, 1] = 9.0  # a view: the write reaches x
    assert x[1, 0].item() == 9.0


# ---------------------------------------------------------------------------------------------------- softmax


@pytest.mark.parametrize("shape,dim", [((4, 8), 1), ((4, 8), 0), ((2, 3, 5), -1), ((7,), 0), ((), 0), ((3, 0), 1)])
def test_softmax_forward_and_backward_against_torch(shape, dim):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(4).standard_normal(shape).astype(np.float32) * 3
    weights = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        ours, theirs = torchless.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        a, b = getattr(torchless, name)(ours, dim), getattr(torch, name)(theirs, dim)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)
        (a * torchless.tensor(weights)).sum().backward()
        (b * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax_against_float64_reference():
    values = np.random.default_rng(6).standard_normal((5, 9)) * 4
    exp = np.exp(values - values.max(1, keepdims=True))
    want = exp / exp.sum(1, keepdims=True)
    got = torchless.softmax(torchless.tensor(values.astype(np.float32)), 1).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    got = torchless.log_softmax(torchless.tensor(values.astype(np.float32)), 1).numpy()
    np.testing.assert_allclose(got, np.log(want), rtol=2e-6, atol=2e-6)
    # the gradient of sum(w * softmax(x)) is y * (w - sum(w * y)) along the dim
    x = torchless.tensor(values, requires_grad=True)
    weights = np.arange(45.0).reshape(5, 9) % 4
    (torchless.softmax(x, 1) * torchless.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want * (weights - (weights * want).sum(1, keepdims=True)), rtol=1e-10)


def test_sum_and_mean_without_arguments_against_torch():
    torch = pytest.importorskip("torch")
    cases = [np.arange(6, dtype=np.int32).reshape(2, 3), np.array([True, False, True]), np.float64(1.5),
             np.ones((2, 0), np.float32), (np.arange(6) + 1j).astype(np.complex64), np.arange(7, dtype=np.uint8)]
    for values in cases:
        ours, theirs = _torch_pair(values, torch)
        for name in ("sum", "mean"):
            got = _outcome(lambda: getattr(ours, name)())
            want = _outcome(lambda: getattr(theirs, name)())
            assert _same(got, want), (values.dtype, name, got, want)
    values = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    ours, theirs = torchless.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for name in ("sum", "mean"):
        a, b = getattr(ours, name)(), getattr(theirs, name)()
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
        assert a.grad_fn._saved_self_sym_sizes == b.grad_fn._saved_self_sym_sizes
        a.backward()
        b.backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# ---------------------------------------------------------------------------------------------------- max(dim), tensor


@pytest.mark.parametrize("shape", [(4, 8), (7,), (2, 3, 4), (1, 5), (5, 1), (2, 0, 3)])
def test_max_min_along_a_dim_against_torch(shape):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    if values.ndim > 1 and values.size:
        values[0, 0] = np.nan  # (NaN wins, at its index)
        values[-1, ...] = 0.0
        values[-1, ..., :1] = -0.0  # (ties: the first, -0.0 against 0.0)
    for dim in range(-len(shape), len(shape)):
        for keepdim in (False, True):
            for name in ("max", "min"):
                got = _outcome(lambda: getattr(torchless.tensor(values), name)(dim, keepdim).values)
                want = _outcome(lambda: getattr(torch.tensor(values), name)(dim, keepdim).values)
                assert _same(got, want), (shape, dim, keepdim, name)
                if len(got) == 3 and got[-1]:
                    ours = getattr(torchless.tensor(values), name)(dim, keepdim)
                    theirs = getattr(torch.tensor(values), name)(dim, keepdim)
                    assert _bits(ours.values.numpy()) == _bits(theirs.values.numpy())
                    assert ours.values.stride() == theirs.values.stride()
                    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_max_along_a_dim_first_principles():
    x = torchless.tensor([[1.0, 5.0, 5.0], [-0.0, 0.0, -1.0], [2.0, float("nan"), 3.0]], requires_grad=True)
    values, indices = x.max(1)
    assert indices.tolist() == [1, 0, 1]  # the first of ties; NaN is the maximum
    assert values.tolist()[:2] == [5.0, -0.0] and np.signbit(values.detach().numpy()[1])
    assert np.isnan(values.tolist()[2])
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_tensor_from_a_list_of_floats_against_torch():
    torch = pytest.importorskip("torch")
    for data in ([1.0, 2.0], [0.1, -1e-46, 1e39, float("nan"), float("-inf")], [1.0, 2], [1.0, True], [3.5],
                 [np.float64(0.1), 0.2], [[1.0, 2.0]], []):
        for kwargs in ({}, {"dtype": "float64"}, {"dtype": "int64"}, {"requires_grad": True}):
            ours_kwargs = {k: getattr(torchless, v) if k == "dtype" else v for k, v in kwargs.items()}
            theirs_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
            got = _outcome(lambda: torchless.tensor(data, **ours_kwargs).detach())
            want = _outcome(lambda: torch.tensor(data, **theirs_kwargs).detach())
            assert _same(got, want), (data, kwargs, got, want)
    previous = torch.get_default_dtype()
    try:
        torchless.set_default_dtype(torchless.float64)
        torch.set_default_dtype(torch.float64)
        got, want = torchless.tensor([0.1, 1e39]), torch.tensor([0.1, 1e39])
        assert got.dtype == torchless.float64 and _bits(got.numpy()) == _bits(want.numpy())
    finally:
        torchless.set_default_dtype(getattr(torchless, str(previous).split(".")[1]))
        torch.set_default_dtype(previous)


def test_tensor_from_a_list_of_floats_first_principles():
    out = torchless.tensor([0.1, 1e39, -1e-46])
    assert out.dtype == torchless.float32
    assert out.numpy().tobytes() == np.array([np.float32(0.1), np.inf, -0.0], np.float32).tobytes()


def test_to_dtype_against_torch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, -2.0, np.nan], [1e39, 3.0, -0.0]])
    for source in ("float32", "float64", "float16", "int64", "bool"):
        for target in ("float32", "float64", "float16", "int32", "bool", "complex64", "uint8"):
            ours = torchless.tensor(values).to(getattr(torchless, source))
            theirs = torch.tensor(values).to(getattr(torch, source))
            got = _outcome(lambda: ours.to(getattr(torchless, target)))
            want = _outcome(lambda: theirs.to(getattr(torch, target)))
            assert _same(got, want), (source, target)
            same = ours.to(getattr(torchless, target))
            assert (same is ours) == (theirs.to(getattr(torch, target)) is theirs)
    ours = torchless.ones(2, 3, requires_grad=True)
    theirs = torch.ones(2, 3, requires_grad=True)
    a, b = ours.t().to(torchless.float64), theirs.t().to(torch.float64)
    assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__ and a.stride() == b.stride()
    (a * 2).sum().backward()
    (b * 2).sum().backward()
    assert ours.grad.dtype == torchless.float32 and ours.grad.tolist() == theirs.grad.tolist()


def test_cat_against_torch():
    torch = pytest.importorskip("torch")

    def cases(lib):
        a, b = lib.arange(6.0).reshape(2, 3), lib.arange(6.0, 12.0).reshape(2, 3)
        empty, scalar = lib.zeros(0), lib.tensor(1.0)
        return [((a, b), {}), ((a, b), {"dim": 1}), ((a, b), {"dim": -1}), ((a, empty, b), {}),
                ((empty, a), {"dim": 1}),
                ((empty, empty), {"dim": 5}), ((a, scalar), {}), ((scalar, a), {}), ((a, lib.ones(3, 2)), {}),
                ((a, lib.ones(2, 3, 1)), {}), ((a.t(), b.t()), {}), ((a, b), {"dim": 2}), ((lib.ones(3), empty), {}),
                ((a,), {}), ((a, b.int()), {})]

    for (ours, kwargs), (theirs, _) in zip(cases(torchless), cases(torch)):
        got = _outcome(lambda: torchless.cat(list(ours), **kwargs))
        want = _outcome(lambda: torch.cat(list(theirs), **kwargs))
        assert _same(got, want), (kwargs, got, want)
        if len(got) == 3:
            assert torchless.cat(list(ours), **kwargs).stride() == torch.cat(list(theirs), **kwargs).stride()
    x, y = torchless.ones(2, 3, requires_grad=True), torchless.ones(1, 3, requires_grad=True)
    out = torchless.cat([x, torchless.zeros(0), y])
    assert out.shape == (3, 3) and type(out.grad_fn).__name__ == "CatBackward0"
    (out * torchless.arange(9.0).reshape(3, 3)).sum().backward()
    assert y.grad.tolist() == [[6.0, 7.0, 8.0]] and x.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
