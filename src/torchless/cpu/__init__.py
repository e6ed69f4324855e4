"""``torch.cpu``: the device-agnostic answers PyTorch gives for its CPU (available, one device, nothing to
synchronise), so code written as ``getattr(torch, device.type).synchronize()`` or with the deprecated
``torch.cpu.amp.autocast()`` runs unchanged."""

__all__ = ["Event", "Stream", "StreamContext", "amp", "current_device", "current_stream", "device_count",
           "is_available", "is_initialized", "set_device", "stream", "synchronize"]

from . import amp


def is_available():
    """True: the CPU is always there."""
    return True


def is_initialized():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Nothing to do: there is one CPU device."""


def synchronize(device=None):
    """Nothing to wait for: CPU work is done when its call returns."""


class Stream:
    """A stand-in stream, as PyTorch's CPU one is, for device-agnostic code."""

    def __init__(self, priority=-1):
        pass

    def wait_stream(self, stream):
        pass

    def record_event(self):
        pass

    def wait_event(self, event):
        pass


class Event:
    """A stand-in event: always complete."""

    def query(self):
        return True

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def wait(self, stream=None):
        pass


_current_stream = Stream()


def current_stream(device=None):
    return _current_stream


class StreamContext:
    """``with torch.cpu.stream(s):``, which makes ``s`` the current stream for its block."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        global _current_stream
        self._previous, _current_stream = _current_stream, self.stream
        return None

    def __exit__(self, *exc):
        global _current_stream
        _current_stream = self._previous
        return None


def stream(stream):
    return StreamContext(stream)
