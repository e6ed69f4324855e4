"""Products of vectors and matrices: cross, multi_dot; the Vandermonde matrix of running products."""
import numpy as np

from .. import _dtype, _parser_errors
from .._ops._util import broadcast_error, normalize_dim
from ..autograd.graph import Node, autocast_cast
from ..autograd.saved_values import SavedInput, int64


def _c_type_name(array):
    """The C++ type name PyTorch's multi_dot message uses: float, double, long, ..."""
    return {np.float32: "float", np.float64: "double", np.int64: "long", np.int32: "int"}.get(array.dtype.type,
                                                                                            array.dtype.name)


class Cross(Node):
    """``x × y`` along ``axis`` (inputs already broadcast): ``dx = y × g``, ``dy = g × x``."""

    saved = ("x", "y")
    torch_saved = {"dim": lambda node: int64(node.dim), "other": SavedInput(1, "y"), "self": SavedInput(0, "x")}

    def forward(self, x, y, axis=-1, dim=None):
        """``dim``: the dim as the call gave it (which the node shows)."""
        self.x, self.y, self.axis, self.dim = x, y, axis, axis if dim is None else dim
        return np.cross(x, y, axis=axis)

    def backward(self, grad):
        axis = self.axis
        grad_x = np.cross(self.y, grad, axis=axis) if self.needs_input_grad[0] else None
        grad_y = np.cross(grad, self.x, axis=axis) if self.needs_input_grad[1] else None
        return grad_x, grad_y

    def backward_graph(self, grad):
        axis = self.axis
        grad_x = Cross.apply(self.graph_input(1, self.y), grad, axis=axis) if self.needs_input_grad[0] else None
        grad_y = Cross.apply(grad, self.graph_input(0, self.x), axis=axis) if self.needs_input_grad[1] else None
        return grad_x, grad_y

    def name(self):
        return "LinalgCrossBackward0"


def cross(input, other, *, dim=-1):
    r"""The cross product of 3-vectors along ``dim``.

    Shape:
        input, other: broadcastable, with size 3 at ``dim``. Output: the broadcast shape.
    """
    a, b = input._data, other._data
    axis = normalize_dim(dim, max(a.ndim, b.ndim))
    if a.ndim != b.ndim:  # PyTorch broadcasts the sizes, but not a missing dimension
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
                           f"{b.shape[dim]}")
    error = broadcast_error(a.shape, b.shape)
    if error is not None:
        raise error
    # no promotion: the kernel is chosen by input's dtype (none for bool) and wants other's to be the same
    if a.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dtype.from_numpy_dtype(a.dtype).scalar_name} but found "
                           f"{_dtype.from_numpy_dtype(b.dtype).scalar_name}")
    shape = np.broadcast_shapes(a.shape, b.shape)
    if a.shape != shape:
        input = input.expand(shape)
    if b.shape != shape:
        other = other.expand(shape)
    return Cross.apply(input, other, axis=axis, dim=dim)


def multi_dot(tensors):
    r"""The product of a chain of matrices; the first may be a row vector and the last a column vector (1-D),
    which are dropped from the result's shape.

    Shape:
        tensors: :math:`(a, b), (b, c), \dots, (y, z)`. Output: :math:`(a, z)`, without ``a`` / ``z`` for 1-D ends.
    """
    count = len(tensors)
    if count < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {count}")
    for i, t in enumerate(tensors):
        ndim = t._data.ndim
        if i == 0 and ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ndim}D")
        if i == count - 1 and ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ndim}D")
        if 0 < i < count - 1 and ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ndim}D")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "  # (sic)
                               f"{_c_type_name(tensors[0]._data)} and tensor {i} {_c_type_name(t._data)}")
    first_is_vector, last_is_vector = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    matrices = list(tensors)
    if first_is_vector:
        matrices[0] = matrices[0].unsqueeze(0)
    if last_is_vector:
        matrices[-1] = matrices[-1].unsqueeze(-1)
    for i in range(count - 1):
        left, right = matrices[i]._data.shape, matrices[i + 1]._data.shape
        if left[1] != right[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(left)} and {list(right)} "
                               "cannot be multiplied")
    out_shape = (() if first_is_vector else (matrices[0]._data.shape[0],)) + \
        (() if last_is_vector else (matrices[-1]._data.shape[1],))
    # PyTorch's order of the products (its rounding, its graph's MmBackward0 nodes), then its view to the shape
    if count == 3:
        a, b = matrices[0]._data.shape
        c, d = matrices[2]._data.shape
        if a * c * (b + d) > b * d * (a + c):
            return (matrices[0] @ (matrices[1] @ matrices[2])).view(out_shape)
        return ((matrices[0] @ matrices[1]) @ matrices[2]).view(out_shape)
    if count == 2:
        return (matrices[0] @ matrices[1]).view(out_shape)
    return _chain_product(matrices, _matrix_chain_splits(matrices), 0, count - 1).view(out_shape)


def _matrix_chain_splits(matrices):
    """PyTorch's matrix_chain_order: ``splits[i][j]`` the index k where the cheapest product of matrices i..j
    splits into i..k times k+1..j (dynamic programming on the count of scalar multiplications, the first
    cheapest split kept)."""
    n = len(matrices)
    dims = [m._data.shape[0] for m in matrices] + [matrices[-1]._data.shape[1]]
    cost = [[0] * n for _ in range(n)]
    splits = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], splits[i][j] = q, k
    return splits


def _chain_product(matrices, splits, i, j):
    if i == j:
        return matrices[i]
    k = splits[i][j]
    return _chain_product(matrices, splits, i, k) @ _chain_product(matrices, splits, k + 1, j)


def _vander(x, N=None):
    """The Vandermonde matrix of the last dim of ``x``: columns 1, x, ..., x^(N-1) (N: that dim's size by default,
    more than 1); integers give int64."""
    if x._data.dtype.kind not in "iuc" and x._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{x.dtype.scalar_name}")
    vectors = x.unsqueeze(-1) if not x._data.ndim else x
    shape = list(vectors.shape)
    columns = shape[-1] if N is None else N
    if columns <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = vectors.unsqueeze(-1).expand(shape + [columns - 1]).cumprod(-1)  # (as PyTorch: the graph is its)
    from .._functions import cat

    return cat([powers.new_ones(shape + [1]), powers], -1)


vander = _parser_errors.native_entry("linalg_vander", ("Tensor x, *, SymInt? N=None",), _vander)


def _matmul(input, other):
    return input.matmul(other)


matmul = _parser_errors.native_entry("linalg_matmul", ("Tensor input, Tensor other, *, Tensor? out=None",), _matmul)


def _vecdot(x, y, dim=-1):
    """The dot products of the vectors along ``dim`` of ``x`` and ``y`` (broadcast), ``x`` conjugated."""
    x, y = autocast_cast("lower", x, y)
    for array in (x._data, y._data):
        if array.dtype.kind not in "fcV":  # ("V": bfloat16)
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                               f"{_dtype.from_numpy_dtype(array.dtype).scalar_name}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype.scalar_name} and y of type {y.dtype.scalar_name} instead")
    return ((x.conj() if x._data.dtype.kind == "c" else x) * y).sum(dim)


vecdot = _parser_errors.native_entry("linalg_vecdot", ("Tensor x, Tensor y, *, int dim=-1, Tensor? out=None",),
                                     _vecdot)


def _diagonal(A, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


diagonal = _parser_errors.native_entry("linalg_diagonal", ("Tensor A, *, int offset=0, int dim1=-2, int dim2=-1",),
                                       _diagonal)
