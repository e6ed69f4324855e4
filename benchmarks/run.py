"""torchless vs PyTorch, side by side: convolutions, pooling, training steps, latency, import and memory.

    python benchmarks/run.py [--quick] [--markdown] [--section conv|pool|train|latency|system]

Both libraries run in this one process on the same float32 inputs, through their public APIs
(autograd included), with each library's default thread count. Timings are interleaved medians
after warm-up (see ``_harness.py``); ratios are torchless time / torch time, so below 1 torchless is
faster. The targets are checked and printed as PASS/FAIL; without ``--quick`` the exit status is 1
if one fails (or could not be measured). ``--quick`` is CI's smoke test: fewer repeats, no large
convolutions, exit status 0 whatever the targets say.
"""
import argparse
import gc
import itertools
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness as harness  # noqa: E402
from cases import CONV_CASES, POOL_SHAPE  # noqa: E402

BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("conv", "pool", "train", "latency", "system")
QUICK_CONV_MAX_GFLOP = 0.5  # --quick skips the convolutions whose forward costs more than this
BATCH = 64
RSS_STEPS = 200
QUICK_RSS_STEPS = 50


@dataclass
class Settings:
    quick: bool
    markdown: bool
    repeats: int
    min_time: float
    retries: int  # re-timings of a repeat during which other processes used the CPU


@dataclass
class Target:
    name: str
    limit: float
    measured: float = float("nan")
    note: str = ""

    @property
    def passed(self):
        return self.measured == self.measured and self.measured <= self.limit


@dataclass
class Case:
    """One row of a section: two zero-argument callables to time, and what to say about them."""

    name: str
    ours: object
    theirs: object
    flop: float = None
    check: object = None  # returns None if both libraries computed the same thing, else why not


@dataclass
class Result:
    case: Case
    comparison: harness.Comparison = None
    error: str = ""


# --- the two libraries, behind one interface ---------------------------------------------------

class Library:
    """torch or torchless, seen through the names both share."""

    def __init__(self, module):
        import importlib
        self.name = module.__name__
        self.lib = module
        self.nn = importlib.import_module(f"{self.name}.nn")
        self.F = importlib.import_module(f"{self.name}.nn.functional")
        self.optim = importlib.import_module(f"{self.name}.optim")

    def tensor(self, array, requires_grad=False):
        return self.lib.tensor(array, requires_grad=requires_grad)


def load_libraries():
    """(torchless, torch); only torch's absence raises ImportError, torchless's failures propagate."""
    import torchless
    ours = Library(torchless)
    import torch
    return ours, Library(torch)


def to_numpy(tensor):
    return tensor.detach().numpy()


def close(ours, theirs, rtol=1e-3, atol_scale=1e-4):
    """None if two float32 results agree (absolute tolerance scaled to their size), else how they differ."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return f"shapes differ: {ours.shape} vs {theirs.shape}"
    atol = atol_scale * max(1.0, float(np.abs(theirs).max(initial=0.0)))
    if not np.allclose(ours, theirs, rtol=rtol, atol=atol):
        return f"results differ (max |diff| {np.abs(ours - theirs).max():.3g})"
    return None


# --- the models, written once for either library ------------------------------------------------

def course_cnn(nn):
    """The course's CNN: conv 1->5 and 5->10 (3x3, padding 1), ReLU, 2x2 max-pool, Linear 490->10."""
    class CourseCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=5, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(in_channels=5, out_channels=10, kernel_size=3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc = nn.Linear(7 * 7 * 10, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            return self.fc(x.view(-1, 7 * 7 * 10))
    return CourseCNN()


def mnist_cnn(nn):
    """PyTorch's examples/mnist CNN: conv 1->32, conv 32->64 (3x3), ReLU, max-pool 2, dropout, 9216->128->10."""
    class MnistCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.pool = nn.MaxPool2d(2)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.conv2(self.relu(self.conv1(x)))))
            x = self.dropout1(x).flatten(1)
            x = self.dropout2(self.relu(self.fc1(x)))
            return self.fc2(x)
    return MnistCNN()


MODELS = {"course CNN": course_cnn, "classic MNIST CNN": mnist_cnn}


