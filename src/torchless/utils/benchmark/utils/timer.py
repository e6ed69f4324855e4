"""``Timer``: ``timeit.Timer`` for torchless statements, with replicates, thread control and labels."""
import enum
import textwrap
import timeit

from . import common

__all__ = ["Timer", "timer", "Language"]


def timer() -> float:
    """The clock Timer reads by default; with no accelerator to wait for, it is ``timeit.default_timer``."""
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


class Timer:
    """Times a Python statement the way ``torch.utils.benchmark.Timer`` does, on torchless.

    Like ``timeit.Timer`` (which runs the statement here), ``stmt`` is code run in a loop after
    ``setup``, both strings, with ``globals`` as their global namespace: a copy of the dict given, in
    which ``torch`` is torchless unless the dict names it. Unlike it:

    * every measurement first warms up and runs with ``num_threads`` threads (default 1, so that
      single-thread numbers compare across machines), restoring the thread count after;
    * results are :class:`Measurement` objects holding replicates, with median and IQR;
      ``blocked_autorange`` and ``adaptive_autorange`` pick the block size and the number of blocks,
      and take the place of ``timeit``'s ``repeat`` and ``autorange``;
    * ``label``, ``sub_label``, ``description`` and ``env`` name the measurement for printing and for
      :class:`Compare`'s table: one table per label, one row per sub-label (or statement) and thread
      count, one column per description; measurements differing only in ``env`` are kept apart.

    ``global_setup`` and ``language="cpp"`` belong to PyTorch's C++ timing, which torchless cannot
    offer: the first is refused for Python as PyTorch refuses it, the second raises NotImplementedError.
    """

    _timer_cls = timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None, label=None,
                 sub_label=None, description=None, env=None, num_threads=1, language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        # a copy, so that neither timeit's __builtins__ nor the statement's global writes reach the caller's dict
        self._globals = dict(globals or {})
        if language in (Language.PYTHON, "py", "python"):
            import torchless

            self._globals.setdefault("torch", torchless)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this code can "
                                 "simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            if self._globals:  # checked first, as PyTorch's C++ timer does
                raise ValueError("C++ timing does not support globals.")
            raise NotImplementedError("C++ timing (language='cpp') compiles the statement against libtorch; "
                                      "torchless has no C++ API, so only Python statements can be timed.")
        else:
            raise ValueError(f"Invalid language `{language}`.")

        # Snippets written as indented triple-quoted strings run (and print) as if written flush left,
        # without their opening newline or trailing blanks.
        stmt, setup = (_tidy(code) for code in (stmt, setup))
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer, globals=dict(self._globals))
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                          sub_label=sub_label, description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        # a clock read alone costs tens of nanoseconds; the floor keeps later divisions away from zero
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """Runs ``stmt`` ``number`` times in one block (after a warm-up of ``number // 100``, at least 2)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(number_per_run=number, raw_times=[self._timeit(number=number)],
                                      task_spec=self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _threaded_measurement_loop(self, number, time_hook, stop_hook, min_run_time, max_run_time=None,
                                   callback=None) -> list[float]:
        """Times blocks until ``min_run_time`` has passed and ``stop_hook`` agrees, or ``max_run_time`` is spent."""
        total_time = 0.0
        can_stop = False
        times = []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total_time < min_run_time or not can_stop:
                time_spent = time_hook()
                times.append(time_spent)
                total_time += time_spent
                if callback:
                    callback(number, time_spent)
                can_stop = stop_hook(times)
                if max_run_time and total_time > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """The first power of ten whose block dwarfs the timer's own overhead (also the warm-up)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]  # the median of five empty blocks
            number = 1
            while True:
                time_taken = self._timeit(number)
                if overhead / time_taken <= 1e-4 and time_taken >= min_run_time / 1000:
                    break
                if time_taken > min_run_time:
                    break
                if number * 10 > 2147483647:  # PyTorch's C++ timer takes a 32-bit count
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> common.Measurement:
        """Times blocks of ``stmt`` until ``min_run_time`` seconds are spent; one replicate per block.

        The block size is a power of ten, grown until the timer's overhead is at most 0.01% of a block
        (and a block lasts at least ``min_run_time / 1000``) or a block alone exceeds ``min_run_time``:
        small blocks give more replicates, large ones hide the cost of reading the clock.
        ``callback(number, time)`` is called after each block.
        """
        number = self._estimate_block_size(min_run_time)
        times = self._threaded_measurement_loop(number, lambda: self._timeit(number), lambda times: True,
                                                min_run_time=min_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0,
                           callback=None) -> common.Measurement:
        """Like ``blocked_autorange``, but goes on until the times are steady or ``max_run_time`` is spent.

        After at least ``min_run_time`` seconds and more than three blocks, it stops once the IQR is under
        ``threshold`` times the median. The block size is chosen as for ``min_run_time=0.05``.
        """
        number = self._estimate_block_size(min_run_time=0.05)

        def steady(times):
            return len(times) > 3 and common.Measurement(
                number_per_run=number, raw_times=times, task_spec=self._task_spec).meets_confidence(threshold=threshold)

        times = self._threaded_measurement_loop(number, lambda: self._timeit(number), steady, min_run_time,
                                                max_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def collect_callgrind(self, number: int = 100, *, repeats=None, collect_baseline: bool = True,
                          retain_out_file: bool = False):
        """Instruction counts need PyTorch's Valgrind bindings, which torchless does not have."""
        if repeats is not None and repeats < 1:
            raise ValueError("If specified, `repeats` must be >= 1")
        raise NotImplementedError("collect_callgrind runs the statement under PyTorch's Valgrind bindings; "
                                  "torchless has none. Time it with blocked_autorange instead.")


def _tidy(code: str) -> str:
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()
