"""torchless.utils.benchmark against torch.utils.benchmark: Measurement reprs and statistics, Compare tables
and Timer behaviour, on the same fixed times (or on counts and messages where real timing is involved)."""
import pickle
import random
import re
import subprocess
import sys
import textwrap
import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.utils.benchmark as tbench  # noqa: E402

import torchless  # noqa: E402
import torchless.utils.benchmark as bench  # noqa: E402

_REPR_HEAD = r"<{}\.utils\.benchmark\.utils\.common\.Measurement object at 0x[0-9a-f]+>"


def both(number_per_run, raw_times, **spec):
    """The same Measurement built in torchless and in torch."""
    stmt, setup = spec.pop("stmt", "x + y"), spec.pop("setup", "pass")
    ours = bench.Measurement(number_per_run, list(raw_times), bench.TaskSpec(stmt, setup, **spec))
    theirs = tbench.Measurement(number_per_run, list(raw_times), tbench.TaskSpec(stmt, setup, **spec))
    return ours, theirs


def repr_body(m, package):
    """The repr with its first line (class path and address) checked and cut off."""
    head, _, body = repr(m).partition("\n")
    assert re.fullmatch(_REPR_HEAD.format(package), head), head
    return body


def random_times(rng, n, spread, scale):
    return [scale * (1 + spread * rng.random()) ** rng.choice((1, 2)) for _ in range(n)]


SPECS = [
    {},
    {"label": "add", "sub_label": "float", "description": "n=4"},
    {"stmt": "y = x * 2\nz = y.sum()", "setup": "x = torch.ones(3)", "num_threads": 4},
    {"stmt": "y = x * 2\nz = y.sum()", "sub_label": "int", "setup": "a = 1\nb = 2", "description": "multi\nline"},
    {"stmt": "f(x)", "label": "F", "sub_label": "", "env": "A/B", "num_threads": 2},
]


@pytest.mark.parametrize("seed", range(12))
def test_measurement_repr_and_statistics_match_torch(seed):
    rng = random.Random(seed)
    for n in (1, 2, 3, 4, 5, 7, 10, 33, 100):
        for spread in (0.001, 0.05, 0.3, 3.0):
            scale = 10.0 ** rng.uniform(-9, 1)
            number = rng.choice((1, 10, 1000, 100000))
            ours, theirs = both(number, random_times(rng, n, spread, scale * number), **rng.choice(SPECS))
            assert repr_body(ours, "torchless") == repr_body(theirs, "torch")
            assert ours.times == theirs.times
            assert ours.median == theirs.median
            assert ours.iqr == theirs.iqr
            assert ours.mean == pytest.approx(theirs.mean, rel=1e-14)
            assert ours.significant_figures == theirs.significant_figures
            assert ours.has_warnings == theirs.has_warnings
            for threshold in (0.01, 0.1, 0.25, 1.0):
                assert ours.meets_confidence(threshold) == theirs.meets_confidence(threshold)
            assert (ours.title, ours.env, ours.as_row_name) == (theirs.title, theirs.env, theirs.as_row_name)
            assert (ours.label, ours.num_threads, ours.description) == (theirs.label, theirs.num_threads,
                                                                        theirs.description)


def test_measurement_warning_texts_and_fixed_reprs():
    cases = [
        (10, [1e-5, 2e-5, 1.5e-5, 1.2e-5, 3e-5]),  # gross spread
        (100, [1.00e-3, 1.05e-3, 1.13e-3, 1.2e-3, 1.01e-3, 1.11e-3]),  # mild spread
        (1, [4.2e-7] * 8),  # none
        (1000, [7.0]),  # a single block, in seconds
        (1, [1e-6, 1e-6, 1e-3]),  # three blocks: no IQR line
    ]
    for number, times in cases:
        ours, theirs = both(number, times, label="L", sub_label="s", description="d", setup="x = 1")
        assert repr_body(ours, "torchless") == repr_body(theirs, "torch")
        assert ours._warnings == theirs._warnings