def twin_models(build, ours, theirs):
    """The same model in both libraries, torchless's holding a copy of torch's initial weights."""
    theirs.lib.manual_seed(0)
    ours.lib.manual_seed(0)
    their_model = build(theirs.nn)
    our_model = build(ours.nn)
    our_model.load_state_dict({key: ours.lib.tensor(to_numpy(value))
                               for key, value in their_model.state_dict().items()})
    return our_model, their_model


def digit_batches(count, batch, seed=0):
    """Random MNIST-shaped float32 images in [0, 1) with int64 labels, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    return [(rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch))
            for _ in range(count)]


def training_step(library, model, batches):
    """A closure doing one Adam training step per call, cycling through ``batches``."""
    criterion = library.nn.CrossEntropyLoss()
    optimizer = library.optim.Adam(model.parameters(), lr=1e-3)
    tensors = itertools.cycle([(library.tensor(x), library.tensor(y)) for x, y in batches])
    model.train()

    def step():
        images, labels = next(tensors)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def training_rss_child(library_name, steps):
    """Entry point of the memory child process: train the course CNN, print its peak RSS as JSON."""
    import importlib
    library = Library(importlib.import_module(library_name))
    library.lib.manual_seed(0)
    step = training_step(library, course_cnn(library.nn), digit_batches(4, BATCH))
    for _ in range(steps):
        step()
    print(json.dumps({"peak_rss_kib": harness.peak_rss_kib()}))


# --- sections: each returns (tables, targets) ----------------------------------------------------

def run_cases(cases, settings):
    results = []
    for case in cases:
        try:
            mismatch = case.check() if case.check else None
            if mismatch:
                results.append(Result(case, error=mismatch))
                continue
            comparison = harness.compare(case.ours, case.theirs, settings.repeats, settings.min_time,
                                         retries=settings.retries)
            results.append(Result(case, comparison))
        except Exception as error:  # a broken case must not hide the others
            results.append(Result(case, error=f"{type(error).__name__}: {error}"))
        print(f"  {case.name}: {describe(results[-1])}", file=sys.stderr, flush=True)
    return results


def describe(result):
    if result.error:
        return f"ERROR {result.error}"
    return f"ratio {result.comparison.ratio:.2f}"


def ratio_table(title, results, settings, first_header="case"):
    """Median times, GFLOP/s where a FLOP count is known, ratios and their geometric mean."""
    with_flop = any(r.case.flop for r in results)
    headers = [first_header, "torchless", "torch"]
    if with_flop:
        headers += ["torchless GFLOP/s", "torch GFLOP/s"]
    headers += ["ratio"]
    rows = []
    for result in results:
        if result.error:
            rows.append([result.case.name] + ["-"] * (len(headers) - 2) + [f"ERROR: {result.error}"])
            continue
        c = result.comparison
        row = [result.case.name, harness.format_seconds(c.ours), harness.format_seconds(c.theirs)]
        if with_flop:
            row += [harness.format_number(result.case.flop / c.ours / 1e9 if result.case.flop else None),
                    harness.format_number(result.case.flop / c.theirs / 1e9 if result.case.flop else None)]
        rows.append(row + [f"{c.ratio:.2f}"])
    ratios = [r.comparison.ratio for r in results if not r.error]
    rows.append(["geometric mean"] + [""] * (len(headers) - 2) + [f"{harness.geometric_mean(ratios):.2f}"])
    return harness.render_table(title, headers, rows, settings.markdown)


def ratio_targets(name, results, mean_limit, max_limit=None):
    """Targets on the geometric mean (and the worst case) of a section's ratios; any error fails them."""
    failed = [r.case.name for r in results if r.error]
    ratios = [r.comparison.ratio for r in results if not r.error]
    note = f"not measured: {', '.join(failed)}" if failed else ""
    value = float("nan") if failed or not ratios else harness.geometric_mean(ratios)
    targets = [Target(f"{name}: geometric mean of ratios", mean_limit, value, note)]
    if max_limit is not None:
        worst = float("nan") if failed or not ratios else max(ratios)
        targets.append(Target(f"{name}: worst case ratio", max_limit, worst, note))
    return targets


