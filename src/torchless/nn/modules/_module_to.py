"""A Module's modes and moves: train/eval, requires_grad_/zero_grad, apply, and the conversions of its parameters
and buffers (to, float/double/half, type, to_empty, the moves to accelerators), with the arguments of Module.to
and of those moves read as PyTorch reads them in a CPU-only build.

The methods are torchless.nn.Module's: see ``module.py``, which copies them onto the class.
"""
import warnings
from itertools import chain

from ..._tensor import Tensor, typename
from ...autograd import grad_mode
from ...autograd._accumulate_grad import reset_grads
from ..parameter import is_lazy


def _converted_anew(param, fn):
    """A new Parameter of ``fn(param)``, with a new gradient of ``fn(param.grad)``: Module._apply's conversion
    under PyTorch's overwrite switch."""
    from ..parameter import Parameter

    with grad_mode.no_grad():
        converted = Parameter(fn(param), param.requires_grad)
        if param.grad is not None:
            converted.grad = fn(param.grad).requires_grad_(param.grad.requires_grad)
    return converted


def to_accelerator(tensor, kind, where):
    """``tensor.cuda(where)`` / ``.xpu`` / ``.ipu`` / ``.mtia`` in a CPU-only build: PyTorch's error for
    ``where``."""
    from ..._device import require_cpu, device

    if where is not None and not isinstance(where, (str, int, device)) or isinstance(where, bool):
        shown = type(where).__name__ if type(where).__module__ == "builtins" else typename(type(where))
        raise TypeError(f"{kind}(): argument 'device' (position 1) must be torchless.device, not {shown}")
    target = device(kind if where is None else where)
    if target.type != kind:
        raise RuntimeError(f"Invalid device, must be {'MTIA' if kind == 'mtia' else kind} device")
    require_cpu(target)  # raises: no accelerator here
    return tensor


# The overloads of Module.to as PyTorch's parser prints them (its messages list all three).
_TO_OVERLOADS = (
    "torchless.device device = None, torchless.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torchless.memory_format memory_format = None",
    "torchless.dtype dtype, bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = "
    "None",
    "Tensor tensor, bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = None",
)
_TO_PARAMETERS = (("device", "dtype", "non_blocking", "copy"), ("dtype", "non_blocking", "copy"),
                  ("tensor", "non_blocking", "copy"))


def _target_dtype(value):
    """The dtype a ``to()`` argument bound as a dtype or a tensor stands for: a dtype; a Python type (float:
    float64, ...); a tensor's; a Python number's (PyTorch's parser takes one as a tensor: 2.5 as float64)."""
    from ... import _dtype

    if value is None or isinstance(value, _dtype.dtype):
        return value
    if isinstance(value, Tensor):
        return value.dtype
    return _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(value if isinstance(value, type) else type(value)))


def parse_to(args, kwargs):
    """(device, dtype) of a ``Module.to`` call, bound to the first of PyTorch's three overloads that takes it, or
    PyTorch's TypeError; a ``copy`` argument is refused as PyTorch refuses it."""
    from ... import _dtype
    from ..._memory_format import memory_format as memory_format_class
    from ..._device import device as device_class

    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were given")
    accepts = {"device": lambda v: v is None or isinstance(v, (str, int, device_class)) and not isinstance(v, bool),
               "dtype": _dtype.is_argument, "tensor": lambda v: isinstance(v, (Tensor, int, float, complex)),
               "non_blocking": lambda v: isinstance(v, bool), "copy": lambda v: isinstance(v, bool)}
    for names in _TO_PARAMETERS:
        if len(args) > len(names):
            continue
        bound = dict(zip(names, args))
        memory_format = kwargs.get("memory_format")
        if memory_format is not None and type(memory_format) is not memory_format_class:
            break
        extra = {k: v for k, v in kwargs.items() if k != "memory_format"}
        if any(k not in names or k in bound for k in extra):
            continue
        bound.update(extra)
        if names[0] != "device" and names[0] not in bound:
            continue
        if not all(accepts[k](v) or (k == "dtype" and v is None and names[0] == "device")
                   for k, v in bound.items()):
            continue
        if "copy" in bound:  # even copy=False: Module.to refuses the argument outright
            raise RuntimeError(".to() does not accept copy argument")
        return bound.get("device"), _target_dtype(bound.get("tensor", bound.get("dtype")))
    from ..._parser_errors import invalid_combination

    raise invalid_combination("to", _TO_OVERLOADS, args, kwargs)


_COMPLEX_MODULE_WARNING = (
    "Complex modules are a new feature under active development whose design may change, and some modules might "
    "not work as expected when using complex tensors as parameters or buffers. Please file an issue at "
    "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml if a complex module does not work as "
    "expected.")


