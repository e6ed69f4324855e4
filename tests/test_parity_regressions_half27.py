"""float16 results that differed from PyTorch's CPU kernels, bit for bit (values and gradients):

* cross_entropy of a float16 input is PyTorch's composition: log_softmax (rounded to float16), nll_loss on it, and
  for label smoothing the tensor ops of the smoothing term, each rounding its result; the fused node rounded once;
* nll_loss's 'sum' and 'mean' add the float16 losses (and weights) in float16, into ATen's eight cascade levels,
  skipping ignored targets, and its total weight is the count rounded to float16;
* log_softmax and softmax of float16 take SLEEF's exp where ATen's kernels run vectors (libm's elsewhere), sum as
  those kernels do (``reduce_all``'s lanes along the last dim, running sums down another), and their backward
  fuses the multiply-add of g - exp(out) * sum(g);
* mse_loss's float16 backward is norm * diff * grad in float16 ops, each rounded; smooth_l1_loss's computes in
  float32 and huber_loss's in float16 ops, their vector and scalar loops (the last size % 32 elements of each
  row, or all of a row not adjacent in memory) rounding differently;
* var and std backward scale the float16 gradient by 2 / dof in float32 (rounded) and centre the input by its
  float16 mean; the 2-norm's backward is grad * (x / norm), two float16 ops;
* linear, matmul and their gradients accumulate float16 products in float32 and round once (the bias added in
  float32 too: rounding the product first was tens of ulp off); a batch times a matrix sums its weight gradient
  over the batch in float32, as PyTorch's folded mm (within 1 ulp: PyTorch's gemm adds in blocks);
* batch_norm of float16 in training: the output is x * alpha + beta (one fused multiply-add) and the input's
  gradient ATen's (dy - mean(dy) - (x - mean) * k) * invstd * w, with the kernel's sums (within 1 ulp);
* layer_norm of float16: the input's gradient is ATen's rstd dy w + b x + c from the float16 statistics it saved
  (thousands of ulp off near 0 before), and float16 weight and bias gradients add each thread's rows in a
  float16 buffer, as PyTorch's kernel (within a few ulp: its row statistics are summed in another order);
* group_norm of float16: its gradients are ATen's, from per-channel sums and the saved statistics (within 2 ulp).
* mean's float16 gradient divides by the count in float32 (a count beyond float16's range made it 0).
* sigmoid and silu of float16 take SLEEF's exp in the kernel's vectors (libm's in its scalar loop), silu as
  x / (1 + e^-x), its backward's 1 + x (1 - s) one fused multiply-add; glu likewise, its backward's
  (1 - s) s a grad one float32 kernel;
* gelu (approximate='none') of float16 takes ATen's vectorised erf (Abramowitz and Stegun 7.1.26 with SLEEF's
  exp, fused multiply-adds) in the kernel's vectors, libm's in its scalar loop (up to 13 ulp off below -3).
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _half(shape, seed, scale=3.0):
    return (np.random.RandomState(seed).randn(*shape) * scale).astype(np.float16)


def _assert_same_half(expected, actual):
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert actual.dtype == expected.dtype == np.float16
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def _both(call, *arrays, grad=(0,), constants=()):
    """``call(lib, *tensors)`` in both libraries, float16 arrays at the positions in ``grad`` requiring grad; the
    results and, after a backward of a fixed random gradient, the gradients, torch's first."""
    results = []
    for lib in (torch, torchless):
        tensors = [lib.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        out = call(lib, *tensors)
        grads = []
        if out.requires_grad:
            seed_grad = np.asarray(np.random.RandomState(7).randn(*out.shape)).astype(np.float16)
            out.backward(lib.tensor(seed_grad))
            grads = [tensors[i].grad.numpy() for i in grad]
        results.append((out.detach().numpy(), grads))
    return results


def _assert_both_same(call, *arrays, grad=(0,)):
    (expected, expected_grads), (actual, actual_grads) = _both(call, *arrays, grad=grad)
    _assert_same_half(expected, actual)
    assert len(expected_grads) == len(actual_grads)
    for e, a in zip(expected_grads, actual_grads):
        _assert_same_half(e, a)


_CLASS_SHAPES = [(4, 5), (16, 10), (100, 7), (1, 3), (0, 4), (3, 7, 2), (2, 3, 4, 5), (4, 3, 20, 20), (2, 3, 2, 2, 3),
                 (6,)]


def _targets(shape, seed, ignore=None):
    classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = np.random.RandomState(seed).randint(0, classes, target_shape).astype(np.int64)
    if ignore is not None:
        target[np.random.RandomState(seed + 1).rand(*target_shape) < 0.3] = ignore
    return target


@pytest.mark.parametrize("shape", _CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("variant", ["plain", "weight", "ignore", "smoothing", "all"])
def test_float16_cross_entropy_matches_pytorch_bit_for_bit(shape, reduction, variant):
    classes = shape[0] if len(shape) == 1 else shape[1]
    x = _half(shape, 0)
    ignore = 1 if variant in ("ignore", "all") else -100
    target = _targets(shape, 1, None if ignore < 0 else ignore)
    weight = np.abs(_half((classes,), 2, 1.0)) if variant in ("weight", "all") else None
    smoothing = 0.2 if variant in ("smoothing", "all") else 0.0

    def call(lib, x, target):
        w = None if weight is None else lib.tensor(weight)
        return lib.nn.functional.cross_entropy(x, target, weight=w, ignore_index=ignore, reduction=reduction,
                                               label_smoothing=smoothing)

    _assert_both_same(call, x, target)


def test_float16_cross_entropy_non_contiguous_input():
    x = _half((5, 7, 6), 3)
    target = _targets((6, 7, 5), 4)
    _assert_both_same(lambda lib, x, t: lib.nn.functional.cross_entropy(x.permute(2, 1, 0), t), x, target)


def test_float16_cross_entropy_graph_is_pytorchs_composition():
    x = _half((4, 5), 5)
    target = _targets((4, 5), 6)
    names = []
    for lib in (torch, torchless):
        out = lib.nn.functional.cross_entropy(lib.tensor(x, requires_grad=True), lib.tensor(target),
                                              label_smoothing=0.1)
        names.append((out.grad_fn.name(), [f[0].name() for f in out.grad_fn.next_functions]))
    assert names[0] == names[1]


@pytest.mark.parametrize("size", [15, 16, 17, 255, 256, 257, 1000, 5000])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_float16_nll_loss_adds_in_pytorchs_cascade(size, reduction, weighted):
    x = _half((size, 3), size)
    target = _targets((size, 3), size + 1, ignore=2)
    weight = np.abs(_half((3,), 3, 1.0)) if weighted else None

    def call(lib, x, target):
        return lib.nn.functional.nll_loss(x, target, weight=None if weight is None else lib.tensor(weight),
                                          ignore_index=2, reduction=reduction)

    _assert_both_same(call, x, target)


def test_float16_nll_loss_mean_count_rounds_to_float16():
    # 2049 targets: PyTorch's total weight is float16(2049) = 2048
    x = -np.ones((2049, 2), np.float16)
    target = np.zeros(2049, np.int64)
    _assert_both_same(lambda lib, x, t: lib.nn.functional.nll_loss(x, t), x, target)


@pytest.mark.parametrize("shape", [(7, 33), (3, 300), (5, 40, 37), (2, 3, 64, 5), (1, 1), (4, 1, 3), (66, 2, 17)],
                         ids=str)
@pytest.mark.parametrize("function", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("threads", [1, 2])
def test_float16_softmax_family_matches_pytorch_along_every_dim(shape, function, threads):
    x = _half(shape, 11)
    before = torch.get_num_threads(), torchless.get_num_threads()
    torch.set_num_threads(threads)
    torchless.set_num_threads(threads)
    try:
        for dim in range(-len(shape), len(shape)):
            _assert_both_same(lambda lib, x: getattr(lib.nn.functional, function)(x, dim), x)
    finally:
        torch.set_num_threads(before[0])
        torchless.set_num_threads(before[1])


_ELEMENTWISE_SHAPES = [(5,), (4, 5), (3, 7, 2), (0, 3), (100,), (2, 70), (40001,)]


@pytest.mark.parametrize("shape", _ELEMENTWISE_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("loss", ["mse", "smooth_l1", "smooth_l1_beta", "huber", "huber_delta"])
def test_float16_regression_loss_gradients_match_pytorch(shape, reduction, loss):
    call = {"mse": lambda F, x, t: F.mse_loss(x, t, reduction=reduction),
            "smooth_l1": lambda F, x, t: F.smooth_l1_loss(x, t, reduction=reduction),
            "smooth_l1_beta": lambda F, x, t: F.smooth_l1_loss(x, t, reduction=reduction, beta=0.7),
            "huber": lambda F, x, t: F.huber_loss(x, t, reduction=reduction),
            "huber_delta": lambda F, x, t: F.huber_loss(x, t, reduction=reduction, delta=2.3)}[loss]
    _assert_both_same(lambda lib, x, t: call(lib.nn.functional, x, t), _half(shape, 20, 2.0), _half(shape, 21, 1.0),
                      grad=(0, 1))


@pytest.mark.parametrize("layout", ["transposed", "broadcast_target"])
@pytest.mark.parametrize("loss", ["huber_loss", "smooth_l1_loss"])
def test_float16_huber_and_smooth_l1_gradients_of_other_layouts(layout, loss):
    # (a transposed pair runs ATen's scalar loop throughout, a broadcast target one row at a time)
    parameter = {"huber_loss": "delta", "smooth_l1_loss": "beta"}[loss]

    def call(lib, x, t):
        x, t = (x.t(), t.t()) if layout == "transposed" else (x, t[:1].expand(70, 40))
        return getattr(lib.nn.functional, loss)(x, t, reduction="none", **{parameter: 0.6})

    _assert_both_same(call, _half((70, 40), 22, 2.0), _half((70, 40), 23, 1.0))


@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 7, 2), (16, 33), (3, 300)], ids=str)
@pytest.mark.parametrize("op", ["var", "std", "norm", "norm1", "norm3", "norm_inf"])
def test_float16_var_std_norm_gradients_match_pytorch(shape, op):
    call = {"var": lambda x, d: x.var(d), "std": lambda x, d: x.std(d), "norm": lambda x, d: x.norm(dim=d),
            "norm1": lambda x, d: x.norm(p=1, dim=d), "norm3": lambda x, d: x.norm(p=3, dim=d),
            "norm_inf": lambda x, d: x.norm(p=float("inf"), dim=d)}[op]
    x = _half(shape, 30)
    for dim in [None] + list(range(len(shape))):
        _assert_both_same(lambda lib, x: call(x, dim), x)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("swap", [False, True])
def test_float16_triplet_margin_loss_gradients_match_pytorch(reduction, swap):
    anchor, positive, negative = (_half((16, 10), seed) for seed in (40, 41, 42))
    _assert_both_same(lambda lib, a, p, n: lib.nn.functional.triplet_margin_loss(a, p, n, swap=swap,
                                                                                  reduction=reduction),
                      anchor, positive, negative, grad=(0, 1, 2))


def _assert_within_ulps(expected, actual, ulps):
    """float16 results equal but for float32 sums added in another order (PyTorch's gemm blocks, its normalisation
    statistics): ``ulps`` units in the last place at most."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert actual.dtype == expected.dtype == np.float16 and actual.shape == expected.shape
    e, a = (v.astype(np.float64) for v in (expected, actual))
    ulp = np.spacing(np.maximum(np.abs(e), np.abs(a)).astype(np.float16)).astype(np.float64)
    assert np.all((e == a) | (np.abs(e - a) <= ulps * ulp))


def _assert_within_one_ulp(expected, actual):
    _assert_within_ulps(expected, actual, 1)


@pytest.mark.parametrize("shape", [(4, 5), (3, 7, 16), (64, 33), (1, 1), (0, 8)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_float16_linear_accumulates_and_adds_bias_in_float32(shape, bias):
    x, weight, b = _half(shape, 50), _half((7, shape[-1]), 51), _half((7,), 52)

    def call(lib, x, w, b):
        return lib.nn.functional.linear(x, w, b if bias else None)

    (expected, expected_grads), (actual, actual_grads) = _both(call, x, weight, b, grad=(0, 1, 2) if bias else (0, 1))
    _assert_within_one_ulp(expected, actual)  # (rounding once: bias added to the product rounded was tens of ulp off)
    for e, a in zip(expected_grads, actual_grads):
        _assert_within_one_ulp(e, a)


def test_float16_batched_matmul_gradient_sums_the_batch_in_float32():
    (expected, expected_grads), (actual, actual_grads) = _both(lambda lib, x, w: x @ w.t(), _half((3, 7, 16), 53),
                                                               _half((5, 16), 54), grad=(0, 1))
    _assert_same_half(expected, actual)
    for e, a in zip(expected_grads, actual_grads):
        _assert_within_one_ulp(e, a)


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (2, 6, 7), (8, 4), (1, 3, 2, 2), (16, 8, 9, 9)], ids=str)
@pytest.mark.parametrize("parameters", ["float16", "float32", "none"])
def test_float16_batch_norm_training_gradients_match_pytorch(shape, parameters):
    channels = shape[1]
    x = _half(shape, 60, 2.0)
    weight, bias = (np.random.RandomState(seed).randn(channels).astype(
        np.float32 if parameters == "float32" else np.float16) for seed in (61, 62))

    def call(lib, x, w, b):
        return lib.nn.functional.batch_norm(x, None, None, None if parameters == "none" else w,
                                            None if parameters == "none" else b, training=True)

    (expected, expected_grads), (actual, actual_grads) = _both(call, x, weight, bias,
                                                               grad=(0,) if parameters == "none" else (0, 1, 2))
    _assert_within_one_ulp(expected, actual)
    for e, a in zip(expected_grads, actual_grads):
        assert a.dtype == e.dtype
        if e.dtype == np.float16:
            _assert_within_one_ulp(e, a)  # (one element in tens of thousands: a float32 sum added in another order)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, normalized", [((4, 3, 5, 5), (5,)), ((4, 3, 5, 5), (5, 5)), ((2, 6, 7), (7,)),
                                                ((8, 4), (4,)), ((130, 40), (40,)), ((16, 8, 9, 9), (9, 9))], ids=str)
@pytest.mark.parametrize("parameters", ["float16", "none"])
def test_float16_layer_norm_gradients_match_pytorch(shape, normalized, parameters):
    x = _half(shape, 70, 2.0)
    weight, bias = (np.random.RandomState(seed).randn(*normalized).astype(np.float16) for seed in (71, 72))

    def call(lib, x, w, b):
        return lib.nn.functional.layer_norm(x, normalized, None if parameters == "none" else w,
                                            None if parameters == "none" else b)

    (expected, expected_grads), (actual, actual_grads) = _both(call, x, weight, bias,
                                                               grad=(0,) if parameters == "none" else (0, 1, 2))
    _assert_within_one_ulp(expected, actual)
    for e, a in zip(expected_grads, actual_grads):
        _assert_within_ulps(e, a, 4)


@pytest.mark.parametrize("shape, groups", [((4, 6, 5, 5), 3), ((2, 6, 7), 2), ((16, 8, 9, 9), 4), ((3, 4, 40), 1)],
                         ids=str)
@pytest.mark.parametrize("parameters", ["float16", "float32", "none"])
def test_float16_group_norm_gradients_match_pytorch(shape, groups, parameters):
    channels = shape[1]
    x = _half(shape, 80, 2.0)
    weight, bias = (np.random.RandomState(seed).randn(channels).astype(
        np.float32 if parameters == "float32" else np.float16) for seed in (81, 82))

    def call(lib, x, w, b):
        return lib.nn.functional.group_norm(x, groups, None if parameters == "none" else w,
                                            None if parameters == "none" else b)

    (expected, expected_grads), (actual, actual_grads) = _both(call, x, weight, bias,
                                                               grad=(0,) if parameters == "none" else (0, 1, 2))
    _assert_within_ulps(expected, actual, 4)  # (near 0: its statistics are float32 sums added in another order)
    for e, a in zip(expected_grads, actual_grads):
        assert a.dtype == e.dtype
        if e.dtype == np.float16:
            _assert_within_ulps(e, a, 2)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape, dim", [((70000,), None), ((3001,), 0), ((7, 3001), 1), ((3001, 7), 0)], ids=str)
def test_float16_mean_gradient_divides_by_the_count_in_float32(shape, dim):
    # (float16 cannot hold a count beyond 65504: the gradient of a mean of 70000 elements was 0)
    x = _half(shape, 90)
    _assert_both_same(lambda lib, x: x.mean() if dim is None else x.mean(dim), x)


@pytest.mark.parametrize("function", ["sigmoid", "silu"])
@pytest.mark.parametrize("shape", [(300000,), (70, 33), (5, 7, 3)], ids=str)
def test_float16_sigmoid_and_silu_take_sleefs_exp(function, shape):
    # (silu is x / (1 + e^-x), not x * sigmoid(x): hundreds of elements in a million were an ulp off)
    x = _half(shape, 100, 4.0)
    _assert_both_same(lambda lib, x: getattr(lib.nn.functional, function)(x), x)
    _assert_both_same(lambda lib, x: getattr(lib.nn.functional, function)(x.t() if x.dim() == 2 else x), x)


@pytest.mark.parametrize("shape, dim", [((6, 40, 10), 1), ((100, 64), 0), ((1000, 2), -1), ((3, 70), -1)], ids=str)
def test_float16_glu_matches_pytorch(shape, dim):
    # (a times the gate's reciprocal form, SLEEF's exp; its backward's (1 - s) s a grad rounded once, not per op)
    _assert_both_same(lambda lib, x: lib.nn.functional.glu(x, dim), _half(shape, 110, 4.0))


@pytest.mark.parametrize("shape", [(300000,), (70, 33), (5, 7, 3)], ids=str)
def test_float16_gelu_takes_atens_vectorised_erf(shape):
    # (1 + erf(x / sqrt 2) cancels below x = -3: the erf's last bits, ATen's own approximation's, decide the result)
    x = _half(shape, 120, 3.0)
    (expected, expected_grads), (actual, actual_grads) = _both(lambda lib, x: lib.nn.functional.gelu(x), x)
    _assert_same_half(expected, actual)
    _assert_within_one_ulp(expected_grads[0], actual_grads[0])


def test_float16_gelu_special_values():
    values = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 65504, -65504, 1e-7, -10, -5.25], np.float16)
    _assert_both_same(lambda lib, x: lib.nn.functional.gelu(x), values)


@pytest.mark.parametrize("call", [lambda lib, x: lib.log_softmax(x, 1), lambda lib, x: lib.softmax(x, 1),
                                  lambda lib, x: lib.nn.functional.layer_norm(x, (0,)),
                                  lambda lib, x: lib.nn.functional.cross_entropy(x.t(), lib.zeros(0, dtype=lib.long))],
                         ids=["log_softmax", "softmax", "layer_norm", "cross_entropy"])
def test_float16_kernels_of_an_empty_dim(call):
    _assert_both_same(call, np.zeros((3, 0), np.float16))
