"""Recording which operators run, and for how long, while a profiler is on.

PyTorch records its operators in the dispatcher. torchless's operators are Python functions, so the
recorder is a ``sys.setprofile`` hook on the profiling thread that knows the code object of every
operator (``torchless.nn.functional``'s functions, Tensor's methods), of every backward node's
``backward`` and of the optimizers' ``step`` and ``zero_grad``, and names their calls as PyTorch's
profiler names them (``aten::conv2d``, ``ConvolutionBackward0``, ``Optimizer.step#Adam.step``).
Nothing is hooked while no profiler runs, so ordinary calls pay nothing for this.

A call inside another recorded call is its child: the parent's self time excludes it, as in PyTorch.
The hook runs on every Python call while it is on, so profiled code runs slower than unprofiled code;
the recorder's clock leaves out the hook's estimated cost (see _hook_cost_ns), and what the estimate
misses shows most in the smallest operators' times.
"""
import functools
import inspect
import itertools
import statistics
import sys
import threading
import time

import numpy as np

from .profiler_util import EventList, FunctionEvent

# Tensor methods that are attributes or conversions, not operators (PyTorch's profiler shows none of them)
_NOT_OPERATORS = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "stride", "is_contiguous", "element_size", "data_ptr",
    "tolist", "numpy", "storage", "untyped_storage", "storage_offset", "type", "get_device", "register_hook",
    "register_post_accumulate_grad_hook", "retain_grad", "backward", "is_floating_point", "is_complex",
    "is_signed", "is_inference", "is_set_to", "is_shared", "is_pinned", "is_nonzero", "dim_order",
    "__len__", "__iter__", "__repr__", "__str__", "__format__", "__bool__", "__float__", "__int__", "__index__",
    "__complex__", "__hash__", "__array__", "__array_wrap__", "__reduce_ex__", "__setstate__", "__getstate__",
    "__deepcopy__", "__copy__", "__contains__", "__dir__", "__init__", "__new__", "__setattr__", "__getattr__",
    "__delattr__", "__init_subclass__", "__class_getitem__", "__torch_function__", "__dlpack__",
    "__dlpack_device__", "__reversed__", "__getitem__", "__setitem__", "__array_priority__",
})
# Python operators as the aten operators they run
_DUNDER_OPERATORS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__rsub__": "rsub",
    "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div",
    "__rtruediv__": "div", "__itruediv__": "div_", "__floordiv__": "floor_divide", "__rfloordiv__": "floor_divide",
    "__mod__": "remainder", "__rmod__": "remainder", "__pow__": "pow", "__rpow__": "pow", "__ipow__": "pow_",
    "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg", "__abs__": "abs", "__invert__": "bitwise_not",
    "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor", "__lshift__": "__lshift__",
    "__rshift__": "__rshift__", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
    "__ge__": "ge", "__pos__": "positive",
}
# torch.nn.functional names whose aten operator is named otherwise
_FUNCTIONAL_OPERATORS = {"cross_entropy": "cross_entropy_loss", "nll_loss": "nll_loss_nd"}
# Shared code (one factory-made function under several names) is named only for aliases of one operator
_MAX_ALIASES = 3


def _function_of(value):
    from ..overrides import undispatched

    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    return undispatched(value) if inspect.isfunction(value) else None


def _operator_names():
    """{code object: name, or a function of the frame giving it} of every call worth recording."""
    import torchless.nn.functional as F
    from torchless._tensor import Tensor
    from torchless.optim.optimizer import Optimizer

    from . import graph

    functions = {}  # code -> {function: operator name}
    for name in dir(F):
        function = None if name.startswith("_") else _function_of(getattr(F, name))
        if function is not None:
            functions.setdefault(function.__code__, {})[function] = _FUNCTIONAL_OPERATORS.get(name, name)
    for name, value in vars(Tensor).items():
        function = _function_of(value)
        if function is None or name in _NOT_OPERATORS or (name.startswith("_") and name not in _DUNDER_OPERATORS):
            continue
        functions.setdefault(function.__code__, {})[function] = _DUNDER_OPERATORS.get(name, name)
    names = {}
    for code, named in functions.items():
        operators = set(named.values())
        if len(operators) == 1:
            names[code] = "aten::" + operators.pop()
        else:
            names[code] = _closure_namer(code, named) or (
                "aten::" + min(operators, key=lambda alias: (len(alias), alias))
                if len(operators) <= _MAX_ALIASES else None)
    names = {code: name for code, name in names.items() if name is not None}
    for node_class in _subclasses(graph.Node):
        backward = node_class.__dict__.get("backward")
        # (an OutputSlot routes an output's gradient to its node: no node of PyTorch's graph)
        if inspect.isfunction(backward) and not issubclass(node_class, graph.OutputSlot):
            names[backward.__code__] = _backward_node_name
    step_wrapper = Optimizer.profile_hook_step(lambda self: None).__code__
    names[step_wrapper] = lambda frame: f"Optimizer.step#{type(frame.f_locals['args'][0]).__name__}.step"
    for optimizer_class in [Optimizer, *_subclasses(Optimizer)]:
        zero_grad = optimizer_class.__dict__.get("zero_grad")
        if inspect.isfunction(zero_grad):
            names[zero_grad.__code__] = (
                lambda frame: f"Optimizer.zero_grad#{type(frame.f_locals['self']).__name__}.zero_grad")
    return names