def conv_output_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def conv_section(ours, theirs, settings):
    rng = np.random.default_rng(0)
    forward, backward = [], []
    for n, c_in, h, w, c_out, k, stride, padding in CONV_CASES:
        h_out, w_out = conv_output_size(h, k, stride, padding), conv_output_size(w, k, stride, padding)
        flop = 2 * n * c_out * h_out * w_out * c_in * k * k
        if settings.quick and flop > QUICK_CONV_MAX_GFLOP * 1e9:
            continue
        x = rng.standard_normal((n, c_in, h, w), dtype=np.float32)
        weight = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32) / np.sqrt(c_in * k * k, dtype=np.float32)
        bias = rng.standard_normal(c_out, dtype=np.float32)
        upstream = rng.standard_normal((n, c_out, h_out, w_out), dtype=np.float32)
        name = f"{n}x{c_in}x{h}x{w} -> {c_out}, k{k} s{stride} p{padding}"
        forward.append(conv_case(name, flop, ours, theirs, x, weight, bias, None, stride, padding))
        backward.append(conv_case(name, 3 * flop, ours, theirs, x, weight, bias, upstream, stride, padding))
    forward_results = run_cases(forward, settings)
    backward_results = run_cases(backward, settings)
    tables = [ratio_table("conv2d forward (F.conv2d, input and weight requiring grad)", forward_results, settings),
              ratio_table("conv2d forward+backward (fixed upstream gradient; grads of input and weight)",
                          backward_results, settings)]
    targets = (ratio_targets("conv2d forward", forward_results, 1.25, 2.0)
               + ratio_targets("conv2d forward+backward", backward_results, 1.5, 2.5))
    return tables, targets


def conv_case(name, flop, ours, theirs, x, weight, bias, upstream, stride, padding):
    """Forward (upstream None) or forward+backward of F.conv2d in each library, and their agreement."""
    def closure(library):
        xt, wt = library.tensor(x, requires_grad=True), library.tensor(weight, requires_grad=True)
        bt = library.tensor(bias)
        gt = None if upstream is None else library.tensor(upstream)

        def run():
            y = library.F.conv2d(xt, wt, bt, stride=stride, padding=padding)
            if gt is None:
                return (y,)
            xt.grad = wt.grad = None
            y.backward(gt)
            return xt.grad, wt.grad
        return run

    ours_run, theirs_run = closure(ours), closure(theirs)

    def check():
        for mine, reference in zip(ours_run(), theirs_run()):
            mismatch = close(to_numpy(mine), to_numpy(reference))
            if mismatch:
                return mismatch
        return None
    return Case(name, ours_run, theirs_run, flop, check)


def pool_section(ours, theirs, settings):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(POOL_SHAPE, dtype=np.float32)
    upstream = rng.standard_normal(POOL_SHAPE[:2] + (POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2), dtype=np.float32)
    cases = []
    for function in ("max_pool2d", "avg_pool2d"):
        for with_backward in (False, True):
            label = f"F.{function}(x, 2) {'forward+backward' if with_backward else 'forward'}"
            cases.append(pool_case(label, function, ours, theirs, x, upstream if with_backward else None))
    results = run_cases(cases, settings)
    title = f"pooling 2x2 on {'x'.join(map(str, POOL_SHAPE))} (input requiring grad)"
    return [ratio_table(title, results, settings)], []


def pool_case(name, function, ours, theirs, x, upstream):
    def closure(library):
        xt = library.tensor(x, requires_grad=True)
        gt = None if upstream is None else library.tensor(upstream)
        pool = getattr(library.F, function)

        def run():
            y = pool(xt, 2)
            if gt is None:
                return y
            xt.grad = None
            y.backward(gt)
            return xt.grad
        return run

    ours_run, theirs_run = closure(ours), closure(theirs)
    return Case(name, ours_run, theirs_run, check=lambda: close(to_numpy(ours_run()), to_numpy(theirs_run())))


def same_predictions(our_model, their_model, ours, theirs, images):
    """None if both models (in eval mode) give the same logits on ``images``: the weights were copied."""
    our_model.eval()
    their_model.eval()
    with ours.lib.no_grad(), theirs.lib.no_grad():
        return close(to_numpy(our_model(ours.tensor(images))), to_numpy(their_model(theirs.tensor(images))))


