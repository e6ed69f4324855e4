"""Scripted and traced modules: copies of a module tree that share its parameters and buffers and run its forward.

PyTorch's ``torch.jit.script(model)`` compiles ``forward`` into TorchScript and returns a new tree of
``RecursiveScriptModule``s, one per submodule, holding the same parameter and buffer tensors; the copies have
their own ``training`` flags and hooks. Here each copy is an instance of a class derived from both
RecursiveScriptModule and the module's own class, so the original Python methods run on the copy's attributes.
"""
import contextlib
import copy as copy_module
import functools
import inspect
import warnings

from .._tensor import Tensor
from .._tracer_warning import TracerWarning
from ..nn.modules.module import Module

_MODULE_STATE = ("_parameters", "_buffers", "_modules")


class ScriptModule(Module):
    """Base class of scripted and traced modules."""

    def save(self, f, _extra_files=None):
        """Write this module to ``f`` (a path or a binary file object), for :func:`torchless.jit.load`."""
        from ._serialization import write

        write(self, f, _extra_files)

    def save_to_buffer(self, _extra_files=None):
        import io

        buffer = io.BytesIO()
        self.save(buffer, _extra_files)
        return buffer.getvalue()

    @property
    def code(self):
        """The Python source of ``forward`` (PyTorch shows the TorchScript it compiled)."""
        return inspect.getsource(self._original_class.forward)

    @property
    def original_name(self):
        return self._original_class.__name__

    # PyTorch's script and trace copies are no ModuleLists: they print each child, repeated ones too, under their
    # original_name (ModuleList's own repr folds repeated children into "(0-2): 3 x ...")
    __repr__ = Module.__repr__

    def _original(self):
        """A module of the original classes, with this tree's parameters, buffers and training flags."""
        original = self._original_class.__new__(self._original_class)
        original.__dict__.update(self.__dict__)
        original.__dict__["_modules"] = {name: child._original() if isinstance(child, ScriptModule) else child
                                         for name, child in self._modules.items()}
        return original


class RecursiveScriptModule(ScriptModule):
    """What :func:`script` returns for a module (and makes of each submodule)."""

    def _get_name(self):
        return "RecursiveScriptModule"

    def extra_repr(self):
        return f"original_name={self.original_name}"


class TopLevelTracedModule(ScriptModule):
    """What :func:`trace` returns for a module; it prints under the module's own name, as PyTorch's does."""

    def _get_name(self):
        return self.original_name

    def extra_repr(self):
        return f"original_name={self.original_name}"


class _TracedSubmodule(TopLevelTracedModule):
    pass


@functools.lru_cache(maxsize=None)
def _derived_class(kind, cls):
    """``kind`` (a ScriptModule class) combined with the module class ``cls``, whose methods it runs."""
    return type(kind.__name__, (kind, cls), {"_original_class": cls, "__module__": kind.__module__})


def _copy_tree(module, kind, child_kind):
    """A copy of ``module`` of class ``kind`` + its class, sharing its tensors, with copies of its submodules."""
    if isinstance(module, ScriptModule):
        return module
    copy = _derived_class(kind, type(module)).__new__(_derived_class(kind, type(module)))
    state = {key: (copy_module.copy(value) if isinstance(value, dict) else value) for key, value in module.__dict__.items()}
    state["_modules"] = {name: None if child is None else _copy_tree(child, child_kind, child_kind)
                         for name, child in module._modules.items()}
    copy.__dict__.update(state)
    return copy


class ScriptFunction:
    """What :func:`script` and :func:`trace` return for a function: it calls the function."""

    def __init__(self, function):
        functools.update_wrapper(self, function)
        self._function = function

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)

    @property
    def code(self):
        return inspect.getsource(self._function)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """A scripted form of the module or function ``obj``: for a module, a RecursiveScriptModule tree sharing
    its parameters and buffers (with training flags of its own), running the module's Python ``forward``."""
    deprecated("script")
    if isinstance(obj, Module):
        return _copy_tree(obj, RecursiveScriptModule, RecursiveScriptModule)
    if isinstance(obj, ScriptFunction) or isinstance(obj, type):
        return obj
    if callable(obj):
        return ScriptFunction(obj)
    raise RuntimeError(f"Type '{type(obj)}' cannot be compiled since it inherits from nn.Module, pass an instance "
                       "instead")


