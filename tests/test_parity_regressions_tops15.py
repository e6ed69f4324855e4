"""ATen's CNN entry points in the torch namespace (torch.convolution, native_batch_norm, conv_tbc, grid_sampler, the
RNN cells, ...) and the namespace forms of F's functions: signatures, returned tuples, gradients and errors against
PyTorch, with NumPy references where they say more."""
import warnings

import numpy as np
import pytest

import torchless

_RNG = np.random.default_rng(15)


def _randn(*shape, dtype=np.float32):
    return _RNG.standard_normal(shape).astype(dtype)


def _convert(value, lib):
    if isinstance(value, np.ndarray):
        return lib.tensor(value)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
        return type(value)(lib.tensor(v) for v in value)
    if value == "float64":
        return lib.float64
    return value


def _run(lib, name, args, kwargs, seed=0):
    """The outcome of ``lib.<name>(*args, **kwargs)``: each returned tensor's (shape, dtype name, values) (other
    values as they are), or the exception's (type name, message)."""
    lib.manual_seed(seed)
    fn = lib
    for part in name.split("."):
        fn = getattr(fn, part)
    args = [_convert(a, lib) for a in args]
    kwargs = {k: _convert(v, lib) for k, v in kwargs.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (any exception is an outcome to compare)
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, tuple) else (result,)
    return [(tuple(r.shape), str(r.dtype).split(".")[-1], r.detach().numpy().copy()) if hasattr(r, "shape") else r
            for r in results]


def _assert_same(name, *args, **kwargs):
    torch = pytest.importorskip("torch")
    expected, got = _run(torch, name, args, kwargs), _run(torchless, name, args, kwargs)
    if isinstance(expected, tuple) or isinstance(got, tuple):
        assert got == expected, name
        return
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        if not isinstance(e, tuple):
            assert g == e
            continue
        assert g[:2] == e[:2], name
        tolerance = 2e-3 if e[1] == "float16" else 1e-5  # (half: an ulp where the rounding order differs)
        np.testing.assert_allclose(g[2].astype(np.float64), e[2].astype(np.float64), rtol=tolerance * 10,
                                   atol=tolerance)


# ---------------------------------------------------------------------------- convolution
_X, _W = _randn(2, 4, 7, 7), _randn(6, 4, 3, 3)


@pytest.mark.parametrize("args", [
    (_X, _W, _randn(6), [1], [0], [1], False, [0], 1),
    (_X, _W, None, [2, 1], [1, 2], [1, 2], False, [0, 0], 1),
    (_randn(2, 4, 9), _randn(4, 2, 3), _randn(4), [2], [1], [2], False, [0], 2),
    (_randn(1, 2, 4, 5, 5), _randn(3, 2, 2, 2, 2), None, [1], [0], [1], False, [0], 1),
    (_X, _randn(4, 3, 3, 3), _randn(6), [2], [1], [1], True, [1], 2),
    # ATen's checks: parameter lengths, groups, ranks, signs, bias, types
    (_X, _W, None, [1, 1, 1], [1], [1], False, [0], 1),
    (_X, _W, None, [], [], [], False, [], 1),
    (_X, _W, None, [1], [0], [1], False, [0], 0),
    (_X, _W, None, [1], [0], [1], False, [0], 2),
    (_X[0], _W, None, [1], [0], [1], False, [0], 1),
    (_X, _randn(6, 4), None, [1], [0], [1], False, [0], 1),
    (_X, _W, None, [0], [0], [1], False, [0], 1),
    (_X, _W, None, [1], [-1], [1], False, [0], 1),
    (_X, _W, _randn(5), [1], [0], [1], False, [0], 1),
    (_X, _W, _randn(6, dtype=np.float64), [1], [0], [1], False, [0], 1),  # (at::convolution's wording)
    (_X, _randn(4, 3, 3, 3), None, [2], [1], [1], True, [3], 2),
    (_X, _W, None, 1, [0], [1], False, [0], 1),
    (_X, _W, None, [1], [0], [1], False, [0], 1.0),
    (_X,),
])
def test_convolution(args):
    _assert_same("convolution", *args)


