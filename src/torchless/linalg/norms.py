"""Vector and matrix norms: vector_norm, matrix_norm, and norm choosing between them as PyTorch does."""
import math
import numbers

from .._ops import reduction
from .._ops._util import every_dim_if_empty, normalize_dim, normalize_dims
from .. import _dtype
from ._checks import check_float, check_floating_or_complex, check_matrix, check_real_order, norm_input
from .decompositions import svdvals

_MATRIX_ORDERS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    r"""The ``ord``-norm of ``x`` taken as a vector over ``dim`` (all dimensions when None):
    ``sum(|x|^ord)^(1/ord)``; ord = inf / -inf the largest / smallest magnitude; ord = 0 counts nonzeros.

    Shape:
        x: :math:`(*)`. Output: ``x``'s shape without ``dim`` (kept as size 1 if ``keepdim``).
    """
    if keepdim.__class__ is not bool or isinstance(ord, bool) or not isinstance(ord, numbers.Number) or not (
            dim is None or type(dim) is int or _is_int_sequence(dim)):
        _parse_as_written("vector_norm", x, ord, dim, keepdim, dtype)
    if type(ord) is int:
        _dtype.check_64_bits(ord)  # (the parser's conversion of a Scalar)
    # in PyTorch's order: the input's dtype, the order, the empty dims without an identity, the dtype argument, the
    # dims
    check_floating_or_complex("linalg.vector_norm", x._data)
    check_real_order(ord)
    dim = every_dim_if_empty(dim)  # dim=(): every dim, PyTorch's legacy reading (not none)
    check_empty_norm(ord, x._data.shape, dim)
    x = norm_input("linalg.vector_norm", x, dtype)
    axes = normalize_dims(dim, x._data.ndim) if dim is not None else None
    if ord == 0:
        return reduction.CountNonzero.apply(x, axes=axes, keepdim=keepdim, shown=(ord, dim))
    return reduction.VectorNorm.apply(x, p=float(ord), axes=axes, keepdim=keepdim, shown=(ord, dim))


def _is_int_sequence(dim):
    return isinstance(dim, (tuple, list)) and all(type(d) is int for d in dim)


def _parse_as_written(name, x, ord, dim, keepdim, dtype):
    """The arguments of linalg's ``name`` (vector_norm or matrix_norm) through PyTorch's parser as the user's call
    gave them (by position or keyword, which its TypeErrors tell): its TypeError for what it refuses."""
    from .. import _parser_errors
    from .._written_call import user_call

    values = {"input": x, "ord": ord, "dim": dim, "keepdim": keepdim}
    written = user_call(name)
    positional = len(values) if written is None else written.positional
    keywords = {key: values[key] for key in (written.keywords if written else ()) if key in values}
    if dtype is not None:
        keywords["dtype"] = dtype
    overloads = _parser_errors.VECTOR_NORM if name == "vector_norm" else _parser_errors.MATRIX_NORM
    _parser_errors.parse(f"linalg_{name}", overloads, tuple(values.values())[:positional], keywords)


def check_empty_norm(ord, shape, dims):
    """PyTorch's refusal of a norm without an identity over nothing: a negative ord (a power sum's reciprocal
    root, or the smallest magnitude) or inf (the largest) of an empty dim. ``dims``: the valid dim or dims as
    given (the message names them so: -2, not 1), None for every dim."""
    if not (ord < 0 or ord == math.inf) or math.prod(shape):
        return
    shown = format(ord, "g")  # as C++ streams a double: -1.0 is "-1"
    if dims is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {shown} norm on an empty tensor because the "
                           "operation does not have an identity")
    for dim in (dims,) if isinstance(dims, int) else dims:
        if shape[normalize_dim(dim, len(shape))] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {shown} norm on the dimension {dim}"
                               "because this dimension is empty and the operation does not have an identity")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    r"""The ``ord``-norm of the matrices spanning ``dim``: 'fro' (Frobenius), 'nuc' (sum of singular values),
    inf / -inf (max / min row sum of magnitudes), 1 / -1 (max / min column sum), 2 / -2 (largest / smallest
    singular value).

    Shape:
        A: :math:`(*, m, n)` (or any tensor with ``dim`` naming two dimensions). Output: :math:`(*)`.
    """
    if keepdim.__class__ is not bool or not isinstance(ord, (numbers.Number, str)) or not _is_int_sequence(dim):
        _parse_as_written("matrix_norm", A, ord, dim, keepdim, dtype)  # (its parser's TypeError: an int dim too)
    if ord not in _MATRIX_ORDERS or isinstance(ord, bool):  # (checked first: the input's checks depend on it)
        shown = format(ord, "g") if isinstance(ord, numbers.Real) else ord  # (a number as C++ streams a double)
        raise RuntimeError(f"linalg.matrix_norm: Order {shown} not supported.")
    check_matrix("linalg.matrix_norm", A._data, square=False)
    given = A
    A = norm_input("linalg.matrix_norm", A, dtype)
    if ord in ("nuc", 2, -2):  # computed from singular values, which PyTorch has no half kernel for
        check_float("linalg.matrix_norm", given._data)
    a = A._data
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    # in range (PyTorch's IndexError), in the order given, which matters for 1 and inf
    rows, cols = normalize_dim(dim[0], a.ndim), normalize_dim(dim[1], a.ndim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {cols})")
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):  # as PyTorch reduces: column sums (row sums for inf), then their max/min
        first, second = (cols, rows) if ord in (math.inf, -math.inf) else (rows, cols)
        if not keepdim and first < second:  # the first reduction removed a dim in front of the second
            second -= 1
        return _max_or_min(vector_norm(A, 1, (first,), keepdim), ord, second, keepdim)
    # the singular values: move the matrix dimensions last, reduce, then restore kept dimensions where they were
    source = A
    if given._data.dtype.kind == "c":  # the singular values of the complex matrices, not of their magnitudes
        source = given if dtype is None else given.to(dtype)
    values = svdvals(source.movedim((rows, cols), (-2, -1)))
    out = values.sum(-1) if ord == "nuc" else _max_or_min(values, ord, -1, False)
    if keepdim:
        for axis in sorted((rows, cols)):
            out = out.unsqueeze(axis)
    return out


def _max_or_min(norms, ord, dim, keepdim):
    """The largest of the norms along ``dim`` for a positive ``ord``, else the smallest. Over an empty dim the largest
    is 0, the norm of an empty matrix, as in PyTorch; the smallest has no identity (amin's IndexError)."""
    if ord < 0:
        return norms.amin(dim, keepdim)
    if norms.shape[dim] == 0:
        return norms.sum(dim, keepdim)
    return norms.amax(dim, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    r"""A vector norm or a matrix norm, chosen as PyTorch does: a matrix norm if ``dim`` names two dimensions,
    or if ``dim`` is None, ``ord`` is given and ``A`` is 2-D (or ``ord`` is a string); otherwise a vector norm
    (of the flattened input when both ``dim`` and ``ord`` are None).
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    elif ord is not None:
        if A._data.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{A._data.ndim}D.")
        dims = tuple(range(A._data.ndim))
    else:
        dims = None
    # (ord None: the 2-norm, a vector norm over the dims given, whose checks PyTorch runs: a Frobenius norm alike)
    if isinstance(ord, str) or (ord is not None and dims is not None and len(dims) == 2):
        return matrix_norm(A, ord, dims if dims is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2.0 if ord is None else ord, dims, keepdim, dtype=dtype)