def train_section(ours, theirs, settings):
    batches = digit_batches(4, BATCH)
    cases = []
    for name, build in MODELS.items():
        our_model, their_model = twin_models(build, ours, theirs)
        check = (lambda a=our_model, b=their_model: same_predictions(a, b, ours, theirs, batches[0][0]))
        our_step = training_step(ours, our_model, batches)
        their_step = training_step(theirs, their_model, batches)
        cases.append(Case(name, our_step, their_step, check=check))
    results = run_cases(cases, settings)
    headers = ["model", "torchless", "torch", "torchless steps/s", "torch steps/s", "ratio"]
    rows = []
    for result in results:
        if result.error:
            rows.append([result.case.name, "-", "-", "-", "-", f"ERROR: {result.error}"])
            continue
        c = result.comparison
        rows.append([result.case.name, harness.format_seconds(c.ours), harness.format_seconds(c.theirs),
                     harness.format_number(1 / c.ours), harness.format_number(1 / c.theirs), f"{c.ratio:.2f}"])
    ratios = [r.comparison.ratio for r in results if not r.error]
    rows.append(["geometric mean", "", "", "", "", f"{harness.geometric_mean(ratios):.2f}"])
    title = f"training step, batch {BATCH} (zero_grad, forward, CrossEntropyLoss, backward, Adam step)"
    limits = {"course CNN": 1.0, "classic MNIST CNN": 1.5}
    return [harness.render_table(title, headers, rows, settings.markdown)], model_targets(
        "training step", results, limits)


def model_targets(what, results, limits):
    targets = []
    for result in results:
        if result.case.name in limits:
            measured = float("nan") if result.error else result.comparison.ratio
            targets.append(Target(f"{what}, {result.case.name}: ratio", limits[result.case.name], measured,
                                  result.error))
    return targets


def latency_section(ours, theirs, settings):
    image = digit_batches(1, 1, seed=2)[0][0]
    cases = []
    for name, build in MODELS.items():
        our_model, their_model = twin_models(build, ours, theirs)
        cases.append(Case(name, inference(ours, our_model, image), inference(theirs, their_model, image),
                          check=lambda a=our_model, b=their_model: same_predictions(a, b, ours, theirs, image)))
    results = run_cases(cases, settings)
    title = "batch-1 inference latency (eval mode, no_grad)"
    table = ratio_table(title, results, settings, first_header="model")
    return [table], model_targets("batch-1 latency", results, {"course CNN": 1.0})


def inference(library, model, image):
    model.eval()
    x = library.tensor(image)

    def run():
        with library.lib.no_grad():
            return model(x)
    return run


def system_section(ours, theirs, settings):
    python = sys.executable
    repeats = 3 if settings.quick else 7
    # An installed package imports from bytecode compiled at install time; an editable install
    # under PYTHONDONTWRITEBYTECODE would recompile torchless's sources on every import. So the
    # import children may write bytecode, and the warm-up run does.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    startup = harness.compare_commands([python, "-c", "pass"], [python, "-c", "pass"], repeats, env=env,
                                       retries=settings.retries)
    imports = harness.compare_commands([python, "-c", "import torchless"], [python, "-c", "import torch"],
                                       repeats, env=env, retries=settings.retries)
    steps = QUICK_RSS_STEPS if settings.quick else RSS_STEPS
    child = "import sys; sys.path.insert(0, {!r}); import run; run.training_rss_child({!r}, {})"
    memory = {name: json.loads(harness.child_output([python, "-c", child.format(BENCHMARKS_DIR, name, steps)]))
              for name in ("torchless", "torch")}
    ours_mib, theirs_mib = (memory[name]["peak_rss_kib"] / 1024 for name in ("torchless", "torch"))
    rows = [
        ["import time (python -c 'import X', wall)", harness.format_seconds(imports.ours),
         harness.format_seconds(imports.theirs), f"{imports.ratio:.2f}"],
        [f"peak RSS, {steps} training steps of the course CNN", f"{ours_mib:.0f} MiB", f"{theirs_mib:.0f} MiB",
         f"{ours_mib / theirs_mib:.2f}"],
    ]
    title = (f"import time and memory, fresh subprocesses (interpreter start-up alone: "
             f"{harness.format_seconds(startup.ours)}, included in the import times)")
    table = harness.render_table(title, ["measure", "torchless", "torch", "ratio"], rows, settings.markdown)
    targets = [Target("import time: ratio", 0.25, imports.ratio),
               Target(f"peak RSS of {steps} training steps: ratio", 1.0, ours_mib / theirs_mib)]
    return [table], targets


