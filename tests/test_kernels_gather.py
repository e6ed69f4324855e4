"""Tests of the small-problem convolution (torchless._kernels.gather) against the float64 direct reference.

The generic per-algorithm tests in test_kernels_conv.py run it on random problems too; these pin
the situations peculiar to it: its per-thread plan cache (reuse, padding borders staying zero,
eviction), the dispatcher's rule, and the shapes of the models it is meant for.
"""

import threading

import numpy as np
import pytest
from hypothesis import given
from test_kernels_conv import (FAST, assert_close, conv_problems, dtypes, reference_backward_weight,
                               reference_forward)

from torchless._kernels import blas, conv, gather

MODEL_SHAPES = [
    # N, C, H, W, O, k, stride, pad, dilation, groups
    (1, 1, 28, 28, 5, 3, 1, 1, 1, 1),      # course CNN, batch 1
    (1, 5, 14, 14, 10, 3, 1, 1, 1, 1),
    (10, 1, 28, 28, 6, 3, 1, 1, 1, 1),
    (64, 1, 28, 28, 5, 3, 1, 1, 1, 1),     # course CNN, training batch
    (3, 1, 28, 28, 32, 3, 1, 0, 1, 1),     # classic MNIST CNN's first layer (exact grid: 9 taps < 32 outputs)
    (2, 1, 9, 8, 12, 3, 1, 1, 1, 1),       # exact grid with padding
    (2, 3, 17, 15, 4, 3, 2, 1, 1, 1),      # stride 2, odd sizes
    (2, 4, 12, 11, 6, 3, 1, 2, 2, 2),      # dilation and groups
    (1, 6, 9, 9, 6, 3, 1, 1, 1, 6),        # depthwise
    (2, 2, 10, 13, 3, (2, 5), (3, 1), 0, (1, 2), 1),
    (1, 64, 4, 4, 8, 3, 1, 1, 1, 1),       # fewer positions than taps: bias added after the GEMM, pitched
    (1, 2, 3, 3, 32, 3, 1, 1, 1, 1),       # the same on the exact grid
]


def _problem(N, C, H, W, O, k, stride, pad, dilation, groups, dtype, seed=0):
    pair = (lambda v: tuple(v) if isinstance(v, tuple) else (v, v))
    kernel = pair(k)
    args = (pair(stride), ((pad, pad), (pad, pad)), pair(dilation), groups)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, *kernel)).astype(dtype)
    return x, w, kernel, args


@dtypes
@pytest.mark.parametrize("shape", MODEL_SHAPES)
def test_forward_and_weight_gradient_match_reference(dtype, shape):
    x, w, kernel, args = _problem(*shape, dtype)
    y = gather.conv2d_forward_gather(x, w, *args)
    assert_close(y, reference_forward(x, w, *args), dtype)
    assert y.flags.c_contiguous
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    assert_close(gather.conv2d_backward_weight_gather(gy, x, kernel, *args),
                 reference_backward_weight(gy, x, kernel, *args), dtype)


@dtypes
@pytest.mark.parametrize("shape", MODEL_SHAPES)
def test_bias_is_added_by_the_product_and_stays_out_of_the_weight_gradient(dtype, shape):
    """Without groups the bias rides in the GEMM on a row of ones kept in the plan's columns; that row
    must neither be overwritten by a gather nor reach the weight gradient, which shares the plan."""
    x, w, kernel, args = _problem(*shape, dtype)
    bias = np.random.default_rng(2).standard_normal(w.shape[0]).astype(dtype)
    expected = reference_forward(x, w, *args) + bias.reshape(1, -1, 1, 1)
    for _ in range(2):  # the second call reuses the plan
        assert_close(gather.conv2d_forward_gather(x, w, *args, bias=bias), expected, dtype)
        gy = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
        assert_close(gather.conv2d_backward_weight_gather(gy, x, kernel, *args),
                     reference_backward_weight(gy, x, kernel, *args), dtype)
    out = np.full(expected.shape, np.nan, dtype)
    assert gather.conv2d_forward_gather(x, w, *args, out=out, bias=bias) is out
    assert_close(out, expected, dtype)


