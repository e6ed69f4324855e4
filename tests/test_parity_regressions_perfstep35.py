"""Per-op overhead of the course CNN's batch-1 forward (session 35, perfstep35), each change bit-identical: a
convolution's finiteness checks by counting (np.count_nonzero) rather than all(); a remembered batch-1 convolution
call passing its algorithm, chosen once per float32 precision; the forward recipe's fused kernel rewritten through
views made once; one read of the per-thread mode state per new tensor (grad_mode.state.stamps_tensors); relu's
dtype zero and operand order in one lookup; a no_grad view's bookkeeping inline; F.linear's matrix-input test
inline. The tests pin what those paths must still do: follow weights and biases changed in place, follow the
precision, give non-finite weights their exact treatment, stamp inference and transform tensors, mark views, fire
hooks in order and build no graph under no_grad, against float64 references and torch."""
import math
import subprocess
import sys
import threading

import numpy as np
import pytest

import torchless
from torchless._kernels import conv as conv_kernels
from torchless.autograd import grad_mode
from helpers import course_cnn, course_cnn_weights

F = torchless.nn.functional


def _bits(array):
    return np.ascontiguousarray(array).view(np.uint8)


def _conv_reference(x, w, b, padding):
    """float64 direct cross-correlation, stride 1: y[n, o] = b[o] + sum_c,i,j w[o, c, i, j] x[n, c, i+.., j+..]."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    N, C, H, W = x.shape
    O, _, kH, kW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = H + 2 * padding - kH + 1, W + 2 * padding - kW + 1
    y = np.zeros((N, O, Ho, Wo))
    for i in range(kH):
        for j in range(kW):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + Ho, j:j + Wo], w[:, :, i, j])
    return y if b is None else y + np.asarray(b, np.float64)[None, :, None, None]


def _course_reference(state, x):
    """The course CNN's logits in float64 NumPy from its state dict."""
    def pool(a):
        n, c, h, w = a.shape
        return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    a = pool(np.maximum(_conv_reference(x, state["conv1.weight"], state["conv1.bias"], 1), 0))
    a = pool(np.maximum(_conv_reference(a, state["conv2.weight"], state["conv2.bias"], 1), 0))
    return a.reshape(a.shape[0], -1) @ np.asarray(state["fc.weight"], np.float64).T + state["fc.bias"]


def _load(model, lib, state):
    model.load_state_dict({name: lib.tensor(value) for name, value in state.items()})
    return model


# ---------------------------------------------------------------------------- independent references
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.bool_])
def test_all_finite_is_isfinite_all(dtype):
    rng = np.random.default_rng(0)
    for shape in [(0,), (5, 1, 3, 3), (10, 5, 3, 3), (3, 7)]:
        a = (rng.standard_normal(shape) * 3).astype(dtype)
        assert conv_kernels._all_finite(a)  # (every value finite by construction)
        if a.dtype.kind == "f" and a.size:
            for bad in (np.nan, np.inf, -np.inf):
                b = a.copy()
                b.reshape(-1)[a.size // 2] = bad
                assert not conv_kernels._all_finite(b)
                part = b[..., ::2]  # (a strided view)
                assert bool(conv_kernels._all_finite(part)) == all(map(math.isfinite, part.ravel().tolist()))


def test_batch1_conv_follows_weight_and_bias_changed_in_place():
    # the fused kernel is rewritten from the weight and bias on every call, through views made once
    rng = np.random.default_rng(1)
    conv = torchless.nn.Conv2d(5, 10, 3, padding=1)
    x = rng.standard_normal((1, 5, 14, 14)).astype(np.float32)
    tx = torchless.tensor(x)
    with torchless.no_grad():
        for step in range(3):
            conv.weight.numpy()[...] = rng.standard_normal((10, 5, 3, 3)).astype(np.float32)
            conv.bias.numpy()[...] = rng.standard_normal(10).astype(np.float32) * (step + 1)
            y = conv(tx).numpy()
            ref = _conv_reference(x, conv.weight.numpy(), conv.bias.numpy(), 1)
            np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_batch1_conv_nonfinite_weight_keeps_its_exact_treatment():
    # a NaN or inf weight must still reach conv_nonfinite: its zeros of the padding stay 0 * inf = NaN only where
    # a direct convolution forms that product (the border of the output where the padding meets it)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 1, 6, 6)).astype(np.float32)
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    w[0, 0, 0, 0] = np.inf
    y = F.conv2d(torchless.tensor(x), torchless.tensor(w), None, 1, 1).numpy()
    y = F.conv2d(torchless.tensor(x), torchless.tensor(w), None, 1, 1).numpy()  # (the remembered call)
    # tap (0, 0) reads x[h-1, w-1]: inside the input past the first row and column, where inf * x rules the sum
    inner = y[0, 0, 1:, 1:]
    assert np.isinf(inner).all() and (np.sign(inner) == np.sign(x[0, 0, :-1, :-1])).all()
    np.testing.assert_allclose(y[0, 1], _conv_reference(x, w[1:], None, 1)[0, 0], rtol=1e-5, atol=1e-5)


def test_batch1_conv_algorithm_follows_float32_precision():
    # a 16-channel 3x3 layer takes Winograd at "high" on AVX-512 hosts and never at "highest": the remembered
    # call's algorithm must follow the setting as it changes between calls
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 16, 24, 24)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    tx, tw = torchless.tensor(x), torchless.tensor(w)
    ref = _conv_reference(x, w, None, 1)
    before = torchless.get_float32_matmul_precision()
    try:
        for precision in ("highest", "high", "highest", "high"):
            torchless.set_float32_matmul_precision(precision)
            with torchless.no_grad():
                y = F.conv2d(tx, tw, None, 1, 1).numpy()
            expected = conv_kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)  # chosen afresh
            assert _bits(y).tobytes() == _bits(expected).tobytes()
            np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-3)
    finally:
        torchless.set_float32_matmul_precision(before)


