"""einsum, cdist, kron and Tensor.unfold: values and gradients against NumPy formulas and central differences,
and against PyTorch (values, gradients, errors) where it is installed."""
import math

import numpy as np
import pytest
from helpers import assert_same_error, finite_difference_check, tensor

import torchless

RNG = np.random.default_rng(1234)


def _normal(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------------------- einsum
# (equation, operand shapes, the same contraction written with NumPy primitives)
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)], lambda a, b: a @ b),
    ("ij,jk", [(2, 3), (3, 4)], lambda a, b: a @ b),
    ("bij,bjk->bik", [(4, 2, 3), (4, 3, 5)], lambda a, b: a @ b),
    ("ij->ji", [(2, 3)], lambda a: a.T),
    ("ba", [(2, 3)], lambda a: a.T),
    ("bA", [(2, 3)], lambda a: a.T),  # implicit output: upper case before lower case
    ("ij->", [(2, 3)], lambda a: a.sum()),
    ("ij->i", [(2, 3)], lambda a: a.sum(1)),
    ("ii->i", [(3, 3)], lambda a: np.diagonal(a).copy()),
    ("ii", [(3, 3)], lambda a: np.trace(a)),
    ("iij->j", [(3, 3, 2)], lambda a: sum(a[k, k] for k in range(3))),
    ("iji->j", [(2, 3, 2)], lambda a: a[0, :, 0] + a[1, :, 1]),
    ("i,j->ij", [(3,), (4,)], lambda a, b: a[:, None] * b[None, :]),
    ("ij,ij->ij", [(2, 1), (1, 4)], lambda a, b: a * b),
    ("ij,jk->ik", [(2, 1), (3, 4)], lambda a, b: a * b.sum(0, keepdims=True)),
    ("ij,ij->", [(3, 1), (3, 4)], lambda a, b: (a * b).sum()),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], lambda a, b, c: a @ b @ c),
    ("ijk,k->", [(2, 3, 4), (4,)], lambda a, b: (a * b).sum()),
    ("ij,kl->", [(2, 3), (4, 5)], lambda a, b: a.sum() * b.sum()),
    ("ii,ij->j", [(3, 3), (3, 4)], lambda a, b: np.diagonal(a) @ b),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 4)], lambda a, b: a @ b),
    ("...j,jk", [(5, 2, 3), (3, 4)], lambda a, b: a @ b),
    ("...,...->...", [(2, 3), (3,)], lambda a, b: a * b),
    ("ij...->...", [(2, 3)], lambda a: a.sum()),
    ("ij->...ij", [(2, 3)], lambda a: a),
    (" i j , j k -> i k ", [(2, 3), (3, 4)], lambda a, b: a @ b),
    (",->", [(), ()], lambda a, b: a * b),
    ("i,i->", [(0,), (0,)], lambda a, b: np.zeros(())),
    ("ij,jk->ik", [(2, 0), (0, 3)], lambda a, b: np.zeros((2, 3))),
]


def _einsum_id(case):
    return case[0].strip() or "scalar"


@pytest.mark.parametrize("equation, shapes, formula", EINSUM_CASES, ids=[_einsum_id(c) for c in EINSUM_CASES])
def test_einsum_matches_a_numpy_formula(equation, shapes, formula):
    arrays = [_normal(*s) for s in shapes]
    out = torchless.einsum(equation, *[tensor(a) for a in arrays])
    expected = np.asarray(formula(*arrays))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("equation, shapes, formula", [c for c in EINSUM_CASES if math.prod(map(math.prod, c[1]))],
                         ids=[_einsum_id(c) for c in EINSUM_CASES if math.prod(map(math.prod, c[1]))])
def test_einsum_gradients_match_central_differences(equation, shapes, formula):
    finite_difference_check(lambda *ts: torchless.einsum(equation, *ts), [_normal(*s) for s in shapes])