class Error(Exception):
    """PyTorch's error of TorchScript programs (``torch.jit.Error``)."""


_tracing = False  # whether a module or function is running to be traced (torch.jit.is_tracing)

_CONTAINER_OUTPUT = ("Encountering a {} at the output of the tracer might cause the trace to be incorrect, this is "
                     "only valid if the container structure does not change based on the module's inputs. Consider "
                     "using a constant container instead (e.g. for `list`, use a `tuple` instead. for `dict`, use a "
                     "`NamedTuple` instead). If you absolutely need this and know the side effects, pass strict=False "
                     "to trace() to allow this behavior.")


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """A traced form of ``func`` (a module, its ``forward``, or a function), after running it on ``example_inputs``
    (a tensor or a tuple of them; ``example_kwarg_inputs``: a dict of keyword arguments) with
    :func:`is_tracing` true, and, with ``check_trace``, tracing it again and comparing that with a plain run, as
    PyTorch's tracer does (so ``forward`` runs three times). The result runs the Python code again on each call
    rather than replaying the recorded operations, so data-dependent control flow is not frozen."""
    deprecated("trace")
    if isinstance(func, ScriptModule):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. Returning the object as "
                      "is.", stacklevel=2)
        return func
    owner = getattr(func, "__self__", None)
    if isinstance(func, Module) or (isinstance(owner, Module) and func.__name__ == "forward"):
        if example_inputs is None:
            if not isinstance(example_kwarg_inputs, dict):
                raise RuntimeError("example_kwarg_inputs should be a dict")
            example_inputs = example_kwarg_inputs
        checks = None if check_inputs is None else [{"forward": inputs} for inputs in check_inputs]
        return trace_module(func if owner is None else owner, {"forward": example_inputs}, None, check_trace, checks,
                            check_tolerance, strict, example_inputs_is_kwarg=isinstance(example_kwarg_inputs, dict))
    by_keyword = isinstance(example_kwarg_inputs, dict)
    inputs = example_kwarg_inputs if by_keyword else _as_tuple(example_inputs)
    if isinstance(owner, Module):
        raise AttributeError("trace doesn't support compiling individual module's functions.\nPlease use trace_module")
    _traced_run(func, inputs, by_keyword, strict)
    if check_trace:
        _check_trace(func, [inputs] if check_inputs is None else check_inputs, by_keyword, strict, check_tolerance,
                     "trace")
    return ScriptFunction(func)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05, strict=True,
                 _force_outplace=False, _module_class=None, _compilation_unit=None, example_inputs_is_kwarg=False,
                 _store_inputs=True):
    """A traced form of the module ``mod`` whose methods named in ``inputs`` (a dict of method name to example
    inputs) ran with :func:`is_tracing` true; see :func:`trace`."""
    deprecated("trace_method")
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        method = mod if method_name == "forward" else getattr(mod, method_name)  # (forward runs with its hooks)
        by_keyword = isinstance(example, dict) and example_inputs_is_kwarg
        if by_keyword:
            names = list(inspect.signature(mod.forward if method is mod else method).parameters)
            for key in example:
                if key not in names:
                    raise NameError(f"""'{key}' is not in forward() method's arguments,
                         valid arguments name are [{",".join(names)}]""")
        else:
            example = _as_tuple(example)
        _traced_run(method, example, by_keyword, strict)
        if check_trace:
            checks = [example] if check_inputs is None else [check[method_name] for check in check_inputs]
            _check_trace(method, checks, by_keyword, strict, check_tolerance, "trace_method")
    return _copy_tree(mod, TopLevelTracedModule, _TracedSubmodule)


def _as_tuple(example_inputs):
    """Example inputs as the positional arguments they stand for: a tensor (or dict) alone, any iterable's items."""
    if isinstance(example_inputs, (Tensor, dict)):
        return (example_inputs,)
    return example_inputs if isinstance(example_inputs, tuple) else tuple(example_inputs)


def _clone_inputs(inputs):
    """Copies of the tensors in ``inputs`` (in nested tuples, lists and dicts), for a run that must not see another
    run's in-place changes."""
    if isinstance(inputs, Tensor):
        return inputs.detach().clone().requires_grad_(inputs.requires_grad)
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(_clone_inputs(item) for item in inputs)
    if isinstance(inputs, dict):
        return {key: _clone_inputs(value) for key, value in inputs.items()}
    return inputs


