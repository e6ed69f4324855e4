"""The ``__torch_function__`` protocol for Tensor subclasses (PyTorch's ``torch.overrides``).

PyTorch checks every call's arguments for ``__torch_function__`` in C. torchless keeps plain tensors free of any such
check: a Tensor subclass gets, when it is defined (``Tensor.__init_subclass__``), its own copies of Tensor's methods,
operators and tensor-valued properties that hand the call to ``__torch_function__``; Tensor's own stay untouched.
The first such subclass also replaces the public functions of torchless, nn.functional, linalg, fft and special
(and the modules' names of them, which nn.Modules call) by versions that hand a call with a subclass among its
arguments to ``__torch_function__`` as PyTorch does: a program that defines none pays nothing for them.
``Tensor.view(t, 6)`` called through the class, on a subclass instance, still runs Tensor's method directly.
"""
import functools
import threading

__all__ = ["get_default_nowrap_functions", "handle_torch_function", "has_torch_function", "is_tensor_like"]


class _State(threading.local):
    # True inside DisableTorchFunctionSubclass (in this thread, as PyTorch's flag is thread-local): the subclasses'
    # methods then run Tensor's directly
    disabled = False


_state = _State()

# The operators PyTorch's __torch_function__ sees as the named method (``t + 1`` as Tensor.add)
_OPERATOR_METHODS = {
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul",
    "__truediv__": "div", "__mod__": "remainder", "__pow__": "pow", "__matmul__": "matmul",
    "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
    "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
    "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
    "__neg__": "neg", "__pos__": "positive", "__abs__": "abs", "__rtruediv__": "__rdiv__",
}

# The dunders PyTorch hands to __torch_function__ (besides the operators above)
_ROUTED_DUNDERS = frozenset((
    "__floordiv__", "__rfloordiv__", "__rsub__", "__rdiv__", "__rmod__", "__rpow__", "__rmatmul__",
    "__and__", "__or__", "__xor__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "__eq__",
    "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__invert__",
    "__getitem__", "__setitem__", "__len__", "__reversed__", "__contains__", "__bool__",
    "__float__", "__int__", "__complex__", "__index__", "__format__", "__repr__", "__deepcopy__", "__reduce_ex__",
))

# The properties PyTorch hands to __torch_function__ (those giving tensors come back as the subclass, but .grad)
_ROUTED_PROPERTIES = ("T", "mT", "H", "mH", "data", "real", "imag", "grad", "shape", "dtype", "device", "ndim",
                      "requires_grad", "is_leaf", "grad_fn")

# The routed dunders that are not binary operators (a binary one refused by every overload gives NotImplemented, so
# that Python tries the other operand and raises its "unsupported operand type(s)")
_NOT_BINARY = frozenset(("__neg__", "__pos__", "__abs__", "__invert__", "__getitem__", "__setitem__", "__len__",
                         "__reversed__", "__contains__", "__bool__", "__float__", "__int__", "__complex__",
                         "__index__", "__format__", "__repr__", "__deepcopy__", "__reduce_ex__"))

# The methods PyTorch writes in Python, which hand __torch_function__ a dict of keywords (the C ones give None when
# there are none): {name: the keywords passed, their defaults filled in; the other arguments are passed as given}
_PYTHON_METHOD_KEYWORDS = {
    **dict.fromkeys(("__rsub__", "__rdiv__", "__rtruediv__", "__pow__", "__rpow__", "__floordiv__", "__rfloordiv__",
                     "__rlshift__", "__rrshift__", "__rmatmul__", "__rmod__", "__contains__", "__reversed__",
                     "__format__", "__len__", "__deepcopy__", "__reduce_ex__", "__dir__", "unflatten", "register_hook",
                     "register_post_accumulate_grad_hook", "storage", "is_shared", "share_memory_", "resize_as"), ()),
    "backward": ("gradient", "retain_graph", "create_graph", "inputs"), "norm": ("p", "dim", "keepdim", "dtype"),
    "split": ("dim",), "unique": ("sorted", "return_inverse", "return_counts", "dim"),
    "unique_consecutive": ("return_inverse", "return_counts", "dim"), "lu": ("pivot", "get_infos"),
    "stft": ("hop_length", "win_length", "window", "center", "pad_mode", "normalized", "onesided", "return_complex",
             "align_to_window"),
    "istft": ("hop_length", "win_length", "window", "center", "normalized", "onesided", "length", "return_complex"),
    "__array__": ("dtype",),
}

