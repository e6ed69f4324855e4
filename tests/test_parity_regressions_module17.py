"""Checkpoints as torch.save / torch.load keep them: tensors saved as views of one storage load as views of one
storage again (offsets, strides, shared memory), whichever library saves and whichever loads; optimizer state
saved by torchless continues training in torch. Every expectation comes from torch itself."""
import io

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

LIBRARIES = {"torch": torch, "torchless": torchless}


def views_of_one_storage(lib):
    """Tensors saved together: a base, views of it (slice, transpose, strided, expanded, channels-last) and an
    unrelated tensor."""
    base = lib.arange(24, dtype=lib.float32).reshape(4, 6)
    image = lib.arange(12, dtype=lib.float32).reshape(1, 3, 2, 2).contiguous(memory_format=lib.channels_last)
    return {"base": base, "row": base[1], "t": base.t()[2:], "strided": base[:, ::2], "flat": base.view(24)[5:9],
            "expanded": lib.ones(3, 1).expand(3, 4), "image": image, "empty": lib.zeros(0, 3),
            "other": lib.tensor([7.0, 8.0])}


def save(lib, obj, stream, format):
    if lib is torchless:
        lib.save(obj, stream, format=format)
    else:
        lib.save(obj, stream)


def load_saved(saver, loader, format="torch", build=views_of_one_storage):
    stream = io.BytesIO()
    save(LIBRARIES[saver], build(LIBRARIES[saver]), stream, format)
    stream.seek(0)
    return LIBRARIES[loader].load(stream)


def layout(tensors):
    """Each tensor's shape, strides, offset and values, and which of them share memory (by storage order)."""
    storages = {}
    described = {}
    for name, t in tensors.items():
        pointer = t.untyped_storage().data_ptr() if t.numel() else None
        group = storages.setdefault(pointer, len(storages)) if pointer is not None else None
        described[name] = (tuple(t.shape), t.stride(), t.storage_offset(), t.tolist(), group)
    return described


# (saver, loader, format): every way across the two libraries, both torchless formats
ROUTES = [("torch", "torchless", "torch"), ("torchless", "torch", "torch"), ("torchless", "torchless", "torch"),
          ("torchless", "torchless", "torchless")]


@pytest.mark.parametrize("saver,loader,format", ROUTES)
def test_views_saved_together_load_as_torch_loads_them(saver, loader, format):
    expected = layout(load_saved("torch", "torch"))
    assert layout(load_saved(saver, loader, format)) == expected


@pytest.mark.parametrize("saver,loader,format", ROUTES)
def test_writing_through_a_loaded_view_shows_in_the_others(saver, loader, format):
    def write_and_read(tensors):
        tensors["row"].fill_(-1.0)
        tensors["flat"][0] = 100.0
        return [tensors[name].tolist() for name in ("base", "t", "strided", "other")]

    assert write_and_read(load_saved(saver, loader, format)) == write_and_read(load_saved("torch", "torch"))


def test_a_view_saved_alone_keeps_its_whole_storage_as_torch_saves_it():
    def saved(lib, format):
        stream = io.BytesIO()
        save(lib, {"v": lib.arange(12.0).reshape(3, 4).t()[1:]}, stream, format)
        stream.seek(0)
        return stream

    expected = torch.load(saved(torch, None))["v"]
    for format in ("torch", "torchless"):
        loaded = torchless.load(saved(torchless, format))["v"]
        assert (loaded.stride(), loaded.storage_offset(), loaded.untyped_storage().nbytes()) == \
               (expected.stride(), expected.storage_offset(), expected.untyped_storage().nbytes())
    from_torchless = torch.load(saved(torchless, "torch"))["v"]
    assert (from_torchless.stride(), from_torchless.storage_offset(), from_torchless.untyped_storage().nbytes()) == \
           (expected.stride(), expected.storage_offset(), expected.untyped_storage().nbytes())


def test_parameters_viewing_one_storage_keep_their_class_and_requires_grad():
    def build(lib):
        base = lib.arange(6.0)
        return {"p": lib.nn.Parameter(base[1:3]), "q": lib.nn.Parameter(base[3:], requires_grad=False),
                "base": base}

    def describe(tensors):
        return {k: (type(v).__name__, v.requires_grad, v.storage_offset(), v.tolist()) for k, v in tensors.items()}

    expected = describe(load_saved("torch", "torch", build=build))
    for saver, loader, format in ROUTES:
        assert describe(load_saved(saver, loader, format, build=build)) == expected