def _run(func, inputs, by_keyword):
    return func(**inputs) if by_keyword else func(*inputs)


_CONSTANT_VALUE = ("Converting a tensor to {} might cause the trace to be incorrect. We can't record the data flow "
                   "of Python values, so this value will be treated as a constant in the future. This means that the "
                   "trace might not generalize to other inputs!")
# What PyTorch's tracer warns of when traced code reads a tensor's values: Tensor method -> warning
_VALUE_READS = {
    "__bool__": _CONSTANT_VALUE.format("a Python boolean"), "item": _CONSTANT_VALUE.format("a Python number"),
    "__int__": _CONSTANT_VALUE.format("a Python integer"), "__float__": _CONSTANT_VALUE.format("a Python float"),
    "tolist": _CONSTANT_VALUE.format("a Python list"), "numpy": _CONSTANT_VALUE.format("a NumPy array"),
    "__len__": "Using len to get tensor shape might cause the trace to be incorrect. Recommended usage would be "
               "tensor.shape[0]. Passing a tensor of different shape might lead to errors or silently give incorrect "
               "results.",
}
# torchless's functions making tensors of data, whose results PyTorch's tracer records as constants
_CONSTANT_MAKERS = ("tensor", "as_tensor", "from_numpy")
_CONSTANT_TENSOR = ("torch.{} results are registered as constants in the trace. You can safely ignore this warning if "
                    "you use this function to create tensors out of constant variables that would be the same every "
                    "time you call this function. In any other case, this might cause the trace to be incorrect.")


def _warning_on_call(function, message):
    """``function`` warning ``message`` (a TracerWarning, attributed to its caller) before it runs."""
    @functools.wraps(function)
    def warned(*args, **kwargs):
        warnings.warn(message, TracerWarning, stacklevel=2)
        return function(*args, **kwargs)

    return warned


@contextlib.contextmanager
def tracing():
    """is_tracing() true for the block, in which reading a tensor's values (``bool(t)``, ``t.item()``, ``len(t)``)
    or making one of data (``torch.tensor(...)``) warns as PyTorch's tracer does. The warning versions of those
    methods stand in the Tensor class only for the block, so that code run outside traces pays nothing for them."""
    global _tracing
    if _tracing:
        yield
        return
    import torchless

    methods = {name: Tensor.__dict__[name] for name in _VALUE_READS}
    makers = {name: getattr(torchless, name) for name in _CONSTANT_MAKERS}
    for name, message in _VALUE_READS.items():
        setattr(Tensor, name, _warning_on_call(methods[name], message))
    for name, maker in makers.items():
        setattr(torchless, name, _warning_on_call(maker, _CONSTANT_TENSOR.format(name)))
    _tracing = True
    try:
        yield
    finally:
        _tracing = False
        for owner, originals in ((Tensor, methods), (torchless, makers)):
            for name, original in originals.items():
                setattr(owner, name, original)


def _traced_run(func, inputs, by_keyword, strict):
    """``func``'s output on ``inputs``, run as the tracer runs it: with is_tracing() true, the output checked."""
    with tracing():
        output = _run(func, inputs, by_keyword)
    if output is None:
        raise RuntimeError("The traced function didn't return any values! Side-effects are not captured in traces, "
                           "so it would be a no-op.")
    _check_traceable(output, strict)
    return output


def _check_trace(func, checks, by_keyword, strict, check_tolerance, entry_point):
    """PyTorch's check of a trace: for each of ``checks`` (inputs), ``func`` traced again (through ``entry_point``,
    which warns of its deprecation again) and run plainly, their outputs compared."""
    for inputs in checks:
        inputs = inputs if by_keyword else _as_tuple(inputs)
        deprecated(entry_point)
        retraced = _traced_run(func, _clone_inputs(inputs), by_keyword, strict)
        _compare_outputs(retraced, _run(func, inputs, by_keyword), check_tolerance)


