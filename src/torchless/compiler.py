"""``torch.compiler``: torchless runs everything eagerly, so nothing is ever being compiled; the decorators and
switches library code uses around torch.compile are accepted and leave functions as they are."""
import contextlib
import functools

from ._compile import compile

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin", "disable",
           "get_default_backend", "is_compiling", "is_dynamo_compiling", "is_exporting", "list_backends",
           "nested_compile_region", "reset", "set_default_backend", "set_stance", "substitute_in_graph",
           "wrap_numpy"]

# The backends PyTorch lists without the debug and experimental ones
_BACKENDS = ["cudagraphs", "inductor", "openxla", "tvm"]
_default_backend = ["inductor"]


def is_compiling():
    """Whether the code runs inside a compiled region: never in torchless."""
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def reset():
    """Clear the compilation caches: torchless has none."""


def cudagraph_mark_step_begin():
    """Mark the start of a CUDA-graph step: nothing to mark without CUDA."""


def list_backends(exclude_tags=("debug", "experimental")):
    """torch.compile's backend names (accepted by ``torchless.compile``, which runs eagerly whatever the name)."""
    return list(_BACKENDS)


def get_default_backend():
    return _default_backend[0]


def set_default_backend(backend):
    _default_backend[0] = "inductor" if backend is None else backend


def _returning_as_is(fn=None, **options):
    """A decorator that returns what it decorates; given ``fn``, ``fn`` itself."""
    return (lambda wrapped: wrapped) if fn is None else fn


def disable(fn=None, recursive=True, *, reason=None):
    """Exclude ``fn`` from compilation: it runs eagerly, as everything does here."""
    return _returning_as_is(fn)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def nested_compile_region(fn=None, **options):
    return _returning_as_is(fn)


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """A decorator registering a Python substitute for ``original_fn`` in compiled graphs: returned unchanged."""
    return lambda substitute: substitute


def set_stance(stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
    """How torch.compile treats compiled functions (eager, fail on recompile, ...): torchless is always eager. Usable
    as a call, a context manager and a decorator, as PyTorch's."""
    return _Stance()


class _Stance(contextlib.ContextDecorator):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def wrap_numpy(fn):
    """``fn``, a function of NumPy arrays returning arrays, as a function of tensors returning tensors."""
    from ._tensor import Tensor

    def converted(value, convert, kind):
        if isinstance(value, kind):
            return convert(value)
        if isinstance(value, (list, tuple)):
            return type(value)(converted(item, convert, kind) for item in value)
        if isinstance(value, dict):
            return {key: converted(item, convert, kind) for key, item in value.items()}
        return value

    import numpy as np

    from ._creation import from_numpy

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        args, kwargs = converted((args, kwargs), lambda t: t.numpy(), Tensor)
        result = fn(*args, **kwargs)
        return converted(result, lambda a: from_numpy(np.asarray(a)), np.ndarray)

    return wrapped
