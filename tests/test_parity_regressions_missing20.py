"""Regression tests of session 20's missing torch functions (window functions, ...) against PyTorch 2.13."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

WINDOWS = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]


def _outcome(module, call):
    try:
        result = eval("T." + call, {"T": module})
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return result.detach().numpy(), str(result.dtype).split(".")[-1], result.requires_grad, result.stride()


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_values(name, dtype, periodic):
    extra = {"hamming_window": (0.3, 0.6), "kaiser_window": (7.5,)}.get(name, ())
    for length in list(range(0, 24)) + [101, 512]:
        for arguments in {(), extra}:
            expected = getattr(torch, name)(length, periodic, *arguments, dtype=getattr(torch, dtype))
            got = getattr(torchless, name)(length, periodic, *arguments, dtype=getattr(torchless, dtype))
            assert got.shape == tuple(expected.shape) and got.stride() == expected.stride()
            assert str(got.dtype) == str(expected.dtype).replace("torch", "torchless")
            # the cosines of PyTorch's SLEEF kernels and its float32 Bessel I0 differ in their last bits
            ulps = 8 if name == "kaiser_window" else 2
            np.testing.assert_allclose(got.numpy().astype(np.float64), expected.numpy().astype(np.float64),
                                       rtol=0, atol=ulps * float(np.finfo(dtype).eps))


def test_window_halves_round_the_scale_to_half_first():
    # PyTorch's mul_ by the Python scale rounds it to the tensor's dtype: bit-exact for float16
    for length in range(2, 40):
        for periodic in (True, False):
            expected = torch.bartlett_window(length, periodic, dtype=torch.float16).numpy()
            got = torchless.bartlett_window(length, periodic, dtype=torchless.float16).numpy()
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("call", [
    'hann_window("a")', "hann_window(-1)", "hann_window(3, dtype=T.int64)", "kaiser_window(3, dtype=T.int32)",
    "bartlett_window(3, dtype=T.complex64)", "hann_window(3, periodic=None)", "hann_window(3.0)", "hann_window(0)",
    "hann_window(1, requires_grad=True)", "kaiser_window(1)", "hann_window(5, layout=T.sparse_coo)",
    "hamming_window(5, False, 0.3)", "hamming_window(5, alpha=0.3)", "kaiser_window(5, beta=3)", "hann_window(True)",
    "hann_window(T.tensor(4))", "hann_window(4, out=T.empty(2))",
    "hann_window(3, dtype=T.float64, layout=T.sparse_coo)", "hann_window(-3, dtype=T.int16)",
    "hann_window(3, pin_memory=True)", "hann_window(3, requires_grad=None)",
    "hann_window(4, True, dtype=T.float64, requires_grad=True)", "blackman_window(0, dtype=T.bool)",
    "kaiser_window(1, True, 2.0, dtype=T.complex64)", "hann_window(3, periodic=False)",
    "blackman_window(7, dtype=T.uint8)", "hamming_window(6, True, 1, 2, dtype=T.float64)",
])
def test_window_arguments_and_errors(call):
    expected, got = _outcome(torch, call), _outcome(torchless, call)
    assert len(got) == len(expected)
    if isinstance(expected[0], str):
        assert got == expected
    else:
        np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-7)
        assert got[1:] == expected[1:]


GRADIENT_CALLS = [
    "T.gradient(x)", "T.gradient(x, spacing=2.0)", "T.gradient(x, spacing=[1., 2.])", "T.gradient(x, spacing=[1.])",
    "T.gradient(x, dim=1)", "T.gradient(x, dim=[0, 1], spacing=[2, 3])", "T.gradient(x, dim=1, spacing=[2, 3])",
    "T.gradient(x, edge_order=3)", "T.gradient(x, dim=5)", "T.gradient(x[:2], edge_order=2)",
    "T.gradient(x.to(T.uint8))", "T.gradient(x.long())", "T.gradient(x.long(), spacing=2)",
    "T.gradient(x, spacing=(T.arange(4.),))", "T.gradient(x, spacing=(T.arange(4.) ** 2,), dim=0)",
    "T.gradient(x, spacing=T.arange(4.), dim=0)", "T.gradient(x, spacing=[T.ones(2, 2)], dim=0)",
    "T.gradient(x, spacing=[T.arange(3.)], dim=0)", "T.gradient(x, dim=[0, 0])", "T.gradient(x, spacing=2, dim=[0, 1])",
    "T.gradient(T.tensor(3.))", "T.gradient(x, 1.0)", "T.gradient(x, spacing=None, dim=None)", "T.gradient(x, dim=())",
    "T.gradient(x, spacing=[])", "T.gradient(x, dim=(0,), spacing=[T.arange(4)])", "T.gradient(xd, edge_order=2)",
    "T.gradient(xd, edge_order=2, spacing=[0.5, 2, 3])",
    "T.gradient(xd, edge_order=2, dim=[-1, 0], spacing=[T.linspace(0, 1, 6) ** 2, T.tensor([0., 1., 3.])])",
    "T.gradient(xd, edge_order=2, dim=-1, spacing=[T.linspace(0, 1, 6) ** 2])",
    "T.gradient(xd, dim=2, spacing=T.tensor(0.5))", "T.gradient(xd, spacing=3, edge_order=2)",
    "T.gradient(x, edge_order=True)", "T.gradient(x, dim=[1, 0])", "T.gradient(input=x)", "T.gradient(x, foo=1)",
    "T.gradient(x.bool())", "T.gradient(x, spacing=[T.tensor(2.), 1])", "T.gradient(x, spacing=[1, T.ones(3)])",
    "T.gradient(x, spacing=[T.ones(4), 2.0])", "T.gradient(x, spacing=[T.tensor(2.), T.tensor(1.)])", "T.gradient(x.to(T.int8), spacing=2)", "T.gradient(x.half(), spacing=2, edge_order=2)",
]


def _gradient_outcome(module, call, x, xd):
    try:
        results = eval(call, {"T": module, "x": module.tensor(x), "xd": module.tensor(xd)})
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return [(r.numpy(), str(r.dtype).split(".")[-1], r.stride()) for r in results]


@pytest.mark.parametrize("call", GRADIENT_CALLS)
def test_gradient_values_and_errors(call):
    rng = np.random.default_rng(3)
    x, xd = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((3, 4, 6))
    expected, got = _gradient_outcome(torch, call, x, xd), _gradient_outcome(torchless, call, x, xd)
    if isinstance(expected, tuple):
        assert got == expected
        return
    assert isinstance(got, list) and len(got) == len(expected)
    for (got_values, *got_layout), (values, *layout) in zip(got, expected):
        assert got_layout == layout
        np.testing.assert_allclose(got_values, values, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_backward(edge_order):
    rng = np.random.default_rng(4)
    data, coordinates = rng.standard_normal((3, 5)), np.cumsum(rng.uniform(0.5, 1.5, 5))
    grads = []
    for module in (torch, torchless):
        x = module.tensor(data, requires_grad=True)
        spacing = module.tensor(coordinates, requires_grad=True)
        first, second = module.gradient(x, spacing=[module.arange(3.0) * 2, spacing], edge_order=edge_order)
        (first * 2 + second.sin()).sum().backward()
        grads.append((x.grad.numpy(), spacing.grad.numpy(), type(first.grad_fn).__name__))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-10)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-10)
    assert grads[1][2] == grads[0][2]
    x = torchless.tensor(data, requires_grad=True)
    assert torchless.autograd.gradcheck(lambda t: torchless.gradient(t, edge_order=edge_order), (x,))


def _call_outcome(module, call, **names):
    """The result's values, dtype, strides and requires_grad of ``call`` with ``T`` the module, or its error."""
    try:
        result = eval(call, {"T": module, "np": np, **{k: module.tensor(v) for k, v in names.items()}})
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return (result.detach().numpy().round(5).tolist(), str(result.dtype).split(".")[-1], result.stride(),
            result.requires_grad)