def _check_traceable(output, strict):
    """PyTorch's checks of what a traced function returns: tensors in tuples; lists warned of and dicts refused
    unless not ``strict``."""
    if isinstance(output, Tensor):
        return
    if isinstance(output, dict):
        if strict:
            raise RuntimeError(_CONTAINER_OUTPUT.format("dict"))
        output = list(output.values())
    elif isinstance(output, list) and strict:
        warnings.warn(_CONTAINER_OUTPUT.format("list"), TracerWarning)
    elif not isinstance(output, (tuple, list)):
        raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors can be output from traced "
                           "functions")
    for item in output:
        _check_traceable(item, strict)


def _flat_tensors(output):
    if isinstance(output, Tensor):
        return [output]
    items = output.values() if isinstance(output, dict) else output
    return [tensor for item in items for tensor in _flat_tensors(item)]


def _compare_outputs(traced, python, check_tolerance):
    """The tensors a trace's run gave against the plain run's: a TracerWarning for each that differs (a model left
    in training mode with dropout, say)."""
    from ..testing import assert_close
    from ..testing._comparison import _DTYPE_PRECISIONS

    for number, (got, expected) in enumerate(zip(_flat_tensors(traced), _flat_tensors(python)), 1):
        atol = max(_DTYPE_PRECISIONS.get(t._data.dtype, (0, 0))[1] for t in (got, expected))
        complex_pair = got.is_complex() or expected.is_complex()
        try:
            assert_close(got.cdouble() if complex_pair else got.double(),
                         expected.cdouble() if complex_pair else expected.double(),
                         rtol=check_tolerance, atol=atol, equal_nan=True)
        except AssertionError as error:
            warnings.warn(f"Output nr {number}. of the traced function does not match the corresponding output of the "
                          f"Python function. Detailed error:\n{error}", TracerWarning)


class _FrozenModule(RecursiveScriptModule):
    """What :func:`freeze` returns. PyTorch folds a frozen module's parameters, buffers and submodules into its
    code as constants, so it has none of its own and prints as ``RecursiveScriptModule(original_name=Net)``; here
    it runs the scripted tree it was made from, held outside the module's registries."""

    def __init__(self, tree):
        super().__init__()
        self.__dict__["_frozen_tree"] = tree
        self.__dict__["_original_class"] = tree._original_class
        self.training = tree.training

    def forward(self, *args, **kwargs):
        return self._frozen_tree(*args, **kwargs)

    def _original(self):
        return self._frozen_tree._original()


# (PyTorch's frozen module is a RecursiveScriptModule: type(frozen).__name__ says so; the qualified name still
# finds this class, for pickle)
_FrozenModule.__name__ = "RecursiveScriptModule"


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """A frozen form of the scripted or traced module ``mod`` (in eval mode): it runs ``mod``'s forward, and has
    no parameters, buffers or submodules of its own, as PyTorch's, whose are inlined as constants."""
    if not isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use torch.jit.script or "
                           "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod if isinstance(mod, _FrozenModule) else _FrozenModule(mod)


def optimize_for_inference(mod, other_methods=None):
    """``mod`` frozen (see :func:`freeze`); a module in training mode is put in eval mode first, as PyTorch does."""
    if not isinstance(mod, ScriptModule):
        raise RuntimeError("optimize_for_inference expects a ScriptModule as input. Please use torch.jit.script or "
                           "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        mod = mod.eval()
    return freeze(mod)


def deprecated(name, replacement="`torch.compile` or `torch.export`"):
    """PyTorch 2.13's warning on each use of its TorchScript entry points, attributed as PyTorch's is to the library
    (so that the default filters, which show DeprecationWarnings of ``__main__`` only, hide it from scripts)."""
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to {replacement}.", DeprecationWarning)


def _identity_decorator(fn=None, **_options):
    """PyTorch's compiler directives (``@torch.jit.ignore``, ``@torch.jit.unused``, ...): nothing to direct here."""
    if fn is None:
        return lambda f: f
    return fn


ignore = unused = export = interface = _identity_decorator


def is_scripting():
    """False: code never runs inside a TorchScript compiler here."""
    return False


def is_tracing():
    """Whether the code runs to be traced, inside :func:`trace` or :func:`trace_module`."""
    return _tracing


def annotate(the_type, the_value):
    """``the_value`` (a type hint for the TorchScript compiler)."""
    return the_value
