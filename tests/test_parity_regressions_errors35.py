"""Differences from PyTorch found by a thirty-fifth differential error-input fuzz (randint_like's parser, device
indices, optimizer state dicts, lr schedulers, DataLoader arguments, Module API misuse, torch.load of damaged
files), each compared with torch at run time and, where the expected text is PyTorch's or Python's own words, also
without it.

* randint_like reads its arguments with PyTorch's parser: its TypeErrors name randint_like and its six overloads
  (a 0-d tensor ``high`` among them), a call without high is refused rather than drawing from [0, 0);
* torch.device takes a 0-d integer tensor for its index, keeps an index past 127 as PyTorch's int8 DeviceIndex does
  (wrapped; one that wraps to -1 is no index), refuses one past int64 or a string's past int32 as PyTorch;
* torch.load reads a file as a zip archive only when it starts with the local file header's magic number, as
  PyTorch: a checkpoint cut to its first 2 or 3 bytes (``PK``) or with them damaged is read as a pickle; a
  data.pkl whose bytes fail its CRC-32 (which PyTorch's reader does not check) fails as PyTorch's unpickler fails on
  them (still refused where PyTorch would load the damaged data);
* resize_ and sum_to_size read their sizes with PyTorch's parser (``resize_(size=(6,))``, its TypeErrors; no
  NumPy name, axis= or keepdims=, taken for an argument they have not);
* an index list holding an int beyond int64, a float beyond it (or NaN) or a complex number fails as
  torch.tensor(list, dtype=torch.int64) does, as does such a list given to torch.tensor with an integer dtype among
  floats; a complex index tensor is refused with PyTorch's words;
* hstack / vstack / row_stack / dstack / column_stack (and concat / concatenate) write out= through cat's out=
  variant: an out dtype the result cannot be cast to, or an argument requiring grad, gets cat's error;
* one_hot with more classes than memory holds raises PyTorch's allocation error;
* backward / autograd.backward / autograd.grad read retain_graph, create_graph and allow_unused as PyTorch's engine
  call does (an unsigned byte, by ``__index__``): a str, float, None (create_graph), list, NumPy bool or float
  tensor is refused with Python's TypeError, a value past 0 .. 255 with its OverflowError, after the output
  gradients are checked and before the inputs are;
* Generator.manual_seed names a seed of the wrong type by its C type's name (``numpy.float32``);
* torch.save reads pickle_protocol as pickle's Pickler does: None is pickle's default protocol (4), a float or a
  string is refused with Python's TypeError;
* tensor() and as_tensor() without data, from_numpy() with no or two arguments, randint() and
  randperm() without arguments get PyTorch's parser's (or CPython's METH_O) words; as_tensor of a tensor checks
  its device (CUDA, XLA, MPS: PyTorch's errors) before returning it;
* Tensor.cpu takes memory_format by keyword only, apply_ names TensorBase when given other than one argument,
  map_ binds its arguments as PyTorch's parser (missing ones first, then keywords left over);
* torch.Size refuses keywords and a second argument in tuple's words, Size.numel any argument in CPython's;
* the global switches refuse what is no Python bool as PyTorch's bindings do: set_warn_always and
  set_flush_denormal (RuntimeError), set_detect_anomaly / detect_anomaly (set_anomaly_enabled's parser).
"""
import io
import pickle
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome


def _same(call):
    """``call(lib)`` raises the same error for torch and torchless (torchless's names read as torch's), or returns
    equal results (tensors compared by their values, dtype names and shapes; other results by repr)."""
    torch = pytest.importorskip("torch")

    def described(lib):
        result = call(lib)
        if hasattr(result, "tolist") and hasattr(result, "dtype"):
            return result.tolist(), str(result.dtype).split(".")[-1], tuple(result.shape)
        return repr(result).replace("torchless", "torch")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(lambda: described(torch)), outcome(lambda: described(torchless))
    if isinstance(actual, Raised):
        actual = Raised(actual.type, actual.message.replace("torchless", "torch"))
    assert actual == expected


