"""Fused multiply-adds: beta * input + alpha * (a product of two tensors), and input + value * t1 (*|/) t2."""
import numpy as np

from .. import _memory_format
from .._kernels.fma import fused_multiply_add
from ..autograd.graph import Node
from ..autograd.saved_values import SavedInput, needed_for, sizes, strides
from ._util import unbroadcast, unbroadcast_tensor
from .arithmetic import _mm_gradients, _mm_gradients_graph, _product


def _t(x):
    return np.swapaxes(x, -1, -2)


# kind: (product of x and y, its gradient for x, for y (from the output gradient g, x and y), PyTorch's node)
PRODUCTS = {
    "addmm": (_product, lambda g, x, y: _product(g, _t(y)), lambda g, x, y: _product(_t(x), g), "AddmmBackward0"),
    "addmv": (np.matmul, lambda g, x, y: np.outer(g, y), lambda g, x, y: _t(x) @ g, "AddmvBackward0"),
    "addr": (np.outer, lambda g, x, y: g @ y, lambda g, x, y: _t(g) @ x, "AddrBackward0"),
    "baddbmm": (_product, lambda g, x, y: _product(g, _t(y)), lambda g, x, y: _product(_t(x), g),
                "BaddbmmBackward0"),
    "addbmm": (lambda x, y: _product(x, y).sum(axis=0),
               lambda g, x, y: _product(np.broadcast_to(g, (len(x),) + g.shape), _t(y)),
               lambda g, x, y: _product(_t(x), np.broadcast_to(g, (len(x),) + g.shape)), "AddbmmBackward0"),
}


def _batches_of(g, x, y):
    """addbmm's output gradient as the batch of gradients of x's matrices times y's."""
    return g.unsqueeze(0).expand(x.shape[0], x.shape[1], y.shape[2])


# kind: (gradient for x, for y) as tensors of the graph (create_graph=True), from g, x and y, tensors too, as
# PyTorch's derivative formulas (before their scaling by alpha); addmm's go through _mm_gradients_graph
PRODUCT_GRAPH_GRADIENTS = {
    "addmv": (lambda g, x, y: g.reshape(-1, 1) * y, lambda g, x, y: x.t().mv(g)),  # (ger: a view times y)
    "addr": (lambda g, x, y: g.mv(y), lambda g, x, y: g.t().mv(x)),
    "baddbmm": (lambda g, x, y: g.bmm(y.transpose(1, 2)), lambda g, x, y: x.transpose(1, 2).bmm(g)),
    "addbmm": (lambda g, x, y: _batches_of(g, x, y).bmm(y.transpose(1, 2)),
               lambda g, x, y: x.transpose(1, 2).bmm(_batches_of(g, x, y))),
}


def _maybe_multiply(tensor, scale):
    """PyTorch's maybe_multiply: ``tensor`` times the number ``scale`` (its MulBackward1), unless scale is 1."""
    from .arithmetic import MulScalar

    return tensor if scale == 1 else tensor._binary(scale, MulScalar)


_SCALES = {"alpha": lambda node: node.alpha, "beta": lambda node: node.beta}


def _factors(x_name, y_name):
    """The saved factors of PyTorch's node: each for the other's gradient."""
    return {x_name: SavedInput(1, "x", needed_for=(2,)), y_name: SavedInput(2, "y", needed_for=(1,))}