@dtypes
@FAST
@given(problem=conv_problems())
def test_weight_gradient_of_random_problems(dtype, problem):
    x, w, gy = problem.arrays(dtype)
    assert_close(gather.conv2d_backward_weight_gather(gy, x, problem.kernel, *problem.args),
                 reference_backward_weight(gy, x, problem.kernel, *problem.args), dtype)


def test_a_cached_plan_gives_fresh_results_for_new_inputs():
    """The second call reuses the plan (its padded buffer's border must still be zero) and must
    neither return nor overwrite the first call's result."""
    x1, w, _, args = _problem(2, 3, 8, 9, 4, 3, 1, 2, 1, 1, np.float64, seed=1)
    x2 = np.random.default_rng(2).standard_normal(x1.shape) * 100
    first = gather.conv2d_forward_gather(x1, w, *args)
    kept = first.copy()
    second = gather.conv2d_forward_gather(x2, w, *args)
    np.testing.assert_array_equal(first, kept)
    assert_close(second, reference_forward(x2, w, *args), np.float64)
    assert_close(gather.conv2d_forward_gather(x1, w, *args), reference_forward(x1, w, *args), np.float64)


def test_non_contiguous_input_and_list_arguments():
    x, w, _, _ = _problem(2, 4, 10, 10, 3, 3, 1, 1, 1, 1, np.float32)
    x_view = np.swapaxes(np.swapaxes(x, 2, 3).copy(), 2, 3)  # same values, transposed memory
    args = ([1, 1], [[1, 0], [0, 2]], [1, 1], 1)
    expected = reference_forward(x, w, (1, 1), ((1, 0), (0, 2)), (1, 1), 1)
    assert_close(gather.conv2d_forward_gather(x_view, w, *args), expected, np.float32)


def test_plans_are_per_thread_and_bounded(monkeypatch):
    x, w, _, args = _problem(1, 2, 12, 12, 3, 3, 1, 1, 1, 1, np.float64)
    expected = reference_forward(x, w, *args)
    results = []
    thread = threading.Thread(target=lambda: results.append(gather.conv2d_forward_gather(x, w, *args)))
    thread.start()
    thread.join()
    assert_close(results[0], expected, np.float64)
    # A tiny cache budget evicts plans on every call; results must not change.
    monkeypatch.setattr(gather, "MAX_CACHED_BYTES", 1)
    for _ in range(3):
        assert_close(gather.conv2d_forward_gather(x, w, *args), expected, np.float64)
    monkeypatch.setattr(gather, "MAX_PLAN_BYTES", 1)  # too large to cache: a one-off plan
    assert_close(gather.conv2d_forward_gather(x, w, *args), expected, np.float64)
    gather.release_plans()


def test_integer_inputs_stay_exact():
    rng = np.random.default_rng(4)
    x = rng.integers(-5, 5, (1, 2, 7, 7))
    w = rng.integers(-3, 3, (3, 2, 3, 3))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    y = conv.conv2d_forward(x, w, *args, algorithm="gather")
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, reference_forward(x, w, *args).astype(np.int64))


# Where AVX-512 machines measured Winograd F(4x4) faster (gather.suits), which float32 takes only at a
# matmul precision below "highest" (conv.set_float32_precision); F(2x2) never beat gathering there.
NARROW = "unless Winograd F(4x4) with AVX-512"