def test_einsum_accepts_a_list_of_operands_and_the_sublist_form():
    a, b = _normal(2, 3), _normal(3, 4)
    expected = a @ b
    np.testing.assert_allclose(torchless.einsum("ij,jk->ik", [tensor(a), tensor(b)]).numpy(), expected)
    np.testing.assert_allclose(torchless.einsum("ij,jk->ik", (tensor(a), tensor(b))).numpy(), expected)
    np.testing.assert_allclose(torchless.einsum(tensor(a), [0, 1], tensor(b), [1, 2], [0, 2]).numpy(), expected)
    # without an output sublist, the output is implicit (here ik, as in 'ij,jk')
    np.testing.assert_allclose(torchless.einsum(tensor(a), [8, 1], tensor(b), [1, 30]).numpy(), expected)
    batched = _normal(5, 2, 3)
    np.testing.assert_allclose(torchless.einsum(tensor(batched), [..., 0, 1], tensor(b), [1, 2], [..., 0, 2]).numpy(),
                               batched @ b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_keeps_the_float_dtype_in_values_and_gradients(dtype):
    a = tensor(_normal(2, 3, dtype=dtype), requires_grad=True)
    b = tensor(_normal(3, 4, dtype=dtype), requires_grad=True)
    out = torchless.einsum("ij,jk->ik", a, b)
    assert out.dtype == (torchless.float32 if dtype == np.float32 else torchless.float64)
    out.sum().backward()
    assert a.grad.dtype == out.dtype and b.grad.dtype == out.dtype
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4)) @ b.detach().numpy().T, rtol=1e-6)
    assert out.grad_fn.name() == "ViewBackward0"  # (PyTorch's einsum records its ops: the last drops the summed dim)


def test_einsum_of_integers_sums_within_an_operand_in_int64():
    a = torchless.tensor([[1, 2], [3, 4]], dtype=torchless.int32)
    assert torchless.einsum("ij->i", a).dtype == torchless.int64
    assert torchless.einsum("ij->i", a).tolist() == [3, 7]
    assert torchless.einsum("ii->i", a).dtype == torchless.int32  # a diagonal sums nothing
    assert torchless.einsum("ij,jk->ik", a, a).dtype == torchless.int32
    assert torchless.einsum("ij,jk->ik", a, a).tolist() == [[7, 10], [15, 22]]


# every call is made with torchless (``lib``) and with torch, which must raise the same
EINSUM_ERRORS = {
    "more operands": lambda lib, a, b: lib.einsum("ij->ij", a, b),
    "fewer operands": lambda lib, a, b: lib.einsum("ij,jk->ik", a),
    "too many subscripts": lambda lib, a, b: lib.einsum("ijk,jk->ik", a, b),
    "too few subscripts": lambda lib, a, b: lib.einsum("i,jk->ik", a, b),
    "ellipsis with too many subscripts": lambda lib, a, b: lib.einsum("...ijk->...", a),
    "sizes differ": lambda lib, a, b: lib.einsum("ij,jk->ik", a, a),
    "sizes differ, second subscript": lambda lib, a, b: lib.einsum("ij,ij->ij", a, b),
    "ellipsis sizes differ": lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a.reshape(2, 1, 3).expand(2, 5, 3),
                                                          b.reshape(1, 3, 4).expand(3, 3, 4)),
    "repeated subscript sizes differ": lambda lib, a, b: lib.einsum("ii->i", a),
    "invalid character": lambda lib, a, b: lib.einsum("i1,jk->ik", a, b),
    "arrow twice": lambda lib, a, b: lib.einsum("ij->i->j", a),
    "comma in output": lambda lib, a, b: lib.einsum("ij,jk->i,k", a, b),
    "dash without arrow": lambda lib, a, b: lib.einsum("ij-ji", a),
    "output subscript unknown": lambda lib, a, b: lib.einsum("ij,jk->iz", a, b),
    "output subscript repeated": lambda lib, a, b: lib.einsum("ij,jk->ii", a, b),
    "two ellipses": lambda lib, a, b: lib.einsum("......->", a),
    "lone dot": lambda lib, a, b: lib.einsum("i.j->", a),
    "two dots": lambda lib, a, b: lib.einsum("..i.j->", a),
    "two ellipses in output": lambda lib, a, b: lib.einsum("...i->......", a),
    "lone dot in output": lambda lib, a, b: lib.einsum("ij->i.", a),
    "no operands": lambda lib, a, b: lib.einsum("ij->ij"),
    "empty operand list": lambda lib, a, b: lib.einsum("ij", []),
    "equation not a string": lambda lib, a, b: lib.einsum(3, a),
    "operand not a tensor": lambda lib, a, b: lib.einsum("ij,jk->ik", a, 5.0),
    "sublist out of range": lambda lib, a, b: lib.einsum(a, [0, 60]),
    "dtypes differ": lambda lib, a, b: lib.einsum("ij,jk->ik", a, b.double()),
    "bool contraction": lambda lib, a, b: lib.einsum("ij,jk->ik", a.bool(), b.bool()),
}