# Methods that stay Tensor's: the subclass protocol itself and what makes or copies the Python object
_UNROUTED = frozenset(("as_subclass", "__torch_function__", "__init_subclass__"))


class DisableTorchFunctionSubclass:
    """Within this context, the Tensor subclasses' methods run as Tensor's, without ``__torch_function__`` (as
    ``Tensor.__torch_function__`` runs the function it is given)."""

    def __enter__(self):
        self._restore, _state.disabled = _state.disabled, True
        return self

    def __exit__(self, *args):
        _state.disabled = self._restore


def _disabled_torch_function_impl(func, types, args=(), kwargs=None):
    """The ``__torch_function__`` of a subclass that opts out of the protocol (nn.Parameter's): ``func`` runs."""
    return func(*args, **(kwargs or {}))


def get_default_nowrap_functions():
    """The functions whose results ``Tensor.__torch_function__`` returns as they are (not as the subclass)."""
    from ._tensor import Tensor

    return {Tensor.grad.__get__, Tensor._base.__get__}


def _convert(ret, cls):
    from ._tensor import Tensor

    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        ret = ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        # (a namedtuple-like result of several tensors keeps its type: ``t.max(0)``)
        converted = [_convert(r, cls) for r in ret]
        ret = type(ret)(*converted) if hasattr(type(ret), "_fields") else type(ret)(converted)
    return ret


def _torch_function(cls, func, types, args=(), kwargs=None):
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **kwargs)
        if func in _nowrap_functions():
            return ret
        return _convert(ret, cls)


@functools.lru_cache(maxsize=None)
def _nowrap_functions():
    # (built once: get_default_nowrap_functions gives callers a new set each time, as PyTorch's does)
    return frozenset(get_default_nowrap_functions())


def _overloaded_args(relevant, python=False):
    """The arguments whose types take part in the call's __torch_function__, a subclass before its bases; Tensor's
    too if ``python`` (as PyTorch's handle_torch_function written in Python finds them, unlike its C one)."""
    from ._tensor import Tensor

    found, kinds = [], []
    for arg in relevant:
        kind = type(arg)
        if kind in kinds or (kind is Tensor and not python) or not hasattr(arg, "__torch_function__"):
            continue
        if not getattr(kind, "_torch_function_routed", True):  # (a subclass of torchless's own: a tv_tensor)
            continue
        if getattr(kind.__torch_function__, "__func__", kind.__torch_function__) is _disabled_torch_function_impl:
            continue
        index = len(found)
        for i, other in enumerate(kinds):
            if issubclass(kind, other):
                index = i
                break
        found.insert(index, arg)
        kinds.insert(index, kind)
    return found


def _flat(args, kwargs):
    for arg in args:
        if isinstance(arg, (tuple, list)):
            yield from arg
        else:
            yield arg
    yield from kwargs.values()


def has_torch_function(relevant_args):
    """Whether any of ``relevant_args`` is a Tensor subclass or another type that defines ``__torch_function__``."""
    return bool(_overloaded_args(relevant_args)) and not _state.disabled