# ---------------------------------------------------------------------------- randint_like
_RANDINT_LIKE_CALLS = {
    "str": lambda lib, x: lib.randint_like(x, "a"),
    "low_high_reversed": lambda lib, x: lib.randint_like(x, 5, 2),
    "high_none": lambda lib, x: lib.randint_like(x, high=None),
    "no_high": lambda lib, x: lib.randint_like(x),
    "float": lambda lib, x: lib.randint_like(x, 1.5),
    "float_high": lambda lib, x: lib.randint_like(x, 2, 5.0),
    "bool": lambda lib, x: lib.randint_like(x, True),
    "low_only": lambda lib, x: lib.randint_like(x, low=2),
    "keywords": lambda lib, x: lib.randint_like(x, low=2, high=5),
    "tensor_high": lambda lib, x: lib.randint_like(x, lib.tensor(7)),
    "float_tensor_high": lambda lib, x: lib.randint_like(x, lib.tensor(7.9)),
    "tensor_high_1d": lambda lib, x: lib.randint_like(x, lib.tensor([5, 6])),
    "tensor_low": lambda lib, x: lib.randint_like(x, lib.tensor(2), 5),
    "generator_str": lambda lib, x: lib.randint_like(x, 5, generator="a"),
    "generator_none": lambda lib, x: lib.randint_like(x, 5, generator=None),
    "dtype_str": lambda lib, x: lib.randint_like(x, 5, dtype="a"),
    "dtype_int8_range": lambda lib, x: lib.randint_like(x, 300, dtype=lib.int8),
    "unknown_keyword": lambda lib, x: lib.randint_like(x, 5, foo=1),
    "three_bounds": lambda lib, x: lib.randint_like(x, 5, 6, 7),
    "input_int": lambda lib, x: lib.randint_like(2, 5),
    "numpy_high": lambda lib, x: lib.randint_like(x, np.uint8(5)),
    "list_high": lambda lib, x: lib.randint_like(x, [5]),
    "out": lambda lib, x: lib.randint_like(x, 5, out=x),
}


@pytest.mark.parametrize("case", list(_RANDINT_LIKE_CALLS))
def test_randint_like_reads_its_arguments_as_pytorchs_parser(case):
    def call(lib):
        lib.manual_seed(0)
        return _RANDINT_LIKE_CALLS[case](lib, lib.ones(2, 3))

    _same(call)


def test_randint_like_names_itself_and_refuses_a_missing_high_without_torch():
    for call in (lambda: torchless.randint_like(torchless.ones(2), "a"), lambda: torchless.randint_like(
            torchless.ones(2)), lambda: torchless.randint_like(torchless.ones(2), high=None)):
        result = outcome(call)
        assert result.type == "TypeError" and result.message.startswith(
            "randint_like() received an invalid combination of arguments - got (Tensor"), result
    drawn = torchless.randint_like(torchless.ones(500), torchless.tensor(3.9))  # (high read as int64: 3)
    assert set(drawn.tolist()) == {0.0, 1.0, 2.0}
    assert outcome(lambda: torchless.randint_like(torchless.ones(2), torchless.tensor([5, 6]))) == (
        "RuntimeError", "high must be a scalar tensor and on CPU")


# ---------------------------------------------------------------------------- torch.device
@pytest.mark.parametrize("index", ["tensor", "tensor_uint8", "tensor_float", "tensor_2d", "tensor_bool",
                                   "tensor_negative", 127, 128, 200, 255, 256, 300, 2**40, 2**63, 2**64, -2**64, -1])
def test_a_device_index_is_read_and_kept_as_pytorchs(index):
    def call(lib):
        value = {"tensor": lambda: lib.tensor(1), "tensor_uint8": lambda: lib.tensor(1, dtype=lib.uint8),
                 "tensor_float": lambda: lib.tensor(1.0), "tensor_2d": lambda: lib.tensor([[1]]),
                 "tensor_bool": lambda: lib.tensor(True), "tensor_negative": lambda: lib.tensor(-2)}.get(index)
        d = lib.device("cpu", index if value is None else value())
        return repr(d), str(d), d.index, d == lib.device("cpu", 0), hash(d) == hash(lib.device("cpu", 0))

    _same(call)


@pytest.mark.parametrize("text", ["cpu:300", "cpu:128", "cpu:255", "cpu:2147483647", "cpu:2147483648",
                                  "cpu:99999999999999999999"])
def test_a_device_strings_index_is_read_as_pytorchs(text):
    _same(lambda lib: (repr(lib.device(text)), str(lib.device(text)), lib.device(text).index))


