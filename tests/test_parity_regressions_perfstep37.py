"""Regression tests for perfstep37: nll_loss's cascade sum with fewer NumPy passes (each level's leftover added as a
scalar), and AccumulateGrad taking a weight gradient that is the only view of an array nothing else holds without a
copy (the course CNN's reshaped weight-gradient products)."""
import subprocess
import sys

import numpy as np
import pytest

import torchless
from helpers import course_cnn, course_cnn_batches
from torchless._kernels.reduce_order import nll_cascade_sum
from torchless.autograd._accumulate_grad import _add_to_grad

# sizes at and around the cascade's run boundaries (runs of 16 terms; 256 terms: a level-1 run closes)
SIZES = [1, 2, 3, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255, 256, 257, 258, 271, 272, 273, 511, 4096, 4097, 4113]


def _ceil_log2(n):
    return (n - 1).bit_length() if n > 1 else 0


def _aten_cascade(terms, kept=None):
    """ATen's nll_loss_out_frame summation written out as its loop: eight partial sums in the terms' dtype, term b
    added to level 0, then level j carried into j + 1 while b's j-th group of level_power bits is zero; ignored terms
    skipped; the levels added up from 0 at the end."""
    levels, power = 8, max(4, _ceil_log2(len(terms)) // 8)
    mask = (1 << power) - 1
    zero = terms.dtype.type(0)
    partial = [zero] * levels
    for b, term in enumerate(terms):
        if kept is not None and not kept[b]:
            continue
        partial[0] = partial[0] + term
        for j in range(levels - 1):
            if b & (mask << (j * power)):
                break
            partial[j + 1] = partial[j + 1] + partial[j]
            partial[j] = zero
    total = zero
    for value in partial:
        total = total + value
    return total


def _terms(rng, size, dtype, kind):
    terms = (rng.standard_normal(size) * 10.0 ** rng.uniform(-3, 3, size)).astype(dtype)
    if kind == "zeros":
        terms[rng.random(size) < 0.7] = -0.0
    elif kind == "special":
        terms[rng.integers(0, size)] = rng.choice([np.inf, -np.inf, np.nan])
    elif kind == "negative zeros":
        terms[:] = -0.0
    return terms


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_nll_cascade_sum_is_atens_loop_bit_for_bit(dtype):
    """The cascade sum of every term (and of the kept ones) equals ATen's loop run term by term, bits and zero
    signs included, around every run boundary."""
    rng = np.random.default_rng(37)
    with np.errstate(all="ignore"):
        for size in SIZES:
            for kind in ("plain", "zeros", "special", "negative zeros"):
                terms = _terms(rng, size, dtype, kind)
                ours, reference = nll_cascade_sum(terms), _aten_cascade(terms)
                assert type(ours) is type(reference) and ours.tobytes() == reference.tobytes(), (size, kind)
            kept = rng.random(size) < 0.8
            ours, reference = nll_cascade_sum(terms, kept), _aten_cascade(terms, kept)
            assert ours.tobytes() == reference.tobytes(), (size, "kept")


def test_nll_cascade_sum_of_many_terms_against_float64():
    """Past two cascade levels (65,537 terms: a level-2 run closes) the float32 sum stays within float32 rounding of
    the exact sum."""
    rng = np.random.default_rng(3)
    terms = rng.random(65537).astype(np.float32)
    exact = np.sum(terms.astype(np.float64))
    assert abs(float(nll_cascade_sum(terms)) - exact) <= 1e-6 * exact
    assert nll_cascade_sum(terms).tobytes() == _aten_cascade(terms).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_nll_loss_reductions_bits_as_pytorch(dtype):
    """nll_loss's 'sum' and 'mean' (plain, class-weighted, with ignored targets) give PyTorch's bits at batch sizes
    around the cascade's boundaries (its terms are the inputs themselves, so only the order of the sum decides)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for size in [1, 16, 17, 33, 64, 257, 273, 1000]:
        values = (rng.standard_normal((size, 10)) * 3).astype(dtype)
        labels = rng.integers(0, 10, size)
        ignored = labels.copy()
        ignored[rng.random(size) < 0.3] = -100
        weight = (rng.random(10) + 0.5).astype(dtype)
        for target, w in ((labels, None), (ignored, None), (labels, weight), (ignored, weight)):
            for reduction in ("sum", "mean"):
                losses = [lib.nn.functional.nll_loss(lib.tensor(values), lib.tensor(target),
                                                     None if w is None else lib.tensor(w),
                                                     reduction=reduction).numpy() for lib in (torchless, torch)]
                ours, theirs = losses
                assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes(), (size, reduction)


def test_cross_entropy_reductions_against_torch():
    """cross_entropy's 'sum' and 'mean' through the faster cascade agree with PyTorch's within its log-softmax's
    last-bit differences, gradients too."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    for size in [1, 17, 64, 273]:
        logits = (rng.standard_normal((size, 10)) * 3).astype(np.float32)
        labels = rng.integers(0, 10, size)
        for reduction in ("sum", "mean"):
            results = []
            for lib in (torchless, torch):
                x = lib.tensor(logits, requires_grad=True)
                loss = lib.nn.functional.cross_entropy(x, lib.tensor(labels), reduction=reduction)
                loss.backward()
                results.append((loss.item(), x.grad.numpy()))
            (ours, ours_grad), (theirs, their_grad) = results
            assert ours == pytest.approx(theirs, rel=1e-6)
            np.testing.assert_allclose(ours_grad, their_grad, rtol=1e-5, atol=1e-7)


def test_cross_entropy_mean_against_float64():
    """The 'mean' loss of a batch of 64 is the float64 log-softmax's within float32 rounding (no torch needed)."""
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((64, 10)).astype(np.float32) * 4
    labels = rng.integers(0, 10, 64)
    x = logits.astype(np.float64)
    log_probs = x - x.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    exact = -log_probs[np.arange(64), labels].mean()
    loss = torchless.nn.functional.cross_entropy(torchless.tensor(logits), torchless.tensor(labels))
    assert abs(loss.item() - exact) <= 1e-6 * abs(exact)


def _step(lib, model, optimizer, images, labels):
    optimizer.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(lib.tensor(images)), lib.tensor(labels))
    loss.backward()
    optimizer.step()
    return loss


