"""The course CNN's training step without switching OpenBLAS to one thread and back around products it runs on the
calling thread anyway (session 34, perf34): float32 products its SkylakeX small-matrix kernels take (at most 10**6
multiply-adds each, layouts they accept), the thin ones run in such pieces included. The same NumPy calls, so the
same bits; the tests check which products skip the switch, that their values match float64 references and torch,
that the course CNN trains bit for bit as with the switch, and (where it can be seen) that OpenBLAS's worker thread
runs none of them."""
import os
import sys
import time

import numpy as np
import pytest

import torchless
from torchless._kernels import blas
from helpers import course_cnn, course_cnn_batches, course_cnn_weights


def _bits(array):
    return np.ascontiguousarray(array).view(np.uint8)


class _Library:
    """Stands in for threadpoolctl's controller of a BLAS (so the tests run without threadpoolctl): counts the
    switches of its thread count."""

    def __init__(self, internal_api="openblas", architecture="SkylakeX", threads=2):
        self.internal_api, self.architecture, self.threads, self.switches = internal_api, architecture, threads, 0

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, threads):
        self.switches += 1
        self.threads = threads


@pytest.fixture
def library(monkeypatch):
    fake = _Library()
    monkeypatch.setattr(blas, "_blas_libraries", [fake])
    monkeypatch.setattr(blas, "_small_kernels", None)
    monkeypatch.setattr(blas.parallel, "inside_shard", lambda: False)
    return fake


def _f32(rng, *shape, order="C"):
    return np.asarray(rng.standard_normal(shape), np.float32, order=order)


def _course_products(rng):
    """The course CNN's products above 64**3 multiply-adds (batch 64): its linear layer's forward, input gradient
    and weight gradient, and its second convolution's input gradient (col2im: 45x10 @ 10x14400, into scratch)."""
    x, w, gy = _f32(rng, 64, 490), _f32(rng, 10, 490), _f32(rng, 64, 10)
    return {
        "linear forward x @ w.T (TN)": (x, w.T, None),
        "linear input gradient gy @ w (NN)": (gy, w, None),
        "linear weight gradient gy.T @ x (NT)": (gy.T, x, None),
        "col2im product in pieces (NN, into out)": (_f32(rng, 45, 10), _f32(rng, 10, 14400),
                                                    np.empty((45, 14400), np.float32)),
        "100 x 100 x 100 (NN)": (_f32(rng, 100, 100), _f32(rng, 100, 100), None),
        "batch of 4 x 64 x 490 x 10 (TN)": (_f32(rng, 4, 64, 490), np.swapaxes(_f32(rng, 4, 10, 490), -1, -2), None),
    }


def _other_products(rng):
    """Products that keep the switch: above the small kernels' bound, layouts they refuse, other dtypes, NumPy's
    gemv and syrk."""
    x = _f32(rng, 32, 490)
    return {
        "64 x 1000 x 16 (over 10**6)": (_f32(rng, 64, 1000), _f32(rng, 1000, 16), None),
        "both transposed (TT)": (_f32(rng, 64, 490, order="F"), _f32(rng, 10, 490).T, None),
        "TN with a result over 1200 values": (_f32(rng, 64, 490), _f32(rng, 20, 490).T, None),
        "float64": (rng.standard_normal((64, 490)), rng.standard_normal((490, 10)), None),
        "one row (gemv)": (_f32(rng, 1, 490), _f32(rng, 490, 1000), None),
        "a matrix times its own transpose (syrk)": (x, x.T, None),
        "into a transposed out": (_f32(rng, 64, 490), _f32(rng, 490, 10), np.empty((10, 64), np.float32).T),
        "thick pieces (45 x 32 deep)": (_f32(rng, 45, 32), _f32(rng, 32, 14400), None),
    }


# ---------------------------------------------------------------- which products skip the switch