@pytest.mark.parametrize("call", [
    "T.empty_permuted((2, -3), (0, 0))", "T.empty_permuted((2, -3), (0,))", "T.empty_permuted((2, 3), (0, -1))",
    "T.empty_permuted((2, 3), (1, 1))", "T.empty_permuted(3, (0,))", "T.empty_permuted((2, 0, 3), (2, 1, 0))",
    "T.empty_permuted((2, 3), (1, 0), dtype=T.int32)", "T.empty_permuted((2, 3), [1, 0], requires_grad=True)",
    "T.empty_permuted((2, 3), physical_layout=(1, 0))", "T.empty_permuted((2, 3), (1., 0))",
    "T.empty_permuted(size=(2, 3), physical_layout=(1, 0), memory_format=None)", "T.empty_permuted([], [])",
    "T.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1))", "T.empty_permuted((2, -3), (0, 1))",
    "T.empty_permuted((2, 3), (1, 0), pin_memory=True)", "T.empty_permuted((2, 3), (1, 0), device='cpu')",
])
def test_empty_permuted(call):
    expected, got = _call_outcome(torch, call), _call_outcome(torchless, call)
    if isinstance(expected[0], str):
        assert got == expected
    else:  # (an uninitialised tensor: its layout compared, not its values)
        assert got[1:] == expected[1:] and np.shape(got[0]) == np.shape(expected[0])


