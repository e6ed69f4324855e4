"""``torchless.jit``: scripted and traced modules run the model's own forward on shared parameters, print as
PyTorch's do, and survive ``jit.save`` / ``jit.load``; PyTorch's TorchScript archives are refused plainly."""
import io

import numpy as np
import pytest

import torchless
from helpers import assert_same_error, state_dict_from_torch


def _net_class(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 2, 3)
            self.drop = nn.Dropout(0.5)
            self.fc = nn.Linear(8, 3)
            self.scale = 2.0

        def forward(self, x):
            x = self.drop(lib.relu(self.conv1(x)))
            return self.fc(x.flatten(1)) * self.scale

    return Net


class PicklableNet(_net_class(torchless)):
    """A module-level class, which pickle can find again when a saved model is loaded."""


PicklableNet.__qualname__ = PicklableNet.__name__ = "PicklableNet"


def _input(lib):
    return lib.tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)), dtype=lib.float32)


def test_scripted_module_runs_the_forward_on_shared_parameters():
    model = _net_class(torchless)().eval()
    scripted = torchless.jit.script(model)
    assert isinstance(scripted, torchless.jit.ScriptModule)
    assert scripted.conv1.weight is model.conv1.weight
    assert list(scripted.state_dict()) == list(model.state_dict())
    np.testing.assert_array_equal(scripted(_input(torchless)).detach().numpy(),
                                  model(_input(torchless)).detach().numpy())
    with torchless.no_grad():
        model.fc.bias.add_(1)  # one set of tensors: the scripted module sees the change
    np.testing.assert_array_equal(scripted(_input(torchless)).detach().numpy(),
                                  model(_input(torchless)).detach().numpy())


def test_scripted_modules_have_their_own_training_flags():
    model = _net_class(torchless)()
    scripted = torchless.jit.script(model)
    scripted.eval()
    assert model.training and model.drop.training
    assert not scripted.training and not scripted.drop.training


@pytest.mark.parametrize("how", ["script", "trace"])
def test_reprs_match_torch(how):
    torch = pytest.importorskip("torch")

    def build(lib):
        model = _net_class(lib)().eval()
        return lib.jit.script(model) if how == "script" else lib.jit.trace(model, _input(lib))

    assert repr(build(torchless)) == repr(build(torch))


def test_save_and_load_round_trip(tmp_path):
    model = PicklableNet().eval()
    scripted = torchless.jit.script(model)
    path = tmp_path / "model.pt"
    scripted.save(str(path), _extra_files={"meta.txt": "mnist"})
    extra = {"meta.txt": ""}
    loaded = torchless.jit.load(str(path), _extra_files=extra)
    assert isinstance(loaded, torchless.jit.RecursiveScriptModule) and not loaded.training
    assert extra["meta.txt"] == b"mnist"
    np.testing.assert_array_equal(loaded(_input(torchless)).detach().numpy(),
                                  model(_input(torchless)).detach().numpy())
    buffer = io.BytesIO()
    torchless.jit.save(scripted, buffer)
    buffer.seek(0)
    assert list(torchless.jit.load(buffer).state_dict()) == list(model.state_dict())


def test_torch_weights_flow_into_a_scripted_torchless_model():
    torch = pytest.importorskip("torch")
    theirs = _net_class(torch)().eval()
    ours = _net_class(torchless)().eval()
    scripted = torchless.jit.script(ours)
    scripted.load_state_dict(state_dict_from_torch(theirs))
    np.testing.assert_allclose(scripted(_input(torchless)).detach().numpy(),
                               theirs(_input(torch)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_errors_match_torch():
    torch = pytest.importorskip("torch")

    def freeze_in_training(lib):
        return lib.jit.freeze(lib.jit.script(_net_class(lib)()))

    def save_unscripted(lib):
        return lib.jit.save(_net_class(lib)(), io.BytesIO())

    for fn in (freeze_in_training, save_unscripted):
        assert_same_error(lambda: fn(torch), lambda: fn(torchless))
    with pytest.raises(RuntimeError, match="failed finding central directory"):
        torchless.jit.load(io.BytesIO(b"not a zip archive"))


def test_torchscript_archives_from_torch_are_refused_plainly():
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 3)), buffer)
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="TorchScript program saved by PyTorch"):
        torchless.jit.load(buffer)


def test_entry_points_warn_as_deprecated_as_in_torch(tmp_path):
    model = PicklableNet()
    with pytest.warns(DeprecationWarning, match="`torch.jit.script` is deprecated"):
        scripted = torchless.jit.script(model)
    with pytest.warns(DeprecationWarning, match="`torch.jit.trace` is deprecated"):
        torchless.jit.trace(model, _input(torchless))
    with pytest.warns(DeprecationWarning, match="`torch.jit.save` is deprecated. Please switch to `torch.export`"):
        torchless.jit.save(scripted, str(tmp_path / "m.pt"))
    with pytest.warns(DeprecationWarning, match="`torch.jit.load` is deprecated"):
        torchless.jit.load(str(tmp_path / "m.pt"))


def test_functions_and_directives():
    doubled = torchless.jit.script(lambda x: x * 2)
    np.testing.assert_array_equal(doubled(torchless.ones(2)).numpy(), [2.0, 2.0])
    traced = torchless.jit.trace(lambda x: x + 1, torchless.ones(2))
    np.testing.assert_array_equal(traced(torchless.zeros(2)).numpy(), [1.0, 1.0])
    assert torchless.jit.ignore(len) is len and not torchless.jit.is_scripting()
    with pytest.raises(RuntimeError, match="example_kwarg_inputs should be a dict"):
        torchless.jit.trace(torchless.nn.Linear(2, 2))
