"""The mean and biased variance of rows as ATen's ``RowwiseMoments`` (native/cpu/moments_utils.h) computes them, for
layer and group normalisation's float32 and float64 kernels (and layer normalisation's float16 one), whose rounding
shows where a row's mean is large against its spread (1e4 + 1e-2 noise in float32: a mean off by an ulp of 1e4
moves every output by 0.1).

Its Welford algorithm runs on 32-byte vectors (8 floats, 4 doubles: the width of the kernel PyTorch dispatches to
on an AVX2 or AVX-512 CPU, measured bit for bit against torch 2.13): each lane takes every 8th (4th) element, in
chunks of 16 vectors whose moments are merged by a binary cascade; the elements beyond the last whole vector go
through a scalar Welford loop, into which the lanes' moments are then merged one by one. The fused multiply-adds
are those of its code (``fmadd``) and those its compiler contracts in the scalar merges.
"""
import numpy as np

from .fma import ExactProducts, fused_multiply_add

_VECTOR_BYTES = 32
_CHUNK = 16


def _ceil_log2(count):
    """ATen's ``utils::CeilLog2``: 1 for up to 2, else the bits of count - 1."""
    return 1 if count <= 2 else int(count - 1).bit_length()


def _merge_vectors(added, into):
    """``AddMomentsVec``: the moments ``added`` (count, mean, m2) merged into ``into``, returned."""
    count_add, mean_add, m2_add = added
    count, mean, m2 = into
    total = count + count_add
    dtype = mean.dtype.type
    weight = dtype(dtype(count_add) / dtype(total)) if total else dtype(0)
    delta = mean_add - mean
    weighted_delta = weight * delta
    return total, mean + weighted_delta, fused_multiply_add(delta * dtype(count), weighted_delta, m2 + m2_add)


def _merge_scalars(added, into):
    """``AddMoments`` (one value per row), its compiler's contractions: fma(c, delta, m1), fma(delta^2 c, m0, m2_add)."""
    count_add, mean_add, m2_add = added
    count, mean, m2 = into
    total = count + count_add
    dtype = mean.dtype.type
    weight = dtype(dtype(count_add) / dtype(total)) if total else dtype(0)
    delta = mean_add - mean
    return (total, fused_multiply_add(weight, delta, mean),
            m2 + fused_multiply_add(delta * delta * weight, dtype(count), m2_add))


