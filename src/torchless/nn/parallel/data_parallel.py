"""``torch.nn.DataParallel`` on a machine without accelerators."""
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wrapper that would spread each batch over several accelerators, running one replica of the module per
    device.

    With accelerators, PyTorch splits each input along :attr:`dim` across the devices of :attr:`device_ids`,
    runs a replica of the module on each chunk and gathers the outputs on :attr:`output_device`. With none
    available, which is always the case for torchless (CPU only), it only wraps :attr:`module`: ``forward``
    calls it with the arguments as they are, ``device_ids`` is ``[]``, and ``device_ids``, ``output_device``
    and ``dim`` are ignored. The wrapped module is the child ``module``, so state-dict keys start with
    ``module.``, as in PyTorch.

    Args:
        module (Module): the module to wrap
        device_ids (list of int or torchless.device): accelerators to use (ignored: there are none)
        output_device (int or torchless.device): where the outputs would be gathered (ignored)
        dim (int): the dimension inputs would be split along (ignored). Default: 0

    Attributes:
        module (Module): the wrapped module

    Example::

        >>> net = torchless.nn.DataParallel(model, device_ids=[0, 1, 2])
        >>> output = net(input_var)  # a plain call of model on the CPU
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
