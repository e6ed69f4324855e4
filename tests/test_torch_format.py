"""PyTorch's checkpoint format without PyTorch: torchless.load of torch.save files (committed fixtures made
by tests/fixtures/torch/make.py, and hand-assembled pickles), refusal of anything that could run code,
and torchless.save(..., format="torch") read back by torch.load(weights_only=True)."""
import importlib.util
import io
import os
import pathlib
import pickle
import struct
import tracemalloc
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, strategies as st

import torchless
from torchless.nn import Parameter
from torchless.serialization import CheckpointError
from helpers import WriteOnlyStream, examples, pickled_int as num

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "torch"
_spec = importlib.util.spec_from_file_location("torch_fixtures", FIXTURES / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


# ---------------------------------------------------------------------------- hand-assembled checkpoints
# Pickles written opcode by opcode, independently of the writer, with the protocol 2 opcodes that
# torch.load's own weights-only unpickler reads too.
def glob(module, name):
    return f"c{module}\n{name}\n".encode()


def text(value):
    encoded = value.encode("utf-8")
    return b"X" + struct.pack("<I", len(encoded)) + encoded


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def call(function, *args):
    return function + tup(*args) + b"R"


def dictionary(*pairs):
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


def listing(*items):
    return b"](" + b"".join(items) + b"e"


TRUE, FALSE = b"\x88", b"\x89"


def storage_id(kind="FloatStorage", key="0", numel=4, location="cpu", module="torch"):
    return tup(text("storage"), glob(module, kind), text(key), text(location), num(numel)) + b"Q"


def tensor(storage=None, offset=0, size=(4,), stride=(1,), requires_grad=False, metadata=None):
    args = [storage or storage_id(), num(offset), tup(*map(num, size)), tup(*map(num, stride)),
            TRUE if requires_grad else FALSE, call(glob("collections", "OrderedDict"))]
    return call(glob("torch._utils", "_rebuild_tensor_v2"), *args, *([metadata] if metadata else []))


def checkpoint(pickled, storages=(), byteorder=b"little", folder="archive", extra=()):
    """A torch.save-style zip: ``pickled`` (protocol 2 header and STOP added) as data.pkl, storages as
    data/<key>."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{folder}/data.pkl", b"\x80\x02" + pickled + b".")
        if byteorder is not None:
            archive.writestr(f"{folder}/byteorder", byteorder)
        for key, data in dict(storages).items():
            archive.writestr(f"{folder}/data/{key}", data)
        archive.writestr(f"{folder}/version", b"3\n")
        for name, data in extra:
            archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()


def load_bytes(data, **kwargs):
    return torchless.load(io.BytesIO(data), **kwargs)


FLOATS = np.arange(4, dtype=np.float32) * 1.5


def test_hand_assembled_checkpoint():
    loaded = load_bytes(checkpoint(tensor(), {"0": FLOATS.tobytes()}))
    assert type(loaded) is torchless.Tensor and loaded.dtype == torchless.float32
    assert loaded.tolist() == [0.0, 1.5, 3.0, 4.5]


# ---------------------------------------------------------------------------- the committed fixtures
def element(obj, path):
    for part in path.split("/"):
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) or part not in obj else obj[part]
    return obj


@pytest.fixture(scope="module")
def fixture_tensors():
    return torchless.load(FIXTURES / "tensors.pt"), np.load(FIXTURES / "tensors_expected.npz")


def test_fixture_every_tensor_is_bit_exact(fixture_tensors):
    loaded, expected = fixture_tensors
    assert len(expected.files) == 30
    for path in expected.files:
        tensor_ = element(loaded, path)
        want = expected[path]
        assert isinstance(tensor_, torchless.Tensor), path
        assert tensor_.dtype.numpy == want.dtype and tuple(tensor_.shape) == want.shape, path
        assert tensor_.detach().numpy().tobytes() == want.tobytes(), path


def test_fixture_values_by_hand(fixture_tensors):
    loaded, _ = fixture_tensors
    assert loaded["views"][1].tolist() == [[8, 9, 10, 11], [14, 15, 16, 17], [20, 21, 22, 23]]
    assert loaded["views"][3].tolist() == [[0, 3], [12, 15]]
    assert loaded["views"][2].shape == (6, 4) and loaded["views"][2][5, 1].item() == 11
    assert loaded["broadcast"].tolist() == [[1, 2, 3], [1, 2, 3]]
    assert loaded["negative"].tolist() == [0, -1, -2]
    assert loaded["scalar"].shape == () and loaded["scalar"].item() == 2.5
    assert loaded["scalar_int"].dtype == torchless.int64 and loaded["scalar_int"].item() == -7
    assert loaded["empty"].shape == (0, 3) and loaded["empty_int"].shape == (3, 0, 2)
    assert loaded["dtypes"]["bool"].tolist() == [[True, False, True], [False, False, True]]


def test_fixture_parameters_and_requires_grad(fixture_tensors):
    loaded, _ = fixture_tensors
    assert type(loaded["parameter"]) is Parameter and loaded["parameter"].requires_grad
    assert type(loaded["frozen"]) is Parameter and not loaded["frozen"].requires_grad
    assert type(loaded["requires_grad"]) is torchless.Tensor and loaded["requires_grad"].requires_grad
    assert loaded["requires_grad"].is_leaf and not loaded["scalar"].requires_grad


def test_fixture_views_of_one_storage_share_it_again():
    # as torch.load gives them: views of the storage they were saved with
    views = torchless.load(FIXTURES / "tensors.pt")["views"]
    views[0][1, 2] = 100.0
    assert views[1][0, 0].item() == 100 and views[2][2, 1].item() == 100


def test_fixture_plain_values_and_optimizer_state(fixture_tensors):
    loaded, _ = fixture_tensors
    nested = loaded["nested"]
    assert type(nested) is OrderedDict and list(nested) == ["tuple", "list", "dtype", "size", "bytes"]
    assert nested["tuple"] == (1, 2.5, "three", None, True)
    assert nested["list"][0].tolist() == [4, 5]
    assert nested["dtype"] is torchless.float16
    assert type(nested["size"]) is torchless.Size and nested["size"] == (2, 3)
    assert nested["bytes"] == b"\x00\xff"
    groups = loaded["optimizer"]["param_groups"]
    assert len(groups) == 1 and groups[0]["lr"] == 0.01 and groups[0]["betas"] == (0.9, 0.999)
    assert groups[0]["params"] == [0, 1] and groups[0]["amsgrad"] is False
    state = loaded["optimizer"]["state"]
    assert sorted(state) == [0, 1] and state[0]["step"].item() == 1.0 and state[1]["exp_avg"].shape == (2,)


def test_fixture_cnn_gives_torch_predictions():
    state = torchless.load(FIXTURES / "cnn.pt", map_location="cpu", weights_only=True)
    expected = np.load(FIXTURES / "cnn_expected.npz")
    assert type(state) is OrderedDict
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked", "4.weight", "4.bias", "8.weight", "8.bias"]
    for key, value in state.items():
        assert value.numpy().tobytes() == expected[key].tobytes() and value.dtype.numpy == expected[key].dtype
    assert state["1.num_batches_tracked"].shape == () and state["1.num_batches_tracked"].item() == 5
    model = make.cnn(torchless.nn)
    model.load_state_dict(state)
    model.eval()
    with torchless.no_grad():
        logits = model(torchless.from_numpy(expected["input"]))
    np.testing.assert_allclose(logits.numpy(), expected["logits"], rtol=1e-5, atol=1e-6)


def test_fixture_files_are_small():
    assert sum(p.stat().st_size for p in FIXTURES.iterdir() if p.suffix in (".pt", ".npz")) < 50_000


# ---------------------------------------------------------------------------- strides, offsets, byte order
def strided_reference(storage, offset, size, stride):
    """Element ``index`` of the tensor is ``storage[offset + sum(index * stride)]``, one by one."""
    out = np.empty(size, storage.dtype)
    for index in np.ndindex(*size):
        out[index] = storage[offset + sum(i * s for i, s in zip(index, stride))]
    return out


@examples(60)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6)), max_size=4), st.integers(0, 5),
       st.sampled_from(["float32", "int16", "float64", "uint8"]))
def test_any_strides_and_offset_that_fit(dims, offset, dtype):
    size, stride = [n for n, _ in dims], [s for _, s in dims]
    extent = offset + sum((n - 1) * s for n, s in dims) + 1 if all(size) else 0
    storage = (np.arange(max(extent, 1)) * 3 % 251).astype(dtype)
    kind = {"float32": "FloatStorage", "int16": "ShortStorage", "float64": "DoubleStorage", "uint8": "ByteStorage"}
    pickled = tensor(storage_id(kind[dtype], numel=storage.size), offset, size, stride)
    loaded = load_bytes(checkpoint(pickled, {"0": storage.tobytes()}))
    np.testing.assert_array_equal(loaded.numpy(), strided_reference(storage, offset, size, stride))
    assert loaded.shape == tuple(size)


@pytest.mark.parametrize("offset,size,stride", [(4, (1,), (1,)), (0, (5,), (1,)), (1, (2, 2), (2, 1)),
                                                (0, (2, 3), (3, 1)), (4, (2,), (0,))])
def test_tensor_reaching_past_its_storage_is_refused(offset, size, stride):
    pickled = tensor(storage_id(numel=4), offset, size, stride)
    with pytest.raises(CheckpointError, match="Trying to resize storage that is not resizable"):  # (set_'s)
        load_bytes(checkpoint(pickled, {"0": FLOATS.tobytes()}))


def test_empty_tensor_reads_nothing():
    loaded = load_bytes(checkpoint(tensor(storage_id(numel=0), 0, (0, 5), (5, 1)), {"0": b""}))
    assert loaded.shape == (0, 5) and loaded.dtype == torchless.float32


@pytest.mark.parametrize("kind,dtype", [("FloatStorage", ">f4"), ("DoubleStorage", ">f8"), ("HalfStorage", ">f2"),
                                        ("LongStorage", ">i8"), ("IntStorage", ">i4"), ("ShortStorage", ">i2"),
                                        ("CharStorage", "i1"), ("ByteStorage", "u1")])
def test_big_endian_checkpoint(kind, dtype):
    values = np.array([0, 1, -2, 100], dtype=np.dtype(dtype).newbyteorder("=")) if dtype[-2] != "u" else \
        np.array([0, 1, 2, 200], np.uint8)
    pickled = tensor(storage_id(kind), 1, (2,), (2,))
    loaded = load_bytes(checkpoint(pickled, {"0": values.astype(dtype).tobytes()}, byteorder=b"big"))
    assert loaded.tolist() == values[1::2].tolist() and loaded.numpy().dtype.isnative


def test_missing_byteorder_record_means_little_endian():
    loaded = load_bytes(checkpoint(tensor(), {"0": FLOATS.tobytes()}, byteorder=None))
    assert loaded.tolist() == FLOATS.tolist()


def test_bool_storage_bytes_other_than_one_are_true():
    pickled = tensor(storage_id("BoolStorage", numel=3), 0, (3,), (1,))
    assert load_bytes(checkpoint(pickled, {"0": b"\x00\x02\xff"})).tolist() == [False, True, True]


def test_untyped_storage_with_rebuild_tensor_v3():
    args = [storage_id("UntypedStorage", numel=16, module="torch.storage"), num(1), tup(num(2)), tup(num(1)), FALSE,
            call(glob("collections", "OrderedDict")), glob("torch", "float32")]
    loaded = load_bytes(checkpoint(call(glob("torch._utils", "_rebuild_tensor_v3"), *args), {"0": FLOATS.tobytes()}))
    assert loaded.dtype == torchless.float32 and loaded.tolist() == [1.5, 3.0]


def test_shared_storage_and_memoised_tensor():
    first = tensor(storage_id(numel=4), 0, (2,), (1,))
    pickled = listing(first + b"q\x00", tensor(storage_id(numel=4), 2, (2,), (1,)), b"h\x00")
    a, b, again = load_bytes(checkpoint(pickled, {"0": FLOATS.tobytes()}))
    assert a.tolist() == [0.0, 1.5] and b.tolist() == [3.0, 4.5] and again is a


def test_parameter_rebuild():
    pickled = call(glob("torch._utils", "_rebuild_parameter"), tensor(), TRUE, call(glob("collections", "OrderedDict")))
    loaded = load_bytes(checkpoint(pickled, {"0": FLOATS.tobytes()}))
    assert type(loaded) is Parameter and loaded.requires_grad and loaded.tolist() == FLOATS.tolist()


# ---------------------------------------------------------------------------- refusing to run code
class Exploit:
    """Unpickling runs ``function(*args)``."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def exploit_pickles(sentinel):
    command = f"touch {sentinel}"
    return {
        "os.system": call(glob("os", "system"), text(command)),
        "posix.system": pickle.dumps(Exploit(os.system, command), protocol=2)[:-1],
        "builtins.eval": pickle.dumps(Exploit(eval, f"open({str(sentinel)!r}, 'w')"), protocol=4)[:-1],
        "builtins.exec": call(glob("builtins", "exec"), text(f"open({str(sentinel)!r}, 'w')")),
        "subprocess.Popen": call(glob("subprocess", "Popen"), tup(text("touch"), text(str(sentinel)))),
        "builtins.getattr": call(glob("builtins", "getattr"), glob("collections", "OrderedDict"), text("fromkeys")),
        "torch.load": call(glob("torch", "load"), text(str(sentinel))),
    }


@pytest.mark.parametrize("forbidden", ["os.system", "posix.system", "builtins.eval", "builtins.exec",
                                       "subprocess.Popen", "builtins.getattr", "torch.load"])
def test_forbidden_globals_are_refused_and_never_run(tmp_path, forbidden):
    sentinel = tmp_path / "pwned"
    payload = exploit_pickles(sentinel)[forbidden]
    # behind a genuine tensor, as a value of a state_dict
    pickled = dictionary((text("weight"), tensor()), (text("evil"), payload))
    module = forbidden.partition(".")[0]
    # as PyTorch words it: the globals of the modules it blocks, then the others (builtins named bare)
    refusal = f"unsupported GLOBAL {forbidden} whose module {module} is blocked" if module in ("os", "posix") else \
        f"Unsupported global: GLOBAL {forbidden.removeprefix('builtins.')} "
    with pytest.raises(pickle.UnpicklingError, match=refusal) as error:
        load_bytes(checkpoint(pickled, {"0": FLOATS.tobytes()}))
    assert isinstance(error.value, CheckpointError) and "Weights only load failed" in str(error.value)
    assert not sentinel.exists()


def test_the_exploit_pickles_do_run_when_unpickled_unsafely(tmp_path):
    # proof that the refusals above refused something real
    sentinel = tmp_path / "pwned"
    pickle.loads(exploit_pickles(sentinel)["os.system"] + b".")
    assert sentinel.exists()


@pytest.mark.parametrize("pickled,message", [
    # (opcodes PyTorch's weights-only unpickler has no case for: refused by their number, as it refuses them)
    (b"(Vtouch x\nios\nsystem\n", "Unsupported operand 86"),  # INST: a call without GLOBAL (after MARK, V)
    (b"S'x'\n", "Unsupported operand 83"),  # Python 2's str
    (b"S'\\Y'\n", "Unsupported operand 83"),  # with an escape that Python warns about
    (b"\x82\x01", "Unsupported operand 130"),  # the copyreg extension registry
    (b"P1\n", "Unsupported operand 80"),  # PERSID
    (b"(Vnot a storage\nI1\ntQ", "Unsupported operand 86"),
    (call(glob("__builtin__", "bytearray"), num(1 << 40)), "bytearray is allowed only from bytes"),
    (call(glob("torch", "float32")), "calls torch.float32, which is not callable"),
    (glob("torch", "float32") + b"(N" + dictionary((text("name"), text("evil"))) + b"tb",
     "sets the state of torch.float32"),
    (glob("torch._utils", "_rebuild_tensor_v2") + dictionary((text("__defaults__"), b"N")) + b"b",
     "sets the state of torch._utils._rebuild_tensor_v2"),
    (glob("collections", "OrderedDict"), "holds collections.OrderedDict itself"),
    (call(glob("torch", "device"), text("gpu")), r"bad torch.device\('gpu',\): Expected one of cpu, cuda"),
    (tensor(metadata=dictionary((text("zero_point"), TRUE))), "unsupported tensor metadata"),
    (glob("torch", "BFloat16Storage"), "torch.BFloat16Storage: torchless has tensors of type"),
])
@pytest.mark.filterwarnings("error::DeprecationWarning")
def test_refusals(pickled, message, monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])  # (BFloat16Storage: as without ml_dtypes)
    data = checkpoint(pickled, {"0": FLOATS.tobytes()})
    with pytest.raises(CheckpointError, match=message) as error:
        load_bytes(data)
    assert "Weights only load failed" in str(error.value)