class ConversionMethods:
    """Module's training mode, gradients, apply, and conversions of its tensors."""

    def train(self, mode=True):
        """Set training mode (affects Dropout and BatchNorm) on this module and its children."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        reset_grads(self.parameters(), set_to_none)
    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Replace every parameter's, gradient's and buffer's data by ``fn`` of it (children first, when
        ``recurse``): what :meth:`to`, :meth:`float`, :meth:`double`, :meth:`half`, :meth:`type` and :meth:`to_empty`
        run, and what subclasses override to convert tensors of their own.

        As in PyTorch (for CPU tensors): a parameter and its gradient stay the same objects, given the new data
        (unless ``torch.__future__.set_overwrite_module_params_on_conversion(True)``, which makes new ones, the
        swap switch winning over it); a buffer is replaced by ``fn``'s result (the same object when ``fn`` returns
        it unchanged).
        """
        from ... import __future__ as future

        if recurse:
            for module in self.children():
                module._apply(fn)
        overwrite = (future.get_overwrite_module_params_on_conversion()
                     and not future.get_swap_module_params_on_conversion())
        for key, param in self._parameters.items():
            if param is None:
                continue
            if overwrite and not is_lazy(param):
                self._parameters[key] = _converted_anew(param, fn)
                continue
            with grad_mode.no_grad():
                param.data = fn(param)
            if param.grad is not None:
                with grad_mode.no_grad():
                    param.grad.data = fn(param.grad)
        for key, buf in self._buffers.items():
            if buf is None:
                continue
            applied = fn(buf)
            if is_lazy(buf):
                # fn ran on a plain alias of the empty data, and only a dtype can change: as in PyTorch, the buffer
                # stays uninitialized, itself when its dtype is kept, else a new one of the new dtype
                if applied.dtype == buf.dtype:
                    applied = buf
                else:
                    applied = type(buf)(requires_grad=buf.requires_grad, dtype=applied.dtype,
                                        persistent=getattr(buf, "persistent", True))
            self._buffers[key] = applied
        return self

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers to a dtype: ``to(device=None, dtype=None,
        non_blocking=False)``, ``to(dtype, non_blocking=False)`` or ``to(tensor, non_blocking=False)``, read as
        PyTorch's parser reads them (devices other than the CPU are refused)."""
        from ..._device import device as device_class, require_cpu

        device, dtype = parse_to(args, kwargs)
        if device is not None and not isinstance(device, device_class):
            device = device_class(device)  # PyTorch's parser reads it (its errors for a malformed one) ...
        memory_format = kwargs.get("memory_format")
        if dtype is not None:
            if not (dtype.is_floating_point or dtype.is_complex):
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={dtype}")
            if dtype.is_complex:
                warnings.warn(_COMPLEX_MODULE_WARNING)
        # ... and the dtype's checks come before moving the first tensor there (a module holding none moves nothing,
        # so any device is fine, as in PyTorch)
        if device is not None and next(chain(self.parameters(), self.buffers()), None) is not None:
            require_cpu(device)

        # as PyTorch: floating-point and complex parameters and buffers take the dtype, integer ones stay
        def cast(t):
            return dtype if dtype is not None and (t.is_floating_point() or t.is_complex()) else None

        if memory_format is not None:
            # as PyTorch: 4-D and 5-D parameters and buffers are converted to the format (channels_last refusing
            # the 5-D ones), the others only cast
            def convert(t):
                target = cast(t)
                if t.dim() in (4, 5):
                    return t.to(target, memory_format=memory_format)
                return t if target is None else t.to(target)

            return self._apply(convert)
        if dtype is None:
            return self
        return self._apply(lambda t: t if cast(t) is None else t.to(dtype))

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer new, uninitialized memory of its shape and dtype on ``device`` (the CPU
        here): PyTorch's way out of a model built on the meta device."""
        from ... import _creation
        from ..._device import require_cpu

        if device is not None:
            require_cpu(device)
        return self._apply(lambda t: _creation.empty_like(t), recurse=recurse)

    def type(self, dst_type):
        """Cast every parameter and buffer, integer ones included, to ``dst_type`` (a dtype or a type name)."""
        return self._apply(lambda t: t.type(dst_type))

    def _floating_to(self, dtype):
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self):
        from ... import _dtype

        return self._floating_to(_dtype.float32)

    def half(self):
        from ... import _dtype

        return self._floating_to(_dtype.float16)

    def double(self):
        from ... import _dtype

        return self._floating_to(_dtype.float64)

    def bfloat16(self):
        """Casts all floating point parameters and buffers to ``bfloat16`` datatype (a TypeError saying so without
        the optional ml_dtypes package, which holds torchless's bfloat16 tensors)."""
        from ... import _dtype

        return self._floating_to(_dtype.bfloat16)

    def cpu(self):
        return self

    def share_memory(self):
        """Mark every parameter and buffer (and gradient) as shared (Tensor.share_memory_); the module itself."""
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is not None:
                    tensor.share_memory_()
                    if tensor.grad is not None:
                        tensor.grad.share_memory_()
        return self

    def cuda(self, device=None):
        """Move to a CUDA device, which this CPU-only build refuses (with PyTorch's error) for the first parameter
        or buffer: a module with none moves nowhere without complaint, as in PyTorch."""
        return self._apply(lambda t: to_accelerator(t, "cuda", device))

    def xpu(self, device=None):
        """Move to an XPU device: refused as :meth:`cuda` is."""
        return self._apply(lambda t: to_accelerator(t, "xpu", device))

    def ipu(self, device=None):
        """Move to an IPU device: refused as :meth:`cuda` is."""
        return self._apply(lambda t: to_accelerator(t, "ipu", device))

    def mtia(self, device=None):
        """Move to an MTIA device: refused as :meth:`cuda` is."""
        return self._apply(lambda t: to_accelerator(t, "mtia", device))