@pytest.mark.parametrize("args", [("cuda:99999999999999999999", 2**64), ("cpu:0", 2**64), (2**64,), (-2**64,)])
def test_device_errors_come_in_pytorchs_order(args):
    _same(lambda lib: lib.device(*args))


def test_device_indices_without_torch():
    # PyTorch's DeviceIndex is an int8: 300 keeps 44, 255 wraps to -1 (no index), 200 to -56 (printed by repr as
    # the 16-bit 65480)
    assert torchless.device("cpu", 300).index == 44 and torchless.device("cpu", 255) == torchless.device("cpu")
    assert (repr(torchless.device("cpu:200")), str(torchless.device("cpu:200"))) == (
        "device(type='cpu', index=65480)", "cpu:-56")
    assert torchless.device("cpu", torchless.tensor(3)).index == 3
    assert outcome(lambda: torchless.device("cpu", torchless.tensor(-1))) == (
        "RuntimeError", "Device index must not be negative")
    assert outcome(lambda: torchless.device("cpu", 2**63)) == ("ValueError", "Overflow when unpacking long long")


# ---------------------------------------------------------------------------- torch.load of damaged checkpoints
def _saved_by_torch():
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save(torch.arange(6.0).reshape(2, 3), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("damage", ["cut2", "cut3", "cut4", "cut21", "cut22", "flip0", "flip1", "flip2", "flip3"])
def test_a_checkpoint_damaged_at_its_start_loads_as_in_torch(damage, weights_only):
    data = bytearray(_saved_by_torch())
    if damage.startswith("cut"):
        data = data[:int(damage[3:])]
    else:
        data[int(damage[4:])] ^= 0xFF
    _same(lambda lib: lib.load(io.BytesIO(bytes(data)), weights_only=weights_only))


def _data_pickle_span(data):
    """(start, end) of the bytes of data.pkl in the zip archive ``data``."""
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in archive.infolist() if i.filename.endswith("data.pkl"))
    name_length, extra_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    return start, start + info.file_size


@pytest.mark.parametrize("weights_only", [True, False])
def test_a_damaged_data_pickle_fails_as_pytorchs_unpickler_fails(weights_only):
    torch = pytest.importorskip("torch")
    data = _saved_by_torch()
    start, end = _data_pickle_span(data)
    compared = 0
    for position in range(start, end):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        with warnings.catch_warnings():  # (a damaged protocol byte: both libraries warn of the protocol)
            warnings.simplefilter("ignore")
            expected = outcome(lambda: torch.load(io.BytesIO(bytes(damaged)), weights_only=weights_only))
        # (where PyTorch loads other data than saved, torchless refuses; a string's length damaged makes Python's
        # unpickler, not weights-only, allocate it: PyTorch's MemoryError, which torchless does not reproduce)
        if isinstance(expected, Raised) and expected.type != "MemoryError":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                actual = outcome(lambda: torchless.load(io.BytesIO(bytes(damaged)), weights_only=weights_only))
            assert Raised(actual.type, actual.message.replace("torchless", "torch")) == expected, position
            compared += 1
    assert compared > (end - start) // 4


def test_a_damaged_data_pickle_fails_as_pythons_unpickler_without_torch():
    buffer = io.BytesIO()
    torchless.save(torchless.ones(2), buffer)
    data = bytearray(buffer.getvalue())
    start, end = _data_pickle_span(bytes(data))
    data[start] ^= 0xFF  # (the PROTO opcode becomes an invalid load key)
    expected = outcome(lambda: pickle.loads(bytes(data[start:end])))
    assert expected.type == "UnpicklingError"
    assert outcome(lambda: torchless.load(io.BytesIO(bytes(data)), weights_only=False)) == expected


def test_a_file_of_pk_alone_is_read_as_a_pickle_without_torch():
    # 'P' is pickle's persistent-id opcode: Python's unpickler (weights_only=False) has no persistent_load
    expected = outcome(lambda: pickle.loads(b"PK"))
    assert expected.type == "UnpicklingError"
    assert outcome(lambda: torchless.load(io.BytesIO(b"PK"), weights_only=False)) == expected


