"""Regression tests for module26's findings: Module machinery, containers and checkpoints, compared with PyTorch.

Differences fixed:
- a whole model holding a MultiheadAttention (every Transformer layer) saved by torchless could not be loaded by
  torch.load: the class was pickled under torchless's module ``nn.modules.attention``, which PyTorch lacks. It
  (and Adafactor, UninitializedTensorMixin) now names PyTorch's home, as its type's repr does.
- a whole RNN/LSTM/GRU saved by torchless failed in torch.load (PyTorch's RNNBase.__setstate__ reads the
  ``_flat_weights`` list it pickles, a property in torchless): it is now pickled for PyTorch, and dropped from the
  instance when torchless loads PyTorch's pickle.
- a lazy layer not yet run could not be saved whole by torchless (its uninitialized parameters were pickled as
  tensors, which they are not), nor could PyTorch's be loaded (its load_state_dict pre-hook is a
  ``torch.nn.modules.module._WrappedHook``, which torchless lacked). Uninitialized parameters and buffers pickle
  as PyTorch's, by their class, and ``_register_load_state_dict_pre_hook`` keeps PyTorch's _WrappedHook (holding
  the module by a weak reference, so no reference cycle either).
- a Generator saved by torchless crashed torch.load (a segmentation fault: PyTorch's Generator.__setstate__ got
  torchless's instance dict), and PyTorch's could not be loaded (``torch._C.Generator`` had no counterpart). It
  now pickles as PyTorch's, ``torch._C.Generator`` with (seed, offset, state), and loads from either library in
  the state it was saved in.
- ``load``'s extra keyword arguments (``pickle_load_args``) were ignored whatever they were: a keyword PyTorch's
  unpickler does not take (any but ``encoding`` weights-only; pickle's four otherwise) raises its TypeError.

A deliberate difference kept: PyTorch 2.13's remove_spectral_norm misses its (now wrapped) load_state_dict pre-hook
and leaves it, after which the module refuses its own state dict ("Missing key(s) ... weight_orig, weight_u");
torchless unwraps the hook and removes it.
"""
import copy
import gc
import io
import weakref

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _as_torch(obj):
    buffer = io.BytesIO()
    torchless.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


def _as_torchless(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torchless.load(buffer, weights_only=False)


def _same_state(torch_module, torchless_module):
    expected = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    got = {k: v.detach().numpy() for k, v in torchless_module.state_dict().items()}
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])


@pytest.mark.parametrize("name", ["MultiheadAttention", "Adafactor", "UninitializedParameter", "UninitializedBuffer"])
def test_classes_name_pytorchs_home(name):
    namespace = "optim" if name == "Adafactor" else "nn"
    for attribute in ("__module__", "__qualname__"):
        ours = getattr(getattr(getattr(torchless, namespace), name), attribute)
        assert ours.replace("torchless", "torch") == getattr(getattr(getattr(torch, namespace), name), attribute)
    mixin = torchless.nn.parameter.UninitializedTensorMixin
    assert mixin.__module__ == torch.nn.parameter.UninitializedTensorMixin.__module__.replace("torch", "torchless")


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_layer_saved_whole_loads_in_torch(batch_first):
    torchless.manual_seed(0)
    layer = torchless.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=batch_first)
    loaded = _as_torch(layer).eval()
    assert type(loaded.self_attn) is torch.nn.MultiheadAttention
    _same_state(loaded, layer)
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)
    expected = loaded(torch.from_numpy(x)).detach().numpy()
    got = layer.eval()(torchless.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode, options", [
    *[(mode, options) for mode in ("RNN", "LSTM", "GRU")
      for options in ({}, {"num_layers": 2, "bidirectional": True}, {"bias": False})],
    ("LSTM", {"proj_size": 2}), ("RNN", {"nonlinearity": "relu", "batch_first": True})])