@pytest.mark.filterwarnings("ignore::UserWarning")  # (TypedStorage is deprecated)
def test_a_storage_on_its_own_and_a_dtype_without_tensors_load_as_in_torch():
    # (PyTorch loads both: a storage as a TypedStorage; torch.bfloat16, whose tensors torchless lacks, as the dtype)
    storage = load_bytes(checkpoint(storage_id(), {"0": FLOATS.tobytes()}))
    assert type(storage).__name__ == "TypedStorage" and storage.dtype == torchless.float32
    assert list(storage) == FLOATS.tolist()
    assert load_bytes(checkpoint(glob("torch", "bfloat16"))) is torchless.bfloat16


def test_globals_cannot_be_modified_through_build():
    with pytest.raises(CheckpointError):
        load_bytes(checkpoint(glob("torch", "float32") + b"(N" + dictionary((text("name"), text("evil"))) + b"tb"))
    assert torchless.float32.name == "float32" and repr(torchless.float32) == "torchless.float32"
    assert load_bytes(checkpoint(tensor(), {"0": FLOATS.tobytes()})).tolist() == FLOATS.tolist()


def test_build_on_a_loaded_dict_only_sets_attributes():
    # OrderedDict state is how torch.save records Module.state_dict()'s _metadata
    pickled = call(glob("collections", "OrderedDict")) + dictionary(
        (text("_metadata"), dictionary((text(""), dictionary((text("version"), num(1))))))) + b"b"
    assert load_bytes(checkpoint(pickled, {}))._metadata == {"": {"version": 1}}


