"""``out=`` on the torch namespace's functions, against PyTorch: values written into the given tensor (which is
returned), dtype casting rules, resizing with PyTorch's warning, and its errors."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

A = np.arange(12, dtype=np.float32).reshape(3, 4) / 3 - 1
B = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)

CALLS = [
    ("add", lambda m, a, b: (a, b), {}), ("add", lambda m, a, b: (a, 2.5), {"alpha": 2}),
    ("sub", lambda m, a, b: (a, b), {}), ("mul", lambda m, a, b: (a, b), {}), ("div", lambda m, a, b: (a, b), {}),
    ("maximum", lambda m, a, b: (a, b), {}), ("pow", lambda m, a, b: (a.abs(), 1.5), {}),
    ("matmul", lambda m, a, b: (a, b.t()), {}), ("mm", lambda m, a, b: (a.t(), b), {}),
    ("sum", lambda m, a, b: (a, 1), {}), ("mean", lambda m, a, b: (a, 0), {"keepdim": True}),
    ("exp", lambda m, a, b: (a,), {}), ("sqrt", lambda m, a, b: (a.abs(),), {}),
    ("clamp", lambda m, a, b: (a, -0.5, 0.5), {}), ("neg", lambda m, a, b: (a,), {}),
    ("cat", lambda m, a, b: ([a, b],), {"dim": 1}), ("stack", lambda m, a, b: ([a, b],), {}),
    ("where", lambda m, a, b: (a > 0, a, b), {}), ("gt", lambda m, a, b: (a, b), {}),
    ("cumsum", lambda m, a, b: (a, 1), {}), ("atan2", lambda m, a, b: (a, b), {}),
]


@pytest.mark.parametrize("name, arguments, keywords", CALLS, ids=[c[0] for c in CALLS])
@pytest.mark.parametrize("out_shape", [(0,), None, (5,)])
def test_values_land_in_out_and_out_is_returned(name, arguments, keywords, out_shape):
    results = []
    for module in (torchless, torch):
        a, b = module.tensor(A), module.tensor(B)
        args = arguments(module, a, b)
        expected = getattr(module, name)(*args, **keywords)
        out = module.empty(out_shape if out_shape is not None else tuple(expected.shape), dtype=expected.dtype)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            returned = getattr(module, name)(*args, **keywords, out=out)
        assert returned is out
        resized = [str(w.message).split(" (Triggered")[0] for w in caught if "resized" in str(w.message)]
        results.append((out.numpy().copy(), str(out.dtype).split(".")[-1], resized))
    ours, theirs = results
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1:] == theirs[1:]


def test_results_cast_into_a_wider_out_but_not_from_float_into_integers():
    for module in (torchless, torch):
        a = module.ones(2, 2)
        assert module.add(a, a, out=module.empty(2, 2, dtype=module.float64)).dtype == module.float64
        assert module.add(module.ones(2, dtype=module.long), 1, out=module.empty(2)).dtype == module.float32
    messages = []
    for module in (torchless, torch):
        with pytest.raises(RuntimeError) as caught:
            module.exp(module.ones(2), out=module.empty(2, dtype=module.int64))
        messages.append(str(caught.value))
    assert messages[0] == messages[1] == "result type Float can't be cast to the desired output type Long"


def test_out_with_an_operand_requiring_grad_is_refused_unless_grad_is_off():
    messages = []
    for module in (torchless, torch):
        b = module.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as caught:
            module.mul(b, b, out=module.empty(2))
        messages.append(str(caught.value))
        with module.no_grad():
            assert module.mul(b, b, out=module.empty(2)).tolist() == [1.0, 1.0]
    assert messages[0] == messages[1]


def test_tuple_out_of_a_values_indices_function():
    for module in (torchless, torch):
        values, indices = module.empty(0), module.empty(0, dtype=module.long)
        result = module.max(module.tensor(A), 1, out=(values, indices))
        assert result.values is values and result.indices is indices
        assert values.tolist() == A.max(1).tolist() and indices.tolist() == A.argmax(1).tolist()
        assert type(result).__name__ in ("max", "max_out")


def test_out_into_a_view_writes_through():
    for module in (torchless, torch):
        base = module.zeros(2, 2)
        module.add(module.ones(2, 2), module.tensor([[0.0, 1.0], [2.0, 3.0]]), out=base.t())
        assert base.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match="^add\\(\\): argument 'out' must be Tensor, not str$"):
        torchless.add(torchless.ones(2), 1, out="y")