def test_significant_figures_on_tight_and_constant_times():
    rng = random.Random(7)
    for rel in (0.0, 1e-7, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
        for scale in (3e-8, 1e-6, 2.5e-3, 1.0):
            times = [scale * (1 + rel * rng.gauss(0, 1)) for _ in range(rng.randint(1, 40))]
            ours, theirs = both(1, times)
            assert ours.significant_figures == theirs.significant_figures, (rel, scale)


def test_significant_figures_on_the_digit_boundaries():
    # times spread so that median / confidence interval lands within a few float32 ulps of 10, 100 or 1000,
    # where PyTorch's float32 steps (float32 mean, float64 deviations, float32 std and log10) decide the digit
    rng = random.Random(11)
    for _ in range(1500):
        n = rng.choice((4, 5, 8, 9, 12))
        base = [rng.random() for _ in range(n)]
        median = bench.Measurement(1, base, bench.TaskSpec("x", "pass")).median
        middle = sorted(base)[n // 4:-(-3 * n // 4)]
        mean = sum(middle) / len(middle)
        interval = 1.645 * (sum((t - mean) ** 2 for t in middle) / len(middle)) ** 0.5 / len(middle) ** 0.5
        stretch = median / interval / 10 ** rng.choice((1, 2, 3)) * (1 + rng.uniform(-3e-7, 3e-7))
        ours, theirs = both(1, [median + (t - median) * stretch for t in base])
        assert ours.significant_figures == theirs.significant_figures, ours.raw_times


def test_select_unit_and_trim_sigfig_match_torch():
    rng = random.Random(3)
    values = [10.0 ** e for e in range(-12, 5)] + [3 * 10.0 ** e for e in range(-12, 5)]
    for e in range(-12, 5):  # values straddling each power of ten, where float32 rounding decides
        values += [10.0 ** e * (1 + d) for d in (-1e-7, -5e-8, -1e-8, 1e-8, 5e-8, 1e-7, 1e-3, -1e-3)]
    values += [10 ** rng.uniform(-12, 4) for _ in range(3000)]
    for v in values:
        assert bench.select_unit(v) == tbench.select_unit(v), v
        for n in (1, 2, 3, 4):
            assert bench.trim_sigfig(v, n) == tbench.trim_sigfig(v, n), (v, n)
            assert bench.trim_sigfig(-v, n) == tbench.trim_sigfig(-v, n), (v, n)
    for v in (5, 12345, 0.5, 999.5, 2.5, 1234.5678, 1e19):
        for n in (1, 2, 3, 4, 2.0):
            assert bench.trim_sigfig(v, n) == tbench.trim_sigfig(v, n), (v, n)
    for u in ("ns", "us", "ms", "s"):
        assert bench.unit_to_english(u) == tbench.unit_to_english(u)
    assert bench.ordered_unique([3, 1, 3, 2, 1]) == tbench.ordered_unique([3, 1, 3, 2, 1])


def same_error(call):
    """``call(lib)`` raises the same exception type and message with torchless as with torch."""
    with pytest.raises(Exception) as theirs:
        call(tbench)
    with pytest.raises(type(theirs.value)) as ours:
        call(bench)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("args", [(3.14159, 2.5), (0.0, 2), (float("inf"), 2), (float("nan"), 3), (5e21, 2)])
def test_trim_sigfig_errors_match_torch(args):
    same_error(lambda lib: lib.trim_sigfig(*args))


@pytest.mark.parametrize("value", [0.0, float("inf"), -1e-6, float("nan"), 1e300])
def test_select_unit_errors_match_torch(value):
    same_error(lambda lib: lib.select_unit(value))


@pytest.mark.parametrize("times, attribute", [
    ([-1e-6, -2e-6, -1.5e-6, -1e-6], "significant_figures"),  # a negative median has no logarithm
    ([0.0, 0.0], "__repr__"),
    ([0.0, 0.0, 0.0], "has_warnings"),
    ([], "__repr__"),
    ([], "significant_figures"),
])
def test_degenerate_measurements_fail_like_torch(times, attribute):
    def call(lib):
        m = lib.Measurement(1, list(times), lib.TaskSpec("x", "pass"))
        return repr(m) if attribute == "__repr__" else getattr(m, attribute)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about the std of nothing
        same_error(call)


def test_merge_pickle_and_attribute_errors():
    a, ta = both(10, [1e-5, 2e-5], label="L")
    b, tb = both(100, [3e-4, 5e-4, 4e-4], label="L")
    c, tc = both(10, [1e-3], label="other")
    ours, theirs = bench.Measurement.merge([a, c, b]), tbench.Measurement.merge([ta, tc, tb])
    assert [(m.number_per_run, m.raw_times, m.label, m.metadata) for m in ours] == \
        [(m.number_per_run, m.raw_times, m.label, m.metadata) for m in theirs]
    assert repr_body(ours[0], "torchless") == repr_body(theirs[0], "torch")
    restored = pickle.loads(pickle.dumps(b))
    assert restored == b and repr_body(restored, "torchless") == repr_body(b, "torchless")
    with pytest.raises(AttributeError) as theirs_error:
        ta.no_such_field
    with pytest.raises(AttributeError) as ours_error:
        a.no_such_field
    assert str(ours_error.value) == str(theirs_error.value)


def test_task_spec_title_and_summary_match_torch():
    for spec in SPECS + [{"stmt": "", "label": None}, {"stmt": "a\nb", "sub_label": "x", "setup": "\n"}]:
        spec = dict(spec)
        args = (spec.pop("stmt", "x"), spec.pop("setup", "pass"))
        ours, theirs = bench.TaskSpec(*args, **spec), tbench.TaskSpec(*args, **spec)
        assert (ours.title, ours.setup_str(), ours.summarize()) == (theirs.title, theirs.setup_str(),
                                                                    theirs.summarize())


def build_results(lib, seed):
    """A mix of labels, rows, thread counts, envs, columns, replicates and a missing cell."""
    rng = random.Random(seed)
    results = []
    for label in ("conv", "matmul"):
        for threads in (1, 4):
            for env in ("main", "branch"):
                for row in ("float", "double", "half"):
                    for col in ("n=1", "n=16", "n=256"):
                        if (row, col) == ("half", "n=256") or (label, threads, env) == ("matmul", 4, "branch"):
                            continue  # an empty cell; a thread group whose first env is the previous group's last
                        scale = 10.0 ** rng.uniform(-7, -3) * (1 + col.count("6") * 3)
                        for _ in range(rng.choice((1, 2))):
                            times = random_times(rng, rng.choice((1, 5, 20)), rng.choice((0.01, 0.2, 1.0)), scale * 10)
                            spec = lib.TaskSpec("f(x)", "pass", label=label, sub_label=row, description=col,
                                                env=env, num_threads=threads)
                            results.append(lib.Measurement(10, times, spec))
    return results


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("options", [(), ("trim",), ("colorize",), ("rowwise",), ("warnings",),
                                     ("trim", "colorize", "warnings")])
def test_compare_tables_match_torch(seed, options):
    tables = []
    for lib in (bench, tbench):
        compare = lib.Compare(build_results(lib, seed))
        if "trim" in options:
            compare.trim_significant_figures()
        if "colorize" in options:
            compare.colorize()
        if "rowwise" in options:
            compare.colorize(rowwise=True)
        if "warnings" in options:
            compare.highlight_warnings()
        tables.append(str(compare))
    assert tables[0] == tables[1]
    assert "Times are in" in tables[0]


def test_compare_single_env_extend_and_print(capsys):
    printed = []
    for lib in (bench, tbench):
        results = [lib.Measurement(1, [2e-6 * (1 + 0.01 * i)], lib.TaskSpec("x + 1", "pass", description=d))
                   for i, d in enumerate(("a", "b"))]
        compare = lib.Compare(results[:1])
        compare.extend_results(results[1:])
        compare.extend_results([lib.Measurement(1, [5e-3, 6e-3, 5.5e-3, 7e-3], lib.TaskSpec(
            "y = 2", "pass", label="other", sub_label="s", description="a"))])
        compare.trim_significant_figures()
        compare.print()
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1]
    assert "Times are in microseconds (us)." in printed[0]


def test_compare_errors_match_torch():
    for bad in ([1], [None]):
        with pytest.raises(ValueError) as theirs:
            tbench.Compare(bad)
        with pytest.raises(ValueError) as ours:
            bench.Compare(bad)
        assert str(ours.value) == str(theirs.value)
    # Measurements without a description have no column title, which PyTorch's table cannot print
    with pytest.raises(TypeError) as theirs:
        str(tbench.Compare([tbench.Measurement(1, [1e-6], tbench.TaskSpec("x", "pass"))]))
    with pytest.raises(TypeError) as ours:
        str(bench.Compare([bench.Measurement(1, [1e-6], bench.TaskSpec("x", "pass"))]))
    assert str(ours.value) == str(theirs.value)


def count_runs(lib, number):
    calls = []
    m = lib.Timer("calls.append(1)", setup="calls.append('setup')", globals={"calls": calls}).timeit(number)
    return calls, m


@pytest.mark.parametrize("number", [1, 3, 250, 1000])
def test_timeit_runs_statement_and_setup_like_torch(number):
    ours, m = count_runs(bench, number)
    theirs, _ = count_runs(tbench, number)
    assert ours == theirs
    # a warm-up block of max(number // 100, 2), then the timed block, each after its own setup
    assert ours.count("setup") == 2 and ours.count(1) == max(number // 100, 2) + number
    assert m.number_per_run == number and len(m.raw_times) == 1 and m.raw_times[0] > 0
    assert isinstance(m, bench.Measurement) and repr_body(m, "torchless").startswith("calls.append(1)\nsetup: ")


def test_timer_globals_are_copied_and_torch_is_torchless():
    for lib, module in ((bench, torchless), (tbench, torch)):
        seen = []
        namespace = {"seen": seen}
        lib.Timer("seen.append(torch)", globals=namespace).timeit(1)
        assert set(seen) == {module} and set(namespace) == {"seen"}
        marker = object()
        lib.Timer("seen.append(torch)", globals={"seen": seen, "torch": marker}).timeit(1)
        assert seen[-1] is marker
        lib.Timer("global z; z = 1", globals=namespace).timeit(1)  # a global written by the statement stays inside
        assert "z" not in namespace


def test_timer_sets_and_restores_threads():
    before = torchless.get_num_threads()
    seen = []
    m = bench.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen}, num_threads=3).timeit(5)
    assert set(seen) == {3} and torchless.get_num_threads() == before and m.num_threads == 3
    with pytest.raises(KeyError):
        with bench.set_torch_threads(2):
            assert torchless.get_num_threads() == 2
            raise KeyError
    assert torchless.get_num_threads() == before


