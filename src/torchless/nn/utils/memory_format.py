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
    r"""Convert ``memory_format`` of ``nn.Conv2d.weight`` to ``memory_format``.

    The conversion recursively applies to nested ``nn.Module``, including ``module``. It changes only the
    memory layout (the weights' strides), never the semantics of each dimension.

    Args:
        module (nn.Module): ``nn.Conv2d`` & ``nn.ConvTranspose2d`` or container ``nn.Module``
        memory_format: user specified ``memory_format``, e.g. ``torchless.channels_last`` or
            ``torchless.contiguous_format``

    Returns:
        The original module with updated ``nn.Conv2d``
    """
    return _convert_weights(module, memory_format, ("Conv2d", "ConvTranspose2d"))


def convert_conv3d_weight_memory_format(module, memory_format):
    r"""Convert ``memory_format`` of ``nn.Conv3d.weight`` to ``memory_format``.

    The conversion recursively applies to nested ``nn.Module``, including ``module``. It changes only the
    memory layout (the weights' strides), never the semantics of each dimension.

    Args:
        module (nn.Module): ``nn.Conv3d`` & ``nn.ConvTranspose3d`` or container ``nn.Module``
        memory_format: user specified ``memory_format``, e.g. ``torchless.channels_last_3d`` or
            ``torchless.contiguous_format``

    Returns:
        The original module with updated ``nn.Conv3d``
    """
    return _convert_weights(module, memory_format, ("Conv3d", "ConvTranspose3d"))
