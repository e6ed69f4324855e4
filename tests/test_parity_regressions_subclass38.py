"""Tensor subclasses through torch.* and torch.nn.functional functions and nn.Modules (session 38).

The first Tensor subclass taking part in ``__torch_function__`` makes the public functions of torchless,
nn.functional, linalg, fft and special hand their calls to it as PyTorch does: the function object, the arguments
and keywords PyTorch passes (a Python function's keywords with their defaults), the types, the results converted to
the subclass, and PyTorch's TypeErrors when every overload refuses. Each scenario runs in both libraries (the same
code with ``torch`` bound to either) and the logs are compared; an independent section checks the values against
float64 NumPy and hand-derived gradients without torch.
"""
import copy
import io
import pickle
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import torchless

REFERENCE = "torch"


def _library(name):
    if name == REFERENCE:
        return pytest.importorskip("torch")
    return torchless


def _show(value, torch):
    """A comparable description of a call's result or argument: tensors by their class name."""
    if isinstance(value, torch.Tensor):
        return type(value).__name__
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_show(item, torch) for item in value))
    if isinstance(value, dict):
        return {key: _show(item, torch) for key, item in value.items()}
    if isinstance(value, torch.dtype):
        return str(value).replace("torchless.", "torch.")
    return value


def _logging_subclass(torch, log):
    class Logged(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if not getattr(cls, "inside", False):  # (only the outer call: the library's own calls are its business)
                log.append((getattr(func, "__name__", "?"), _show(args, torch),
                            None if kwargs is None else _show(kwargs, torch), tuple(t.__name__ for t in types)))
            cls.inside = True
            try:
                return super().__torch_function__(func, types, args, kwargs)
            finally:
                cls.inside = False
    return Logged


# Calls run in both libraries: (name, lambda torch, F, t, v, i: ...), t a (2, 3, 6, 6) subclass instance, v (2, 3)
# and i an integer one
CALLS = [
    ("cat", lambda torch, F, t, v, i: torch.cat([t, t])),
    ("cat plain first", lambda torch, F, t, v, i: torch.cat((torch.zeros(1, 3, 6, 6), t), dim=0)),
    ("stack", lambda torch, F, t, v, i: torch.stack([v, v])),
    ("where", lambda torch, F, t, v, i: torch.where(v > 0.5, v, 0.0)),
    ("zeros_like", lambda torch, F, t, v, i: torch.zeros_like(v)),
    ("ones_like dtype", lambda torch, F, t, v, i: torch.ones_like(v, dtype=torch.float64)),
    ("add alpha", lambda torch, F, t, v, i: torch.add(v, 1, alpha=2)),
    ("max dim", lambda torch, F, t, v, i: torch.max(v, 1)),
    ("split", lambda torch, F, t, v, i: torch.split(v, 1)),
    ("unique counts", lambda torch, F, t, v, i: torch.unique(i, return_counts=True)),
    ("einsum", lambda torch, F, t, v, i: torch.einsum("ij,kj->ik", v, v)),
    ("broadcast_tensors", lambda torch, F, t, v, i: torch.broadcast_tensors(v, torch.zeros(1, 3))),
    ("meshgrid", lambda torch, F, t, v, i: torch.meshgrid(v[0], v[1], indexing="ij")),
    ("norm", lambda torch, F, t, v, i: torch.norm(v)),
    ("F.relu", lambda torch, F, t, v, i: F.relu(t)),
    ("F.gelu", lambda torch, F, t, v, i: F.gelu(t, approximate="tanh")),
    ("F.softmax", lambda torch, F, t, v, i: F.softmax(t, 1)),
    ("F.logsigmoid", lambda torch, F, t, v, i: F.logsigmoid(t)),
    ("F.conv2d", lambda torch, F, t, v, i: F.conv2d(t, torch.ones(4, 3, 3, 3), None, 1, 1)),
    ("F.conv2d weight subclass", lambda torch, F, t, v, i: F.conv2d(torch.ones(1, 3, 4, 4), t[:, :, :3, :3])),
    ("F.max_pool2d", lambda torch, F, t, v, i: F.max_pool2d(t, 2)),
    ("F.max_pool2d indices", lambda torch, F, t, v, i: F.max_pool2d(t, 2, return_indices=True)),
    ("F.adaptive_max_pool2d", lambda torch, F, t, v, i: F.adaptive_max_pool2d(t, 2, True)),
    ("F.avg_pool2d", lambda torch, F, t, v, i: F.avg_pool2d(t, 2)),
    ("F.pad", lambda torch, F, t, v, i: F.pad(t, (1, 1))),
    ("F.pad reflect", lambda torch, F, t, v, i: F.pad(t, (1, 1, 1, 1), mode="reflect")),
    ("F.linear", lambda torch, F, t, v, i: F.linear(v, torch.ones(4, 3), torch.zeros(4))),
    ("F.batch_norm", lambda torch, F, t, v, i: F.batch_norm(t, torch.zeros(3), torch.ones(3), training=True)),
    ("F.layer_norm", lambda torch, F, t, v, i: F.layer_norm(t, (6,))),
    ("F.dropout", lambda torch, F, t, v, i: F.dropout(t, p=0.0, training=False)),
    ("F.interpolate", lambda torch, F, t, v, i: F.interpolate(t, scale_factor=2)),
    ("F.cross_entropy", lambda torch, F, t, v, i: F.cross_entropy(v, torch.tensor([0, 2]), reduction="sum")),
    ("F.l1_loss", lambda torch, F, t, v, i: F.l1_loss(v, torch.zeros(2, 3))),
    ("F.one_hot", lambda torch, F, t, v, i: F.one_hot(i[0])),
    ("F.embedding", lambda torch, F, t, v, i: F.embedding(i, torch.ones(3, 2))),
    ("F.threshold", lambda torch, F, t, v, i: F.threshold(t, 0.5, 0.0)),
    ("F.unfold", lambda torch, F, t, v, i: F.unfold(t, 2)),
    ("Conv2d", lambda torch, F, t, v, i: torch.nn.Conv2d(3, 4, 3)(t)),
    ("Conv2d reflect", lambda torch, F, t, v, i: torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(t)),
    ("MaxPool2d", lambda torch, F, t, v, i: torch.nn.MaxPool2d(2)(t)),
    ("BatchNorm2d", lambda torch, F, t, v, i: torch.nn.BatchNorm2d(3)(t)),
    ("Linear", lambda torch, F, t, v, i: torch.nn.Linear(6, 2)(t)),
    ("GELU", lambda torch, F, t, v, i: torch.nn.GELU()(t)),
    ("AvgPool2d", lambda torch, F, t, v, i: torch.nn.AvgPool2d(2)(t)),
    ("CrossEntropyLoss", lambda torch, F, t, v, i: torch.nn.CrossEntropyLoss()(v, torch.tensor([0, 2]))),
    ("Sequential", lambda torch, F, t, v, i: torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(16, 2))(t)),
    ("method with keywords", lambda torch, F, t, v, i: v.split(1)),
    ("rsub", lambda torch, F, t, v, i: 1 - v),
    ("len", lambda torch, F, t, v, i: len(v)),
]


