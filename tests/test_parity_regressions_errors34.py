"""Differences from PyTorch found by a thirty-fourth differential error-input fuzz (optimizer param groups, conv
constructors, torch.load of damaged checkpoints, nn.init, Module.to, layer calls), each compared with torch at run
time and, where the expected text is Python's or PyTorch's own words, also without it.

* a param group whose lr, betas, eps, weight_decay (any hyperparameter whose default is a number) is a string, None,
  a list, a complex number or a tensor of several elements fails at the step where PyTorch's for-loop meets it:
  Python's arithmetic (``-lr``, ``lr / bias_correction1``, ``1 - beta1``), an op's parser (``mul_(beta2)``), a
  broadcast; ASGD makes a new state's eta with as_tensor, Adafactor meets ``min(lr, ...)`` first;
* Conv modules' padding_mode error lists the modes in PyTorch's order under every hash seed;
* torch.load of a checkpoint whose data.pkl is damaged (cut anywhere, garbage, empty) fails with the error PyTorch's
  weights-only unpickler or Python's meets first; a missing or mis-sized storage record gets the zip reader's words,
  a tensor reaching past its storage set_'s;
* nn.init.kaiming_uniform_ of an ndarray, a list or None; normal_'s generator that is none (kaiming_normal_); mul_
  of an ndarray (orthogonal_'s gain);
* Module.to('cuda') of a module holding no tensor succeeds; embedding's index-type error for a complex tensor;
  a transposed convolution checks a complex input's dims first;
* set_num_threads / set_num_interop_threads name a NumPy scalar with its module; torch.load reads a pickle_module's
  name, and (not weights-only) raises Python's AttributeError for a global its module has not.
"""
import io
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome, run_python

_OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "RMSprop", "NAdam", "RAdam", "ASGD",
               "Adafactor", "Rprop"]


def _group_step(lib, name, key, value, as_new_group=False):
    """An optimizer of two 2x3 parameters, the second's group given ``key=value``, stepped once (gradients ones)."""
    params = [lib.nn.Parameter(lib.ones(2, 3)), lib.nn.Parameter(lib.ones(2, 3) * 2)]
    value = value(lib) if callable(value) else value
    cls = getattr(lib.optim, name)
    if as_new_group:
        optimizer = cls([params[0]], lr=0.1)
        optimizer.add_param_group({"params": [params[1]], key: value})
    else:
        optimizer = cls([{"params": [params[0]]}, {"params": [params[1]], key: value}], lr=0.1)
    for p in params:
        p.grad = lib.ones_like(p)
    optimizer.step()
    return [p.detach().tolist() for p in params]


def _assert_same_outcome(call):
    """``call(lib)`` raises the same error for torch and torchless (torchless's names read as torch's), or returns
    the same parameter values (to float32 precision)."""
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(lambda: call(torch)), outcome(lambda: call(torchless))
    if isinstance(expected, Raised):
        assert isinstance(actual, Raised), actual
        assert (actual.type, actual.message.replace("torchless", "torch")) == expected
    else:
        assert not isinstance(actual, Raised), actual
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


_BAD_NUMBERS = {"str": "a", "None": None, "list": [0.1], "complex": 0.001j,
                "tensor3": lambda lib: lib.tensor([0.1, 0.2, 0.3])}


# ---------------------------------------------------------------------------- optimizers: malformed param groups
@pytest.mark.parametrize("as_new_group", [False, True], ids=["constructor", "add_param_group"])
@pytest.mark.parametrize("value", list(_BAD_NUMBERS), ids=list(_BAD_NUMBERS))
@pytest.mark.parametrize("name", _OPTIMIZERS)
def test_a_group_lr_that_is_no_number_fails_as_in_torch(name, value, as_new_group):
    _assert_same_outcome(lambda lib: _group_step(lib, name, "lr", _BAD_NUMBERS[value], as_new_group))


@pytest.mark.parametrize("key,value", [
    ("betas", "ab"), ("betas", (0.9, "x")), ("betas", ("x", 0.9)), ("betas", (None, 0.9)),
    ("betas", (lambda lib: lib.tensor([0.9, 0.9, 0.9]), 0.9)), ("eps", "x"), ("eps", None), ("weight_decay", "x"),
])
@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"])
def test_a_group_beta_or_eps_that_is_no_number_fails_as_in_torch(name, key, value):
    def bad(lib):
        if isinstance(value, tuple):
            return tuple(item(lib) if callable(item) else item for item in value)
        return value

    _assert_same_outcome(lambda lib: _group_step(lib, name, key, bad))