def test_course_products_skip_the_thread_switch(library):
    rng = np.random.default_rng(0)
    for name, (a, b, out) in _course_products(rng).items():
        before = library.switches
        result = blas.matmul(a, b, out=out)
        assert library.switches == before, name
        assert out is None or result is out, name
        np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_other_products_keep_the_thread_switch(library):
    rng = np.random.default_rng(1)
    for name, (a, b, out) in _other_products(rng).items():
        before = library.switches
        result = blas.matmul(a, b, out=out)
        assert library.switches == before + 2, name  # (to one thread, and back)
        assert library.threads == 2, name
        np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


@pytest.mark.parametrize("architecture", ["Haswell", "Zen"])
def test_other_blas_kernels_keep_the_thread_switch(monkeypatch, architecture):
    fake = _Library(architecture=architecture)
    monkeypatch.setattr(blas, "_blas_libraries", [fake])
    monkeypatch.setattr(blas, "_small_kernels", None)
    monkeypatch.setattr(blas.parallel, "inside_shard", lambda: False)
    rng = np.random.default_rng(2)
    for name, (a, b, out) in _course_products(rng).items():
        before = fake.switches
        blas.matmul(a, b, out=out)
        assert fake.switches == before + 2, name


def test_small_products_never_switch(library):
    a, b = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)  # 64**3: OpenBLAS's own single thread
    np.testing.assert_array_equal(blas.matmul(a, b), np.full((64, 64), 64, np.float32))
    assert library.switches == 0


# ---------------------------------------------------------------- the same bits as with the switch

def test_products_give_the_bits_of_the_whole_product_on_one_blas_thread():
    """On the BLAS here (with or without threadpoolctl): each product as blas.matmul now runs it, against NumPy's
    whole product held to one BLAS thread (the pieces give its bits: see perf33's tests)."""
    rng = np.random.default_rng(3)
    for name, (a, b, out) in {**_course_products(rng), **_other_products(rng)}.items():
        result = blas.matmul(a, b, out=None if out is None else np.empty(out.shape, out.dtype))
        with blas.single_threaded():
            whole = np.matmul(a, b)
        np.testing.assert_array_equal(_bits(result), _bits(whole), err_msg=name)


def _train(library, batches, weights):
    """Parameters and their last gradients after Adam steps on ``batches``, and the losses."""
    model = course_cnn(library.nn)
    model.load_state_dict({name: library.tensor(value) for name, value in weights.items()})
    optimizer = library.optim.Adam(model.parameters(), lr=1e-3)
    criterion = library.nn.CrossEntropyLoss()
    losses = []
    for images, labels in batches:
        optimizer.zero_grad()
        loss = criterion(model(library.tensor(images)), library.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    result = {name: value.detach().numpy().copy() for name, value in model.named_parameters()}
    result.update({name + ".grad": value.grad.numpy().copy() for name, value in model.named_parameters()})
    return result, losses


def test_course_cnn_trains_bitwise_as_with_the_switch(monkeypatch):
    batches, weights = course_cnn_batches(4), course_cnn_weights()
    calls = []
    decide = blas._stays_on_calling_thread

    def spy(*args):
        calls.append(decide(*args))
        return calls[-1]
    monkeypatch.setattr(blas, "_stays_on_calling_thread", spy)
    now, now_losses = _train(torchless, batches, weights)
    monkeypatch.setattr(blas, "_stays_on_calling_thread", lambda *args: False)  # the switch around every product
    switched, switched_losses = _train(torchless, batches, weights)
    assert now_losses == switched_losses
    for name in switched:
        np.testing.assert_array_equal(_bits(now[name]), _bits(switched[name]), err_msg=name)
    if blas.thread_controls() and blas._has_small_kernels():
        assert calls and all(calls)  # (every product above 64**3 of the step stayed on the calling thread)


def test_course_cnn_training_matches_torch():
    torch = pytest.importorskip("torch")
    batches, weights = course_cnn_batches(3), course_cnn_weights()
    (ours, our_losses), (theirs, their_losses) = _train(torchless, batches, weights), _train(torch, batches, weights)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-4, atol=1e-5 * np.abs(theirs[name]).max(),
                                   err_msg=name)


