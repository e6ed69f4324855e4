"""The affine parameters of a normalisation layer: weight (initialised to 1) and bias (to 0), or None."""
from ... import _creation, _dtype
from .. import init
from ..parameter import Parameter


def register_affine(module, shape, affine, bias=True, dtype=None, device=None):
    """Register ``weight`` and ``bias`` Parameters of ``shape`` on ``module`` (uninitialised; see
    :func:`reset_affine`), or None for each that the layer does not have."""
    factory_dtype = dtype or _dtype.get_default_dtype()
    if affine:
        module.weight = Parameter(_creation.empty(shape, dtype=factory_dtype, device=device))
        if bias:
            module.bias = Parameter(_creation.empty(shape, dtype=factory_dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module):
    """weight = 1 and bias = 0, where the layer has them."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)
