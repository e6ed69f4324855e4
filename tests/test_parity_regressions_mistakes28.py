"""Parity regressions (session 28, mistakes): the mistakes people make writing CNN code fail exactly as in
PyTorch -- moves to devices a CPU-only build lacks, torch.device's argument errors, legacy type conversions,
NumPy functions called on tensors, functionals put in nn.Sequential."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(call, lib):
    """(exception type name, message with the library's name made PyTorch's), or ("ok", None)."""
    try:
        call(lib)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "ok", None


def _same_failure(call):
    expected = _outcome(call, torch)
    assert expected[0] != "ok"
    assert _outcome(call, torchless) == expected


# --- Tensor.cuda() and its kin: the device asked for is checked as PyTorch checks it ----------------------

@pytest.mark.parametrize("method", ["cuda", "xpu", "ipu", "mtia"])
@pytest.mark.parametrize("where", [(), ("cpu",), ("cpu:0",), (0,), (1.5,), ("mps",), ("cuda",), ("xpu",),
                                   ("ipu",), ("mtia",), ("meta",)], ids=repr)
def test_tensor_accelerator_moves_fail_as_pytorch(method, where):
    _same_failure(lambda lib: getattr(lib.zeros(2), method)(*where))


@pytest.mark.parametrize("method", ["cuda", "xpu", "ipu", "mtia"])
def test_tensor_accelerator_move_to_cpu_device_object_is_invalid(method):
    _same_failure(lambda lib: getattr(lib.zeros(2), method)(lib.device("cpu")))


@pytest.mark.parametrize("keywords", [{"non_blocking": True}, {"foo": 1}], ids=repr)
def test_tensor_cuda_keywords_fail_as_pytorch(keywords):
    _same_failure(lambda lib: lib.zeros(2).cuda(**keywords))


# --- moves to the devices a CPU-only build has no backend for ---------------------------------------------

_NO_BACKEND = ["ipu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla", "vulkan", "mps",
               "mtia", "hpu", "privateuseone", "cuda", "xpu"]


@pytest.mark.parametrize("kind", _NO_BACKEND)
def test_tensor_to_unlinked_device_fails_as_pytorch(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's deprecation of the 'mkldnn' device type)
        _same_failure(lambda lib: lib.zeros(2).to(kind))


@pytest.mark.parametrize("kind", _NO_BACKEND)
def test_module_to_unlinked_device_fails_as_pytorch(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_failure(lambda lib: lib.nn.Linear(2, 2).to(kind))


@pytest.mark.parametrize("kind", ["ipu", "mkldnn", "hip", "xla", "mps", "mtia", "hpu"])
def test_tensor_constructor_on_unlinked_device_fails_as_pytorch(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_failure(lambda lib: lib.tensor([1.0], device=kind))


def test_hpu_move_raises_module_not_found_naming_the_module():
    with pytest.raises(ModuleNotFoundError, match="No module named 'torchless.hpu'") as caught:
        torchless.zeros(2).to("hpu")
    assert caught.value.name == "torchless.hpu"


# --- torch.device's arguments, read as PyTorch's parser reads them --------------------------------------

_DEVICE_CALLS = [
    ((None,), {}), ((1.5,), {}), (([0],), {}), ((True,), {}), (("cpu", 0, 1), {}), ((), {}), ((), {"foo": 1}),
    ((None, 0), {}), (("cpu", 1.5), {}), (("cuda", "0"), {}), (("cuda", True), {}), ((np.int64(0),), {}),
    ((0,), {}), ((-1,), {}), (("cpu", -1), {}), (("cuda:0", 1), {}), ((np.float64(1.0),), {}),
]


@pytest.mark.parametrize("args, kwargs", _DEVICE_CALLS, ids=repr)
def test_device_constructor_errors_match_pytorch(args, kwargs):
    _same_failure(lambda lib: lib.device(*args, **kwargs))


def test_device_from_device_with_index_is_refused_as_pytorch():
    _same_failure(lambda lib: lib.device(lib.device("cuda"), 1))


@pytest.mark.parametrize("args, kwargs", [((b"cpu",), {}), (("cpu", None), {}), (("cuda", np.int64(1)), {}),
                                          ((), {"type": "cuda", "index": 2}), (("cpu",), {"index": 0}),
                                          (("cuda:1",), {})], ids=repr)
def test_device_constructor_accepts_what_pytorch_accepts(args, kwargs):
    expected = torch.device(*args, **kwargs)
    got = torchless.device(*args, **kwargs)
    assert (got.type, got.index) == (expected.type, expected.index)
    assert type(got.index) is type(expected.index)


def test_device_of_a_device_copies_it():
    original = torchless.device("cuda", 1)
    assert torchless.device(original) == original


# --- names of types in messages, as CPython prints them ---------------------------------------------------

class _UserClass:
    pass


@pytest.mark.parametrize("target", [float, int, bool, list, np.float32, np.ndarray, np.dtype, _UserClass],
                         ids=lambda t: t.__name__)
def test_tensor_type_of_a_class_names_it_as_pytorch(target):
    _same_failure(lambda lib: lib.zeros(3).type(target))


@pytest.mark.parametrize("value", [_UserClass(), np.float32(1), 1.0, [1.0]], ids=lambda v: type(v).__name__)
def test_assigning_a_non_tensor_grad_or_data_names_its_type_as_pytorch(value):
    def assign_grad(lib):
        lib.zeros(3).grad = value

    def assign_data(lib):
        lib.zeros(3).data = value

    _same_failure(assign_grad)
    _same_failure(assign_data)


# --- functionals where a module belongs --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["relu", "sigmoid", "dropout", "cross_entropy", "mse_loss", "batch_norm",
                                  "log_softmax", "softmax"])
def test_functional_in_sequential_is_named_as_pytorch(name):
    _same_failure(lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3), getattr(lib.nn.functional, name)))
    _same_failure(lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3)).append(getattr(lib.nn.functional, name)))
    _same_failure(lambda lib: lib.nn.ModuleList([getattr(lib.nn.functional, name)]))


def test_functionals_still_pickle_by_their_public_name():
    import pickle

    for function in (torchless.nn.functional.relu, torchless.nn.functional.gelu,
                     torchless.nn.functional.cross_entropy):
        assert pickle.loads(pickle.dumps(function)) is function


# --- NumPy functions called on tensors -------------------------------------------------------------------

_TENSORS = {
    "float32": lambda lib: lib.arange(6.0).reshape(2, 3),
    "float64": lambda lib: lib.arange(6.0, dtype=lib.float64).reshape(2, 3),
    "int64": lambda lib: lib.arange(6).reshape(2, 3),
    "bool": lambda lib: lib.tensor([[True, False, True], [False, False, True]]),
    "requires_grad": lambda lib: lib.arange(6.0).reshape(2, 3).requires_grad_(),
}


@pytest.mark.parametrize("make", list(_TENSORS.values()), ids=list(_TENSORS))
@pytest.mark.parametrize("function", [np.mean, np.sum, np.std, np.var, np.prod],
                         ids=lambda f: f.__name__)
def test_numpy_reductions_on_tensors_fail_as_pytorch(make, function):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _same_failure(lambda lib: function(make(lib)))


@pytest.mark.parametrize("method", ["mean", "sum", "std", "var", "prod", "amax", "logsumexp"])
@pytest.mark.parametrize("keywords", [
    {"axis": None, "dtype": None, "out": None}, {"dtype": None, "out": None, "axis": None},
    {"out": None, "axis": None}, {"axis": 0, "out": None}, {"foo": 1, "axis": None}, {"axis": None, "foo": 1},
    {"axis": None, "dtype": None, "out": None, "ddof": 0}, {"axis": 5}, {"axis": 1.5}, {"axis": 0, "dim": 0},
    {"dim": 0, "axis": 0}, {"keepdims": True, "keepdim": False, "axis": 0},
    {"axis": 0, "keepdims": True, "foo": 1}, {"axis": 0, "keepdims": 1},
], ids=repr)
def test_methods_refusing_numpy_keywords_name_them_as_pytorch(method, keywords):
    _same_failure(lambda lib: getattr(lib.arange(12.0).reshape(3, 4), method)(**keywords))


@pytest.mark.parametrize("method", ["sum", "mean", "amax", "argmax", "logsumexp", "softmax", "cumsum"])
def test_methods_taking_numpy_keywords_still_compute(method):
    x = np.arange(12.0).reshape(3, 4)
    expected = getattr(torch.tensor(x), method)(axis=1)
    got = getattr(torchless.tensor(x), method)(axis=1)
    np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-12)


def _numpy_result_warnings(lib, operation):
    """(the result's type name or the error, the warnings) of ``operation`` on a tensor."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = type(operation(lib.arange(3.0))).__name__
        except TypeError as error:
            result = str(error)
    return result, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("operation", [
    lambda t: np.exp(t), lambda t: t + np.ones(3), lambda t: np.ones(3) * t, lambda t: t * np.array(2.0),
    lambda t: np.maximum(t, 0), lambda t: np.isnan(t), lambda t: np.ones(3) == t, lambda t: t == np.ones(3),
], ids=["exp", "add", "rmul", "mul0d", "maximum", "isnan", "req", "eq"])
def test_numpy_ufuncs_on_tensors_wrap_and_warn_as_pytorch(operation):
    expected = _numpy_result_warnings(torch, operation)
    assert _numpy_result_warnings(torchless, operation) == expected


@pytest.mark.parametrize("compare", [
    lambda t, a: t > a, lambda t, a: a < t, lambda t, a: t <= a, lambda t, a: a >= t, lambda t, a: a > t,
    lambda t, a: t < a, lambda t, a: t.__gt__(a), lambda t, a: t.gt(a),
], ids=["gt", "reflected_lt", "le", "reflected_ge", "reflected_gt", "lt", "dunder", "method"])
@pytest.mark.parametrize("array", [np.ones(3), np.ones((2, 3)), np.array(1.0)], ids=["1d", "2d", "0d"])
def test_ordering_a_tensor_against_an_array_fails_as_pytorch(compare, array):
    def outcome(lib):
        try:
            return repr(compare(lib.arange(3.0), array))
        except TypeError as error:
            return str(error).replace("torchless", "torch")

    assert outcome(torchless) == outcome(torch)


def test_not_equal_to_an_array_falls_back_to_identity_as_pytorch():
    assert (torchless.arange(3.0) != np.ones(3)) is (torch.arange(3.0) != np.ones(3)) is True
    assert (np.ones(3) != torchless.arange(3.0)) is True


def test_numpy_ufunc_on_tensor_values_and_bool_as_uint8():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        x = np.linspace(-1.0, 1.0, 5)
        got, expected = np.exp(torchless.tensor(x)), np.exp(torch.tensor(x))
        flags, expected_flags = np.isnan(torchless.tensor(x)), np.isnan(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), np.exp(x), rtol=1e-12)
    assert str(got.dtype).replace("torchless", "torch") == str(expected.dtype)
    assert str(flags.dtype).replace("torchless", "torch") == str(expected_flags.dtype) == "torch.uint8"


