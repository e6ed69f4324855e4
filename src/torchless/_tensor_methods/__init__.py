"""The methods of torchless.Tensor by topic, one group a module.

Each module holds one class whose body is its group's methods as they would read inside ``class Tensor``.
``_tensor.py`` keeps the core of the class (construction, attributes, conversion, autograd, type promotion) and
calls ``attach`` at its end. The groups import the class from ``_tensor`` (and the checks they share from
``_arguments`` and ``_index_keys``), so they cannot be the class statement's bases (a circular import): their methods
are copied onto it.
"""
import sys

from .arithmetic import ArithmeticMethods
from .comparison import ComparisonMethods
from .deferred import DeferredMethods
from .indexing import IndexingMethods
from .inplace import InPlaceMethods
from .layout import LayoutMethods
from .pointwise import PointwiseMethods
from .reduction import ReductionMethods
from .selection import SelectionMethods
from .shape import ShapeMethods

GROUPS = (ArithmeticMethods, ComparisonMethods, PointwiseMethods, ReductionMethods, SelectionMethods, ShapeMethods,
          IndexingMethods, InPlaceMethods, DeferredMethods, LayoutMethods)


# What a class statement gives every class; and __hash__, which Python sets to None in a class that defines __eq__
# (ComparisonMethods), where Tensor's own hashes by identity.
_CLASS_ONLY = frozenset(("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__hash__"))


def attach(cls, groups=GROUPS, rehome=False):
    """Copy every group's methods onto ``cls``, named as its own (``Tensor.add``): Python's TypeErrors for a bad call
    name the method by its qualified name, as PyTorch's name ``Tensor.add()``. (nn.Module's groups are attached
    the same way, ``rehome``d: their functions also name ``cls``'s module as theirs, which pickle looks them up in.)"""
    for group in groups:
        for name, value in vars(group).items():
            if name not in _CLASS_ONLY:
                _rename(value, group.__name__, cls.__name__, cls.__module__ if rehome else None)
                setattr(cls, name, value)


def _rename(value, old, new, module=None):
    functions = [value] if callable(value) and hasattr(value, "__code__") else \
        [getattr(value, part, None) for part in ("fget", "fset", "fdel", "__func__")]
    for function in filter(None, functions):
        while function is not None:
            if module is not None:
                function.__module__ = module
            if function.__qualname__.startswith(old + "."):
                function.__qualname__ = new + function.__qualname__[len(old):]
            code = function.__code__
            if sys.version_info >= (3, 11) and code.co_qualname.startswith(old + "."):
                function.__code__ = code.replace(co_qualname=new + code.co_qualname[len(old):])
            function = getattr(function, "__wrapped__", None)
