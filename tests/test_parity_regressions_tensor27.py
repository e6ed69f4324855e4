"""Parity regressions found by tensor27 (session 27): torch.asarray's aliasing, requires_grad and buffer rules,
linspace/logspace's tensor ends, the graph of a complex tensor's real/imag parts and the storage offset of a view
as another dtype."""
import array
import subprocess
import sys

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, statement):
    """Run ``statement`` (binding ``r``) with ``torch`` bound to ``lib``: the error's type and message, or a summary
    of r (its repr, requires_grad, leafness and values) that holds no object of either library."""
    scope = {"torch": lib, "np": np, "array": array}
    try:
        exec(statement, scope)
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
        return type(exc).__name__, str(exc).replace("torchless", "torch")
    r = scope["r"]
    if isinstance(r, lib.Tensor):
        return (repr(r).replace("torchless", "torch"), r.requires_grad, r.is_leaf, repr(r.detach().numpy().tolist()))
    return r


def _same_as_torch(statement):
    assert _outcome(torchless, statement) == _outcome(torch, statement)


ASARRAY = [
    # copy=False refuses what it cannot alias: a sequence, a number, a NumPy scalar
    "r = torch.asarray([1, 2], copy=False)",
    "r = torch.asarray((1., 2.), copy=False)",
    "r = torch.asarray(3, copy=False)",
    "r = torch.asarray(range(3), copy=False)",
    "r = torch.asarray([], copy=False)",
    "r = torch.asarray(np.float64(2.), copy=False)",
    "r = torch.asarray(np.float32(2.), copy=False, dtype=torch.float64)",
    # a NumPy scalar is its own copy: copy=True casts none
    "r = torch.asarray(np.float64(2.), copy=True, dtype=torch.float32)",
    "r = torch.asarray(np.float64(2.), dtype=torch.float32)",
    "r = torch.asarray(np.float64(2.), requires_grad=True)",
    "r = torch.asarray(np.arange(3), copy=False, dtype=torch.float32)",
    "r = torch.asarray(np.arange(3.), requires_grad=True)",
    "r = torch.asarray(np.arange(3), requires_grad=True)",
    # requires_grad: unspecified, a tensor's own; False detaches a computed tensor, clears a leaf's flag
    "x = torch.ones(2, requires_grad=True); r = torch.asarray(x, requires_grad=False); r = (r is x, x.requires_grad)",
    "x = torch.ones(2, requires_grad=True) * 2; r = torch.asarray(x, requires_grad=False)",
    "x = torch.ones(2, requires_grad=True) * 2; y = torch.asarray(x, requires_grad=False); r = (y is x, x.requires_grad)",
    "x = torch.ones(2, requires_grad=True) * 2; r = torch.asarray(x, requires_grad=True)",
    "r = torch.asarray(torch.ones(2, requires_grad=True), copy=True, requires_grad=False)",
    "r = torch.asarray(torch.ones(2, requires_grad=True), dtype=torch.float64, requires_grad=False)",
    "x = torch.ones(2); r = torch.asarray(x, requires_grad=True); r = (r is x, x.requires_grad)",
    "r = torch.asarray(torch.ones(2, dtype=torch.int64), requires_grad=True, dtype=torch.float32)",
    "r = torch.asarray(torch.ones(2), requires_grad=True, dtype=torch.int64)",
    "r = torch.asarray([1., 2.], requires_grad=None)",
    "r = torch.asarray([1., 2.], requires_grad='yes')",
    "r = torch.asarray([1., 2.], copy='yes')",
    # the buffer protocol: shared, read in the dtype given (the default one else)
    "r = torch.asarray(array.array('f', [1, 2]), requires_grad=True)",
    "r = torch.asarray(array.array('f', [1, 2]), copy=False)",
    "r = torch.asarray(array.array('d', [1, 2]))",
    "r = torch.asarray(array.array('d', [1, 2]), dtype=torch.float64)",
    "r = torch.asarray(bytearray(b'abcd'), dtype=torch.uint8)",
    "r = torch.asarray(bytearray(b'abc'))",
    "r = torch.asarray(b'', dtype=torch.uint8)",
    "b = bytearray(b'\\x00\\x00\\x80\\x3f'); r = torch.asarray(b); b[3] = 0x40",
    "b = bytearray(4); r = torch.asarray(b, dtype=torch.uint8, copy=True); b[0] = 9",
    "r = torch.asarray(memoryview(bytearray(b'ab')), dtype=torch.uint8)",
]


