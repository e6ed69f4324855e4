"""Receptive field and jump of convolution and pooling layers, followed through the forward pass.

Along each spatial axis, a layer with kernel ``k``, dilation ``d`` and stride ``s`` sees
``d*(k-1) + 1`` neighbouring positions of its input, which are ``jump`` input pixels apart, so

    receptive_field_out = receptive_field_in + d*(k-1) * jump_in
    jump_out            = jump_in * s

starting from 1 and 1 at the input image. Padding changes where the field starts, not its size.
Layers that keep the spatial size (ReLU, BatchNorm, Dropout) pass both through. The summary sees
modules and the convolutions and pooling ``forward`` calls as functions (see ``functional``), so if a
window layer's input size is not the size the last tracked layer produced, an unseen operation
(``F.interpolate`` or slicing in ``forward``, say) changed it and the following fields are unknown.
"""


def window_geometry(module):
    """(kernel, stride, dilation) tuples for a convolution or pooling module, None for other modules."""
    kernel = getattr(module, "kernel_size", None)
    if kernel is None or not hasattr(module, "stride") or getattr(module, "transposed", False):
        return None
    n = len(kernel) if isinstance(kernel, (tuple, list)) else _spatial_dims(module)
    stride = module.stride if module.stride is not None else kernel
    dilation = getattr(module, "dilation", 1)
    return _tuple(kernel, n), _tuple(stride, n), _tuple(dilation, n)


def track(layers, input_shape):
    """Set ``receptive_field``/``jump`` on the window layers among ``layers`` (leaf calls in order)."""
    spatial = tuple(input_shape[2:]) if input_shape is not None and len(input_shape) > 2 else None
    field = jump = (1,) * len(spatial or ())
    for layer in layers:
        geometry = layer.geometry
        shape_in = layer.input_shape or []
        shape_out = layer.output_shape if _is_shape(layer.output_shape) else []
        if geometry is None:
            if spatial is not None and not _tail(shape_in, spatial) == spatial == _tail(shape_out, spatial):
                spatial = None  # Flatten, Linear, adaptive pooling...: no spatial geometry left to follow
            continue
        kernel, stride, dilation = geometry
        if spatial is None or len(spatial) != len(kernel) or _tail(shape_in, spatial) != spatial:
            layer.geometry_lost = True
            spatial = None
            continue
        field = tuple(r + d * (k - 1) * j for r, k, d, j in zip(field, kernel, dilation, jump))
        jump = tuple(j * s for j, s in zip(jump, stride))
        layer.receptive_field, layer.jump = field, jump
        spatial = _tail(shape_out, spatial)


def _tail(shape, like):
    return tuple(shape[-len(like):]) if len(shape) >= len(like) else None


def _spatial_dims(module):
    name = type(module).__name__
    return int(name[-2]) if name[-2:] in ("1d", "2d", "3d") else 2


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _is_shape(shape):
    return bool(shape) and all(isinstance(s, int) for s in shape)