@pytest.mark.parametrize("call", [
    "T.fill(x, 2)", "T.fill(x, T.tensor(3.))", "T.fill(x, T.ones(2))", "T.fill(x, 2.5, out=x)", "T.fill(x.t(), 2)",
    "T.fill(x.long(), 2.7)", "T.fill(x.half(), 1e6)", "T.fill(x, 'a')", "T.fill(x, T.tensor(3, dtype=T.int64))",
    "T.fill(x.int(), T.tensor(3.9))", "T.fill(x[:, ::2], 1)", "T.fill(x, value=5)", "T.fill(input=x, value=True)",
    "T.fill(x, np.float64(2))", "T.fill(x.requires_grad_(), 4)",
])
def test_fill_function(call):
    data = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    assert _call_outcome(torchless, call, x=data) == _call_outcome(torch, call, x=data)


@pytest.mark.parametrize("value_is_tensor", [False, True])
def test_fill_function_backward(value_is_tensor):
    outcomes = []
    for module in (torch, torchless):
        x = module.arange(6.0, dtype=module.float64).reshape(2, 3).requires_grad_()
        value = module.tensor(2.0, dtype=module.float64, requires_grad=True) if value_is_tensor else 2.0
        filled = module.fill(x, value)
        (filled * module.arange(6.0, dtype=module.float64).reshape(2, 3)).sum().backward()
        outcomes.append((type(filled.grad_fn).__name__,
                         [type(node).__name__ for node, _ in filled.grad_fn.next_functions], x.grad.tolist(),
                         value.grad.tolist() if value_is_tensor else None))
    assert outcomes[1] == outcomes[0]


CHAIN_CALLS = [
    "T.chain_matmul(a, b, c)", "T.chain_matmul(a)", "T.chain_matmul(a.requires_grad_())", "T.chain_matmul(a, c)",
    "T.chain_matmul(a, b, b)", "T.chain_matmul(a, b.double())", "T.chain_matmul(a, b, c.double())",
    "T.chain_matmul(a, T.ones(3))", "T.chain_matmul([a, b])", "T.chain_matmul(a.int(), b.int())",
    "T.chain_matmul(T.ones(3, 3, 3))", "T.chain_matmul(a, b, c, out=T.empty(2, 5))", "T.chain_matmul()",
    "T.chain_matmul(a, b, c, c.t())", "T.chain_matmul(a.double(), b.double(), c.double(), c.t().double())",
]


@pytest.mark.parametrize("call", CHAIN_CALLS)
def test_chain_matmul(call):
    rng = np.random.default_rng(5)
    operands = {name: rng.standard_normal(shape).astype(np.float32)
                for name, shape in (("a", (2, 3)), ("b", (3, 4)), ("c", (4, 5)))}
    outcomes = []
    for module in (torch, torchless):
        previous = module.is_warn_always_enabled()
        module.set_warn_always(True)  # (PyTorch warns once per process otherwise)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outcome = _call_outcome(module, call, **operands)
            outcomes.append((outcome, [str(w.message).split(" (Triggered")[0] for w in caught]))
        finally:
            module.set_warn_always(previous)
    assert outcomes[1] == outcomes[0]


