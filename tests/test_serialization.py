"""torchless.save / torchless.load: round trips, atomic writes, and refusal of foreign or forged files."""
import io
import json
import os
import pathlib
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, strategies as st

import torchless
from torchless.nn import Parameter
from torchless.serialization import CheckpointError
from helpers import WriteOnlyStream, examples, outcome


FORMATS = ["torch", "torchless"]  # the default (PyTorch's) and torchless's own


def round_trip(obj, format="torch"):
    buffer = io.BytesIO()
    torchless.save(obj, buffer, format=format)
    buffer.seek(0)
    return torchless.load(buffer)


def assert_same_tensor(loaded, original):
    assert type(loaded) is type(original)
    assert loaded.dtype == original.dtype
    assert loaded.shape == original.shape
    assert loaded.requires_grad == original.requires_grad
    np.testing.assert_array_equal(loaded.detach().numpy(), original.detach().numpy())


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_tensor_round_trip(dtype, shape):
    rng = np.random.default_rng(0)
    array = np.asarray(rng.standard_normal(shape) * 50).astype(dtype)
    tensor = torchless.from_numpy(array)
    loaded = round_trip(tensor)
    assert_same_tensor(loaded, tensor)
    assert loaded.numpy().dtype == np.dtype(dtype)


def test_float_values_are_bit_exact():
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(np.float64).max, 1 / 3])
    loaded = round_trip(torchless.from_numpy(values)).numpy()
    assert loaded.tobytes() == values.tobytes()


def test_non_contiguous_tensor():
    base = torchless.arange(12).reshape(3, 4)
    view = base.t()[1:]
    loaded = round_trip(view)
    assert loaded.tolist() == view.tolist()
    # the view of its whole storage, as torch.load gives it
    assert (loaded.stride(), loaded.storage_offset()) == (view.stride(), view.storage_offset()) == ((1, 4), 1)


def test_parameter_and_requires_grad():
    weight = Parameter(torchless.randn(3, 2))
    frozen = Parameter(torchless.randn(2), requires_grad=False)
    leaf = torchless.randn(4, dtype=torchless.float64).requires_grad_()
    loaded = round_trip({"w": weight, "f": frozen, "t": leaf})
    assert_same_tensor(loaded["w"], weight)
    assert_same_tensor(loaded["f"], frozen)
    assert_same_tensor(loaded["t"], leaf)
    assert isinstance(loaded["w"], Parameter) and loaded["w"].is_leaf and loaded["w"].grad is None


def test_module_style_state_dict():
    state = OrderedDict([("conv.weight", torchless.randn(4, 1, 3, 3)), ("conv.bias", torchless.zeros(4)),
                         ("bn.num_batches_tracked", torchless.tensor(7))])
    state._metadata = OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    loaded = round_trip(state)
    assert type(loaded) is OrderedDict and list(loaded) == list(state)
    for key in state:
        assert_same_tensor(loaded[key], state[key])
    assert loaded["bn.num_batches_tracked"].dtype == torchless.int64 and loaded["bn.num_batches_tracked"].shape == ()
    assert loaded._metadata == state._metadata


