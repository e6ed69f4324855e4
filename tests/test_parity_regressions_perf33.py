"""The course CNN's training step made cheaper without changing a bit (session 33, perf33): thin float32 products in
the column pieces OpenBLAS's SkylakeX kernels multiply unpacked, a convolution's bias gradient summed first, and the
gathered-column reuse check failing early for another chunk of the batch."""
import numpy as np
import pytest

import torchless
from torchless._kernels import blas
from torchless._kernels.gather import _same_view
from helpers import course_cnn, course_cnn_batches, course_cnn_weights


def _bits(array):
    return np.ascontiguousarray(array).view(np.uint8)


class _OneThreadLibrary:
    """Stands in for threadpoolctl's controller of OpenBLAS on SkylakeX (so the tests run without threadpoolctl)."""

    internal_api, architecture = "openblas", "SkylakeX"

    def get_num_threads(self):
        return 1

    def set_num_threads(self, threads):
        pass


@pytest.fixture
def matmul_calls(monkeypatch):
    """The (a, b) shapes of every np.matmul that blas makes, unpacked kernels assumed."""
    monkeypatch.setattr(blas, "_blas_libraries", [_OneThreadLibrary()])
    monkeypatch.setattr(blas, "_small_kernels", None)
    calls = []
    real = np.matmul

    def spy(a, b, out=None):
        calls.append((a.shape, b.shape))
        return real(a, b, out=out)
    monkeypatch.setattr(blas.np, "matmul", spy)
    return calls


# ---------------------------------------------------------------- thin products in unpacked pieces

@pytest.mark.parametrize("order", ["C", "F"])
def test_thin_product_runs_in_pieces_within_the_unpacked_bound(matmul_calls, order):
    rng = np.random.default_rng(0)
    a = np.asarray(rng.standard_normal((45, 10)), np.float32, order=order)  # the course CNN's input gradient
    b = rng.standard_normal((10, 14400)).astype(np.float32)
    result = blas.matmul(a, b)
    assert len(matmul_calls) == 7
    assert all(45 * 10 * piece[1][-1] <= blas.SMALL_KERNEL_MAX_MULTIPLY_ADDS for piece in matmul_calls)
    assert sum(piece[1][-1] for piece in matmul_calls) == 14400
    assert result.shape == (45, 14400) and result.dtype == np.float32 and result.flags.c_contiguous
    np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-5, atol=1e-5)
    out = np.empty((45, 14400), np.float32)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(_bits(out), _bits(result))


def test_thin_products_of_a_batch_run_in_pieces_into_out(matmul_calls):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 9, 16)).astype(np.float32)
    b = rng.standard_normal((2, 16, 20000)).astype(np.float32)
    out = np.empty((2, 9, 20000), np.float32)
    assert blas.matmul(a, b, out=out) is out
    assert len(matmul_calls) == 3
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a_shape, b_shape, dtype", [
    ((45, 32), (32, 14400), np.float32),   # deep enough for the pieces to round differently
    ((1, 10), (10, 200000), np.float32),   # a row: NumPy's gemv
    ((90, 10), (10, 14400), np.float32),   # pieces too narrow to pay
    ((45, 10), (10, 14400), np.float64),
    ((45, 10), (10, 2000), np.float32),    # unpacked already
])
def test_other_products_run_whole(matmul_calls, a_shape, b_shape, dtype):
    a, b = np.ones(a_shape, dtype), np.ones(b_shape, dtype)
    np.testing.assert_array_equal(blas.matmul(a, b), np.full((a_shape[0], b_shape[1]), a_shape[1], dtype))
    assert len(matmul_calls) == 1


def test_a_result_overlapping_an_operand_is_computed_whole(matmul_calls):
    rng = np.random.default_rng(2)
    buffer = rng.standard_normal((10, 14400)).astype(np.float32)
    a = rng.standard_normal((10, 10)).astype(np.float32)
    expected = a.astype(np.float64) @ buffer.astype(np.float64)
    blas.matmul(a, buffer, out=buffer)  # (NumPy copies the operand first; pieces would read rows already written)
    assert len(matmul_calls) == 1
    np.testing.assert_allclose(buffer, expected, rtol=1e-5, atol=1e-5)


def test_pieces_only_where_openblas_runs_its_skylakex_kernels(monkeypatch):
    class Library:
        def __init__(self, internal_api, architecture):
            self.internal_api, self.architecture = internal_api, architecture

    for libraries, expected in [([Library("openblas", "SkylakeX")], True), ([Library("openblas", "Haswell")], False),
                                ([Library("mkl", None)], False), ([], False)]:
        monkeypatch.setattr(blas, "_blas_libraries", libraries)
        monkeypatch.setattr(blas, "_small_kernels", None)
        assert blas._has_small_kernels() is expected
        assert (blas.small_kernel_columns(45, 10, np.dtype(np.float32)) is not None) is expected