def test_huge_memo_index_is_refused_before_unpickling():
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="memo index 2147483647"):
            load_bytes(checkpoint(b"Nr\xff\xff\xff\x7f"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_tensor_broadcast_beyond_the_memory_budget_is_refused():
    pickled = tensor(storage_id(numel=1), 0, (1 << 20, 1 << 20), (0, 0))
    with pytest.raises(CheckpointError, match="more than 8 times the file's size"):
        load_bytes(checkpoint(pickled, {"0": FLOATS[:1].tobytes()}))


def test_deeply_nested_pickle_is_refused_cleanly():
    depth = 100_000
    with pytest.raises(CheckpointError, match="RecursionError"):
        load_bytes(checkpoint(b"]" * depth + b"a" * (depth - 1)))


@pytest.mark.parametrize("mutate,message", [
    # (PyTorch's zip reader's words)
    (lambda p, s: (p, {}), "PytorchStreamReader failed locating file data/0: file not found"),
    (lambda p, s: (p, {"0": s[:-1]}), r"record size \(15 bytes\) does not match expected size \(16 bytes"),
    (lambda p, s: (tensor(storage_id(numel=-1)), s), "bad storage id"),
    (lambda p, s: (tensor(offset=-1), s), "bad storage offset"),
    (lambda p, s: (tensor(size=(2, 2), stride=(1,)), s), "differ in length"),
    (lambda p, s: (tensor(size=(1,) * 65, stride=(1,) * 65), s), "65 dimensions"),
    (lambda p, s: (tensor(requires_grad=True, storage=storage_id("LongStorage", numel=2)), s), "cannot require"),
    (lambda p, s: (tup(tensor(), tensor(storage_id(numel=3))), s), "declared twice"),
    (lambda p, s: (b"K", s), "^$"),  # (PyTorch's EOFError, without a message)
    (lambda p, s: (b"\xff", s), "Unsupported operand 255"),
])
def test_corrupt_checkpoints(mutate, message):
    pickled, storages = mutate(tensor(), FLOATS.tobytes())
    storages = storages if isinstance(storages, dict) else {"0": storages}
    with pytest.raises(CheckpointError, match=message):
        load_bytes(checkpoint(pickled, storages))


def test_unknown_byte_order_and_compressed_entries():
    with pytest.raises(CheckpointError, match="^Unknown endianness type: middle$"):  # PyTorch's ValueError
        load_bytes(checkpoint(tensor(), {"0": FLOATS.tobytes()}, byteorder=b"middle"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", tensor() + b".")
        archive.writestr("archive/version", b"3\n")
        archive.writestr("archive/data/0", FLOATS.tobytes())
    with pytest.raises(CheckpointError, match="is compressed"):
        load_bytes(buffer.getvalue())


def zip_with_nested_entries(pickled, inner):
    """A zip whose entry data/0 holds the whole entry data/1 (header and data) inside its own data."""
    def local(name, data):
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(data), len(data), len(data),
                           len(name), 0) + name + data

    def central(name, data, offset):
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, zlib.crc32(data), len(data),
                           len(data), len(name), 0, 0, 0, 0, 0, offset) + name

    pkl = local(b"archive/data.pkl", pickled) + local(b"archive/version", b"3\n")
    inner_entry = local(b"archive/data/1", inner)
    outer_data = inner_entry
    outer = local(b"archive/data/0", outer_data)
    offsets = {"pkl": 0, "version": len(local(b"archive/data.pkl", pickled)), "0": len(pkl),
               "1": len(pkl) + 30 + len(b"archive/data/0")}
    directory = (central(b"archive/data.pkl", pickled, offsets["pkl"])
                 + central(b"archive/version", b"3\n", offsets["version"])
                 + central(b"archive/data/0", outer_data, offsets["0"])
                 + central(b"archive/data/1", inner, offsets["1"]))
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 4, 4, len(directory), len(pkl) + len(outer), 0)
    return pkl + outer + directory + end


def test_overlapping_entries_cannot_multiply_the_data_read():
    inner = bytes(4000)
    outer_size = 30 + len(b"archive/data/1") + len(inner)
    pickled = b"\x80\x02" + tup(tensor(storage_id("ByteStorage", "0", outer_size), 0, (outer_size,), (1,)),
                                 tensor(storage_id("ByteStorage", "1", len(inner)), 0, (len(inner),), (1,))) + b"."
    data = zip_with_nested_entries(pickled, inner)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # a valid zip to zipfile, CRCs and all
        assert archive.read("archive/data/1") == inner and len(archive.read("archive/data/0")) == outer_size
    with pytest.raises(CheckpointError, match="overlapping entries"):
        load_bytes(data)


# ---------------------------------------------------------------------------- format detection, devices
def test_truncated_legacy_torch_file_is_refused_as_corrupt():
    legacy = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
    with pytest.raises(CheckpointError, match="corrupt PyTorch checkpoint"):
        load_bytes(legacy)


def test_torchscript_archive_is_refused_clearly():
    data = checkpoint(tensor(), {"0": FLOATS.tobytes()}, extra=[("constants.pkl", b"\x80\x02)."),
                                                                  ("code/__torch__.py", b"")])
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        load_bytes(data)


def test_zip_of_something_else_is_still_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("folder/data.pkl.txt", b"")
        archive.writestr("other/data.pkl", b"")
    with pytest.raises(CheckpointError, match=r'^Expected hasRecord\("version"\) to be true'):  # PyTorch's reader's
        load_bytes(buffer.getvalue())


def test_any_folder_name_and_paths(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(checkpoint(tensor(), {"0": FLOATS.tobytes()}, folder="weights"))
    assert torchless.load(path).tolist() == FLOATS.tolist()
    assert torchless.load(str(path), weights_only=False, mmap=False).tolist() == FLOATS.tolist()


def test_storages_saved_on_another_device():
    data = checkpoint(tensor(storage_id(location="cuda:0")), {"0": FLOATS.tobytes()})
    with pytest.raises(RuntimeError, match=r"^Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        load_bytes(data)
    for map_location in ("cpu", torchless.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        assert load_bytes(data, map_location=map_location).tolist() == FLOATS.tolist()
    with pytest.raises(RuntimeError, match="Storage device not recognized: mps"):  # (PyTorch's, for this map)
        load_bytes(data, map_location={"cuda:0": "mps"})
    with pytest.raises(RuntimeError, match="^Attempting to deserialize object on a CUDA device"):
        load_bytes(data, map_location="cuda:0")


# ---------------------------------------------------------------------------- writing torch's format
def local_headers(data):
    """``{name: offset of the entry's data}`` read from the zip's local file headers."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
            found[info.filename] = info.header_offset + 30 + name_length + extra_length
    return found


def sample_state():
    base = torchless.arange(12, dtype=torchless.float32).reshape(3, 4)
    state = OrderedDict([("conv.weight", Parameter(torchless.randn(2, 1, 3, 3))), ("view", base.t()[1:]),
                         ("count", torchless.tensor(3)), ("empty", torchless.zeros(0, 2, dtype=torchless.float64)),
                         ("mask", torchless.tensor([True, False])),
                         ("half", torchless.ones(2, dtype=torchless.float16))])
    state._metadata = OrderedDict([("", {"version": 1})])
    return state


def test_written_archive_layout(tmp_path):
    buffer = io.BytesIO()
    torchless.save(sample_state(), buffer, format="torch")
    data = buffer.getvalue()
    offsets = local_headers(data)
    names = [f"archive/{n}" for n in ("data.pkl", ".format_version", ".storage_alignment", "byteorder", "data/0",
                                      "data/1", "data/2", "data/3", "data/4", "data/5", "version",
                                      ".data/serialization_id")]
    assert list(offsets) == names
    assert all(offset % 64 == 0 for offset in offsets.values())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        records = {n: archive.read(f"archive/{n}") for n in ("byteorder", "version", ".format_version",
                                                              ".storage_alignment")}
        assert records == {"byteorder": b"little", "version": b"3\n", ".format_version": b"1",
                           ".storage_alignment": b"64"}
        # a view's whole storage, as torch.save writes it
        assert archive.read("archive/data/1") == np.arange(12, dtype="<f4").tobytes()
        assert archive.read("archive/data/4") == b"\x01\x00"
    path = tmp_path / "my.model.pt"
    torchless.save({"x": torchless.ones(1)}, path, format="torch", _disable_byteorder_record=True)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[0] == "my.model/data.pkl" and "my.model/byteorder" not in archive.namelist()


def test_written_archive_round_trips_through_torchless(tmp_path):
    state = sample_state()
    path = tmp_path / "state.pt"
    torchless.save(state, path, format="torch")
    loaded = torchless.load(path)
    assert type(loaded) is OrderedDict and list(loaded) == list(state) and loaded._metadata == state._metadata
    for key in state:
        assert type(loaded[key]) is type(state[key]) and loaded[key].dtype == state[key].dtype
        assert loaded[key].requires_grad == state[key].requires_grad
        np.testing.assert_array_equal(loaded[key].detach().numpy(), state[key].detach().numpy())


def test_written_archive_to_an_unseekable_stream_stays_aligned():
    sink = WriteOnlyStream()
    torchless.save(sample_state(), sink, format="torch")
    data = sink.getvalue()
    assert all(offset % 64 == 0 for offset in local_headers(data).values())
    assert load_bytes(data)["view"].tolist() == [[1, 5, 9], [2, 6, 10], [3, 7, 11]]


def test_torch_format_writes_are_atomic(tmp_path, monkeypatch):
    from torchless import _torch_format

    path = tmp_path / "model.pt"
    torchless.save({"epoch": 1}, path, format="torch")
    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(_torch_format, "_write_aligned", fail)
    with pytest.raises(OSError, match="disk full"):
        torchless.save({"epoch": 2}, path, format="torch")
    assert torchless.load(path) == {"epoch": 1} and os.listdir(tmp_path) == ["model.pt"]


def test_torch_format_argument_checks(tmp_path):
    with pytest.raises((pickle.PicklingError, AttributeError)):  # what pickle raises for a lambda
        torchless.save({"f": lambda: 0}, tmp_path / "x.pt", format="torch")
    assert not (tmp_path / "x.pt").exists()
    with pytest.raises(ValueError, match="format must be 'torchless' or 'torch', got 'pickle'"):
        torchless.save({}, tmp_path / "x.pt", format="pickle")
    torchless.save({"own": 1}, tmp_path / "own.pt", format="torchless")
    with zipfile.ZipFile(tmp_path / "own.pt") as archive:
        assert archive.namelist() == ["torchless.json"]
    torchless.save({"theirs": 1}, tmp_path / "theirs.pt")  # PyTorch's format by default, as torch.save writes it
    with zipfile.ZipFile(tmp_path / "theirs.pt") as archive:
        assert archive.namelist()[0] == "theirs/data.pkl" and "torchless.json" not in archive.namelist()


# ---------------------------------------------------------------------------- PyTorch as the oracle
def torch_values(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        return ("tensor", type(obj).__name__, str(obj.dtype).removeprefix("torch."), tuple(obj.shape),
                obj.requires_grad, obj.detach().resolve_neg().numpy().tobytes())
    if isinstance(obj, dict):
        return (type(obj).__name__, [(torch_values(k), torch_values(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [torch_values(v) for v in obj])
    return (type(obj).__name__, repr(obj))


def torchless_values(obj):
    if isinstance(obj, torchless.Tensor):
        return ("tensor", type(obj).__name__, obj.dtype.name, tuple(obj.shape), obj.requires_grad,
                obj.detach().numpy().tobytes())
    if isinstance(obj, dict):
        return (type(obj).__name__, [(torchless_values(k), torchless_values(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__ if type(obj) is not torchless.Size else "Size", [torchless_values(v) for v in obj])
    if isinstance(obj, torchless.dtype):
        return ("dtype", f"torch.{obj.name}")
    return (type(obj).__name__, repr(obj))


def test_torch_save_reads_back_identically(tmp_path):
    torch = pytest.importorskip("torch")
    checkpoint_ = make.tensors_checkpoint()
    checkpoint_["nested"]["device"] = torch.device("cpu")
    checkpoint_["set"] = {1, "two"}
    checkpoint_["big"] = 2 ** 80
    path = tmp_path / "torch.pt"
    torch.save(checkpoint_, path)
    loaded = torchless.load(path)
    assert torchless_values(loaded) == torch_values(torch.load(path, weights_only=True))


def test_torch_trained_cnn_predicts_the_same_in_torchless(tmp_path):
    torch = pytest.importorskip("torch")
    model, images = make.trained_cnn(steps=3, seed=7)
    path = tmp_path / "cnn.pt"
    torch.save(model.state_dict(), path)
    ours = make.cnn(torchless.nn)
    ours.load_state_dict(torchless.load(path))
    ours.eval()
    with torch.no_grad():
        expected = model(images).numpy()
    with torchless.no_grad():
        logits = ours(torchless.from_numpy(images.numpy())).numpy()
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def every_kind_of_state():
    torchless.manual_seed(0)
    base = torchless.arange(24, dtype=torchless.int32).reshape(4, 6)
    rng = np.random.default_rng(0)
    params = [Parameter(torchless.randn(3, 2)), Parameter(torchless.randn(2))]
    optimizer = torchless.optim.Adam(params, lr=0.01)
    for p in params:
        p.grad = torchless.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32))
    optimizer.step()
    state = {
        "dtypes": {d.name: torchless.from_numpy((rng.standard_normal((2, 3)) * 40).astype(d.numpy))
                   for d in (torchless.float16, torchless.float32, torchless.float64, torchless.int8, torchless.int16,
                             torchless.int32, torchless.int64, torchless.uint8, torchless.bool)},
        "zero_d": torchless.tensor(1.5, dtype=torchless.float64), "empty": torchless.zeros(3, 0, 2),
        "views": [base.t(), base[1:, ::2], base[2], base.t()[::2]],
        "parameter": params[0], "frozen": Parameter(torchless.ones(2), requires_grad=False),
        "leaf": torchless.zeros(2).requires_grad_(),
        "nested": OrderedDict([("tuple", (1, -2 ** 40, 2 ** 70, 0.5, float("inf"), None, True, "é")),
                               ("dtype", torchless.int16), ("size", torchless.Size([2, 3])),
                               ("device", torchless.device("cpu")), ("keys", {3: "int", (1, 2): "tuple"})]),
        "optimizer": optimizer.state_dict(),
        "same": [params[1], params[1]],
    }
    return state


def test_torch_load_reads_what_torchless_writes(tmp_path):
    torch = pytest.importorskip("torch")
    state = every_kind_of_state()
    path = tmp_path / "state.pt"
    torchless.save(state, path, format="torch")
    loaded = torch.load(path, weights_only=True)
    assert torch_values(loaded) == torchless_values(state)
    assert loaded["same"][0] is loaded["same"][1]
    mapped = torch.load(path, weights_only=True, mmap=True)  # mmap needs the 64-byte alignment
    assert torch_values(mapped) == torchless_values(state)
    buffer = io.BytesIO()
    torchless.save(state, buffer, format="torch")
    buffer.seek(0)
    assert torch_values(torch.load(buffer, weights_only=True)) == torchless_values(state)


def test_torch_model_loads_a_state_dict_written_by_torchless(tmp_path):
    torch = pytest.importorskip("torch")
    torchless.manual_seed(3)
    ours = make.cnn(torchless.nn).eval()
    path = tmp_path / "cnn.pt"
    torchless.save(ours.state_dict(), path, format="torch")
    model = make.cnn(torch.nn).eval()
    model.load_state_dict(torch.load(path, weights_only=True))
    images = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    with torchless.no_grad():
        np.testing.assert_allclose(ours(torchless.from_numpy(images)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_torch_refuses_nothing_we_accept_and_we_refuse_what_it_refuses(tmp_path):
    torch = pytest.importorskip("torch")
    sentinel = tmp_path / "pwned"
    data = checkpoint(exploit_pickles(sentinel)["os.system"], {})
    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        torch.load(io.BytesIO(data), weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        load_bytes(data)
    assert not sentinel.exists()
    good = checkpoint(tensor(storage_id(numel=4), 1, (2, 2), (1, 1)), {"0": FLOATS.tobytes()})
    assert load_bytes(good).tolist() == torch.load(io.BytesIO(good), weights_only=True).tolist()


@pytest.mark.filterwarnings("ignore:`torch.jit")
def test_legacy_and_torchscript_files_from_torch(tmp_path):
    torch = pytest.importorskip("torch")
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    assert torchless.load(legacy)["w"].tolist() == [1.0, 1.0]
    scripted = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), scripted)
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        torchless.load(scripted)


def test_reader_handles_a_large_checkpoint_in_bounded_memory():
    numel = 4 << 20  # 16 MiB of float32
    data = checkpoint(tensor(storage_id(numel=numel), 0, (numel,), (1,)),
                      {"0": np.arange(numel, dtype=np.float32).tobytes()})
    tracemalloc.start()
    try:
        loaded = load_bytes(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loaded[-1].item() == numel - 1
    assert peak < 2.5 * (16 << 20)  # the storage and the tensor copied out of it


def test_message_for_storages_on_another_device_matches_torch():
    torch = pytest.importorskip("torch")
    data = checkpoint(tensor(storage_id(location="cuda:0")), {"0": FLOATS.tobytes()})
    with pytest.raises(RuntimeError) as theirs:
        torch.load(io.BytesIO(data), weights_only=True)
    with pytest.raises(RuntimeError) as ours:
        load_bytes(data)
    assert str(ours.value) == str(theirs.value)


def test_torch_checkpoint_through_torchless_and_back_to_torch(tmp_path):
    torch = pytest.importorskip("torch")
    original = make.tensors_checkpoint()
    del original["nested"]["bytes"]  # torchless.save stores no bytes
    torch.save(original, tmp_path / "from_torch.pt")
    torchless.save(torchless.load(tmp_path / "from_torch.pt"), tmp_path / "from_torchless.pt", format="torch")
    assert torch_values(torch.load(tmp_path / "from_torchless.pt", weights_only=True)) == torch_values(original)