def test_course_cnn_gradients_survive_later_steps():
    """The weight gradients AccumulateGrad now takes without a copy share memory with nothing a later step reuses:
    the .grad tensors of step 1, kept across steps 2 and 3 (zero_grad sets new ones), keep their values; and their
    values are PyTorch's."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = course_cnn(torch.nn)
    ours = course_cnn(torchless.nn)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    batches = course_cnn_batches(3, seed=37)
    kept, copies = {}, {}
    for lib, model in ((torchless, ours), (torch, theirs)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        _step(lib, model, optimizer, *batches[0])
        kept[lib] = [p.grad for p in model.parameters()]
        copies[lib] = [g.detach().numpy().copy() for g in kept[lib]]
        for images, labels in batches[1:]:
            _step(lib, model, optimizer, images, labels)
    for grad, copy in zip(kept[torchless], copies[torchless]):
        assert np.array_equal(grad.numpy(), copy)
        assert not any(np.shares_memory(grad.numpy(), p.grad.numpy()) for p in ours.parameters())
    for mine, reference in zip(copies[torchless], copies[torch]):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


def test_weight_gradients_accumulate_over_two_backwards():
    """A second backward adds into the .grad the first one took without a copy: exactly twice the first (float64
    by hand: the linear layer's weight gradient is gy^T x)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    gy = rng.standard_normal((8, 4)).astype(np.float32)
    layer = torchless.nn.Linear(6, 4)
    layer(torchless.tensor(x)).backward(torchless.tensor(gy))
    first = layer.weight.grad.numpy().copy()
    layer(torchless.tensor(x)).backward(torchless.tensor(gy))
    np.testing.assert_allclose(first, gy.astype(np.float64).T @ x.astype(np.float64), rtol=1e-5, atol=1e-6)
    assert np.array_equal(layer.weight.grad.numpy(), first + first)


def test_view_of_an_array_held_elsewhere_is_copied():
    """A gradient viewing an array something else still holds (a reused buffer) becomes .grad as a copy; the only
    view of an array held by nothing else is taken as it is."""
    leaf = torchless.zeros(3, 4, requires_grad=True)
    held = np.arange(12, dtype=np.float32)
    _add_to_grad(leaf, held.reshape(3, 4), sole=True)
    assert not np.shares_memory(leaf.grad.numpy(), held)
    held[:] = -1
    assert np.array_equal(leaf.grad.numpy(), np.arange(12, dtype=np.float32).reshape(3, 4))

    other = torchless.zeros(3, 4, requires_grad=True)
    part = np.arange(24, dtype=np.float32)[:12].reshape(3, 4)  # (a view of half an array: copied, not kept alive)
    _add_to_grad(other, part, sole=True)
    assert not np.shares_memory(other.grad.numpy(), part)

    last = torchless.zeros(3, 4, requires_grad=True)
    view = np.arange(12, dtype=np.float32).reshape(3, 4)
    _add_to_grad(last, view, sole=True)
    assert np.shares_memory(last.grad.numpy(), view)


def test_course_step_runs_under_python_OO():
    """The changed modules import and run with docstrings stripped."""
    code = ("import numpy as np, torchless\n"
            "from torchless._kernels.reduce_order import nll_cascade_sum\n"
            "assert float(nll_cascade_sum(np.ones(300, np.float32))) == 300\n"
            "l = torchless.nn.Linear(3, 2); l(torchless.ones(4, 3)).sum().backward()\n"
            "assert float(l.weight.grad.sum()) == 24\n")
    subprocess.run([sys.executable, "-OO", "-c", code], check=True)
