"""Helpers shared by the test files.

* ``tensor``, ``state_dict_from_torch``: NumPy arrays and PyTorch state as torchless tensors;
* ``assert_same_tensor``: two tensors alike to the bit, strides included, or within a tolerance;
* ``outcome``, ``Raised``, ``assert_same_error``, ``evaluated_as_written``: behaviour, exceptions included, compared
  with PyTorch's;
* ``assert_matches_torch``: a torchless result against PyTorch's, forward and backward;
* ``modules_with_same_repr``: the same layer built by both libraries;
* ``central_difference``, ``numerical_gradients``, ``finite_difference_check``: gradients by central
  differences in float64, independent of autograd and of PyTorch;
* ``examples``: the Hypothesis settings of these tests;
* ``pickled_int``, ``WriteOnlyStream``: hand-made pickle bytes and an unseekable stream, for the checkpoint tests.

Imported as ``from helpers import ...``: pytest puts tests/ on ``sys.path`` (``pythonpath`` in pyproject.toml).
"""
import decimal
import io
import os
import pathlib
import pickle
import re
import struct
import subprocess
import sys
import textwrap
import warnings
from typing import NamedTuple

import numpy as np
from hypothesis import settings

import torchless


# ---------------------------------------------------------------------------- Hypothesis
def examples(max_examples):
    """Hypothesis settings: at most ``max_examples`` cases, and no deadline (first calls and a busy machine
    make the time of one example too uneven to bound)."""
    return settings(max_examples=max_examples, deadline=None)


# ---------------------------------------------------------------------------- conversions
def tensor(array, requires_grad=False):
    """A torchless tensor of ``array`` with the dtype NumPy gives it (Python floats become float64)."""
    return torchless.tensor(np.asarray(array), requires_grad=requires_grad)


def state_dict_from_torch(module):
    """A torch module's state_dict as torchless tensors, for ``load_state_dict`` of the torchless twin."""
    return {key: tensor(value.numpy()) for key, value in module.state_dict().items()}


# ---------------------------------------------------------------------------- exceptions
class Raised(NamedTuple):
    """What a call raised: the exception's type name and its message."""

    type: str
    message: str


def outcome(fn):
    """``fn()``'s result, or ``Raised(type name, message)`` if it raised."""
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return Raised(type(error).__name__, str(error))


def outcome_named_as_torch(call):
    """What ``call()`` returns, or its exception's type and message (torchless's names read as torch's)."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")


def same_in_both(scenario):
    """``scenario(lib)`` for torch and for torchless; asserts the two records are equal, returns torch's. Call it
    only where torch imports."""
    import torch

    expected, got = scenario(torch), scenario(torchless)
    assert got == expected
    return expected


def recorded_tensors(lib, make):
    """``make(lib)``'s tensors as (shape, strides, values rounded to float32 precision), or the exception's type
    name and message (torchless's names read as torch's)."""
    try:
        result = make(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, tuple) else (result,)
    return [(tuple(t.shape), t.stride(), float32_comparable(t.detach().numpy())) for t in results]


def float32_comparable(values):
    """``values`` rounded to float32 precision, as nested lists whose NaNs compare equal (as the string "nan")."""
    rounded = np.round(values.astype(np.float64), 5)
    listed = rounded.astype(object)
    listed[np.isnan(rounded)] = "nan"
    return listed.tolist()


def tensor_outcome(call, lib):
    """``call(lib)``'s result as comparable data (its values, shape, dtype and strides), or its error's type name
    and message (torchless's names read as torch's); warnings on the way are ignored."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(lib)
    except Exception as error:  # noqa: BLE001 (the error is the outcome compared)
        return type(error).__name__, str(error).replace("torchless", "torch")
    return out.tolist(), tuple(out.shape), str(out.dtype).split(".")[-1], tuple(out.stride())


