"""What a profiler recorded: events, their per-name averages, and the table PyTorch prints of them.

Times are kept in microseconds, as PyTorch's events keep them; every event is a CPU event (torchless has
no devices), so the device columns of PyTorch's table never appear.
"""
import gzip
import json
import math

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg"]


def _format_time(time_us):
    """PyTorch's rendering of a duration: seconds, milliseconds or microseconds, three decimals."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_share(time_us, total_us):
    return "NaN" if total_us == 0 else f"{time_us * 100.0 / total_us:.2f}%"


class _Timed:
    """The derived fields and string forms shared by single events and their averages."""

    count = 1
    flops = 0
    cpu_memory_usage = self_cpu_memory_usage = 0
    device_time_total = self_device_time_total = device_memory_usage = self_device_memory_usage = 0
    node_id = -1
    overload_name = ""
    is_async = is_remote = is_legacy = False
    use_device = None
    scope = 0

    @property
    def cpu_time(self):
        """Average time of one call."""
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    device_time = cuda_time = property(lambda self: 0.0)


class FunctionEvent(_Timed):
    """One recorded call: an operator (``aten::conv2d``), a backward node, an optimizer step, or a range
    opened by :class:`torchless.profiler.record_function` (a user annotation)."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, flops=0, is_user_annotation=False,
                 stack=None):
        self.id, self.thread = id, thread
        # Numbered steps keep their number in the trace but are summed as one row in tables, as in PyTorch
        self.trace_name = name
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.start_us, self.end_us = start_us, end_us
        self.input_shapes = [] if input_shapes is None else input_shapes
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.stack = [] if stack is None else stack
        self.cpu_children = []
        self.cpu_parent = None

    key = property(lambda self: self.name)

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        """Time in this call but in none of the recorded calls it made."""
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_total_str} "
                f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
                f"cpu_children={[child.id for child in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} flops={self.flops}>")


class FunctionEventAvg(_Timed):
    """The totals of the events sharing a key (a name, and the input shapes when grouped by them)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.flops = 0
        self.input_shapes = None
        self.stack = None
        self.is_user_annotation = False
        self.cpu_parent = None
        self.cpu_children = None

    def add(self, other):
        """Fold ``other`` (an event or an average) into these totals."""
        if self.key is None:
            self.key, self.input_shapes = other.key, other.input_shapes
            self.is_user_annotation, self.cpu_parent = other.is_user_annotation, other.cpu_parent
        elif other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {self.key} and {other.key}")
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.flops += other.flops
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events, with PyTorch's summaries of it: :meth:`table`, :meth:`key_averages`,
    :meth:`total_average` and :meth:`export_chrome_trace`."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One :class:`FunctionEventAvg` per event name (and per input shapes with ``group_by_input_shapes``),
        in the order the names first occurred."""
        averages = {}
        for event in self:
            key = (event.key, str(event.input_shapes)) if group_by_input_shapes else event.key
            averages.setdefault(key, FunctionEventAvg()).add(event)
        if not group_by_input_shapes:
            for average in averages.values():
                average.input_shapes = ""
        return EventList(averages.values(), use_device=self._use_device, profile_memory=self._profile_memory,
                         with_flops=self._with_flops)

    def total_average(self):
        """All events folded into one average, keyed "Total"."""
        total = FunctionEventAvg()
        for event in self:
            total.count += event.count
            total.cpu_time_total += event.cpu_time_total
            total.self_cpu_time_total += event.self_cpu_time_total
            total.flops += event.flops
        total.key = "Total"
        return total

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (open it at chrome://tracing or https://ui.perfetto.dev),
        gzip-compressed when ``path`` ends in ``.gz``."""
        trace = {"traceEvents": [
            {"ph": "X", "cat": "user_annotation" if event.is_user_annotation else "cpu_op", "name": event.trace_name,
             "pid": "CPU functions", "tid": event.thread, "ts": event.start_us, "dur": event.cpu_time_total,
             "args": {"Input Dims": event.input_shapes} if event.input_shapes else {}}
            for event in self if isinstance(event, FunctionEvent)], "displayTimeUnit": "ms"}
        with (gzip.open(path, "wt") if str(path).endswith(".gz") else open(path, "w")) as file:
            json.dump(trace, file)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """The events as PyTorch's text table, sorted (descending) by the event attribute ``sort_by``
        (e.g. ``"cpu_time_total"``, ``"self_cpu_time_total"``, ``"count"``), at most ``row_limit`` rows."""
        return _table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                      top_level_events_only, time_unit, self._with_flops)

    def __str__(self):
        return self.table()


_FLOP_UNITS = ("FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs")
_SPACING = 2
_COLUMN_WIDTH = 12


def _table(events, sort_by, row_limit, name_width, shapes_width, header, top_level_only, time_unit, with_flops):
    if not events:
        return ""
    if sort_by is not None:
        events = sorted(events, key=lambda event: getattr(event, sort_by.replace("cuda", "device")), reverse=True)
    name_width = min(max(len(event.key) for event in events) + 4, name_width or math.inf)
    with_shapes = any(event.input_shapes for event in events)
    shapes_width = min(max(len(str(event.input_shapes)) for event in events) + 4, shapes_width or math.inf)
    flops = [event.flops for event in events if event.flops > 0] if with_flops else []
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    widths = [name_width] + [_COLUMN_WIDTH] * (len(headers) - 1)
    if with_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    if flops:
        # The unit suits the smallest count, as in PyTorch's table
        power = int(max(0, min(math.log10(min(flops)) / 3, len(_FLOP_UNITS) - 1)))
        headers.append(f"Total {_FLOP_UNITS[power]}")
        widths.append(_COLUMN_WIDTH)
    row = "".join(f"{{:>{width}}}" + " " * _SPACING for width in widths)
    rule = "".join("-" * width + " " * _SPACING for width in widths)
    total_self = sum(event.self_cpu_time_total for event in events)

    def time(value):
        if time_unit == "s":
            return f"{value / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{value / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{value:.3f}us"
        return _format_time(value)

    lines = []
    if header is not None:
        lines += ["=" * (len(rule) - _SPACING), header]
    if top_level_only:
        lines += ["=" * (len(rule) - _SPACING), "This report only display top-level ops statistics"]
    lines += [rule, row.format(*headers), rule]
    shown = 0
    for event in events:
        if shown == row_limit:
            break
        if top_level_only and event.cpu_parent is not None:
            continue
        shown += 1
        name = event.key
        if name_width is not None and len(name) >= name_width - 3:
            name = name[:name_width - 3] + "..."
        values = [name, _format_share(event.self_cpu_time_total, total_self), time(event.self_cpu_time_total),
                  _format_share(event.cpu_time_total, total_self), time(event.cpu_time_total),
                  time(event.cpu_time), event.count]
        if with_shapes:
            values.append(str(event.input_shapes)[:shapes_width])
        if flops:
            values.append(f"{event.flops * 10.0 ** (-3 * power):8.3f}" if event.flops > 0 else "--")
        lines.append(row.format(*values))
    lines += [rule, f"Self CPU time total: {_format_time(total_self)}", ""]
    return "\n".join(lines)
