"""Parity regressions found by tensor29 (session 29): the print options held in ``torch._tensor_str.PRINT_OPTS``
(read by get_printoptions, changed for a block by printoptions); the out= variants of the reductions (their
``<name>_out`` named tuples, the out tuple's length, the dtype each out tensor must have, the dtype argument against
out's) and arange's silent resize of an empty out."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, statement):
    """Run ``statement`` (binding ``r``) with ``torch`` bound to ``lib``, the print options reset afterwards: the
    error's type and message, or r's repr with the library's name read as torch's."""
    scope = {"torch": lib, "np": np}
    try:
        exec(statement, scope)
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
        return type(exc).__name__, str(exc).replace("torchless", "torch")
    finally:
        lib.set_printoptions(profile="default")
    return repr(scope["r"]).replace("torchless", "torch")


def _same_as_torch(statement):
    assert _outcome(torchless, statement) == _outcome(torch, statement)


PRINT_OPTIONS = [
    "r = torch._tensor_str.PRINT_OPTS",
    "torch.set_printoptions(profile='full'); r = torch._tensor_str.PRINT_OPTS.threshold",
    "torch.set_printoptions(precision=2, linewidth=50, sci_mode=True); r = torch._tensor_str.get_printoptions()",
    "torch.set_printoptions(profile='short'); r = torch._tensor_str.get_printoptions()",
    # the options of a block, and those before it back afterwards
    "with torch._tensor_str.printoptions(precision=2):\n"
    "    inside = repr(torch.tensor([1.123456]))\n"
    "r = inside, repr(torch.tensor([1.123456])), torch._tensor_str.get_printoptions()",
    "torch.set_printoptions(precision=2, sci_mode=True)\n"
    "with torch._tensor_str.printoptions(linewidth=30, edgeitems=1, threshold=3):\n"
    "    inside = repr(torch.arange(10.))\n"
    "r = inside, repr(torch.arange(10.)), torch._tensor_str.get_printoptions()",
    # the object is the one the printing reads
    "torch._tensor_str.PRINT_OPTS.precision = 1; r = repr(torch.tensor([1.26, 3.0]))",
    "torch._tensor_str.PRINT_OPTS.sci_mode = True; r = repr(torch.tensor([1.26, 3.0]))",
]


@pytest.mark.parametrize("statement", PRINT_OPTIONS)
def test_print_options_object_as_pytorch(statement):
    _same_as_torch(statement)


def _run(lib, statement):
    """Run ``statement`` (binding ``r``) with ``torch`` bound to ``lib``: the error's type and message, or r's repr
    (a tensor's values and dtype, a named tuple's type name too) and the warnings raised, read as torch's."""
    scope = {"torch": lib, "x": lib.tensor([[1.0, -2.0, 3.0], [0.5, 2.0, -1.0]]), "E": lib.empty}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(statement, scope)
        except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
            return type(exc).__name__, str(exc).replace("torchless", "torch")
    shown = repr(scope["r"]).replace("torchless", "torch")
    return shown, [str(w.message).replace("torchless", "torch") for w in caught]


OUT_VARIANTS = [
    # the named tuple of an out= variant is PyTorch's <name>_out, holding the out tensors
    *(f"r = torch.{call}" for call in (
        "max(x, 1, out=(E(0), E(0, dtype=torch.long)))", "min(x, 0, True, out=[E(0), E(0, dtype=torch.long)])",
        "sort(x, out=(E(0), E(0, dtype=torch.long)))", "topk(x, 2, out=(E(0), E(0, dtype=torch.long)))",
        "kthvalue(x, 1, out=(E(0), E(0, dtype=torch.long)))", "mode(x, out=(E(0), E(0, dtype=torch.long)))",
        "median(x, 1, out=(E(0), E(0, dtype=torch.long)))", "nanmedian(x, 0, out=(E(0), E(0, dtype=torch.long)))",
        "cummax(x, 0, out=(E(0), E(0, dtype=torch.long)))", "cummin(x, 1, out=(E(0), E(0, dtype=torch.long)))",
        "aminmax(x, dim=1, out=(E(0), E(0)))", "frexp(x, out=(E(0), E(0, dtype=torch.int32)))",
        "histogram(x, 3, out=(E(0), E(0)))")),
    "values, indices = E(0), E(0, dtype=torch.long); r = torch.max(x, 1, out=(values, indices)); "
    "r = r.values is values and r[1] is indices, type(r).__name__",
    # an out tuple of another length than the results'
    *(f"r = torch.{call}" for call in (
        "max(x, 1, out=(E(0),))", "sort(x, out=(E(0), E(0, dtype=torch.long), E(0)))", "topk(x, 2, out=[E(0)])",
        "aminmax(x, out=(E(0),))", "histogram(x, 3, out=(E(0),))")),
    # each out tensor of its result's dtype, checked in PyTorch's order
    *(f"r = torch.{function}(x, {arguments}out=({values}, {indices}))"
      for function, arguments in (("kthvalue", "1, "), ("mode", ""), ("median", "1, "), ("nanmedian", "0, "),
                                  ("frexp", ""), ("histogram", "3, "))
      for values, indices in (("E(0, dtype=torch.float64)", "E(0, dtype=torch.long)"),
                              ("E(0, dtype=torch.float64)", "E(0, dtype=torch.int32)"),
                              ("E(0)", "E(0, dtype=torch.int32)"), ("E(0)", "E(0)"),
                              ("E(0, dtype=torch.float16)", "E(0, dtype=torch.long)"))),
    # a reduction's dtype argument must be out's
    *(f"r = torch.{call}" for call in (
        "sum(x, 1, dtype=torch.float64, out=E(0))", "sum(x, 1, dtype=torch.int64, out=E(0, dtype=torch.float16))",
        "sum(x, 1, dtype=torch.float64, out=E(0, dtype=torch.float64))", "prod(x, 1, dtype=torch.float64, out=E(0))",
        "cumsum(x, 1, dtype=torch.float64, out=E(0, dtype=torch.complex64))",
        "cumprod(x, 0, dtype=torch.float64, out=E(0, dtype=torch.int64))",
        "nansum(x, 1, dtype=torch.float64, out=E(0))", "nansum(x, 1, dtype=torch.float64, out=E(0, dtype=torch.int64))",
        "mean(x, 1, dtype=torch.float64, out=E(0))", "mean(x, dtype=torch.float64, out=E(0))",
        "mean(x, 1, out=E(0, dtype=torch.float64))", "sum(x, 1, out=E(0, dtype=torch.int64))")),
    # the parser's refusals of out= calls the function itself takes: sum and prod without a dim have no out
    "r = torch.sum(x, out=E(0))", "r = torch.prod(x, out=E(0))", "r = torch.sum(x, dtype=torch.float64, out=E(0))",
    # histc's out is of the input's dtype exactly
    "r = torch.histc(x, bins=3, out=E(0, dtype=torch.float64))", "r = torch.histc(x, bins=3, out=E(0))",
    # arange resizes an empty out silently, warns of one with elements
    "r = torch.arange(5, out=E(0))", "r = torch.arange(5, out=E(0, dtype=torch.long))", "r = torch.arange(5, out=E(3))",
    "r = torch.arange(0, 1, 0.25, out=E(2, 3))", "r = torch.linspace(0, 1, 5, out=E(3))",
]