def _run_calls(name, calls):
    torch = _library(name)
    F = torch.nn.functional
    log = []
    Logged = _logging_subclass(torch, log)
    torch.manual_seed(0)
    t = torch.rand(2, 3, 6, 6).as_subclass(Logged)
    v = torch.rand(2, 3).as_subclass(Logged)
    i = torch.tensor([[1, 0, 2]]).as_subclass(Logged)
    out = []
    for label, call in calls:
        log.clear()
        result = call(torch, F, t, v, i)
        out.append((label, _show(result, torch), list(log)))
    return out


@pytest.mark.parametrize("index", range(0, len(CALLS), 10))
def test_calls_reach_torch_function_as_pytorch_hands_them(index):
    # the function's name, the args and kwargs (None for a native call without keywords, a Python function's
    # keywords with their defaults), the types and the result's class
    calls = CALLS[index:index + 10]
    assert _run_calls("torchless", calls) == _run_calls(REFERENCE, calls)


def _func_identities(torch):
    F = torch.nn.functional
    seen = []

    class Seen(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append(func)
            return super().__torch_function__(func, types, args, kwargs)

    g = torch.ones(1, 1, 4, 4).as_subclass(Seen)
    cases = [
        (lambda: torch.cat([g]), torch.cat), (lambda: F.conv2d(g, torch.ones(1, 1, 1, 1)), F.conv2d),
        (lambda: torch.nn.Conv2d(1, 1, 1)(g), F.conv2d), (lambda: torch.nn.MaxPool2d(2)(g), F.max_pool2d),
        (lambda: F.max_pool2d(g, 2, return_indices=True), F.max_pool2d_with_indices),
        (lambda: torch.nn.GELU()(g), F.gelu), (lambda: torch.linalg.norm(g), torch.linalg.norm),
        (lambda: torch.unique(g), torch.unique), (lambda: torch.einsum("ij->j", g[0, 0]), torch.einsum),
        (lambda: torch.nn.AvgPool2d(2)(g), F.avg_pool2d), (lambda: torch.fft.rfft(g), torch.fft.rfft),
        (lambda: torch.special.expit(g), torch.special.expit),
    ]
    found = []
    for call, expected in cases:
        seen.clear()
        call()
        found.append(any(func is expected for func in seen))
    return found


def test_the_func_seen_is_the_public_function_object():
    torch = pytest.importorskip("torch")
    # (linalg's, fft's and special's functions are named differently in PyTorch: linalg_norm, fft_rfft)
    assert _func_identities(torchless) == _func_identities(torch) == [True] * 12


def _refusals(torch):
    F = torch.nn.functional

    class Refusing(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    n = torch.ones(1, 1, 3, 3).as_subclass(Refusing)
    calls = [lambda: torch.cat([n]), lambda: F.relu(n), lambda: F.conv2d(n, torch.ones(1, 1, 1, 1)),
             lambda: F.linear(n, torch.ones(2, 3)), lambda: F.gelu(n), lambda: F.logsigmoid(n),
             lambda: torch.where(torch.ones(1, dtype=torch.bool), n, 0.0), lambda: torch.linalg.norm(n),
             lambda: torch.fft.fft(n), lambda: torch.special.expit(n), lambda: torch.split(n, 1), lambda: n.sum(),
             lambda: len(n), lambda: copy.deepcopy(n), lambda: F.max_pool2d(n, 2, return_indices=True),
             lambda: F.mse_loss(n, n)]
    messages = []
    for call in calls:
        with pytest.raises(TypeError) as info:
            call()
        messages.append(str(info.value).replace("torchless", "torch"))
    with pytest.raises(TypeError, match="unsupported operand"):
        n + 1
    return messages


def test_refusals_raise_pytorchs_type_errors():
    torch = pytest.importorskip("torch")
    assert _refusals(torchless) == _refusals(torch)


def _nested(torch):
    F = torch.nn.functional
    seen = []

    class A(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append(("A", func.__name__, tuple(t.__name__ for t in types)))
            return super().__torch_function__(func, types, args, kwargs)

    class B(A):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append(("B", func.__name__, tuple(t.__name__ for t in types)))
            if func is torch.stack:
                return NotImplemented
            return super().__torch_function__(func, types, args, kwargs)

    a, b = torch.ones(2).as_subclass(A), torch.ones(2).as_subclass(B)
    out = []
    for call in (lambda: torch.cat([a, b]), lambda: torch.stack([b, a]), lambda: torch.stack([b, b]),
                 lambda: torch.add(a, b), lambda: F.mse_loss(a, b), lambda: F.relu(b),
                 lambda: torch.cat([torch.ones(2), b])):
        seen.clear()
        try:
            result = type(call()).__name__
        except TypeError as error:
            result = str(error).replace("torchless", "torch")
        out.append((result, list(seen)))
    return out


def test_nested_subclasses_are_asked_subclass_first():
    torch = pytest.importorskip("torch")
    assert _nested(torchless) == _nested(torch)


def _disabled_and_threads(torch, disable):
    class Plain(torch.Tensor):
        pass

    g = torch.ones(2, 2).as_subclass(Plain)
    F = torch.nn.functional
    out = []
    with disable():
        out.append([type(r).__name__ for r in (torch.cat([g]), F.relu(g), g + 1, torch.zeros_like(g))])
        seen = {}
        worker = threading.Thread(target=lambda: seen.update(kind=type(torch.cat([g])).__name__))
        worker.start()
        worker.join()
        out.append(seen["kind"])  # (the flag is the thread's own)
    out.append(type(torch.cat([g])).__name__)
    return out


def test_disable_torch_function_subclass_is_thread_local():
    torch = pytest.importorskip("torch")
    expected = _disabled_and_threads(torch, torch._C.DisableTorchFunctionSubclass)
    assert _disabled_and_threads(torchless, torchless._C.DisableTorchFunctionSubclass) == expected
    assert expected == [["Tensor"] * 4, "Plain", "Plain"]


def _picklable_subclass(torch):
    """A Tensor subclass of ``torch`` that pickle finds by name (defined on first use: a subclass defined when the
    module is imported would make the functions dispatch before any test runs)."""
    name = f"_Pickled_{torch.__name__}"
    if name not in globals():
        kind = type(name, (torch.Tensor,), {"__module__": __name__})
        globals()[name] = kind
    return globals()[name]


def _copies(torch):
    Plain = _picklable_subclass(torch)

    class WithNewEmpty(torch.Tensor):
        def new_empty(self, *args, **kwargs):
            return torch.Tensor.new_empty(self, *args, **kwargs).as_subclass(WithNewEmpty)

    class OptedOut(torch.Tensor):
        __torch_function__ = torch._C._disabled_torch_function_impl

    out = []
    for kind in (Plain, OptedOut):
        with pytest.raises(RuntimeError) as info:
            copy.deepcopy(torch.arange(3.0).as_subclass(kind))
        out.append(str(info.value))
    e = torch.arange(3.0).as_subclass(WithNewEmpty)
    e.note = [1]
    copied = copy.deepcopy(e)
    out.append((type(copied).__name__, copied.tolist(), copied.note, copied.note is e.note))
    leaf = torch.ones(2).as_subclass(WithNewEmpty).requires_grad_()
    copied = copy.deepcopy(leaf)
    out.append((type(copied).__name__, copied.requires_grad, copied.is_leaf))
    p = torch.arange(4.0).as_subclass(Plain)
    loaded = pickle.loads(pickle.dumps(p))
    out.append((type(loaded).__name__.replace(torch.__name__, "lib"), loaded.tolist()))
    return out


def test_deepcopy_and_pickle_of_subclass_instances():
    torch = pytest.importorskip("torch")
    assert _copies(torchless) == _copies(torch)


def _torch_save(torch):
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(3.0).as_subclass(_picklable_subclass(torch))}, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)["w"].tolist()


def test_torch_save_of_a_subclass_instance_keeps_the_values():
    torch = pytest.importorskip("torch")
    assert _torch_save(torchless) == _torch_save(torch) == [0.0, 1.0, 2.0]


def _autograd(torch):
    class Plain(torch.Tensor):
        pass

    torch.manual_seed(0)
    weight = torch.randn(2, 1, 3, 3, requires_grad=True)
    source = torch.randn(1, 1, 5, 5).requires_grad_()
    x = source.as_subclass(Plain)
    out = torch.nn.functional.conv2d(x, weight)
    (out * out).sum().backward()
    return (type(out).__name__, out.requires_grad, x.is_leaf, weight.grad.numpy().astype(np.float64),
            source.grad.numpy().astype(np.float64))


def test_autograd_through_a_subclass():
    torch = pytest.importorskip("torch")
    got, expected = _autograd(torchless), _autograd(torch)
    assert got[:3] == expected[:3] == ("Plain", True, False)
    np.testing.assert_allclose(got[3], expected[3], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[4], expected[4], rtol=1e-5, atol=1e-5)


WARNING_SCRIPT = textwrap.dedent("""
    import warnings
    import {lib} as torch
    class Plain(torch.Tensor):
        pass
    x = torch.ones(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.functional.softmax(x)  # line 9: the implicit dim's warning
        torch.nn.functional.mse_loss(x, torch.ones(3))  # line 10: the size mismatch's
    print([(w.filename == "<string>", w.lineno) for w in caught])
""")


def test_warnings_still_point_at_the_caller_once_functions_dispatch():
    # the dispatching wrappers add a frame that PyTorch's C dispatch does not have: warnings step over it
    outputs = []
    for lib in ("torchless", REFERENCE):
        if lib == REFERENCE:
            pytest.importorskip("torch")
        done = subprocess.run([sys.executable, "-c", WARNING_SCRIPT.format(lib=lib)], capture_output=True, text=True,
                              check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == "[(True, 9), (True, 10)]\n"


# ---------------------------------------------------------------- independent of torch


class Marked(torchless.Tensor):
    """A subclass that counts the calls reaching its __torch_function__ by function name."""

    calls = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append(func.__name__)
        return super().__torch_function__(func, types, args, kwargs)


def _np_conv2d(x, w, b):
    n, _, h, wd = x.shape
    o, c, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for i in range(h - kh + 1):
        for j in range(wd - kw + 1):
            out[:, :, i, j] = np.einsum("nckl,ockl->no", x[:, :, i:i + kh, j:j + kw], w)
    return out + b[None, :, None, None]


def test_course_cnn_on_a_subclass_matches_float64_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 8, 8))
    conv = torchless.nn.Conv2d(1, 3, 3)
    fc = torchless.nn.Linear(27, 2)
    Marked.calls.clear()
    marked = torchless.tensor(x, dtype=torchless.float32).as_subclass(Marked)
    h = torchless.nn.functional.max_pool2d(torchless.relu(conv(marked)), 2)
    out = fc(torchless.flatten(h, 1))
    assert type(out) is Marked
    assert Marked.calls == ["conv2d", "relu", "max_pool2d", "flatten", "linear"]
    w, b = conv.weight.detach().numpy().astype(np.float64), conv.bias.detach().numpy().astype(np.float64)
    ref = np.maximum(_np_conv2d(x, w, b), 0)
    ref = ref.reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
    ref = ref.reshape(2, 27) @ fc.weight.detach().numpy().astype(np.float64).T + fc.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-5)