SECTION_RUNNERS = {"conv": conv_section, "pool": pool_section, "train": train_section,
                   "latency": latency_section, "system": system_section}
# What each section promises to measure, so a section that crashes still reports its targets as failed.
SECTION_TARGETS = {
    "conv": [Target("conv2d forward: geometric mean of ratios", 1.25), Target("conv2d forward: worst case ratio", 2.0),
             Target("conv2d forward+backward: geometric mean of ratios", 1.5),
             Target("conv2d forward+backward: worst case ratio", 2.5)],
    "pool": [],
    "train": [Target("training step, course CNN: ratio", 1.0), Target("training step, classic MNIST CNN: ratio", 1.5)],
    "latency": [Target("batch-1 latency, course CNN: ratio", 1.0)],
    "system": [Target("import time: ratio", 0.25), Target("peak RSS of training steps: ratio", 1.0)],
}


# --- output ----------------------------------------------------------------------------------------

def machine_report(theirs, settings):
    matmul = harness.numpy_matmul_gflops(2048, settings.repeats, settings.min_time, settings.retries)
    torch_matmul = harness.torch_matmul_gflops(theirs.lib, 2048, settings.repeats, settings.min_time, settings.retries)
    facts = [
        ("CPU", f"{harness.cpu_model()}, {harness.usable_cores()} cores"),
        ("Python", platform.python_version()),
        ("NumPy", f"{np.__version__} ({harness.blas_kernels() or 'BLAS not identified'})"),
        ("torch", f"{theirs.lib.__version__} ({theirs.lib.get_num_threads()} threads, its default; CPU capability "
                  f"{theirs.lib.backends.cpu.get_cpu_capability()})"),
        ("float32 matmul 2048x2048", f"NumPy {matmul:.0f} GFLOP/s, torch {torch_matmul:.0f} GFLOP/s"),
        ("timing", f"medians of {settings.repeats} interleaved repeats of >= {settings.min_time * 1000:.0f} ms "
                   "after warm-up; ratio = torchless time / torch time"),
    ]
    if settings.markdown:
        return "\n".join(f"- **{key}**: {value}" for key, value in facts) + "\n"
    return "\n".join(f"{key + ':':<26}{value}" for key, value in facts) + "\n"


def targets_report(targets, settings):
    rows = [[t.name, "-" if t.measured != t.measured else f"{t.measured:.2f}", f"<= {t.limit:g}",
             ("PASS" if t.passed else "FAIL") + (f" ({t.note})" if t.note else "")] for t in targets]
    return harness.render_table("targets (torchless / torch)", ["target", "measured", "limit", "result"], rows,
                                settings.markdown)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="reduced run for CI (under a minute): fewer repeats, no large convolutions; exit 0")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--section", choices=SECTIONS, help="run only this section")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = Settings(args.quick, args.markdown, repeats=3 if args.quick else 5, min_time=0.05,
                        retries=0 if args.quick else 3)
    try:
        ours, theirs = load_libraries()
    except ImportError as error:
        print(f"benchmarks/run.py compares torchless with PyTorch, which cannot be imported ({error}).\n"
              "Install the peer to compare against: pip install torch", file=sys.stderr)
        # Quick mode is CI's smoke test, which must not fail for want of the peer; a full run
        # that could not check the targets must not look like a pass.
        return 0 if args.quick else 2
    # Neither library's timings should pay for collecting the other's objects (torch's import
    # alone makes a full collection take ~0.1 s): a torchless program has no torch objects.
    gc.freeze()

    print(machine_report(theirs, settings))
    targets = []
    for section in [args.section] if args.section else SECTIONS:
        print(f"running {section} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            tables, section_targets = SECTION_RUNNERS[section](ours, theirs, settings)
            print(f"{section} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        except Exception as error:
            traceback.print_exc()
            print(f"section {section} could not run: {type(error).__name__}: {error}\n")
            targets += [Target(t.name, t.limit, note=f"section failed: {type(error).__name__}")
                        for t in SECTION_TARGETS[section]]
            continue
        for table in tables:
            print(table, flush=True)
        targets += section_targets
    if targets:
        print(targets_report(targets, settings))
    print(f"noise: {harness.WATCH.summary()}")
    failed = [t for t in targets if not t.passed]
    if settings.quick:
        print("quick mode: targets reported only, exit status 0")
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
