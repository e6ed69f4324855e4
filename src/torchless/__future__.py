"""PyTorch's switches for behaviours planned to become the default (``torch.__future__``): how ``nn.Module``'s
conversions (``to``, ``float``, ``double``, ``half``, ``type``, ``to_empty``) treat the parameters they convert."""
_overwrite_module_params_on_conversion = False
_swap_module_params_on_conversion = False


def set_overwrite_module_params_on_conversion(value):
    """Whether a module's conversions assign new Parameter objects (and new gradients) instead of giving the
    existing ones the converted data in place."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion():
    """Whether a module's conversions assign new parameters (default False): see
    :func:`set_overwrite_module_params_on_conversion`."""
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value):
    """Whether a module's conversions swap the converted contents into the existing parameters (PyTorch's
    ``torch.utils.swap_tensors``) rather than set their ``.data``; it takes precedence over the overwrite switch.
    Either way a parameter and its gradient stay the same objects here."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion():
    """Whether a module's conversions swap parameters' contents (default False): see
    :func:`set_swap_module_params_on_conversion`."""
    return _swap_module_params_on_conversion
