"""Differences from PyTorch found by a differential fuzz audit of the CNN core, each compared with torch.

* conv2d and friends: the "invalid combination of arguments" message (keyword order, "didn't match" lines);
* F.batch_norm: its parser's TypeErrors, empty inputs, 1-D inputs and the kernel's dtype checks;
* F.instance_norm: empty batches;
* pooling: the parser's TypeErrors (ceil_mode, element types), bool inputs of max pooling, avg_pool1d's
  empty stride;
* hardtanh/relu6 on bool inputs, softmax/log_softmax warning-free on empty dims and infinities, the once-per-process
  warning of an asymmetric padding='same', Tensor.mul/add/sub/div's TypeError for a sequence (lp_pool's tuple kernel).
"""
import itertools
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def both(fn):
    """``fn(torch)`` and ``fn(torchless)``."""
    return fn(torch), fn(torchless)


def assert_same_outcome(fn):
    """As helpers.assert_same_outcome, with tolerances for float32 kernels that sum in another order."""
    _assert_same_outcome(fn, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------- conv: invalid combinations
def _conv_call(lib, fn, positional, keywords):
    x, w = lib.ones(1, 1, 3, 3), lib.ones(1, 1, 1, 1)
    values = {"x": x, "w": w}
    args = [values.get(a, a) if isinstance(a, str) else a for a in positional]
    kwargs = {k: values.get(v, v) if isinstance(v, str) else v for k, v in keywords.items()}
    return getattr(lib.nn.functional, fn)(*args, **kwargs)


@pytest.mark.parametrize("positional, keywords", [
    # keywords listed in the order of PyTorch's C++ hash map, not the call's (nor its reverse)
    (("x", "w"), {"padding": 0, "groups": 2.0, "bias": None}),
    (("x", "w"), {"stride": (4, 3), "padding": -1, "groups": 2.0, "bias": None}),
    (("x", "w", None), {"stride": 1, "padding": 0, "dilation": (1, 0), "groups": 2.0}),
    (("x", "w", None, (1, 1), [0, 0], 1), {"groups": 1.0}),  # all 7 given: "keywords were incorrect"
    (("x", "w", None, 1, 0, 1, 1.0), {}),  # all 7 by position: "arguments have invalid types"
    (("x", "w", None, (1,), (1.0,), 1, True), {}),
    ((), {"input": "x", "weight": "w", "bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1.0}),
    (("x",), {"weight": "w", "foo": 1, "groups": 1.5}),
])
@pytest.mark.parametrize("fn", ["conv1d", "conv2d", "conv3d"])
def test_conv_invalid_combination_message(fn, positional, keywords):
    assert_same_error(lambda: _conv_call(torch, fn, positional, keywords),
                      lambda: _conv_call(torchless, fn, positional, keywords))


def test_keyword_order_follows_the_cpp_map_for_many_names():
    # past 13 keywords the map rehashes, which reorders them again
    names = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"] + [f"k{i}" for i in range(12)]
    for count in (3, 7, 13, 14, 19):
        kwargs = {n: 1.5 for n in names[:count]}
        assert_same_error(lambda: torch.nn.functional.conv2d(**kwargs),
                          lambda: torchless.nn.functional.conv2d(**kwargs))


# ---------------------------------------------------------------------------- batch_norm
@pytest.mark.parametrize("kwargs", [
    {"training": True, "momentum": None},  # nn.BatchNorm's momentum=None is no value for the functional
    {"training": False, "momentum": None},
    {"training": 1},
    {"training": True, "weight": 1},
    {"training": True, "bias": [1.0]},
])
def test_batch_norm_argument_types(kwargs):
    def call(lib):
        args = {k: v for k, v in kwargs.items()}
        return lib.nn.functional.batch_norm(lib.ones(3, 4), lib.zeros(4), lib.ones(4), **args)

    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("shape", [(0, 4), (0, 4, 3), (2, 4, 0), (0, 4, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("params", ["none", "affine", "wrong size", "empty weight", "0-d weight"])
def test_batch_norm_of_an_empty_input(shape, training, params):
    """PyTorch copies an input without elements, times weight[0] plus bias[0], before any other check."""
    def call(lib):
        running_mean, running_var = lib.full((4,), 0.5), lib.full((4,), 2.0)
        x = lib.ones(*shape, requires_grad=True)
        weight = {"none": None, "affine": lib.full((4,), 3.0), "wrong size": lib.full((5,), 3.0),
                  "empty weight": lib.ones(0), "0-d weight": lib.tensor(3.0)}[params]
        bias = None if params == "none" else lib.full((4,), 1.0)
        out = lib.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training=training)
        out.sum().backward()
        return out, running_mean, running_var, x.grad

    assert_same_outcome(call)


def test_batch_norm_module_on_an_empty_batch():
    def call(lib):
        module = lib.nn.BatchNorm2d(3)
        out = module(lib.ones(0, 3, 2, 2))
        return out, module.running_mean, module.running_var, module.num_batches_tracked

    assert_same_outcome(call)


@pytest.mark.parametrize("training, given", [(True, "none"), (True, "weight"), (False, "none"), (False, "running")])
def test_batch_norm_of_a_1d_input(training, given):
    """PyTorch counts no features in a 1-D input."""
    def call(lib):
        x = lib.ones(4)
        running = (lib.zeros(5), lib.ones(5)) if given == "running" else (None, None)
        weight = lib.ones(4) if given == "weight" else None
        return lib.nn.functional.batch_norm(x, *running, weight, training=training)

    assert_same_outcome(call)


DTYPES = ["float32", "float64", "int64", "float16"]


@pytest.mark.parametrize("input_dtype, weight_dtype, running_dtype, training",
                         [c for c in itertools.product(DTYPES, DTYPES + [None], DTYPES + [None], [True, False])
                          if c[2] is not None or c[3]])
def test_batch_norm_dtype_checks(input_dtype, weight_dtype, running_dtype, training):
    """The kernel's input dtype first, then the "mixed" rule of the first parameter given, or the order in
    which the kernel reads each parameter; float16 input with float32 parameters is computed in float32."""
    def call(lib):
        def make(dtype, fill):
            return None if dtype is None else lib.full((4,), fill, dtype=getattr(lib, dtype))

        x = lib.tensor(np.linspace(-2, 3, 12).reshape(3, 4).astype(input_dtype))
        return lib.nn.functional.batch_norm(x, make(running_dtype, 0), make(running_dtype, 2), make(weight_dtype, 2),
                                            make(weight_dtype, 1), training=training)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- instance_norm
@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0)])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_of_an_empty_input(shape, affine, use_input_stats):
    """An empty batch repeats the parameters zero times (no weight[0]) and averages the running statistics
    over no sample (NaN)."""
    def call(lib):
        running_mean, running_var = lib.full((3,), 0.5), lib.full((3,), 2.0)
        weight, bias = (lib.full((3,), 3.0), lib.ones(3)) if affine else (None, None)
        out = lib.nn.functional.instance_norm(lib.ones(*shape), running_mean, running_var, weight, bias,
                                              use_input_stats=use_input_stats)
        return out, running_mean, running_var

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("fn, args, kwargs", [
    ("max_pool2d", ((2, 2),), {"ceil_mode": None}),
    ("max_pool2d", (2,), {"ceil_mode": 1, "return_indices": True}),
    ("max_pool2d", ((2.0, 2.0),), {}),
    ("max_pool2d", ((2, 2.0),), {}),
    ("max_pool1d", ((4,),), {"ceil_mode": None}),
    ("max_pool1d", ((2.0,),), {"return_indices": True}),
    ("max_pool1d", (2,), {"ceil_mode": 0, "return_indices": True}),
    ("avg_pool2d", ((1, 1),), {"ceil_mode": None}),
    ("avg_pool2d", ((2.0, 2.0),), {"stride": (2, 3)}),
    ("avg_pool2d", (2,), {"stride": (2.0, 1)}),
    ("avg_pool2d", (2,), {"count_include_pad": 1}),
    ("avg_pool2d", (2,), {"divisor_override": 1.5}),
    ("avg_pool1d", ((2.0,),), {}),
    ("avg_pool1d", (4,), {"padding": (2.0,)}),
    ("avg_pool1d", (2,), {"ceil_mode": None}),
    ("adaptive_avg_pool2d", (True,), {}),
    ("adaptive_max_pool2d", (True,), {"return_indices": True}),
    ("adaptive_avg_pool2d", ((2.0, 3),), {}),
    ("adaptive_avg_pool1d", ((None, 3),), {}),
    ("adaptive_max_pool1d", ((3, None),), {}),
])
@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (2,)])  # the parser's checks come before the rank's
def test_pooling_argument_types(fn, args, kwargs, shape):
    if fn.endswith("1d"):
        shape = shape[:-1]
    assert_same_error(lambda: getattr(torch.nn.functional, fn)(torch.ones(*shape), *args, **kwargs),
                      lambda: getattr(torchless.nn.functional, fn)(torchless.ones(*shape), *args, **kwargs))


