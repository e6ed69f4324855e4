"""The affine map y = x W^T + b (``linear``), fused into one node, and the bilinear map y = x1^T A x2 + b
(``bilinear``), with PyTorch's checks."""
import numpy as np
import math

from ... import _dtype, _memory_format
from ..._kernels.blas import SPLIT_MIN_FLOP, matmul, matmuls
from ..._ops._util import sum_of_rows, unbroadcast, unbroadcast_tensor
from ..._ops.reduction import half_accumulated
from ..._parser_errors import too_many_positional
from ..._tensor import Tensor
from ..._tensor_methods._arguments import refuse_complex_gradient
from ...autograd import forward_ad
from ...autograd.graph import FoldedNode, Node, bfloat16_state, folded, records, shown_edge
from ...autograd.saved_values import Saved, SavedInput, needed_for, sizes, strides
from ._args import REQUIRED, CheckedCalls, call_key, check_tensor, missing_arguments, native_binding

_FLOAT16 = np.dtype(np.float16)

__all__ = ["linear", "bilinear"]



def _rows(a, cols):
    """``a`` as a matrix of ``cols`` columns; reshape's -1 cannot infer the rows when there are no elements
    (Linear(0, n), zero out_features)."""
    return a.reshape(math.prod(a.shape) // cols if cols else math.prod(a.shape[:-1]), cols)


def _is_column_major(matrix):
    """Whether the 2-D array ``matrix`` is laid out column-major, which makes PyTorch's mm backward compute its
    gradient transposed."""
    return matrix.strides[0] == matrix.itemsize and matrix.strides[1] == matrix.shape[0] * matrix.itemsize


def _product_saved(first, first_name):
    """The saved values of PyTorch's addmm(bias, x, w.t()) (mm(x, w.t()) without a bias), ``first`` the spec of
    x as a matrix (None: x reshaped, from the node listed for it): each factor comes out of the node the product's
    listing (``next_functions``) shows, and is saved (its strides too) only for the other's gradient."""
    def listed(position):
        return lambda node, shown: shown.next_functions[position + node.has_bias][0]

    def matrix(node):
        return node.x if node.x.ndim == 2 else _rows(node.x, node.x.shape[-1])

    def as_input(node, rows):
        return rows.reshape(node.x.shape)

    x_grad, w_grad = (0,), (1,)
    # (each a view of the node's x or w: an unpack_hook's values give them back, see Saved)
    factors = {first_name: first or Saved(matrix, grad_fn=listed(0), needed_for=w_grad, restores=("x", as_input)),
               first_name + "_sym_sizes": lambda node: sizes(matrix(node)),
               first_name + "_sym_strides": needed_for(x_grad, lambda node: strides(matrix(node))),
               "mat2": Saved(lambda node: node.w.T, grad_fn=listed(1), needed_for=x_grad,
                             restores=("w", lambda node, w_t: w_t.T)),
               "mat2_sym_sizes": lambda node: sizes(node.w.T),
               "mat2_sym_strides": needed_for(w_grad, lambda node: strides(node.w.T))}
    if first_name == "self":
        return factors
    return {"alpha": lambda node: 1, "beta": lambda node: 1, **factors}


class Linear(Node):
    """x (..., in) @ w.T (+ b) with the leading dims of x flattened into one matrix product."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "lower"  # (its list in PyTorch's CPU autocast)
    tangent_node_name = "AddBackward0"  # (see forward_ad.recorded_on_values)

    saved = ("x", "w")
    saved_only_for = {0: (1,), 1: (0,)}  # PyTorch's addmm/mm saves each factor for the other's gradient
    saved_as_views = {1: np.transpose}  # as w.t()
    _output_as_matrix = {"self_sym_sizes": lambda node: (math.prod(node.x.shape[:-1]), node.w.shape[0])}
    torch_saved = {"AddmmBackward0": _product_saved(SavedInput(0, "x", needed_for=(1,)), "mat1"),
                   "MmBackward0": _product_saved(SavedInput(0, "x", needed_for=(1,)), "self"),
                   "ViewBackward0": _output_as_matrix, "UnsafeViewBackward0": _output_as_matrix}
    folded_saved = {"AddmmBackward0": _product_saved(None, "mat1"), "MmBackward0": _product_saved(None, "self"),
                    "ViewBackward0": {"self_sym_sizes": lambda node: sizes(node.x)},
                    "UnsqueezeBackward0": {"dim": lambda node: 0}}

    def forward(self, x, w, b):
        self.x, self.w, self.has_bias = x, w, b is not None
        self.input_rank, self.weight_rank = x.ndim, w.ndim
        self.bias_shape = b.shape if b is not None else None
        if b is not None and w.ndim == 2:  # PyTorch's bias first; its weight.t() runs before a matrix input's
            self.leaf_arrival_order = (2, 0, 1) if x.ndim == 2 else (2, 1, 0)
        return self.affine(x, w, b)

    @staticmethod
    def affine(x, w, b):
        """The array x @ w.T (+ b)."""
        rows = _rows(x, x.shape[-1]) if x.ndim != 2 else x
        half = x.dtype == _FLOAT16  # (against a dtype: against np.float16 NumPy makes the dtype on every call)
        if half:  # (PyTorch's float16 addmm accumulates and adds the bias in float32, rounding once)
            rows, w, b = rows.astype(np.float32), w.astype(np.float32), None if b is None else b.astype(np.float32)
        y = matmul(rows, w.T) if w.ndim == 2 else rows @ w
        if b is not None:
            y += b
        if half:
            y = y.astype(np.float16)
        return y.reshape(x.shape[:-1] + w.shape[:-1]) if x.ndim != 2 else y

    def jvp(self, tangents, arrays, params, out):  # tx w^T + x tw^T + tb
        return forward_ad.affine_jvp(self, tangents, arrays, params, out, bias_axis=-1)

    def backward(self, grad):
        x, w = self.x, self.w
        g = _rows(grad, w.shape[0]) if w.ndim == 2 else grad.reshape(-1, 1)
        w2 = w if w.ndim == 2 else w[None, :]
        gx = gw = gb = None
        # (PyTorch's mm_mat1_backward and mm_mat2_backward compute a column-major factor's gradient transposed,
        # laid out as the factor)
        x_rows = _rows(x, x.shape[-1]) if x.ndim != 2 else x
        if (self.needs_input_grad[0] and self.needs_input_grad[1] and w.ndim == 2 and x.ndim > 1
                and 2 * g.shape[0] * w.size >= SPLIT_MIN_FLOP):
            return self._large_backward(x, w, g, x_rows)
        if self.needs_input_grad[0]:
            if x.ndim > 1 and _is_column_major(x_rows):
                gx = matmul(w2.T, g.T).T.reshape(x.shape)
            else:
                gx = matmul(g, w2).reshape(x.shape)
        if self.needs_input_grad[1]:
            if w.ndim == 2 and not _is_column_major(w.T):  # (w.t() is the factor PyTorch's mm differentiates)
                gw = matmul(x_rows.T, g).T
            else:
                gw = matmul(g.T, x_rows).reshape(w.shape)
        if self.needs_input_grad[2]:
            gb = sum_of_rows(g, 0) if g.dtype != np.float16 else half_accumulated(np.sum, g, axis=0)
            if gb.shape != self.bias_shape:  # a bias that broadcast some other way than along the rows
                gb = unbroadcast(g, self.bias_shape)
        return gx, gw, gb

    def _large_backward(self, x, w, g, x_rows):
        """backward's gradients of a layer whose products blas.matmul splits: both in one split call (one
        hand-off to the helper thread), the bias's gradient summed while the helper wakes; the same products,
        so the same values."""
        input_transposed = _is_column_major(x_rows)
        weight_transposed = not _is_column_major(w.T)
        bias_grad = [None]

        def sum_bias_grad():
            if self.needs_input_grad[2]:
                gb = sum_of_rows(g, 0) if g.dtype != np.float16 else half_accumulated(np.sum, g, axis=0)
                bias_grad[0] = gb if gb.shape == self.bias_shape else unbroadcast(g, self.bias_shape)

        gx, gw = matmuls([(w.T, g.T) if input_transposed else (g, w),
                          (x_rows.T, g) if weight_transposed else (g.T, x_rows)], sum_bias_grad)
        return ((gx.T if input_transposed else gx).reshape(x.shape), gw.T if weight_transposed else gw.reshape(w.shape),
                bias_grad[0])

    def backward_graph(self, grad):
        """backward_graph (the weight is a matrix: linear takes a vector one through matmul), recorded as PyTorch's addmm(b, x, w.t()) / mm(x, w.t()) nodes
        compute their gradients (mm_mat1_backward, mm_mat2_backward, sum_to), the input viewed as rows (a vector
        one unsqueezed without a bias, as matmul does) and its gradient viewed back."""
        x, w = self.x, self.w
        as_rows, as_input = self._rows_of(x.shape)
        g = as_rows(grad)
        w_t = self.graph_input(1, w).t()  # (the w.t() PyTorch's node saved)
        gx = gw = gb = None
        if self.needs_input_grad[0]:  # (mm_mat1_backward)
            column_major = x.ndim > 1 and _is_column_major(_rows(x, x.shape[-1]) if x.ndim != 2 else x)
            gx = as_input(w_t.mm(g.t()).t() if column_major else g.mm(w_t.t()))
        if self.needs_input_grad[1]:  # (mm_mat2_backward, for w.t())
            x_rows = as_rows(self.graph_input(0, x))
            gw = (g.t().mm(x_rows).t() if _is_column_major(w.T) else x_rows.t().mm(g)).t()
        if self.needs_input_grad[2]:
            gb = unbroadcast_tensor(g, self.bias_shape)
        return gx, gw, gb

    def _rows_of(self, shape):
        """(input -> its rows, rows -> the input's shape): the views PyTorch's linear takes for ``shape``."""
        if len(shape) == 2:
            return (lambda t: t), (lambda t: t)
        if len(shape) == 1 and not self.has_bias:
            return (lambda t: t.unsqueeze(0)), (lambda t: t.squeeze(0))
        return (lambda t: t.reshape(math.prod(t.shape[:-1]), t.shape[-1])), (lambda t: t.view(shape))

    def name(self):
        # PyTorch's node for each case: addmm for a matrix input, a view of it for other ranks.
        rank = self.input_rank
        if self.has_bias:
            return "AddmmBackward0" if rank == 2 else "ViewBackward0"
        if self.weight_rank == 1:
            return "MvBackward0"
        return {1: "SqueezeBackward4", 2: "MmBackward0"}.get(rank, "UnsafeViewBackward0")


    def register_hook(self, fn):
        """As PyTorch's node hooks see it, a matrix input's node is addmm(bias, input, weight.t()) (mm(input,
        weight.t()) without a bias): ``fn`` gets and returns the gradients in that order, the weight's transposed."""
        if self.weight_rank != 2 or self.input_rank != 2:
            return super().register_hook(fn)

        def transposed(grad):
            return None if grad is None else grad.t()

        def in_pytorch_order(grad_inputs, grad_outputs):
            gx, gw, gb = grad_inputs
            shown = (gb, gx, transposed(gw)) if self.has_bias else (gx, transposed(gw))
            replaced = fn(shown, grad_outputs)
            if replaced is None:
                return None
            if self.has_bias:
                gb, gx, gw_t = replaced
            else:
                (gx, gw_t), gb = replaced, None
            return gx, transposed(gw_t), gb

        return super().register_hook(in_pytorch_order)

    def pytorch_inputs(self):
        """addmm(bias, input, weight.t()) (mm without a bias) on the input as a matrix, viewed back to the output's
        shape for other ranks."""
        if self.weight_rank != 2:
            return None
        x, w, b = (shown_edge(edge) for edge in self.edges)
        product = "AddmmBackward0" if self.has_bias else "MmBackward0"
        w_t = folded("TBackward0", w, self)
        if self.input_rank == 2:
            return ((b, 0), (x, 0), (w_t, 0)) if self.has_bias else ((x, 0), (w_t, 0))
        as_matrix = "UnsqueezeBackward0" if self.input_rank == 1 and not self.has_bias else "ViewBackward0"
        x = folded(as_matrix, x, self)
        inputs = ((b, 0), (x, 0), (w_t, 0)) if self.has_bias else ((x, 0), (w_t, 0))
        return ((FoldedNode(product, inputs, self), 0),)


def _expand_error(bias, target):
    """PyTorch's message when the bias cannot broadcast to the output (rows, out_features), or None."""
    bias_shape = tuple(bias.shape)
    if len(bias_shape) > len(target):
        return (f"expand(torchless.{bias.dtype.scalar_name}Tensor{{{list(bias_shape)}}}, size={list(target)}): the "
                f"number of sizes provided ({len(target)}) must be greater or equal to the number of dimensions in the "
                f"tensor ({len(bias_shape)})")
    for i in range(1, len(bias_shape) + 1):
        size = bias_shape[-i]
        if size != 1 and size != target[-i]:
            dim = len(target) - i
            return (f"The expanded size of the tensor ({target[-i]}) must match the existing size ({size}) at "
                    f"non-singleton dimension {dim}.  Target sizes: {list(target)}.  Tensor sizes: {list(bias_shape)}")
    return None


def _check(input, weight, bias):
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    if bias is not None:  # addmm's checks, in its order
        if bias.dtype != weight.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {bias.dtype.scalar_name} and "
                               f"{weight.dtype.scalar_name}")
        if input.dtype != weight.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                               f"{weight.dtype.scalar_name}")
        if weight.dim() != 2:
            raise RuntimeError(f"mat2 must be a matrix, got {weight.dim()}-D tensor")
    elif weight.dim() == 1:
        _check_vector_weight(input, weight)
        return
    in_features = weight.shape[-1]
    if input.shape[-1] != in_features:
        if forward_ad.state.vmap_levels and not forward_ad.batched(weight):
            error = forward_ad.batched_matmul_error(input, in_features, weight.shape[0], weight.requires_grad)
            if error is not None:
                raise error
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{in_features}x{weight.shape[0]})")
    if bias is None and input.dtype != weight.dtype:  # mm checks the dtypes after the shapes
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype.cpp_name(input.dtype)} "
                           f"!= {_dtype.cpp_name(weight.dtype)}")
    if bias is not None:
        message = _expand_error(bias, (math.prod(input.shape[:-1]), weight.shape[0]))
        if message:
            raise RuntimeError(message)
    if weight.dtype == _dtype.bool:  # PyTorch's matrix product has no bool kernel
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _check_vector_weight(input, weight):
    """A 1-D weight without bias: PyTorch computes a dot product for a 1-D input, a matrix-vector
    product of the flattened input otherwise, each with its own checks in its own order."""
    if input.dim() == 1:
        if input.dtype != weight.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype.scalar_name} "
                               f"and {weight.dtype.scalar_name}")
        if input.shape[0] != weight.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                               f"[{weight.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
                               f"and {weight.shape[0]} elements respectively")
        if weight.dtype == _dtype.bool:
            raise NotImplementedError("\"dot\" not implemented for 'Bool'")
        return
    rows = math.prod(input.shape[:-1])
    if input.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{input.shape[-1]}), vec ({weight.shape[0]})")
    if input.dtype != weight.dtype:  # the product's result takes the vector's dtype
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {weight.dtype.scalar_name}, "
                           f"{input.dtype.scalar_name}, and {weight.dtype.scalar_name}")
    if weight.dtype == _dtype.bool:
        raise NotImplementedError("\"addmv_impl_cpu\" not implemented for 'Bool'")