@pytest.mark.parametrize("name", list(EINSUM_ERRORS))
def test_einsum_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    a, b = _normal(2, 3, dtype=np.float32), _normal(3, 4, dtype=np.float32)
    call = EINSUM_ERRORS[name]
    assert_same_error(lambda: call(torch, torch.tensor(a), torch.tensor(b)),
                      lambda: call(torchless, tensor(a), tensor(b)))


@pytest.mark.parametrize("equation, shapes", [(c[0], c[1]) for c in EINSUM_CASES],
                         ids=[_einsum_id(c) for c in EINSUM_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_values_and_gradients_match_torch(equation, shapes, dtype):
    torch = pytest.importorskip("torch")
    arrays = [_normal(*s, dtype=dtype) for s in shapes]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = [tensor(a, requires_grad=True) for a in arrays]
    expected, actual = torch.einsum(equation, *theirs), torchless.einsum(equation, *ours)
    assert actual.shape == tuple(expected.shape) and actual.dtype.name == str(expected.dtype)[6:]
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)
    grad = _normal(*expected.shape, dtype=dtype)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), **tol)


# ---------------------------------------------------------------------------- cdist
def _cdist_reference(x1, x2, p):
    """Distances by the definition: one pair of rows at a time."""
    batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    x1 = np.broadcast_to(x1, batch + x1.shape[-2:])
    x2 = np.broadcast_to(x2, batch + x2.shape[-2:])
    out = np.zeros(batch + (x1.shape[-2], x2.shape[-2]))
    for index in np.ndindex(out.shape):
        *b, i, j = index
        diff = np.abs(x1[tuple(b) + (i,)] - x2[tuple(b) + (j,)])
        if p == 0:
            out[index] = np.count_nonzero(diff)
        elif math.isinf(p):
            out[index] = diff.max(initial=0)
        else:
            out[index] = (diff ** p).sum() ** (1 / p)
    return out


P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf]


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)), ((2, 1, 4, 3), (3, 5, 3)),
                                    ((2, 4, 3), (5, 3)), ((4, 0), (5, 0)), ((0, 3), (5, 3))])
def test_cdist_matches_the_definition(p, shapes):
    x1, x2 = _normal(*shapes[0]), _normal(*shapes[1])
    np.testing.assert_allclose(torchless.cdist(tensor(x1), tensor(x2), p=p).numpy(), _cdist_reference(x1, x2, p),
                               rtol=1e-10, atol=1e-10)


def test_cdist_through_matrix_products_matches_the_definition():
    x1, x2 = _normal(30, 4), _normal(7, 4)  # more than 25 rows: PyTorch's default computes through matmul
    expected = _cdist_reference(x1, x2, 2)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(torchless.cdist(tensor(x1), tensor(x2), compute_mode=mode).numpy(), expected,
                                   rtol=1e-10)


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("shapes", [((3, 2), (4, 2)), ((2, 3, 2), (1, 4, 2))])
def test_cdist_gradients_match_central_differences(p, shapes):
    # distinct values keep every |difference| and the max away from the kinks, where central differences fail
    x1 = RNG.permutation(np.arange(math.prod(shapes[0]), dtype=np.float64)).reshape(shapes[0]) * 0.37 + 0.1
    x2 = RNG.permutation(np.arange(math.prod(shapes[1]), dtype=np.float64)).reshape(shapes[1]) * -0.29
    finite_difference_check(lambda a, b: torchless.cdist(a, b, p=p), [x1, x2], rtol=1e-5, atol=1e-6)


def test_cdist_gradient_is_zero_at_zero_distance_and_for_p_zero():
    x = tensor(np.array([[0.0, 0.0], [1.0, 1.0]]), requires_grad=True)
    torchless.cdist(x, x).sum().backward()
    # each row: the two distances to the other row (as x1 and as x2), sqrt(2) each, pointing away from it
    np.testing.assert_allclose(x.grad.numpy(), np.sqrt(2) * np.array([[-1, -1], [1, 1]]))
    x.grad = None
    torchless.cdist(x, x, p=0).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