def test_linear_layer_products_match_float64_and_torch():
    """The course CNN's linear layer at batch 64: its three products are the ones that no longer switch."""
    rng = np.random.default_rng(6)
    x, w, b, gy = _f32(rng, 64, 490), _f32(rng, 10, 490), _f32(rng, 10), _f32(rng, 64, 10)
    xt, wt, bt = (torchless.tensor(v, requires_grad=True) for v in (x, w, b))
    y = torchless.nn.functional.linear(xt, wt, bt)
    y.backward(torchless.tensor(gy))
    x64, w64, gy64 = x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64)
    np.testing.assert_allclose(y.detach().numpy(), x64 @ w64.T + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), gy64 @ w64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(wt.grad.numpy(), gy64.T @ x64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bt.grad.numpy(), gy64.sum(axis=0), rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    txt, twt, tbt = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    ty = torch.nn.functional.linear(txt, twt, tbt)
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((xt, txt), (wt, twt), (bt, tbt)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_second_convolution_input_gradient_matches_float64_and_torch():
    """64x5x14x14 -> 10 (3x3, padding 1): its input gradient is the col2im product run in pieces."""
    rng = np.random.default_rng(7)
    x, w, gy = _f32(rng, 64, 5, 14, 14), _f32(rng, 10, 5, 3, 3), _f32(rng, 64, 10, 14, 14)
    xt = torchless.tensor(x, requires_grad=True)
    torchless.nn.functional.conv2d(xt, torchless.tensor(w), padding=1).backward(torchless.tensor(gy))
    padded = np.pad(gy.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros(x.shape)
    for i in range(3):
        for j in range(3):
            expected += np.einsum("nohw,oc->nchw", padded[:, :, 2 - i:16 - i, 2 - j:16 - j],
                                  w[:, :, i, j].astype(np.float64))
    np.testing.assert_allclose(xt.grad.numpy(), expected, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    txt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(txt, torch.tensor(w), padding=1).backward(torch.tensor(gy))
    np.testing.assert_allclose(xt.grad.numpy(), txt.grad.numpy(), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- OpenBLAS's worker runs none of them

def _other_threads_ticks():
    """CPU time (clock ticks) of this process's threads but the main one, from /proc."""
    total = 0
    for task in os.listdir("/proc/self/task"):
        if int(task) == os.getpid():
            continue
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # (a thread that ended meanwhile)
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _worker_ticks(product, calls):
    time.sleep(0.25)  # (OpenBLAS's workers stop spinning ~0.1 s after their last product)
    before = _other_threads_ticks()
    for _ in range(calls):
        product()
    return _other_threads_ticks() - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads thread CPU times from /proc")
def test_openblas_worker_runs_none_of_the_products_that_skip_the_switch():
    if not (blas.thread_controls() and blas._has_small_kernels()):
        pytest.skip("needs threadpoolctl and OpenBLAS's SkylakeX kernels (the products switch everywhere else)")
    libraries = blas.thread_controls()
    if max(library.get_num_threads() for library in libraries) < 2:
        pytest.skip("OpenBLAS runs one thread here")
    rng = np.random.default_rng(8)
    # the control: a product over the small kernels' bound, straight to NumPy, wakes OpenBLAS's worker
    a, b = _f32(rng, 64, 1000), _f32(rng, 1000, 16)
    if _worker_ticks(lambda: np.matmul(a, b), 60) == 0:
        pytest.skip("OpenBLAS's worker did not show in the threads' CPU times (too busy a machine to tell)")
    for name, (a, b, out) in _course_products(rng).items():
        assert _worker_ticks(lambda: blas.matmul(a, b, out=out), 300) == 0, name