def test_optimizer_state_dict_round_trip_and_resume():
    def train(params, opt, steps, seed):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            for p in params:
                p.grad = torchless.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32))
            opt.step()

    def make():
        params = [Parameter(torchless.from_numpy(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))),
                  Parameter(torchless.ones(3))]
        return params, torchless.optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}], lr=0.01,
                                            amsgrad=True)

    reference, reference_opt = make()
    train(reference, reference_opt, 5, seed=1)
    train(reference, reference_opt, 5, seed=2)

    params, opt = make()
    train(params, opt, 5, seed=1)
    loaded = round_trip({"model": [p.detach() for p in params], "optimizer": opt.state_dict(), "epoch": 5})
    saved_sd = opt.state_dict()
    assert loaded["optimizer"]["param_groups"] == saved_sd["param_groups"]
    assert list(loaded["optimizer"]["state"]) == [0, 1]  # int keys stay ints
    for index, state in saved_sd["state"].items():
        for key, value in state.items():
            assert_same_tensor(loaded["optimizer"]["state"][index][key], value)
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)

    resumed = [Parameter(t) for t in loaded["model"]]
    _, resumed_opt = make()
    resumed_opt = torchless.optim.Adam([{"params": resumed[:1]}, {"params": resumed[1:]}])
    resumed_opt.load_state_dict(loaded["optimizer"])
    train(resumed, resumed_opt, 5, seed=2)
    for p, q in zip(resumed, reference):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_plain_values_and_containers():
    obj = {
        "none": None, "flags": [True, False], "int": -(2 ** 70), "float": 0.1, "nan": float("nan"),
        "inf": (float("inf"), float("-inf")), "text": "héllo\n\"quoted\"", "nested": [[], (), {}, [(1,)]],
        7: "int key", 2.5: "float key", (1, "a"): "tuple key", None: "none key", True: "bool key",
        "size": torchless.Size([2, 3]), "dtype": torchless.float64, "device": torchless.device("cpu"),
        "type": "dict",  # a user key that looks like one of the format's tags
    }
    loaded = round_trip(obj)
    assert list(loaded) == list(obj)
    assert type(loaded["inf"]) is tuple and loaded["inf"] == obj["inf"]
    assert np.isnan(loaded.pop("nan"))
    obj.pop("nan")
    assert loaded == obj
    assert type(loaded["int"]) is int and type(loaded["float"]) is float and type(loaded[True]) is str
    assert isinstance(loaded["size"], torchless.Size)
    assert loaded["dtype"] is torchless.float64
    assert [type(v) for v in loaded["nested"]] == [list, tuple, dict, list]


@pytest.mark.parametrize("format, storages", [("torch", ["archive/data/0"]), ("torchless", ["storages/0.npy"])])
def test_shared_tensor_is_stored_once_and_loads_as_one(format, storages):
    shared = torchless.randn(100)
    buffer = io.BytesIO()
    torchless.save({"a": shared, "b": [shared]}, buffer, format=format)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert [name for name in archive.namelist() if name.startswith(("archive/data/", "storages/"))] == storages
    buffer.seek(0)
    loaded = torchless.load(buffer)
    assert loaded["a"] is loaded["b"][0]


def test_loaded_tensors_own_their_memory(tmp_path):
    original = torchless.arange(6, dtype=torchless.float32)
    path = tmp_path / "t.pt"
    torchless.save(original, path)
    first, second = torchless.load(path), torchless.load(path)
    original.add_(100)
    first.add_(1)
    assert second.tolist() == [0, 1, 2, 3, 4, 5]
    assert first.tolist() == [1, 2, 3, 4, 5, 6]
    assert first.numpy().flags.writeable and not np.shares_memory(first.numpy(), second.numpy())


@examples(40)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.builds(lambda shape, seed: torchless.from_numpy(np.random.default_rng(seed).standard_normal(shape)),
                st.lists(st.integers(0, 3), max_size=3).map(tuple), st.integers(0, 10)),
    lambda children: st.lists(children, max_size=3) | st.tuples(children, children)
    | st.dictionaries(st.integers() | st.text(max_size=3), children, max_size=3),
    max_leaves=10))
def test_random_structures_round_trip(obj):
    def same(a, b):
        if isinstance(a, torchless.Tensor):
            return isinstance(b, torchless.Tensor) and a.shape == b.shape and a.dtype == b.dtype and \
                np.array_equal(a.numpy(), b.numpy())
        if isinstance(a, (list, tuple)):
            return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, dict):
            return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        return type(a) is type(b) and a == b

    assert same(obj, round_trip(obj))


# ---------------------------------------------------------------------------- files
def test_path_kinds(tmp_path):
    tensor = torchless.randn(3)
    for path in (str(tmp_path / "a.pt"), tmp_path / "b.pt", pathlib.PurePath(tmp_path / "c.pt")):
        torchless.save(tensor, path)
        assert_same_tensor(torchless.load(path), tensor)
    with open(tmp_path / "d.pt", "wb") as f:
        torchless.save(tensor, f)
    with open(tmp_path / "d.pt", "rb") as f:
        assert_same_tensor(torchless.load(f, map_location="cpu"), tensor)


