"""One row of a model summary: a module call with its output shape, parameters and multiply-accumulates."""
import math

from .._tensor import Tensor


class LayerInfo:
    """What one call of one module did during the summary's forward pass.

    ``num_params``/``trainable_params`` count the module's own parameters (not its children's) and are
    0 on later calls of a module that was already called (``reused``), so the rows add up to the total.
    ``mult_adds`` counts the multiply-accumulates of this call over the whole batch. ``receptive_field``
    and ``jump`` (one number per spatial axis) are set on convolution and pooling layers only.
    """

    def __init__(self, module, name, depth):
        self.module = module
        self.name = name
        self.class_name = type(module).__name__
        self.depth = depth
        self.is_leaf = not any(True for _ in module.children())
        self.reused = False
        self.input_shape = self.output_shape = None
        self.num_params = self.trainable_params = 0
        self.mult_adds = 0
        self.output_bytes = 0
        self.receptive_field = self.jump = None
        self.geometry_lost = False  # a window layer whose input came from an op the summary cannot see

    def record(self, inputs, output, first_call):
        """Fill the row from the call's inputs and output (``first_call``: count the parameters here)."""
        tensors = list(_tensors(output))
        self.input_shape = _first_shape(inputs)
        self.output_shape = list(tensors[0].shape) if len(tensors) == 1 else [list(t.shape) for t in tensors]
        self.output_bytes = sum(t.numel() * t.element_size() for t in tensors)
        self.reused = not first_call
        if first_call:
            own = list(self.module.parameters(recurse=False))
            self.num_params = sum(p.numel() for p in own)
            self.trainable_params = sum(p.numel() for p in own if p.requires_grad)
        if tensors:
            self.mult_adds = multiply_accumulates(self.module, inputs, tensors[0])

    @property
    def frozen_params(self):
        return self.num_params - self.trainable_params

    def __repr__(self):
        return (f"LayerInfo({self.name or self.class_name!r}, {self.class_name}, depth={self.depth}, "
                f"output_shape={self.output_shape}, params={self.num_params}, mult_adds={self.mult_adds})")


def multiply_accumulates(module, inputs, output):
    """Multiply-accumulates of one call: convolutions and Linear layers; 0 for everything else.

    Convolution: every output element is a dot product over ``C_in/groups x kH x kW`` weights, so
    ``C_out x H_out x W_out x C_in/groups x kH x kW`` per sample. Transposed convolution: every input
    element is multiplied by ``C_out/groups x kH x kW`` weights. Linear: ``in_features`` per output
    element. Bias additions are not counted.
    """
    from ..nn.modules.conv import _ConvNd
    from ..nn import Linear

    if isinstance(module, _ConvNd):
        per_element = math.prod(module.weight.shape[1:])
        return (inputs[0].numel() if module.transposed else output.numel()) * per_element
    if isinstance(module, Linear):
        return output.numel() * module.in_features
    return 0


def _tensors(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _first_shape(inputs):
    first = next(_tensors(inputs), None)
    return None if first is None else list(first.shape)