def test_pieces_give_the_bits_of_one_product_where_they_run():
    if not blas._has_small_kernels():
        pytest.skip("the BLAS here has no unpacked kernels (products run whole)")
    rng = np.random.default_rng(3)
    for m, k in [(45, 10), (2, 31), (16, 16), (100, 5), (5, 3)]:
        for order in "CF":
            a = np.asarray(rng.standard_normal((m, k)), np.float32, order=order)
            b = rng.standard_normal((k, 3 * blas.SMALL_KERNEL_MAX_MULTIPLY_ADDS // (m * k) + 37)).astype(np.float32)
            with blas.single_threaded():
                whole = np.matmul(a, b)
            np.testing.assert_array_equal(_bits(blas.matmul(a, b)), _bits(whole))


# ---------------------------------------------------------------- the course CNN's step, bit for bit

def _train(library, batches, weights):
    model = course_cnn(library.nn)
    model.load_state_dict({name: library.tensor(value) for name, value in weights.items()})
    optimizer = library.optim.Adam(model.parameters(), lr=1e-3)
    criterion = library.nn.CrossEntropyLoss()
    for images, labels in batches:
        optimizer.zero_grad()
        criterion(model(library.tensor(images)), library.tensor(labels)).backward()
        optimizer.step()
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


def test_course_cnn_training_is_bitwise_the_same_with_products_whole(monkeypatch):
    batches, weights = course_cnn_batches(5), course_cnn_weights()
    in_pieces = _train(torchless, batches, weights)
    monkeypatch.setattr(blas, "_small_kernels", False)
    whole = _train(torchless, batches, weights)
    for name in whole:
        np.testing.assert_array_equal(_bits(in_pieces[name]), _bits(whole[name]), err_msg=name)
    assert any(not np.array_equal(in_pieces[name], weights[name]) for name in weights)  # it did train


def test_course_cnn_training_matches_torch():
    torch = pytest.importorskip("torch")
    batches, weights = course_cnn_batches(3), course_cnn_weights()
    ours, theirs = _train(torchless, batches, weights), _train(torch, batches, weights)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_convolution_gradients_match_torch_and_float64():
    """The course CNN's second convolution: its input gradient is the thin product run in pieces, its bias
    gradient is summed first."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 5, 14, 14)).astype(np.float32)
    w = rng.standard_normal((10, 5, 3, 3)).astype(np.float32)
    b = rng.standard_normal(10).astype(np.float32)
    gy = rng.standard_normal((64, 10, 14, 14)).astype(np.float32)
    grads = {}
    for library in (torchless, torch):
        xt, wt, bt = (library.tensor(v, requires_grad=True) for v in (x, w, b))
        library.nn.functional.conv2d(xt, wt, bt, padding=1).backward(library.tensor(gy))
        grads[library.__name__] = [t.grad.numpy() for t in (xt, wt, bt)]
    for ours, theirs in zip(grads["torchless"], grads["torch"]):  # (float32 sums of up to 12544 products)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())
    # float64 references: the bias's gradient sums gy; the input's is the full correlation with the flipped kernel
    np.testing.assert_allclose(grads["torchless"][2], gy.astype(np.float64).sum(axis=(0, 2, 3)), rtol=1e-5)
    padded = np.pad(gy.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    gx = np.zeros(x.shape)
    for i in range(3):
        for j in range(3):
            gx += np.einsum("nohw,oc->nchw", padded[:, :, 2 - i:16 - i, 2 - j:16 - j], w[:, :, i, j].astype(np.float64))
    np.testing.assert_allclose(grads["torchless"][0], gx, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- gathered columns' reuse check

def test_reuse_check_tells_chunks_of_one_batch_apart():
    batch = np.zeros((64, 5, 14, 14), np.float32)
    assert _same_view(batch[0:16], batch[0:16])          # another view of the same memory
    assert not _same_view(batch[0:16], batch[16:32])     # another chunk
    assert not _same_view(batch[1:17], batch[0:16])      # overlapping, shifted
    assert not _same_view(batch[0:16], batch.copy()[0:16])
    assert not _same_view(batch[0:16], None)


def test_chunked_weight_gradient_matches_torch_and_float64():
    """64 images run in chunks of the batch whose columns are gathered again or reused (the last)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    w = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((64, 5, 28, 28)).astype(np.float32)
    grads = []
    for library in (torchless, torch):
        wt = library.tensor(w, requires_grad=True)
        library.nn.functional.conv2d(library.tensor(x), wt, padding=1).backward(library.tensor(gy))
        grads.append(wt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-5 * np.abs(grads[1]).max())
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.array([[[[np.sum(gy[:, o].astype(np.float64) * padded[:, 0, i:i + 28, j:j + 28]) for j in range(3)]
                           for i in range(3)]] for o in range(5)])
    np.testing.assert_allclose(grads[0], expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
