"""Regressions found by the lead in the twenty-fifth session, each checked against PyTorch or by hand."""
import collections
import io
import zipfile

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

Point = collections.namedtuple("Point", "x y")  # module-level, so that pickle can name it


def _torch_bytes(obj, **kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def _torchless_bytes(obj, **kwargs):
    buffer = io.BytesIO()
    torchless.save(obj, buffer, **kwargs)
    return buffer.getvalue()


# ------------------------------------------------------------------ save writes PyTorch's format by default
def test_default_save_is_read_by_torch_load_weights_only():
    torchless.manual_seed(0)
    model = torchless.nn.Sequential(torchless.nn.Conv2d(1, 4, 3), torchless.nn.BatchNorm2d(4))
    state = model.state_dict()
    loaded = torch.load(io.BytesIO(_torchless_bytes(state)))  # weights_only=True, PyTorch's default
    assert list(loaded) == list(state)
    for name, value in state.items():
        assert str(loaded[name].dtype) == f"torch.{value.dtype.name}"
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy())


def test_default_save_of_a_whole_model_loads_in_torch_as_its_model():
    torchless.manual_seed(0)
    model = torchless.nn.Conv2d(1, 2, 3)
    theirs = torch.load(io.BytesIO(_torchless_bytes(model)), weights_only=False)
    assert type(theirs) is torch.nn.Conv2d
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               model(torchless.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_legacy_flag_writes_torchs_legacy_format_by_default():
    data = _torchless_bytes({"w": torchless.arange(3.0)}, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(io.BytesIO(data))
    assert torch.load(io.BytesIO(data))["w"].tolist() == [0.0, 1.0, 2.0]


def test_safe_globals_of_torchless_classes_allow_their_torch_names():
    data = _torchless_bytes({"layer": torchless.nn.Linear(2, 3)})
    with pytest.raises(torchless.serialization.UnpicklingError, match="GLOBAL torch.nn.modules.linear.Linear"):
        torchless.load(io.BytesIO(data))
    with torchless.serialization.safe_globals([torchless.nn.Linear]):
        assert type(torchless.load(io.BytesIO(data))["layer"]) is torchless.nn.Linear


# ------------------------------------------------------------------ reading PyTorch files
def test_files_written_without_crc32_load_as_in_torch():
    torch.serialization.set_crc32_options(False)
    try:
        data = _torch_bytes({"w": torch.arange(6.0).reshape(2, 3)})
    finally:
        torch.serialization.set_crc32_options(True)
    assert torchless.load(io.BytesIO(data))["w"].tolist() == torch.load(io.BytesIO(data))["w"].tolist()


def test_flipped_bit_in_a_torch_file_is_refused():
    data = bytearray(_torch_bytes({"w": torch.arange(1000.0)}))
    data[data.index(np.float32(500).tobytes())] ^= 1
    with pytest.raises(torchless.serialization.CheckpointError, match="CRC-32"):
        torchless.load(io.BytesIO(bytes(data)))


@pytest.mark.parametrize("writer", ["torch", "torchless"])
def test_namedtuples_keep_their_class_when_not_weights_only(writer):
    point = Point(1, [2.5, "s"])
    data = _torch_bytes(point) if writer == "torch" else _torchless_bytes(point)
    loaded, expected = torchless.load(io.BytesIO(data), weights_only=False), torch.load(io.BytesIO(data),
                                                                                      weights_only=False)
    assert type(loaded) is type(expected) is Point and loaded == expected


def test_loaded_tensors_view_their_storage_without_a_copy():
    base = torch.arange(12.0)
    data = _torch_bytes({"a": base[2:8].view(2, 3), "b": base})
    loaded = torchless.load(io.BytesIO(data))
    expected = torch.load(io.BytesIO(data))
    assert loaded["a"].storage_offset() == expected["a"].storage_offset() == 2
    loaded["b"].add_(100)  # they share one storage, as in PyTorch
    expected["b"].add_(100)
    assert loaded["a"].tolist() == expected["a"].tolist()
    assert loaded["a"].numpy().flags.writeable


def test_big_endian_files_load_as_native():
    data = _torch_bytes({"w": torch.arange(5, dtype=torch.float64)}, _disable_byteorder_record=False)
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(archive_bytes, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith("/byteorder"):
                content = b"big"
            elif "/data/" in info.filename and not info.filename.endswith("serialization_id"):
                content = np.frombuffer(content, "<f8").astype(">f8").tobytes()
            target.writestr(info.filename, content)
    loaded = torchless.load(io.BytesIO(archive_bytes.getvalue()))
    assert loaded["w"].dtype == torchless.float64 and loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert loaded["w"].numpy().dtype.isnative


# ------------------------------------------------------------------ recurrent layers on the one-node split
def test_lstm_gradients_through_split_steps_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3, 4)).astype(np.float32)
    ours = torchless.nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    theirs = torch.nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    xs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xs[0])[0] ** 2).sum().backward()
    (theirs(xs[1])[0] ** 2).sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-4, atol=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_unpad_sequence_gradients_match_torch():
    from torch.nn.utils.rnn import unpad_sequence as theirs
    from torchless.nn.utils.rnn import unpad_sequence as ours

    x = np.random.default_rng(1).standard_normal((3, 5, 2)).astype(np.float32)  # batch first
    lengths = [5, 2, 3]
    results = []
    for lib, unpad in ((torchless, ours), (torch, theirs)):
        padded = lib.tensor(x, requires_grad=True)
        pieces = unpad(padded, lib.tensor(lengths), batch_first=True)
        assert [tuple(p.shape) for p in pieces] == [(5, 2), (2, 2), (3, 2)]
        sum((p * (i + 1)).sum() for i, p in enumerate(pieces)).backward()
        results.append(padded.grad.numpy())
    np.testing.assert_array_equal(*results)