def test_gradient_through_a_subclass_matches_the_hand_derived_one():
    # d/dx sum(cat([x, 2x])**2) = 2x + 8x = 10x
    values = np.array([1.0, -2.0, 0.5])
    x = torchless.tensor(values, requires_grad=True)
    y = torchless.cat([x.as_subclass(Marked), 2 * x])
    assert type(y) is Marked
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 10 * values)


def test_results_convert_and_the_refusal_and_namedtuple_rules_hold():
    m = torchless.tensor([[1.0, 5.0], [3.0, 2.0]]).as_subclass(Marked)
    values, indices = torchless.max(m, 1)
    assert (type(values), type(indices)) == (Marked, Marked)
    assert values.tolist() == [5.0, 3.0] and indices.tolist() == [1, 0]
    assert type(torchless.max(m, 1)).__name__ == "max"
    parts = torchless.split(m, 1)
    assert type(parts) is tuple and all(type(p) is Marked for p in parts)
    # a plain tensor stays plain, and a call without a subclass does not reach __torch_function__
    Marked.calls.clear()
    assert type(torchless.cat([torchless.ones(2)])) is torchless.Tensor
    assert Marked.calls == []


def test_parameter_inputs_do_not_dispatch_and_plain_calls_keep_their_functions():
    Marked.calls.clear()
    p = torchless.nn.Parameter(torchless.ones(2))
    assert type(torchless.cat([p, p])) is torchless.Tensor and Marked.calls == []
    # the wrapped functions keep their names, signatures and documentation
    import inspect

    F = torchless.nn.functional
    assert F.conv2d.__name__ == "conv2d" and "input" in inspect.signature(F.conv2d).parameters
    assert F.softmax.__doc__ == F.softmax.__wrapped__.__doc__