def test_single_image_algorithm_is_the_memoised_choice():
    args = ((1, 5, 14, 14), (10, 5, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.dtype(np.float32))
    precision, name = conv_kernels.single_image_algorithm(*args)
    assert precision == conv_kernels.float32_precision()
    assert name == conv_kernels.choose_forward(*args, precision)
    assert conv_kernels.single_image_algorithm((2,) + args[0][1:], *args[1:]) is None  # split, maybe
    assert conv_kernels.single_image_algorithm((1, 5, 0, 14), *args[1:]) is None


def test_stamps_follow_inference_mode_and_transforms_per_thread():
    state = grad_mode.state
    assert state.stamps_tensors is False
    with torchless.inference_mode():
        assert state.stamps_tensors is True and torchless.ones(2).is_inference()
        with torchless.inference_mode(False):
            assert state.stamps_tensors is False and not torchless.ones(2).is_inference()
        seen = []
        thread = threading.Thread(target=lambda: seen.append((grad_mode.state.stamps_tensors,
                                                              torchless.ones(1).is_inference())))
        thread.start()
        thread.join()
        assert seen == [(False, False)]  # (the other thread's mode is its own)
        assert torchless.ones(2).is_inference()
    assert state.stamps_tensors is False and not torchless.ones(2).is_inference()

    def made_inside(x):
        assert state.stamps_tensors is True
        y = torchless.zeros(3)
        y.add_(x)  # its own tensor: may be written in place
        return y.sum()
    np.testing.assert_array_equal(torchless.func.grad(made_inside)(torchless.ones(3)).numpy(), np.ones(3))
    assert state.stamps_tensors is False


def test_relu_small_path_dtypes_and_signed_zero():
    for dtype in (np.float16, np.float32, np.float64, np.int64, np.int8):
        a = np.array([[-2, -0.0, 0.0, 3, 5, -7]], np.float64).astype(dtype)
        if a.dtype.kind == "f":
            a[0, 4] = np.nan
        for _ in range(2):  # (the dtype's cached zero the second time)
            y = F.relu(torchless.tensor(a)).numpy()
            assert y.dtype == a.dtype
            expected = np.where(a < 0, np.zeros((), dtype), a)  # -0.0 and NaN kept: not below 0
            assert _bits(y).tobytes() == _bits(expected).tobytes()


def test_no_grad_view_marks_and_counts_like_its_base():
    a = torchless.ones(2, 3, requires_grad=True).clone()
    with torchless.no_grad():
        v = a.view(6)
    assert v._view_base is a and v._counter is a._counter and v._view_creation == "no_grad"
    with torchless.no_grad():
        a.add_(1)
    assert v._version == a._version == 1
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        v.mul_(2)
    with torchless.inference_mode():
        w = torchless.ones(4, 1, 3).view(4, 3)
        assert w.is_inference() and w.shape == (4, 3)


def test_course_cnn_batch1_no_graph_hooks_in_order_and_float64_reference():
    torchless.manual_seed(0)
    state = course_cnn_weights()
    model = _load(course_cnn(torchless.nn), torchless, state).eval()
    calls = []
    for name in ("conv1", "relu", "pool", "conv2", "fc"):
        module = getattr(model, name)
        module.register_forward_pre_hook(lambda m, args, name=name: calls.append(("pre", name)))
        module.register_forward_hook(lambda m, args, out, name=name: calls.append(("post", name)))
    x = np.random.default_rng(6).random((1, 1, 28, 28), dtype=np.float32)
    ref = _course_reference(state, x)
    for _ in range(3):  # (the first call plans, the next ones take the remembered paths)
        calls.clear()
        with torchless.no_grad():
            y = model(torchless.tensor(x))
        assert y.grad_fn is None and not y.requires_grad
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)
        assert calls == [("pre", "conv1"), ("post", "conv1"), ("pre", "relu"), ("post", "relu"), ("pre", "pool"),
                         ("post", "pool"), ("pre", "conv2"), ("post", "conv2"), ("pre", "relu"), ("post", "relu"),
                         ("pre", "pool"), ("post", "pool"), ("pre", "fc"), ("post", "fc")]


