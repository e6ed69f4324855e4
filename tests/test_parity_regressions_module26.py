"""Regression tests for module26's findings: Module machinery, containers and checkpoints, compared with PyTorch.

Differences fixed:
- a whole model holding a MultiheadAttention (every Transformer layer) saved by torchless could not be loaded by
  torch.load: the class was pickled under torchless's module ``nn.modules.attention``, which PyTorch lacks. It
  (and Adafactor, UninitializedTensorMixin) now names PyTorch's home, as its type's repr does.
- a whole RNN/LSTM/GRU saved by torchless failed in torch.load (PyTorch's RNNBase.__setstate__ reads the
  ``_flat_weights`` list it pickles, a property in torchless): it is now pickled for PyTorch, and dropped from the
  instance when torchless loads PyTorch's pickle.
"""
import io

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
