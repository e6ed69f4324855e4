"""conv_tbc: the 1-D convolution of a time-batch-channel input, as PyTorch's own kernel (ConvolutionTBC.cpp) runs
it: the bias broadcast to the output (cast to its dtype), then for each kernel tap one matrix product of the
input's steps that tap reads into the output's steps it writes; its node is ConvTbcBackward0."""
import numpy as np

from ... import _memory_format
from ...autograd.graph import Node
from ...autograd.saved_values import SavedInput


def _tap_spans(in_steps, out_steps, kernel, pad):
    """(tap, first input step, first output step, steps) of each tap reading any step, as PyTorch's loops."""
    for k in range(kernel):
        first_in, first_out = max(0, k - pad), max(0, pad - k)
        steps = min(in_steps + pad - k, out_steps) - first_out
        if steps > 0:
            yield k, first_in, first_out, steps


def _as_gemm_operand(array):
    """``array`` as PyTorch's GEMMs read it: a half one in float32 (they sum in float32, rounding what they store,
    where NumPy's half matmul would round every partial sum)."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _zeros(array):
    """Zeros of ``array``'s shape and dtype, C-strided (as PyTorch's gradients, whatever the input's layout)."""
    return _memory_format.with_c_strides(np.zeros(array.shape, array.dtype))


def _check_steps_view(x, out_steps, kernel, pad):
    """PyTorch's kernel views each tap's steps of the input as (steps * batch, channels): an error where the
    steps and the batch do not merge (a time-innermost input)."""
    batch = x.shape[1]
    if batch > 1 and x.size and x.strides[0] != x.strides[1] * batch and any(
            steps > 1 for *_, steps in _tap_spans(x.shape[0], out_steps, kernel, pad)):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")


class ConvTbc(Node):
    saved = ("x", "w")
    torch_saved = {"self": SavedInput(0), "weight": SavedInput(1), "bias": SavedInput(2),
                   "pad": lambda node: node.pad}

    def forward(self, x, w, b, pad=0):
        self.x, self.w, self.pad, self.bias_dtype = x, w, pad, b.dtype
        out_steps = x.shape[0] + 2 * pad - w.shape[0] + 1
        _check_steps_view(x, out_steps, w.shape[0], pad)
        out = _memory_format.with_c_strides(np.empty((out_steps, x.shape[1], w.shape[2]), x.dtype))
        out[...] = b.astype(x.dtype, copy=False)
        x_, w_ = _as_gemm_operand(x), _as_gemm_operand(w)
        for k, first_in, first_out, steps in _tap_spans(x.shape[0], out_steps, w.shape[0], pad):
            out[first_out:first_out + steps] += x_[first_in:first_in + steps] @ w_[k]  # (rounded once a tap)
        return out

    def backward(self, grad):
        x, w = self.x, self.w
        gx = _zeros(x) if self.needs_input_grad[0] else None
        gw = _zeros(w) if self.needs_input_grad[1] else None
        x_, w_, grad_ = _as_gemm_operand(x), _as_gemm_operand(w), _as_gemm_operand(grad)
        for k, first_in, first_out, steps in _tap_spans(x.shape[0], grad.shape[0], w.shape[0], self.pad):
            g = grad_[first_out:first_out + steps]
            if gx is not None:
                gx[first_in:first_in + steps] += g @ w_[k].T
            if gw is not None:
                gw[k] += np.tensordot(x_[first_in:first_in + steps], g, axes=([0, 1], [0, 1]))
        gb = None
        if self.needs_input_grad[2]:  # PyTorch's dOutput.sum(0).sum(0): each sum rounded to the gradient's dtype
            over_time = grad_.sum(axis=0).astype(grad.dtype, copy=False)
            gb = _as_gemm_operand(over_time).sum(axis=0).astype(self.bias_dtype, copy=False)
        return gx, gw, gb

    def backward_graph(self, grad):
        import torchless

        x, w = self.graph_input(0, self.x), self.graph_input(1, self.w)
        gx_parts, gw_rows = [], [torchless.zeros_like(w[k]) for k in range(self.w.shape[0])]
        for k, first_in, first_out, steps in _tap_spans(self.x.shape[0], grad.shape[0], self.w.shape[0], self.pad):
            g = grad[first_out:first_out + steps]
            part = g.matmul(w[k].t())
            widths = (0, 0, 0, 0, first_in, self.x.shape[0] - first_in - steps)
            gx_parts.append(torchless.nn.functional.pad(part, widths))
            gw_rows[k] = gw_rows[k] + x[first_in:first_in + steps].flatten(0, 1).t().matmul(g.flatten(0, 1))
        gx = sum(gx_parts, torchless.zeros(self.x.shape, dtype=x.dtype)) if self.needs_input_grad[0] else None
        gw = torchless.stack(gw_rows) if self.needs_input_grad[1] else None
        gb = grad.sum(0).sum(0)._cast(self.bias_dtype) if self.needs_input_grad[2] else None
        return gx, gw, gb
