"""``torch.binomial(count, prob)``: binomial draws as PyTorch's CPU kernel makes them from its generator's stream,
element by element: inversion of geometric waiting times below a mean of 10, Hormann's transformed rejection
(BTRS) from there on, for the rarer outcome's probability."""
import math

import numpy as np

from .. import _parser_errors
from .._memory_format import with_c_strides
from .._out_argument import warn_resized_output
from .._tensor import Tensor

# log(k!) - (the Stirling series' first terms) for k = 0 .. 9, as PyTorch tabulates it
_STIRLING_TAILS = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                   0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                   0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k):
    if k <= 9:
        return _STIRLING_TAILS[int(k)]
    square = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / square) / square) / (k + 1)


def _inversion(count, prob, uniform):
    """The number of geometric waiting times (of success ``prob``) that fit in ``count`` trials."""
    log_failure, total, successes = math.log1p(-prob), 0.0, 0
    while True:
        total += math.ceil(math.log(uniform()) / log_failure)
        if total > count:
            return successes
        successes += 1


def _btrs(count, prob, uniform):
    """Hormann's BTRS, as PyTorch writes it (its log-ratio bound included)."""
    stddev = math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(k) + _stirling_tail(count - k) - _stirling_tail(m) - _stirling_tail(count - m))
        if v <= bound:
            return k


def _sample(count, prob, uniform):
    """PyTorch's sample_binomial."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        return (_btrs if count * prob >= 10.0 else _inversion)(count, prob, uniform)
    if prob > 0.5:
        failure = 1.0 - prob
        return count - (_btrs if count * failure >= 10.0 else _inversion)(count, failure, uniform)
    return math.nan


def binomial(count, prob, generator=None):
    """Draws of the number of successes in ``count`` trials of success probability ``prob`` (float tensors of one
    dtype, broadcast together)."""
    from ..random import _random_node, stream

    if not isinstance(count, Tensor):
        raise _parser_errors.not_tensor("binomial", "count", 1, count)
    if not isinstance(prob, Tensor):
        raise _parser_errors.not_tensor("binomial", "prob", 2, prob)
    if count._data.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype.scalar_name}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype.scalar_name} but expected {count.dtype.scalar_name}")
    from ._util import broadcast_error

    error = broadcast_error(count._data.shape, prob._data.shape)
    if error is not None:
        raise error
    shape = np.broadcast_shapes(count._data.shape, prob._data.shape)
    if count._data.dtype == np.float16:
        raise NotImplementedError("\"binomial_cpu\" not implemented for 'Half'")
    if shape != count._data.shape and count._data.size:  # (PyTorch's output, of count's shape, is resized)
        warn_resized_output(count._data.shape, shape)
    source = stream(generator)

    def kernel(counts, probs):
        dtype = counts.dtype
        pairs = list(zip(np.broadcast_to(counts, shape).ravel().tolist(),
                         np.broadcast_to(probs, shape).ravel().tolist()))
        draws = source.sequential_samples(lambda uniform: [_sample(n, p, uniform) for n, p in pairs], len(pairs))
        out = np.array(draws, dtype).reshape(shape)
        return out if out.size else with_c_strides(out)  # (PyTorch's strides of an empty result)

    return _random_node("NotImplemented", kernel, count, prob)