_checked = CheckedCalls()  # call_key of valid calls: their checks need not run again


def _bias_added_after(input, bias):
    """Whether PyTorch multiplies first and then adds the bias in place (broadcasting it, with add_'s errors and
    dtype rule), rather than fusing it in addmm over the flattened rows: it fuses for a 2-D input, or for a
    contiguous one with a contiguous bias of one dimension (once its 1-sized ones are squeezed away)."""
    if input.dim() == 2:
        return False
    one_dimensional = bias.dim() == 1 or sum(n != 1 for n in bias.shape) == 1
    return not (one_dimensional and bias.is_contiguous() and input.is_contiguous())


def linear(input=REQUIRED, weight=REQUIRED, bias=None, *more, out=None):
    """linear(input, weight, bias=None, *, out=None) -> Tensor

    Applies the affine map y = x A^T + b to the last dimension of the input. See :class:`~torchless.nn.Linear`.

    Args:
        input (Tensor): (*, in_features)
        weight (Tensor): A, of shape (out_features, in_features) or (in_features)
        bias (Tensor, optional): b, of shape (out_features) or (). Default: ``None``
        out (Tensor, optional): the output tensor (resized to the result's shape; of the result's dtype)

    Shape:
        - Input: (*, in_features), any number of leading dimensions
        - Weight: (out_features, in_features) or (in_features)
        - Bias: (out_features) or ()
        - Output: (*, out_features), or (*) for a 1-D weight

    Examples::

        >>> F.linear(torch.ones(2, 3), torch.ones(4, 3), torch.zeros(4))
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    # (the defaults and ``more`` only give PyTorch's parser's TypeErrors for a call missing or with too many
    # arguments, with no cost to the others, as a wrapper of native_binding's would)
    if more or out is not None:  # (one test on the common path)
        if more:
            raise too_many_positional("linear", 3, 2, 3 + len(more))
        from ..._out_argument import call_into

        return call_into("linear", out, linear, (input, weight, bias), {})
    if bfloat16_state[0] and isinstance(input, Tensor) and isinstance(weight, Tensor):  # (autocast: see _opmath)
        from ... import _opmath

        input, weight, bias = _opmath.autocast_inputs("lower", input, weight, bias)
    key = call_key((input, weight, bias))
    if key not in _checked:
        if input is REQUIRED:
            raise missing_arguments("linear", ["input", "weight"])
        check_tensor(input, "linear", as_written=True)  # (F.linear is PyTorch's native linear)
        check_tensor(weight, "linear", "weight", 2, as_written=True)
        if bias is not None:
            check_tensor(bias, "linear", "bias", 3, as_written=True)
            if _bias_added_after(input, bias):
                return linear(input, weight).add_(bias)
        _check(input, weight, bias)
        _checked.remember(key, True)
    elif bias is not None and input._data.ndim != 2 and _bias_added_after(input, bias):
        # a call of the same shapes, another layout (a matrix input never: its test inline)
        return linear(input, weight).add_(bias)
    if not records(input, weight, bias) and not bfloat16_state[0]:  # no node to record: skip Node.apply's cost
        # (once bfloat16 tensors exist, Node.apply computes them in float32 and autocasts: see _opmath)
        return Tensor._wrap(Linear.affine(input._data, weight._data, None if bias is None else bias._data))
    if weight._data.ndim == 1:  # PyTorch's matmul(input, weight.t()) (+ bias): its dot, mv or folded mv's nodes
        out = input.matmul(weight.t())
        return out if bias is None else out + bias
    return Linear.apply(input, weight, bias)


def _bilinear_form(x1, w, x2):
    """y[..., o] = sum_ij x1[..., i] w[o, i, j] x2[..., j] in PyTorch's _trilinear order: x1 contracted with the
    weight first, rounded to the dtype, then with x2; float16 products accumulate in float32, as its matrix products
    do."""
    compute = np.float32 if x1.dtype == np.float16 else x1.dtype
    partial = np.tensordot(x1.astype(compute, copy=False), w.astype(compute, copy=False), axes=([-1], [1]))
    partial = partial.astype(x1.dtype, copy=False).astype(compute, copy=False)  # (..., O, J)
    return np.matmul(partial, x2.astype(compute, copy=False)[..., :, None])[..., 0].astype(x1.dtype, copy=False)


_BILINEAR_ROWS = "ni,oij,nj->no"


def _einsum(subscripts, *operands):
    dtype = operands[0].dtype
    if dtype.kind == "V":  # bfloat16, which NumPy's einsum refuses: summed in float32, rounded once
        return np.einsum(subscripts, *(o.astype(np.float32) for o in operands), optimize=True).astype(dtype)
    return np.einsum(subscripts, *operands, optimize=True)


class Trilinear(Node):
    """PyTorch's _trilinear, which bilinear records (and its gradients under create_graph): the contraction of three
    operands by ``subscripts`` (named axes, each in at least two terms); an operand's gradient is the contraction
    of the other two and the gradient in its place, a _trilinear again."""

    saved = ("operands",)

    def forward(self, a, b, c, subscripts):
        self.operands, self.subscripts = (a, b, c), subscripts
        if subscripts == _BILINEAR_ROWS:  # (bilinear's own contraction, rounded as PyTorch's)
            return _bilinear_form(a, b, c)
        return _memory_format.c_ordered(_einsum(subscripts, a, b, c))

    def _gradient_subscripts(self, k):
        inputs, output = self.subscripts.split("->")
        terms = inputs.split(",")
        return ",".join(terms[:k] + [output] + terms[k + 1:]) + "->" + terms[k]

    def backward(self, grad):
        operands = self.operands
        return tuple(_memory_format.c_ordered(_einsum(self._gradient_subscripts(k), *operands[:k], grad,
                                                      *operands[k + 1:]))
                     if self.needs_input_grad[k] else None for k in range(3))

    def backward_graph(self, grad):
        operands = [self.graph_input(k, a) for k, a in enumerate(self.operands)]
        return tuple(Trilinear.apply(*operands[:k], grad, *operands[k + 1:], subscripts=self._gradient_subscripts(k))
                     if self.needs_input_grad[k] else None for k in range(3))

    def name(self):
        return "TrilinearBackward0"


@native_binding
def bilinear(input1, input2, weight, bias=None):
    r"""y = x_1^T A x_2 + b.

    Shape:
        - input1: :math:`(*, H_{in1})`, input2: :math:`(*, H_{in2})` with the same leading dims :math:`*`;
        - weight: :math:`(H_{out}, H_{in1}, H_{in2})`, bias: :math:`(H_{out})`;
        - output: :math:`(*, H_{out})`.
    """
    tensors = (input1, input2, weight) + ((bias,) if bias is not None else ())
    names = ("input1", "input2", "weight", "bias")
    for position, (name, value) in enumerate(zip(names, tensors), start=1):
        check_tensor(value, "bilinear", name, position, as_written=True)  # (F.bilinear is the native's)
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::bilinear", (tensors))
    if any(t.dtype != input1.dtype for t in tensors):
        listed = ", ".join(f"{name}: {_dtype.cpp_name(t.dtype)}" for name, t in zip(names, tensors))
        raise RuntimeError(f"All tensors must have the same dtype, got {listed}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and "
                               f"{input2.shape[i]}")
    for name, x, axis in (("input1", input1, 1), ("input2", input2, 2)):
        # PyTorch reads the weight's size before the input's (a 0-d or too short one: size's IndexError)
        expected = weight.size(axis)
        if x.size(-1) != expected:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.size(-1)} but "
                               f"expected {expected}")
    if bias is not None:
        if bias.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if bias.shape[0] != weight.shape[0]:
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                               f"{weight.shape[0]}")
    if not (input1.size(-1) and input2.size(-1)):  # PyTorch's contraction views each input as rows of its features
        raise RuntimeError("cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension "
                           "size -1 can be any value and is ambiguous")
    if input1.dtype == _dtype.bool:  # PyTorch contracts with bmm, which has no bool kernel
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    for operand in (input1, input2, weight):  # (the _trilinear it records has no complex derivative)
        refuse_complex_gradient("_trilinear", operand)
    if records(input1, input2, weight):
        # PyTorch's graph itself (a view of each input as rows of its features, _trilinear, a view to the batch
        # shape): a second backward meets the gradients of an input where PyTorch's does, at its rows' view
        rows = Trilinear.apply(input1.reshape(-1, input1.shape[-1]), weight, input2.reshape(-1, input2.shape[-1]),
                               subscripts=_BILINEAR_ROWS)
        out = rows.view(*input1.shape[:-1], weight.shape[0])
    else:
        out = Tensor._wrap(_bilinear_form(input1._data, weight._data, input2._data))
    return out if bias is None else out + bias