def _chunk_moments(vectors):
    """Each chunk's Welford moments per lane: ``vectors`` (M, n, K) in chunks of 16 along axis 1; (M, chunks, K)
    means and m2s, the updates fused multiply-adds with the reciprocals 1 / (j + 1) rounded to the dtype."""
    rows, count, lanes = vectors.shape
    dtype = vectors.dtype.type
    chunks = -(-count // _CHUNK)
    mean = np.zeros((rows, chunks, lanes), vectors.dtype)
    m2 = np.zeros_like(mean)
    for j in range(min(_CHUNK, count)):
        x = vectors[:, j::_CHUNK]  # the j-th vector of every chunk that has one (all but a short last chunk's)
        taken = x.shape[1]
        delta = x - mean[:, :taken]
        mean[:, :taken] = fused_multiply_add(dtype(dtype(1) / dtype(j + 1)), delta, mean[:, :taken])
        m2[:, :taken] = fused_multiply_add(delta, x - mean[:, :taken], m2[:, :taken])
    return mean, m2


def rowwise_moments(rows):
    """(mean, biased variance) of each row of the float32, float64 or float16 matrix ``rows`` (M, N), 1-D arrays of M
    values rounded as ATen's ``RowwiseMoments`` rounds them (a float16 row's in float32: each vector of 16 halves
    taken as two float vectors, their Welford moments merged one after the other)."""
    half = rows.dtype == np.float16
    dtype = np.float32 if half else rows.dtype.type
    size = rows.shape[1]
    lanes = _VECTOR_BYTES // rows.itemsize
    count = size // lanes
    vectors = rows[:, :count * lanes].reshape(len(rows), count, lanes)
    parts = [_chunk_moments(part.astype(dtype)) for part in ((vectors[..., :8], vectors[..., 8:]) if half else
                                                              (vectors,))]
    chunks = parts[0][0].shape[1]
    depth = _ceil_log2(chunks)
    zeros = np.zeros((len(rows), lanes // len(parts)), dtype)
    empty = (0, zeros, zeros)
    stack = [empty] * depth
    for i in range(chunks):
        for chunk_means, chunk_m2s in parts:
            stack[0] = _merge_vectors((min(_CHUNK, count - i * _CHUNK), chunk_means[:, i], chunk_m2s[:, i]), stack[0])
        # a binary counter: the level below is merged up (and emptied) at each carry
        level, mask = 1, i + 1
        while level < depth and not mask & 1:
            stack[level] = _merge_vectors(stack[level - 1], stack[level])
            stack[level - 1] = empty
            level, mask = level + 1, mask >> 1
    for level in range(1, depth):
        stack[0] = _merge_vectors(stack[level], stack[0])
    _, lane_means, lane_m2s = stack[0]
    moments = (0, np.zeros(len(rows), dtype), np.zeros(len(rows), dtype))
    for k in range(count * lanes, size):  # the scalar tail: plain Welford, no fused operations
        x = rows[:, k].astype(dtype)
        seen, mean, m2 = moments
        delta = x - mean
        mean = mean + delta / dtype(seen + 1)
        moments = (seen + 1, mean, m2 + delta * (x - mean))
    for lane in range(lane_means.shape[1]):  # (a float16 lane holds two vectors' moments)
        moments = _merge_scalars((count * len(parts), lane_means[:, lane], lane_m2s[:, lane]), moments)
    _, mean, m2 = moments
    return mean, m2 / dtype(size)


# ATen's channels-last group norm kernel takes a group's moments from its sums of x and x^2 (no Welford): beyond a
# threshold of 1024 pixels per plane it splits the (sample, pixel) rows between threads instead of (sample, group).
_THREADED_PIXELS = 1024
# Rows per thread up to which its sums of squares are always emulated step by step (a few ms)
_FUSED_STEPS = 2048


def _lane_total(lanes):
    """``vec_reduce_all`` of a 32-byte vector's lanes (the last axis): a tree of halves for floats (its AVX2
    shuffles), one lane after another for doubles (its generic loop)."""
    if lanes.dtype == np.float32:
        while lanes.shape[-1] > 1:
            half = lanes.shape[-1] // 2
            lanes = lanes[..., :half] + lanes[..., half:]
        return lanes[..., 0]
    total = lanes[..., 0]
    for lane in range(1, lanes.shape[-1]):
        total = total + lanes[..., lane]
    return total


def _in_order(values, axis=-1):
    """The sums of ``values`` along ``axis``, added one after another (cumsum's order; NumPy's sum is pairwise)."""
    return np.cumsum(values, axis=axis).take(-1, axis=axis)


def _plane_sums(pixels, groups):
    """``ColumnwiseMoments``: each (sample, group)'s sums of x and x^2 over pixels (N, HxW, C), one 32-byte vector
    lane per channel modulo the lane count (the group's last, partial vector padded with zeros), each lane adding
    its channels pixel after pixel, then the lanes reduced (see _lane_total)."""
    n, plane, channels = pixels.shape
    per_group = channels // groups
    lanes = _VECTOR_BYTES // pixels.itemsize
    vectors = -(-per_group // lanes)
    padded = np.zeros((n, plane, groups, vectors * lanes), pixels.dtype)
    padded[..., :per_group] = pixels.reshape(n, plane, groups, per_group)
    # (N, G, lane, pixel and vector in the kernel's order)
    sequences = padded.reshape(n, plane, groups, vectors, lanes).transpose(0, 2, 4, 1, 3)
    sequences = sequences.reshape(n, groups, lanes, plane * vectors)
    return _lane_total(_in_order(sequences)), _lane_total(_in_order(np.square(sequences)))


def _thread_chunks(pixels, threads):
    """The rows (sample, pixel) of ``pixels`` (N, HxW, C) as at::parallel_for splits them between ``threads``:
    (threads, chunk, C) contiguous chunks, zeros past the last row, and each row's sample (threads, chunk)."""
    n, plane, channels = pixels.shape
    rows = pixels.reshape(n * plane, channels)
    threads = max(1, min(threads, len(rows)))
    chunk = -(-len(rows) // threads)
    padded = np.zeros((threads * chunk, channels), pixels.dtype)
    padded[:len(rows)] = rows
    sample_of = np.minimum(np.arange(threads * chunk) // plane, n - 1)
    return padded.reshape(threads, chunk, channels), sample_of.reshape(threads, chunk)


def _per_group(partial, groups):
    """Per (sample, group), the per-thread sums ``partial`` (threads, N, C) added channel after channel, thread
    after thread (the kernel's order)."""
    threads, n, channels = partial.shape
    ordered = partial.reshape(threads, n, groups, channels // groups).transpose(1, 2, 3, 0)
    return _in_order(ordered.reshape(n, groups, -1))


def _threaded_sums(pixels, groups, threads):
    """The sums of x and x^2 per (sample, group) as the kernel's threaded path adds them: the rows (sample, pixel)
    split in contiguous chunks between the threads (see _thread_chunks), each thread adding its rows per (sample,
    channel), then per group the channels' totals thread after thread, channel after channel. Its x^2 terms are
    fused multiply-adds, here rounded apart (see _fused_square_sums)."""
    by_thread, sample_of = _thread_chunks(pixels, threads)
    partial = np.zeros((2,) + by_thread.shape[:1] + pixels.shape[::2], pixels.dtype)
    for thread, (rows, samples) in enumerate(zip(by_thread, sample_of)):
        for sample in np.unique(samples):
            segment = rows[samples == sample]
            partial[0, thread, sample] = _in_order(segment, axis=0)
            partial[1, thread, sample] = _in_order(np.square(segment), axis=0)
    return _per_group(partial[0], groups), _per_group(partial[1], groups)


def _fused_square_sums(pixels, groups, threads):
    """_threaded_sums's sums of x^2 with each thread's x * x + sum fused, as the kernel's: one step at a time (all
    threads at once), hundreds of times slower, for the groups whose cancellation shows that last bit."""
    by_thread, sample_of = _thread_chunks(pixels, threads)
    squares = ExactProducts(by_thread, by_thread)
    partial = np.zeros((len(by_thread),) + pixels.shape[::2], pixels.dtype)
    threads_ids = np.arange(len(by_thread))
    sums = np.zeros((len(by_thread), pixels.shape[2]), pixels.dtype)  # each thread's running sums
    for step in range(by_thread.shape[1]):
        if step and (sample_of[:, step] != sample_of[:, step - 1]).any():  # a thread's rows reach the next sample
            partial[threads_ids, sample_of[:, step - 1]] = sums
            sums[sample_of[:, step] != sample_of[:, step - 1]] = 0
        sums = squares.fused_add((slice(None), step), sums)
    partial[threads_ids, sample_of[:, -1]] = sums
    return _per_group(partial, groups)


def channels_last_group_moments(pixels, groups, threads):
    """(mean, biased variance) (N, G) of the groups of channels of ``pixels`` (N, HxW, C: a channels-last input's
    layout), float32 or float64, rounded as ATen's channels-last group norm kernel rounds them: the mean its sum
    times 1 / count, the variance E[x^2] - mean^2 (a fused multiply-add, clamped at 0), whose cancellation shows
    wherever the mean is large against the spread. ``threads``: torch.get_num_threads()."""
    n, plane, channels = pixels.shape
    dtype = pixels.dtype.type
    scale = dtype(dtype(1) / dtype(plane * (channels // groups)))
    threaded = plane >= _THREADED_PIXELS
    total, total_square = _threaded_sums(pixels, groups, threads) if threaded else _plane_sums(pixels, groups)
    mean = total * scale
    variance = fused_multiply_add(total_square, scale, -(mean * mean))
    if threaded:
        # The squares' roundings move the variance by about eps * (1 + (mean / spread)^2) of itself, a last bit (not
        # always) up to 4 spreads, more beyond: there, or everywhere while the loop is short, the squares are
        # added again as the kernel fuses them
        exact = ~(mean * mean <= 16 * variance)
        if -(-n * plane // threads) <= _FUSED_STEPS:
            exact[:] = True
        if exact.any():
            groups_in = exact.any(axis=0)
            picked = pixels.reshape(n, plane, groups, -1)[:, :, groups_in].reshape(n, plane, -1)
            fused = _fused_square_sums(picked, int(groups_in.sum()), threads)
            total_square[:, groups_in] = np.where(exact[:, groups_in], fused, total_square[:, groups_in])
            variance = fused_multiply_add(total_square, scale, -(mean * mean))
    return mean, np.maximum(variance, dtype(0))


def _row_dots(first, second):
    """The sums along the last axis of first * second (M, N) as ATen's ``vec::map2_reduce_all`` adds them (a
    ``map3``'s product of three is ``first`` times the third): the products rounded, each lane of a 32-byte vector
    adding every 8th (4th) one in order, the partial last vector's products fused into their lanes (its compiler's
    contraction there), the lanes then reduced (see _lane_total); a row shorter than a vector adds its rounded
    products one after another."""
    first, second = np.broadcast_arrays(first, second)
    products = first * second
    rows, size = products.shape
    lanes = _VECTOR_BYTES // products.itemsize
    if size < lanes:
        return _in_order(products) if size else np.zeros(rows, products.dtype)
    whole = size // lanes * lanes
    # (a reduction down the middle axis: NumPy adds those vectors in order, the lanes its inner loop)
    totals = np.add.reduce(products[:, :whole].reshape(rows, -1, lanes), axis=1)
    rest = size - whole
    if rest:
        totals[:, :rest] = fused_multiply_add(first[:, whole:], second[:, whole:], totals[:, :rest])
    return _lane_total(totals)


def layer_norm_input_gradient(grad, rows, mean, rstd, weight):
    """d loss / d x of layer normalisation as ATen's float kernel (``LayerNormBackwardKernelImplInternal``) computes
    it from ``grad`` and the input ``rows`` (M, N), the mean and 1 / std (M,) its forward saved and the weight (N,)
    or None: per row ds = sum(dy x w), db = sum(dy w) (see _row_dots), b = (db mean - ds) rstd^3 / N and
    c = -b mean - db rstd / N, then dx = rstd dy w + b x + c, the multiply-adds fused where its compiler fuses
    them. Where a row's mean is large against its spread, b x and c cancel, and their rounding is all of dx."""
    dtype = rows.dtype.type
    scale = dtype(dtype(1) / dtype(rows.shape[1]))
    if weight is None:
        ds, db = _row_dots(grad, rows), _row_dots(grad, dtype(1))
    else:
        ds, db = _row_dots(grad * rows, weight), _row_dots(grad, weight)
    b = fused_multiply_add(db, mean, -ds) * rstd * rstd * rstd * scale
    c = fused_multiply_add(-b, mean, -(db * rstd * scale))
    direct = rstd[:, None] * grad if weight is None else rstd[:, None] * grad * weight
    return fused_multiply_add(b[:, None], rows, direct) + c[:, None]


def _thread_shares(size, threads):
    """The row ranges at::parallel_for gives each of ``threads`` threads over ``size`` rows (grain 1)."""
    if not size:
        return []
    share = -(-size // max(1, min(threads, size)))
    return [(begin, min(size, begin + share)) for begin in range(0, size, share)]


def _in_order_down(rows):
    """The sums down axis 0 of ``rows`` (M, N), added one row after another."""
    if rows.shape[1] == 1:  # (a reduction along the inner axis would be NumPy's pairwise one)
        return _in_order(rows[:, 0])[None]
    return np.add.reduce(rows, axis=0)


def layer_norm_bias_gradient(grad, threads):
    """The bias's gradient of layer normalisation as ATen's kernel adds ``grad`` (M, N) up: each thread its share of
    rows (see _thread_shares) in order into a buffer, then the threads' buffers in order."""
    size = len(grad)
    if not size:
        return np.zeros(grad.shape[1], grad.dtype)
    share = -(-size // min(threads, size))
    total = _in_order_down(grad[:share])  # (0 + the first buffer: itself)
    for begin in range(share, size, share):
        total += _in_order_down(grad[begin:begin + share])
    return total


def layer_norm_weight_gradient(grad, rows, mean, rstd, threads):
    """The weight's gradient of layer normalisation as ATen's float kernel adds it up: each thread, row after row of
    its share, dy (rstd x - rstd mean) into a buffer (two fused multiply-adds: where a row's mean is large against
    its spread, the rounding of rstd x - rstd mean is most of xhat), then the threads' buffers in order."""
    shares = _thread_shares(len(grad), threads)
    if not shares:
        return np.zeros(grad.shape[1], grad.dtype)
    length = shares[0][1] - shares[0][0]
    buffers = np.zeros((len(shares), grad.shape[1]), grad.dtype)
    offsets = -rstd * mean
    for step in range(length):
        # the step-th row of every thread's share (the last share may be shorter)
        picked = [begin + step for begin, end in shares if begin + step < end]
        taken = len(picked)
        xhat = fused_multiply_add(rstd[picked, None], rows[picked], offsets[picked, None])
        buffers[:taken] = fused_multiply_add(grad[picked], xhat, buffers[:taken])
    return _in_order_down(np.concatenate([np.zeros((1, grad.shape[1]), grad.dtype), buffers]))
