"""Neural-network layers, their functional forms, parameters and initialisation (``torchless.nn``)."""
from . import attention, functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import Module
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import parallel
from .parallel import DataParallel

from .. import overrides as _overrides  # noqa: E402

_overrides.dispatch_functions()  # (nn.functional's, once a subclass takes part in __torch_function__)
del _overrides