@pytest.mark.parametrize("statement", ASARRAY)
def test_asarray_aliasing_requires_grad_and_buffers(statement):
    _same_as_torch(statement)


def _warnings_in_subprocess(lib, statements):
    """The messages of the warnings ``statements`` raise, in a fresh interpreter (pytest resets the filters, and
    PyTorch warns once per process)."""
    program = (f"import warnings, numpy as np, {lib} as torch\n"
               "with warnings.catch_warnings(record=True) as caught:\n"
               "    warnings.simplefilter('always')\n"
               + "".join(f"    {s}\n" for s in statements)
               + "print(repr([str(w.message) for w in caught]))")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.parametrize("statements", [
    # asarray's warning: once per process, only for a tensor requiring grad and no requires_grad given; a read-only
    # array's: when aliased, not when copied (and once)
    ["torch.asarray(torch.ones(2))", "torch.asarray(torch.ones(2, requires_grad=True), requires_grad=False)",
     "torch.asarray(torch.ones(2, requires_grad=True) * 2, dtype=torch.float64)",
     "torch.asarray(torch.ones(2, requires_grad=True))",
     "x = np.arange(3.); x.flags.writeable = False", "torch.asarray(x, dtype=torch.float32)", "torch.asarray(x)",
     "torch.from_numpy(x)"],
    ["x = np.arange(3.); x.flags.writeable = False", "torch.from_numpy(x)", "torch.asarray(x)",
     "torch.frombuffer(b'abcd', dtype=torch.uint8)", "torch.asarray(b'abcd')"],
])
def test_asarray_and_read_only_warnings(statements):
    assert _warnings_in_subprocess("torchless", statements) == _warnings_in_subprocess("torch", statements)


SPACES = [
    "r = torch.linspace(torch.tensor([0]), 1, 5)",
    "r = torch.linspace(torch.tensor([0., 1]), 1, 5)",
    "r = torch.linspace(0, torch.tensor([1.]), 5)",
    "r = torch.linspace(0., torch.zeros(0), 5)",
    "r = torch.linspace(torch.tensor([0.]), torch.tensor([[1.]]), 5)",
    "r = torch.linspace(torch.tensor(0.), torch.tensor([[1.]]), 5)",
    "r = torch.logspace(torch.tensor([0]), 1, 5)",
    "r = torch.logspace(0, torch.tensor([1., 2]), 5)",
    "r = torch.logspace(torch.tensor(0.), torch.tensor([2.]), 3, base=2)",
    "r = torch.linspace(torch.tensor([0]), 10, 4, out=torch.zeros(4))",
    # a 0-d tensor end is read as its value: one requiring grad, a complex one
    "r = torch.linspace(torch.tensor(0., requires_grad=True), 1, 3)",
    "r = torch.linspace(torch.tensor(1+1j), 3, 4)",
    "r = torch.linspace(torch.tensor(1+1j, dtype=torch.complex128), 3, 4)",
    "r = torch.linspace(torch.tensor(1+1j), 3, 4, dtype=torch.float32)",
    "r = torch.linspace(torch.tensor(0.5), torch.tensor(10.5, dtype=torch.float64), 4, dtype=torch.int64)",
    "r = torch.logspace(torch.tensor(0), torch.tensor(2), 3, base=2)",
]


@pytest.mark.parametrize("statement", SPACES)
def test_linspace_logspace_tensor_ends(statement):
    _same_as_torch(statement)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("part", ["real", "imag"])
