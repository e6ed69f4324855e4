"""Graph nodes of layers that PyTorch implements as autograd Functions in torch.nn.modules._functions."""
import numpy as np

from ...autograd.graph import Node


class CrossMapLRN2d(Node):
    """The legacy (Lua Torch) cross-channel normalisation of 4-D input: x * scale^-beta, scale = k + alpha/size *
    a running sum of squares over channels. The sum is kept as PyTorch's loop keeps it, which never drops channel
    0 from the window; the gradient is PyTorch's formula for the centred window of ``size`` channels."""

    saved = ("x", "out", "scale")

    def forward(self, x, size=5, alpha=1e-4, beta=0.75, k=1.0):
        x = np.ascontiguousarray(x)  # PyTorch's output and scale are input.new() resized: contiguous in any layout
        self.x, self.size, self.alpha, self.beta = x, size, alpha, beta
        channels = x.shape[1]
        squares = x * x
        scale = np.empty_like(x)
        pre_pad = int((size - 1) / 2 + 1)
        scale[:, 0] = 0
        for c in range(min(pre_pad, channels)):
            scale[:, 0] += squares[:, c]
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += squares[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= squares[:, c - pre_pad]
        scale *= x.dtype.type(alpha / size)
        scale += x.dtype.type(k)
        self.scale = scale
        self.out = np.power(scale, x.dtype.type(-beta)) * x
        return self.out

    def backward(self, grad):
        x, scale, size = self.x, self.scale, self.size
        channels = x.shape[1]
        grad_input = np.power(scale, x.dtype.type(-self.beta)) * grad
        offset = int(size - (size - 1) / 2)
        padded = np.zeros((x.shape[0], channels + size - 1) + x.shape[2:], x.dtype)
        if offset + channels > padded.shape[1]:  # size 1: PyTorch's narrow of its padded ratios fails
            raise RuntimeError(f"start ({offset}) + length ({channels}) exceeds dimension size ({padded.shape[1]}).")
        padded[:, offset:offset + channels] = grad * self.out / scale
        window = padded.cumsum(axis=1, dtype=x.dtype)
        window = np.concatenate([np.zeros_like(window[:, :1]), window], axis=1)
        accumulated = window[:, size:size + channels] - window[:, :channels]  # padded[c : c + size] summed
        grad_input -= x.dtype.type(2 * self.alpha * self.beta / size) * x * accumulated
        return (grad_input,)

    def backward_graph(self, grad):
        # PyTorch's backward writes into preallocated tensors (out=), which recording for create_graph=True refuses
        raise RuntimeError("mul(): functions with out=... arguments don't support automatic differentiation, but one "
                           "of the arguments requires grad.")

    def name(self):
        return "CrossMapLRN2dBackward"