def test_deepcopy_refusal_and_copy_of_a_subclass_with_new_empty():
    class Plain(torchless.Tensor):
        pass

    with pytest.raises(RuntimeError, match="non-wrapper subclasses only works for subclass types that implement"):
        copy.deepcopy(torchless.ones(2).as_subclass(Plain))

    class Copyable(torchless.Tensor):
        def new_empty(self, *args, **kwargs):
            return torchless.Tensor.new_empty(self, *args, **kwargs).as_subclass(Copyable)

    c = torchless.tensor([1.0, 2.0]).as_subclass(Copyable)
    d = copy.deepcopy(c)
    assert type(d) is Copyable and d.tolist() == [1.0, 2.0]
    d.add_(1)
    assert c.tolist() == [1.0, 2.0]  # (a copy, not a view)


def test_functions_loaded_after_the_first_subclass_dispatch_too():
    # nn, linalg and torch.stft are loaded on first use, after the subclass: wrapped then
    script = textwrap.dedent("""
        import torchless
        class Late(torchless.Tensor):
            pass
        import torchless.nn.functional as F
        x = torchless.ones(1, 1, 4, 4).as_subclass(Late)
        late = torchless.ones(8).as_subclass(Late)
        spectrum = torchless.stft(late, 4, window=torchless.ones(4), return_complex=True)
        print(type(F.conv2d(x, torchless.ones(1, 1, 1, 1))).__name__, type(torchless.linalg.norm(x)).__name__,
              type(torchless.nn.Conv2d(1, 1, 1)(x)).__name__, type(spectrum).__name__)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["Late"] * 4


def test_a_program_without_subclasses_gets_the_plain_functions():
    script = textwrap.dedent("""
        import torchless, torchless.nn.functional as F
        from torchless import overrides
        from torchless.nn.modules import conv
        print(overrides._dispatching is None, hasattr(F.conv2d, "_torch_function_dispatching"),
              conv.Conv2d._convolve is F.conv2d, hasattr(torchless.cat, "_torch_function_dispatching"))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "True", "False"]


def test_default_arguments_that_are_functions_follow_the_dispatching_ones():
    # nn.TransformerEncoderLayer's fast path compares its activation (activation=F.relu by default) with F.relu
    layer = torchless.nn.TransformerEncoderLayer(8, 2)
    assert layer.activation is torchless.nn.functional.relu
    assert layer.activation_relu_or_gelu == 1