def test_mmap_needs_a_path():
    def error(lib):
        stream = io.BytesIO()
        save(lib, {"a": lib.ones(2)}, stream, "torch")
        stream.seek(0)
        with pytest.raises(Exception) as caught:
            lib.load(stream, mmap=True)
        return type(caught.value), str(caught.value)

    assert error(torchless) == error(torch)


def test_mmap_with_a_path_loads(tmp_path):
    path = tmp_path / "state.pt"
    torch.save({"a": torch.arange(3.0)}, path)
    assert torchless.load(path, mmap=True)["a"].tolist() == torch.load(path, mmap=True)["a"].tolist()


def small_cnn(lib, weights):
    nn = lib.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    with lib.no_grad():
        for parameter, value in zip(net.parameters(), weights):
            parameter.copy_(lib.tensor(value))
    return net


def train_steps(lib, net, optimizer, inputs, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        net(lib.tensor(inputs)).pow(2).mean().backward()
        optimizer.step()


@pytest.mark.parametrize("make_optimizer", [
    lambda lib, params: lib.optim.Adam(params, lr=1e-2, weight_decay=1e-3),
    lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    lambda lib, params: lib.optim.AdamW(params, lr=1e-2, amsgrad=True),
])
def test_optimizer_state_saved_by_torchless_continues_training_in_torch(make_optimizer):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) for s in [(2, 1, 3, 3), (2,), (3, 8), (3,)]]
    inputs = rng.standard_normal((4, 1, 4, 4)).astype(np.float32)

    def resumed_in_torch(lib):
        net = small_cnn(lib, weights)
        optimizer = make_optimizer(lib, net.parameters())
        train_steps(lib, net, optimizer, inputs, 3)
        stream = io.BytesIO()
        save(lib, {"model": net.state_dict(), "optimizer": optimizer.state_dict()}, stream, "torch")
        stream.seek(0)
        checkpoint = torch.load(stream, weights_only=True)
        resumed = small_cnn(torch, weights)
        resumed.load_state_dict(checkpoint["model"])
        resumed_optimizer = make_optimizer(torch, resumed.parameters())
        resumed_optimizer.load_state_dict(checkpoint["optimizer"])
        train_steps(torch, resumed, resumed_optimizer, inputs, 3)
        return [p.detach().numpy() for p in resumed.parameters()], resumed_optimizer.state_dict()

    got, got_state = resumed_in_torch(torchless)
    expected, expected_state = resumed_in_torch(torch)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert got_state["param_groups"] == expected_state["param_groups"]
    assert {k: sorted(v) for k, v in got_state["state"].items()} == \
           {k: sorted(v) for k, v in expected_state["state"].items()}


@pytest.mark.parametrize("format", ["torch", "torchless"])
def test_saving_to_a_directory_fails_as_in_torch(tmp_path, format):
    def error(lib):
        with pytest.raises(Exception) as caught:
            save(lib, {"a": lib.ones(1)}, tmp_path, format)
        return type(caught.value), str(caught.value)

    assert error(torchless) == error(torch)
    assert list(tmp_path.parent.glob(f".{tmp_path.name}.*.tmp")) == []  # no temporary file left beside it


@pytest.mark.parametrize("format", ["torch", "torchless"])
@pytest.mark.parametrize("views", [
    lambda lib, b: [b, b.view(lib.float32)],
    lambda lib, b: [b[1:], b.view(lib.float32)[:1]],
    lambda lib, b: [b, b.view(lib.int16)],
    lambda lib, b: [b.view(lib.float32)],
    lambda lib, b: [b, b[2:]],
])
def test_views_of_one_memory_as_different_dtypes_are_refused_as_in_torch(format, views):
    def outcome(lib):
        try:
            save(lib, views(lib, lib.arange(4, dtype=lib.int32)), io.BytesIO(), format)
        except RuntimeError as error:
            return str(error)
        return "saved"

    assert outcome(torchless) == outcome(torch)