# ------------------------------------------------------------------ torch.__version__
VERSION_OPERANDS = ["2.13", "2.13.0", "2.13.1", "2.13.0rc1", "2.14.0.dev20250101", "1.10", "2.12.9.post3", "3",
                    "2.13.0+torchless.0.1.0", "2.13.0+torchless.0.1.1", "2.13.0+cpu", "1!0.1", "parrot", "",
                    (2, 13), (2, 13, 0), (2, 13, 0, 1), [2, 12], (1, 10), (3,)]


@pytest.mark.parametrize("other", VERSION_OPERANDS, ids=repr)
def test_version_compares_as_torchs_torch_version(other):
    from torch.torch_version import TorchVersion

    ours, theirs = torchless.__version__, TorchVersion(str(torchless.__version__))
    for compare in ("__lt__", "__le__", "__eq__", "__ge__", "__gt__"):
        assert getattr(ours, compare)(other) == getattr(theirs, compare)(other), compare


def test_version_names_the_pytorch_release_followed_and_the_package_release():
    from importlib import metadata

    assert isinstance(torchless.__version__, str) and torchless.version.__version__ is torchless.__version__
    assert torchless.__version__.split("+")[0] == torch.__version__.split("+")[0]  # the oracle's release
    assert torchless.__version__ >= (2, 0) and torchless.__version__ >= "1.6" and not torchless.__version__ < "2.1"
    try:
        assert torchless.__version__.endswith(f"+torchless.{metadata.version('torchless')}")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        pass


def test_version_orders_as_pep_440():
    packaging_version = pytest.importorskip("packaging.version")
    from torchless.torch_version import Version

    forms = ["1", "1.0", "2", "10", "1a1", "1b2", "1rc1", "1.0c3", "1.dev3", "1.post2", "1-1", "1.0+x.2", "1.0+2",
             "1.0+x", "1!0", "1.0a1.dev2", "1.0.post1.dev1", "1.0rc1.post1", "v1.0", "1.0+X.02"]
    for a in forms:
        for b in forms:
            ours, theirs = Version(a), packaging_version.Version(a)
            assert (ours < Version(b), ours == Version(b)) == (theirs < packaging_version.Version(b),
                                                               theirs == packaging_version.Version(b)), (a, b)


# ------------------------------------------------------------------ silent non-finite reductions, complex gradients
REDUCTIONS = ["x.sum()", "x.mean()", "x.mean(0)", "x.nansum()", "x.nanmean()", "x.sum(dtype=x.dtype)"]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_inf_minus_inf_reductions_are_nan(dtype, reduce):
    for lib in (torch, torchless):
        x = lib.tensor([float("inf"), float("-inf"), 1.0], dtype=getattr(lib, dtype))
        assert np.isnan(eval(reduce, {"x": x}).item())


def test_inf_minus_inf_reductions_warn_nothing_as_in_torch():
    # in a fresh interpreter: pytest resets the warning filters torchless installs when imported
    import subprocess
    import sys

    program = ("import torchless\n"
               "for dtype in (torchless.float16, torchless.float32, torchless.float64):\n"
               "    x = torchless.tensor([float('inf'), float('-inf'), 1.0], dtype=dtype)\n"
               + "".join(f"    {reduce}\n" for reduce in REDUCTIONS))
    done = subprocess.run([sys.executable, "-W", "error", "-c", program], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]


def test_complex_gradient_keeps_the_strides_of_size_one_dims():
    strides = []
    for lib in (torch, torchless):
        z = lib.zeros(5, 1, dtype=lib.complex64, requires_grad=True)
        (lib.nn.functional.pad(z, (0, 0, 1, 2)) * (1 + 2j)).real.sum().backward()
        strides.append(z.grad.stride())
    assert strides[1] == strides[0]


# ------------------------------------------------------------------ kernels on an empty batch
@pytest.mark.parametrize("kernel, stride, padding", [((1, 3, 3), (1, 1, 1), ((0, 0), (1, 1), (1, 1))),
                                                     ((3, 3, 3), (2, 1, 1), ((1, 1), (1, 1), (1, 1)))],
                         ids=["depth-free", "depth-columns"])
def test_conv3d_input_gradient_kernel_of_an_empty_batch(kernel, stride, padding):
    from torchless._kernels import conv3d

    w = np.ones((4, 3) + kernel, np.float32)
    out_dhw = tuple((n + sum(p) - k) // s + 1 for n, p, k, s in zip((5, 6, 6), padding, kernel, stride))
    gx = conv3d.conv3d_backward_input(np.zeros((0, 4) + out_dhw, np.float32), w, (5, 6, 6), stride, padding,
                                      (1, 1, 1), 1)
    assert gx.shape == (0, 3, 5, 6, 6) and gx.dtype == np.float32
