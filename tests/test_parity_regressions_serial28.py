"""Session 28 (serial28): pickling, saving and loading as PyTorch does -- views keep their strides, offsets and
sharing, from_numpy's storage, mmap loads, files exchanged with real torch, deepcopy."""
import collections
import copy
import io
import os
import pathlib
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _layout(t):
    return tuple(t.shape), t.stride(), t.storage_offset(), t.untyped_storage().nbytes(), t.is_contiguous()


def _same(ours, theirs):
    assert _layout(ours) == _layout(theirs)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# the same view taken in both libraries
_VIEWS = {
    "transposed": lambda lib: lib.arange(12.).reshape(3, 4).t(),
    "sliced": lambda lib: lib.arange(12.).reshape(3, 4)[1:, 1:],
    "stepped": lambda lib: lib.arange(10)[::3],
    "expanded": lambda lib: lib.arange(6.).reshape(2, 3).expand(2, 2, 3),
    "empty_transposed": lambda lib: lib.zeros(0, 3).t(),
    "scalar": lambda lib: lib.tensor(2.5, dtype=lib.float64),
    "channels_last": lambda lib: lib.arange(24.).reshape(1, 2, 3, 4).to(memory_format=lib.channels_last),
    "bool_column": lambda lib: (lib.arange(12).reshape(3, 4) > 4)[:, 2],
    "int8_diagonal": lambda lib: lib.arange(16, dtype=lib.int8).reshape(4, 4).diagonal(),
}


@pytest.mark.parametrize("name", sorted(_VIEWS))
def test_pickle_keeps_a_view_its_strides_offset_and_storage(name):
    ours = pickle.loads(pickle.dumps(_VIEWS[name](torchless)))
    theirs = pickle.loads(pickle.dumps(_VIEWS[name](torch)))
    _same(ours, theirs)


def test_pickle_keeps_python_attributes_of_tensors_and_parameters():
    for lib in (torchless, torch):
        t = lib.arange(6.).reshape(2, 3)
        t.note = {"a": 1}
        p = lib.nn.Parameter(lib.arange(12.).reshape(3, 4)[:, 1:])
        p.tag = "w"
        t2, p2 = pickle.loads(pickle.dumps((t, p)))
        assert t2.note == {"a": 1} and p2.tag == "w"
        assert type(p2).__name__ == "Parameter" and p2.requires_grad
        assert (p2.stride(), p2.storage_offset()) == ((4, 1), 1)


def test_pickle_of_a_non_leaf_gives_a_leaf_requiring_grad():
    for lib in (torchless, torch):
        t = pickle.loads(pickle.dumps(lib.ones(3, requires_grad=True) * 2))
        assert (t.requires_grad, t.is_leaf, t.grad_fn) == (True, True, None)


def test_pickle_written_before_views_were_kept_still_loads():
    # what an older torchless pickled: torchless._tensor._rebuild(array, requires_grad)
    from torchless._tensor import _rebuild

    class Old:
        def __reduce__(self):
            return _rebuild, (np.arange(3.0), True)

    t = pickle.loads(pickle.dumps(Old()))
    assert type(t) is torchless.Tensor and t.requires_grad and t.tolist() == [0.0, 1.0, 2.0]


_ARRAYS = {
    "sliced": lambda: np.arange(10)[3:],
    "block": lambda: np.arange(24.).reshape(4, 6)[1:3, 2:5],
    "block_transposed": lambda: np.arange(24.).reshape(4, 6)[1:3, 2:5].T,
    "stepped_copy": lambda: np.arange(10)[::-1].copy()[::2],
    "empty_of_a_base": lambda: np.arange(24.).reshape(4, 6)[2:, ::2][:0],
    "broadcast": lambda: np.broadcast_to(np.arange(3.), (2, 3)),
    "owner": lambda: np.arange(5, dtype=np.int16),
}


@pytest.mark.parametrize("name", sorted(_ARRAYS))
def test_from_numpy_storage_starts_at_the_first_element(name):
    _same(torchless.from_numpy(_ARRAYS[name]()), torch.from_numpy(_ARRAYS[name]()))


