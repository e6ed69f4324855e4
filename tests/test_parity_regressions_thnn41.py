"""PyTorch's reference convolution (slow_conv2d) where MKL's GEMM rounds each product, and the thread count's part in
PyTorch's choice of it.

PyTorch convolves float64, and float32 that oneDNN does not take (one image of at most 20480 values and a kernel of
at most 3 on a side, or a 1x1 kernel, unstrided, on fewer than 16 images with ``torch.set_num_threads(1)``), by
columns and one MKL GEMM per image. MKL's code for AMD's CPUs adds each product there, rounded, in order, from the
bias (no fused multiply-add) for one output channel, and for two or three where the output's pixels come in fours:
a grayscale 1x1 convolution or a Sobel pair of filters on one photo. torchless now computes those the same way
(``_kernels.conv``'s "unfused" algorithm), where it had the fused sums of OpenBLAS (on an AMD EPYC, a grayscale
convolution differed from the weighted channel sum PyTorch equals it to, and Canny's float32 angles differed in 46
pixels of 7680). Found by the wild39 programs on an AMD host. The thread count's part in the choice was missing: on
one thread a 1x1 convolution's errors and its weight gradient's layout were oneDNN's where PyTorch's are the
reference kernel's.

Left: the reference kernel's gradients (other GEMM shapes, not measured) and the first ``columns % 4`` outputs of two
or three channels, which MKL computes in another order not yet identified.
"""
import numpy as np
import pytest

import torchless
from torchless import _cpu_features
from torchless._kernels import conv

# (N, C, H, W, out channels, kernel, stride, padding, dilation, groups)
PROBLEMS = [
    (1, 3, 80, 96, 1, 1, 1, 0, 1, 1),    # grayscale weights as a 1x1 convolution
    (1, 1, 80, 96, 2, 3, 1, 1, 1, 1),    # a Sobel pair with padding
    (1, 1, 28, 28, 1, 3, 1, 0, 1, 1),
    (1, 3, 32, 32, 3, 3, 1, 1, 1, 1),
    (1, 16, 12, 12, 2, 3, 1, 1, 1, 1),
    (1, 1, 6, 8, 1, 2, 1, 0, 1, 1),      # d2l's learnt edge kernel (1x2)
    (1, 64, 14, 14, 1, 3, 1, 1, 1, 1),   # a deep sum (576 products)
    (1, 4, 30, 30, 1, 3, 2, 1, 1, 1),    # strided: 15x15 outputs, one channel
    (1, 2, 17, 17, 1, 3, 1, 2, 1, 1),
    (1, 2, 8, 8, 2, 1, 2, 0, 1, 1),      # a strided 1x1 kernel
]
# 1x1 kernels on several images, which PyTorch convolves by its reference kernel on one thread only
ONE_THREAD_PROBLEMS = [(4, 3, 10, 12, 1, 1, 1, 0, 1, 1), (2, 8, 16, 16, 3, 1, 1, 0, 1, 1),
                       (1, 6, 10, 10, 3, 1, 1, 0, 1, 3), (2, 6, 12, 12, 6, 1, 1, 0, 1, 3)]  # (grouped: per group)


