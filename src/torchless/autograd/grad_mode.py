"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled."""
import functools
import inspect
import threading


class _State(threading.local):
    """Per-thread, as in PyTorch: a server thread's no_grad() must not switch off another thread's recording."""

    enabled = True
    inference = False  # inside inference_mode(): new tensors are inference tensors
    multithreading = True  # set_multithreading_enabled's switch (backward always runs on the calling thread here)
    transform_epoch = 0  # the number of the innermost torch.func transform running, stamped on the tensors made in it
    # inference or transform_epoch, kept by their setters (update_stamps): the one read of this per-thread state
    # (each costs a dict lookup) that every new tensor makes outside them
    stamps_tensors = False


state = _State()


def update_stamps():
    """Recompute ``state.stamps_tensors`` after inference or transform_epoch changed."""
    state.stamps_tensors = state.inference or bool(state.transform_epoch)


def is_grad_enabled():
    """True when operations on tensors that require grad are being recorded for backward."""
    return state.enabled


def is_inference_mode_enabled():
    """True inside ``inference_mode()`` (and not inside a nested ``inference_mode(False)``)."""
    return state.inference


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
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn):
        """A decorated generator function: its body runs under the mode at each resumption, the caller's code
        between them under the caller's mode (calling it only makes the generator, running nothing yet)."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            generator = fn(*args, **kwargs)
            resume, value = generator.send, None
            try:
                while True:
                    with self.clone():
                        response = resume(value)
                    resume = generator.send
                    try:
                        value = yield response
                    except GeneratorExit:
                        with self.clone():
                            generator.close()
                        raise
                    except BaseException as error:  # thrown in by the caller: into the body, under the mode
                        resume, value = generator.throw, error
            except StopIteration as stop:
                return stop.value

        return wrapper

    def clone(self):
        """A new switch like this one (PyTorch's clone), which each call of a decorated function enters: a switch
        holds the state it restores."""
        return type(self)()


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
            from ..nn._functional._args import _tp_name
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {_tp_name(mode)}")
        self.mode = mode
        self._previous = state.enabled
        state.enabled = self.mode

    def __enter__(self):
        state.enabled = self.mode

    def __call__(self, fn):
        # Made as a decorator, it must not leave its mode switched on for the code that follows the definition.
        state.enabled = self._previous
        return super().__call__(fn)

    def clone(self):
        return set_grad_enabled(self.mode)

    def __repr__(self):  # what ``torch.set_grad_enabled(False)`` echoes at the prompt
        return f"{type(self).__module__}.{type(self).__qualname__}(mode={self.mode})"


class set_multithreading_enabled(_GradMode):
    """Switch multithreaded backward on or off, as a function, context manager or decorator (set on construction,
    restored on exit, per thread). PyTorch runs the backward of accelerator tensors on worker threads; torchless's
    backward always runs on the calling thread, so the switch is recorded and changes nothing else."""

    def __init__(self, mode):
        self._previous = state.multithreading
        state.multithreading = self.mode = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.multithreading = self._previous
        return False

    def clone(self):
        return type(self)(self.mode)


class inference_mode(_GradMode):
    """Context manager (and decorator) for inference, as ``torch.inference_mode``: gradient recording is off and
    the tensors created inside are inference tensors (``is_inference()``), which outside inference mode can
    neither be saved for backward nor changed in place. ``inference_mode(False)`` switches both back on (grad
    recording included). Decorates with or without parentheses."""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # @inference_mode without parentheses: ``mode`` is the decorated function

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._previous = state.enabled, state.inference
        mode = bool(self.mode)
        state.enabled, state.inference = not mode, mode
        update_stamps()

    def __exit__(self, *exc):
        state.enabled, state.inference = self._previous
        update_stamps()
        return False

    def clone(self):
        return inference_mode(self.mode)
