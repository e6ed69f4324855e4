"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled."""
import functools
import threading


class _State(threading.local):
    """Per-thread, as in PyTorch: a server thread's no_grad() must not switch off another thread's recording."""

    enabled = True


state = _State()


def is_grad_enabled():
    """True when operations on tensors that require grad are being recorded for backward."""
    return state.enabled


class _GradMode:
    """Base of the grad-mode switches: a context manager that also works as a decorator."""

    mode = True

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class _NoParamGradMode(_GradMode):
    """A grad mode that decorates with or without parentheses: ``@no_grad()`` and ``@no_grad`` alike."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamGradMode):
    """Context manager (and decorator) that disables gradient recording, as ``torch.no_grad``."""

    mode = False


class enable_grad(_NoParamGradMode):
    """Context manager (and decorator) that enables gradient recording inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set gradient recording on or off; usable as a function, context manager or decorator."""

    def __init__(self, mode):
        if not isinstance(mode, bool):  # PyTorch's parser takes a bool only, not a truthy value
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type(mode).__name__}")
        self.mode = mode
        self._previous = state.enabled
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    """Like ``no_grad`` (torchless has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.mode = not mode