CDIST_ERRORS = {
    "negative p": lambda lib, a, b: lib.cdist(a, b, p=-1),
    "nan p": lambda lib, a, b: lib.cdist(a, b, p=float("nan")),
    "1-d x1": lambda lib, a, b: lib.cdist(a[0], b),
    "1-d x2": lambda lib, a, b: lib.cdist(a, b[0]),
    "columns differ": lambda lib, a, b: lib.cdist(a, b[:, :2]),
    "integer x1": lambda lib, a, b: lib.cdist(a.long(), b.long()),
    "integer x2": lambda lib, a, b: lib.cdist(a, b.long()),
    "dtypes differ": lambda lib, a, b: lib.cdist(a, b.double()),
    "half": lambda lib, a, b: lib.cdist(a.half(), b.half()),
    "batches differ": lambda lib, a, b: lib.cdist(a.expand(2, 4, 3), b.expand(3, 5, 3)),
    "bad compute_mode": lambda lib, a, b: lib.cdist(a, b, compute_mode="foo"),
    "x1 not a tensor": lambda lib, a, b: lib.cdist([[1.0]], b),
    "p not a number": lambda lib, a, b: lib.cdist(a, b, p="2"),
}


@pytest.mark.parametrize("name", list(CDIST_ERRORS))
def test_cdist_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    a, b = _normal(4, 3, dtype=np.float32), _normal(5, 3, dtype=np.float32)
    call = CDIST_ERRORS[name]
    assert_same_error(lambda: call(torch, torch.tensor(a), torch.tensor(b)),
                      lambda: call(torchless, tensor(a), tensor(b)))


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((2, 1, 4, 3), (3, 5, 3)), ((30, 3), (6, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist_values_and_gradients_match_torch(p, shapes, dtype):
    torch = pytest.importorskip("torch")
    x1, x2 = _normal(*shapes[0], dtype=dtype), _normal(*shapes[1], dtype=dtype)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x1, x2)]
    ours = [tensor(a, requires_grad=True) for a in (x1, x2)]
    expected, actual = torch.cdist(*theirs, p=p), torchless.cdist(*ours, p=p)
    assert actual.shape == tuple(expected.shape)
    if p != 2 or max(x1.shape[-2], x2.shape[-2]) <= 25:  # else PyTorch's graph is of its matmul formula
        assert actual.grad_fn.name() == expected.grad_fn.name()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)
    grad = _normal(*expected.shape, dtype=dtype)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), **tol)


# ---------------------------------------------------------------------------- kron
@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (4, 5)), ((2, 2, 3), (4, 5)), ((), (4, 5)), ((), ()),
                                    ((2, 0), (3, 1))])
def test_kron_matches_numpy_and_central_differences(shapes):
    a, b = _normal(*shapes[0]), _normal(*shapes[1])
    out = torchless.kron(tensor(a), tensor(b))
    np.testing.assert_allclose(out.numpy(), np.kron(a, b), rtol=1e-12)
    np.testing.assert_allclose(tensor(a).kron(tensor(b)).numpy(), np.kron(a, b), rtol=1e-12)
    if a.size and b.size:
        finite_difference_check(torchless.kron, [a, b])


def test_kron_promotes_dtypes():
    ints, floats = torchless.tensor([1, 2]), torchless.tensor([0.5, 1.5])
    out = torchless.kron(ints, floats)
    assert out.dtype == torchless.float32 and out.tolist() == [0.5, 1.5, 1.0, 3.0]
    flags = torchless.tensor([True, False])
    assert torchless.kron(flags, flags).tolist() == [True, False, False, False]


@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (4, 5)), ((2, 2, 3), (4, 5)), ((), (4, 5))])
def test_kron_values_and_gradients_match_torch(shapes):
    torch = pytest.importorskip("torch")
    a, b = _normal(*shapes[0], dtype=np.float32), _normal(*shapes[1], dtype=np.float32)
    theirs = [torch.tensor(x, requires_grad=True) for x in (a, b)]
    ours = [tensor(x, requires_grad=True) for x in (a, b)]
    expected, actual = torch.kron(*theirs), torchless.kron(*ours)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    grad = _normal(*expected.shape, dtype=np.float32)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, call", [("input not a tensor", lambda lib, a: lib.kron([1.0], a)),
                                        ("other not a tensor", lambda lib, a: lib.kron(a, 2))])