def test_convolution_keywords_and_private_forms():
    _assert_same("convolution", _X, _W, None, stride=[1], padding=[0], dilation=[1], transposed=False,
                 output_padding=[0], groups=1)
    _assert_same("convolution", _X, _W, None, [1], [0], [1], False, [0], 1, foo=2)
    _assert_same("_convolution", _X, _W, None, [1], [0], [1], False, [0], 1, False, False, True, True)
    _assert_same("_convolution", _X, _W, None, [1], [0], [1], False, [0], 1, False, False, True)  # deprecated form
    _assert_same("_convolution_mode", _X, _W, None, [1], "same", [2], 1)
    _assert_same("_convolution_mode", _X, _W, None, [1], "foo", [1], 1)
    _assert_same("_convolution_mode", _X, _W, None, [2], "same", [1], 1)


def _conv_tbc_reference(x, w, b, pad):
    x = np.pad(x.astype(np.float64), ((max(pad, 0),) * 2, (0, 0), (0, 0)))
    if pad < 0:
        x = x[-pad:pad]
    steps = x.shape[0] - w.shape[0] + 1
    return b + sum(x[k:k + steps] @ w[k] for k in range(w.shape[0]))


@pytest.mark.parametrize("pad", [0, 1, 2, -1])
def test_conv_tbc_is_a_time_major_conv1d(pad):
    x, w, b = _randn(7, 2, 4), _randn(3, 4, 5), _randn(5)
    got = torchless.conv_tbc(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), pad)
    np.testing.assert_allclose(got.numpy(), _conv_tbc_reference(x, w, b, pad), rtol=1e-5, atol=1e-5)
    _assert_same("conv_tbc", x, w, b, pad)
    _assert_same("nn.functional.conv_tbc", x, w, b, pad=pad)


@pytest.mark.parametrize("args", [
    (_randn(2, 4), _randn(3, 4, 5), _randn(5)), (_randn(7, 2, 4), _randn(4, 5), _randn(5)),
    (_randn(7, 2, 4), _randn(3, 4, 5), _randn(1, 5)), (_randn(7, 2, 4), _randn(3, 3, 5), _randn(5)),
    (_randn(7, 2, 4), _randn(3, 4, 5), _randn(4)), (_randn(7, 2, 4), _randn(9, 4, 5), _randn(5)),
    (_randn(7, 2, 4), _randn(8, 4, 5), _randn(5)), (_randn(7, 2, 4, dtype=np.float64), _randn(3, 4, 5), _randn(5)),
    (_randn(7, 2, 4), _randn(3, 4, 5)),
])
def test_conv_tbc_errors(args):
    _assert_same("conv_tbc", *args)


@pytest.mark.parametrize("pad", [(1, 2), (0, 1, 2, 0), (-1, 2), (), (1, 2, 3), (1,) * 6, (-2, -2)])
def test_constant_pad_nd(pad):
    y = _randn(2, 3)
    _assert_same("constant_pad_nd", y, pad, 2.5)
    if len(pad) % 2 == 0 and len(pad) <= 4 and min(pad, default=0) >= 0:
        widths = [(0, 0)] * (2 - len(pad) // 2) + [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)][::-1]
        got = torchless.constant_pad_nd(torchless.tensor(y), pad, 2.5)
        np.testing.assert_array_equal(got.numpy(), np.pad(y, widths, constant_values=2.5))


def test_constant_pad_nd_values_and_arguments():
    y = _randn(2, 3)
    _assert_same("constant_pad_nd", y.astype(np.int64), (1, 1), 1.5)
    _assert_same("constant_pad_nd", y.astype(np.uint8), (1, 1), -1)  # (an int Scalar: uint8 takes -1 as 255)
    _assert_same("constant_pad_nd", y.astype(np.int8), (1, 1), 300)
    _assert_same("constant_pad_nd", y, (-1, 0), 1 + 2j)  # (a crop reads no value)
    _assert_same("constant_pad_nd", y, (1, 1), 1 + 2j)
    _assert_same("constant_pad_nd", y, 1)
    _assert_same("constant_pad_nd", y, (1, 1), "a")
    _assert_same("constant_pad_nd", y, pad=(1, 1), value=3)


def test_convolution_gradients():
    torch = pytest.importorskip("torch")
    arrays = [_randn(2, 4, 7, dtype=np.float64), _randn(4, 3, 3, dtype=np.float64), _randn(3, dtype=np.float64)]
    grads = []
    for lib in (torch, torchless):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = lib.convolution(x, w, b, [2], [1], [2], True, [1], 1)
        (out * lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))).sum().backward()
        tbc = lib.conv_tbc(x.permute(2, 0, 1).contiguous(), w.permute(2, 0, 1).contiguous(), b, 1)
        tbc.pow(2).sum().backward()
        grads.append([t.grad.numpy() for t in (x, w, b)])
    for g, e in zip(*grads[::-1]):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------- normalization
