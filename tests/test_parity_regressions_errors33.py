"""Differences from PyTorch found by a thirty-third differential error-input fuzz (optimizers, lr schedulers, the
nn.Module API, layer constructors, nn.init, nn.utils, utils.data, torch.load), each compared with torch at run time
and, where the expected text is PyTorch's own words, also without it.

* torch.load meets ``map_location`` where PyTorch does, restoring each storage: a missing, empty or damaged file
  fails as such whatever the map_location, a checkpoint without storages loads under any (``'cuda'``, ``'foo'``,
  ``5``), and a map_location that is none of None / str / device / dict / callable fails ("'int' object is not
  callable") only at a storage;
* torch.load of a zip archive that PyTorch's zip reader refuses fails with the reader's words: a first entry in no
  folder, no version record (or one it cannot parse, or out of its range 1..10, read as C++'s std::stoull reads
  it), an entry outside the checkpoint's folder, no ``data.pkl`` (also get_unsafe_globals_in_checkpoint), a
  byteorder record neither little nor big (a ValueError); an empty file loaded with ``weights_only=False`` is
  pickle's "Ran out of input";
* an optimizer's step with a ``differentiable`` flag that is no bool fails in set_grad_enabled's parser, as
  PyTorch's steps set grad mode to it first (``_use_grad_for_differentiable`` passes it as given too);
  load_state_dict of a state that is not a dict fails at PyTorch's ``len(p_state)``; a param group's weight_decay or
  eps that is no number (None, which made NaNs, or a string) meets add's parser as in PyTorch's update; a group's
  ``capturable`` key is ignored by an optimizer without that flag (SGD, Adagrad, Adafactor); SparseAdam unpacks its
  betas before looking at the gradients;
* MultiplicativeLR's state_dict/load_state_dict and Module.register_module are methods of their own, named so in
  the TypeError of a call with wrong arguments;
* Module.to reads its device (a malformed string, an index without accelerator fail there), then refuses an
  integer dtype, then a device other than the CPU (a CUDA one);
* a plain RNN's gate size is hidden_size itself: ``RNN(3, True)`` fails as a size of bool, as in PyTorch;
* nn.init.orthogonal_ multiplies by its gain as PyTorch (mul_ under no_grad): a tensor gain broadcasts, None or a
  str is mul_'s TypeError (None made NaNs), a complex one its cast error;
* torch.norm_except_dim fails with PyTorch's parser errors where it does not parse (``v=None``, a ``pow`` that is no
  int, a float one too), and nn.utils.weight_norm calls it (a str or float dim, a parameter that is None).
"""
import io
import math
import pickle
import subprocess
import sys
import warnings
import zipfile

import pytest

import torchless
from helpers import outcome_named_as_torch