class AddProduct(Node):
    """``beta * input + alpha * product(x, y)`` (input broadcast to the product's shape); with beta == 0 the
    input is not read at all (its NaN do not propagate), as in PyTorch."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "lower"  # (its list in PyTorch's CPU autocast)

    saved = ("x", "y")
    saved_only_for = {1: (2,), 2: (1,)}  # each factor is saved for the other's gradient
    torch_saved = {
        "AddmmBackward0": {
            **_SCALES,
            "mat1": SavedInput(1, "x", needed_for=(2,)), "mat1_sym_sizes": lambda node: sizes(node.x),
            "mat1_sym_strides": needed_for((1,), lambda node: strides(node.x)),
            "mat2": SavedInput(2, "y", needed_for=(1,)), "mat2_sym_sizes": lambda node: sizes(node.y),
            "mat2_sym_strides": needed_for((2,), lambda node: strides(node.y))},
        "AddmvBackward0": {**_SCALES, **_factors("mat", "vec")},
        "AddrBackward0": {**_SCALES, **_factors("vec1", "vec2")},
        "BaddbmmBackward0": {**_SCALES, **_factors("batch1", "batch2")},
        "AddbmmBackward0": {**_SCALES, **_factors("batch1", "batch2"),
                            "batch1_sym_argsize_0": lambda node: node.x.shape[0],
                            "batch1_sym_argsize_1": lambda node: node.x.shape[1],
                            "batch2_sym_argsize_2": lambda node: node.y.shape[2]},
    }

    def forward(self, input, x, y, kind=None, beta=1, alpha=1):
        self.kind, self.beta, self.alpha, self.x, self.y, self.input_shape = kind, beta, alpha, x, y, input.shape
        product = PRODUCTS[kind][0](x, y)
        scaled = product if alpha == 1 else alpha * product
        if beta == 0:
            out = np.broadcast_to(scaled, product.shape)
        else:
            out = scaled + (input if beta == 1 else beta * input)
        out = np.array(out, dtype=product.dtype)
        if kind == "addr" and input.ndim == 2 and not input.flags.c_contiguous:
            # (PyTorch's addr is a TensorIterator over the expanded input, vec1 as a column and vec2, in that
            # order: a transposed input's layout is the output's)
            return _memory_format.iterator_layout(out, (np.broadcast_to(input, out.shape), x[:, None], y))
        return out

    def backward(self, grad):
        _, grad_x, grad_y, _ = PRODUCTS[self.kind]
        need_input, need_x, need_y = self.needs_input_grad
        g_alpha = grad if self.alpha == 1 else grad * self.alpha
        if self.kind == "addmm":  # (a column-major factor's gradient computed transposed, as PyTorch's mm's)
            gx, gy = _mm_gradients(g_alpha, self.x, self.y, need_x, need_y)
        else:
            gx = grad_x(g_alpha, self.x, self.y) if need_x else None
            gy = grad_y(g_alpha, self.x, self.y) if need_y else None
        return (unbroadcast(grad * self.beta, self.input_shape) if need_input else None,
                gx.astype(grad.dtype, copy=False) if need_x else None,
                gy.astype(grad.dtype, copy=False) if need_y else None)

    def backward_graph(self, grad):
        need_input, need_x, need_y = self.needs_input_grad
        x, y = self.graph_input(1, self.x), self.graph_input(2, self.y)
        if self.kind == "addmm":
            gx, gy = _mm_gradients_graph(grad, x, y, strides(self.x), self.y, need_x, need_y)
        else:
            grad_x, grad_y = PRODUCT_GRAPH_GRADIENTS[self.kind]
            gx = grad_x(grad, x, y) if need_x else None
            gy = grad_y(grad, x, y) if need_y else None
        return (unbroadcast_tensor(_maybe_multiply(grad, self.beta), self.input_shape) if need_input else None,
                _maybe_multiply(gx, self.alpha)._cast(grad._data.dtype) if need_x else None,
                _maybe_multiply(gy, self.alpha)._cast(grad._data.dtype) if need_y else None)

    def name(self):
        return PRODUCTS[self.kind][3]


def _add_pointwise(input, t1, t2, value, divide):
    """PyTorch's kernels: addcdiv ``input + (value * t1) / t2`` rounded at each step; addcmul ``(value * t1) * t2 +
    input`` with the last multiply and the add fused."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = t1 if value == 1 else value * t1
        if divide:
            return input + scaled / t2
        return fused_multiply_add(scaled, t2, input)


class AddPointwise(Node):
    """``input + value * t1 * t2`` (addcmul) or ``input + value * t1 / t2`` (addcdiv), broadcast."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    tangent_node_name = "AddBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True

    saved = ("t1", "t2")
    saved_only_for = {1: (2,), 2: (1,)}
    torch_saved = {"AddcmulBackward0": {"tensor1": SavedInput(1, "t1", needed_for=(2,)),
                                        "tensor2": SavedInput(2, "t2", needed_for=(1,)),
                                        "value": lambda node: node.value},
                   "AddcdivBackward0": {"tensor1": SavedInput(1, "t1", needed_for=(2,)),
                                        "tensor2": SavedInput(2, "t2"),
                                        "value": lambda node: node.value}}

    def forward(self, input, t1, t2, value=1, divide=False):
        self.input_shape, self.t1, self.t2, self.value, self.divide = input.shape, t1, t2, value, divide
        # what PyTorch saves: each factor for the other's gradient; a divisor always
        self.saved_only_for = _DIVIDE_SAVES if divide else _MULTIPLY_SAVES
        if input.dtype == t1.dtype == t2.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel
            out = _add_pointwise(input.astype(np.float32), t1.astype(np.float32), t2.astype(np.float32),
                                 np.float32(value), divide)
            return out.astype(np.float16)
        return _add_pointwise(input, t1, t2, value, divide).astype(np.result_type(input, t1, t2), copy=False)

    def backward(self, grad):
        t1, t2, value = self.t1, self.t2, self.value
        g = grad * value
        if self.divide:
            g1, g2 = g / t2, -g * t1 / (t2 * t2)
        else:
            g1, g2 = g * t2, g * t1
        need = self.needs_input_grad
        return (unbroadcast(grad, self.input_shape) if need[0] else None,
                unbroadcast(g1, t1.shape) if need[1] else None,
                unbroadcast(g2, t2.shape) if need[2] else None)

    def backward_graph(self, grad):
        # PyTorch's formulas: grad * (value / tensor2) (C++'s number / tensor: a tensor filled with it, divided in
        # place: DivBackward0) and -grad * (value * tensor1 / tensor2^2); grad * (tensor2 * value) and
        # grad * (tensor1 * value) for addcmul
        from .arithmetic import mul_scalar, number_over

        t1, t2 = self.graph_input(1, self.t1), self.graph_input(2, self.t2)
        if self.divide:
            g1, g2 = grad * number_over(self.value, t2), -grad * (mul_scalar(t1, self.value) / (t2 * t2))
        else:
            g1, g2 = grad * mul_scalar(t2, self.value), grad * mul_scalar(t1, self.value)
        need = self.needs_input_grad
        return (unbroadcast_tensor(grad, self.input_shape) if need[0] else None,
                unbroadcast_tensor(g1, self.t1.shape) if need[1] else None,
                unbroadcast_tensor(g2, self.t2.shape) if need[2] else None)

    def name(self):
        return "AddcdivBackward0" if self.divide else "AddcmulBackward0"


_MULTIPLY_SAVES = {1: (2,), 2: (1,)}
_DIVIDE_SAVES = {1: (2,)}  # (the divisor whatever needs a gradient: changing it is an error even for input's)