_XB, _ZEROS, _ONES = _randn(4, 3, 5), np.zeros(3, np.float32), np.ones(3, np.float32)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_native_batch_norm_returns_the_saved_statistics(training, dtype):
    x = _XB.astype(dtype)
    stats = np.float32 if dtype == np.float16 else dtype
    _assert_same("native_batch_norm", x, None, None, _ZEROS.astype(stats), _ONES.astype(stats), training, 0.1, 1e-5)
    out, mean, invstd = torchless.native_batch_norm(torchless.tensor(x), None, None, None, None, True, 0.1, 1e-5)
    np.testing.assert_allclose(mean.numpy(), x.astype(np.float64).mean((0, 2)), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(invstd.numpy(), 1 / np.sqrt(x.astype(np.float64).var((0, 2)) + 1e-5), rtol=1e-3)


def test_native_batch_norm_forms():
    w, b = _randn(3), _randn(3)
    _assert_same("native_batch_norm", _XB, w, b, None, None, True, 0.1, 1e-5)
    _assert_same("native_batch_norm", _randn(4, 3, 2, 2, 2), None, None, None, None, True, 0.1, 1e-3)
    _assert_same("native_batch_norm", _XB, w, b, _ZEROS, _ONES, True, 0.1)
    _assert_same("_native_batch_norm_legit", _XB, w, b, _ZEROS, _ONES, True, 0.1, 1e-5)
    _assert_same("_native_batch_norm_legit", _XB, w, b, True, 0.1, 1e-5)
    _assert_same("_native_batch_norm_legit_no_training", _XB, w, b, _ZEROS, _ONES, 0.1, 1e-5)
    _assert_same("_batch_norm_impl_index", _XB, w, b, _ZEROS, _ONES, False, 0.1, 1e-5, False)
    for training in (True, False):  # an empty input: the native function refuses it in training only
        _assert_same("native_batch_norm", np.zeros((0, 3, 4), np.float32), None, None, _ZEROS, _ONES, training, 0.1,
                     1e-5)
        _assert_same("native_batch_norm", _randn(5), None, None, _ZEROS, _ONES, training, 0.1, 1e-5)


def test_running_statistics_are_updated_in_place():
    torch = pytest.importorskip("torch")
    stats = []
    for lib in (torch, torchless):
        mean, var = lib.zeros(3), lib.ones(3)
        lib.native_batch_norm(lib.tensor(_XB), None, None, mean, var, True, 0.3, 1e-5)
        lib.batch_norm_update_stats(lib.tensor(_XB), mean, var, 0.1)
        stats.append(np.concatenate([mean.numpy(), var.numpy()]))
    np.testing.assert_allclose(stats[1], stats[0], rtol=1e-5, atol=1e-6)


def test_namespace_norms_lack_the_python_checks_of_f():
    # torch.batch_norm / instance_norm / group_norm are the native functions: F's ValueErrors are not theirs
    _assert_same("batch_norm", _randn(4, 3), None, None, None, None, True, 0.1, 0.0, False)
    _assert_same("native_batch_norm", _randn(1, 3) * 0, None, None, None, None, True, 0.1, 1e-5)
    _assert_same("group_norm", _randn(1, 4, 1), 4)
    _assert_same("instance_norm", _randn(1, 3, 1) * 0, None, None, None, None, True, 0.1, 1e-5, False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_native_layer_and_group_norm(dtype):
    x = _XB.astype(dtype)
    _assert_same("native_layer_norm", x, [5], None, None, 1e-5)
    _assert_same("native_layer_norm", x, [3, 5], _randn(3, 5).astype(dtype), None, 1e-5)
    _assert_same("native_group_norm", x, None, _randn(3).astype(dtype), 4, 3, 5, 3, 1e-5)
    _assert_same("native_group_norm", x, None, None, 4, 3, 5, 1, 1e-5)
    out, mean, rstd = torchless.native_group_norm(torchless.tensor(x), None, None, 4, 3, 5, 1, 1e-5)
    np.testing.assert_allclose(mean.numpy(), x.astype(np.float64).reshape(4, 1, 15).mean(-1), rtol=1e-2, atol=1e-3)


def test_norm_errors():
    _assert_same("native_layer_norm", _XB, [4], None, None, 1e-5)
    _assert_same("native_layer_norm", _XB, [5], None, None)
    _assert_same("native_group_norm", _XB, None, None, 4, 3, 4, 3, 1e-5)
    _assert_same("native_group_norm", _XB, None, None, 4, 3, 5, 2, 1e-5)


# ---------------------------------------------------------------------------- dropout
_XD = _randn(4, 3, 5, 6)


@pytest.mark.parametrize("p, train", [(0.5, True), (0.5, False), (0.5, None), (0.0, True), (1.0, True), (1.5, True),
                                      (-0.5, False)])
def test_native_dropout(p, train):
    _assert_same("native_dropout", _XD, p, train)
    if 0 <= p < 1 and train is not False:
        out, mask = torchless.native_dropout(torchless.tensor(_XD), p, train)
        np.testing.assert_allclose(out.numpy(), _XD * mask.numpy() / (1 - p), rtol=1e-6)


def test_native_dropout_inputs():
    _assert_same("native_dropout", _XD, 0.5)
    _assert_same("native_dropout", _XD.astype(np.int64), 0.5, True)
    _assert_same("native_dropout", np.zeros((0, 3), np.float32), 0.5, True)


@pytest.mark.parametrize("name", ["feature_dropout", "feature_dropout_", "dropout", "alpha_dropout_",
                                  "feature_alpha_dropout"])
def test_namespace_dropouts(name):
    _assert_same(name, _XD, 0.5, True)
    _assert_same(name, _XD, 0.5, False)
    _assert_same(name, _XD, p=0.4, train=True)
    _assert_same(name, _XD, 1.5, True)  # the native RuntimeError, not F's ValueError
    _assert_same(name, _XD, 0.5)
    _assert_same(name, _XD, 0.5, training=True)


def test_feature_dropout_drops_whole_channels():
    out = torchless.feature_dropout(torchless.ones(8, 16, 3, 3), 0.5, True).numpy()
    per_channel = out.reshape(8, 16, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(out)) <= {0.0, 2.0}


# ---------------------------------------------------------------------------- grid sampling
_XG, _GRID = _randn(2, 3, 5, 5), (_RNG.random((2, 4, 4, 2)) * 2 - 1).astype(np.float32)


@pytest.mark.parametrize("interpolation", [0, 1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_grid_sampler_modes_as_ints(interpolation, padding):
    _assert_same("grid_sampler", _XG, _GRID, interpolation, padding, interpolation == 1)
    _assert_same("grid_sampler_2d", _XG, _GRID, interpolation, padding, True)


def test_grid_sampler_errors_and_3d():
    grid3 = (_RNG.random((2, 4, 4, 4, 3)) * 2 - 1).astype(np.float32)
    _assert_same("grid_sampler_2d", _XG[None], _GRID, 0, 0, True)
    _assert_same("grid_sampler_3d", _XG, _GRID, 0, 0, True)
    _assert_same("grid_sampler_3d", np.stack([_XG] * 2, 1), grid3, 1, 1, False)
    _assert_same("grid_sampler", np.stack([_XG] * 2, 1), grid3, 2, 0, True)
    _assert_same("grid_sampler", _XG, _GRID, 0, 0)


@pytest.mark.parametrize("theta, size", [
    (_randn(2, 2, 3), [2, 3, 4, 5]), (_randn(2, 3, 4), [2, 3, 4, 5, 6]), (_randn(2, 2, 3), [2, 3, 4]),
    (_randn(2, 2, 3), [2, 3, 4, 5, 6]), (_randn(2, 2, 3), [3, 3, 4, 5]), (_randn(2, 3), [2, 3, 4, 5]),
    (_randn(2, 3, 3), [2, 3, 4, 5]),
])
def test_affine_grid_generator(theta, size):
    _assert_same("affine_grid_generator", theta, size, False)
    _assert_same("affine_grid_generator", theta, size, True)


# ---------------------------------------------------------------------------- recurrent cells
_XR, _H = _randn(3, 4), _randn(3, 5)


def test_rnn_cells_against_the_formula():
    w_ih, w_hh, b_ih, b_hh = _randn(5, 4), _randn(5, 5), _randn(5), _randn(5)
    pre = _XR @ w_ih.T + b_ih + _H @ w_hh.T + b_hh
    for name, reference in (("rnn_tanh_cell", np.tanh(pre)), ("rnn_relu_cell", np.maximum(pre, 0))):
        got = getattr(torchless, name)(*(torchless.tensor(a) for a in (_XR, _H, w_ih, w_hh, b_ih, b_hh)))
        np.testing.assert_allclose(got.numpy(), reference, rtol=1e-5, atol=1e-5)
        _assert_same(name, _XR, _H, w_ih, w_hh, b_ih, b_hh)
        _assert_same(name, _XR, _H, w_ih, w_hh, b_hh=b_hh)


@pytest.mark.parametrize("args", [
    (_XR[0], _H[0]), (_XR[:, :3], _H), (_XR, _H[:2]), (_XR, _H[:, :3]), (_XR.reshape(3, 2, 2), _H),
])
def test_rnn_cell_checks(args):
    _assert_same("rnn_tanh_cell", *args, _randn(5, 4), _randn(5, 5))
    _assert_same("gru_cell", *args, _randn(15, 4), _randn(15, 5))


@pytest.mark.parametrize("name, gates", [("rnn_tanh_cell", 1), ("gru_cell", 3), ("lstm_cell", 4)])
@pytest.mark.parametrize("hidden, w_hh_width, w_ih_rows, w_hh_rows", [
    (5, 6, 5, 5), (5, 6, 6, 5), (6, 5, 6, 6), (6, 5, 5, 6), (5, 5, 5, 5)])
def test_rnn_cell_weight_checks_and_their_order(name, gates, hidden, w_hh_width, w_ih_rows, w_hh_rows):
    h = _randn(3, hidden)
    for x in (_XR, _XR[:, :3]):
        _assert_same(name, x, (h, h) if name == "lstm_cell" else h, _randn(gates * w_ih_rows, 4),
                     _randn(gates * w_hh_rows, w_hh_width))


def test_gru_and_lstm_cells():
    _assert_same("gru_cell", _XR, _H, _randn(15, 4), _randn(15, 5), _randn(15), _randn(15))
    w_ih, w_hh = _randn(20, 4), _randn(20, 5)
    _assert_same("lstm_cell", _XR, (_H, _H * 2), w_ih, w_hh, _randn(20), _randn(20))
    _assert_same("lstm_cell", _XR, hx=[_H, _H], w_ih=w_ih, w_hh=w_hh)
    for hx in ([_H], [_H, _H, _H], _H, (_H, _H[:, :3]), (_H, _H[:2])):
        _assert_same("lstm_cell", _XR, hx, w_ih, w_hh)
    _assert_same("lstm_cell", _XR)


# ---------------------------------------------------------------------------- the other entry points
def test_matrix_norms():
    y = _randn(2, 3, 4)
    for dim in ([1], [0, 1, 2], 1, []):
        _assert_same("frobenius_norm", y, dim)
    _assert_same("frobenius_norm", y.astype(np.int64), [1])
    _assert_same("frobenius_norm", y)
    for args in ((), ([1, 2],), ([1],), (True,), ([0, 2], True)):
        _assert_same("nuclear_norm", y, *args)
    _assert_same("nuclear_norm", y[0, 0])


def test_softmax_entry_points():
    y = _randn(2, 3, 4)
    for name in ("_softmax", "_log_softmax"):
        _assert_same(name, y, 1, False)
        _assert_same(name, y, 1, True)  # half_to_float: CUDA only
        _assert_same(name, y.astype(np.int64), 1, False)
        _assert_same(name, y, dim=2, half_to_float=False)
    masked = np.array([[-np.inf] * 3, [1, 2, 3]], np.float32)
    _assert_same("_safe_softmax", masked, 1)
    _assert_same("_safe_softmax", y, 1, "float64")
    np.testing.assert_array_equal(torchless._safe_softmax(torchless.tensor(masked), 1).numpy()[0], 0)


def test_softmax_backward_data():
    g = _randn(4, 3, 5)
    out = np.exp(g) / np.exp(g).sum(1, keepdims=True)
    _assert_same("_softmax_backward_data", g, out, 1, "float64")
    _assert_same("_log_softmax_backward_data", g, np.log(out), 1, "float64")
    _assert_same("_softmax_backward_data", g, out.astype(np.float16), 1, "float64")


def test_small_entry_points():
    y = _randn(2, 3, 4)
    _assert_same("_adaptive_avg_pool2d", y, (2, 3))
    _assert_same("_adaptive_avg_pool2d", y, (3, None))
    _assert_same("_adaptive_avg_pool3d", y, 3)
    for args in ((_randn(4, 5), (1, 1)), (y, [2]), (y.astype(np.int64), (1, 1)), (_randn(2, 3, 4, 5, 6), (1, 1))):
        _assert_same("_adaptive_avg_pool2d", *args)  # (the kernel's checks: no mean for a 1 x 1 output)
    _assert_same("affine_grid_generator", _randn(2, 2, 3), [2, 1, 0, 4], True)
    _assert_same("_prelu_kernel", y, _randn(4))
    _assert_same("_prelu_kernel", y, _randn(3))
    _assert_same("_prelu_kernel", y.astype(np.float64), _randn(1))
    _assert_same("_add_relu", y, y, alpha=2)
    _assert_same("_add_relu", y, 2, 3)
    _assert_same("_add_relu", y, "a")
    _assert_same("_add_relu_", y, 2.5)
    ints = np.array([1, 2, -3])
    _assert_same("_add_relu", ints, 2, 1.5)  # (the fused kernel truncates a float alpha for integers)
    _assert_same("_add_relu", ints, ints, alpha=1.5)
    _assert_same("_add_relu", ints.astype(np.uint8), 2)  # (a dtype the kernel lacks)
    _assert_same("_add_relu", y.astype(np.float16), y.astype(np.float16))
    _assert_same("_weight_norm_interface", _randn(4, 3, 2), _randn(4, 1, 1))
    _assert_same("_weight_norm_interface", _randn(4, 3, 2), _randn(2), 2)
    _assert_same("_weight_norm_interface", _randn(4, 3, 2), _randn(1, 3, 1), 1)
    _assert_same("_addmm_activation", _randn(3, 5), _randn(3, 4), _randn(4, 5), use_gelu=True)
    _assert_same("_fused_rms_norm", y, [4], None, None)
    _assert_same("_fused_rms_norm", y.astype(np.float16), [3, 4], None, 1e-3)
    _assert_same("_euclidean_dist", _randn(2, 3, 4), _randn(2, 5, 4))
    _assert_same("_trilinear", _randn(2, 3), _randn(2, 4), _randn(5, 3, 4), [1, 3], [1, 2], [0], [2, 3])


def test_embedding_renorm_():
    weight = _randn(5, 3)
    _assert_same("embedding_renorm_", weight, np.array([1, 3]), 0.5, 1.0)
    _assert_same("embedding_renorm_", weight, np.array([7]), 0.5, 1.0)
    leaf = torchless.tensor(weight, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torchless.embedding_renorm_(leaf, torchless.tensor([1]), 1.0, 2.0)


def test_ctc_loss_reduction_is_an_int():
    log_probs = np.log(_RNG.dirichlet(np.ones(5), size=(6, 2))).astype(np.float32)
    targets, input_lengths, target_lengths = np.array([[1, 2, 2], [3, 1, 0]]), [6, 5], [3, 2]
    for reduction in ((), (0, 0), (0, 1), (0, 2)):
        _assert_same("ctc_loss", log_probs, targets, input_lengths, target_lengths, *reduction)
    _assert_same("ctc_loss", log_probs, targets, np.array(input_lengths), np.array(target_lengths), 0, 2)


def test_packed_sequence_entry_points():
    x, lengths = _randn(4, 3, 5), np.array([4, 3, 2])
    _assert_same("_pack_padded_sequence", x, lengths, False)
    _assert_same("_pack_padded_sequence", _randn(3, 4, 2), lengths, True)
    _assert_same("_pack_padded_sequence", x, lengths.astype(np.int32), False)
    _assert_same("_pack_padded_sequence", x, np.array([2, 3, 4]), False)
    data, batch_sizes = _randn(9, 5), np.array([3, 3, 2, 1])
    _assert_same("_pad_packed_sequence", data, batch_sizes, False, -1.0, 0)
    _assert_same("_pad_packed_sequence", data, batch_sizes, True, -1.0, 6)
    _assert_same("_pad_packed_sequence", data, batch_sizes, True, -1, 2)


def test_gradients_of_the_entry_points():
    torch = pytest.importorskip("torch")
    calls = [
        ("native_batch_norm", [(4, 3, 5), (3,), (3,)], (None, None, True, 0.1, 1e-5)),
        ("native_group_norm", [(4, 6, 5), (6,), (6,)], (4, 6, 5, 2, 1e-5)),
        ("native_layer_norm", [(4, 3, 5)], ([3, 5], None, None, 1e-5)),
        ("native_dropout", [(4, 6, 5)], (0.3, True)),
        ("grid_sampler", [(2, 3, 5, 5), (2, 4, 4, 2)], (2, 1, True)),
        ("affine_grid_generator", [(2, 2, 3)], ([2, 3, 4, 5], False)),
        ("gru_cell", [(3, 4), (3, 5), (15, 4), (15, 5), (15,), (15,)], ()),
        ("_prelu_kernel", [(3, 4), (4,)], ()),
        ("_weight_norm_interface", [(4, 3), (4, 1)], (0,)),
        ("frobenius_norm", [(2, 3, 4)], ([1, 2],)),
    ]
    for name, shapes, rest in calls:
        arrays = [_RNG.uniform(-0.9, 0.9, shape) for shape in shapes]
        grads = []
        for lib in (torch, torchless):
            lib.manual_seed(0)
            inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = getattr(lib, name)(*inputs, *rest)
            out = out[0] if isinstance(out, tuple) else out
            (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))).sum().backward()
            grads.append([t.grad.numpy() for t in inputs])
        for got, expected in zip(grads[1], grads[0]):
            np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=name)


# ---------------------------------------------------------------------------- the namespace forms of F
@pytest.mark.parametrize("name, args, kwargs", [
    ("max_pool2d", (_X,), {}), ("avg_pool1d", (_randn(2, 4, 8),), {}), ("batch_norm", (_XB,), {"running_mean": _ZEROS}),
    ("batch_norm", (_XB, None, None, _ZEROS, _ONES, True, 0.1, 1e-5), {}),
    ("instance_norm", (_XB, None, None, None, None, True, 0.1, 1e-5), {}), ("group_norm", (_XB,), {}),
    ("threshold", (_XB, 0.1), {}), ("threshold", (_XB, 0.1, 2.0, True), {}), ("threshold_", (_XB, 0.1, 2.0), {}),
    ("embedding", (_randn(5, 3),), {}), ("layer_norm", (_XB, [5]), {"eps": 0.1, "cudnn_enable": False}),
    ("kl_div", (_XB,), {"foo": 1}), ("triplet_margin_loss", (), {}), ("prelu", (_XB,) * 3, {}),
    ("cosine_similarity", (_XB,), {}), ("rrelu", (), {}), ("adaptive_avg_pool1d", (_XB,) * 3, {}),
    ("poisson_nll_loss", (_XB, _XB, True, False, 1e-8), {}), ("_weight_norm", (_XB,), {"dim": 0}),
    ("embedding", (_randn(5, 3), np.array([1, 4]), 10), {}),  # (ATen checks no padding_idx range)
    ("embedding", (_randn(5, 3), np.array([1, 4]), -3), {}),
    ("embedding", (_randn(5, 3), np.array([1])), {"padding_idx": None}),
    ("cosine_similarity", (), {"x1": _randn(3, 4), "x2": _randn(3, 4), "dim": 0}),  # (no NumPy renaming)
    ("pairwise_distance", (), {"x1": _randn(3, 4), "x2": _randn(3, 4)}),
    ("batch_norm", (_XB, None, None, None, None, True, 0.1, 1e-5, 1), {}),  # (the cuDNN flags are bools)
    ("instance_norm", (_XB, None, None, None, None, True, 0.1, 1e-5, 1), {}),
    ("layer_norm", (_XB, [5], None, None, 1e-5, 1), {}), ("group_norm", (_XB, 3, None, None, 1e-5, 1), {}),
])
def test_namespace_forms_take_arguments_as_the_parser_does(name, args, kwargs):
    _assert_same(name, *args, **kwargs)


# ---------------------------------------------------------------------------- multi-layer recurrences
@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("layers, bidirectional, bias, batch_first, packed", [
    (1, False, True, False, False), (2, True, True, False, False), (2, False, False, True, False),
    (2, True, False, True, True)])
def test_recurrences_with_flat_weights(name, layers, bidirectional, bias, batch_first, packed):
    torch = pytest.importorskip("torch")
    module_type = {"lstm": "LSTM", "gru": "GRU"}.get(name, "RNN")
    options = {"nonlinearity": name[4:]} if name.startswith("rnn_") else {}
    torch.manual_seed(3)
    module = getattr(torch.nn, module_type)(4, 5, layers, bias=bias, batch_first=batch_first,
                                            bidirectional=bidirectional, **options).double()
    weights = [p.detach().numpy().copy() for p in module._flat_weights]
    x = _RNG.standard_normal((3, 5, 4) if batch_first else (5, 3, 4))
    states = _RNG.standard_normal((2, layers * (1 + bidirectional), 3, 5))
    results = []
    for lib in (torch, torchless):
        params, xs = [lib.tensor(w, requires_grad=True) for w in weights], lib.tensor(x, requires_grad=True)
        hx = [lib.tensor(s) for s in states] if name == "lstm" else lib.tensor(states[0])
        if packed:
            sequence = lib.nn.utils.rnn.pack_padded_sequence(xs, [5, 4, 2], batch_first=batch_first)
            out = getattr(lib, name)(sequence.data, sequence.batch_sizes, hx, params, bias, layers, 0.0, False,
                                     bidirectional)
        else:
            out = getattr(lib, name)(xs, hx, params, bias, layers, 0.0, False, bidirectional, batch_first)
        sum(t.sum() * (i + 1) for i, t in enumerate(out)).backward()
        results.append([t.detach().numpy() for t in out] + [xs.grad.numpy()] + [p.grad.numpy() for p in params])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)


def test_projected_lstm_and_the_generator():
    torch = pytest.importorskip("torch")
    module = torchless.nn.LSTM(4, 5, proj_size=3)
    x, states = torchless.randn(6, 2, 4), (torchless.zeros(1, 2, 3), torchless.zeros(1, 2, 5))
    torchless.manual_seed(0)
    out, h, c = torchless.lstm(x, states, module._flat_weights, True, 1, 0.0, False, False, False)
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((6, 2, 3), (1, 2, 3), (1, 2, 5))
    expected_out, (expected_h, expected_c) = module(x, states)
    np.testing.assert_allclose(out.detach().numpy(), expected_out.detach().numpy(), rtol=1e-6)
    drawn = torchless.rand(3).numpy()  # (the function draws nothing from the default generator)
    torchless.manual_seed(0)
    np.testing.assert_array_equal(drawn, torchless.rand(3).numpy())
    assert len(module._flat_weights) == len(torch.nn.LSTM(4, 5, proj_size=3)._flat_weights)


@pytest.mark.parametrize("name", ["ctc_loss", "_add_relu", "_add_relu_", "nuclear_norm", "_convolution",
                                  "_native_batch_norm_legit", "lstm_cell", "convolution", "native_batch_norm"])
def test_overloads_as_pytorch_prints_them(name):
    _assert_same(name, _XB, "a", "b")
    _assert_same(name, *([_XB] * 16))


def test_layouts_of_the_returned_tensors():
    torch = pytest.importorskip("torch")
    strides = []
    for lib in (torch, torchless):
        x = lib.tensor(_randn(2, 4, 6, 6)).to(memory_format=lib.channels_last)
        outs = (lib.native_group_norm(x, None, None, 2, 4, 36, 2, 1e-5)
                + lib.native_layer_norm(x, [6], None, None, 1e-5)
                + lib.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
                + (lib.convolution(x, lib.tensor(_W), None, [1], [1], [1], False, [0], 1),))
        strides.append([o.stride() for o in outs])
    assert strides[1] == strides[0]