VIEW_COPY_CALLS = [
    "permute_copy(x, (2, 0, 1))", "transpose_copy(x, 0, 2)", "t_copy(x[0])", "expand_copy(x[:, :1], (2, 5, 4))",
    "squeeze_copy(x[:, :1])", "squeeze_copy(x[:, :1], 1)", "squeeze_copy(x[:, :1], (1,))", "unsqueeze_copy(x, 1)",
    "select_copy(x, 1, 2)", "slice_copy(x, 1, 0, 3, 2)", "slice_copy(x)", "slice_copy(x, 2, -2)",
    "slice_copy(x, 1, 0, 3, 0)", "split_copy(x, 2, 2)", "split_with_sizes_copy(x, [1, 3], 2)", "unbind_copy(x, 1)",
    "unbind_copy(x.detach())", "diagonal_copy(x, 0, 1, 2)", "diagonal_copy(x, offset=1, dim1=2, dim2=1)",
    "alias_copy(x)", "view_as_real_copy(z)", "view_as_complex_copy(c.detach().float())", "view_as_complex_copy(c)",
    "unfold_copy(x, 2, 2, 1)", "view_copy(x, (6, 4))", "view_copy(x, 6, 4)", "view_copy(x, -1)",
    "view_copy(x, T.float32)", "as_strided_copy(x, (2, 2), (1, 2))", "permute_copy(x, (0, 0, 1))",
    "permute_copy(x, 1.0)", "transpose_copy(x, 0, 5)", "transpose_copy(x, dim0=0, dim1=1)", "permute_copy([1], (0,))",
    "expand_copy(x, (3, 3))", "select_copy(x, 0, 9)", "detach_copy(x)",
    "permute_copy(x, (2, 0, 1), out=T.empty(0))", "permute_copy(x.detach(), (2, 0, 1), out=T.empty(3, dtype=T.float64))",
    "split_copy(x.detach(), 2, 2, out=[T.empty(2, 3, 2)] * 2)", "split_with_sizes_copy(x, [1, 3], 2, out=[T.empty(1)])",
    "unbind_copy(x, 1, out=[T.empty(1)])", "unbind_copy(x, 1, out=T.empty(1))",
]


