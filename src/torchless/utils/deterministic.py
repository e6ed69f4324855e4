"""``torch.utils.deterministic``: whether deterministic mode fills uninitialised memory (see
``torchless.use_deterministic_algorithms``)."""
import sys
import types

from .. import _determinism


class _Deterministic(types.ModuleType):
    @property
    def fill_uninitialized_memory(self):
        """Whether to fill uninitialized memory with a known value when
        :meth:`torch.use_deterministic_algorithms()` is set to ``True``."""
        return _determinism.get_fill_uninitialized_memory()

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        _determinism.set_fill_uninitialized_memory(mode)


sys.modules[__name__].__class__ = _Deterministic