# ---------------------------------------------------------------------------- resize_ / sum_to_size sizes
@pytest.mark.parametrize("method", ["resize_", "sum_to_size"])
@pytest.mark.parametrize("args,kwargs", [
    (("a",), {}), ((2.0, 3), {}), ((None,), {}), (((2, 3), 1), {}), (((2, "a"),), {}), ((np.float32(6),), {}),
    ((True, 6), {}), (("tensor23",), {}), ((), {}), (("int64",), {}), ((), {"shape": (6,)}), ((), {"size": (6,)}),
    ((), {"size": 6}), ((6,), {"size": 6}), ((2, "bool_tensor"), {}), ((6,), {"foo": 1}), ((6,), {}),
    (((1, 3),), {}), ((6,), {"memory_format": 1}), ((1, 2, 3, 1), {"memory_format": "channels_last"}),
    ((6,), {"axis": 1}), ((), {"size": (6,), "keepdims": True}),
])
def test_resize_and_sum_to_size_read_sizes_as_pytorchs_parser(method, args, kwargs):
    def call(lib):
        named = {"tensor23": lib.tensor([2, 3]), "int64": lib.int64, "bool_tensor": lib.tensor(True),
                 "channels_last": lib.channels_last}
        given = [named.get(a, a) if isinstance(a, str) else a for a in args]
        keywords = {k: named.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
        result = getattr(lib.arange(6.0).reshape(2, 3), method)(*given, **keywords)
        return tuple(result.shape), result.stride()

    _same(call)


def test_resize_sizes_by_keyword_without_torch():
    t = torchless.arange(6.0).reshape(2, 3)
    assert t.resize_(size=(3, 2)).shape == (3, 2) and t.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    assert outcome(lambda: t.resize_()) == ("TypeError", 'resize_() missing 1 required positional arguments: "size"')
    assert outcome(lambda: t.resize_(2.0, 3)) == ("TypeError", "resize_() takes 1 positional argument but 2 were "
                                                                "given")


# ---------------------------------------------------------------------------- index lists beyond int64
@pytest.mark.parametrize("key", ["[2**63]", "[-2**63 - 1]", "[[2**63]]", "[0, 2**63]", "[1.5, 2**63]", "[2**64]",
                                 "[[0], [2**63]]", "[1e20]", "[float('nan')]", "[-1e19]", "[True, 2**63]",
                                 "[np.uint64(2**63)]", "[np.uint64(1)]", "[1+0j]", "[1j]", "[]", "[[], []]",
                                 "[1.5, -0.5]", "lib.tensor([1+0j])", "(lib.tensor([1+0j]), 0)",
                                 "(0, lib.tensor([1j]))"])
@pytest.mark.parametrize("write", [False, True], ids=["get", "set"])
def test_an_index_list_is_stored_as_int64_as_pytorch(key, write):
    def call(lib):
        t, index = lib.arange(6.0).reshape(2, 3), eval(key, {"lib": lib, "np": np})
        if write:
            t[index] = 7.0
            return t
        return t[index]

    _same(call)


@pytest.mark.parametrize("data", ["[1.5, 2**63]", "[1.5, -2**63 - 1]", "[[1.5], [2**64]]", "[1.5, -2**63]",
                                  "[1.5, float('nan')]", "[1.5, 1e19]", "[1.5, 10**400]"])
def test_an_int_beyond_int64_among_floats_fails_as_pytorch(data):
    _same(lambda lib: lib.tensor(eval(data), dtype=lib.int64))


def test_index_lists_beyond_int64_without_torch():
    t = torchless.arange(6.0).reshape(2, 3)
    overflow = ("ValueError", "Overflow when unpacking long long")
    assert outcome(lambda: t[[2**63]]) == overflow and outcome(lambda: t[[1.5, 2**63]]) == overflow
    assert outcome(lambda: torchless.tensor([1.5, 2**63], dtype=torchless.int64)) == overflow
    assert outcome(lambda: t[[1e20]]) == ("RuntimeError", "value cannot be converted to type int64 without overflow")
    assert outcome(lambda: t[[1 + 0j]]) == ("TypeError", "'complex' object cannot be interpreted as an integer")
    assert outcome(lambda: t[torchless.tensor([1 + 0j])]) == (
        "IndexError", "tensors used as indices must be long, int, byte or bool tensors")


# ---------------------------------------------------------------------------- the *stack functions' out=
@pytest.mark.parametrize("out", ["int64", "bool", "float64", "requires_grad"])
@pytest.mark.parametrize("name", ["hstack", "vstack", "row_stack", "dstack", "column_stack", "concat", "concatenate"])
def test_the_stack_functions_out_errors_are_cats(name, out):
    def call(lib):
        target = lib.ones(2, 3, requires_grad=True) if out == "requires_grad" else \
            lib.ones(1, dtype=getattr(lib, out))
        return getattr(lib, name)([lib.ones(2, 3)], out=target)

    _same(call)


def test_the_stack_functions_out_errors_without_torch():
    assert outcome(lambda: torchless.hstack([torchless.ones(2)], out=torchless.ones(1, dtype=torchless.int64))) == (
        "TypeError", "torchless.cat(): input types can't be cast to the desired output type Long")
    assert outcome(lambda: torchless.vstack([torchless.ones(2)], out=torchless.ones(1, requires_grad=True))) == (
        "RuntimeError", "cat(): functions with out=... arguments don't support automatic differentiation, but one "
                        "of the arguments requires grad.")


# ---------------------------------------------------------------------------- one_hot beyond memory
@pytest.mark.parametrize("num_classes", [2**62, 2**60])
def test_one_hot_beyond_memory_raises_pytorchs_allocation_error(num_classes):
    _same(lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 1]), num_classes))