def _view_copy_outcome(module, call):
    rng = np.random.default_rng(1)
    x = module.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    c = module.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    z = module.tensor((rng.standard_normal(2) + 1j * rng.standard_normal(2)).astype(np.complex64))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (out's resize warning)
            result = eval("T." + call, {"T": module, "x": x, "c": c, "z": z})
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    if result is None:
        return None
    results = result if isinstance(result, tuple) else (result,)
    outcome = [type(result).__name__]
    for piece in results:
        outcome.append((piece.detach().numpy().tolist(), str(piece.dtype).split(".")[-1], piece.stride(),
                         piece.requires_grad, type(piece.grad_fn).__name__, piece.is_contiguous()))
    if results[0].requires_grad and results[0].grad_fn is not None:
        weighted = sum((p * module.arange(p.numel(), dtype=p.dtype).reshape(p.shape)).sum() for p in results)
        try:
            outcome.append([g.numpy().tolist() for g in module.autograd.grad(weighted, (x, c), allow_unused=True)
                            if g is not None])
        except RuntimeError as error:
            outcome.append(str(error))
    return outcome


@pytest.mark.parametrize("call", VIEW_COPY_CALLS)
def test_view_copy_functions(call):
    assert _view_copy_outcome(torchless, call) == _view_copy_outcome(torch, call)


def test_view_copies_share_no_memory_and_differentiate_twice():
    x = torchless.randn(2, 3, 4, dtype=torchless.float64, requires_grad=True)
    for copy in (lambda t: torchless.permute_copy(t, (2, 0, 1)), lambda t: torchless.expand_copy(t[:, :1], (2, 5, 4)),
                 lambda t: torchless.diagonal_copy(t, 0, 1, 2), lambda t: torchless.split_copy(t, 3, 2)[1],
                 lambda t: torchless.unfold_copy(t, 2, 2, 1), lambda t: torchless.alias_copy(t)):
        assert not np.shares_memory(copy(x).detach().numpy(), x.detach().numpy())
        assert torchless.autograd.gradcheck(copy, (x,)) and torchless.autograd.gradgradcheck(copy, (x,))


LEGACY_CALLS = [
    "x.resize(3, 2)", "x.resize(4, 4)", "x.resize((1, 6))", "x.resize(2)", "x.resize_as(T.ones(3, 2))",
    "x.resize_as(T.ones(7))", "x.clone().requires_grad_().resize(3, 2)",
    "x.clone().requires_grad_().resize_as(T.ones(3, 2))", "x.clone().as_strided_((3,), (2,))",
    "x.clone().as_strided_((3,), (2,), 1)", "x.clone().requires_grad_().as_strided_((3,), (1,))",
    "x.clone().as_strided_((30,), (2,))", "T.as_strided_(x.clone(), (2,), (1,))", "x.resize(-1)", "x.resize(2.0)",
    "(x.clone().requires_grad_() * 1).as_strided_((3,), (1,))", "x.t().resize(6)", "T.ger(T.ones(2), T.arange(3.))",
    "T.ger(T.ones(2, 2), T.ones(2))", "T.ger(T.ones(2, dtype=T.int64), T.arange(3.))", "x[0].ger(T.arange(2.))",
]


def _legacy_outcome(module, call):
    x = module.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = eval(call, {"T": module, "x": x})
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            return (type(error).__name__, str(error).replace("torchless", "torch")), [str(w.message) for w in caught]
    outcome = (result.detach().numpy().tolist(), result.stride(), type(result.grad_fn).__name__,
               result.storage_offset(), np.shares_memory(result.detach().numpy(), x.numpy()))
    return outcome, [str(w.message) for w in caught]


@pytest.mark.parametrize("call", LEGACY_CALLS)
def test_legacy_tensor_methods(call):
    assert _legacy_outcome(torchless, call) == _legacy_outcome(torch, call)


def test_resize_backward_and_deprecated_ger_out():
    grads = []
    for module in (torch, torchless):
        x = module.arange(6.0, dtype=module.float64).reshape(2, 3).t().requires_grad_()
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            resized = x.resize(2, 3)
        (resized * module.arange(6.0, dtype=module.float64).reshape(2, 3)).sum().backward()
        grads.append((x.grad.tolist(), x.grad.stride(), type(resized.grad_fn).__name__))
    assert grads[1] == grads[0]
    previous = torchless.is_warn_always_enabled()
    torchless.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match=r"^torch\.ger is deprecated and will be removed in a future PyTorch "
                                             r"release\. Use torch\.outer instead\. \(Triggered internally at "
                                             r"/__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra\.cpp:1270\.\)$"):
            torchless.ger(torchless.ones(2), torchless.ones(3), out=torchless.empty(2, 3))
    finally:
        torchless.set_warn_always(previous)


DEPRECATED_LINALG_CALLS = [
    "T.cholesky(spd)", "T.cholesky(spd, upper=True)", "spd.cholesky()", "T.cholesky(bspd)", "T.cholesky_inverse(L)",
    "T.cholesky_inverse(L.T, upper=True)", "T.cholesky_solve(b, L)", "b.cholesky_solve(L)",
    "T.cholesky_solve(b, L.T, True)", "T.qr(a)", "a.qr(some=False)", "T.qr(T.tensor(B))",
    "T.qr(T.tensor(B), some=False)", "T.svd(a).S", "T.svd(a, compute_uv=False)", "T.svd(T.tensor(B), some=False).S",
    "T.svd(T.tensor(B)).U.abs()", "T.svd(T.tensor(B).T).V.abs()", "T.triangular_solve(b, L)",
    "T.triangular_solve(b, L, upper=False)", "T.triangular_solve(b, L, False, True)",
    "T.triangular_solve(b, L, False, False, True)", "b.triangular_solve(a)", "T.cholesky(T.ones(3))",
    "T.cholesky_inverse(T.ones(2, 3))", "T.cholesky_solve(T.ones(3), L)", "T.matrix_rank(a)", "T.solve(b, a)",
    "T.lstsq(b, a)", "T.eig(a)", "T.symeig(a)", "a.symeig()", "a.eig()", "a.lstsq(b)", "a.solve(b)",
    "T.triangular_solve(T.tensor(BA)[:, :, :2], T.tensor(BA))", "T.cholesky_inverse(T.tensor(BA).tril())",
]