def _closure_namer(code, named):
    """For one code object made into several operators by a factory (``conv1d``, ``conv2d`` and ``conv3d`` are
    one checked-call wrapper): a function naming a call by the closure variable that tells them apart."""
    for position, variable in enumerate(code.co_freevars):
        by_content = {id(function.__closure__[position].cell_contents): "aten::" + operator
                      for function, operator in named.items()}
        if len(by_content) == len(named):
            return lambda frame: by_content.get(id(frame.f_locals.get(variable)))
    return None


def _subclasses(cls):
    found, pending = [], [cls]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.append(subclass)
            pending.append(subclass)
    return found


def _backward_node_name(frame):
    node = frame.f_locals["self"]
    # (None for a part of a JointNode, whose backward runs inside the joint node's: PyTorch's graph has only that)
    return None if node._joined_as is not None else type(node).__name__


_ENGINE_PREFIX = "autograd::engine::evaluate_function: "


def _shape_of(value):
    data = getattr(value, "_data", None)
    return list(data.shape) if isinstance(data, np.ndarray) else []


def _flops(name, arguments, result):
    """The floating-point operations PyTorch's profiler counts for the operators it counts them for."""
    output = getattr(result, "_data", None)
    if not isinstance(output, np.ndarray):
        return 0
    if name == "aten::conv2d" and len(arguments) > 1:  # (PyTorch counts no conv1d, conv3d or unbatched conv2d)
        image, weight = (getattr(argument, "_data", None) for argument in arguments[:2])
        if not isinstance(weight, np.ndarray) or getattr(image, "ndim", 0) != 4:
            return 0
        return 2 * output.size * int(np.prod(weight.shape[1:]))
    if name == "aten::matmul" and len(arguments) > 1 and getattr(arguments[1], "ndim", 2) == 1:
        return 0  # PyTorch's matmul by a vector runs mv or dot, which it counts nothing for
    # the matrix products: 2 x output elements x the shared dimension, read off the first matrix
    first_matrix = {"aten::linear": 0, "aten::matmul": 0, "aten::mm": 0, "aten::bmm": 0, "aten::addmm": 1,
                    "aten::baddbmm": 1}.get(name)
    if first_matrix is not None and len(arguments) > first_matrix + 1:
        first = getattr(arguments[first_matrix], "_data", None)
        return 2 * output.size * first.shape[-1] if isinstance(first, np.ndarray) and first.ndim else 0
    if name in ("aten::add", "aten::mul"):
        return output.size
    return 0


def _clear_flops(events):
    for event in events:
        event.flops = 0
        _clear_flops(event.cpu_children)


class _Open:
    """A call being recorded: its event so far and the frame whose return ends it (None for a range)."""

    __slots__ = ("frame", "event", "arguments")

    def __init__(self, frame, event, arguments):
        self.frame, self.event, self.arguments = frame, event, arguments