def _sequential_reference(x, w, bias, stride, padding, groups):
    """Each output: the bias (or zero), then each product rounded to x's dtype and added in order of (channel,
    kernel row, kernel column), rounding each sum: a loop over the kernel taps, independent of torchless."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    y = np.zeros((N, O, oh, ow), x.dtype)
    if bias is not None:
        y += bias.reshape(1, O, 1, 1)
    per_group = O // groups
    for o in range(O):
        g = o // per_group
        for c in range(Cg):
            for i in range(kh):
                for j in range(kw):
                    window = padded[:, g * Cg + c, i:i + stride * oh:stride, j:j + stride * ow:stride]
                    y[:, o] = y[:, o] + w[o, c, i, j] * window  # (NumPy rounds the product, then the sum)
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("problem", PROBLEMS + [(2, 4, 9, 9, 4, 3, 1, 1, 1, 2), (3, 6, 5, 7, 3, 1, 1, 0, 1, 3)])
def test_unfused_algorithm_adds_rounded_products_in_column_order(problem, dtype):
    N, C, H, W, O, k, stride, padding, _, groups = problem
    rng = np.random.default_rng(sum(problem))
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, k, k)).astype(dtype)
    bias = rng.standard_normal(O).astype(dtype)
    args = (stride, stride), ((padding, padding), (padding, padding)), (1, 1), groups
    for b in (None, bias):
        got = conv.conv2d_forward(x, w, *args, algorithm="unfused", bias=b)
        np.testing.assert_array_equal(got, _sequential_reference(x, w, b, stride, padding, groups))


def test_unfused_sums_keep_the_sign_of_zero_of_an_addition_from_zero():
    # MKL's accumulators start at +0: products of -0 alone sum to +0 (a bias of -0 stays -0)
    x = np.full((1, 2, 4, 4), -0.0, np.float32)
    w = np.ones((1, 2, 1, 1), np.float32)
    args = (1, 1), ((0, 0), (0, 0)), (1, 1), 1
    assert not np.signbit(conv.conv2d_forward(x, w, *args, algorithm="unfused")).any()
    with_bias = conv.conv2d_forward(x, w, *args, algorithm="unfused", bias=np.array([-0.0], np.float32))
    assert np.signbit(with_bias).all()


def test_mkl_rounding_rule_is_the_vendors():
    if _cpu_features.mkl_fuses_multiply_adds():
        assert not _cpu_features.mkl_gemm_rounds_each_product(1, 64, 9)
    else:
        assert _cpu_features.mkl_gemm_rounds_each_product(1, 25, 9)
        assert _cpu_features.mkl_gemm_rounds_each_product(3, 7680, 576)
        assert not _cpu_features.mkl_gemm_rounds_each_product(2, 225, 36)  # 225 % 4: its first column otherwise
        assert _cpu_features.mkl_gemm_rounds_each_product(2, 225, 3)
        assert not _cpu_features.mkl_gemm_rounds_each_product(4, 7680, 9)


@pytest.fixture
def one_thread():
    import torch

    torch_threads, torchless_threads = torch.get_num_threads(), torchless.get_num_threads()
    yield lambda threads: (torch.set_num_threads(threads), torchless.set_num_threads(threads))
    torch.set_num_threads(torch_threads)
    torchless.set_num_threads(torchless_threads)


def _assert_same(actual, expected, dtype):
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())
    assert actual.dtype == getattr(torchless, np.dtype(dtype).name)


def _reference_cases():
    for problem in PROBLEMS + ONE_THREAD_PROBLEMS:
        for dtype in (np.float32, np.float64):
            for threads in (1, 2):
                one_image = problem[0] == 1 and not (problem[5] == 1 and problem[6] == 1)
                if threads == 1 or dtype == np.float64 or one_image:
                    yield problem, dtype, threads


@pytest.mark.parametrize("problem, dtype, threads", list(_reference_cases()))
def test_reference_convolutions_have_pytorchs_bits(problem, dtype, threads, one_thread):
    torch = pytest.importorskip("torch")
    if _cpu_features.mkl_fuses_multiply_adds():
        pytest.skip("MKL fuses its multiply-adds on this CPU (Intel's): OpenBLAS's sums are compared elsewhere")
    one_thread(threads)
    N, C, H, W, O, k, stride, padding, _, groups = problem
    rng = np.random.default_rng(sum(problem) + threads)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, k, k)).astype(dtype)
    bias = rng.standard_normal(O).astype(dtype)
    for b in (None, bias):
        expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                              None if b is None else torch.from_numpy(b), stride, padding, 1, groups)
        operands = [torchless.from_numpy(a) for a in (x, w)] + [None if b is None else torchless.from_numpy(b)]
        # the functional's direct path (nothing recorded) and the graph's node (a weight requiring grad)
        _assert_same(torchless.nn.functional.conv2d(*operands, stride, padding, 1, groups), expected, dtype)
        operands[1].requires_grad_()
        _assert_same(torchless.nn.functional.conv2d(*operands, stride, padding, 1, groups), expected, dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("batch", [1, 4, 16])
def test_a_1x1_convolution_on_one_thread_leaves_onednn_as_in_pytorch(batch, stride, threads, one_thread):
    # the backend is seen in the dtype-mismatch message: oneDNN's names MKLDNN tensors, the reference kernel's not
    torch = pytest.importorskip("torch")
    one_thread(threads)
    messages = []
    for lib in (torch, torchless):
        x = lib.ones(batch, 2, 150, 150)
        w = lib.ones(3, 2, 1, 1, dtype=lib.float64)
        with pytest.raises(RuntimeError) as raised:
            lib.nn.functional.conv2d(x, w, stride=stride)
        messages.append(str(raised.value).replace("torchless.", "torch."))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape", [(2, 4, 5, 5, 6, 1), (2, 4, 5, 5, 4, 2), (3, 4, 6, 6, 2, 1)])
def test_channels_last_1x1_layouts_follow_the_backend_the_thread_count_picks(shape, threads, one_thread):
    # oneDNN writes the weight's gradient channels-last exactly (strides 4, 1, 4, 4), the reference kernel C-ordered
    # and then only suggested (4, 1, 1, 1): on one thread a 1x1 convolution of under 16 images takes the latter
    torch = pytest.importorskip("torch")
    one_thread(threads)
    N, C, H, W, O, groups = shape
    rng = np.random.default_rng(threads)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((O, C // groups, 1, 1)).astype(np.float32)
    strides = []
    for lib in (torch, torchless):
        tx = lib.from_numpy(x).contiguous(memory_format=lib.channels_last).requires_grad_()
        tw = lib.from_numpy(w).requires_grad_()
        y = lib.nn.functional.conv2d(tx, tw, groups=groups)
        y.backward(lib.ones_like(y))
        strides.append((y.stride(), tx.grad.stride(), tw.grad.stride()))
    assert strides[1] == strides[0]


@pytest.mark.parametrize("threads", [1, 2])
def test_conv1d_and_a_conv2d_module_of_one_channel_have_pytorchs_bits(threads, one_thread):
    # a 1-D convolution runs as a 2-D one over a height of 1 (through the graph's node), a module adds its bias
    torch = pytest.importorskip("torch")
    if _cpu_features.mkl_fuses_multiply_adds():
        pytest.skip("MKL fuses its multiply-adds on this CPU (Intel's): OpenBLAS's sums are compared elsewhere")
    one_thread(threads)
    rng = np.random.default_rng(41)
    x = rng.standard_normal((1, 8, 400)).astype(np.float32)
    w = rng.standard_normal((2, 8, 5)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    results = [lib.nn.functional.conv1d(lib.from_numpy(x), lib.from_numpy(w), lib.from_numpy(b), padding=2)
               for lib in (torch, torchless)]
    _assert_same(results[1], results[0], np.float32)
    torch.manual_seed(0)
    module = torch.nn.Conv2d(3, 1, 3, padding=1)
    twin = torchless.nn.Conv2d(3, 1, 3, padding=1)
    twin.load_state_dict({key: torchless.from_numpy(value.detach().numpy())
                          for key, value in module.state_dict().items()})
    image = rng.standard_normal((1, 3, 40, 40)).astype(np.float32)
    _assert_same(twin(torchless.from_numpy(image)), module(torch.from_numpy(image)), np.float32)