def test_kron_errors_match_torch(name, call):
    torch = pytest.importorskip("torch")
    a = _normal(2, 2, dtype=np.float32)
    assert_same_error(lambda: call(torch, torch.tensor(a)), lambda: call(torchless, tensor(a)))


# ---------------------------------------------------------------------------- unfold
def _unfold_reference(x, axis, size, step):
    """Window j of ``size`` elements, ``step`` apart, taken one at a time and stacked as the new last axis."""
    count = (x.shape[axis] - size) // step + 1
    windows = [np.take(x, range(j * step, j * step + size), axis=axis) for j in range(count)]
    return np.moveaxis(np.stack(windows, axis=axis), axis + 1, -1)


UNFOLD_CASES = [((3, 5, 4), 0, 2, 1), ((3, 5, 4), 1, 3, 2), ((3, 5, 4), 1, 1, 3), ((3, 5, 4), -1, 2, 2),
                ((7,), 0, 2, 3), ((3, 5), 1, 5, 1), ((3, 5), 1, 0, 1), ((0, 3), 0, 0, 1), ((0, 3), 1, 2, 1)]


@pytest.mark.parametrize("shape, dim, size, step", UNFOLD_CASES)
def test_unfold_matches_windows_taken_one_by_one(shape, dim, size, step):
    x = _normal(*shape)
    out = tensor(x).unfold(dim, size, step)
    np.testing.assert_array_equal(out.numpy(), _unfold_reference(x, dim % len(shape), size, step))
    if out.numel():
        finite_difference_check(lambda t: t.unfold(dim, size, step), [x])


def test_unfold_of_a_scalar_and_overlapping_windows_gradient():
    s = torchless.tensor(5.0, requires_grad=True)
    window = s.unfold(0, 1, 1)
    assert window.shape == (1,) and window.tolist() == [5.0]
    (window * 3).sum().backward()
    assert s.grad.item() == 3.0 and s.unfold(0, 0, 1).shape == (0,)
    x = torchless.arange(5.0, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()  # element k is in min(k + 1, 3, 5 - k) windows
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


UNFOLD_ERRORS = {
    "size too big": lambda x: x.unfold(1, 5, 1),
    "negative size": lambda x: x.unfold(1, -1, 1),
    "zero step": lambda x: x.unfold(1, 2, 0),
    "negative step": lambda x: x.unfold(1, 2, -1),
    "dimension too big": lambda x: x.unfold(2, 2, 1),
    "dimension too small": lambda x: x.unfold(-3, 2, 1),
    "dimension checked first": lambda x: x.unfold(5, -1, 0),
    "size checked before step": lambda x: x.unfold(1, -1, 0),
    "scalar size too big": lambda x: x[0, 0].unfold(0, 2, 1),
    "scalar dimension": lambda x: x[0, 0].unfold(1, 1, 1),
    "float size": lambda x: x.unfold(1, 2.0, 1),
    "bool size": lambda x: x.unfold(1, True, 1),
    "float dimension": lambda x: x.unfold(1.0, 2, 1),
    "string step": lambda x: x.unfold(1, 2, "a"),
}


@pytest.mark.parametrize("name", list(UNFOLD_ERRORS))
def test_unfold_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    x = _normal(3, 4, dtype=np.float32)
    call = UNFOLD_ERRORS[name]
    assert_same_error(lambda: call(torch.tensor(x)), lambda: call(tensor(x)))


@pytest.mark.parametrize("shape, dim, size, step", UNFOLD_CASES)
def test_unfold_values_and_gradients_match_torch(shape, dim, size, step):
    torch = pytest.importorskip("torch")
    x = _normal(*shape, dtype=np.float32)
    theirs, ours = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    expected, actual = theirs.unfold(dim, size, step), ours.unfold(dim, size, step)
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())
    assert actual.grad_fn.name() == expected.grad_fn.name()
    grad = _normal(*expected.shape, dtype=np.float32)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)