def test_one_hot_beyond_int64_bytes_without_torch():
    assert outcome(lambda: torchless.nn.functional.one_hot(torchless.tensor([0, 1]), 2**62)) == (
        "RuntimeError", "Storage size calculation overflowed with sizes=[2, 4611686018427387904]")


# ---------------------------------------------------------------------------- autograd engine flags
_FLAG_VALUES = {"str": "a", "float": 1.5, "none": None, "big": 300, "negative": -1, "numpy_bool": np.bool_(True),
                "numpy_float": np.float32(1), "two": 2, "numpy_int": np.int64(1), "list": [1], "huge": 2**70,
                "zero": 0, "int_tensor": "int_tensor", "bool_tensor": "bool_tensor", "float_tensor": "float_tensor"}


def _flag(lib, key):
    value = _FLAG_VALUES[key]
    if value in ("int_tensor", "bool_tensor", "float_tensor"):
        return {"int_tensor": lib.tensor(1), "bool_tensor": lib.tensor(True), "float_tensor": lib.tensor(1.0)}[value]
    return value


@pytest.mark.parametrize("key", list(_FLAG_VALUES))
@pytest.mark.parametrize("flag", ["create_graph", "retain_graph"])
@pytest.mark.parametrize("how", ["method", "backward", "grad", "bad_gradient", "bad_inputs"])
def test_engine_flags_are_read_as_pytorchs_engine_reads_them(how, flag, key):
    def call(lib):
        x = lib.ones(2, requires_grad=True)
        flags = {flag: _flag(lib, key)}
        if how == "method":
            (x * 2).sum().backward(**flags)
        elif how == "backward":
            lib.autograd.backward((x * 2).sum(), **flags)
        elif how == "grad":
            return lib.autograd.grad((x * 2).sum(), x, **flags)[0]
        elif how == "bad_gradient":  # (the output gradient is checked first)
            (x * 2).backward(lib.ones(3), **flags)
        else:  # (the inputs after)
            (x * 2).sum().backward(inputs=[lib.ones(1)], **flags)
        return x.grad

    _same(call)


@pytest.mark.parametrize("key", list(_FLAG_VALUES))
def test_allow_unused_is_read_as_pytorchs_engine_reads_it(key):
    def call(lib):
        x, unused = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        return repr(lib.autograd.grad((x * 2).sum(), [x, unused], allow_unused=_flag(lib, key))[1])

    _same(call)


def test_engine_flags_without_torch():
    x = torchless.ones(2, requires_grad=True)
    assert outcome(lambda: (x * 2).sum().backward(retain_graph="a")) == (
        "TypeError", "'str' object cannot be interpreted as an integer")
    assert outcome(lambda: (x * 2).sum().backward(create_graph=None)) == (
        "TypeError", "'NoneType' object cannot be interpreted as an integer")
    assert outcome(lambda: torchless.autograd.grad((x * 2).sum(), x, allow_unused=300)) == (
        "OverflowError", "unsigned byte integer is greater than maximum")
    assert outcome(lambda: torchless.autograd.grad((x * 2).sum(), x, retain_graph=-1)) == (
        "OverflowError", "unsigned byte integer is less than minimum")
    assert x.grad is None  # (refused before anything ran)
    assert torchless.autograd.grad((x * 2).sum(), x, retain_graph=np.int64(1))[0].tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------------- Generator.manual_seed
