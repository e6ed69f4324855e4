"""``torch.profiler``: where the time of a model goes, operator by operator.

    >>> from torchless.profiler import profile, record_function, ProfilerActivity
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
    ...     with record_function("model_inference"):
    ...         model(images)
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

Operators are named as PyTorch names them (``aten::conv2d``, ``ConvolutionBackward0``,
``Optimizer.step#Adam.step``), so a table reads like PyTorch's; the times are torchless's own. Only
the CPU exists here: other activities are accepted and record nothing.
"""
import enum
import os
import socket
import time
import warnings

from ..autograd._recording import Recorder
from ..autograd.profiler import record_function
from ..autograd.profiler_util import EventList

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule", "supported_activities",
           "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    """What a profiler may record; torchless records the CPU's operators only."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a profiler does during a step, as a :func:`schedule` decides."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    return {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The action for each step number: after ``skip_first`` steps, cycles of ``wait`` idle steps, ``warmup``
    steps and ``active`` recorded steps (the last of which saves: ``on_trace_ready`` runs), ``repeat`` cycles
    (0: without end). ``skip_first_wait`` drops the first cycle's wait."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", UserWarning, stacklevel=2)
    cycle = wait + warmup + active

    def action(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step = step - skip_first + (wait if skip_first_wait else 0)
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def _record_always(step):
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


class profile:
    """Records operators between :meth:`start` and :meth:`stop` (or in a ``with`` block).

    With a ``schedule``, call :meth:`step` once per training step: only the steps it marks as recorded
    are, each as a ``ProfilerStep#N`` range, and ``on_trace_ready(prof)`` runs at the end of every
    recorded cycle (without one, when the profiler stops). ``record_shapes`` adds each operator's
    input shapes, ``with_flops`` the floating-point operations of convolutions and matrix products,
    ``with_stack`` the calling source lines (for :meth:`export_stacks`). ``profile_memory`` and
    ``with_modules`` are accepted and record nothing.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule if schedule is not None else _record_always
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.with_flops, self.with_stack = record_shapes, with_flops, with_stack
        self.profile_memory, self.with_modules = profile_memory, with_modules
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.acc_events = acc_events
        self._recorder = None
        self._step_range = None
        self._events = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def start(self):
        self._enter(self.current_action)

    def stop(self):
        if self._recorder is not None:
            self._finish()

    def step(self):
        """Marks the end of a step (of training, say): the schedule decides what the next one records."""
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if self._recorder is not None and (previous is ProfilerAction.RECORD_AND_SAVE
                                           or self.current_action not in _RECORDING):
            self._finish()
        self._enter(self.current_action)

    def _enter(self, action):
        if action not in _RECORDING:
            return
        if self._recorder is None:
            if self._events is not None and not self.acc_events:
                _warn_once("Warning: Profiler clears events at the end of each cycle. Only events from the current "
                           "cycle will be reported. To keep events across cycles, set acc_events=True.")
            self._recorder = Recorder(self.record_shapes, self.with_flops, self.with_stack)
            self._recorder.start()
        if self.record_steps:
            if self._step_range is not None:
                self._recorder.close_range(self._step_range)
            self._step_range = self._recorder.open_range(f"ProfilerStep#{self.step_num}")

    def _finish(self):
        recorder, self._recorder, self._step_range = self._recorder, None, None
        recorder.stop()
        events = recorder.sorted_events()
        if self.acc_events and self._events is not None:
            events = EventList([*self._events, *events], with_flops=self.with_flops)
        self._events = events
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def events(self):
        """Every event of the last recorded cycle, in the order they started (an EventList)."""
        if self._events is None:
            raise AssertionError("Profiler must be initialized before getting events")
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """Totals per operator name (and per input shapes with ``group_by_input_shape``): an EventList whose
        ``table()`` prints PyTorch's summary."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (gzip-compressed when ``path`` ends in ``.gz``)."""
        self.events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write one ``caller;...;operator value`` line per event (a flame-graph input; needs ``with_stack``)."""
        with open(path, "w") as file:
            for event in self.events():
                if event.stack:
                    frames = ";".join(reversed([*event.stack])) + ";" + event.name
                    file.write(f"{frames} {int(getattr(event, metric))}\n")


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An ``on_trace_ready`` that writes each recorded cycle to ``dir_name`` as
    ``<worker_name>.<milliseconds>.pt.trace.json`` (``.gz`` with ``use_gzip``), as TensorBoard's profiler
    plugin reads them."""
    worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler

