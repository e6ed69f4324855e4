"""One row of a model summary: a module call with its output shape, parameters and multiply-accumulates."""
import math

from .._tensor import Tensor
from .receptive import window_geometry


class LayerInfo:
    """What one call of one module did during the summary's forward pass.

    ``num_params``/``trainable_params`` count the module's own parameters (not its children's) and are
    0 on later calls of a module that was already called (``reused``), so the rows add up to the total.
    ``mult_adds`` counts the multiply-accumulates of this call over the whole batch and ``output_bytes``
    the memory of its first output tensor (an RNN's sequence output, not its final states, as torchinfo).
    ``receptive_field`` and ``jump`` (one number per spatial axis) are set on convolution and pooling
    layers only.
    """

    def __init__(self, module, name, depth):
        self.module = module
        self.name = name
        self.class_name = type(module).__name__
        self.depth = depth
        self.is_leaf = not any(True for _ in module.children())
        self.reused = False
        self.has_params = any(True for _ in module.parameters(recurse=False))
        self.input_shape = self.output_shape = None
        self.num_params = self.trainable_params = 0
        self.mult_adds = 0
        self.output_bytes = 0
        self.receptive_field = self.jump = None
        self.geometry_lost = False  # a window layer whose input came from an op the summary cannot see

    def record(self, inputs, output, first_call):
        """Fill the row from the call's inputs and output (``first_call``: count the parameters here)."""
        results = list(tensors(output))
        self.input_shape = first_shape(inputs)
        self.output_shape = list(results[0].shape) if len(results) == 1 else [list(t.shape) for t in results]
        self.output_bytes = results[0].numel() * results[0].element_size() if results else 0
        self.reused = not first_call
        if first_call:
            own = list(self.module.parameters(recurse=False))
            self.num_params = sum(p.numel() for p in own)
            self.trainable_params = sum(p.numel() for p in own if p.requires_grad)
        if results:
            self.mult_adds = multiply_accumulates(self.module, inputs, results[0])

    @property
    def geometry(self):
        """(kernel, stride, dilation) per spatial axis of a convolution or pooling layer, else None."""
        return window_geometry(self.module)

    @property
    def frozen_params(self):
        return self.num_params - self.trainable_params

    def __repr__(self):
        return (f"LayerInfo({self.name or self.class_name!r}, {self.class_name}, depth={self.depth}, "
                f"output_shape={self.output_shape}, params={self.num_params}, mult_adds={self.mult_adds})")


def multiply_accumulates(module, inputs, output):
    """Multiply-accumulates of one call over the whole batch, by torchinfo's conventions.

    Each of the module's own parameters is used once per output position: a convolution's weights and
    bias once per sample and output pixel (``N x H_out x W_out``), a Linear layer's once per row of its
    input, an RNN's ``weight_ih_l0``... once per sample and time step, and any other layer's weight and
    bias (BatchNorm, LayerNorm, PReLU, ...) once per sample. Parameter-free layers count 0.
    """
    return sum(_uses(module, name, inputs, output) * param.numel()
               for name, param in module.named_parameters(recurse=False))


def _uses(module, name, inputs, output):
    """How many times this call uses each element of the parameter ``name`` of ``module``."""
    from ..nn.modules.conv import _ConvNd
    from ..nn import Linear

    if isinstance(module, _ConvNd):  # per sample and pixel (N x H x W), an unbatched input counting N = 1
        if module.transposed and name == "weight":
            # torchinfo charges a transposed convolution as if each output pixel were a full dot
            # product (N x H_out x W_out x the weights), about stride**2 times the real work: every
            # input element is multiplied by C_out/groups x kH x kW weights, once.
            return inputs[0].numel() // module.in_channels
        return output.numel() // module.out_channels
    if isinstance(module, Linear):
        # torchinfo multiplies by the batch size only, which undercounts a Linear layer on (N, L, C)
        # input L times: the weights are applied to every row.
        return output.numel() // max(module.out_features, 1)
    if name in ("weight", "bias"):
        return output.shape[0] if output.ndim else 1
    if "weight" in name or "bias" in name:  # an RNN's weight_ih_l0, bias_hh_l1, ...
        return math.prod(output.shape[:2])
    return 0  # torchinfo counts no other parameter (a class token, say)


def tensors(value):
    """The tensors in ``value`` (a tensor, or lists, tuples and dicts of them), in order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors(item)


def first_shape(inputs):
    first = next(tensors(inputs), None)
    return None if first is None else list(first.shape)