def is_tensor_like(inp):
    """Whether ``inp`` is a Tensor or its type defines ``__torch_function__``."""
    from ._tensor import Tensor

    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def _dispatch(public_api, relevant_args, args, kwargs, python=False):
    overloaded = _overloaded_args(relevant_args, python)
    types = tuple(type(arg) for arg in overloaded)
    for arg in overloaded:
        result = type(arg).__torch_function__(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result, overloaded
    return NotImplemented, overloaded


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Call ``public_api`` through the ``__torch_function__`` of the types in ``relevant_args``, a subclass before
    its bases, until one returns something other than ``NotImplemented``.

    Raises:
        TypeError: when all of them return ``NotImplemented``.
    """
    result, overloaded = _dispatch(public_api, relevant_args, args, kwargs, python=True)
    if result is not NotImplemented:
        return result
    raise _no_implementation(public_api, overloaded)


def _no_implementation(public_api, overloaded, label=None, python=False):
    """PyTorch's TypeError when every __torch_function__ returned NotImplemented: its Python handle_torch_function's
    (``label``: the module PyTorch's function lives in, ``'torch.functional'``), or its C dispatch's, ``label``
    naming the function (``'torch.cat'``)."""
    if python:
        name = f"{label}.{public_api.__name__}"
    elif label is not None:
        listed = "".join(f"  - tensor subclass {type(arg)}\n" for arg in overloaded)
        return TypeError(f"Multiple dispatch failed for '{label}'; all __torch_function__ handlers returned "
                         f"NotImplemented:\n\n{listed}\nFor more information, try re-running with "
                         "TORCH_LOGS=not_implemented")
    else:
        name = f"{public_api.__module__}.{public_api.__name__}".replace("torchless", "torch")
    return TypeError(f"no implementation found for '{name}' on types that implement __torch_function__: "
                     f"{[type(arg) for arg in overloaded]}")


def _routing_method(func, method, binary, keywords):
    """The subclass's ``method``: ``func`` (what __torch_function__ sees) through the arguments' overloads;
    ``keywords``: the method's _PYTHON_METHOD_KEYWORDS (None for a C method's convention)."""
    if binary:
        @functools.wraps(method)
        def routed(*args, **kwargs):
            if _state.disabled:
                return method(*args, **kwargs)
            if keywords is None:
                return _dispatch(func, list(_flat(args, kwargs)), args, kwargs or None)[0]
            return _dispatch(func, list(_flat(args, kwargs)), args, kwargs, python=True)[0]
        return routed

    @functools.wraps(method)
    def routed(*args, **kwargs):
        if _state.disabled:
            return method(*args, **kwargs)
        relevant = list(_flat(args, kwargs))
        if keywords:
            try:
                bound = _signature(method).bind(*args, **kwargs)
            except TypeError:
                return method(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
            args = tuple(value for name, value in values.items() if name not in keywords)
            kwargs = {name: values[name] for name in keywords if name in values}
        if keywords is None:
            return _handle(func, relevant, args, kwargs or None, label=label)
        return _handle(func, relevant, args, kwargs, python=True, label="torch._tensor")

    label = f"torch.Tensor.{func.__name__}"
    return routed


def _routing_property(prop):
    getter = prop.__get__

    def get(self):
        if _state.disabled:
            return getter(self)
        return _handle(getter, (self,), (self,), None)
    return property(get, prop.fset, prop.fdel, prop.__doc__)


def owned_by_torchless(cls):
    """Whether the Tensor subclass ``cls`` is one of torchless's own or derives from one (nn.Parameter, the
    tv_tensors, which keep their own rules)."""
    from ._tensor import Tensor

    for klass in cls.__mro__:
        if klass is Tensor:
            break
        if isinstance(klass.__dict__.get("__module__"), str) and klass.__module__.split(".")[0] == "torchless":
            return True
    return False


def _routes(cls):
    """Whether the subclass ``cls`` takes part in the protocol: not for torchless's own subclasses and theirs
    nor a class that opts out."""
    if owned_by_torchless(cls):
        return False
    tf = cls.__torch_function__
    return getattr(tf, "__func__", tf) is not _disabled_torch_function_impl


def install(cls):
    """Give the Tensor subclass ``cls`` the methods and properties that go through ``__torch_function__``, except
    those a class between it and Tensor defines."""
    from . import _unbound
    from ._tensor import Tensor

    cls._torch_function_routed = _routes(cls)
    if not cls._torch_function_routed:
        return
    _start_dispatching(cls)
    own = set()
    for klass in cls.__mro__:
        if klass is Tensor:
            break
        own.update(klass.__dict__)
    for name, value in list(Tensor.__dict__.items()):
        if name in own or name in _UNROUTED:
            continue
        if isinstance(value, property):
            if name in _ROUTED_PROPERTIES:
                setattr(cls, name, _routing_property(value))
            continue
        if not callable(value) or isinstance(value, (classmethod, staticmethod, type)):
            continue
        if name.startswith("_") and name not in _ROUTED_DUNDERS and name not in _OPERATOR_METHODS:
            continue
        public = _OPERATOR_METHODS.get(name, name)
        func = _unbound.public_method(public) or Tensor.__dict__.get(public, value)
        binary = name.startswith("__") and name not in _NOT_BINARY
        setattr(cls, name, _routing_method(func, value, binary, _PYTHON_METHOD_KEYWORDS.get(name)))


# torch.* and torch.nn.functional's functions: PyTorch checks each call's arguments for __torch_function__ in C (or
# in the Python function). torchless wraps its public functions only once a Tensor subclass that takes part in the
# protocol is defined (``install``): until then no call pays for the check, and after it a call with plain tensors
# pays one type test per argument.

# The Tensor subclasses whose instances send the functions' calls to __torch_function__
_routed_types = set()
# {id of a wrapped function: (that function, its dispatching version)}; None until a routed subclass is defined
_dispatching = None

# torch's functions that do not dispatch (is_tensor, the factories taking no tensor, the global switches): PyTorch's
# get_ignored_functions() but those of them that do (as_strided, normal, vander, result_type, fill, the *_like)
_TORCH_NOT_DISPATCHING = frozenset((
    "arange", "are_deterministic_algorithms_enabled", "as_tensor", "asarray", "autocast_decrement_nesting",
    "autocast_increment_nesting", "bartlett_window", "blackman_window", "broadcast_shapes", "can_cast",
    "clear_autocast_cache", "compile", "device", "dtype", "empty", "empty_permuted", "empty_strided", "enable_grad",
    "eye", "finfo", "from_numpy", "frombuffer", "full", "get_autocast_cpu_dtype", "get_autocast_dtype",
    "get_autocast_gpu_dtype", "get_default_device", "get_default_dtype", "get_deterministic_debug_mode",
    "get_float32_matmul_precision", "get_num_interop_threads", "get_num_threads", "get_rng_state", "hamming_window",
    "hann_window", "iinfo", "inference_mode", "initial_seed", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
    "is_autocast_cache_enabled", "is_autocast_cpu_enabled", "is_autocast_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "is_grad_enabled", "is_inference_mode_enabled", "is_tensor",
    "is_warn_always_enabled", "kaiser_window", "layout", "linspace", "logspace", "manual_seed", "memory_format",
    "no_grad", "ones", "promote_types", "rand", "randint", "randn", "randperm", "range", "scalar_tensor", "seed",
    "set_anomaly_enabled", "set_autocast_cache_enabled", "set_autocast_cpu_dtype", "set_autocast_cpu_enabled",
    "set_autocast_dtype", "set_autocast_enabled", "set_autocast_gpu_dtype", "set_default_device",
    "set_default_tensor_type", "set_deterministic_debug_mode", "set_float32_matmul_precision", "set_flush_denormal",
    "set_grad_enabled", "set_num_interop_threads", "set_num_threads", "set_printoptions", "set_rng_state",
    "set_warn_always", "tensor", "tril_indices", "triu_indices", "typename", "use_deterministic_algorithms", "vmap",
    "zeros", "save", "load", "is_storage", "summary",
))
# nn.functional's that do not: those running a Tensor method (which dispatches itself) or another function that does
_FUNCTIONAL_NOT_DISPATCHING = frozenset(("sigmoid", "tanh", "upsample", "upsample_bilinear", "upsample_nearest",
                                         "handle_torch_function", "has_torch_function", "has_torch_function_unary",
                                         "has_torch_function_variadic", "boolean_dispatch", "assert_int_or_pair"))
# The poolings whose call with return_indices=True PyTorch hands over as that of their ``*_with_indices`` function
_WITH_INDICES = frozenset(("max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
                           "adaptive_max_pool3d", "fractional_max_pool2d", "fractional_max_pool3d"))


def _any_routed(args, kwargs):
    routed = _routed_types
    for arg in args:
        kind = type(arg)
        if kind in routed:
            return True
        if kind is list or kind is tuple:
            for item in arg:
                if type(item) in routed:
                    return True
    return bool(kwargs) and _any_routed(kwargs.values(), None)


@functools.lru_cache(maxsize=None)
def _signature(func):
    import inspect

    return inspect.signature(func)


# torch.unique's and unique_consecutive's signatures, which torchless's functions do not spell out
def _unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    pass


def _unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    pass


_SIGNATURES = {"unique": _unique, "unique_consecutive": _unique_consecutive}
# torch.functional's functions of ``*tensors``, which hand over the call as made, with these keywords (defaults
# filled in)
_VARIADIC = {"atleast_1d": (), "atleast_2d": (), "atleast_3d": (), "block_diag": (), "broadcast_tensors": (),
             "cartesian_prod": (), "chain_matmul": (), "einsum": (), "meshgrid": ("indexing",)}


def _python_call(public, func, spec, args, kwargs):
    """(public, relevant, args, kwargs) as PyTorch's Python function ``public`` hands its call over (see
    _torch_function_calls), or None if the call does not bind (torchless's function then raises PyTorch's error)."""
    name = spec[3]
    if spec[1] is None:  # (one of _VARIADIC)
        if not set(kwargs) <= set(spec[2]):
            return None
        if name == "einsum" and len(args) == 2 and isinstance(args[1], (list, tuple)):
            args = (args[0], *args[1])  # (PyTorch's einsum spreads a list of operands before it dispatches)
        relevant = args[1:] if name == "einsum" else args
        return public, relevant, args, {key: kwargs.get(key) for key in spec[2]}
    try:
        bound = _signature(_SIGNATURES.get(name, func)).bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    values = bound.arguments
    if name in _WITH_INDICES and values.get("return_indices"):
        import sys

        public = getattr(sys.modules["torchless.nn.functional"], name + "_with_indices")
    names = list(values)
    keywords = spec[2].split() if spec[2] is not None else names[spec[1]:]
    return (public, [values[p] for p in spec[0].split()], tuple(values[p] for p in names[:spec[1]]),
            {key: values[key] for key in keywords})


def _dispatching_function(func, spec, label):
    """``func`` that hands a call with a routed subclass among its arguments to __torch_function__, as itself;
    ``spec``: how PyTorch's Python function of its name hands the call over (``label``: the module it lives in),
    None if PyTorch's is native (``label``: its name in PyTorch's C messages)."""
    @functools.wraps(func)
    def dispatching(*args, **kwargs):
        if _state.disabled or not _any_routed(args, kwargs):
            return func(*args, **kwargs)
        if spec is None:
            return _handle(dispatching, list(_flat(args, kwargs)), args, kwargs or None, fallback=func, label=label)
        call = _python_call(dispatching, func, spec, args, kwargs)
        if call is None:
            return func(*args, **kwargs)
        return _handle(*call, python=True, fallback=func, label=label)

    dispatching.__code__ = _skipped_by_warnings(dispatching.__code__)
    dispatching._torch_function_dispatching = True
    return dispatching


# The wrappers' frame is one PyTorch's C dispatch does not have: a warning raised with a stacklevel counted from the
# function (F.softmax's implicit dim, a loss's size mismatch) would point at it, not at the caller. CPython's
# warnings step over the frames of code whose file name holds "importlib" and "_bootstrap" (the import machinery's),
# as 3.12's skip_file_prefixes does: the wrappers' code is given such a name (_user_warnings.DISPATCHING_FILENAME),
# in the package, so that the readers of the user's call (_written_call) see a frame of torchless's.


@functools.lru_cache(maxsize=None)
def _skipped_by_warnings(code):
    from ._user_warnings import DISPATCHING_FILENAME

    return code.replace(co_filename=DISPATCHING_FILENAME)


def undispatched(function):
    """``function`` itself, or the function a __torch_function__ wrapper stands for (whose code runs: the profilers
    key their records by code objects)."""
    return function.__wrapped__ if getattr(function, "_torch_function_dispatching", False) else function


def _handle(public, relevant, args, kwargs, python=False, fallback=None, label=None):
    """``public``'s call through __torch_function__ (a C function's if ``python`` is false, which ``label``
    names); ``fallback`` runs it when none of ``relevant`` is of a routed subclass."""
    if fallback is not None:
        relevant = list(relevant)
        if not any(type(arg) in _routed_types for arg in relevant):  # (none where PyTorch looks for one)
            return fallback(*args, **(kwargs or {}))
    result, overloaded = _dispatch(public, relevant, args, kwargs, python)
    if result is not NotImplemented:
        return result
    raise _no_implementation(public, overloaded, label, python)


def _wrap_namespace(namespace, not_dispatching, specs, labels, python_module):
    """Replace the public functions of the module dict ``namespace`` by dispatching versions (``labels``: a
    function's name and itself to its name in PyTorch's C messages; ``python_module``: where PyTorch's Python ones
    live); an nn.functional function made from another (by ``_out_argument.with_out``) stands for that one too
    (nn.GELU calls it)."""
    import types

    from ._out_argument import with_out

    with_out_code = with_out("", len).__code__  # (the code of every function with_out makes)

    for name, value in list(namespace.items()):
        if name.startswith("_") or name in not_dispatching or type(value) is not types.FunctionType:
            continue
        if getattr(value, "_torch_function_dispatching", False):
            continue
        entry = _dispatching.get(id(value))
        if entry is None or entry[0] is not value:
            spec = specs.get(name) or specs.get(value.__name__)
            if spec is not None:
                spec = (*spec, None)[:3] + (name,)
            label = labels(name, value) if spec is None else python_module
            entry = _dispatching[id(value)] = (value, _dispatching_function(value, spec, label))
            if python_module == "torch.nn.functional" and value.__code__ is with_out_code:
                _dispatching.setdefault(id(value.__wrapped__), (value.__wrapped__, entry[1]))
        namespace[name] = entry[1]


def _rebind_module_globals():
    """Point torchless's modules' names bound to a wrapped function (``from .conv import conv2d``, the private
    modules nn.Modules call) and their classes' static methods that are one (Conv2d's ``_convolve``) at its
    dispatching version."""
    import sys
    import types

    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith("torchless") or module_name == __name__:
            continue
        namespace = vars(module)
        for name, value in list(namespace.items()):
            entry = _dispatching.get(id(value))
            if entry is not None and entry[0] is value:
                namespace[name] = entry[1]
            elif type(value) is types.FunctionType:
                _rebind_defaults(value)
            elif isinstance(value, type) and str(getattr(value, "__module__", "")).startswith("torchless"):
                for attribute, member in list(vars(value).items()):
                    if isinstance(member, staticmethod):
                        entry = _dispatching.get(id(member.__func__))
                        if entry is not None and entry[0] is member.__func__:
                            setattr(value, attribute, staticmethod(entry[1]))
                    elif type(member) is types.FunctionType:
                        _rebind_defaults(member)


def _rebind_defaults(function):
    """Point ``function``'s default arguments that are a wrapped function at its dispatching version (a default
    ``activation=F.relu``, compared with ``F.relu`` by nn.TransformerEncoderLayer's fast path)."""
    defaults, keyword_defaults = function.__defaults__, function.__kwdefaults__
    if defaults and any(id(value) in _dispatching for value in defaults):
        function.__defaults__ = tuple(_dispatching_version(value) for value in defaults)
    if keyword_defaults and any(id(value) in _dispatching for value in keyword_defaults.values()):
        function.__kwdefaults__ = {key: _dispatching_version(value) for key, value in keyword_defaults.items()}