@pytest.mark.parametrize("shape, kernel, chosen", [
    ((1, 1, 28, 28, 5), 3, True),      # batch-1 inference
    ((1, 5, 14, 14, 10), 3, True),
    ((64, 1, 28, 28, 5), 3, True),     # one input channel: any batch
    ((64, 5, 14, 14, 10), 3, True),
    ((64, 8, 32, 32, 64), 3, True),    # up to 72 taps: any batch, in chunks
    ((64, 16, 32, 32, 32), 3, NARROW),  # up to 144 taps into 8 or more: with 256-bit BLAS kernels only
    ((64, 1, 224, 224, 8), 3, True),
    ((64, 1, 28, 28, 32), 5, True),    # larger kernels up to 150 taps
    ((64, 6, 28, 28, 16), 5, True),
    ((8, 1, 64, 64, 32), 7, True),
    ((64, 32, 14, 14, 64), 3, NARROW),  # up to 288 taps into 40 or more: 256-bit BLAS kernels only
    ((16, 20, 32, 32, 40), 3, NARROW),
    ((32, 17, 28, 28, 32), 3, False),  # many channels and pixels: one large GEMM or Winograd is faster
    ((32, 32, 28, 28, 32), 3, False),
    ((32, 33, 28, 28, 64), 3, False),
    ((8, 32, 64, 64, 32), 7, False),
])
@pytest.mark.parametrize("wide_vectors", [False, True])
@pytest.mark.parametrize("precision", ["highest", "high"])
def test_dispatcher_rule(monkeypatch, shape, kernel, chosen, wide_vectors, precision):
    monkeypatch.setattr(blas, "WIDE_VECTORS", wide_vectors)
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", False)  # its exception has a test of its own
    if chosen is NARROW:
        chosen = not (wide_vectors and precision == "high")
    N, C, H, W, O = shape
    pad = kernel // 2
    args = ((1, 1), ((pad, pad), (pad, pad)), (1, 1), 1, np.float32, precision)
    assert (conv.choose_forward((N, C, H, W), (O, C, kernel, kernel), *args) == "gather") == chosen
    assert (conv.choose_backward_weight((N, O, H, W), (N, C, H, W), (kernel, kernel), *args) == "gather") == chosen