def test_recurrent_layer_saved_whole_loads_in_torch_and_back(mode, options):
    torchless.manual_seed(0)
    layer = getattr(torchless.nn, mode)(3, 4, **options)
    loaded = _as_torch(layer)
    assert type(loaded) is getattr(torch.nn, mode)
    _same_state(loaded, layer)
    assert [w.data_ptr() for w in loaded._flat_weights] == [w.data_ptr() for w in loaded.parameters()]
    x = np.random.default_rng(1).standard_normal((5, 2, 3)).astype(np.float32)
    expected = loaded(torch.from_numpy(x))[0].detach().numpy()
    np.testing.assert_allclose(layer(torchless.from_numpy(x))[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    # and PyTorch's pickle of it back: no stale list of weights left in the instance
    back = _as_torchless(loaded)
    assert "_flat_weights" not in vars(back)
    back.double()
    assert all(w.dtype == torchless.float64 for w in back._flat_weights)
    np.testing.assert_allclose(back(torchless.from_numpy(x).double())[0].detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


def _lazy_network(library):
    nn = library.nn
    return nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(3))


@pytest.mark.parametrize("direction", ["torchless->torch", "torch->torchless"])
def test_lazy_network_saved_whole_before_its_dry_run_loads_in_the_other_library(direction):
    source, target, move = ((torchless, torch, _as_torch) if direction == "torchless->torch"
                            else (torch, torchless, _as_torchless))
    loaded = move(_lazy_network(source))
    assert [type(layer).__name__ for layer in loaded] == ["LazyConv2d", "LazyBatchNorm2d", "Flatten", "LazyLinear"]
    assert all(isinstance(hook, target.nn.modules.module._WrappedHook)
               for layer in (loaded[0], loaded[1], loaded[3]) for hook in layer._load_state_dict_pre_hooks.values())
    # a state dict of the eager twin gives the placeholders their shapes; the dry run then leaves the values be
    target.manual_seed(0)
    eager = target.nn.Sequential(target.nn.Conv2d(2, 4, 3), target.nn.BatchNorm2d(4), target.nn.Flatten(),
                                 target.nn.Linear(16, 3))
    assert repr(loaded.load_state_dict(eager.state_dict())) == "<All keys matched successfully>"
    x = target.ones(2, 2, 4, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), eager(x).detach().numpy())
    assert [type(layer).__name__ for layer in loaded] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]
    assert not loaded[3]._forward_pre_hooks and not loaded[3]._load_state_dict_pre_hooks


@pytest.mark.parametrize("kind, requires_grad", [("UninitializedParameter", True), ("UninitializedParameter", False),
                                                  ("UninitializedBuffer", False)])
def test_uninitialized_tensor_pickles_as_pytorchs(kind, requires_grad):
    loaded = _as_torch({"x": getattr(torchless.nn, kind)(requires_grad)})["x"]
    expected = getattr(torch.nn, kind)(requires_grad)
    assert type(loaded) is type(expected) and loaded.requires_grad == expected.requires_grad
    back = _as_torchless({"x": loaded})["x"]
    assert type(back) is getattr(torchless.nn, kind) and back.requires_grad == requires_grad


def test_state_dict_of_a_lazy_layer_saves_as_torch_saves_it():
    loaded = _as_torch(torchless.nn.LazyLinear(2).state_dict())
    expected = torch.nn.LazyLinear(2).state_dict()
    assert list(loaded) == list(expected) and loaded._metadata == expected._metadata
    assert all(type(loaded[key]) is type(expected[key]) for key in expected)


def test_load_state_dict_pre_hook_is_pytorchs_wrapped_hook():
    calls = {}
    for library in (torch, torchless):
        layer = library.nn.Linear(2, 2)
        seen = []
        layer.register_load_state_dict_pre_hook(lambda module, *rest: seen.append(type(module).__name__))
        layer._register_load_state_dict_pre_hook(lambda *rest: seen.append(len(rest)))
        layer.load_state_dict(layer.state_dict())
        hooks = list(layer._load_state_dict_pre_hooks.values())
        calls[library.__name__] = (seen, [(type(h).__name__, h.with_module) for h in hooks])
        # the module is held weakly: dropping the last reference frees it at once, without the cycle collector
        gc.disable()
        try:
            alive = weakref.ref(layer)
            del layer
            assert alive() is None
        finally:
            gc.enable()
        with pytest.raises(RuntimeError, match="You are trying to call the hook of a dead Module!"):
            hooks[0]({}, "", {}, True, [], [], [])
    assert calls["torchless"] == calls["torch"] == (["Linear", 7], [("_WrappedHook", True), ("_WrappedHook", False)])


