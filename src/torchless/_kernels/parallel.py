"""Run one kernel call as independent shards on all cores at once.

NumPy runs its element-wise passes (padding, layout changes, Winograd transforms,
column gathers) on one core; only the matrix products use both, through
OpenBLAS.  A convolution of a batch, though, is a batch of independent
convolutions: split in two, each half runs the whole pipeline on its own core,
with BLAS on one thread per half.  Measured on 2 cores (float32, forward, ms,
whole batch with 2-thread BLAS -> two halves at once):
64x32x14x14->64 Winograd 8.7 -> 5.4, 8x64x56x56->64 Winograd 19.5 -> 12.2,
8x64x56x56->128 stride 2 10.5 -> 8.3, 16x128x28x28->128 22.4 -> 15.7.  Large
max-pooling, ReLU and Adam updates are split the same way (over planes or flat
slices: ``elementwise``), and so are large matrix products (blas.py).

NumPy releases the GIL inside its copies, ufuncs and matrix products, so
Python threads suffice.  The helper threads are started once and wait on a
queue; a hand-off costs tens of microseconds, so only problems of at least
``MIN_PARALLEL_FLOP`` are split.  The split depends only on the shapes and the
thread count, never on timing, so results are deterministic.  While a split call
runs, its caller is held to its core and the helpers to the others
(``_cores_apart``): left to the scheduler, the shards often shared one core.

Splitting needs threadpoolctl (the ``fast`` extra) to hold BLAS to one thread
meanwhile: without it each shard's products would start two BLAS threads of
their own, four busy threads on two cores.  Without threadpoolctl, or with one
thread (``torchless.set_num_threads(1)``), every call runs whole, as before.
"""

import contextlib
import ctypes
import functools
import itertools
import os
import queue
import re
import threading

import numpy as np

from . import blas

# Below this many floating-point operations a call is not split: the hand-off to a helper thread
# (~50-100 us until it runs, measured inside training steps) and the two cores' competition for
# memory cost more than the second core saves (measured, split vs whole, ms: 64x1x28x28->5
# (4.5 MFLOP) forward 0.65 vs 0.52). Convolutions set a higher bound of their own (conv.py).
MIN_PARALLEL_FLOP = 2 ** 23
# What one element-wise pass costs per element, in the same units. Memory-bound passes gain little
# from a second core, which shares the memory bandwidth: ReLU's backward (two passes), split vs
# whole, ms: 250k elements 0.18 vs 0.12, 1.4M 1.2-1.6 vs 1.9-2.0, 2.4M 2.3-2.5 vs 3.0-3.6; its
# forward (one pass) gains at most 15% even at 2.4M. Hence splits from about 1M elements per pass.
ELEMENTWISE_PASS_FLOP = 4