@pytest.mark.parametrize("name", sorted(_ARRAYS))
@pytest.mark.parametrize("factory", ["as_tensor", "asarray"])
def test_sharing_factories_give_the_storage_from_numpys(factory, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (read-only arrays)
        _same(getattr(torchless, factory)(_ARRAYS[name]()), getattr(torch, factory)(_ARRAYS[name]()))


def test_from_numpy_still_shares_memory_with_the_array():
    base = np.arange(10.)
    t = torchless.from_numpy(base[2:])
    t[0] = 100.0
    t[1:][0] = 101.0
    assert base[2:4].tolist() == [100.0, 101.0]
    view = t[3:]
    assert view.storage_offset() == 3
    assert view.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()
    base[9] = -1.0
    assert t[-1].item() == -1.0


def test_from_numpy_refuses_strides_that_are_not_whole_elements():
    field = np.zeros(3, dtype=[("a", "<f4"), ("b", "<i2")])["a"]
    with pytest.raises(ValueError) as theirs:
        torch.from_numpy(field)
    with pytest.raises(ValueError) as ours:
        torchless.from_numpy(field)
    assert str(ours.value) == str(theirs.value)


def _memory_of(tensor):
    from torchless._ops.tensor_extras import memory_owner

    return memory_owner(tensor._data)


def _checkpoint_by_torch(path):
    base = torch.arange(12.).reshape(3, 4)
    torch.save({"t": base.t(), "row": base[1], "half": torch.arange(4, dtype=torch.float16),
                "flags": torch.tensor([True, False, True]), "empty": torch.zeros(0, 2)}, path)


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
def test_mmap_load_views_the_file_and_keeps_writes_private(tmp_path, as_path):
    path = tmp_path / "ckpt.pt"
    _checkpoint_by_torch(path)
    ours = torchless.load(as_path(path), mmap=True)
    theirs = torch.load(path, mmap=True)
    for key in theirs:
        _same(ours[key], theirs[key])
    assert isinstance(_memory_of(ours["t"]), np.memmap)
    assert ours["t"].untyped_storage().data_ptr() == ours["row"].untyped_storage().data_ptr()
    ours["t"][0, 0] = 100.0  # MAP_PRIVATE, the default: the file keeps its bytes
    assert ours["row"][0].item() == 4.0 and torch.load(path)["t"][0, 0].item() == 0.0


def test_mmap_shared_writes_go_to_the_file(tmp_path):
    import mmap

    path = tmp_path / "ckpt.pt"
    _checkpoint_by_torch(path)
    with torchless.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        ours = torchless.load(path, mmap=True)
    ours["row"].add_(1)
    del ours
    np.testing.assert_array_equal(torch.load(path)["row"].numpy(), [5.0, 6.0, 7.0, 8.0])


def test_mmap_refusals_are_pytorchs(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save(torch.ones(2), path, _use_new_zipfile_serialization=False)
    for f in (str(path), path):
        with pytest.raises(RuntimeError) as theirs:
            torch.load(f, mmap=True)
        with pytest.raises(RuntimeError) as ours:
            torchless.load(f, mmap=True)
        assert str(ours.value) == str(theirs.value)
    buffer = io.BytesIO()
    torch.save(torch.ones(2), buffer)
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        torchless.load(io.BytesIO(buffer.getvalue()), mmap=True)


def _checkpoint(lib):
    base = lib.arange(24.).reshape(2, 3, 4)
    state = collections.OrderedDict(
        (name, (lib.arange(6).reshape(2, 3) % 3).to(getattr(lib, name)))
        for name in ("bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
                     "complex128"))
    state.update(base=base, moved=base.transpose(0, 2), block=base[1, 1:, ::2], scalar=lib.tensor(3.5),
                 empty=lib.zeros(0, 4), expanded=lib.ones(3)[:, None].expand(3, 4),
                 channels_last=lib.ones(2, 3, 4, 5).to(memory_format=lib.channels_last),
                 parameter=lib.nn.Parameter(lib.ones(2, 2)), leaf=lib.ones(3, requires_grad=True),
                 nested={"list": [base[0], (base[1], 2, "x")], "plain": (1.5, None, True), "size": lib.Size([2, 3]),
                         "dtype": lib.float16, "device": lib.device("cpu")})
    return state


def _compare_loaded(ours, theirs, storages):
    """Recursively: same types, tensors with the same layout, values and flags; ``storages`` collects
    (our storage, their storage) pointers for the sharing check."""
    if isinstance(theirs, torch.Tensor):
        assert type(ours).__name__ == type(theirs).__name__
        _same(ours.detach(), theirs.detach())
        assert ours.requires_grad == theirs.requires_grad
        storages.append((ours.untyped_storage().data_ptr(), theirs.untyped_storage().data_ptr()))
    elif isinstance(theirs, dict):
        assert type(ours).__name__ == type(theirs).__name__ and list(ours) == list(theirs)
        for key in theirs:
            _compare_loaded(ours[key], theirs[key], storages)
    elif isinstance(theirs, (list, tuple)) and not isinstance(theirs, torch.Size):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for mine, other in zip(ours, theirs):
            _compare_loaded(mine, other, storages)
    else:
        assert str(ours).replace("torchless", "torch") == str(theirs)


def _same_sharing(storages):
    # tensors share a storage in one load exactly when they do in the other
    assert len(set(storages)) == len({ours for ours, _ in storages}) == len({theirs for _, theirs in storages})


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("zip_format", [True, False])
@pytest.mark.parametrize("writer", ["torch", "torchless"])
def test_checkpoints_exchanged_with_torch_load_identically(writer, zip_format, weights_only):
    buffer = io.BytesIO()
    saver = torch if writer == "torch" else torchless
    saver.save(_checkpoint(saver), buffer, _use_new_zipfile_serialization=zip_format)
    ours = torchless.load(io.BytesIO(buffer.getvalue()), weights_only=weights_only)
    theirs = torch.load(io.BytesIO(buffer.getvalue()), weights_only=weights_only)
    storages = []
    _compare_loaded(ours, theirs, storages)
    _same_sharing(storages)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocol_is_written_as_torch_writes_it(protocol):
    pickles = []
    for lib in (torch, torchless):
        buffer = io.BytesIO()
        lib.save({"w": lib.arange(6.).reshape(2, 3)[:, 1:], "n": [1, "x", 2.5]}, buffer, pickle_protocol=protocol)
        pickles.append(zipfile.ZipFile(buffer).read("archive/data.pkl"))
    assert pickles[1] == pickles[0]
    # a weights-only torch.load refuses the framed pickles of protocols 4 and 5, whoever wrote them
    for lib in (torch, torchless):
        buffer = io.BytesIO()
        lib.save({"w": lib.ones(2)}, buffer, pickle_protocol=protocol)
        loads = True
        try:
            torch.load(io.BytesIO(buffer.getvalue()))
        except pickle.UnpicklingError:
            loads = False
        assert loads == (protocol < 4)
        assert torchless.load(io.BytesIO(buffer.getvalue()))["w"].tolist() == [1.0, 1.0]


# files that are no checkpoint: torch.load reads their first pickle, expecting the legacy format's magic number
_NOT_CHECKPOINTS = {
    "text": b"hello world garbage", "json": b'{"a": 1}', "zeros": b"\0" * 100, "png": b"\x89PNG\r\n\x1a\n\0\0",
    "jpeg": b"\xff\xd8\xff\xe0", "none": b"N.", "truncated_int": b"K", "int_then_end": b"K\x05", "mark": b"(",
    "empty_tuple_of_mark": b"(t.", "tuple1_of_nothing": b"\x85.", "tuple2_of_one": b"K\x01\x86.",
    "append_to_dict": b"}K\x01a.", "setitem_on_list": b"]K\x01s.", "put_on_empty": b"q\x01", "get_missing": b"h\x05",
    "long_get_missing": b"j\x01\x00\x00\x00", "bad_utf8": b"X\x02\x00\x00\x00\xff\xfe.",
    "bad_short_string": b"U\x02\xff\xfe.", "long1": b"\x8a\x02\x01\x02.", "short_float": b"G\x00",
    "unhashable_key": b"}(K\x01]]u.", "appends_without_mark": b"]e", "reduce_of_int": b"K\x01)R.",
    "persistent_id_int": b"K\x01Q.", "persistent_id_name": b"X\x01\x00\x00\x00x\x85Q.", "newobj": b"K\x01)\x81.",
    "blocked_global": b"cos\nsystem\n.", "unknown_global": b"cmypackage\nthing\n.",
    "npy": b"\x93NUMPY\x01\x00", "pickle2": pickle.dumps({"a": [1, 2.5, None, "x", (1,)], 3: True}, protocol=2),
    "pickle4": pickle.dumps({"a": [1, 2.5]}, protocol=4), "pickle0": pickle.dumps([1, "x"], protocol=0),
    "big_int": pickle.dumps(12345678901234567890, protocol=2),
}
_RUNS_CODE = ("blocked_global", "unknown_global")  # which torch.load(weights_only=False) would import


def _outcome(lib, data, weights_only):
    try:
        return "loaded", lib.load(io.BytesIO(data), weights_only=weights_only)
    except Exception as error:  # (any: the test compares torch's with ours)
        return type(error).__name__, str(error).replace("torchless", "torch")


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("name", sorted(_NOT_CHECKPOINTS))
def test_files_that_are_no_checkpoint_fail_as_in_torch(name, weights_only):
    if name in _RUNS_CODE and not weights_only:
        pytest.skip("torch would import the global")
    data = _NOT_CHECKPOINTS[name]
    theirs = _outcome(torch, data, weights_only)
    assert _outcome(torchless, data, weights_only) == theirs
    if theirs[0] != "loaded":  # still a CheckpointError, as every error of torchless.load about what a file is
        with pytest.raises(torchless.serialization.CheckpointError):
            torchless.load(io.BytesIO(data), weights_only=weights_only)


def test_a_pickle_of_objects_is_never_run_even_without_weights_only(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    data = pickle.dumps(Exploit(), protocol=2)
    for weights_only in (True, False):
        with pytest.raises(torchless.serialization.CheckpointError):
            torchless.load(io.BytesIO(data), weights_only=weights_only)
    assert not (tmp_path / "pwned").exists()


def test_deepcopy_of_a_view_is_a_tensor_of_its_own_sharing_the_copied_memory():
    for lib in (torchless, torch):
        base = lib.arange(12.).reshape(3, 4)
        base.note = "kept"
        copied_base, copied_view, copied_t = copy.deepcopy([base, base[1:, 1:], base.t()])
        assert not copied_view._is_view() and copied_view._base is None
        assert (copied_view.stride(), copied_view.storage_offset()) == ((4, 1), 5)
        assert copied_t.stride() == (1, 4) and copied_base.note == "kept"
        assert copied_view.untyped_storage().data_ptr() == copied_base.untyped_storage().data_ptr()
        # a recorded in-place op on the copied base shows through the copied view, as in PyTorch
        weight = lib.ones(3, 4, requires_grad=True)
        copied_base.add_(weight)
        assert copied_view[0, 0].item() == 6.0 and base[1, 1].item() == 5.0
        (copied_base * copied_base).sum().backward()
        np.testing.assert_allclose(weight.grad.numpy(), 2 * (np.arange(12.).reshape(3, 4) + 1))
        view_alone = copy.deepcopy(base[1:])
        assert (view_alone._is_view(), view_alone.storage_offset(), view_alone.untyped_storage().nbytes()) == \
            (False, 4, 48)


def test_deepcopy_refuses_non_leaves_with_pytorchs_message():
    with pytest.raises(RuntimeError) as theirs:
        copy.deepcopy(torch.ones(2, requires_grad=True) * 2)
    with pytest.raises(RuntimeError) as ours:
        copy.deepcopy(torchless.ones(2, requires_grad=True) * 2)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("lib_name", ["torch", "torchless"])
def test_hub_loads_a_cached_single_file_zip_as_pytorchs_hub(tmp_path, monkeypatch, lib_name):
    """A checkpoint published as a zip of one file (before torch.save wrote zip archives) is extracted next to it
    in the cache and loaded; nothing is downloaded."""
    lib = torch if lib_name == "torch" else torchless
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(lib.hub, "_hub_dir", None)
    cache = tmp_path / "home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save({"w": torch.arange(2.0)}, tmp_path / "inner.pth", _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(cache / "legacy.zip", "w") as archive:
        archive.write(tmp_path / "inner.pth", "inner.pth")
    with pytest.warns(FutureWarning, match="Falling back to the old format < 1.6"):
        loaded = lib.hub.load_state_dict_from_url("https://example.com/models/legacy.zip", weights_only=True)
    assert loaded["w"].tolist() == [0.0, 1.0]
    assert sorted(os.listdir(cache)) == ["inner.pth", "legacy.zip"]
    # a file of its own format is loaded as it is, from model_dir under file_name
    torch.save({"w": torch.ones(1)}, tmp_path / "f.pt")
    loaded = lib.hub.load_state_dict_from_url("https://example.com/a/ignored.pt?x=1", model_dir=str(tmp_path),
                                              file_name="f.pt")
    assert loaded["w"].tolist() == [1.0]


def _local_function():
    def inner():
        pass
    return inner


@pytest.mark.parametrize("what", ["lambda", "local_function", "model_with_lambda"])
def test_save_refuses_what_pickle_cannot_name_in_pickles_words(what):
    def thing(lib):
        if what == "lambda":
            return {"f": lambda x: x}
        if what == "local_function":
            return [_local_function()]
        model = lib.nn.Linear(1, 1)
        model.act = lambda x: x
        return model

    errors = []
    for lib in (torch, torchless):
        with pytest.raises(Exception) as info:
            lib.save(thing(lib), io.BytesIO())
        errors.append((type(info.value), str(info.value)))
    assert errors[1] == errors[0]


@pytest.mark.filterwarnings("ignore::UserWarning")  # (TypedStorage is deprecated, in both libraries)
@pytest.mark.parametrize("kind", ["untyped", "typed"])
@pytest.mark.parametrize("writer", ["torch", "torchless"])
def test_storages_saved_on_their_own_load_as_typed_storages(writer, kind):
    saver = torch if writer == "torch" else torchless
    values = saver.arange(3.0)
    storage = values.untyped_storage() if kind == "untyped" else values.storage()
    buffer = io.BytesIO()
    saver.save({"storage": storage, "n": 1}, buffer)
    pickles = set()
    for lib in (torch, torchless):
        loaded = lib.load(io.BytesIO(buffer.getvalue()))["storage"]
        assert type(loaded).__name__ == "TypedStorage"
        assert str(loaded.dtype).split(".")[-1] == ("uint8" if kind == "untyped" else "float32")
        assert (loaded.nbytes(), list(loaded)) == (12, list(storage))
    if writer == "torchless":  # the same pickle as torch.save writes
        for lib in (torch, torchless):
            buffer = io.BytesIO()
            values = lib.arange(3.0)
            lib.save({"storage": values.untyped_storage() if kind == "untyped" else values.storage(), "n": 1}, buffer)
            pickles.add(zipfile.ZipFile(buffer).read("archive/data.pkl"))
        assert len(pickles) == 1


def test_dtypes_without_torchless_tensors_load_as_dtype_objects():
    buffer = io.BytesIO()
    torch.save({"dtypes": [torch.bfloat16, torch.uint16, torch.complex32]}, buffer)
    assert torchless.load(io.BytesIO(buffer.getvalue()))["dtypes"] == [torchless.bfloat16, torchless.uint16,
                                                                       torchless.complex32]


def test_weights_only_load_warns_of_a_protocol_other_than_2_as_torch():
    for lib in (torch, torchless):
        buffer = io.BytesIO()
        lib.save({"w": lib.ones(2)}, buffer, pickle_protocol=3)
        for reader in (torch, torchless):
            with pytest.warns(UserWarning, match=r"Detected pickle protocol 3 in the checkpoint, which was not the "
                                                 r"default pickle protocol used by `torch.load` \(2\)"):
                assert reader.load(io.BytesIO(buffer.getvalue()))["w"].tolist() == [1.0, 1.0]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            torchless.load(io.BytesIO(buffer.getvalue()), weights_only=False)


class _TorchlessSubclass(torchless.Tensor):
    pass


class _TorchSubclass(torch.Tensor):
    pass


def test_pickle_keeps_a_tensor_subclass():
    for lib, cls in ((torch, _TorchSubclass), (torchless, _TorchlessSubclass)):
        t = lib.arange(6.).reshape(2, 3)[:, 1:].as_subclass(cls)
        loaded = pickle.loads(pickle.dumps(t))
        assert type(loaded) is cls and (loaded.stride(), loaded.storage_offset()) == ((3, 1), 1)
        t.requires_grad_(True)
        loaded = pickle.loads(pickle.dumps(t))  # (made by as_subclass of a leaf requiring grad: no leaf, in PyTorch)
        assert (type(loaded), loaded.requires_grad, loaded.is_leaf) == (cls, True, False)