class Recorder:
    """Records the calls of the thread that starts it, until stopped; ``events`` then holds them."""

    def __init__(self, record_shapes=False, with_flops=False, with_stack=False):
        self.record_shapes, self.with_flops, self.with_stack = record_shapes, with_flops, with_stack
        self.events = EventList(with_flops=with_flops)
        self._open = []
        self._names = None
        self._previous_hook = None
        self._thread = threading.get_ident()
        self._origin = 0
        self._ids = itertools.count(1)
        self._hook_calls = 0
        self._hook_cost = 0.0
        self._last_us = 0.0

    def start(self):
        if self._names is None:
            self._names = _operator_names()
        self._thread = threading.get_ident()
        self._hook_cost = _hook_cost_ns()
        self._origin = time.perf_counter_ns()
        self._previous_hook = sys.getprofile()
        _active.append(self)
        sys.setprofile(self._hook)

    def stop(self):
        sys.setprofile(self._previous_hook)
        if self in _active:
            _active.remove(self)
        while self._open:  # calls still running when the profiler stopped end there
            self._close(self._open.pop(), None)

    def _now_us(self):
        """Microseconds since start, less the hook's own time so far (see _hook_cost_ns); never going back,
        since the hook's cost is an estimate."""
        now = (time.perf_counter_ns() - self._origin - self._hook_calls * self._hook_cost) / 1e3
        self._last_us = now = max(now, self._last_us)
        return now

    def _hook(self, frame, event, result):
        self._hook_calls += 1
        if event == "call":
            name = self._names.get(frame.f_code)
            if name is None:
                return
            if not isinstance(name, str):
                node_name = name(frame)
                if node_name is None:
                    return
                if name is _backward_node_name:
                    self._begin(frame, _ENGINE_PREFIX + node_name, user=False)
                name = node_name
            self._begin(frame, name, user=False)
        elif event == "return":
            opened = self._open
            while opened and opened[-1].frame is frame:
                self._close(opened.pop(), result)

    def _begin(self, frame, name, user):
        arguments = ()
        if frame is not None and (self.record_shapes or self.with_flops):
            code, values = frame.f_code, frame.f_locals
            named = code.co_argcount + code.co_kwonlyargcount
            arguments = tuple(values.get(parameter) for parameter in code.co_varnames[:named])
            if code.co_flags & inspect.CO_VARARGS:  # a wrapper's (*args, **kwargs): what it was called with
                arguments = arguments[:code.co_argcount] + tuple(values.get(code.co_varnames[named], ()))
        stack = []
        if self.with_stack and frame is not None:
            caller = frame.f_back
            while caller is not None and len(stack) < 5:
                stack.append(f"{caller.f_code.co_filename}({caller.f_lineno}): {caller.f_code.co_name}")
                caller = caller.f_back
        event = FunctionEvent(next(self._ids), name, self._thread, self._now_us(), 0.0,
                              input_shapes=[_shape_of(value) for value in arguments] if self.record_shapes else None,
                              is_user_annotation=user, stack=stack)
        if self._open:
            event.cpu_parent = self._open[-1].event
        self._open.append(_Open(frame, event, arguments))
        return event

    def _close(self, opened, result):
        event = opened.event
        event.end_us = self._now_us()
        if self.with_flops:
            event.flops = _flops(event.name, opened.arguments, result)
            if event.flops:  # counted once, by the outermost call (torchless's mm calls its matmul, a @ b matmul)
                _clear_flops(event.cpu_children)
        if event.cpu_parent is not None:
            event.cpu_parent.cpu_children.append(event)
        self.events.append(event)

    def open_range(self, name):
        """Begin a user range (record_function); returns the handle close_range takes."""
        return self._begin(None, name, user=True)

    def close_range(self, event):
        for position in range(len(self._open) - 1, -1, -1):
            if self._open[position].event is event:
                # ranges and calls opened inside it and not yet closed (a range left open) end with it
                while len(self._open) > position:
                    self._close(self._open.pop(), None)
                return

    def sorted_events(self):
        """The events in the order they started (they are collected as they end): by their ids, counted as they
        start, since the clock less the hook's estimated cost can stand still over several events."""
        return EventList(sorted(self.events, key=lambda event: event.id),
                         with_flops=self.with_flops)


@functools.cache
def _hook_cost_ns():
    """What the hook costs per event, measured once on a few small operators run with and without it.

    Every Python call and return (and call of a builtin) inside an operator runs the hook, and CPython
    takes slower paths while a hook is set; that time would otherwise count as the operator's, and
    it is most of a small operator's profiled time. So the recorder's clock leaves it out (cProfile
    corrects its clock the same way).
    """
    import torchless

    image = torchless.zeros(2, 3, 8, 8)
    weight = torchless.zeros(4, 3, 3, 3)

    def workload():
        torchless.nn.functional.conv2d(image, weight, padding=1).relu().flatten(1).sum()

    recorder = Recorder()
    recorder._names = {}
    workload()
    previous = sys.getprofile()  # (a profiler of the caller's own, cProfile say, is put back after)
    costs, plains, hookeds = [], [], []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(20):
            workload()
        plain = time.perf_counter_ns() - start
        calls_before = recorder._hook_calls
        sys.setprofile(recorder._hook)
        start = time.perf_counter_ns()
        for _ in range(20):
            workload()
        hooked = time.perf_counter_ns() - start
        sys.setprofile(previous)
        calls = max(recorder._hook_calls - calls_before, 1)
        costs.append((hooked - plain) / calls)
        plains.append(plain / calls)
        hookeds.append(hooked / calls)
    # The median of side-by-side pairs, or the least hooked time less the least plain one if that is smaller: an
    # overestimate would stop the clock (a busy machine slowing most of the hooked runs moves the median, a quiet
    # moment in both series gives the minima), an underestimate only makes small operators read a little high.
    return max(0.0, min(statistics.median(costs), min(hookeds) - min(plains)))


_active = []  # recorders running (innermost last), which record_function ranges go to


def active_recorder():
    """The innermost recorder running on this thread, or None."""
    thread = threading.get_ident()
    for recorder in reversed(_active):
        if recorder._thread == thread:
            return recorder
    return None