@pytest.mark.parametrize("xeon", [False, True])
def test_288_tap_tier_takes_small_stride_one_planes_on_a_xeon_with_avx512_fp16_too(monkeypatch, xeon):
    """There 14x14 planes of up to 288 taps into 40 or more channels once measured faster by stacked rows
    (forward) and F(2x2) (weight gradient); since the shifted columns they gather there too (see
    gather.FEW_TAPS_WIDE_OUTPUTS), as 28x28 planes, larger ones and stride 2 do."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", True)
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", xeon)
    same = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32, "highest")
    for N, C, H, O in [(64, 32, 14, 64), (64, 32, 14, 128), (64, 20, 16, 40), (32, 24, 28, 48), (8, 32, 56, 64)]:
        assert conv.choose_forward((N, C, H, H), (O, C, 3, 3), *same) == "gather"
        assert conv.choose_backward_weight((N, O, H, H), (N, C, H, H), (3, 3), *same) == "gather"
    strided = ((2, 2),) + same[1:]
    assert conv.choose_forward((64, 32, 28, 28), (64, 32, 3, 3), *strided) == "gather"


@pytest.mark.parametrize("wide_vectors", [False, True])
def test_mid_size_layers_gather_wherever_winograd_does_not_apply(monkeypatch, wide_vectors):
    """The AVX-512 exception to the 144-tap rule is Winograd's: at stride 2 (or in integers) the
    columns are gathered on every machine."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", wide_vectors)
    strided = ((2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv.choose_forward((64, 16, 32, 32), (32, 16, 3, 3), *strided) == "gather"
    assert conv.choose_backward_weight((64, 32, 16, 16), (64, 16, 32, 32), (3, 3), *strided) == "gather"
    stride_one = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv.choose_forward((64, 16, 32, 32), (32, 16, 3, 3), *stride_one, np.dtype(np.int64)) == "gather"


def test_large_per_image_products_are_gathered_where_im2col_was_the_fallback():
    """A single 14x14 image with many channels is too few tiles for Winograd and too few pixels for
    stacked kernel rows; its one per-image GEMM is large, so the forward gathers (measured)."""
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv.choose_forward((1, 256, 14, 14), (256, 256, 3, 3), *args) == "gather"
    assert conv.choose_forward((4, 64, 56, 56), (128, 64, 3, 3), (2, 2), *args[1:]) == "gather"
    assert conv.choose_forward((4, 32, 64, 64), (32, 32, 7, 7), (1, 1), ((3, 3), (3, 3)), (1, 1), 1) in (
        "rowstack", "rowstack_blocked")
    # The weight gradient too, where Winograd does not apply.
    assert conv.choose_backward_weight((1, 256, 14, 14), (1, 256, 14, 14), (3, 3), *args) == "gather"
    assert conv.choose_backward_weight((4, 128, 28, 28), (4, 64, 56, 56), (3, 3), (2, 2), *args[1:]) == "gather"
    assert conv.choose_backward_weight((4, 32, 64, 64), (4, 32, 64, 64), (7, 7), (1, 1), ((3, 3), (3, 3)),
                                       (1, 1), 1) == "rowstack"


def test_dispatcher_result_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, kernel, args = _problem(1, 5, 14, 14, 10, 3, 1, 1, 1, 1, np.float32, seed=5)
    assert conv.choose_forward(x.shape, w.shape, *args) == "gather"
    expected = torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                                          padding=1).numpy()
    assert_close(conv.conv2d_forward(x, w, *args), expected, np.float32)


def test_weight_gradient_right_after_its_forward_copies_no_input(monkeypatch):
    x, w, kernel, args = _problem(4, 3, 9, 8, 5, 3, 1, 1, 1, 1, np.float32)
    gy = np.ones(reference_forward(x, w, *args).shape, np.float32)
    gather.conv2d_forward_gather(x, w, *args)
    copies = []
    copyto = np.copyto
    monkeypatch.setattr(gather.np, "copyto", lambda dst, src, **kw: copies.append(src.shape) or copyto(dst, src, **kw))
    copy_rows = gather.copy_rows
    monkeypatch.setattr(gather, "copy_rows",
                        lambda dst, src: (src is gy or copies.append(src.shape)) or copy_rows(dst, src))
    gather.conv2d_backward_weight_gather(gy, x, kernel, *args)
    assert copies == []  # neither x into the padded buffer nor its taps into the columns
    gather.release_plans()


def test_weight_gradient_reuses_only_the_columns_of_the_same_input():
    """The forward leaves x's columns in the plan and the weight gradient of that same array skips
    the gather; a forward always gathers (its input may have changed in place), and a weight
    gradient of another array gathers its own columns."""
    x1, w, kernel, args = _problem(4, 3, 9, 8, 5, 3, 1, 1, 1, 1, np.float64)
    x2 = np.random.default_rng(7).standard_normal(x1.shape)
    gy = np.random.default_rng(8).standard_normal(reference_forward(x1, w, *args).shape)
    gather.conv2d_forward_gather(x1, w, *args)
    assert_close(gather.conv2d_backward_weight_gather(gy, x1, kernel, *args),
                 reference_backward_weight(gy, x1, kernel, *args), np.float64)
    x1 += 1.0  # in place: the next forward must see it
    assert_close(gather.conv2d_forward_gather(x1, w, *args), reference_forward(x1, w, *args), np.float64)
    gather.conv2d_forward_gather(x2, w, *args)
    assert_close(gather.conv2d_backward_weight_gather(gy, x1, kernel, *args),
                 reference_backward_weight(gy, x1, kernel, *args), np.float64)
    gather.release_plans()


@pytest.mark.parametrize("out_channels", range(1, 18))
def test_products_padded_to_the_blas_row_block_give_only_the_real_rows(monkeypatch, out_channels):
    """Pitched products of 3, 7, 10, 11, ... output rows run with zero rows added up to a multiple
    of 4 (gather.padded_rows): the extra rows must reach neither the output, with or without the
    bias in the product, nor the weight gradient, whose padded output-gradient buffer is reused by
    the next call."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", False)  # rows are padded with 256-bit BLAS kernels only
    products = []
    matmul = gather.matmul
    monkeypatch.setattr(gather, "matmul", lambda a, b, **kw: products.append(a.shape[-2:]) or matmul(a, b, **kw))
    monkeypatch.setattr(gather, "SMALL_OUTPUT_SIZE", 0)  # this small problem as if it were large
    gather.release_plans()  # recipes decided under the real bound
    x, w, kernel, args = _problem(3, 5, 9, 8, out_channels, 3, 1, 1, 1, 1, np.float64)
    bias = np.random.default_rng(3).standard_normal(out_channels)
    expected = reference_forward(x, w, *args)
    assert_close(gather.conv2d_forward_gather(x, w, *args), expected, np.float64)
    assert_close(gather.conv2d_forward_gather(x, w, *args, bias=bias), expected + bias.reshape(1, -1, 1, 1),
                 np.float64)
    for seed in (1, 2):
        gy = np.random.default_rng(seed).standard_normal(expected.shape)
        assert_close(gather.conv2d_backward_weight_gather(gy, x, kernel, *args),
                     reference_backward_weight(gy, x, kernel, *args), np.float64)
    positions = 9 * 10  # pitched: Ho rows of Wp
    if out_channels >= gather.TRANSPOSED_WEIGHT_PRODUCT_MIN_ROWS:  # columns @ gy^T: the columns on the left
        weight_product = (45, positions)
    else:
        weight_product = (gather.padded_rows(out_channels, positions), positions)
    assert products == [(gather.padded_rows(out_channels, 45), 45), (gather.padded_rows(out_channels, 46), 46)] + [
        weight_product] * 2
    gather.release_plans()


@pytest.mark.parametrize("out_channels", [3, 5, 10])
def test_a_small_output_is_computed_with_the_kernel_as_it_is(monkeypatch, out_channels):
    """Below SMALL_OUTPUT_SIZE output values (batch-1 inference) the product takes w itself, without padded
    rows; a bias is its one extra column (met by the columns' row of ones), since the pitched output is
    cropped by a copy anyway; the results are the same."""
    gather.release_plans()
    operands = []
    matmul = gather.matmul
    monkeypatch.setattr(gather, "matmul", lambda a, b, **kw: operands.append(a) or matmul(a, b, **kw))
    x, w, kernel, args = _problem(1, 5, 14, 14, out_channels, 3, 1, 1, 1, 1, np.float64, seed=4)
    bias = np.random.default_rng(5).standard_normal(out_channels)
    expected = reference_forward(x, w, *args)
    assert expected.size < gather.SMALL_OUTPUT_SIZE
    assert_close(gather.conv2d_forward_gather(x, w, *args), expected, np.float64)
    for _ in range(2):  # the second call from the cached recipe
        assert_close(gather.conv2d_forward_gather(x, w, *args, bias=bias), expected + bias.reshape(1, -1, 1, 1),
                     np.float64)
    assert [a.shape[-2:] for a in operands] == [(out_channels, 45)] + [(out_channels, 46)] * 2
    assert np.shares_memory(operands[0], w)
    np.testing.assert_array_equal(operands[1][0, :, :45], w.reshape(out_channels, 45))
    np.testing.assert_array_equal(operands[1][0, :, 45], bias)
    gather.release_plans()


def test_row_padding_rule(monkeypatch):
    """Padded where OpenBLAS's narrow remainder kernels cost more than zero rows (measured): a remainder
    of 3 always, of 1 or 2 from 9 rows on in deep products, never past MAX_PADDED_ROWS; never with
    AVX-512 kernels."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", True)
    assert [gather.padded_rows(rows, depth) for rows in range(1, 18) for depth in (10, 46)] == [
        rows for rows in range(1, 18) for depth in (10, 46)]
    monkeypatch.setattr(blas, "WIDE_VECTORS", False)
    assert [gather.padded_rows(rows, 10) for rows in range(1, 18)] == [
        1, 2, 4, 4, 5, 6, 8, 8, 9, 10, 12, 12, 13, 14, 16, 16, 17]
    assert [gather.padded_rows(rows, 46) for rows in range(1, 18)] == [
        1, 2, 4, 4, 5, 6, 8, 8, 12, 12, 12, 12, 16, 16, 16, 16, 17]
    assert gather.padded_rows(gather.MAX_PADDED_ROWS + 3, 100) == gather.MAX_PADDED_ROWS + 3


@pytest.mark.parametrize("make", [
    lambda a: (a[:, :3, :, :5], np.empty((2, 3, 4, 5), a.dtype)),           # a crop of contiguous rows
    lambda a: (a.transpose(1, 0, 2, 3), np.empty((5, 2, 4, 6), a.dtype)),   # outer axes permuted
    lambda a: (a[..., ::2], np.empty((2, 5, 4, 3), a.dtype)),               # strided rows: element copy
    lambda a: (a[..., :0], np.empty((2, 5, 4, 0), a.dtype)),                # empty rows
    lambda a: (a, np.empty((2, 5, 4, 6), np.float32)),                      # another dtype: converted
    lambda a: (a[:, :1, :1, :], np.empty((2, 3, 4, 6), a.dtype)),           # broadcast into
])
def test_copy_rows_copies_like_copyto(make, monkeypatch):
    import torchless._kernels as kernels
    source, destination = make(np.arange(240, dtype=np.float64).reshape(2, 5, 4, 6) - 100.5)
    monkeypatch.setattr(kernels, "COPY_ROWS_MIN_SIZE", 0)
    expected = np.empty_like(destination)
    np.copyto(expected, source)
    kernels.copy_rows(destination, source)
    np.testing.assert_array_equal(destination, expected)



def _budget_for_two_images(x, w, args):
    """The smallest CHUNK_BYTES that keeps a batch of two of these images in one chunk (found by bisection,
    independent of how image_chunks counts the bytes); CHUNK_BYTES is left as it was (a monkeypatch.setattr given
    this budget records CHUNK_BYTES as it is when called, after the argument is evaluated)."""
    kept = gather.CHUNK_BYTES
    low, high = 1, 2 ** 40
    try:
        while low < high:
            middle = (low + high) // 2
            gather.CHUNK_BYTES = middle
            whole = gather.image_chunks((2,) + x.shape[1:], w.shape, *args[:3], x.dtype.itemsize) is None
            low, high = (low, middle) if whole else (middle + 1, high)
    finally:
        gather.CHUNK_BYTES = kept
    return low


@dtypes
@pytest.mark.parametrize("shape", [s for s in MODEL_SHAPES if s[0] > 1] + [(7, 3, 11, 10, 5, 3, 2, 1, 1, 1),
                                                                       (5, 4, 9, 9, 4, 3, 1, 1, 2, 2)])
def test_chunks_of_images_give_the_whole_batch_result(monkeypatch, dtype, shape):
    """With a budget of two images per chunk every batch is gathered and multiplied two images at a time,
    the last chunk shorter for odd batches: same forward (bias in the product or added after, into ``out`` or
    not) and weight gradient as the reference."""
    x, w, kernel, args = _problem(*shape, dtype, seed=4)
    N = x.shape[0]
    monkeypatch.setattr(gather, "CHUNK_BYTES", _budget_for_two_images(x, w, args))
    chunks = gather.image_chunks(x.shape, w.shape, *args[:3], x.dtype.itemsize)
    if N > 2:
        assert [len(range(N)[part]) for part in chunks] == [2] * (N // 2) + [1] * (N % 2)
    bias = np.random.default_rng(5).standard_normal(w.shape[0]).astype(dtype)
    expected = reference_forward(x, w, *args)
    assert_close(gather.conv2d_forward_gather(x, w, *args), expected, dtype)
    out = np.full(expected.shape, np.nan, dtype)
    assert gather.conv2d_forward_gather(x, w, *args, out=out, bias=bias) is out
    assert_close(out, expected + bias.reshape(1, -1, 1, 1), dtype)
    gy = np.random.default_rng(6).standard_normal(expected.shape).astype(dtype)
    assert_close(gather.conv2d_backward_weight_gather(gy, x, kernel, *args),
                 reference_backward_weight(gy, x, kernel, *args), dtype)
    gather.release_plans()


def test_chunked_weight_gradient_reuses_the_last_chunk_of_the_same_input_only(monkeypatch):
    """A chunked forward leaves its last chunk's columns in the plan: the weight gradient of the same input
    takes that chunk without gathering it again (a different view object of the same memory), and gathers
    every chunk of another input of the same shape, whose results must then be its own."""
    x1, w, kernel, args = _problem(6, 3, 9, 8, 5, 3, 1, 1, 1, 1, np.float64, seed=9)
    x2 = np.random.default_rng(10).standard_normal(x1.shape)
    gy = np.random.default_rng(11).standard_normal(reference_forward(x1, w, *args).shape)
    monkeypatch.setattr(gather, "CHUNK_BYTES", _budget_for_two_images(x1, w, args))
    assert len(gather.image_chunks(x1.shape, w.shape, *args[:3], x1.dtype.itemsize)) == 3
    gathers = []
    original = gather.GatherPlan.gather

    def counted(plan, x, reuse=False):
        before = plan.source
        result = original(plan, x, reuse)
        gathers.append(plan.source is not before)
        return result

    monkeypatch.setattr(gather.GatherPlan, "gather", counted)
    gather.conv2d_forward_gather(x1, w, *args)
    gathers.clear()
    assert_close(gather.conv2d_backward_weight_gather(gy, x1, kernel, *args),
                 reference_backward_weight(gy, x1, kernel, *args), np.float64)
    assert gathers == [False, True, True]  # the last chunk first, from the forward's columns
    gathers.clear()
    gather.conv2d_forward_gather(x1, w, *args)
    assert_close(gather.conv2d_backward_weight_gather(gy, x2, kernel, *args),
                 reference_backward_weight(gy, x2, kernel, *args), np.float64)
    assert gathers[-3:] == [True, True, True]
    gather.release_plans()


@pytest.mark.parametrize("shape", [(5, 7), (300, 437), (3, 70, 1900), (2, 33, 2048)])
def test_transposed_copies_in_bands_like_numpy(monkeypatch, shape):
    """kernels.transposed swaps the last two axes into a C-contiguous copy; from TRANSPOSE_IN_BANDS_MIN_SIZE
    values in bands of source rows (the last band short when the rows do not divide)."""
    import torchless._kernels as kernels
    monkeypatch.setattr(kernels, "TRANSPOSE_IN_BANDS_MIN_SIZE", 1000)
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for source in (a, a[..., 1:, :-2]):   # also a view whose rows are not contiguous with each other
        copy = kernels.transposed(source)
        assert copy.flags.c_contiguous
        np.testing.assert_array_equal(copy, source.swapaxes(-1, -2))


@pytest.mark.parametrize("max_values", [0, 2 ** 40])
@pytest.mark.parametrize("shape", [(1, 40, 5, 5, 48, 3, 1, 1, 1, 1), (2, 24, 6, 7, 32, 3, 1, 1, 1, 2),
                                   (3, 16, 8, 8, 20, 3, 2, 1, 1, 1)])
def test_weight_gradient_product_either_way_round(monkeypatch, max_values, shape):
    """With many output channels the per-image product runs as columns @ gy^T, then transposed back, unless
    its result would exceed TRANSPOSED_WEIGHT_PRODUCT_MAX_VALUES: both orientations give the reference."""
    monkeypatch.setattr(gather, "TRANSPOSED_WEIGHT_PRODUCT_MAX_VALUES", max_values)
    gather.release_plans()
    x, w, kernel, args = _problem(*shape, np.float64)
    gy = np.random.default_rng(2).standard_normal(reference_forward(x, w, *args).shape)
    assert_close(gather.conv2d_backward_weight_gather(gy, x, kernel, *args),
                 reference_backward_weight(gy, x, kernel, *args), np.float64)
    gather.release_plans()