@pytest.mark.parametrize("seed", ["np.float32(1)", "np.float64(1)", "1.5", "lib.tensor(1.)", "None", "'a'",
                                  "np.array(1)", "np.bool_(True)", "np.int64(1)", "True"])
def test_generator_manual_seed_names_the_seeds_type_as_pytorch(seed):
    _same(lambda lib: lib.Generator().manual_seed(eval(seed, {"lib": lib, "np": np})).initial_seed())


def test_generator_manual_seed_names_a_numpy_type_with_its_module_without_torch():
    assert outcome(lambda: torchless.Generator().manual_seed(np.float32(1))) == (
        "RuntimeError", "manual_seed expected a long, but got numpy.float32")


# ---------------------------------------------------------------------------- torch.save's pickle_protocol
def _data_pickle_head(data):
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))[:2]


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("protocol", ["None", "1.5", "'2'", "np.int64(3)", "True", "-1"])
def test_save_reads_pickle_protocol_as_picklers_do(protocol, legacy):
    def call(lib):
        buffer = io.BytesIO()
        lib.save(lib.ones(2), buffer, pickle_protocol=eval(protocol), _use_new_zipfile_serialization=not legacy)
        return buffer.getvalue()[:2] if legacy else _data_pickle_head(buffer.getvalue())

    _same(call)


def test_save_pickle_protocol_none_is_picklers_default_without_torch():
    buffer = io.BytesIO()
    torchless.save(torchless.ones(2), buffer, pickle_protocol=None)
    assert _data_pickle_head(buffer.getvalue()) == bytes([0x80, pickle.DEFAULT_PROTOCOL])
    assert outcome(lambda: torchless.save(torchless.ones(2), io.BytesIO(), pickle_protocol=1.5)) == (
        "TypeError", "'float' object cannot be interpreted as an integer")


# ---------------------------------------------------------------------------- factories called without their data
@pytest.mark.parametrize("call", [
    "lib.tensor()", "lib.as_tensor()", "lib.tensor(dtype=lib.int64)", "lib.as_tensor(dtype=lib.int64)",
    "lib.tensor([1], [2])", "lib.as_tensor([1], [2])", "lib.as_tensor(lib.ones(1), [2])", "lib.tensor([1], [2], [3])",
    "lib.tensor(data=[1])", "lib.as_tensor(data=lib.ones(1))", "lib.from_numpy()",
    "lib.from_numpy(np.ones(1), np.ones(1))", "lib.from_numpy(np.ones(2))", "lib.randint()",
    "lib.randperm()", "lib.randperm(dtype=lib.int64)", "lib.randperm(n=3).shape",
    "lib.as_tensor(lib.ones(2), device='cuda')", "lib.as_tensor(lib.ones(2), device='xla')",
    "lib.as_tensor(lib.ones(2), device='mps')", "lib.as_tensor(lib.ones(2), device='a')",
    "lib.as_tensor(lib.ones(2), device=1)", "lib.as_tensor(lib.ones(2), device='cpu')",
])
def test_factories_without_their_data_fail_as_pytorchs(call):
    _same(lambda lib: eval(call, {"lib": lib, "np": np}))


def test_factories_without_their_data_without_torch():
    assert outcome(lambda: torchless.tensor()) == ("TypeError", 'tensor() missing 1 required positional arguments: '
                                                                '"data"')
    assert outcome(lambda: torchless.from_numpy()) == (
        "TypeError", "torchless._VariableFunctionsClass.from_numpy() takes exactly one argument (0 given)")
    assert outcome(lambda: torchless.as_tensor(torchless.ones(2), device="cuda")) == (
        "AssertionError", "Torch not compiled with CUDA enabled")