@pytest.mark.parametrize("name,key", [("Adadelta", "rho"), ("RMSprop", "alpha"), ("RMSprop", "momentum"),
                                      ("SGD", "momentum"), ("SGD", "dampening"), ("ASGD", "lambd"),
                                      ("Rprop", "etas"), ("Adagrad", "lr_decay"), ("NAdam", "momentum_decay")])
@pytest.mark.parametrize("value", ["x", None])
def test_other_group_hyperparameters_that_are_no_numbers_fail_as_in_torch(name, key, value):
    _assert_same_outcome(lambda lib: _group_step(lib, name, key, value))


def _python_error(expression):
    """The (type name, message) Python's own arithmetic raises for ``expression()``."""
    result = outcome(expression)
    assert isinstance(result, Raised)
    return result


@pytest.mark.parametrize("value", ["a", None, [0.1]], ids=["str", "None", "list"])
def test_a_group_lr_fails_in_the_arithmetic_of_pytorchs_for_loop(value):
    # PyTorch's SGD moves by add_(grad, alpha=-lr), Adam by lr / bias_correction1 (a float), Adafactor first takes
    # min(lr, 1 / step ** 0.5): the errors are those of Python's operators, whatever torchless computes with
    for name, expression in [("SGD", lambda: -value), ("Adam", lambda: value / 0.1),
                             ("Adafactor", lambda: min(value, 1.0))]:
        assert outcome(lambda: _group_step(torchless, name, "lr", value)) == _python_error(expression)


def test_a_group_beta_fails_in_the_arithmetic_or_parser_of_pytorchs_for_loop():
    # exp_avg.lerp_(grad, 1 - beta1) meets the string first; exp_avg_sq.mul_(beta2) meets it in mul_'s parser
    assert outcome(lambda: _group_step(torchless, "Adam", "betas", ("x", 0.9))) == _python_error(lambda: 1 - "x")
    assert outcome(lambda: _group_step(torchless, "Adam", "betas", (0.9, "x"))) == Raised(
        "TypeError", "mul_(): argument 'other' (position 1) must be Tensor, not str")


def test_asgd_makes_a_new_states_eta_with_as_tensor():
    expected = outcome(lambda: torchless.as_tensor("a", dtype=torchless.float32))
    assert expected == Raised("TypeError", "new(): invalid data type 'str'")
    assert outcome(lambda: _group_step(torchless, "ASGD", "lr", "a")) == expected


@pytest.mark.parametrize("name", _OPTIMIZERS)
def test_groups_of_numbers_step_as_before(name):
    # the groups of numbers (ints, floats, NumPy floats, one-element tensors) keep the fast update; the same values
    # given as a float or a NumPy float step alike, and as PyTorch
    torch = pytest.importorskip("torch")
    results = [_group_step(lib, name, "lr", value) for lib, value in
               [(torchless, 0.05), (torchless, np.float64(0.05)), (torch, 0.05)]]
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=0)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-6, atol=1e-7)


def test_sgd_group_step_of_a_numpy_lr_is_the_plain_update():
    # independent reference: one SGD step is p - lr * g
    got = _group_step(torchless, "SGD", "lr", np.float32(0.25))
    np.testing.assert_array_equal(np.array(got[1], np.float32), np.full((2, 3), 2 - 0.25, np.float32))


# ---------------------------------------------------------------------------- conv: padding_mode's message order
_PADDING_MODE_SCRIPT = """
import importlib
for name in {libraries!r}:
    lib = importlib.import_module(name)
    for mode in ("foo", "Zeros"):
        try:
            lib.nn.Conv2d(1, 1, 3, padding_mode=mode)
        except ValueError as error:
            print(str(error).replace("torchless", "torch"))
"""


# (hash seeds under which a set literal of the modes lists them in another order than PyTorch's)
@pytest.mark.parametrize("seed", ["0", "3"])
def test_padding_mode_error_lists_the_modes_as_torch_under_any_hash_seed(seed):
    import importlib.util
    import os

    libraries = ["torchless"] + (["torch"] if importlib.util.find_spec("torch") is not None else [])
    source_root = os.path.dirname(os.path.dirname(torchless.__file__))
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=source_root)
    lines = subprocess.run([sys.executable, "-c", _PADDING_MODE_SCRIPT.format(libraries=libraries)],
                           capture_output=True, text=True, timeout=300, env=env, check=True).stdout.splitlines()
    for line, mode in zip(lines[:2], ("foo", "Zeros")):
        # the four modes, each once, and the value as given
        listed = line.split("{")[1].split("}")[0]
        assert sorted(listed.split(", ")) == ["'circular'", "'reflect'", "'replicate'", "'zeros'"]
        assert line.endswith(f"but got padding_mode='{mode}'")
    if len(libraries) == 2:
        assert lines[:2] == lines[2:]