@pytest.mark.parametrize("fn, shape", [("max_pool2d", (2, 1, 8, 4)), ("max_pool2d", (0, 1, 8, 4)),
                                       ("max_pool1d", (2, 1, 8)), ("max_pool1d", (0, 1, 8))])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pooling_refuses_bool_inputs(fn, shape, return_indices):
    assert_same_outcome(lambda lib: getattr(lib.nn.functional, fn)(lib.ones(*shape, dtype=lib.bool), 2,
                                                                    return_indices=return_indices))


@pytest.mark.parametrize("stride", [(), []])
def test_avg_pool1d_empty_stride_is_the_kernel(stride):
    assert_same_outcome(lambda lib: lib.nn.functional.avg_pool1d(lib.arange(12.0).reshape(2, 1, 6), 3,
                                                                 stride=stride))
    assert_same_outcome(lambda lib: lib.nn.functional.avg_pool1d(lib.ones(2, 1, 1), 3, stride=stride, padding=2))


# ---------------------------------------------------------------------------- activations, padding='same', lp_pool
@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.hardtanh(lib.tensor([True, False])),
    lambda lib: lib.nn.functional.hardtanh(lib.tensor([True]), inplace=True),
    lambda lib: lib.nn.functional.hardtanh_(lib.tensor([True])),
    lambda lib: lib.nn.functional.relu6(lib.tensor([True])),
    lambda lib: lib.nn.ReLU6()(lib.tensor([True])),
    lambda lib: lib.nn.Hardtanh(-2.0, 2.0)(lib.ones(2, 0, dtype=lib.bool)),
])
def test_hardtanh_refuses_bool_inputs(call):
    assert_same_outcome(call)