def _flattened(result):
    if isinstance(result, tuple):
        return (type(result).__name__,) + tuple(_flattened(piece) for piece in result)
    return np.round(result.numpy(), 6).tolist(), str(result.dtype).split(".")[-1], tuple(result.shape)


def _deprecated_linalg_outcome(module, call):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    batched = rng.standard_normal((2, 3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    names = {"T": module, "spd": module.tensor(spd), "L": module.tensor(np.linalg.cholesky(spd)), "b": module.tensor(b),
             "a": module.tensor(a), "B": b, "BA": batched,
             "bspd": module.tensor(batched @ batched.transpose(0, 2, 1) + 3 * np.eye(3))}
    previous = module.is_warn_always_enabled()
    module.set_warn_always(True)  # (PyTorch warns once per process otherwise)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                outcome = _flattened(eval(call, names))
            except Exception as error:  # noqa: BLE001 - the error is the outcome compared
                outcome = type(error).__name__, str(error).replace("torchless", "torch")
    finally:
        module.set_warn_always(previous)
    return outcome, [str(w.message).split(" (Triggered")[0] for w in caught]


@pytest.mark.parametrize("call", DEPRECATED_LINALG_CALLS)
def test_deprecated_linalg_functions(call):
    assert _deprecated_linalg_outcome(torchless, call) == _deprecated_linalg_outcome(torch, call)


@pytest.mark.parametrize("call", [
    "T.cholesky_solve(b, l)", "T.triangular_solve(b, l, upper=False).solution",
    "T.triangular_solve(b, l.mT, transpose=True, unitriangular=True).solution", "T.cholesky_inverse(l)",
    "T.cholesky(l @ l.mT)", "T.cholesky(l @ l.mT, upper=True)",
])
def test_deprecated_linalg_gradients(call):
    rng = np.random.default_rng(2)
    lower, right = np.tril(rng.standard_normal((2, 3, 3))) + 3 * np.eye(3), rng.standard_normal((2, 3, 2))
    outcomes = []
    for module in (torch, torchless):
        l, b = module.tensor(lower, requires_grad=True), module.tensor(right, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(call, {"T": module, "l": l, "b": b})
        (result * module.arange(result.numel(), dtype=result.dtype).reshape(result.shape)).sum().backward()
        outcomes.append((l.grad.numpy(), None if b.grad is None else b.grad.numpy(), type(result.grad_fn).__name__))
    np.testing.assert_allclose(outcomes[1][0], outcomes[0][0], rtol=1e-9, atol=1e-12)
    assert (outcomes[1][1] is None) == (outcomes[0][1] is None)
    if outcomes[0][1] is not None:
        np.testing.assert_allclose(outcomes[1][1], outcomes[0][1], rtol=1e-9, atol=1e-12)
    assert outcomes[1][2] == outcomes[0][2]


HISTOGRAMDD_CALLS = [
    "T.histogramdd(x, bins=[2, 3])", "T.histogramdd(x, bins=2, range=[0., 1., 0., 1.], weight=T.ones(4), density=True)",
    "T.histogramdd(x, bins=[T.tensor([0., 0.5, 1.]), T.tensor([0., 1.])])", "T.histogramdd(x.long(), 2)",
    "T.histogramdd(x, [2])", "T.histogramdd(x, 2, range=[0., 1.])", "T.histogramdd(x[0], 2)",
    "T.histogramdd(x, 2, weight=T.ones(3))", "T.histogramdd(x, 2, range=[1., 0., 0., 1.])", "T.histogramdd(x, 0)",
    "T.histogramdd(x, [T.tensor([1., 0.]), T.tensor([0., 1.])])", "T.histogramdd(T.tensor([[float('inf'), 1.]]), 2)",
    "T.histogramdd(x, 2.0)", "T.histogramdd(x.double(), 3, density=True)", "T.histogramdd(T.ones(0, 2), 2)",
    "T.histogramdd(x, 2, weight=T.ones(4).double())", "T.histogramdd(r, [4, 5, 6])", "T.histogramdd(r, 7, density=True)",
    "T.histogramdd(r, [3, 4, 5], range=[-1, 1, -0.5, 0.5, 0, 2], weight=r[:, 0].abs())",
    "T.histogramdd(r.reshape(5, 10, 3), 3)", "T.histogramdd(T.ones(5, 2), 3)", "T.histogramdd(x, bins=(2, 3))",
    "T.histogramdd(r.double(), [T.linspace(-2, 2, 5, dtype=T.float64)] * 3)",
]


@pytest.mark.parametrize("call", HISTOGRAMDD_CALLS)
def test_histogramdd(call):
    points = np.array([[0., 1.], [0.5, 0.5], [1., 0.], [0.2, 0.9]], np.float32)
    scattered = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    outcomes = []
    for module in (torch, torchless):
        try:
            outcomes.append(_flattened(eval(call, {"T": module, "x": module.tensor(points),
                                                   "r": module.tensor(scattered)})))
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            outcomes.append((type(error).__name__, str(error).replace("torchless", "torch")))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("call", [
    "x.ger()", "x.ger(1)", "x.ger(x, x)", "x.ger(foo=1)", "x.ger(x, foo=1)", "T.ger(x)", "T.ger(x, 2)",
    "T.ger(x, x, x)", "T.ger(x, x, foo=2)", "T.ger(x, vec2=x)",
])
def test_ger_parser_errors(call):
    outcomes = []
    for module in (torch, torchless):
        try:
            outcomes.append(eval(call, {"x": module.ones(2), "T": module}).tolist())
        except TypeError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


def test_binomial_draws_torchs_stream():
    rng = np.random.default_rng(0)
    for trial in range(12):  # small means (inversion) and large ones (BTRS), float32 and float64
        dtype = np.float32 if trial % 2 else np.float64
        counts = rng.integers(0, 300 if trial % 3 else 30, 40).astype(dtype)
        probs = rng.uniform(0, 1, 40).astype(dtype)
        draws = []
        for module in (torch, torchless):
            module.manual_seed(trial)
            sample = module.binomial(module.tensor(counts), module.tensor(probs))
            draws.append((sample.numpy().tolist(), module.rand(3).numpy().tolist()))  # (and the stream after)
        assert draws[1] == draws[0]


@pytest.mark.parametrize("call", [
    "T.binomial(T.ones(3), T.ones(2))", "T.binomial(T.ones(3), T.ones(1))", "T.binomial(T.ones(1), T.ones(3))",
    "T.binomial(T.ones(3).long(), T.ones(3).long())", "T.binomial(T.ones(3), T.ones(3).double())",
    "T.binomial(T.ones(3), 0.5)", "T.binomial(T.ones(3), T.tensor([0.5, 2., -1]))",
    "T.binomial(T.ones(3, 2).t() * 40, T.full((2, 3), 0.5))", "T.binomial(T.ones(3).half(), T.ones(3).half())",
    "T.binomial(T.ones(3, requires_grad=True) * 50, T.full((3,), 0.3, requires_grad=True))",
    "T.binomial(count=T.ones(2) * 7, prob=T.full((2,), 0.6))", "T.binomial(T.ones(0), T.ones(0))",
    "T.binomial(T.ones(2), T.ones(2), generator=T.Generator().manual_seed(3))", "T.binomial(5, T.ones(2))",
])
def test_binomial_arguments(call):
    outcomes = []
    for module in (torch, torchless):
        module.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = eval(call, {"T": module})
                outcome = (result.detach().numpy().tolist(), str(result.dtype).split(".")[-1], result.requires_grad,
                           type(result.grad_fn).__name__, result.stride())
            except Exception as error:  # noqa: BLE001 - the error is the outcome compared
                outcome = type(error).__name__, str(error).replace("torchless", "torch")
        outcomes.append((outcome, [str(w.message).split(" (Triggered")[0] for w in caught]))
    assert outcomes[1] == outcomes[0]