def _dispatching_version(value):
    entry = _dispatching.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else value


def dispatch_functions(loaded=None):
    """Once a routed subclass exists: wrap the functions of torchless, nn.functional, linalg, fft and special
    (those imported so far, and ``loaded``, the module calling this as the last thing it does) and rebind the
    modules' names of them; nothing before."""
    if _dispatching is None:
        return
    import sys

    from . import _torch_function_calls

    torch_specs = {**_torch_function_calls.TORCH, "unique": ("input", 1), "unique_consecutive": ("input", 1),
                   **{name: ("", None, keywords) for name, keywords in _VARIADIC.items()}}
    for module_name, not_dispatching, specs, labels, python_module in (
            ("torchless", _TORCH_NOT_DISPATCHING, torch_specs, lambda name, _: f"torch.{name}", "torch.functional"),
            ("torchless.nn.functional", _FUNCTIONAL_NOT_DISPATCHING, _torch_function_calls.FUNCTIONAL,
             _functional_label, "torch.nn.functional"),
            ("torchless.linalg", (), {}, lambda name, _: f"torch.linalg.linalg_{name}", None),
            ("torchless.fft", (), {}, lambda name, _: f"torch.fft.fft_{name}", None),
            ("torchless.special", (), {}, lambda name, _: f"torch.special.special_{name}", None)):
        module = sys.modules.get(module_name)
        # (not one still being imported, which may yet rebind its names: nn.functional's with_out functions)
        if module is not None and (module_name == loaded
                                   or not getattr(getattr(module, "__spec__", None), "_initializing", False)):
            _wrap_namespace(vars(module), not_dispatching, specs, labels, python_module)
    _rebind_module_globals()


def _functional_label(name, function):
    """The name PyTorch's C messages give nn.functional's native ``function``: torch._C._nn's (``torch.nn.gelu``,
    ``torch.nn.log_sigmoid``) or the torch namespace's (``torch.conv2d``)."""
    from ._C import _nn

    for native, value in vars(_nn).items():
        if value is function:
            return f"torch.nn.{native}"
    return f"torch.{name}"


def _start_dispatching(cls):
    global _dispatching
    _routed_types.add(cls)
    if _dispatching is None:
        _dispatching = {}
        dispatch_functions()