def test_blocked_autorange_blocks_and_total_time():
    blocks = []
    m = bench.Timer("sum(range(50))", label="sum").blocked_autorange(
        callback=lambda number, time: blocks.append((number, time)), min_run_time=0.05)
    assert str(m.number_per_run) == "1" + "0" * (len(str(m.number_per_run)) - 1)  # a power of ten
    assert blocks == [(m.number_per_run, t) for t in m.raw_times]
    # measuring stops with the first block that reaches min_run_time
    assert sum(m.raw_times[:-1]) < 0.05 <= sum(m.raw_times)
    assert m.task_spec == bench.TaskSpec("sum(range(50))", "pass", label="sum")


def test_blocked_autorange_statement_longer_than_min_run_time():
    # a single run already exceeds min_run_time: blocks of one, and one block is enough
    m = bench.Timer("time.sleep(0.002)", setup="import time").blocked_autorange(min_run_time=0.001)
    assert m.number_per_run == 1 and len(m.raw_times) == 1 and m.raw_times[0] >= 0.002


def test_adaptive_autorange_stopping_rules():
    steady = bench.Timer("time.sleep(0.001)", setup="import time").adaptive_autorange(threshold=1e9,
                                                                                     min_run_time=0.005)
    times = steady.raw_times  # stops at the first block after which there are 4 and min_run_time is reached
    assert len(times) >= 4 and sum(times) >= 0.005 and (len(times) == 4 or sum(times[:-1]) < 0.005)
    never = bench.Timer("time.sleep(0.001)", setup="import time").adaptive_autorange(threshold=0, max_run_time=0.03)
    assert sum(never.raw_times[:-1]) <= 0.03 < sum(never.raw_times)
    with pytest.raises(TypeError):
        bench.Timer().adaptive_autorange(0.1, 0.01)  # the run times are keyword-only, as in PyTorch