def _warnings_of(fn):
    """``fn(lib)`` for each library: the messages of the warnings each raised (``torch.`` read as ``torchless.``)."""
    messages = []
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome(lambda: fn(lib))
        messages.append([str(w.message).replace("torch.", "torchless.") for w in caught])
    return messages


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("values, dim", [
    (np.ones((3, 0), np.float32), 1), (np.ones((0,), np.float32), 0), (np.ones((0, 3), np.float64), 0),
    (np.array([[-np.inf, -np.inf], [np.inf, np.inf], [np.inf, 1.0]], np.float32), 1),
])
def test_softmax_family_is_silent(fn, values, dim):
    def call(lib):
        x = lib.tensor(values, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, dim)
        y.sum().backward()
        return y

    expected, actual = _warnings_of(call)
    assert actual == expected
    assert_same_outcome(call)


_SAME_PADDING_SCRIPT = """
import sys, warnings
lib = __import__(sys.argv[1])
F = lib.nn.functional
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    F.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3), padding="same")  # symmetric: no warning
    F.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3), padding="same", dilation=2)
    for _ in range(2):
        F.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 2, 2), padding="same")
    F.conv1d(lib.ones(1, 1, 4), lib.ones(1, 1, 2), padding="same")
    F.conv3d(lib.ones(1, 1, 3, 3, 3), lib.ones(1, 1, 1, 2, 1), padding="same")
for w in caught:
    print(w.category.__name__, repr(str(w.message)), w.filename, w.lineno)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lib.nn.Conv1d(1, 1, 2, padding="same")(lib.ones(1, 1, 4))
print(len(caught))
"""


@pytest.mark.parametrize("first", ["F.conv1d(lib.ones(1, 1, 5), lib.ones(1, 1, 4), padding='same')",
                                   "lib.nn.Conv2d(1, 1, (3, 2), padding='same')(lib.ones(1, 1, 4, 4))"])
def test_asymmetric_same_padding_warns_once_per_process(first):
    """PyTorch's TORCH_WARN_ONCE: one UserWarning per process, attributed to the line calling F.conv*d, however
    the filters are set; a fresh interpreter for each library, since the first warning is the only one."""
    script = _SAME_PADDING_SCRIPT.replace("    F.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3), padding=\"same\")",
                                          f"    {first}", 1)
    printed = [subprocess.run([sys.executable, "-c", script, lib], capture_output=True, text=True, check=True).stdout
               for lib in ("torch", "torchless")]
    expected_lines = printed[0].splitlines()
    assert len(expected_lines) == 2  # the warning, then none from the module
    if first.startswith("lib.nn"):  # attributed to the library's own conv module: compare the text only
        printed = [[line.rsplit(" ", 2)[0] for line in p.splitlines()] for p in printed]
    assert printed[1] == printed[0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.lp_pool1d(lib.ones(1, 2, 4), 2, (2,)),
    lambda lib: lib.nn.functional.lp_pool1d(lib.ones(1, 2, 4), 2, [2], stride=1),
    lambda lib: lib.nn.LPPool1d(3, (2,))(lib.ones(1, 2, 4)),
    lambda lib: lib.nn.functional.lp_pool1d(lib.ones(1, 2, 4), float("inf"), (2,)),
    lambda lib: lib.nn.functional.lp_pool2d(lib.ones(1, 2, 4, 4), 2, [2, 2]),
    lambda lib: lib.ones(2).mul((2,)),
    lambda lib: lib.ones(2).add([1]),
    lambda lib: lib.ones(2).sub((1,), alpha=2),
    lambda lib: lib.ones(2).div([2]),
    lambda lib: lib.ones(2).mul(None),
    lambda lib: lib.ones(2).mul(lib.ones(2).numpy()),
    lambda lib: lib.ones(2).mul(lib.float32),
    lambda lib: lib.ones(2).add(np.bool_(True)),
    lambda lib: lib.ones(2).mul(np.float64(2.5)),
])
def test_tensor_arithmetic_methods_refuse_sequences(call):
    assert_same_outcome(call)
