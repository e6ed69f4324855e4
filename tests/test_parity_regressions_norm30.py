"""Parity regressions (session 30, normalisation layers): batch normalisation's output where its mean is large against
its spread, which PyTorch's CPU kernel computes as x * alpha + beta (per-channel linear terms, fused multiply-adds)
for an input in a contiguous layout, so that its rounding shows in the output; and the zero variance with eps 0."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _both(array, layout=None):
    """The same array as a torch and a torchless tensor, in ``layout`` (None, "channels_last")."""
    pair = torch.tensor(array), torchless.tensor(array)
    if layout is not None:
        pair = tuple(t.contiguous(memory_format=getattr(lib, layout)) for t, lib in zip(pair, (torch, torchless)))
    return pair


def _large_mean_batch(shape, dtype, seed=0):
    """1e4 plus noise of 1e-2: x * alpha and beta nearly cancel, their rounding reaching 1e-2 of the output."""
    return (np.random.default_rng(seed).standard_normal(shape) * 1e-2 + 1e4).astype(dtype)


LARGE_MEAN_SHAPES = [(2, 3), (4, 2, 5), (1, 4, 3), (3, 3, 4, 5), (2, 2, 3, 2, 2), (8, 3, 5, 5)]


@pytest.mark.parametrize("shape", LARGE_MEAN_SHAPES)
@pytest.mark.parametrize("affine", [False, True])
def test_training_batch_norm_of_a_large_mean_matches_pytorchs_rounding(shape, affine):
    x = _large_mean_batch(shape, np.float32)
    channels = shape[1]
    weight = np.linspace(-1.5, 2.0, channels, dtype=np.float32)
    bias = np.linspace(0.3, -0.4, channels, dtype=np.float32)
    outputs, running = [], []
    for lib, x_lib in zip((torch, torchless), _both(x)):
        mean, var = lib.zeros(channels), lib.ones(channels)
        w, b = (lib.tensor(weight), lib.tensor(bias)) if affine else (None, None)
        outputs.append(lib.nn.functional.batch_norm(x_lib, mean, var, w, b, training=True, momentum=0.3).numpy())
        running.append((mean.numpy(), var.numpy()))
    # PyTorch's own output is 1e-2 away from the exact normalisation here: only its arithmetic matches it
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-6)
    for theirs, ours in zip(*running):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", [None, "channels_last"])
def test_eval_batch_norm_with_large_running_mean_matches_pytorch(dtype, layout):
    x = _large_mean_batch((3, 4, 5, 6), dtype, seed=1)
    running_mean = (1e4 + np.arange(4) * 1e-3).astype(dtype)
    running_var = np.array([1e-4, 3e-5, 2e-4, 5e-5], dtype)
    weight, bias = np.array([1.0, -2.0, 0.5, 3.0], dtype), np.array([0.0, 0.1, -0.3, 2.0], dtype)
    outputs = []
    for lib, x_lib in zip((torch, torchless), _both(x, layout)):
        module = lib.nn.BatchNorm2d(4, dtype=getattr(lib, np.dtype(dtype).name)).eval()
        module.load_state_dict({"weight": lib.tensor(weight), "bias": lib.tensor(bias),
                                "running_mean": lib.tensor(running_mean), "running_var": lib.tensor(running_var),
                                "num_batches_tracked": lib.tensor(5)})
        y = module(x_lib)
        outputs.append((y.detach().numpy(), y.stride()))
    (theirs, their_strides), (ours, our_strides) = outputs
    assert our_strides == their_strides
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("level", [0.3, 7.77, 1000.1, 1e4])
def test_constant_channel_in_training_keeps_pytorchs_bias_rounding(level):
    outputs = []
    for lib in (torch, torchless):
        x = lib.full((4, 3, 2, 5), level)
        x[:, 1] += lib.arange(40.0).reshape(4, 2, 5) * 0.01
        w, b = lib.tensor([1.5, 2.0, -0.7]), lib.tensor([0.1, -0.2, 0.3])
        outputs.append(lib.nn.functional.batch_norm(x, None, None, w, b, training=True).numpy())
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-6)


def test_zero_variance_with_zero_eps_gives_the_bias_as_pytorch():
    """InvStd of a zero variance with eps 0 is 0 in ATen (not 1 / 0): the channel's output is its bias, its
    gradient 0, where 1 / sqrt(0) would spread NaNs."""
    results = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 2)
        x[:, 1] = lib.arange(4.0).reshape(2, 2)
        x.requires_grad_(True)
        bias = lib.tensor([0.5, -1.0, 2.0])
        y = lib.native_batch_norm(x, None, bias, None, None, True, 0.1, 0.0)[0]
        (grad,) = lib.autograd.grad((y * lib.arange(12.0).reshape(2, 3, 2)).sum(), x)
        results.append((y.detach().numpy(), grad.numpy()))
    (y_theirs, g_theirs), (y_ours, g_ours) = results
    np.testing.assert_array_equal(y_ours[:, [0, 2]], np.broadcast_to(np.array([0.5, 2.0])[None, :, None], (2, 2, 2)))
    np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-6)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-5, atol=1e-6)


def test_large_mean_batch_norm_gradients_match_pytorch():
    x = _large_mean_batch((4, 3, 6), np.float32, seed=2)
    upstream = np.random.default_rng(3).standard_normal(x.shape).astype(np.float32)
    grads = []
    for lib, x_lib in zip((torch, torchless), _both(x)):
        x_lib.requires_grad_(True)
        w = lib.tensor([1.0, -0.5, 2.0], requires_grad=True)
        b = lib.tensor([0.0, 0.3, -0.2], requires_grad=True)
        y = lib.nn.functional.batch_norm(x_lib, None, None, w, b, training=True)
        grads.append([g.numpy() for g in lib.autograd.grad((y * lib.tensor(upstream)).sum(), (x_lib, w, b))])
    for theirs, ours in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-2 * np.abs(theirs).max())


def test_native_batch_norm_saves_a_zero_invstd_for_a_zero_variance_with_zero_eps_silently():
    import warnings

    saved = []
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 2)
        x[:, 1] = lib.arange(4.0).reshape(2, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (NumPy's divide-by-zero warning: PyTorch gives none)
            saved.append([t.numpy() for t in lib.native_batch_norm(x, None, None, None, None, True, 0.1, 0.0)[1:]])
    for theirs, ours in zip(*saved):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert saved[1][1][0] == 0 and saved[1][1][2] == 0