@pytest.mark.parametrize("source", ["x", "x.t()", "x * 2"])
def test_complex_parts_graph_and_gradient(dtype, part, source):
    """real / imag are PyTorch's composite select(view_as_real(z), -1, i): its nodes, and a gradient with the
    other part's zeros unsigned."""
    def run(lib):
        x = lib.tensor([[1 + 2j, 3 - 4j, 0.5j], [2, -1j, 1 + 1j]], dtype=getattr(lib, dtype), requires_grad=True)
        y = getattr(eval(source, {"x": x}), part)
        (y * lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        nodes = [y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()]
        grad = x.grad.numpy()
        signs = [np.signbit(grad.real).tolist(), np.signbit(grad.imag).tolist()] if source != "x * 2" else []
        return repr(y).replace("torchless", "torch"), nodes, y.stride(), y.storage_offset(), grad.tolist(), signs

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("statement", [
    "x = torch.tensor([1+2j, 3-4j, 5j]); r = (x.imag.storage_offset(), x[1:].imag.storage_offset(), "
    "x[2].real.storage_offset(), torch.view_as_real(x)[1:].storage_offset())",
    "t = torch.arange(8.); r = (t.view(torch.uint8)[3:].storage_offset(), t[2:].view(torch.int16).storage_offset())",
    "t = torch.arange(8, dtype=torch.uint8); r = (t[4:].view(torch.float32).storage_offset(), "
    "t.view(torch.float32)[1:].storage_offset())",
    "t = torch.arange(6.); r = t[1:].view(torch.int32).storage().tolist()",
    "x = torch.tensor([1+2j, 3-4j]); r = (x.imag.storage().tolist(), x.imag.untyped_storage().nbytes())",
])
def test_storage_offset_of_a_view_as_another_dtype(statement):
    _same_as_torch(statement)


def test_complex_parts_write_through():
    def run(lib):
        x = lib.tensor([1 + 2j, 3 - 4j])
        x.real[0] = 7
        x.imag[1] = 9
        x.imag.mul_(2)
        return x.numpy().tolist()

    assert run(torchless) == run(torch)


def _logspace_cases():
    rng = np.random.default_rng(27)
    for dtype in ("complex64", "complex128"):
        for steps in (1, 2, 5, 8):
            for base in (10.0, 2.5, 0.3, -2.0, 0.0, 7):
                start = complex(*np.round(rng.normal(size=2) * 3, 2))
                end = complex(*np.round(rng.normal(size=2) * 3, 2))
                yield dtype, steps, base, start, end
                yield dtype, steps, base, start.real, end


@pytest.mark.parametrize("dtype, steps, base, start, end", list(_logspace_cases()))
def test_complex_logspace_to_the_last_bit(dtype, steps, base, start, end):
    """complex logspace: single precision's pow for complex64, the one value of a single step computed in double
    (in polar form for a positive base)."""
    def run(lib):
        return lib.logspace(start, end, steps, base=base, dtype=getattr(lib, dtype)).numpy()

    expected, actual = run(torch), run(torchless)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("statement", [
    "r = torch.logspace(torch.tensor(1+1j), 2, 3)",
    "r = torch.logspace(complex(1, float('inf')), 2, 1)",
    "r = torch.logspace(complex(float('nan'), 1), 2, 1)",
    "r = torch.logspace(1j, 2, 1, base=float('inf'))",
    "r = torch.logspace(1j, 2, 1, base=0)",
    "r = torch.logspace(0, 2, 0, dtype=torch.complex128, base=2)",
])
def test_complex_logspace_edges(statement):
    _same_as_torch(statement)


@pytest.mark.parametrize("statement", [
    "r = type(torch.Size([2, 3]) * 2).__name__",
    "r = type(2 * torch.Size([2, 3])).__name__",
    "r = repr(torch.Size([2, 3]) * 0)",
    "r = repr(torch.Size([2, 3]) * np.int64(2))",
    "r = repr(torch.Size([2, 3]) * torch.tensor(2))",
    "r = repr(torch.Size([2, 3]) * 1.5)",
    "r = repr(1.5 * torch.Size([2, 3]))",
    "r = repr(torch.Size([2, 3]) * None)",
    "r = repr(torch.Size([2, 3]) + [4])",
    "r = repr(torch.Size([2, 3]) + (4,))",
    "r = repr((4,) + torch.Size([2, 3]))",
    "r = type((4,) + torch.Size([2, 3])).__name__",
    "r = torch.Size([2, 3]).__radd__([1])",
    "r = repr(torch.Size([2, 3]).__reduce__()).replace('torchless', 'torch')",
    "r = repr(pickle.loads(pickle.dumps(torch.Size([2, 3]))))",
])
def test_size_arithmetic(statement):
    def outcome(lib):
        import pickle

        scope = {"torch": lib, "np": np, "pickle": pickle}
        try:
            exec(statement, scope)
        except TypeError as exc:
            return "TypeError", str(exc)
        return repr(scope["r"]).replace("torchless", "torch")

    assert outcome(torchless) == outcome(torch)


@pytest.mark.parametrize("force", ["None", "1", "0.0", "'x'", "np.bool_(True)"])
def test_numpy_force_must_be_a_bool(force):
    _same_as_torch(f"r = torch.ones(2).numpy(force={force})")


@pytest.mark.parametrize("statement", [
    "r = torch.ones(2, requires_grad=True).numpy(force=False)",
    "r = torch.ones(2, requires_grad=True).numpy()",
    "r = torch.ones(2).numpy(True)",
    "r = torch.ones(2, requires_grad=True).numpy(force=True).tolist()",
])
def test_numpy_force(statement):
    _same_as_torch(statement)


@pytest.mark.parametrize("shape, key", [
    ((0, 1), "([], 0, ...)"), ((2, 3), "([0, 1], 0, ...)"), ((2, 3, 4), "([0, 1], 0, ...)"),
    ((2, 3, 4), "(torch.tensor([True, False]), 0, ...)"), ((2, 3, 4), "([[0], [1]], 1, ..., None)"),
])
def test_setitem_with_an_index_list_before_an_ellipsis(shape, key):
    """An index array before the Ellipsis (its position was looked up with ==, which NumPy makes elementwise)."""
    _same_as_torch(f"r = torch.arange(float({np.prod(shape)})).reshape{shape}; r[{key}] = -1.0")


@pytest.mark.parametrize("statement", [
    "r = torch.Tensor(torch.Size([2, 3])).shape",
    "r = torch.Tensor(torch.Size([])).shape",
    "r = torch.Tensor(torch.Size([0, 3])).shape",
    "r = torch.Tensor(torch.Size([-1, 3]))",
    "r = torch.FloatTensor(torch.Size([2, 3])).shape",
    "r = str(torch.LongTensor(torch.Size([2])).dtype).replace('torchless', 'torch')",
    "r = torch.Tensor((2, 3))",
    "r = torch.Tensor([2, 3])",
])
def test_legacy_constructor_reads_a_size_as_sizes(statement):
    _same_as_torch(statement)


@pytest.mark.parametrize("statement", [
    "r = pow(torch.tensor([2]), 3, 5)",
    "r = pow(torch.tensor([2.]), 3, 5)",
    "r = pow(torch.tensor([2.]), 3, None)",
    "r = pow(torch.tensor([2.]), torch.tensor([3.]), torch.tensor([5.]))",
])
def test_three_argument_pow(statement):
    _same_as_torch(statement)


@pytest.mark.parametrize("statement", [
    "r = torch.arange(6.).split(split_size=4)",
    "r = torch.arange(6.).split(split_size=[2, 4], dim=0)",
    "r = torch.arange(6.).split(split_size_or_sections=2)",
    "s = torch.get_rng_state(); a = torch.rand(2); torch.set_rng_state(new_state=s); r = torch.equal(a, torch.rand(2))",
])
def test_keyword_names_of_python_defined_functions(statement):
    """Tensor.split names its size split_size (torch.split split_size_or_sections); set_rng_state's new_state."""
    assert repr(_outcome(torchless, statement)).replace("torchless", "torch") == repr(_outcome(torch, statement))


MIXED_DATA = [
    # a tensor where a sequence belongs is read as one, over its first dim; where a number belongs, as one number
    "r = torch.tensor([[1.5], torch.tensor([2.5])])",
    "r = torch.tensor([[[1.5]], torch.tensor([[2.5]])])",
    "r = torch.tensor([[[1.5]], [torch.tensor([2.5])]])",
    "r = torch.tensor([[1.5, 2], torch.tensor([[2.5], [3]])])",
    "r = torch.tensor([[1.5], torch.tensor([2.5], requires_grad=True)])",
    "r = torch.tensor([[1.5, 2], torch.tensor([2.5, 3, 4])])",
    "r = torch.tensor([[1.5], torch.tensor([2.5])], dtype=torch.float64)",
    "r = torch.tensor([torch.tensor([1.5]), 2.])",
    # memoryview and array.array are sequences
    "r = torch.tensor(memoryview(b'ab'))",
    "r = torch.tensor(array.array('f', [1, 2]))",
    "r = torch.tensor(array.array('i', [1, 2]))",
    "r = torch.tensor([array.array('f', [1, 2]), [3, 4]])",
    "r = torch.tensor(array.array('f', [1.5, 2]), dtype=torch.int64)",
    # only Python's numbers are inferred; others are stored into a dtype given
    "r = torch.tensor([fractions.Fraction(1, 2)])",
    "r = torch.tensor(fractions.Fraction(1, 2))",
    "r = torch.tensor([decimal.Decimal('1.5')])",
    "r = torch.tensor([fractions.Fraction(1, 2)], dtype=torch.float32)",
    "r = torch.tensor([[fractions.Fraction(1, 2), 1], [2, 3]], dtype=torch.float64)",
    "r = torch.tensor([fractions.Fraction(1, 2)], dtype=torch.int64)",
    "r = torch.tensor(decimal.Decimal('2.5'), dtype=torch.float32)",
    "r = torch.tensor([[fractions.Fraction(1, 2), 1], [2]], dtype=torch.float32)",
    "r = torch.tensor([object()], dtype=torch.float32)",
]


@pytest.mark.parametrize("statement", MIXED_DATA)
def test_tensor_from_mixed_nested_data(statement):
    import decimal
    import fractions

    def outcome(lib):
        scope = {"torch": lib, "array": array, "fractions": fractions, "decimal": decimal}
        try:
            exec(statement, scope)
        except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
            return type(exc).__name__, str(exc)
        r = scope["r"]
        return repr(r).replace("torchless", "torch"), repr(r.numpy().tolist())

    assert outcome(torchless) == outcome(torch)


@pytest.mark.parametrize("call", [
    "torch.ones(2, 3), torch.ones(3, 2).t(), check_stride=True",
    "torch.ones(2, 3), torch.ones(3, 2).t()",
    "torch.ones(2, 3), torch.ones(2, 3), check_stride=True",
    "torch.ones(2, 1), torch.ones(1, 2).t(), check_stride=True",
    "torch.ones(2, 3)[:, ::2], torch.ones(2, 2), check_stride=True",
    "torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64).t(), check_stride=True",
    "[torch.ones(2, 3)], [torch.ones(3, 2).t()], check_stride=True",
    "torch.ones(2, 3), torch.zeros(3, 2).t(), check_stride=True, msg='m'",
    "torch.ones(1, 2, 2, 2).contiguous(memory_format=torch.channels_last), torch.ones(1, 2, 2, 2), check_stride=True",
    "torch.ones(0, 3), torch.ones(3, 0).t(), check_stride=True",
])
def test_assert_close_check_stride(call):
    _same_as_torch(f"r = torch.testing.assert_close({call})")


@pytest.mark.parametrize("call", [
    "torch.rand(2, generator='x')", "torch.rand(2, 3, generator=1)", "torch.randn(2, generator='x')",
    "torch.randint(5, (2,), generator='x')", "torch.randperm(5, generator='x')",
    "torch.normal(0., 1., (2,), generator='x')", "torch.normal(torch.zeros(2), 1., generator='x')",
    "torch.bernoulli(torch.zeros(2), generator='x')", "torch.bernoulli(torch.zeros(2), 0.5, generator='x')",
    "torch.multinomial(torch.ones(2), 1, generator='x')", "torch.poisson(torch.ones(2), generator='x')",
    "torch.poisson(torch.ones(2), 'x')",
    "torch.normal(torch.zeros(2), 1., generator=torch.Generator()).shape",
    "torch.multinomial(torch.ones(2), 1, generator=torch.Generator().manual_seed(1)).shape",
])
def test_generator_argument_must_be_a_generator(call):
    _same_as_torch(f"r = {call}")
