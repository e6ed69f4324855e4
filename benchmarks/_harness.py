"""Timing, statistics, machine description and table printing for ``benchmarks/run.py``.

The machine this runs on is small (2 cores) and shared, so single timings mean little. Every
comparison here therefore
- warms both contenders up (first calls pay for allocation, caches and lazy initialisation),
- loops each call enough times that one timed repeat lasts at least ``min_time`` seconds
  (calibrated separately for each contender, since they may differ by orders of magnitude),
- interleaves the repeats of the two contenders, alternating which goes first, so that drift in
  the machine's load hits both alike,
- pauses ``SETTLE_SECONDS`` before a timed block that follows the other library: after a call,
  OpenBLAS's worker threads (used by NumPy) busy-wait for about 0.1 s, and torch's OpenMP threads
  spin too; a block started in that window shares the two cores with the other library's spinning
  threads (torch's small convolutions ran twice as slowly right after a NumPy matmul here). Each
  library is meant to be timed as if it ran alone,
- re-times a block during which other processes used the CPU (see ``CpuWatch``),
- and reports medians per call and their ratio, never a single absolute time.
"""
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

SETTLE_SECONDS = 0.15  # > OpenBLAS's default thread timeout of 2**28 cycles (~0.1 s)
BLOCK_BUDGET = 4  # a timed block stops after this many times its intended length


@dataclass
class Comparison:
    """Median seconds per call of torchless (``ours``) and torch (``theirs``) for one case."""

    ours: float
    theirs: float

    @property
    def ratio(self):
        """torchless time / torch time: below 1 torchless is faster."""
        return self.ours / self.theirs


def _settle(pause=True):
    gc.collect()
    if pause:
        time.sleep(SETTLE_SECONDS)


class CpuWatch:
    """CPU time used by *other* processes while a block ran, from /proc/stat and /proc/self/stat.

    Other engineers' test runs share this machine's two cores. A timed block during which other
    processes kept the CPU busy is re-timed (see ``compare``); where /proc is missing every block
    counts as quiet. CPU time of this process's finished children counts as its own, so that
    subprocess timings can be watched too.
    """

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.available = os.path.exists("/proc/stat") and os.path.exists("/proc/self/stat")
        self.retimed = self.kept_noisy = self.blocks = 0

    def _cpu_seconds(self):
        """(CPU seconds the whole machine was busy, CPU seconds of this process and its children)."""
        import resource
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        with open("/proc/self/stat") as own:
            after_name = own.read().rsplit(")", 1)[1].split()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_ticks = int(after_name[11]) + int(after_name[12])  # utime + stime of all threads
        return busy / self.hz, own_ticks / self.hz + children.ru_utime + children.ru_stime

    def start(self):
        return self._cpu_seconds() if self.available else None

    def others_busy(self, started, seconds):
        """Whether other processes used more than ``NOISY_CORES`` cores (and 3 clock ticks) since ``started``."""
        if started is None:
            return False
        busy, own = self._cpu_seconds()
        others = (busy - started[0]) - (own - started[1])
        return others >= 3 / self.hz and others / seconds > NOISY_CORES

    def summary(self):
        if not self.available:
            return "CPU use of other processes not watched (no /proc)"
        summary = (f"{self.retimed} of {self.blocks} timed blocks re-run because other processes used the CPU, "
                   f"{self.kept_noisy} kept noisy when the retries ran out")
        if self.kept_noisy > 0.1 * self.blocks:
            summary += "\nWARNING: the machine was busy; these numbers describe contention: run again when it is quiet"
        return summary


NOISY_CORES = 0.25
WATCH = CpuWatch()


def _time_block(fn, loops, budget=math.inf):
    """Seconds per call over ``loops`` calls, or over those made when ``budget`` seconds ran out.

    The budget bounds a block that noise slowed far beyond its calibrated length.
    """
    start = time.perf_counter()
    deadline = start + budget
    for calls in range(1, loops + 1):
        fn()
        if time.perf_counter() > deadline:
            break
    return (time.perf_counter() - start) / calls


def _quiet_sample(fn, loops, retries, budget=math.inf, pause=True):
    """Seconds per call over ``loops`` calls, re-timed up to ``retries`` times while others use the CPU.

    ``pause`` says whether to wait ``SETTLE_SECONDS`` first: needed when the other library ran last.
    """
    for attempt in range(retries + 1):
        _settle(pause or attempt > 0)
        if attempt:
            time.sleep(0.5 * attempt)  # give the other process time to finish
        started = WATCH.start()
        begin = time.perf_counter()
        seconds = _time_block(fn, loops, budget)
        WATCH.blocks += 1
        if not WATCH.others_busy(started, time.perf_counter() - begin):
            return seconds
        if attempt < retries:
            WATCH.retimed += 1
    WATCH.kept_noisy += 1
    return seconds


def _interleaved(contenders, loops, repeats, retries, budget=math.inf):
    """Median seconds per call of the two contenders ("ours", "theirs"), alternating A B B A ..."""
    samples = {"ours": [], "theirs": []}
    previous = None
    for repeat in range(repeats):
        order = ("ours", "theirs") if repeat % 2 == 0 else ("theirs", "ours")
        for name in order:
            samples[name].append(_quiet_sample(contenders[name], loops[name], retries, budget, name != previous))
            previous = name
    return Comparison(statistics.median(samples["ours"]), statistics.median(samples["theirs"]))