def test_timer_argument_errors_match_torch():
    bad_calls = [
        lambda lib: lib.Timer(lambda: None),
        lambda lib: lib.Timer("x", global_setup="#include <vector>"),
        lambda lib: lib.Timer("x", language="fortran"),
        lambda lib: lib.Timer("x", language=lib.Language.CPP, globals={"a": 1}),
        lambda lib: lib.Timer("x", setup=lambda: None),
        lambda lib: lib.Timer("pass").repeat(),
        lambda lib: lib.Timer("pass").autorange(),
    ]
    for call in bad_calls:
        with pytest.raises(Exception) as theirs:
            call(tbench)
        with pytest.raises(type(theirs.value)) as ours:
            call(bench)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(NameError):  # errors of the statement itself come through
        bench.Timer("undefined_name").timeit(1)


def test_cpp_language_is_refused():
    for language in (bench.Language.CPP, "cpp", "c++"):
        with pytest.raises(NotImplementedError, match="C\\+\\+"):
            bench.Timer("at::Tensor x;", language=language)
    assert [(e.name, e.value) for e in bench.Language] == [(e.name, e.value) for e in tbench.Language]


def test_statement_text_is_dedented_like_torch():
    stmt = """
        y = x + 1
        z = y * 2
    """
    setup = "\n  x = 1\n"
    for kwargs in ({}, {"label": "L", "sub_label": "s", "description": "d", "env": "e", "num_threads": 2}):
        ours = bench.Timer(stmt, setup, **kwargs)._task_spec
        theirs = tbench.Timer(stmt, setup, **kwargs)._task_spec
        assert dataclass_fields(ours) == dataclass_fields(theirs)
        assert ours.summarize() == theirs.summarize()


