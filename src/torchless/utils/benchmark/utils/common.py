"""The records Timer produces and the number formatting they share with Compare.

PyTorch computes a few of these statistics on float32 tensors (log10 for the unit and the significant
figures, rounding in ``trim_sigfig``); the helpers below reproduce those float32 steps so that units,
digit counts and trimmed values come out the same as PyTorch's.
"""
import collections
import contextlib
import dataclasses
import math
import textwrap
from typing import Any

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
# no real timing is known better than this, whatever the spread says
_MIN_CONFIDENCE_INTERVAL = 25e-9
# relative IQRs above which a Measurement carries a warning (mild, then gross)
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_UINT64_MAX = 2 ** 64 - 1


def _float32(x):
    with np.errstate(over="ignore"):
        return np.float32(x)


def _log10_float32(x):
    """log10 of ``x`` as PyTorch takes it on a float32 scalar tensor.

    NumPy's own float32 log10 is vectorised and often an ulp off the C library's log10f that PyTorch
    calls, which moves values sitting on a power of ten across a unit boundary; the float64 logarithm
    rounded once to float32 gives PyTorch's result (on every one of tens of thousands of values tried).
    """
    x = float(_float32(x))
    if 0 < x < math.inf:
        return float(np.float32(math.log10(x)))
    return -math.inf if x == 0 else x if x == math.inf else math.nan


def _std_float32(values):
    """The population standard deviation of ``values`` as PyTorch takes it of a float32 tensor.

    PyTorch rounds the values to float32, takes their mean in float32, sums the squared deviations from
    that mean in float64 and rounds the root to float32; that last rounding is what decides the digit
    count near a power of ten. The mean's last bit depends on the order of PyTorch's vectorised sum (which
    varies with the CPU) and, as a second-order effect on the deviations, practically never shows.
    """
    values = np.asarray(values, dtype=np.float32)
    mean = float(values.mean(dtype=np.float32))
    total = 0.0
    for value in values.tolist():  # in order, one rounding per step, as PyTorch's loop adds them
        total += (value - mean) ** 2
    return float(np.float32(math.sqrt(total / len(values))))


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures and how its results are labelled (everything but its globals)."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (or a one-line statement), with the sub-label after a colon; else the indented statement."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        sub_label = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub_label}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        """The setup as shown under a title: nothing for an empty or ``pass`` setup."""
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """Title, description and setup, the head of a Measurement's repr; multi-line parts end in a blank line."""
        parts = [self.title, self.description or "", self.setup_str()]
        return "\n".join(part + "\n" if "\n" in part else part for part in parts if part)


_TASKSPEC_FIELDS = tuple(field.name for field in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """Times of ``number_per_run`` runs of a statement, once per block, with their statistics.

    ``raw_times`` are whole-block times; ``times``, ``median``, ``mean`` and ``iqr`` are per run.
    The TaskSpec's fields read through (``m.label``, ``m.num_threads``, ...); ``metadata`` is left to
    the user. Measurements pickle and compare by value.
    """
    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict[Any, Any] | None = None

    def __post_init__(self) -> None:
        # filled on first use by _lazy_init; -1 marks "no times"
        self._sorted_times: tuple[float, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name: str) -> Any:
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    # Per-run figures are block times divided by the block size: with a block large enough for the timer's
    # overhead not to matter (what blocked_autorange picks), that division is a fair estimate.
    @property
    def times(self) -> list[float]:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """A rough count (1 to 4) of the digits of the median the spread of the times leaves meaningful.

        The spread is the standard deviation of the middle half of the sorted times; 1.645 of its
        standard errors make the confidence interval, and the digits are those of median / interval.
        Compare uses it to trim printed numbers; a Measurement's repr does not.
        """
        self._lazy_init()
        n_total = len(self._sorted_times)
        middle = self._sorted_times[n_total // 4:int(np.ceil(_float32(3 * n_total / 4)))]
        std = _std_float32(middle) if middle else math.nan
        sqrt_n = float(np.sqrt(np.float32(len(middle))))
        confidence_interval = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        relative_ci = _log10_float32(self._median / confidence_interval)
        return min(max(math.floor(relative_ci), 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        sorted_times = np.asarray(self._sorted_times, dtype=np.float64)
        # NumPy's "linear" quantile interpolates exactly as torch.quantile does
        self._p25, self._median, self._p75 = (float(q) for q in np.quantile(sorted_times, [0.25, 0.5, 0.75]))
        self._mean = float(sorted_times.mean())
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._add_warning("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._add_warning("This could indicate system fluctuation.")

    def _add_warning(self, advice: str) -> None:
        relative_iqr = self.iqr / self.median * 100
        self._warnings += (f"  WARNING: Interquartile range is {relative_iqr:.1f}% of the median measurement.\n"
                           f"           {advice}",)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        """Whether the IQR is under ``threshold`` times the median."""
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str | None:
        # PyTorch's property reads a misspelt attribute, fails, and falls back to the TaskSpec's field, so
        # an unset env is None (which Compare relies on), never a placeholder string.
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        """The object's default repr, the task summary, median and IQR in one unit, counts and warnings.

        The IQR line needs at least four times; with a single time the median is shown unlabelled.
        """
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        lines = [super().__repr__(), self.task_spec.summarize()]
        lines.append(f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}")
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        runs = "runs per measurement," if n > 1 else "runs ,"
        threads = "threads" if self.num_threads > 1 else "thread"
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} {runs} "
                     f"{self.num_threads} {threads}")
        lines.append("\n".join(self._warnings))
        # one multi-line text, stripped at both ends as a whole: an empty warnings part leaves no blank line
        return "\n".join("\n".join(lines).strip().splitlines())

    @staticmethod
    def merge(measurements) -> list["Measurement"]:
        """One Measurement per distinct TaskSpec, pooling the per-run times of its replicates.

        The pooled Measurement has ``number_per_run=1`` (replicates may have used different block sizes)
        and no metadata (theirs may disagree).
        """
        grouped = collections.defaultdict(list)
        for m in measurements:
            grouped[m.task_spec].extend(m.times)
        return [Measurement(number_per_run=1, raw_times=times, task_spec=task_spec, metadata=None)
                for task_spec, times in grouped.items()]


def select_unit(t: float) -> tuple[str, float]:
    """The unit (ns, us, ms or s) that puts ``t`` seconds in 1..999, and its size in seconds."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(_log10_float32(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures, in float32 precision as PyTorch rounds it (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = math.ceil(_log10_float32(abs(x)))
    scale = 10 ** (magnitude - n)
    if scale > _UINT64_MAX:  # PyTorch multiplies its tensor by this Python int, which must fit 64 bits
        raise OverflowError("int too big to convert")
    return float(np.rint(_float32(x / scale)) * _float32(scale))


def ordered_unique(elements) -> list[Any]:
    """The distinct elements, in order of first appearance."""
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int):
    """Runs the ``with`` body with ``torchless.set_num_threads(n)``, restoring the previous count after."""
    import torchless

    previous = torchless.get_num_threads()
    try:
        torchless.set_num_threads(n)
        yield
    finally:
        torchless.set_num_threads(previous)
