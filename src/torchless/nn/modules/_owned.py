"""Methods that a PyTorch layer class defines itself but that torchless shares from a base class.

Python names a method by its ``__qualname__`` in the TypeError of a bad call: ``Conv2d()()`` fails with
"Conv2d.forward() missing 1 required positional argument: 'input'" in PyTorch, where each convolution
defines its own ``forward``. ``owns`` gives a class its own copy of such an inherited method, named after the
class, so a bad call reads the same; the body (and its ``super()``) is the shared one.
"""
import types


def owns(*names):
    """Class decorator: the class's own copies of the inherited methods ``names``, qualified by its name."""

    def decorate(cls):
        for name in names:
            shared = getattr(cls, name)
            own = types.FunctionType(shared.__code__, shared.__globals__, shared.__name__, shared.__defaults__,
                                     shared.__closure__)
            own.__kwdefaults__, own.__doc__ = shared.__kwdefaults__, shared.__doc__
            own.__dict__.update(shared.__dict__)
            own.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, own)
        return cls

    return decorate