def graph_summary(value):
    """A result comparable between the libraries: tensors as (dtype, shape, values, requires_grad, grad_fn
    name), containers item by item."""
    if isinstance(value, dict):
        return {key: graph_summary(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value).__name__, [graph_summary(item) for item in value]
    if hasattr(value, "grad_fn"):
        node = value.grad_fn
        return (str(value.dtype).split(".")[-1], tuple(value.shape),
                np.round(np.asarray(value.detach().tolist(), dtype=complex), 5).tolist(), value.requires_grad,
                None if node is None else type(node).__name__)
    return value


def graph_outcome(fn, lib):
    """``graph_summary(fn(lib))``, or its error's type name and message (torchless's names read as torch's);
    warnings on the way are ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return graph_summary(fn(lib))
        except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
            return type(error).__name__, str(error).replace("torchless", "torch")


def assert_same_graph_outcome(fn):
    """``fn(lib)`` gives torch's graph_outcome in torchless; returns torch's. Call it only where torch imports."""
    import torch

    expected = graph_outcome(fn, torch)
    assert graph_outcome(fn, torchless) == expected
    return expected


def assert_raises_as_torch(torch_call, torchless_call):
    """torchless's call raises torch's exception type, with torch's message once its names read as torch's."""
    import pytest

    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as got:
        torchless_call()
    assert str(got.value).replace("torchless", "torch") == str(expected.value)


def assert_same_outcome(fn, rtol=1e-5, atol=1e-6):
    """``fn(lib)`` raises the same error in torch and torchless, or returns tensors (or a tuple of them) of the
    same shape, dtype and values. Call it only where torch imports (after ``pytest.importorskip("torch")``)."""
    import torch

    expected, actual = outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual
        return
    assert not isinstance(actual, Raised), actual
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = actual if isinstance(actual, tuple) else (actual,)
    for theirs, ours in zip(expected, actual, strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.detach().numpy().astype(np.float64),
                                   theirs.detach().numpy().astype(np.float64), rtol=rtol, atol=atol)


def assert_same_tensor(actual, expected, exact=True, rtol=None, atol=None, nan_sign=True):
    """Same dtype, shape, strides and values of two tensors from either library.

    exact: equal to the bit, the sign of zero included, and of NaN unless ``nan_sign`` is false (PyTorch's kernels
    do not promise a NaN's sign). Otherwise within ``rtol``/``atol``: by default 2e-6/1e-6 in float32 and 1e-12
    in float64; an ``rtol`` given alone is also the ``atol``.
    """
    assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(actual.shape) == tuple(expected.shape) and actual.stride() == expected.stride()
    a, e = actual.detach().numpy(), expected.detach().numpy()
    if exact:
        np.testing.assert_array_equal(a, e)
        if a.dtype.kind == "f":
            keep = np.ones(a.shape, bool) if nan_sign else ~np.isnan(a)
            np.testing.assert_array_equal(np.signbit(a) & keep, np.signbit(e) & keep)
        return
    if rtol is None:
        rtol, atol = (2e-6, 1e-6) if a.dtype == np.float32 else (1e-12, 1e-12)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol if atol is None else atol)


def assert_same_error(torch_call, torchless_call):
    """Both calls raise the same exception type with the same message (``torch.`` read as ``torchless.``).

    Warnings on the way are ignored: only the exceptions are compared.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(torch_call), outcome(torchless_call)
    assert isinstance(expected, Raised), f"torch did not raise: {expected}"
    assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual


def described(value):
    """A result as comparable between the libraries: dtype, shape and values (rounded) of its tensors, else its
    repr with ``torch.`` read as ``torchless.``."""
    if isinstance(value, (tuple, list)):
        return tuple(described(item) for item in value)
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        values = np.asarray(value.detach().tolist(), dtype=float)
        return str(value.dtype).split(".")[-1], tuple(value.shape), np.round(values, 4).tolist()
    return repr(value).replace("torch.", "torchless.")


def evaluated_as_written(source, namespace):
    """The expression ``source`` evaluated in ``namespace``, warnings ignored: its :func:`described` result, or
    (type name, message) of what it raised, ``torch.`` read as ``torchless.``. Compiled from source, as CPython's
    own TypeErrors depend on how a call is written."""
    code = compile(source, f"<{source}>", "eval")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = outcome(lambda: described(eval(code, namespace)))
    if isinstance(result, Raised):
        return result.type, result.message.replace("torch.", "torchless.")
    return result


def assert_same_error_as_written(source):
    """``source``, an expression of ``lib`` and ``x`` (a 2x2 tensor of ones) evaluated with ``lib`` either library,
    raises the same error in both. Compiled from source, as CPython's own TypeErrors depend on how a call is
    written."""
    import torch

    code = compile(source, f"<{source}>", "eval")
    assert_same_error(*(lambda lib=lib: eval(code, {"lib": lib, "x": lib.ones(2, 2)}) for lib in (torch, torchless)))


# ---------------------------------------------------------------------------- against PyTorch
def torch_rounds_as_recorded():
    """Whether PyTorch's CPU kernels round here as on the Intel hosts the last-bit tests were written on.

    On AMD's CPUs the same PyTorch build gives other last bits where it calls MKL's vector math (VML's float32
    sqrt is 1 ulp off for a fifth of its inputs there); torchless follows the host where it can (MKL's fused or
    plain sums, oneDNN's or the reference half convolutions), and tests of the rest skip their last bits.
    """
    from torchless import _cpu_features

    return _cpu_features.vendor() != "AuthenticAMD"


def assert_matches_torch(actual, expected, inputs, expected_inputs, tol, rng):
    """``actual`` (torchless) against ``expected`` (torch), each computed from its ``inputs`` made of the same arrays.

    Same shape, dtype, values (within ``tol``, keyword arguments of ``assert_allclose``) and grad_fn name;
    then one random output gradient drawn from the NumPy generator ``rng``, propagated back through both,
    gives the same gradient to every input that requires one.
    """
    import torch

    assert actual.shape == tuple(expected.shape)
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)
    assert actual.grad_fn.name() == expected.grad_fn.name()
    grad = rng.standard_normal(tuple(expected.shape)).astype(actual.dtype.numpy)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    for ours, theirs in zip(inputs, expected_inputs):
        if theirs.requires_grad:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


def modules_with_same_repr(name, *args, **kwargs):
    """``torch.nn.<name>(*args, **kwargs)`` and ``torchless.nn.<name>(*args, **kwargs)``, whose reprs must agree."""
    import torch

    theirs, ours = getattr(torch.nn, name)(*args, **kwargs), getattr(torchless.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    return theirs, ours


# ---------------------------------------------------------------------------- finite differences
def central_difference(loss, arrays, which, index, eps=1e-6):
    """d loss(arrays) / d arrays[which][index], by a central difference (``arrays`` are left unchanged)."""
    plus = [a.copy() for a in arrays]
    minus = [a.copy() for a in arrays]
    plus[which][index] += eps
    minus[which][index] -= eps
    return (loss(plus) - loss(minus)) / (2 * eps)


def grad_fn_chain(tensor, depth=6):
    """The names of the first ``depth`` nodes of a tensor's graph along each node's first input."""
    names, node = [], tensor.grad_fn
    while node is not None and len(names) < depth:
        names.append(node.name())
        inputs = [f for f, _ in node.next_functions if f is not None]
        node = inputs[0] if inputs else None
    return names


def numerical_gradients(loss, arrays, eps=1e-6):
    """The gradient of the number ``loss(arrays)`` with respect to each array, by central differences."""
    gradients = []
    for which, array in enumerate(arrays):
        gradient = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            gradient[index] = central_difference(loss, arrays, which, index, eps)
        gradients.append(gradient)
    return gradients


def numerical_second_gradients(fn, arrays, seed=0):
    """Second derivatives of ``fn(torchless, *tensors)`` by central differences of its ordinary first gradient: the
    gradient, with respect to each input, of sum(w_i * d(u . fn)/dx_i) for fixed random u and w_i (drawn from
    ``seed``, as the tests that differentiate twice draw them)."""
    import torchless

    rng = np.random.default_rng(seed)
    with torchless.no_grad():
        shape = tuple(fn(torchless, *[torchless.tensor(a) for a in arrays]).shape)
    u = rng.standard_normal(shape)
    w = [rng.standard_normal(a.shape) for a in arrays]

    def loss(values):
        xs = [torchless.tensor(v, requires_grad=True) for v in values]
        firsts = torchless.autograd.grad(fn(torchless, *xs), xs, torchless.tensor(u), allow_unused=True)
        return sum(float((g.numpy() * v).sum()) for g, v in zip(firsts, w) if g is not None)

    return numerical_gradients(loss, [np.array(a, np.float64) for a in arrays])


def finite_difference_check(fn, arrays, eps=1e-6, rtol=1e-6, atol=1e-6, seed=0):
    """Autograd's gradients of sum(fn(*tensors) * r) against central differences, in float64.

    ``fn`` maps torchless tensors to a tensor; ``arrays`` are its inputs (cast to float64); ``r`` is a
    standard normal array drawn with ``seed``.
    """
    arrays = [np.asarray(a, np.float64) for a in arrays]
    tensors = [tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    r = np.random.default_rng(seed).standard_normal(out.shape)
    (out * tensor(r)).sum().backward()

    def loss(values):
        with torchless.no_grad():
            return float((fn(*[tensor(v) for v in values]).numpy() * r).sum())

    for t, numeric in zip(tensors, numerical_gradients(loss, arrays, eps)):
        np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- checkpoints
def pickled_int(n):
    """The pickle opcode that pushes the integer ``n`` (BININT, or LONG1 beyond 32 bits)."""
    if -2 ** 31 <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    encoded = pickle.encode_long(n)
    return b"\x8a" + bytes([len(encoded)]) + encoded


class WriteOnlyStream(io.RawIOBase):
    """A stream that can only be written (no seek, tell or read), like a pipe; ``getvalue()`` gives what it got."""

    def __init__(self):
        super().__init__()
        self.chunks = []

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def getvalue(self):
        return b"".join(self.chunks)


# --------------------------------------------------------------------------- optimizers
OPTIMIZER_SHAPES = [(3, 4), (5,), ()]  # a matrix, a vector and a scalar parameter


def optimizer_problem(dtype, seed, steps):
    """Initial parameter values (of OPTIMIZER_SHAPES) and, for each step, one gradient per parameter."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s).astype(dtype) for s in OPTIMIZER_SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in OPTIMIZER_SHAPES] for _ in range(steps)]
    return initial, grads


def take_steps(lib, optimizer, params, grads):
    """One ``optimizer.step()`` for each entry of ``grads`` (a gradient array per parameter)."""
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g.copy())
        optimizer.step()


def run_optimizer(lib, name, options, initial, grads):
    """Parameters of ``initial`` values optimised by ``lib.optim.<name>(**options)`` through ``grads``."""
    params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
    optimizer = getattr(lib.optim, name)(params, **options)
    take_steps(lib, optimizer, params, grads)
    return params, optimizer


def run_python(args, cwd=None):
    """stdout and stderr of a new interpreter run with ``args``, this torchless first on the path."""
    source_root = os.path.dirname(os.path.dirname(torchless.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def same_script_output(tmp_path, source):
    """``source`` run as a script by PyTorch and through ``torchless.as_torch`` prints the same lines."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(source))
    expected, _ = run_python([str(path)], cwd=tmp_path)
    actual, _ = run_python(["-m", "torchless.as_torch", str(path)], cwd=tmp_path)
    assert actual.replace("torchless.", "torch.").splitlines() == expected.splitlines()
    return actual


def same_program(tmp_path, monkeypatch, source, *, last_digit_units=0, rtol=None):
    """``source`` run as a script by PyTorch and through ``torchless.as_torch`` prints the same lines, and the
    tensors it saves in ``results.pt`` (if any) are the same to float32's (float64's) precision.

    Opt-in, for a program that amplifies last-bit differences (training steps, line searches) of sums whose order
    PyTorch's MKL and oneDNN choose per CPU (not part of PyTorch's API, and not what torchless reproduces): with
    ``last_digit_units`` the printed numbers may differ by that many units of their last printed digit (the text
    around them still the same), and ``rtol`` ({key: tolerance}) replaces the relative tolerance of those saved
    tensors (its tenth, of the tensor's largest magnitude, the absolute one). Each caller says why its program needs
    them."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the tiny batches gain nothing from threads on a shared machine
    import torch

    runs = {}
    for name, prefix in (("torch", []), ("torchless", ["-m", "torchless.as_torch"])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "script.py").write_text(textwrap.dedent(source))
        printed, _ = run_python([*prefix, "script.py"], cwd=tmp_path / name)
        results = tmp_path / name / "results.pt"
        runs[name] = printed, torch.load(results, weights_only=True) if results.exists() else {}
    (expected, expected_results), (actual, actual_results) = runs["torch"], runs["torchless"]
    # (objects printed with their addresses, such as pruning hooks, compared without them)
    expected, actual = (re.sub(r" at 0x[0-9a-f]+>", ">", text) for text in (expected, actual))
    actual = actual.replace("torchless.", "torch.")
    if last_digit_units:
        assert_same_but_last_digits(actual.splitlines(), expected.splitlines(), last_digit_units)
    else:
        assert actual.splitlines() == expected.splitlines()
    assert list(actual_results) == list(expected_results)
    for key, want in expected_results.items():
        got = actual_results[key]
        if want is None:
            assert got is None, key
            continue
        scale = want.abs().max().item() if want.numel() else 0.0
        key_rtol = (rtol or {}).get(key, 1e-4 if want.dtype == torch.float32 else 1e-9)
        torch.testing.assert_close(got, want, rtol=key_rtol, atol=key_rtol * 0.1 * scale, msg=key)


# A number as Python's format or PyTorch's tensor printing writes it: 2.322227, -0.5, 1.32e-01, and 1. (a tensor of
# integral values); integers without a point are text, compared exactly.
PRINTED_DECIMAL = re.compile(r"-?\d+\.\d*(?:e[+-]?\d+)?")


def assert_same_but_last_digits(actual, expected, units):
    """The lines are the same but for their decimal numbers, each within ``units`` units of the finer last printed
    digit of the two (1.0000 and 1. within 1e-4 of each other: PyTorch prints a tensor whose values all came out
    integral as 1., one a last bit away as 1.0000). Numbers both printed as integers (3. and 4.) must be equal."""
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected):
        assert PRINTED_DECIMAL.sub("#", got) == PRINTED_DECIMAL.sub("#", want), (got, want)
        for a, b in zip(PRINTED_DECIMAL.findall(got), PRINTED_DECIMAL.findall(want)):
            unit = 10.0 ** min(decimal.Decimal(a).as_tuple().exponent, decimal.Decimal(b).as_tuple().exponent)
            allowed = units * unit if unit < 1 else 0.0
            assert abs(float(a) - float(b)) <= allowed * (1 + 1e-9), (got, want)


def _nan_free(value):
    """``value`` with tuples as lists (as JSON records them)."""
    if isinstance(value, dict):
        return {k: _nan_free(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_nan_free(v) for v in value]
    return value


def assert_weights_enum_recorded(name, recorded):
    """The weights enum of the model builder ``name`` is torchvision's as a fixture generator recorded it
    (``recorded``: its ``weights`` entry): names, default, URLs, transforms and meta."""
    from torchless.vision import models

    weights_enum = models.get_model_weights(name)
    package = models.segmentation if name in models.list_models(module=models.segmentation) else models
    assert weights_enum is getattr(package, recorded["enum"]) and weights_enum.__name__ == recorded["enum"]
    assert list(weights_enum.__members__) == recorded["names"]
    assert weights_enum.DEFAULT.name == recorded["default"]
    for member in weights_enum:
        expected = recorded["members"][member.name]
        assert member.url == expected["url"]
        assert _nan_free(member.transforms.keywords) == expected["transforms_keywords"]
        assert repr(member.transforms()) == expected["transforms_repr"]
        meta = dict(member.meta)
        assert (meta.pop("categories") is not None) == expected["has_categories"]
        assert meta.pop("_docs")
        assert _nan_free(meta) == expected["meta"]
        assert models.get_weight(repr(member)) is member


def course_cnn(nn):
    """The course's CNN (torchless.models' CourseCNN) built from ``nn``, torch's or torchless's: conv 1->5 and 5->10
    (3x3, padding 1), ReLU, 2x2 max-pool, Linear 490->10; its relu and pool modules are called twice."""
    class CourseCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 5, 3, padding=1)
            self.conv2 = nn.Conv2d(5, 10, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc = nn.Linear(490, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            return self.fc(x.view(-1, 490))

    return CourseCNN()


def course_cnn_batches(count, seed=4):
    """``count`` MNIST-shaped float32 batches of 64 in [0, 1) with int64 labels, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    return [(rng.random((64, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)) for _ in range(count)]


def course_cnn_weights(seed=5):
    """A state dict of NumPy arrays for :func:`course_cnn`, normal values of standard deviation 0.2."""
    rng = np.random.default_rng(seed)
    shapes = {"conv1.weight": (5, 1, 3, 3), "conv1.bias": (5,), "conv2.weight": (10, 5, 3, 3), "conv2.bias": (10,),
              "fc.weight": (10, 490), "fc.bias": (10,)}
    return {name: (rng.standard_normal(shape) * 0.2).astype(np.float32) for name, shape in shapes.items()}


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """A pooling window's output length along one dim, from PyTorch's documented formula (with ceil_mode, a last
    window must start inside the input or its left padding)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def direct_conv2d(x, w, stride, padding, dilation=(1, 1), groups=1):
    """float64 direct cross-correlation, tap by tap (independent of every torchless kernel).

    ``padding`` is ((top, bottom), (left, right)); a pair (pH, pW) pads both sides alike."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    N, C, H, W = x.shape
    O, Cg, kH, kW = w.shape
    if all(isinstance(p, int) for p in padding):
        padding = tuple((p, p) for p in padding)
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    Ho = (H + top + bottom - dH * (kH - 1) - 1) // sH + 1
    Wo = (W + left + right - dW * (kW - 1) - 1) // sW + 1
    y = np.zeros((N, O, Ho, Wo))
    Og = O // groups
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        for i in range(kH):
            for j in range(kW):
                patch = xs[:, :, i * dH:i * dH + sH * (Ho - 1) + 1:sH, j * dW:j * dW + sW * (Wo - 1) + 1:sW]
                y[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw", patch, w[g * Og:(g + 1) * Og, :, i, j])
    return y


def conv2d_summed_magnitude(x, w, bias, padding):
    """Per output of a 2-d convolution (stride 1), the magnitude of what it sums, |w| * |x| + |bias| in float64 over
    the finite operands (a non-finite product leaves the output non-finite anyway): the scale of the rounding error
    of a float32 kernel, whatever order it sums in."""
    def finite_magnitude(array):
        array = np.abs(np.asarray(array, np.float64))
        return np.where(np.isfinite(array), array, 0)

    magnitude = direct_conv2d(finite_magnitude(x), finite_magnitude(w), (1, 1), (padding, padding))
    return magnitude if bias is None else magnitude + finite_magnitude(bias)[:, None, None]


def assert_float32_sums_agree(actual, expected, magnitude, epsilons):
    """float32 sums of products from two kernels, each summing in its own order (oneDNN's and MKL's pick theirs per
    CPU): the non-finite outputs alike (NaN, +inf and -inf at the same places), the finite ones within
    ``epsilons`` float32 epsilons of ``magnitude`` (see conv2d_summed_magnitude)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype == np.float32
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(actual), finite)
    np.testing.assert_array_equal(actual[~finite], expected[~finite])  # (NaN matches NaN, inf its sign)
    difference = np.abs(actual[finite].astype(np.float64) - expected[finite])
    within = difference <= epsilons * np.finfo(np.float32).eps * magnitude[finite]
    worst = np.argmax(difference / np.maximum(magnitude[finite], 1e-300)) if difference.size else None
    assert within.all(), (f"{np.sum(~within)} of {within.size} finite outputs differ by more than {epsilons} "
                          f"float32 epsilons of their summed magnitude: {actual[finite][worst]} vs "
                          f"{expected[finite][worst]} (magnitude {magnitude[finite][worst]})")


def graph_tree(node, leaves, depth):
    """A grad_fn's name and, ``depth`` levels down, its next_functions; AccumulateGrad nodes named by the position of
    their leaf in ``leaves``."""
    if node is None:
        return None
    name = node.name()
    if name.endswith("AccumulateGrad"):
        found = [i for i, leaf in enumerate(leaves) if leaf is node.variable]
        return f"leaf{found[0] if found else '?'}"
    if depth == 0:
        return name
    return name, tuple(graph_tree(f, leaves, depth - 1) for f, _ in node.next_functions)


def bfloat16_rne(values):
    """float32 values rounded to bfloat16 (to nearest, ties to even) by their bits, as float32."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return (rounded & 0xFFFFFFFF).astype(np.uint32).view(np.float32)


def as_bf16(mod, array, requires_grad=False):
    """``array`` as a bfloat16 tensor of the library ``mod`` (torch or torchless)."""
    return mod.tensor(np.asarray(array, np.float32)).to(mod.bfloat16).requires_grad_(requires_grad)


def shared_mnist_raw():
    """shared/datasets/MNIST/raw beside the checkout (or under $SHARED_DATASETS): the four IDX .gz files; the test
    is skipped where they are not."""
    import pytest

    here = pathlib.Path(__file__).parent
    root = pathlib.Path(os.environ.get("SHARED_DATASETS", here.resolve().parents[1] / "shared" / "datasets"))
    raw = root / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("no shared/datasets beside the checkout")
    return str(raw)


def fixture_programs(directory, names):
    """A script running the programs ``names`` of ``directory`` (tests/fixtures/wildNN) one after the other, each in
    its own namespace (PyTorch imported once), and saving the tensors each leaves in its ``results`` dict to
    results.pt. One thread, as same_program's OMP_NUM_THREADS=1 gives either library."""
    paths = [str(pathlib.Path(directory) / f"{name}.py") for name in names]
    return (f"import runpy\nimport torch\ntorch.set_num_threads(1)\nkept = {{}}\nfor path in {paths!r}:\n"
            "    names = runpy.run_path(path, run_name='__main__')\n"
            "    kept.update({path.rsplit('/', 1)[-1] + ':' + key: value for key, value in names['results'].items()})\n"
            "torch.save(kept, 'results.pt')\n")