def _outcome(call, lib):
    """``call(lib)``'s value (a loaded object's repr with torchless's names read as torch's), or its error's type
    name and message (the same); warnings ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = outcome_named_as_torch(lambda: call(lib))
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], str):
        return result
    return repr(result).replace("torchless", "torch")


def _assert_same(call):
    torch = pytest.importorskip("torch")
    assert _outcome(call, torchless) == _outcome(call, torch)


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- torch.load: map_location
def _saved_by_torch(obj, legacy=False):
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save(obj(torch) if callable(obj) else obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


_BAD_LOCATIONS = ["cuda", "cuda:0", "foo", 5, {"cpu": "cuda"}, "cpu:1", "hpu"]


@pytest.mark.parametrize("map_location", _BAD_LOCATIONS)
@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("content", [b"", b"hello world", b"PK\x03\x04" + bytes(40), pickle.dumps(5, protocol=2)])
def test_a_bad_file_fails_as_such_whatever_the_map_location(content, map_location, weights_only):
    _assert_same(lambda lib: lib.load(io.BytesIO(content), map_location=map_location, weights_only=weights_only))


@pytest.mark.parametrize("map_location", _BAD_LOCATIONS + [lambda storage, location: storage, None])
@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("obj", [3, {"a": [1, 2]}, lambda lib: {"w": lib.ones(2)}],
                         ids=["int", "plain-dict", "tensor"])
def test_map_location_is_met_at_each_storage(obj, legacy, map_location, weights_only):
    data = _saved_by_torch(obj, legacy)
    _assert_same(lambda lib: lib.load(io.BytesIO(data), map_location=map_location, weights_only=weights_only))


def test_missing_file_and_directory_fail_before_the_map_location(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        for map_location in ("cuda", 5, "foo"):
            _assert_same(lambda lib: lib.load(str(path), map_location=map_location))


def test_a_map_location_of_no_kind_fails_at_a_storage_without_torch():
    buffer = io.BytesIO()
    torchless.save({"w": torchless.ones(2)}, buffer)
    with pytest.raises(TypeError, match="^'int' object is not callable$"):
        torchless.load(io.BytesIO(buffer.getvalue()), map_location=5)
    buffer = io.BytesIO()
    torchless.save({"n": 3}, buffer)
    assert torchless.load(io.BytesIO(buffer.getvalue()), map_location=5) == {"n": 3}
    assert torchless.load(io.BytesIO(buffer.getvalue()), map_location="cuda") == {"n": 3}
    with pytest.raises(FileNotFoundError):
        torchless.load("/nonexistent/checkpoint.pt", map_location="cuda")


def test_torchless_format_still_checks_its_map_location():
    buffer = io.BytesIO()
    torchless.save({"w": torchless.ones(2)}, buffer, format="torchless")
    with pytest.raises(RuntimeError, match="CUDA device"):
        torchless.load(io.BytesIO(buffer.getvalue()), map_location="cuda")
    with pytest.raises(TypeError, match="^'int' object is not callable$"):
        torchless.load(io.BytesIO(buffer.getvalue()), map_location=5)


def test_empty_file_without_weights_only_ran_out_of_input():
    with pytest.raises(EOFError, match="^Ran out of input$"):
        torchless.load(io.BytesIO(b""), weights_only=False)
    with pytest.raises(EOFError, match="^$"):
        torchless.load(io.BytesIO(b""), weights_only=True)
    _assert_same(lambda lib: lib.load(io.BytesIO(b""), weights_only=False))


# ---------------------------------------------------------------------------- torch.load: PyTorch's zip reader
_P1 = pickle.dumps(1, protocol=2)
_README = ("Expected hasRecord(\"version\") to be true, but got false.  (Could this error message be improved?  If "
           "so, please report an enhancement request to PyTorch.)")
_MINIZ = (". This is an internal miniz error. If you are seeing this error, there is a high likelihood that your "
          "checkpoint file is corrupted. This can happen if the checkpoint was not saved properly, was transferred "
          "incorrectly, or the file was modified after saving.")
_TOO_OLD = ("[enforce fail at inline_container.cc:219] . Attempted to read a PyTorch file with version {}, but the "
            "minimum supported version for reading is 1. Your PyTorch script module file is too old. Please "
            "regenerate it with latest version of PyTorch to mitigate this issue.")
_TOO_NEW = ("[enforce fail at inline_container.cc:230] . Attempted to read a PyTorch file with version {}, but the "
            "maximum supported version for reading is 10. The version of your PyTorch installation may be too old, "
            "please upgrade PyTorch to latest version to mitigate this issue.")
_ZIPS = {  # entries -> (type, message) of PyTorch 2.13, or None where the archive loads (as the integer 1)
    "no folder": ([("bar", b"x")],
                  ("RuntimeError", "[enforce fail at inline_container.cc:180] . file in archive is not in a "
                                   "subdirectory: bar")),
    "no version": ([("foo/bar", b"x")], ("RuntimeError", _README)),
    "pickle but no version": ([("foo/data.pkl", _P1)], ("RuntimeError", _README)),
    "version text": ([("foo/version", b"abc")],
                     ("RuntimeError", "[enforce fail at inline_container.cc:215] . Couldn't parse the version abc as "
                                      "Long Long.")),
    "version empty": ([("foo/version", b"")],
                      ("RuntimeError", "[enforce fail at inline_container.cc:215] . Couldn't parse the version  as "
                                       "Long Long.")),
    "version 0": ([("foo/version", b"0")], ("RuntimeError", _TOO_OLD.format(0))),
    "version -1": ([("foo/version", b"-1")], ("RuntimeError", _TOO_OLD.format(-1))),
    "version 2**64-1": ([("foo/version", b"18446744073709551615"), ("foo/data.pkl", _P1)],
                        ("RuntimeError", _TOO_OLD.format(-1))),
    "version 0x3": ([("foo/version", b"0x3"), ("foo/data.pkl", _P1)], ("RuntimeError", _TOO_OLD.format(0))),
    "version 11": ([("foo/version", b"11\n")], ("RuntimeError", _TOO_NEW.format(11))),
    "version 99": ([("foo/version", b"99\n")], ("RuntimeError", _TOO_NEW.format(99))),
    "version out of range": ([("foo/version", b"99999999999999999999999"), ("foo/data.pkl", _P1)],
                             ("IndexError", "stoull")),
    "no data.pkl": ([("foo/version", b"3\n")],
                    ("RuntimeError", "PytorchStreamReader failed locating file data.pkl: file not found" + _MINIZ)),
    ".data/version, no data.pkl": ([("foo/.data/version", b"3\n")],
                                   ("RuntimeError",
                                    "PytorchStreamReader failed locating file data.pkl: file not found" + _MINIZ)),
    "data.pkl in another folder": ([("foo/version", b"3"), ("foo/x", b""), ("bar/data.pkl", _P1)],
                                   ("RuntimeError", "[enforce fail at inline_container.cc:340] . file in archive is "
                                                    "not in a subdirectory foo/: bar/data.pkl")),
    "byteorder middle": ([("foo/version", b"3\n"), ("foo/byteorder", b"middle"), ("foo/data.pkl", _P1)],
                         ("ValueError", "Unknown endianness type: middle")),
    "version spaced": ([("foo/version", b" 3 "), ("foo/data.pkl", _P1)], None),
    "version 3x": ([("foo/version", b"3x"), ("foo/data.pkl", _P1)], None),
    "version +3": ([("foo/version", b"+3"), ("foo/data.pkl", _P1)], None),
    "version 10": ([("foo/data.pkl", _P1), ("foo/version", b"10")], None),
    "folder entry first": ([("foo/", b""), ("foo/version", b"3"), ("foo/data.pkl", _P1)], None),
}


@pytest.mark.parametrize("case", list(_ZIPS))
@pytest.mark.parametrize("weights_only", [True, False])
def test_zip_archives_pytorchs_reader_refuses(case, weights_only):
    entries, expected = _ZIPS[case]
    data = _zip(entries)
    got = _outcome(lambda lib: lib.load(io.BytesIO(data), weights_only=weights_only), torchless)
    assert got == ("1" if expected is None else expected)
    _assert_same(lambda lib: lib.load(io.BytesIO(data), weights_only=weights_only))


@pytest.mark.parametrize("case", ["no folder", "no version", "version 11", "no data.pkl", "version 3x"])
def test_unsafe_globals_of_archives_pytorchs_reader_refuses(case):
    data = _zip(_ZIPS[case][0])
    _assert_same(lambda lib: lib.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)))


def test_zip_reader_errors_are_checkpoint_errors_named_as_pytorchs():
    with pytest.raises(torchless.serialization.CheckpointError) as raised:
        torchless.load(io.BytesIO(_zip(_ZIPS["byteorder middle"][0])))
    assert isinstance(raised.value, ValueError) and type(raised.value).__name__ == "ValueError"
    with pytest.raises(torchless.serialization.CheckpointError) as raised:
        torchless.load(io.BytesIO(_zip(_ZIPS["version out of range"][0])))
    assert isinstance(raised.value, IndexError) and type(raised.value).__name__ == "IndexError"


def test_checkpoints_of_both_libraries_still_load(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "checkpoint.pt"
    torch.save({"w": torch.arange(3.0)}, path)
    assert torchless.load(path)["w"].tolist() == [0.0, 1.0, 2.0]
    torchless.save({"w": torchless.arange(3.0)}, path)
    assert torch.load(path)["w"].tolist() == [0.0, 1.0, 2.0]
    assert torchless.load(path, mmap=True)["w"].tolist() == [0.0, 1.0, 2.0]


# ---------------------------------------------------------------------------- optimizers
_OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "RMSprop", "Rprop", "NAdam", "RAdam", "ASGD"]


def _stepped(lib, name, **kwargs):
    params = [lib.ones(2, 3, requires_grad=True), lib.zeros(3, requires_grad=True)]
    optimizer = getattr(lib.optim, name)(params, lr=0.1, **kwargs)
    for param in params:
        param.grad = lib.ones_like(param)
    return optimizer, params


@pytest.mark.parametrize("name", _OPTIMIZERS)
@pytest.mark.parametrize("differentiable", [1, 0, "yes", None, 1.0])
def test_a_differentiable_flag_that_is_no_bool_fails_at_the_step(name, differentiable):
    def step(lib):
        optimizer, _ = _stepped(lib, name, differentiable=differentiable)
        optimizer.step()

    message = f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type(differentiable).__name__}"
    assert _outcome(step, torchless) == ("TypeError", message)
    _assert_same(step)


def test_use_grad_for_differentiable_passes_the_flag_as_given():
    from torchless.optim.optimizer import _use_grad_for_differentiable

    class Custom:
        defaults = {"differentiable": 1}

        @_use_grad_for_differentiable
        def step(self):
            return torchless.is_grad_enabled()

    with pytest.raises(TypeError, match=r"must be bool, not int$"):
        Custom().step()
    Custom.defaults = {"differentiable": True}
    assert Custom().step() is True


@pytest.mark.parametrize("name", _OPTIMIZERS)
@pytest.mark.parametrize("state", [5, 0, "ab", None])
def test_loading_a_state_that_is_no_dict_fails_at_its_length(name, state):
    def load(lib):
        optimizer, _ = _stepped(lib, name)
        optimizer.step()
        saved = optimizer.state_dict()
        saved["state"] = {0: state}
        optimizer.load_state_dict(saved)
        return len(optimizer.state)

    _assert_same(load)


# ---------------------------------------------------------------------------- schedulers, Module
@pytest.mark.parametrize("method, args", [("state_dict", (1,)), ("load_state_dict", ()),
                                          ("load_state_dict", ({}, 2))])
def test_multiplicative_lr_methods_are_named_as_its_own(method, args):
    def call(lib):
        optimizer, _ = _stepped(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.MultiplicativeLR(optimizer, lambda epoch: 0.5)
        getattr(scheduler, method)(*args)

    assert _outcome(call, torchless)[1].startswith(f"MultiplicativeLR.{method}()")
    _assert_same(call)


def test_multiplicative_lr_state_round_trips():
    def round_trip(lib):
        optimizer, _ = _stepped(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.MultiplicativeLR(optimizer, lambda epoch: 0.5)
        optimizer.step()
        scheduler.step()
        state = scheduler.state_dict()
        other = lib.optim.lr_scheduler.MultiplicativeLR(optimizer, lambda epoch: 0.5)
        other.load_state_dict(state)
        return sorted(state), other.last_epoch, other.get_last_lr()

    assert round_trip(torchless)[1:] == (1, [0.05])
    _assert_same(round_trip)


@pytest.mark.parametrize("args, kwargs", [(("a", None), {"persistent": False}), (("a",), {}), ((), {}),
                                          (("a", None, 1), {})])
def test_register_module_is_named_as_its_own(args, kwargs):
    _assert_same(lambda lib: lib.nn.Linear(1, 1).register_module(*args, **kwargs))
    message = _outcome(lambda lib: lib.nn.Linear(1, 1).register_module(*args, **kwargs), torchless)[1]
    assert message.startswith("Module.register_module()")


def test_register_module_registers():
    module = torchless.nn.Module()
    module.register_module("child", torchless.nn.ReLU())
    assert list(dict(module.named_children())) == ["child"]


@pytest.mark.parametrize("args, kwargs", [(("cuda",), {"dtype": "int64"}), (("cuda:0", "int64"), {}),
                                          (("meta",), {"dtype": "int32"}), (("cuda",), {"dtype": "bool"}),
                                          ((), {"device": "cuda", "dtype": "int64"}), (("cuda",), {}),
                                          (("gpu",), {"dtype": "int64"}), ((5,), {"dtype": "int64"}),
                                          (("cpu:-1",), {"dtype": "int64"}), (("cpu",), {"dtype": "int64"})])
def test_module_to_refuses_an_integer_dtype_before_the_device(args, kwargs):
    def move(lib):
        def dtype(value):
            return getattr(lib, value) if value in ("int64", "int32", "bool") else value

        module = lib.nn.Linear(2, 2)
        module.to(*map(dtype, args), **{key: dtype(value) for key, value in kwargs.items()})

    _assert_same(move)
    if "cuda" in str(args) + str(kwargs) and "int" in str(args) + str(kwargs):
        assert _outcome(move, torchless)[0] == "TypeError"


# ---------------------------------------------------------------------------- layers, nn.utils
@pytest.mark.parametrize("name, kwargs", [("RNN", {"hidden_size": True}), ("RNN", {"hidden_size": True,
                                                                                   "nonlinearity": "relu"}),
                                          ("LSTM", {"hidden_size": True}), ("GRU", {"hidden_size": True}),
                                          ("RNN", {"hidden_size": 4}), ("LSTM", {"hidden_size": 4, "proj_size": True})])
def test_rnn_gate_size_of_a_bool_hidden_size(name, kwargs):
    def build(lib):
        module = getattr(lib.nn, name)(3, **kwargs)
        return [tuple(p.shape) for p in module.parameters()]

    _assert_same(build)


def test_plain_rnn_keeps_its_weight_shapes():
    module = torchless.nn.RNN(3, 4, num_layers=2, bidirectional=True)
    assert {name: tuple(p.shape) for name, p in module.named_parameters()}["weight_ih_l1"] == (4, 8)
    assert tuple(module.weight_hh_l0.shape) == (4, 4) and tuple(module.bias_ih_l0.shape) == (4,)


@pytest.mark.parametrize("args", [(None,), ([1.0],), ("T", "x", 0), ("T", 2, "x"), ("T", 2, 1.5), ("T", 2, None),
                                  ("T", 2, 5), ("T", 2, -1), ("T", 1, 1), ("T", 2.0, 0)])
def test_norm_except_dim_fails_with_the_parsers_errors(args):
    def call(lib):
        result = lib.norm_except_dim(*[lib.ones(2, 3) if arg == "T" else arg for arg in args])
        return tuple(result.shape), [round(v, 5) for v in result.flatten().tolist()]

    _assert_same(call)


def test_norm_except_dim_values_without_torch():
    v = torchless.tensor([[3.0, 4.0], [6.0, 8.0]])
    assert torchless.norm_except_dim(v, 2, 0).flatten().tolist() == [5.0, 10.0]
    assert math.isclose(torchless.norm_except_dim(v, 2, -1).item(), math.sqrt(125.0), rel_tol=1e-6)
    with pytest.raises(TypeError, match=r"^norm_except_dim\(\): argument 'v' \(position 1\) must be Tensor, not "
                                        r"NoneType$"):
        torchless.norm_except_dim(None)


@pytest.mark.parametrize("module", ["Linear", "Conv2d", "no-bias"])
@pytest.mark.parametrize("name", ["weight", "bias"])
@pytest.mark.parametrize("dim", [0, 1, None, "x", 1.5])
def test_weight_norm_meets_norm_except_dims_parser(module, name, dim):
    def apply(lib):
        layer = {"Linear": lambda: lib.nn.Linear(3, 2), "Conv2d": lambda: lib.nn.Conv2d(2, 3, 2),
                 "no-bias": lambda: lib.nn.Linear(3, 2, bias=False)}[module]()
        normed = lib.nn.utils.weight_norm(layer, name=name, dim=dim)
        return sorted((key, tuple(p.shape)) for key, p in normed.named_parameters())

    _assert_same(apply)


# ---------------------------------------------------------------------------- warnings state, in a subprocess
def test_weight_norm_still_warns_its_deprecation():
    code = ("import warnings, torchless\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    torchless.nn.utils.weight_norm(torchless.nn.Linear(2, 2))\n"
            "print([w.category.__name__ for w in caught])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['FutureWarning']"


@pytest.mark.parametrize("gain", ["x", None, [2.0], 2j, 2.0, True, "tensor", "row", "int tensor"])
def test_orthogonal_gain_multiplies_as_mul_(gain):
    def init(lib):
        lib.manual_seed(0)
        weight = lib.zeros(3, 4, requires_grad=True)
        tensors = {"tensor": lambda: lib.tensor(2.0), "row": lambda: lib.tensor([2.0, 1.0, 1.0, 1.0]),
                   "int tensor": lambda: lib.tensor(2)}
        made = isinstance(gain, str) and gain in tensors
        result = lib.nn.init.orthogonal_(weight, tensors[gain]() if made else gain)
        return result._version, result.requires_grad, round(float(result.detach().abs().sum()), 3)

    _assert_same(init)


def test_orthogonal_gain_of_a_tensor_scales_without_torch():
    torchless.manual_seed(0)
    plain = torchless.nn.init.orthogonal_(torchless.zeros(3, 4)).numpy()
    torchless.manual_seed(0)
    scaled = torchless.nn.init.orthogonal_(torchless.zeros(3, 4), torchless.tensor([2.0, 1.0, 1.0, 1.0])).numpy()
    assert (scaled[:, 0] == 2 * plain[:, 0]).all() and (scaled[:, 1:] == plain[:, 1:]).all()
    with pytest.raises(TypeError, match=r"^mul_\(\): argument 'other' \(position 1\) must be Tensor, not NoneType$"):
        torchless.nn.init.orthogonal_(torchless.zeros(3, 4), None)


@pytest.mark.parametrize("name", _OPTIMIZERS)
@pytest.mark.parametrize("weight_decay", [None, "x", [0.1], 0.1, 0, "tensor"])
@pytest.mark.parametrize("how", ["add_param_group", "group"])
def test_a_groups_weight_decay_meets_adds_alpha_parser(name, weight_decay, how):
    def step(lib):
        first, second = lib.ones(2, 3, requires_grad=True), lib.ones(3, requires_grad=True)
        decay = lib.tensor(0.1) if weight_decay == "tensor" else weight_decay
        kwargs = {"momentum": 0.9} if name == "SGD" else {}
        if how == "group":
            optimizer = getattr(lib.optim, name)([{"params": [first]}, {"params": [second], "weight_decay": decay}],
                                                 lr=0.1, **kwargs)
        else:
            optimizer = getattr(lib.optim, name)([first], lr=0.1, **kwargs)
            optimizer.add_param_group({"params": [second], "weight_decay": decay})
        for param in (first, second):
            param.grad = lib.full_like(param, 0.5)
        optimizer.step()
        return [round(v, 5) for v in second.detach().tolist()]

    if weight_decay is None and name not in ("AdamW", "Rprop"):  # (AdamW decays otherwise, Rprop not at all)
        message = "argument 'alpha' must be Number, not NoneType"
        assert _outcome(step, torchless)[0] == "TypeError" and message in _outcome(step, torchless)[1]
    _assert_same(step)


@pytest.mark.parametrize("betas", [(0.9, 0.99, 0.9), (0.9,), "ab"])
def test_sparse_adam_unpacks_its_betas_before_looking_at_gradients(betas):
    def step(lib):
        param = lib.ones(2, requires_grad=True)
        optimizer = lib.optim.SparseAdam([param])
        optimizer.param_groups[0]["betas"] = betas
        param.grad = lib.ones(2)
        optimizer.step()

    _assert_same(step)


@pytest.mark.parametrize("name", _OPTIMIZERS)
@pytest.mark.parametrize("eps", [None, "x", 1e-3, "tensor"])
def test_a_groups_eps_meets_adds_parser(name, eps):
    def step(lib):
        param = lib.ones(2, 3, requires_grad=True)
        optimizer = getattr(lib.optim, name)([param], lr=0.1)
        if "eps" in optimizer.param_groups[0]:
            optimizer.param_groups[0]["eps"] = lib.tensor(1e-3) if eps == "tensor" else eps
        param.grad = lib.full_like(param, 0.5)
        optimizer.step()
        return [round(v, 5) for v in param.detach().flatten().tolist()]

    if eps is None and name in ("Adam", "AdamW", "Adamax", "Adagrad", "RMSprop", "NAdam", "Adadelta"):
        add = "add" if name == "Adadelta" else "add_"
        assert _outcome(step, torchless) == (
            "TypeError", f"{add}(): argument 'other' (position 1) must be Tensor, not NoneType")  # (it made NaNs)
    _assert_same(step)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adafactor", "Adam", "RMSprop"])
def test_a_capturable_key_of_an_optimizer_without_the_flag_is_ignored(name):
    def step(lib):
        param = lib.ones(2, requires_grad=True)
        optimizer = getattr(lib.optim, name)([param], lr=0.1)
        optimizer.add_param_group({"params": [lib.ones(1, requires_grad=True)], "capturable": True})
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad = lib.ones_like(p)
        optimizer.step()
        return [round(v, 5) for v in param.detach().tolist()]

    if name in ("SGD", "Adagrad"):
        assert step(torchless) == [0.9, 0.9]
    _assert_same(step)
