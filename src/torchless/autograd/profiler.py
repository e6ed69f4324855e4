"""``torch.autograd.profiler``: the original profiler (a context manager) and :class:`record_function`.

The newer interface, with schedules and trace handlers, is :mod:`torchless.profiler`; both record
through the same hook (see ``_recording``).
"""
import functools

from ._recording import Recorder, active_recorder
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg  # PyTorch exports them here too

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class record_function:
    """Names a stretch of code in the profile: a context manager (or a decorator) whose time shows as one
    event called ``name`` (a user annotation), the operators run inside it its children. Outside a
    profiler it does nothing.

    Args:
        name (str): the event's name in the table.
        args (str, optional): extra information, kept but not shown (as in PyTorch's table).
    """

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._recorder = self._event = None

    def __enter__(self):
        self._recorder = active_recorder()
        if self._recorder is not None:
            self._event = self._recorder.open_range(self.name)
        return self

    def __exit__(self, *exc_info):
        if self._recorder is not None:
            self._recorder.close_range(self._event)
            self._recorder = self._event = None
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def recorded(*args, **kwargs):
            with record_function(self.name, self.args):
                return function(*args, **kwargs)
        return recorded


class profile:
    """Records the operators run inside a ``with`` block: their self and total CPU times, call counts,
    input shapes (``record_shapes``) and floating-point operations (``with_flops``: convolutions, linear
    layers, matrix products, additions and multiplications, counted as PyTorch counts them).

    After the block, :meth:`key_averages` gives the totals per operator and :meth:`table` prints them as
    PyTorch does. Only the CPU is profiled; ``use_cuda``/``use_device`` are accepted and recorded as off, and
    ``profile_memory`` adds no memory columns (torchless does not track allocations).

    Example::

        >>> with torchless.autograd.profiler.profile(record_shapes=True) as prof:
        ...     model(images)
        >>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes, self.with_flops, self.with_stack = record_shapes, with_flops, with_stack
        self.profile_memory, self.use_device = profile_memory, None
        self.function_events = None
        self._recorder = None
        self.entered = False

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._recorder = Recorder(self.record_shapes, self.with_flops, self.with_stack)
        self._recorder.start()
        return self

    def __exit__(self, *exc_info):
        if not self.enabled:
            return False
        self._recorder.stop()
        self.function_events = self._recorder.sorted_events()
        return False

    def _events(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """Totals per operator name (and per input shapes with ``group_by_input_shape``), an EventList."""
        return self._events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self):
        return self._events().total_average()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """Every recorded event as PyTorch's table (see EventList.table)."""
        return self._events().table(sort_by, row_limit, max_src_column_width, max_name_column_width,
                                    max_shapes_column_width, header, top_level_events_only, time_unit)

    def export_chrome_trace(self, path):
        self._events().export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total

    def __str__(self):
        return "<unfinished torchless.autograd.profile>" if self.function_events is None else str(self.function_events)

    __repr__ = __str__