def test_unseekable_streams():
    class ReadOnce(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self._data.readinto(buffer)

    tensor = torchless.randn(4, 5)
    sink = WriteOnlyStream()
    torchless.save({"t": tensor}, sink)
    loaded = torchless.load(ReadOnce(sink.getvalue()))
    assert_same_tensor(loaded["t"], tensor)


def test_save_over_existing_file_keeps_permissions_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.pt"
    torchless.save({"v": 1}, path)
    torchless.save({"v": 2}, path)
    assert torchless.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["model.pt"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("format", FORMATS)
def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch, format):
    path = tmp_path / "ckpt.pt"
    torchless.save({"epoch": 1, "w": torchless.ones(3)}, path, format=format)
    before = path.read_bytes()
    from torchless import _torch_format

    def broken_write(*args, **kwargs):
        raise OSError("disk full")

    def broken_storage_write(archive, origin, name, data, write=_torch_format._write_aligned):
        if "/data/" in name:  # after the pickle went out
            broken_write()
        write(archive, origin, name, data)

    monkeypatch.setattr(np.lib.format, "write_array", broken_write)
    monkeypatch.setattr(_torch_format, "_write_aligned", broken_storage_write)
    with pytest.raises(OSError, match="disk full"):
        torchless.save({"epoch": 2, "w": torchless.zeros(3)}, path, format=format)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


class WholeModel(torchless.nn.Module):
    """A model saved whole (a module-level class, which unpickling finds again)."""

    def __init__(self):
        super().__init__()
        self.fc = torchless.nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(x)


def test_whole_objects_are_pickled_and_load_only_when_not_weights_only(tmp_path):
    path = tmp_path / "model.pt"
    model = WholeModel()
    optimizer = torchless.optim.SGD(model.parameters(), lr=0.1)
    torchless.save({"model": model, "optimizer": optimizer, "epoch": 3, "array": np.arange(3)}, path)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL test_serialization.WholeModel was not an allowed global"):
        torchless.load(path)
    loaded = torchless.load(path, weights_only=False)
    assert isinstance(loaded["model"], WholeModel) and loaded["epoch"] == 3
    np.testing.assert_array_equal(loaded["array"], np.arange(3))
    x = torchless.ones(1, 2)
    np.testing.assert_array_equal(loaded["model"](x).detach().numpy(), model(x).detach().numpy())
    # one tensor, whichever pickled object refers to it
    assert loaded["optimizer"].param_groups[0]["params"][0] is loaded["model"].fc.weight


@pytest.mark.parametrize("format", FORMATS)
def test_safe_globals_allow_a_weights_only_load(tmp_path, format):
    path = tmp_path / "model.pt"
    torchless.save(WholeModel(), path, format=format)  # PyTorch's format names the layer as PyTorch's class
    with torchless.serialization.safe_globals([WholeModel, torchless.nn.Linear]):
        assert isinstance(torchless.load(path), WholeModel)
    assert torchless.serialization.get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {format}.nn.modules.linear.Linear was not an allowed"):
        with torchless.serialization.safe_globals([WholeModel]):
            torchless.load(path)


def test_weights_only_refusal_reads_as_torchs(tmp_path):
    torch = pytest.importorskip("torch")

    # a module-level class, which pickle can name
    Net = globals()["TorchWholeModel"] = type("TorchWholeModel", (torch.nn.Linear,), {"__module__": __name__})
    torch.save(Net(2, 3), tmp_path / "torch.pt")
    expected = outcome(lambda: torch.load(tmp_path / "torch.pt"))
    torchless.save(WholeModel(), tmp_path / "ours.pt")
    ours = outcome(lambda: torchless.load(tmp_path / "ours.pt"))
    theirs_name = f"{Net.__module__}.{Net.__qualname__}"
    assert ours.message.replace("torchless.", "torch.") == expected.message.replace(
        theirs_name, "test_serialization.WholeModel")


def test_unpicklable_object_writes_nothing(tmp_path):
    path = tmp_path / "x.pt"
    torchless.save([1], path)
    for bad in ([lambda: 0], {"f": lambda: 1}):
        with pytest.raises((pickle.PicklingError, AttributeError)):
            torchless.save(bad, path)
    assert torchless.load(path) == [1]
    assert os.listdir(tmp_path) == ["x.pt"]


def test_self_containing_container_is_refused_by_torchless_format_only():
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        torchless.save(loop, io.BytesIO(), format="torchless")
    loaded = round_trip(loop)  # pickled, as torch.save pickles it
    assert loaded[0] is loaded


def test_missing_parent_directory_message_matches_torch(tmp_path):
    target = tmp_path / "missing" / "x.pt"
    with pytest.raises(RuntimeError) as info:
        torchless.save({}, target)
    assert str(info.value) == f"Parent directory {tmp_path / 'missing'} does not exist."
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as their_info:
        torch.save({}, target)
    assert str(their_info.value) == str(info.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        torchless.load(tmp_path / "nope.pt")


@pytest.mark.parametrize("map_location", ["mps", "mps:0", "cpu:0", "CPU", "foo", "xla", "meta:0", "xpu", "hpu",
                                          "privateuseone", {"cpu": "cpu:0"}, {"cpu": "mps"}, {"cpu": "xpu:1"}])
@pytest.mark.parametrize("torch_format", [False, True])
def test_map_location_other_than_the_cpu_fails_as_in_pytorch(map_location, torch_format):
    """PyTorch's default_restore_location on a CPU-only machine: its taggers' errors, else "don't know how to
    restore data location" (the one exception, the meta device, torchless refuses: it computes on the CPU only)."""
    torch = pytest.importorskip("torch")
    errors = []
    for lib in (torch, torchless):
        buffer = io.BytesIO()
        lib.save({"w": lib.ones(2)}, buffer, **({"format": "torch"} if lib is torchless and torch_format else {}))
        buffer.seek(0)
        with pytest.raises(RuntimeError) as caught:
            lib.load(buffer, map_location=map_location)
        errors.append(str(caught.value).replace("torchless.", "torch."))
    assert errors[1] == errors[0]


@pytest.mark.parametrize("map_location", ["meta", torchless.device("cpu", 0)])
def test_map_location_meta_and_an_indexed_cpu_device_are_refused(map_location):
    buffer = io.BytesIO()
    torchless.save(torchless.ones(1), buffer)
    buffer.seek(0)
    expected = "CPU only" if map_location == "meta" else r"tagged with cpu:0\)"
    with pytest.raises(RuntimeError, match=expected):
        torchless.load(buffer, map_location=map_location)


@pytest.mark.parametrize("map_location", ["cuda", "cuda:0"])
def test_map_location_to_cuda_is_refused_with_torchs_message(map_location):
    torch = pytest.importorskip("torch")
    messages = []
    for lib, options in ((torch, {}), (torchless, {"format": "torch"}), (torchless, {})):
        buffer = io.BytesIO()
        lib.save({"w": lib.ones(1)}, buffer, **options)
        buffer.seek(0)
        with pytest.raises(RuntimeError) as info:
            lib.load(buffer, map_location=map_location)
        messages.append(str(info.value))
    assert messages[0].startswith("Attempting to deserialize object on a CUDA device")
    assert messages[1] == messages[2] == messages[0]


# ---------------------------------------------------------------------------- foreign and forged files
class Exploit:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def load_bytes(data):
    return torchless.load(io.BytesIO(data))


def make_archive(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


TENSOR_0 = {"type": "tensor", "index": 0, "requires_grad": False}


def structure(obj, **overrides):
    return json.dumps({"format": "torchless", "version": 1, "object": obj, **overrides})


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_plain_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    # a weights-only load refuses its global as PyTorch's does (os.mkdir's module is blocked)
    with pytest.raises(CheckpointError, match=r"GLOBAL \w+\.mkdir whose module \w+ is blocked"):
        load_bytes(pickle.dumps(Exploit(marker), protocol=2))
    # where PyTorch would run it, looking for the legacy format's magic number, torchless refuses it
    with pytest.raises(CheckpointError, match="it is a pickle file"):
        torchless.load(io.BytesIO(pickle.dumps(Exploit(marker), protocol=2)), weights_only=False)
    assert not marker.exists()


def test_pytorch_checkpoint_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    data = make_archive({"archive/data.pkl": pickle.dumps(Exploit(marker)), "archive/version": b"3\n"})
    with pytest.raises(CheckpointError, match="Weights only load failed(.|\n)*GLOBAL posix.mkdir whose module posix "
                                              "is blocked"):
        load_bytes(data)
    assert not marker.exists()


def test_real_pytorch_checkpoint_loads_through_the_restricted_reader(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.arange(3.0)}, path)
    loaded = torchless.load(path)
    assert list(loaded) == ["w"] and loaded["w"].tolist() == [0.0, 1.0, 2.0]


def test_pickled_npy_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = np.array([Exploit(marker)], dtype=object)
    data = make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                         "tensors/0.npy": npy_bytes(payload, allow_pickle=True)})
    with pytest.raises(CheckpointError, match="not numbers"):
        load_bytes(data)
    assert not marker.exists()


