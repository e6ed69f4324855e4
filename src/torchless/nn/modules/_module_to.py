"""The arguments of Module.to and of its moves to accelerators (cuda, xpu, ipu, mtia), read as PyTorch reads them
in a CPU-only build."""
from ..._tensor import Tensor, typename


# What a CPU-only PyTorch raises for a move to a device of these kinds (the others: see _device.require_cpu).
_NO_IPU = "PyTorch is not linked with support for ipu devices"
_NO_MTIA = ("Torch not compiled with MTIA enabled. Ensure you have "
            "`import mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")


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
    if kind == "ipu":
        raise RuntimeError(_NO_IPU)
    if kind == "mtia":
        raise AssertionError(_NO_MTIA)
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