@pytest.mark.parametrize("statement", OUT_VARIANTS)
def test_out_variants_as_pytorch(statement):
    assert _run(torchless, statement) == _run(torch, statement)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_unique_along_a_dim_orders_and_merges_slices_with_nan_as_pytorch(seed, dtype):
    # PyTorch sorts the slices by std::sort under an element-by-element comparator in which NaN decides nothing,
    # then merges equal neighbours as torch.equal does (NaN equals nothing)
    rng = np.random.default_rng(seed)
    rows = (5, 14, 40, 90, 7, 23)[seed]
    values = rng.choice([np.nan, 0.0, -0.0, 1.0, 2.0, -1.0, np.inf], size=(rows, 1 + seed % 3, 1 + seed % 2))
    for dim in (0, 1, -1):
        results = [lib.unique(lib.tensor(values, dtype=getattr(lib, dtype)), dim=dim, return_inverse=True,
                              return_counts=True) for lib in (torch, torchless)]
        for expected, got in zip(*results):
            assert repr(got.numpy().tolist()) == repr(expected.numpy().tolist())
            assert tuple(got.shape) == tuple(expected.shape) and str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]


@pytest.mark.parametrize("operands", [
    "torch.tensor([1., 2.], dtype=torch.float16), 1j", "1j, torch.tensor(1., dtype=torch.float16)",
    "torch.tensor([1.], dtype=torch.float16), torch.tensor(1j)",
    "torch.tensor(1j, dtype=torch.complex128), torch.tensor([1.], dtype=torch.float16)",
    # (complex64 wherever the half tensor does not decide the precision)
    "torch.tensor([1.], dtype=torch.float16), torch.tensor([1j])", "torch.tensor(1., dtype=torch.float16), "
    "torch.tensor(1j)", "torch.tensor([1.]), 1j", "torch.tensor([1], dtype=torch.int8), 1j"])
def test_result_type_of_half_and_complex_is_complex_half(operands):
    statement = f"r = torch.result_type({operands})"
    assert _run(torchless, statement) == _run(torch, statement)


@pytest.mark.parametrize("call", [
    # the bounds checked as doubles and printed as an ostream prints them (6 significant digits)
    "arange(float('nan'), 2147483648)", "arange(1234567, float('inf'))", "arange(10**15, float('inf'))",
    "arange(float('nan'), dtype=torch.int32)", "arange(True, float('inf'))", "arange(torch.tensor(3), float('inf'))",
    "arange(1e-7, float('inf'))", "arange(-float('inf'), 0)",
    # an int the parser cannot read as int64 nor uint64, and one it reads as uint64 for an int64 range
    "arange(0, 10**20)", "arange(10**20)", "arange(0, 10, 10**20)", "arange(-10**20, 0)", "arange(0.5, 10**20)",
    "arange(2**63)", "arange(2**63, 2**63 + 2)", "arange(0, 2**63, 2)", "arange(2**63 - 5, 2**63)",
    "arange(-2**63, -2**63 + 3)", "arange(2**62, 2**62 + 2)"])
def test_arange_bounds_as_pytorch(call):
    statement = f"r = torch.{call}"
    assert _run(torchless, statement) == _run(torch, statement)