def test_empty_file_is_an_eof_error_as_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    for f in (path, io.BytesIO()):
        for load in (torch.load, torchless.load):
            with pytest.raises(EOFError) as info:
                load(f)
            assert str(info.value) == ""
        assert isinstance(info.value, CheckpointError)


@pytest.mark.parametrize("data", [b"garbage", b"\x00" * 100, b"{not json}"], ids=["text", "zeros", "brace"])
def test_file_torch_refuses_at_its_first_byte_gets_its_words(data):
    """Not a zip archive, nor a pickle as far as PyTorch's weights-only unpickler reads: the first byte is refused."""
    torch = pytest.importorskip("torch")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data))
    with pytest.raises(CheckpointError) as ours:
        load_bytes(data)
    for text in ("Weights only load failed", "WeightsUnpickler error: ", f"Unsupported operand {data[0]}"):
        assert text in str(theirs.value) and text in str(ours.value)


def test_errors_are_runtime_and_unpickling_errors():
    for error_type in (RuntimeError, pickle.UnpicklingError):
        with pytest.raises(error_type):
            load_bytes(b"definitely not a checkpoint")


def valid_checkpoint(format="torchless"):
    buffer = io.BytesIO()
    torchless.save({"w": torchless.arange(1000, dtype=torchless.float32), "n": 3}, buffer, format=format)
    return buffer.getvalue()