def dataclass_fields(spec):
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


def test_benchmark_loads_only_on_import():
    code = textwrap.dedent("""
        import sys, {lib}, {lib}.utils
        print(hasattr({lib}.utils, "benchmark"), "{lib}.utils.benchmark" in sys.modules)
        import {lib}.utils.benchmark
        print({lib}.utils.benchmark.Timer.__name__)
    """)
    outputs = [subprocess.run([sys.executable, "-c", code.format(lib=lib)], capture_output=True, text=True,
                              check=True).stdout for lib in ("torchless", "torch")]
    assert outputs[0] == outputs[1] == "False False\nTimer\n"


RECIPE = '''
import torch
import torch.utils.benchmark as benchmark


def batched_dot_mul_sum(a, b):
    return a.mul(b).sum(-1)


print(benchmark.Timer("batched_dot_mul_sum(x, x)", setup="from __main__ import batched_dot_mul_sum",
                      globals={"x": torch.randn(100, 64)}).timeit(100))
results = []
for b in [1, 64]:
    for num_threads in [1, 2]:
        results.append(benchmark.Timer(
            "batched_dot_mul_sum(x, x)", setup="from __main__ import batched_dot_mul_sum",
            globals={"x": torch.ones((b, 32))}, num_threads=num_threads, label="Batched dot",
            sub_label=f"[{b}, 32]", description="mul/sum").blocked_autorange(min_run_time=0.01))
compare = benchmark.Compare(results)
compare.trim_significant_figures()
compare.print()
'''


def test_pytorch_benchmark_recipe_runs_unchanged(tmp_path):
    """PyTorch's benchmark tutorial code, run by torch and by torchless through as_torch: the same layout."""
    script = tmp_path / "recipe.py"
    script.write_text(RECIPE)
    outputs = [subprocess.run([sys.executable, *prefix, str(script)], capture_output=True, text=True, check=True,
                              timeout=120).stdout for prefix in ((), ("-m", "torchless.as_torch"))]
    for out, package in zip(outputs, ("torch", "torchless")):
        head, body = out.split("\n", 1)
        assert re.fullmatch(_REPR_HEAD.format(package), head)
        assert body.startswith("batched_dot_mul_sum(x, x)\nsetup: from __main__ import batched_dot_mul_sum\n  ")
        lines = body.splitlines()
        assert lines[3] == "  1 measurement, 100 runs , 1 thread"
        assert re.fullmatch(r"\[-+ Batched dot -+\]", lines[4])
        assert [line.split()[0] for line in lines[6:12]] == ["1", "[1,", "[64,", "2", "[1,", "[64,"]
        assert re.fullmatch(r"Times are in (nano|micro|milli)seconds \((ns|us|ms)\)\.", lines[13])


def parameters(function):
    """Names, kinds and defaults of a signature (a function default by its name)."""
    import inspect

    return [(p.name, p.kind, p.default.__name__ if callable(p.default) else repr(p.default))
            for p in inspect.signature(function).parameters.values()]