# ---------------------------------------------------------------------------- torch.load of damaged checkpoints
def _checkpoint(lib):
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2))
    buffer = io.BytesIO()
    lib.save({"model": model.state_dict(), "epoch": 3}, buffer)
    return buffer.getvalue()


def _rewritten(data, change):
    """The zip archive ``data`` with each entry ``change(name, bytes)`` (None: left out)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            entry = change(name, source.read(name))
            if entry is not None:
                archive.writestr(name, entry)
    return out.getvalue()


def _data_pickle(data):
    source = zipfile.ZipFile(io.BytesIO(data))
    return source.read(next(name for name in source.namelist() if name.endswith("/data.pkl")))


def _with_data_pickle(data, pickled):
    return _rewritten(data, lambda name, entry: pickled if name.endswith("/data.pkl") else entry)


def _load(lib, data, weights_only):
    return lib.load(io.BytesIO(data), weights_only=weights_only)


@pytest.fixture(scope="module")
def torch_checkpoint():
    torch = pytest.importorskip("torch")
    return _checkpoint(torch)


@pytest.mark.parametrize("weights_only", [True, False])
def test_a_data_pickle_cut_anywhere_fails_as_in_torch(torch_checkpoint, weights_only):
    pytest.importorskip("torch")
    pickled = _data_pickle(torch_checkpoint)
    for cut in list(range(0, 12)) + list(range(12, len(pickled), 5)):
        damaged = _with_data_pickle(torch_checkpoint, pickled[:cut])
        _assert_same_outcome(lambda lib: _load(lib, damaged, weights_only))


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("pickled", [b"garbage", b"", b"\x80", b"\x80\x02}q\x00(X", b"\x80\x02]q\x00(K\x01K\x02e",
                                     b"\x80\x02cnot_allowed\nname\nq\x00."],
                         ids=["garbage", "empty", "proto-only", "cut-in-string", "no-stop", "unknown-module"])
def test_a_data_pickle_that_is_no_checkpoint_pickle_fails_as_in_torch(torch_checkpoint, weights_only, pickled):
    pytest.importorskip("torch")
    damaged = _with_data_pickle(torch_checkpoint, pickled)
    _assert_same_outcome(lambda lib: _load(lib, damaged, weights_only))


@pytest.mark.parametrize("pickled", [b"garbage", b"", b"\x80\x02]q\x00(K\x01K\x02e"])
def test_a_damaged_data_pickle_fails_as_pythons_unpickler_fails(pickled):
    # a PyTorch checkpoint built without torch: an archive folder, its version record and the damaged data.pkl;
    # torch.load (weights_only=False) runs Python's unpickler over it, whose error is the reference
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
    expected = outcome(lambda: pickle.loads(pickled))
    assert isinstance(expected, Raised)
    assert outcome(lambda: _load(torchless, buffer.getvalue(), False)) == expected


def _storage_record(name):
    return "/data/" in name and not name.endswith("serialization_id")


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("change", ["missing", "short", "long"])
def test_a_missing_or_mis_sized_storage_record_fails_as_in_torch(torch_checkpoint, weights_only, change):
    pytest.importorskip("torch")
    edits = {"missing": lambda entry: None, "short": lambda entry: entry[:3], "long": lambda entry: entry + b"1234"}
    damaged = _rewritten(torch_checkpoint, lambda name, entry: edits[change](entry) if name.endswith("/data/0")
                         else entry)
    _assert_same_outcome(lambda lib: _load(lib, damaged, weights_only))


def test_a_missing_storage_record_gets_the_zip_readers_words(torch_checkpoint):
    damaged = _rewritten(torch_checkpoint, lambda name, entry: None if name.endswith("/data/0") else entry)
    with pytest.raises(RuntimeError) as raised:
        _load(torchless, damaged, True)
    assert str(raised.value).startswith("PytorchStreamReader failed locating file data/0: file not found. This is "
                                        "an internal miniz error.")
    short = _rewritten(torch_checkpoint, lambda name, entry: entry[:3] if name.endswith("/data/0") else entry)
    nbytes = len(zipfile.ZipFile(io.BytesIO(torch_checkpoint)).read(
        next(n for n in zipfile.ZipFile(io.BytesIO(torch_checkpoint)).namelist() if n.endswith("/data/0"))))
    with pytest.raises(RuntimeError, match=fr"^record size \(3 bytes\) does not match expected size \({nbytes} bytes = "
                                           fr"{nbytes} elements \* 1 bytes/element\) for dtype Byte$"):
        _load(torchless, short, False)


@pytest.mark.parametrize("weights_only", [True, False])
def test_a_tensor_reaching_past_its_storage_fails_as_in_torch(torch_checkpoint, weights_only):
    pytest.importorskip("torch")
    # the first tensor's offset (BININT1 0 after its storage's persistent id) made 122
    pickled = _data_pickle(torch_checkpoint)
    marker = b"Q"  # BINPERSID, then the storage offset
    at = pickled.index(marker) + 1
    assert pickled[at:at + 2] == b"K\x00"
    damaged = _with_data_pickle(torch_checkpoint, pickled[:at] + b"K\x7a" + pickled[at + 2:])
    _assert_same_outcome(lambda lib: _load(lib, damaged, weights_only))
    with pytest.raises(RuntimeError, match="^Trying to resize storage that is not resizable$"):
        _load(torchless, damaged, weights_only)


# ---------------------------------------------------------------------------- nn.init and the ops it calls
@pytest.mark.parametrize("make", [lambda lib: np.ones((3, 4), np.float32), lambda lib: [[1.0] * 4] * 3,
                                  lambda lib: None], ids=["ndarray", "list", "None"])
def test_kaiming_uniform_of_no_tensor_fails_as_in_torch(make):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.init.kaiming_uniform_(make(torch)),
                      lambda: torchless.nn.init.kaiming_uniform_(make(torchless)))


def test_kaiming_uniform_of_no_tensor_fails_at_its_shape_then_its_dim():
    # PyTorch's function reads ``0 in tensor.shape``, then tensor.dim() (Python's AttributeErrors)
    assert outcome(lambda: torchless.nn.init.kaiming_uniform_(np.ones((3, 4)))) == Raised(
        "AttributeError", "'numpy.ndarray' object has no attribute 'dim'")
    assert outcome(lambda: torchless.nn.init.kaiming_uniform_([1.0])) == Raised(
        "AttributeError", "'list' object has no attribute 'shape'")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty = np.ones((0, 4))
        assert torchless.nn.init.kaiming_uniform_(empty) is empty


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.init.kaiming_normal_(lib.ones(3, 4), generator=5),
    lambda lib: lib.nn.init.normal_(lib.ones(3, 4), generator="x"),
    lambda lib: lib.ones(3).normal_(generator=5),
    lambda lib: lib.nn.init.orthogonal_(lib.ones(3, 4), gain=np.ones(2)),
    lambda lib: lib.ones(2).mul_(np.ones(2)),
], ids=["kaiming_normal_", "normal_", "Tensor.normal_", "orthogonal_", "Tensor.mul_"])
def test_a_generator_or_operand_of_the_wrong_type_fails_in_the_parser_as_in_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_normal_and_mul_name_the_wrong_argument():
    assert outcome(lambda: torchless.ones(3).normal_(generator=5)) == Raised(
        "TypeError", "normal_(): argument 'generator' must be torchless.Generator, not int")
    assert outcome(lambda: torchless.ones(2).mul_(np.ones(2))) == Raised(
        "TypeError", "mul_(): argument 'other' (position 1) must be Tensor, not numpy.ndarray")
    # a seeded generator still draws as before
    g1, g2 = torchless.Generator().manual_seed(3), torchless.Generator().manual_seed(3)
    assert torchless.equal(torchless.empty(5).normal_(generator=g1), torchless.empty(5).normal_(generator=g2))


# ---------------------------------------------------------------------------- Module.to, embedding
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "meta"])
def test_a_module_holding_no_tensor_moves_anywhere(device):
    for make in (torchless.nn.ReLU, lambda: torchless.nn.MaxPool2d(2), torchless.nn.Flatten,
                 lambda: torchless.nn.Sequential(torchless.nn.ReLU(), torchless.nn.Dropout())):
        module = make()
        assert module.to(device) is module


def test_a_module_holding_tensors_is_still_refused_cuda_as_in_torch():
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.Linear(2, 3).to("cuda"), lambda: torchless.nn.Linear(2, 3).to("cuda"))
    assert_same_error(lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.BatchNorm1d(2)).to("cuda"),
                      lambda: torchless.nn.Sequential(torchless.nn.ReLU(), torchless.nn.BatchNorm1d(2)).to("cuda"))


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "bool", "float16", "uint8"])
def test_embedding_names_the_index_type_as_torch(dtype):
    torch = pytest.importorskip("torch")

    def call(lib):
        return lib.nn.functional.embedding(lib.ones(2, dtype=getattr(lib, dtype)), lib.ones(3, 2))

    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "bool", "float32"])
def test_embedding_bag_of_a_2d_input_makes_its_offsets_of_its_dtype_as_torch(dtype):
    _assert_same_outcome(lambda lib: lib.nn.functional.embedding_bag(lib.ones(2, 2, dtype=getattr(lib, dtype)),
                                                                     lib.ones(3, 2)))


def test_embedding_names_a_complex_index_tensor_by_its_backend_type():
    with pytest.raises(RuntimeError, match="but got CPUComplexFloatType instead"):
        torchless.nn.functional.embedding(torchless.ones(2, dtype=torchless.complex64), torchless.ones(3, 2))


def test_an_optimizer_step_with_a_string_lr_works_under_python_optimized_mode():
    stdout, _ = run_python(["-OO", "-c", "import torchless\n"
                            "p = torchless.nn.Parameter(torchless.ones(2))\np.grad = torchless.ones(2)\n"
                            "o = torchless.optim.Adam([{'params': [p], 'lr': 'x'}])\n"
                            "try:\n    o.step()\nexcept TypeError as e:\n    print(e)\n"])
    assert stdout.strip() == "unsupported operand type(s) for /: 'str' and 'float'"


# ---------------------------------------------------------------------------- thread counts
@pytest.mark.parametrize("value", [np.float32(1), np.bool_(True), np.float64(2), 1.5, None, "x"],
                         ids=["float32", "bool_", "float64", "float", "None", "str"])
@pytest.mark.parametrize("function", ["set_num_threads", "set_num_interop_threads"])
def test_a_thread_count_that_is_no_int_is_named_as_torch_names_it(function, value):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: getattr(torch, function)(value), lambda: getattr(torchless, function)(value))


def test_a_numpy_thread_count_is_named_with_its_module():
    assert outcome(lambda: torchless.set_num_threads(np.float32(1))) == Raised(
        "RuntimeError", "set_num_threads expects an int, but got numpy.float32")


def test_a_global_its_module_has_not_fails_as_pythons_unpickler_when_not_weights_only(torch_checkpoint):
    pickled = _data_pickle(torch_checkpoint)
    damaged_pickle = pickled.replace(b"OrderedDict", b"OrderedD)ct", 1)
    damaged = _with_data_pickle(torch_checkpoint, damaged_pickle)
    _assert_same_outcome(lambda lib: _load(lib, damaged, False))
    # the reference without torch: Python's unpickler meets the name first
    expected = outcome(lambda: pickle.loads(damaged_pickle))
    assert expected.type == "AttributeError" and expected.message.startswith("Can't get attribute 'OrderedD)ct'")
    assert outcome(lambda: _load(torchless, damaged, False)) == expected


# ---------------------------------------------------------------------------- layers called with the wrong input
@pytest.mark.parametrize("layer,shape", [("ConvTranspose1d", (1, 2, 4, 4)), ("ConvTranspose2d", (2, 2)),
                                         ("ConvTranspose3d", (2, 2)), ("ConvTranspose2d", (1, 2, 4, 4))])
def test_a_complex_input_to_a_transposed_convolution_is_checked_for_its_dims_first(layer, shape):
    def call(lib):
        size = 3 if layer != "ConvTranspose3d" else 2
        return getattr(lib.nn, layer)(2, 3, size)(lib.ones(*shape, dtype=lib.complex64))

    _assert_same_outcome(call)


@pytest.mark.parametrize("pickle_module", [5, "pickle", None], ids=["int", "str", "None"])
def test_a_pickle_module_of_no_name_fails_as_in_torch(torch_checkpoint, pickle_module):
    def loaded(lib):
        lib.load(io.BytesIO(torch_checkpoint), pickle_module=pickle_module, weights_only=False)
        return [0.0]  # (loaded: nothing more compared)

    _assert_same_outcome(loaded)


def test_a_pickle_module_of_no_name_fails_at_its_name():
    data = io.BytesIO()
    torchless.save({"a": 1}, data)
    assert outcome(lambda: torchless.load(io.BytesIO(data.getvalue()), pickle_module=5)) == Raised(
        "AttributeError", "'int' object has no attribute '__name__'")