@pytest.mark.parametrize("data,message", [
    (b"\x00" * 100, "Unsupported operand 0"),  # PyTorch's words: its weights-only unpickler refuses the first byte
    (make_archive({"hello.txt": b"hi"}), "file in archive is not in a subdirectory: hello.txt"),  # PyTorch's words
    (make_archive({"torchless.json": b"{not json"}), "not valid JSON"),
    (make_archive({"torchless.json": b"[1, 2]"}), "no torchless format marker"),
    (make_archive({"torchless.json": json.dumps({"format": "other", "version": 1, "object": 1})}), "format marker"),
    (make_archive({"torchless.json": structure(1, version=3)}), "format version 3"),
    (make_archive({"torchless.json": structure({"type": "module", "name": "os"})}), "unknown node type"),
    (make_archive({"torchless.json": structure({"type": "dict", "items": [[[1], 2]]})}), "unhashable"),
    (make_archive({"torchless.json": structure({"type": "dict", "items": 5})}), "items must be a list"),
    (make_archive({"torchless.json": structure({"type": "float", "value": "1e5"})}), "bad float"),
    (make_archive({"torchless.json": structure({"type": "dtype", "name": "object"})}), "corrupt checkpoint"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False})}),
     "missing entry 'tensors/0.npy'"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": -1, "requires_grad": False})}),
     "bad tensor reference"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": True, "requires_grad": False})}),
     "expected an integer"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": True}),
                   "tensors/0.npy": npy_bytes(np.arange(3))}), "only floating-point tensors"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                   "tensors/0.npy": npy_bytes(np.zeros(2, np.longdouble))}), "corrupt checkpoint"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                   "tensors/0.npy": npy_bytes(np.array(["text"]))}), "not numbers"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                   "tensors/0.npy": npy_bytes(np.zeros(4))[:-8]}), "shorter than its shape"),
    (make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                   "tensors/0.npy": npy_bytes(np.zeros(4)) + b"junk"}), "data after its array"),
    (make_archive({"torchless.json": structure({"type": "device", "name": "gpu"})}), "unknown device 'gpu'"),
    # format 2: tensors are views of storages, described by the layouts list
    (make_archive({"torchless.json": structure(TENSOR_0, version=2)}), "no list of tensor layouts"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[])}), "lists 0 tensors"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [4], [1]]]),
                   "storages/0.npy": npy_bytes(np.zeros(3))}), "reaches beyond its storage of 3 elements"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 1, [2], [2]]]),
                   "storages/0.npy": npy_bytes(np.zeros(3))}), "reaches beyond its storage"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [2], [-1]]]),
                   "storages/0.npy": npy_bytes(np.zeros(3))}), "bad tensor layout"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [2, 1], [1]]]),
                   "storages/0.npy": npy_bytes(np.zeros(3))}), "bad tensor layout"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [2], [True]]]),
                   "storages/0.npy": npy_bytes(np.zeros(3))}), "expected an integer"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [2], [1]]]),
                   "storages/0.npy": npy_bytes(np.zeros((3, 1)))}), "not 1-D"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=2, tensors=[[0, 0, [2], [1]]])}),
     "missing entry 'storages/0.npy'"),
    (make_archive({"torchless.json": structure(TENSOR_0, version=True)}), "format version True"),
    (make_archive({"torchless.json": '{"format": "torchless", "version": 1, "object": ' + "[" * 100000
                   + "]" * 100000 + "}"}), "not valid JSON"),
    (make_archive({"torchless.json": '{"format": "torchless", "version": 1, "object": ' + "[" * 950
                   + "]" * 950 + "}"}), "corrupt checkpoint"),
])
def test_corrupt_or_foreign_files_are_refused(data, message):
    with pytest.raises(CheckpointError, match=message):
        load_bytes(data)


