"""Parity regressions found in session 31's last sweep (misc31): each compared with PyTorch at run time."""
import re

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call, library):
    """(type name, message with torchless's name spelt as PyTorch's) of the error ``call(library)`` raises."""
    with pytest.raises(Exception) as caught:
        call(library)
    return type(caught.value).__name__, str(caught.value).replace("torchless", "torch")


@pytest.mark.parametrize("make", [lambda lib: lib.Generator(), lambda lib: lib.manual_seed(0)])
def test_generator_prints_as_the_compiled_class(make):
    def shown(library):
        return re.sub(r"0x[0-9a-f]+", "0x", repr(make(library))).replace("torchless", "torch")
    assert shown(torchless) == shown(torch)


def _outcome_or_value(call, library):
    """What ``call(library)`` returns, or the error it raises as (type name, message spelt as PyTorch's)."""
    try:
        return call(library)
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error).replace("torchless", "torch")


def _outcome(call, library):
    """The error ``call(library)`` raises as (type name, message spelt as PyTorch's), or "ran"."""
    def ran(library):
        call(library)
        return "ran"
    return _outcome_or_value(ran, library)


CHUNK_SIZES = [1.5, 1.0, 4.0, 0, -1, True, False, "2", None, 1, 2, 7]


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES, ids=repr)
@pytest.mark.parametrize("shape,in_dims", [((3,), 0), ((1,), 0), ((2, 5), 1), ((2, 5), -1)])
@pytest.mark.parametrize("vmap", ["vmap", "func.vmap"])
def test_vmap_chunk_size_is_checked_as_torch_checks_it(vmap, shape, in_dims, chunk_size):
    def call(library):
        transform = library.vmap if vmap == "vmap" else library.func.vmap
        return transform(lambda x: x.sin() * 2, in_dims=in_dims, chunk_size=chunk_size)(library.ones(shape))
    assert _outcome(call, torchless) == _outcome(call, torch)


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES, ids=repr)
@pytest.mark.parametrize("size", [1, 3, 6])
def test_jacrev_chunk_size_is_checked_as_torch_checks_it(size, chunk_size):
    def call(library):
        return library.func.jacrev(lambda x: (x.sin(), x[:1] * 2), chunk_size=chunk_size)(library.ones(size))
    assert _outcome(call, torchless) == _outcome(call, torch)


def _hooked_step(library, optimizer, replacement):
    """The outcome of ``optimizer``'s step whose pre-hook returns ``replacement(opt)`` (new args and kwargs)."""
    param = library.nn.Parameter(library.linspace(-1, 1, 3))
    param.grad = library.ones(3)
    opt = getattr(library.optim, optimizer)([param], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kwargs: replacement(o))
    try:
        return "ran", opt.step(), param.tolist()
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error).replace("torchless", "torch")


REPLACEMENTS = {"no args": lambda o: ((), {}), "no args, closure": lambda o: ((), {"closure": None}),
                "empty list": lambda o: ([], {}), "None as self": lambda o: ((None,), {}),
                "unknown keyword": lambda o: ((), {"x": 1}), "kwargs not a mapping": lambda o: ((o,), 3),
                "args not iterable": lambda o: (1, 2), "own args": lambda o: ((o,), {}),
                "closure": lambda o: ((o,), {"closure": lambda: 2.5}), "stray keyword": lambda o: ((o,), {"x": 1})}


@pytest.mark.parametrize("replacement", REPLACEMENTS.values(), ids=REPLACEMENTS.keys())
@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "ASGD", "NAdam",
                                       "RAdam", "RMSprop", "Rprop"])
def test_step_pre_hook_arguments_meet_the_step_as_in_torch(optimizer, replacement):
    ours, theirs = _hooked_step(torchless, optimizer, replacement), _hooked_step(torch, optimizer, replacement)
    if ours[0] == "ran" == theirs[0]:
        assert ours[1] == theirs[1] and ours[2] == pytest.approx(theirs[2], rel=1e-6)
    else:
        assert ours == theirs


def _first_line(call, library):
    """``_outcome``'s, the message cut to its first line (PyTorch goes on with the C++ stack of an overflow)."""
    outcome = _outcome(call, library)
    return outcome if outcome == "ran" else (outcome[0], outcome[1].partition("\n")[0].removesuffix('"'))


NORM_CALLS = {
    "method dim": lambda lib, x: x.norm(2, 10 ** 20), "keyword dim": lambda lib, x: x.norm(2, dim=10 ** 20),
    "function": lambda lib, x: lib.norm(x, 2, 10 ** 20), "function keyword": lambda lib, x: lib.norm(x, dim=-10 ** 20),
    "in a tuple": lambda lib, x: x.norm(2, (0, 10 ** 20)), "in a list": lambda lib, x: x.norm(1, [2 ** 63], True),
    "2**63": lambda lib, x: x.norm(2, 2 ** 63), "fro": lambda lib, x: x.norm("fro", 2 ** 64),
    "p=0": lambda lib, x: x.norm(0, -2 ** 63 - 1), "largest int64": lambda lib, x: x.norm(2, 2 ** 63 - 1),
    "in range": lambda lib, x: x.norm(3, (1, -2)),
}


@pytest.mark.parametrize("call", NORM_CALLS.values(), ids=NORM_CALLS.keys())
def test_norm_dim_beyond_int64_is_the_parsers_type_error(call):
    def run(library):
        return call(library, library.ones(2, 3))
    assert _first_line(run, torchless) == _first_line(run, torch)


LRN_SCALARS = [dict(alpha=1 + 2j), dict(beta=0.5 + 1j), dict(k=2j), dict(alpha=1j, beta=1j, k=1j),
               dict(alpha=1j, beta=-1, k=0), dict(alpha=2, beta=-1, k=1), dict(alpha=True, beta=0.5, k=False)]


@pytest.mark.parametrize("scalars", LRN_SCALARS, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 4, 2, 3), (1, 3, 2, 2, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_local_response_norm_takes_complex_scalars_as_torch(dtype, shape, scalars):
    data = np.random.default_rng(sum(shape)).uniform(-3, 3, shape).astype(dtype)
    grad = dtype != "int64"

    def run(library):
        x = library.tensor(data, requires_grad=grad)
        out = library.nn.functional.local_response_norm(x, 3, **scalars)
        if grad:
            out.abs().sum().backward()
        return str(out.dtype).replace("torchless", "torch"), out.detach().numpy(), grad and x.grad.numpy()
    ours, theirs = _outcome_or_value(run, torchless), _outcome_or_value(run, torch)
    if isinstance(theirs, tuple) and len(theirs) == 3:
        assert ours[0] == theirs[0]
        tolerance = 1e-4 if dtype != "float64" else 1e-10
        np.testing.assert_allclose(ours[1], theirs[1], rtol=tolerance, atol=tolerance)
        if grad:
            np.testing.assert_allclose(ours[2], theirs[2], rtol=tolerance, atol=tolerance)
    else:
        assert ours == theirs