def test_signatures_match_torch():
    for owner, names in (("Timer", ["__init__", "timeit", "repeat", "autorange", "blocked_autorange",
                                    "adaptive_autorange", "collect_callgrind"]),
                         ("Compare", ["__init__", "extend_results", "trim_significant_figures", "colorize",
                                      "highlight_warnings", "print"]),
                         ("Measurement", ["__init__", "meets_confidence", "merge"]),
                         ("TaskSpec", ["__init__", "setup_str", "summarize"])):
        for name in names:
            ours, theirs = getattr(getattr(bench, owner), name), getattr(getattr(tbench, owner), name)
            assert parameters(ours) == parameters(theirs), (owner, name)
    for name in ("select_unit", "unit_to_english", "trim_sigfig", "ordered_unique", "set_torch_threads", "timer"):
        assert parameters(getattr(bench, name)) == parameters(getattr(tbench, name)), name
    assert [(c.name, c.value) for c in bench.Colorize] == [(c.name, c.value) for c in tbench.Colorize]


def ticking_clock():
    """A timer advancing by 1 per reading: every block takes exactly 1, whatever it runs."""
    ticks = iter(range(10 ** 9))
    return lambda: float(next(ticks))


def working_clock(state):
    """A timer reading 1 us per run of the statement (which counts its runs) plus 0.1 us per reading."""
    ticks = iter(range(10 ** 9))
    return lambda: state["runs"] * 1e-6 + next(ticks) * 1e-7


@pytest.mark.parametrize("clock, method, kwargs", [
    ("tick", "timeit", {"number": 10}),
    ("tick", "blocked_autorange", {}),
    ("tick", "adaptive_autorange", {}),
    ("tick", "adaptive_autorange", {"threshold": -1.0, "max_run_time": 6.0}),
    ("work", "timeit", {"number": 100}),
    ("work", "blocked_autorange", {"min_run_time": 0.02}),  # blocks of 1000 runs take 1 ms: 20 of them
    ("work", "adaptive_autorange", {"min_run_time": 0.01}),
])
def test_timer_with_a_given_clock_matches_torch(clock, method, kwargs):
    measured = []
    for lib in (bench, tbench):
        calls, state = [], {"runs": 0}
        timer = lib.Timer("state['runs'] += 1", globals={"state": state}, label="clocked", num_threads=2,
                          timer=ticking_clock() if clock == "tick" else working_clock(state))
        callback = {} if method == "timeit" else {"callback": lambda *args, calls=calls: calls.append(args)}
        m = getattr(timer, method)(**kwargs, **callback)
        measured.append((m.number_per_run, m.raw_times, calls, state["runs"], repr(m).split("\n", 1)[1]))
    assert measured[0] == measured[1]
    assert len(measured[0][1]) > 1 or method == "timeit" or clock == "tick"


@pytest.mark.parametrize("call", [
    lambda lib: lib.Timer("pass", num_threads=0).timeit(1),
    lambda lib: lib.Timer("pass", num_threads=1.5).timeit(1),
    lambda lib: repr(lib.Timer("pass").timeit(0)),
    lambda lib: lib.Timer("pass").timeit(10.0),
    lambda lib: lib.Timer("x = = 1"),
    lambda lib: lib.Timer("pass", setup="x = = 1"),
    lambda lib: lib.Timer("x").collect_callgrind(repeats=0),
    lambda lib: hash(lib.Measurement(1, [1.0], lib.TaskSpec("a", "b"))),
    lambda lib: setattr(lib.TaskSpec("a", "b"), "stmt", "x"),
    lambda lib: str(lib.Compare([lib.Measurement(1, [1e-6], lib.TaskSpec("a", "b", env="e", description="d")),
                                 lib.Measurement(1, [1e-6], lib.TaskSpec("c", "b", description="d"))])),
], ids=["threads0", "threads-float", "number0", "number-float", "syntax", "setup-syntax", "callgrind-repeats",
        "unhashable", "frozen-spec", "env-and-no-env"])
def test_more_errors_match_torch(call):
    same_error(call)


def test_empty_compare_and_python_language_names():
    assert str(bench.Compare([])) == str(tbench.Compare([])) == ""
    for language in ("py", "python", bench.Language.PYTHON):
        assert bench.Timer("x = 1", language=language).timeit(3).number_per_run == 3