# --- the legacy constructors (torch.Tensor(...), torch.FloatTensor(...)) and their keywords --------------

_LEGACY_CALLS = {
    "dtype": lambda lib, new: new([1, 2], dtype=lib.float64),
    "sizes_dtype": lambda lib, new: new(2, dtype=lib.float64),
    "requires_grad": lambda lib, new: new([1, 2], requires_grad=True),
    "unknown_keyword": lambda lib, new: new([1, 2], foo=1),
    "cuda_sizes": lambda lib, new: new(2, 3, device="cuda"),
    "cuda_data": lambda lib, new: new([1, 2], device="cuda:0"),
    "cuda_device_object": lambda lib, new: new(2, device=lib.device("cuda", 1)),
    "mps": lambda lib, new: new([1.0], device="mps"),
    "accelerator_index": lambda lib, new: new([1], device=0),
    "float_device": lambda lib, new: new(device=1.5),
    "bool_device": lambda lib, new: new([1], device=True),
    "tensor_and_device": lambda lib, new: new(lib.zeros(2), device="cpu"),
    "tensor_and_none_device": lambda lib, new: new(lib.zeros(2), device=None),
    "tensor_and_keyword": lambda lib, new: new(lib.zeros(2), foo=1),
    "two_lists": lambda lib, new: new([1, 2], [3]),
    "float_then_int": lambda lib, new: new(1.5, 2),
    "size_then_int": lambda lib, new: new(lib.Size([2]), 3),
    "float_size": lambda lib, new: new(2, 3.0),
    "sizes_and_keywords": lambda lib, new: new(2, 3, device="cpu", foo=1),
}