def _loops_for(seconds_per_call, min_time):
    return max(1, math.ceil(min_time / max(seconds_per_call, 1e-9)))


def _calibrated_loops(fn, min_time, warmup_time):
    """Warm ``fn`` up (at least two calls and ``warmup_time`` seconds), then size a repeat to ``min_time``."""
    _settle()
    fastest, spent, calls = math.inf, 0.0, 0
    while calls < 2 or spent < warmup_time:
        seconds = _time_block(fn, 1)
        fastest, spent, calls = min(fastest, seconds), spent + seconds, calls + 1
    return _loops_for(fastest, min_time)


def compare(ours, theirs, repeats=5, min_time=0.05, warmup_time=None, retries=3):
    """Interleaved medians of two zero-argument callables.

    Each contender is warmed up (at least two calls and ``warmup_time`` seconds, default
    ``2 * min_time``), its loop count is chosen so one repeat takes ``>= min_time`` seconds, then
    ``repeats`` timed repeats of each alternate, A B B A A B ..., each after a garbage collection
    (so that one contender's garbage is not collected on the other's clock) and, when the other
    contender ran last, a pause (see ``SETTLE_SECONDS``). A repeat during which other processes used the CPU is run again, up to
    ``retries`` times.
    """
    warmup_time = 2 * min_time if warmup_time is None else warmup_time
    contenders = {"ours": ours, "theirs": theirs}
    loops = {name: _calibrated_loops(fn, min_time, warmup_time) for name, fn in contenders.items()}
    return _interleaved(contenders, loops, repeats, retries, BLOCK_BUDGET * min_time)


def measure(fn, repeats=5, min_time=0.05, retries=3):
    """Median seconds per call of one callable, timed as in ``compare``."""
    loops = _calibrated_loops(fn, min_time, 2 * min_time)
    budget = BLOCK_BUDGET * min_time
    return statistics.median(_quiet_sample(fn, loops, retries, budget, pause=False) for _ in range(repeats))


def compare_commands(ours, theirs, repeats=5, warmup=1, env=None, retries=3):
    """Interleaved medians of the wall time of two fresh subprocesses (argument lists).

    The warm-up runs let the OS page cache and Python's bytecode cache settle for both.
    """
    def runner(command):
        return lambda: subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)

    contenders = {"ours": runner(ours), "theirs": runner(theirs)}
    for _ in range(warmup):
        for run in contenders.values():
            run()
    return _interleaved(contenders, {"ours": 1, "theirs": 1}, repeats, retries)


def child_output(command, env=None):
    """Run a fresh subprocess and return its stripped standard output."""
    result = subprocess.run(command, check=True, env=env, capture_output=True, text=True)
    return result.stdout.strip()


def geometric_mean(values):
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def peak_rss_kib():
    """This process's peak resident set size in KiB (VmHWM, falling back to getrusage)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


# --- the machine ------------------------------------------------------------------------------

def _cpuinfo_field(name):
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(name):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model():
    """The CPU's name, with its vendor where the name leaves it out (virtual machines often report a generic one)."""
    model = _cpuinfo_field("model name") or platform.processor() or platform.machine()
    vendor = _cpuinfo_field("vendor_id")
    return f"{model} ({vendor})" if vendor and vendor not in model else model


def blas_kernels():
    """Which kernels NumPy's BLAS runs here (OpenBLAS picks them per CPU), or None when threadpoolctl can't tell."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for library in threadpool_info():
        if library.get("user_api") == "blas":
            return f"{library.get('internal_api')} {library.get('version')}, {library.get('architecture')} kernels"
    return None


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def numpy_matmul_gflops(size=2048, repeats=5, min_time=0.05, retries=3):
    """float32 GFLOP/s of NumPy's matmul of two size x size matrices: the ceiling for im2col+GEMM."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    seconds = measure(lambda: a @ b, repeats, min_time, retries)
    return 2 * size**3 / seconds / 1e9


def torch_matmul_gflops(torch, size=2048, repeats=5, min_time=0.05, retries=3):
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    seconds = measure(lambda: a @ b, repeats, min_time, retries)
    return 2 * size**3 / seconds / 1e9


# --- printing ---------------------------------------------------------------------------------

def format_seconds(seconds):
    if seconds != seconds:  # NaN
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_number(value, digits=3):
    if value is None or value != value:
        return "-"
    return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:,.0f}"


def render_table(title, headers, rows, markdown=False):
    """A titled table as aligned plain text or as GitHub Markdown (first column left-aligned)."""
    rows = [[str(cell) for cell in row] for row in rows]
    if markdown:
        lines = [f"#### {title}", "", "| " + " | ".join(headers) + " |",
                 "| " + " | ".join([":---"] + ["---:"] * (len(headers) - 1)) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]

    def line(cells):
        first, rest = cells[0], cells[1:]
        return "  ".join([first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:])])

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([title, rule, line(headers), rule] + [line(r) for r in rows] + [rule]) + "\n"
