"""Normalisation over the last axis of an array, and its backward: the arithmetic that layer, group
and instance normalisation share (each views its input so that one row is one normalised group)."""
import functools

import numpy as np

__all__ = ["mean", "normalize_rows", "normalize_rows_backward", "quiet"]

# A constant row with eps = 0 has an infinite 1 / std and NaN outputs, an empty row a NaN mean:
# PyTorch returns those values without warnings, and so do these functions.
_QUIET = dict(invalid="ignore", divide="ignore", over="ignore")


def quiet(forward):
    """Run ``forward`` without NumPy's floating-point warnings (backward already runs so)."""
    @functools.wraps(forward)
    def wrapped(*args, **kwargs):
        with np.errstate(**_QUIET):
            return forward(*args, **kwargs)

    return wrapped


def mean(a, axis):
    """``a.mean(axis, keepdims=True)``; over an empty axis NaN, without NumPy's "Mean of empty slice" warning."""
    count = np.prod([a.shape[i] for i in np.atleast_1d(axis)], dtype=np.int64)
    with np.errstate(**_QUIET):
        return a.sum(axis=axis, keepdims=True) / a.dtype.type(count)


def normalize_rows(x, eps):
    """(xhat, mean, var, rstd) of ``x`` along its last axis: xhat = (x - mean) / sqrt(var + eps).

    The variance is the biased one, taken from the centred values (two passes: no cancellation
    between E[x^2] and E[x]^2). mean, var and rstd keep the reduced axis (length 1).
    """
    mu = mean(x, -1)
    xhat = x - mu
    var = mean(np.square(xhat), -1)
    with np.errstate(**_QUIET):
        rstd = 1 / np.sqrt(var + eps)
        xhat *= rstd
    return xhat, mu, var, rstd


def normalize_rows_backward(grad_xhat, xhat, rstd):
    """d loss / d x from d loss / d xhat, where xhat = normalize_rows(x)[0] and rstd its 1 / std.

    The normalised row is invariant to shifting and scaling x, so the gradient loses its mean and
    its component along xhat: rstd * (g - mean(g) - xhat * mean(g * xhat)).
    """
    with np.errstate(**_QUIET):
        gx = grad_xhat * xhat
        mean_gx = mean(gx, -1)
        # one buffer for the whole expression: these arrays are as large as the input
        np.multiply(xhat, mean_gx, out=gx)
        np.subtract(grad_xhat, gx, out=gx)
        gx -= mean(grad_xhat, -1)
        gx *= rstd
    return gx