@pytest.mark.parametrize("constructor", ["Tensor", "FloatTensor", "LongTensor"])
@pytest.mark.parametrize("call", list(_LEGACY_CALLS.values()), ids=list(_LEGACY_CALLS))
def test_legacy_constructor_errors_match_pytorch(constructor, call):
    _same_failure(lambda lib: call(lib, getattr(lib, constructor)))


@pytest.mark.parametrize("constructor", ["Tensor", "FloatTensor", "LongTensor", "DoubleTensor"])
@pytest.mark.parametrize("keywords", [{"device": "cpu"}, {"device": None}, {"device": "cpu:1"}], ids=repr)
def test_legacy_constructor_takes_a_cpu_device(constructor, keywords):
    for args in (([[1, 2], [3, 4]],), (2, 3), ()):
        expected = getattr(torch, constructor)(*args, **keywords)
        got = getattr(torchless, constructor)(*args, **keywords)
        assert tuple(got.shape) == tuple(expected.shape)
        assert str(got.dtype).replace("torchless", "torch") == str(expected.dtype)
        if args and isinstance(args[0], list):
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_cuda_legacy_constructor_refuses_keywords_too():
    _same_failure(lambda lib: lib.cuda.FloatTensor([1.0], device="cpu"))


# --- torch.cuda's names that code for both CPU and GPU writes -----------------------------------------------

