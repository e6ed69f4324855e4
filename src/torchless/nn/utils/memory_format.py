"""``torch.nn.utils.convert_conv2d_weight_memory_format`` and its 3-D form.

torchless tensors have one memory format (NumPy's row-major arrays, PyTorch's ``contiguous_format``), so the
conversions leave every weight as it is, as PyTorch's do for ``torch.contiguous_format``.
"""
__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    r"""Convert ``memory_format`` of ``nn.Conv2d.weight`` to ``memory_format``.

    The conversion recursively applies to nested ``nn.Module``, including ``module``. It changes only the
    memory layout, never the semantics of each dimension: in torchless, which has a single layout, it is the
    identity.

    Args:
        module (nn.Module): ``nn.Conv2d`` & ``nn.ConvTranspose2d`` or container ``nn.Module``
        memory_format: user specified ``memory_format``, e.g. ``torchless.channels_last`` or
            ``torchless.contiguous_format``

    Returns:
        The original module with updated ``nn.Conv2d``
    """
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    r"""Convert ``memory_format`` of ``nn.Conv3d.weight`` to ``memory_format``.

    The conversion recursively applies to nested ``nn.Module``, including ``module``; in torchless, which has a
    single memory layout, it is the identity.

    Args:
        module (nn.Module): ``nn.Conv3d`` & ``nn.ConvTranspose3d`` or container ``nn.Module``
        memory_format: user specified ``memory_format``, e.g. ``torch.channels_last_3d`` or
            ``torchless.contiguous_format``

    Returns:
        The original module with updated ``nn.Conv3d``
    """
    return module