def test_huge_claimed_shape_is_refused_before_allocating():
    header = npy_bytes(np.zeros(1))
    forged = header.replace(b"(1,)", b"(10000000000000,)")
    data = make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                         "tensors/0.npy": forged})
    with pytest.raises(CheckpointError, match="shorter than its shape"):
        load_bytes(data)


@pytest.mark.parametrize("format", FORMATS)
def test_truncated_checkpoint_is_refused(format):
    data = valid_checkpoint(format)
    for cut in (len(data) // 2, len(data) - 10):
        with pytest.raises(CheckpointError):
            load_bytes(data[:cut])


@pytest.mark.parametrize("format", FORMATS)
def test_flipped_bit_in_tensor_data_is_detected(format):
    data = bytearray(valid_checkpoint(format))
    position = data.index(np.float32(500).tobytes())
    data[position] ^= 1
    with pytest.raises(CheckpointError, match="CRC"):
        load_bytes(bytes(data))


def test_big_endian_arrays_load_as_native():
    data = make_archive({"torchless.json": structure({"type": "tensor", "index": 0, "requires_grad": False}),
                         "tensors/0.npy": npy_bytes(np.arange(4, dtype=">f8"))})
    loaded = load_bytes(data)
    assert loaded.dtype == torchless.float64 and loaded.tolist() == [0, 1, 2, 3]


def test_relative_missing_directory_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="^Parent directory missing does not exist.$"):
        torchless.save({}, "missing/x.pt")
    torchless.save({"here": True}, "x.pt")
    assert torchless.load("x.pt") == {"here": True}


def test_saving_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    torchless.save(1, target)
    link.symlink_to(target)
    torchless.save(2, link)
    assert link.is_symlink() and torchless.load(target) == 2


def test_format_1_files_still_load():
    # format 1 held each tensor's elements in an entry of its own
    data = make_archive({"torchless.json": structure([TENSOR_0, TENSOR_0]),
                         "tensors/0.npy": npy_bytes(np.arange(6.0).reshape(2, 3))})
    first, second = load_bytes(data)
    assert first is second and first.tolist() == [[0, 1, 2], [3, 4, 5]] and first.dtype == torchless.float64