# ---------------------------------------------------------------------------- cpu / apply_ / map_ misbound
@pytest.mark.parametrize("call", [
    "cpu(1)", "cpu(1, 2)", "cpu(memory_format=1)", "cpu(foo=1)", "cpu(memory_format=lib.preserve_format)",
    "apply_()", "apply_(1, 2)", "apply_(f=1)", "map_()", "map_(lib.ones(2))", "map_(lib.ones(2), lambda a, b: a, 3)",
    "map_(other=lib.ones(2))", "map_(callable=lambda a, b: a)", "map_(lib.ones(2), callable=lambda a, b: a + b)",
    "map_(lib.ones(2), other=lib.ones(2))", "map_(lib.ones(2), foo=1)", "map_(lib.ones(2), lambda a, b: a - b, foo=1)",
    "map_(other=lib.ones(2), callable=lambda a, b: a * 3)", "map_(lib.ones(2), lambda a, b: a - b, other=1)",
])
def test_tensor_methods_bind_their_arguments_as_pytorch(call):
    def run(lib):
        t = lib.ones(2)
        eval(f"t.{call}", {"lib": lib, "t": t})
        return t

    _same(run)


def test_tensor_methods_bind_their_arguments_without_torch():
    t = torchless.ones(2)
    assert outcome(lambda: t.cpu(1)) == ("TypeError", "cpu() takes 0 positional arguments but 1 was given")
    assert outcome(lambda: t.apply_()) == ("TypeError", "TensorBase.apply_() takes exactly one argument (0 given)")
    assert outcome(lambda: t.map_(other=t)) == ("TypeError", 'map_() missing 1 required positional arguments: '
                                                              '"callable"')
    assert t.map_(callable=lambda a, b: a + b, other=torchless.full((2,), 2.0)).tolist() == [3.0, 3.0]


# ---------------------------------------------------------------------------- torch.Size misbound
@pytest.mark.parametrize("call", ["lib.Size([2, 3]).numel(a=1)", "lib.Size([2, 3]).numel(1, 2)",
                                  "lib.Size([2, 3]).numel(1)", "lib.Size([2, 3]).numel()", "lib.Size(sizes=[1])",
                                  "lib.Size([1], [2])", "lib.Size(foo=1)", "lib.Size([1], foo=1)", "lib.Size()"])
def test_size_binds_its_arguments_as_pytorchs(call):
    _same(lambda lib: eval(call, {"lib": lib}))


def test_size_binds_its_arguments_without_torch():
    assert outcome(lambda: torchless.Size([2]).numel(1)) == ("TypeError", "Size.numel() takes no arguments (1 given)")
    assert outcome(lambda: torchless.Size(sizes=[1])) == ("TypeError", "tuple() takes no keyword arguments")
    assert torchless.Size([2, 3]).numel() == 6


# ---------------------------------------------------------------------------- global switches
@pytest.mark.parametrize("value", ["'a'", "1", "None", "np.bool_(True)", "lib.tensor(True)", "True"])
@pytest.mark.parametrize("call", ["lib.set_warn_always({})", "(lib.set_flush_denormal({}), None)[1]",
                                  "lib.autograd.set_detect_anomaly({}) and None",
                                  "lib.autograd.set_detect_anomaly(False, {}) and None",
                                  "lib.autograd.detect_anomaly(check_nan={}).__enter__()"])
def test_global_switches_refuse_what_is_no_bool(call, value):
    def run(lib):
        previous = lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled(), lib.is_warn_always_enabled()
        try:
            return eval(call.format(value), {"lib": lib, "np": np}), lib.is_anomaly_enabled()
        finally:
            lib.set_anomaly_enabled(*previous[:2])
            lib.set_warn_always(previous[2])
            lib.set_flush_denormal(False)  # (PyTorch's True sets the process's FTZ/DAZ flags: NumPy would flush too)

    _same(run)


def test_global_switches_without_torch():
    assert outcome(lambda: torchless.set_warn_always(1)) == (
        "RuntimeError", "setWarnOnlyOnce expects a bool, but got int")
    assert outcome(lambda: torchless.set_flush_denormal(np.bool_(True))) == (
        "RuntimeError", "flush_denormal expects a bool, but got numpy.bool")
    assert outcome(lambda: torchless.autograd.set_detect_anomaly(None)) == (
        "TypeError", "set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, not NoneType")
    assert not torchless.is_anomaly_enabled() and not torchless.is_warn_always_enabled()
