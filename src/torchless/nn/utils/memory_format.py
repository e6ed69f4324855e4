"""``torch.nn.utils.convert_conv2d_weight_memory_format`` and its 3-D form."""
__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert_weights(module, memory_format, classes):
    from .. import modules

    if isinstance(module, tuple(getattr(modules, name) for name in classes)):
        weight_data = module.weight.detach().clone(memory_format=memory_format)
        module.weight.data = weight_data.resize_(weight_data.size(), memory_format=memory_format)
    for child in module.children():
        _convert_weights(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    r"""Store the weight of every 2-D convolution in ``module`` in the layout ``memory_format``.

    ``module`` itself and all the modules it contains, at any depth, are visited; each one that is an
    ``nn.Conv2d`` or ``nn.ConvTranspose2d`` (or a subclass) gets its weight's values copied to the new strides.
    The weight stays the same :class:`Parameter` object, with the same shape and values: only the order of its
    elements in memory changes, so the results of the model do not.

    Args:
        module (nn.Module): a convolution, or any module containing some
        memory_format: the layout wanted, e.g. ``torchless.channels_last`` or ``torchless.contiguous_format``

    Returns:
        ``module``, changed in place
    """
    return _convert_weights(module, memory_format, ("Conv2d", "ConvTranspose2d"))


def convert_conv3d_weight_memory_format(module, memory_format):
    r"""Store the weight of every 3-D convolution in ``module`` in the layout ``memory_format``.

    ``module`` itself and all the modules it contains, at any depth, are visited; each one that is an
    ``nn.Conv3d`` or ``nn.ConvTranspose3d`` (or a subclass) gets its weight's values copied to the new strides.
    The weight stays the same :class:`Parameter` object, with the same shape and values: only the order of its
    elements in memory changes, so the results of the model do not.

    Args:
        module (nn.Module): a convolution, or any module containing some
        memory_format: the layout wanted, e.g. ``torchless.channels_last_3d`` or ``torchless.contiguous_format``

    Returns:
        ``module``, changed in place
    """
    return _convert_weights(module, memory_format, ("Conv3d", "ConvTranspose3d"))