def _default_threads():
    """PyTorch's start-up count (its x86 builds take MKL's): $MKL_NUM_THREADS, else $OMP_NUM_THREADS, held to the
    machine's cores unless $MKL_DYNAMIC is false; with neither set, the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    requested = _threads_from_environment()
    if requested is None:
        return max(1, cores)
    if os.environ.get("MKL_DYNAMIC", "").strip() not in ("false", "FALSE"):
        requested = min(requested, os.cpu_count() or 1)  # the machine's, not the affinity's (as MKL)
    return requested


def _threads_from_environment():
    """The thread count $MKL_NUM_THREADS or $OMP_NUM_THREADS asks for, None where neither does.

    Read as MKL and libgomp read them (measured against PyTorch 2.13's MKL build): MKL's is decimal digits
    alone, other text (a sign, a space, "2,1", "abc") meaning 1, and "" or 0 deferring to OpenMP's; OpenMP's
    may have spaces and a "+" and be a comma list (of which the first counts), other text being ignored.
    """
    mkl = os.environ.get("MKL_NUM_THREADS", "")
    if mkl:
        if not (mkl.isascii() and mkl.isdigit()):
            return 1
        if int(mkl) > 0:
            return int(mkl)
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if re.fullmatch(r"\s*\+?\d+\s*(,\s*\+?\d+\s*)*", omp, re.ASCII):
        values = [int(value.strip().lstrip("+")) for value in omp.split(",")]
        if all(0 < value < 2 ** 64 - 1 for value in values):
            return values[0]
    return None


_num_threads = _default_threads()
_helpers = []          # one (task queue) per helper thread, started on first use
_helper_ids = []       # their native thread ids, to keep them off the caller's core (_cores_apart)
_helpers_lock = threading.Lock()
_inside = threading.local()   # set while a thread runs a shard: shards never split again
# One split call at a time: a second caller thread (a server's, say) runs its call whole rather
# than wait for the helpers or change the BLAS thread count under the first one's feet.
_splitting = threading.Lock()


def _forget_helpers_after_fork():
    """A forked child has none of its parent's threads: it starts its own helpers when it needs them
    (its queues would otherwise wait for threads that do not exist)."""
    global _helpers_lock, _splitting
    _helpers.clear()
    _helper_ids.clear()
    _helpers_kept_from[0] = None
    _helpers_lock, _splitting = threading.Lock(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers_after_fork)


def get_num_threads():
    """Number of threads a kernel call may be split over."""
    return _num_threads


def set_num_threads(threads):
    """Split kernel calls over at most ``threads`` threads (1: never split)."""
    global _num_threads
    _num_threads = max(1, int(threads))


def inside_shard():
    """Whether this thread is running a shard (BLAS is then held to one thread, and calls run whole)."""
    return getattr(_inside, "active", False)


def shard_count(items, flop):
    """Into how many shards to split a call over ``items`` independent items costing ``flop`` in all."""
    if _num_threads < 2 or items < 2 or flop < MIN_PARALLEL_FLOP or inside_shard():
        return 1
    if not blas.thread_controls():
        return 1
    return min(_num_threads, items)


def split(items, shards):
    """``shards`` consecutive slices covering range(items), as even as possible (larger ones first)."""
    size, rest = divmod(items, shards)
    bounds = [0]
    for shard in range(shards):
        bounds.append(bounds[-1] + size + (shard < rest))
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


def elementwise(function, arrays, flop_per_element, meanwhile=None, **keywords):
    """``function(*arrays, **keywords)`` for an element-wise ``function`` that works in place: split,
    when large, into matching slices of the flattened arrays (None entries pass through as None);
    ``meanwhile`` as run_shards'.

    Every array must be C-contiguous and of one size, so that its flat slices are views.
    """
    size = arrays[0].size
    count = shard_count(size, flop_per_element * size)
    if count == 1:
        if meanwhile is not None:
            meanwhile()
        function(*arrays, **keywords)
        return
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    shards = [tuple(None if array is None else array[part] for array in flat) for part in split(size, count)]
    run_shards(functools.partial(function, **keywords), shards, meanwhile)


def splits(size, flop_per_element):
    """Whether ``elementwise`` splits a call over arrays of ``size`` elements."""
    return shard_count(size, flop_per_element * size) > 1


def into(out, function, *args):
    """``out[...] = function(*args)``: a shard that writes its own part of a preallocated result."""
    out[...] = function(*args)


def _helper_loop(tasks, started):
    _helper_ids.append(threading.get_native_id())
    # PyTorch's kernels pass inf and NaN on silently; NumPy's floating-point flags would warn, and a thread does not
    # inherit its caller's np.errstate (an optimizer step's, say)
    np.seterr(all="ignore")
    started.set()
    while True:
        take_shards = tasks.get()
        _inside.active = True
        try:
            take_shards()
        finally:
            _inside.active = False


def _ensure_helpers(count):
    with _helpers_lock:
        while len(_helpers) < count:
            tasks, started = queue.SimpleQueue(), threading.Event()
            threading.Thread(target=_helper_loop, args=(tasks, started), daemon=True,
                             name=f"torchless-kernel-{len(_helpers) + 1}").start()
            started.wait()
            _helpers.append(tasks)


def run_shards(function, shard_args, meanwhile=None):
    """``[function(*args) for args in shard_args]``, computed at once by this thread and the helper
    threads (the first shard here; each thread then claims the next shard left), with BLAS held to one
    thread meanwhile.

    ``meanwhile``, a callable independent of the shards (the caller's own small serial work), runs on
    this thread right after the hand-off, while a helper wakes up, before this thread claims a shard;
    in a call run whole, before the shards.

    Exceptions raised by ``meanwhile`` or a shard are re-raised here (``meanwhile``'s first, then the
    first shard's in shard order) after every shard has finished.
    """
    if len(shard_args) == 1 or not _splitting.acquire(blocking=False):
        if meanwhile is not None:
            meanwhile()
        return [function(*args) for args in shard_args]
    try:
        outcomes = _run_at_once(function, shard_args, meanwhile)
    finally:
        _splitting.release()
    results = []
    for succeeded, value in outcomes:
        if not succeeded:
            raise value
        results.append(value)
    return results


# Left to the scheduler, a split call's threads often share one core while the other idles: when a
# thread waiting for the GIL is woken by the thread that released it, Linux moves it next to its
# waker. After the process has been idle this sticks (measured after 0.15 s pauses, course-CNN
# training step: 60 of 64 of its two-shard convolution gradients ran one shard after the other, 1.65
# ms instead of 0.98). So for the length of a split call the calling thread is held to the core it
# is on and the helpers to the others (three system calls, ~3 us); the caller's own affinity is
# restored afterwards.
def _sched_getcpu():
    try:
        return ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):  # not glibc: no pinning
        return None


_current_cpu = _sched_getcpu() if hasattr(os, "sched_setaffinity") else None
_helpers_kept_from = [None]  # the core the helpers were last kept off


@contextlib.contextmanager
def _cores_apart():
    """Inside the block, this thread runs on its current core only and the helpers on the others."""
    previous = _hold_to_current_core()
    try:
        yield
    finally:
        if previous is not None:
            os.sched_setaffinity(0, previous)


def _hold_to_current_core():
    """Hold this thread to its core and the helpers to the others; this thread's previous affinity, or None
    when nothing was changed."""
    global _current_cpu
    if _current_cpu is None:
        return None
    try:
        cpu, allowed = _current_cpu(), os.sched_getaffinity(0)
        if cpu not in allowed or len(allowed) < 2:
            return None
        if _helpers_kept_from[0] != cpu:
            for thread_id in _helper_ids:
                os.sched_setaffinity(thread_id, allowed - {cpu})
            _helpers_kept_from[0] = cpu
        os.sched_setaffinity(0, {cpu})
        return allowed
    except OSError:  # e.g. a sandbox that forbids it: leave the placement to the scheduler
        _current_cpu = None
        return None


def _run_at_once(function, shard_args, meanwhile=None):
    """(succeeded, result or exception) of every shard, after running ``meanwhile`` (see run_shards).

    The shards are claimed in order, one at a time, by whichever thread is free: this one and the
    helpers. A helper that wakes late (its core busy with another process, measured here: up to
    ~1 ms after the hand-off, the two halves of a product then running one after the other) finds
    the shards already taken, instead of making this thread wait for it. Which thread runs a shard
    changes no number: every shard runs the same single-threaded code on its own part.
    """
    helpers = min(len(shard_args), _num_threads) - 1  # more shards than threads: claimed in turn
    _ensure_helpers(helpers)
    outcomes = [None] * len(shard_args)
    claims = itertools.count()  # next() on it is atomic under the GIL: each shard is claimed once
    finished_elsewhere = queue.SimpleQueue()

    def take_shards(report=None):
        taken = 0
        while (index := next(claims)) < len(shard_args):
            try:
                outcomes[index] = (True, function(*shard_args[index]))
            except BaseException as error:  # handed to the caller, which re-raises it
                outcomes[index] = (False, error)
            taken += 1
            if report is not None:
                report.put(index)
        return taken

    failure = None
    with _cores_apart(), blas.single_threaded():
        for tasks in _helpers[:helpers]:
            tasks.put(functools.partial(take_shards, finished_elsewhere))
        _inside.active = True
        try:
            # A helper on an idle core takes ~90-180 us to wake (a hand-off to a halted virtual CPU): this
            # thread's own serial work fills that time rather than a later wait for the helper's shard
            if meanwhile is not None:
                try:
                    meanwhile()
                except BaseException as error:  # raised once every shard is done: none may still be writing
                    failure = error
            taken_here = take_shards()
        finally:
            _inside.active = False
        for _ in range(len(shard_args) - taken_here):
            finished_elsewhere.get()
    if failure is not None:
        raise failure
    return outcomes