@pytest.mark.parametrize("expression", [
    "lib.cuda.Stream()", "lib.cuda.Stream(0, 1)", "lib.cuda.Event()", "lib.cuda.Event(enable_timing=True)",
    "lib.cuda.Event(foo=1)", "lib.cuda.current_stream()", "lib.cuda.default_stream()",
])
def test_cuda_streams_and_events_fail_as_pytorch(expression):
    _same_failure(lambda lib: eval(expression, {"lib": lib}))


def test_cuda_memory_queries_answer_as_pytorch():
    for name in ("memory_stats", "get_arch_list", "memory_cached", "max_memory_cached"):
        assert getattr(torchless.cuda, name)() == getattr(torch.cuda, name)()


@pytest.mark.parametrize("name", ["OutOfMemoryError", "AcceleratorError"])
def test_out_of_memory_errors_can_be_caught_as_in_pytorch(name):
    error = getattr(torchless, name)
    assert issubclass(error, RuntimeError) and repr(error("x")) == repr(getattr(torch, name)("x"))
    assert repr(error).replace("torchless", "torch") == repr(getattr(torch, name))
    assert torchless.cuda.OutOfMemoryError is torchless.OutOfMemoryError
    with pytest.raises(RuntimeError):
        try:
            raise error("x")
        except torchless.cuda.OutOfMemoryError:  # (caught here only if it is that class)
            if error is not torchless.OutOfMemoryError:
                raise AssertionError("caught an error of another class") from None
            raise RuntimeError("caught") from None