def test_deepcopied_lazy_layer_infers_its_own_shapes():
    lazy = torchless.nn.LazyLinear(3)
    copied = copy.deepcopy(lazy)
    copied(torchless.ones(2, 5))
    assert type(copied).__name__ == "Linear" and copied.weight.shape == (3, 5)
    assert type(lazy).__name__ == "LazyLinear" and lazy.has_uninitialized_params()
    lazy(torchless.ones(2, 4))
    assert lazy.weight.shape == (3, 4)


@pytest.mark.parametrize("kind", ["Linear", "Conv2d"])
def test_module_loads_state_dicts_once_spectral_norm_is_removed(kind):
    layer = torchless.nn.Linear(3, 2) if kind == "Linear" else torchless.nn.Conv2d(2, 3, 2)
    torchless.nn.utils.spectral_norm(layer)
    assert len(layer._load_state_dict_pre_hooks) == 1
    torchless.nn.utils.remove_spectral_norm(layer)
    assert not layer._load_state_dict_pre_hooks
    twin = torchless.nn.Linear(3, 2) if kind == "Linear" else torchless.nn.Conv2d(2, 3, 2)
    assert repr(layer.load_state_dict(twin.state_dict())) == "<All keys matched successfully>"
    np.testing.assert_array_equal(layer.weight.detach().numpy(), twin.weight.detach().numpy())


@pytest.mark.parametrize("direction", ["torchless->torch", "torch->torchless"])
@pytest.mark.parametrize("draws", [0, 5])
def test_generator_saved_in_one_library_continues_its_stream_in_the_other(direction, draws):
    source, target, move = ((torchless, torch, _as_torch) if direction == "torchless->torch"
                            else (torch, torchless, _as_torchless))
    generator = source.Generator().manual_seed(1234)
    source.randn(draws, generator=generator)
    loaded = move({"generator": generator, "device": source.device("cpu")})
    assert type(loaded["generator"]) is target.Generator and str(loaded["device"]) == "cpu"
    assert loaded["generator"].initial_seed() == 1234
    expected = torch.Generator().manual_seed(1234)
    torch.randn(draws, generator=expected)
    np.testing.assert_array_equal(target.randn(7, generator=loaded["generator"]).numpy(),
                                  torch.randn(7, generator=expected).numpy())


def test_generator_pickles_and_deepcopies_in_its_state():
    import pickle

    generator = torchless.Generator().manual_seed(7)
    torchless.rand(3, generator=generator)
    expected = torch.Generator().manual_seed(7)
    torch.rand(3, generator=expected)
    expected = torch.rand(4, generator=expected).numpy()
    for twin in (pickle.loads(pickle.dumps(generator)), copy.deepcopy(generator)):
        assert twin.initial_seed() == 7
        np.testing.assert_array_equal(torchless.rand(4, generator=twin).numpy(), expected)


def test_generator_checkpoint_is_refused_weights_only_naming_pytorchs_class():
    buffer = io.BytesIO()
    torchless.save(torchless.Generator(), buffer)
    for library in (torch, torchless):
        buffer.seek(0)
        with pytest.raises(Exception, match=r"GLOBAL torch\._C\.Generator was not an allowed global"):
            library.load(buffer)


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("arguments", [{"zz": 1}, {"errors": "strict"}, {"fix_imports": True}, {"encoding": "latin1"},
                                       {"buffers": None}, {"encoding": "utf-8", "mode": "r"}])
def test_load_refuses_the_keyword_arguments_pytorchs_unpickler_refuses(legacy, weights_only, arguments):
    import warnings

    outcomes = []
    for library in (torch, torchless):
        buffer = io.BytesIO()
        library.save(library.arange(3.0), buffer, _use_new_zipfile_serialization=not legacy)
        buffer.seek(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                outcomes.append(("ok", library.load(buffer, weights_only=weights_only, **arguments).tolist()))
            except TypeError as error:
                outcomes.append(("TypeError", str(error)))
        outcomes.append([str(w.message) for w in caught])
    assert outcomes[:2] == outcomes[2:]