def test_linear_matrix_and_batched_inputs_float64_reference():
    rng = np.random.default_rng(7)
    w, b = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    tw, tb = torchless.tensor(w), torchless.tensor(b)
    x = rng.standard_normal((3, 5, 6)).astype(np.float32)
    for x_ in (x[0], x, np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2), x[0], x):
        y = F.linear(torchless.tensor(x_), tw, tb).numpy()
        np.testing.assert_allclose(y, x_.astype(np.float64) @ w.T.astype(np.float64) + b, rtol=1e-5, atol=1e-5)
    h = F.linear(torchless.tensor(x[0].astype(np.float16)), tw.half(), tb.half())
    assert h.dtype == torchless.float16
    np.testing.assert_allclose(h.numpy(), x[0] @ w.T + b, rtol=1e-2, atol=2e-2)


def test_works_under_python_OO():
    code = ("import numpy as np, torchless; c = torchless.nn.Conv2d(1, 2, 3, padding=1)\n"
            "with torchless.no_grad():\n"
            "    y = c(torchless.ones(1, 1, 5, 5)).view(-1); y = c(torchless.ones(1, 1, 5, 5))\n"
            "with torchless.inference_mode():\n    z = torchless.relu(torchless.ones(3) - 2)\n"
            "print(y.shape, z.is_inference(), float(z.sum()))")
    out = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["torchless.Size([1,", "2,", "5,", "5])", "True", "0.0"]


# ---------------------------------------------------------------------------- against torch
def test_course_cnn_batch1_and_training_steps_match_torch():
    torch = pytest.importorskip("torch")
    state = course_cnn_weights()
    ours = _load(course_cnn(torchless.nn), torchless, state)
    theirs = _load(course_cnn(torch.nn), torch, state)
    x = np.random.default_rng(8).random((1, 1, 28, 28), dtype=np.float32)
    for model, lib in ((ours, torchless), (theirs, torch)):
        model.eval()
    with torchless.no_grad():
        a = [ours(torchless.tensor(x)).numpy() for _ in range(2)]
    with torch.no_grad():
        b = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(a[0], b, rtol=1e-5, atol=1e-6)
    assert _bits(a[0]).tobytes() == _bits(a[1]).tobytes()
    rng = np.random.default_rng(9)
    batches = [(rng.random((64, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)) for _ in range(3)]
    results = []
    for model, lib in ((ours, torchless), (theirs, torch)):
        model.train()
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for images, labels in batches:
            optimizer.zero_grad()
            loss = lib.nn.CrossEntropyLoss()(model(lib.tensor(images)), lib.tensor(labels))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        results.append((losses, {n: p.detach().numpy().copy() for n, p in model.named_parameters()}))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for name, value in results[1][1].items():
        np.testing.assert_allclose(results[0][1][name], value, rtol=1e-4, atol=1e-6)


def test_batch1_conv_nonfinite_weights_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = rng.standard_normal((1, 5, 9, 9)).astype(np.float32)
    w = rng.standard_normal((10, 5, 3, 3)).astype(np.float32)
    b = rng.standard_normal(10).astype(np.float32)
    w[1, 2, 0, 1], w[4, 0, 2, 2], w[7, 3, 1, 1] = np.inf, -np.inf, np.nan
    for _ in range(2):
        with torchless.no_grad():
            ours = F.conv2d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), 1, 1).numpy()
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), 1, 1).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)  # (infinities equal, finite values close)


def test_views_of_size1_dims_and_no_grad_view_error_match_torch():
    torch = pytest.importorskip("torch")
    for shape, view in [((1, 10, 7, 7), (-1, 490)), ((3, 1, 4), (3, 4)), ((3, 1, 4), (1, 12)), ((2, 3), (3, 1, 2)),
                        ((1, 1, 6), (6, 1))]:
        data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        for lib in (torchless, torch):
            with lib.no_grad():
                v = lib.tensor(data).view(*view)
            if lib is torchless:
                ours = (tuple(v.shape), v.stride(), v.numpy().tolist())
            else:
                assert ours == (tuple(v.shape), v.stride(), v.numpy().tolist())
    errors = []
    for lib in (torchless, torch):
        a = lib.ones(2, 3, requires_grad=True).clone()
        with lib.no_grad():
            v = a.view(6)
        with pytest.raises(RuntimeError) as error:
            v.mul_(2)
        errors.append(str(error.value))
    assert errors[0] == errors[1]
