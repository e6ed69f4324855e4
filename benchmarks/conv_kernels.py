"""Side-by-side timing of torchless's NumPy convolution/pooling kernels and PyTorch (CPU).

Both run in this process on the same float32 inputs, taking turns: in each
round every function gets a short sleep, one untimed warm-up call and a few
timed calls; each figure is the median over all timed calls.  The sleep is
there because PyTorch's OpenMP workers and OpenBLAS's threads keep spinning for
a few milliseconds after they finish, and a library timed right after the
other one would otherwise lose up to half its CPU to them (in real use only one
of the two runs); the warm-up call absorbs the wake-up cost after the sleep,
which would otherwise add a fixed ~0.3 ms to every small call.

    python benchmarks/conv_kernels.py             # full table
    python benchmarks/conv_kernels.py --quick     # reduced version, < 30 s
    python benchmarks/conv_kernels.py --algorithms  # also time every applicable algorithm of each pass
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path


def _threads_from_argv(argv):
    """--threads must take effect before NumPy loads OpenBLAS, so it is read here, early."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


if _threads_from_argv(sys.argv) is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _threads_from_argv(sys.argv)

import numpy as np  # noqa: E402

try:
    import torchless._kernels.conv  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from cases import CONV_CASES as CASES, POOL_SHAPE  # noqa: E402
from torchless._kernels import conv, pool  # noqa: E402

COOLDOWN_S = 0.015


STATISTIC = np.median
CLOCK = time.perf_counter


def summary_ms(times):
    return float(STATISTIC(times)) * 1e3


def time_interleaved(functions, rounds, calls_per_round=3):
    """Summary milliseconds of each function, taking turns for ``rounds`` rounds.

    In each round every function gets a cooldown, one untimed call (it absorbs the
    wake-up from the sleep and re-warms caches) and ``calls_per_round`` timed calls.
    """
    times = [[] for _ in functions]
    for _ in range(rounds):
        for f, bucket in zip(functions, times):
            time.sleep(COOLDOWN_S)
            f()
            for _ in range(calls_per_round):
                start = CLOCK()
                f()
                bucket.append(CLOCK() - start)
    return [summary_ms(t) for t in times]


class ConvCase:
    def __init__(self, spec, seed=0):
        self.spec = spec
        N, C, H, W, O, k, s, p = spec
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((N, C, H, W), dtype=np.float32)
        self.w = (rng.standard_normal((O, C, k, k), dtype=np.float32) / np.float32(math.sqrt(C * k * k)))
        self.args = ((s, s), ((p, p), (p, p)), (1, 1), 1)
        self.kernel_hw = (k, k)
        Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        self.gy = rng.standard_normal((N, O, Ho, Wo), dtype=np.float32)
        self.flops = 2.0 * N * O * C * k * k * Ho * Wo  # one pass; backward is two more
        self.xt, self.wt, self.gyt = (torch.from_numpy(a) for a in (self.x, self.w, self.gy))
        self.xt_grad = self.xt.clone().requires_grad_()
        self.wt_grad = self.wt.clone().requires_grad_()
        self.stride, self.padding = s, p

    def ours_forward(self, algorithm=None):
        return conv.conv2d_forward(self.x, self.w, *self.args, algorithm=algorithm)

    def ours_forward_backward(self):
        y = conv.conv2d_forward(self.x, self.w, *self.args)
        gx = conv.conv2d_backward_input(self.gy, self.w, self.x.shape[2:], *self.args)
        gw = conv.conv2d_backward_weight(self.gy, self.x, self.kernel_hw, *self.args)
        return y, gx, gw

    def torch_forward(self):
        with torch.no_grad():
            return F.conv2d(self.xt, self.wt, stride=self.stride, padding=self.padding)

    def torch_forward_backward(self):
        y = F.conv2d(self.xt_grad, self.wt_grad, stride=self.stride, padding=self.padding)
        return torch.autograd.grad(y, (self.xt_grad, self.wt_grad), self.gyt)

    def check(self):
        """Guard against benchmarking something wrong: our results must match PyTorch's."""
        for ours, theirs in zip(self.ours_forward_backward(),
                                (self.torch_forward(), *self.torch_forward_backward())):
            theirs = theirs.numpy()
            error = np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-30)
            assert ours.dtype == np.float32 and error < 1e-4, f"{self.spec}: relative error {error:.2e}"


def compare_each_algorithm(case, repeats):
    """Time every applicable algorithm of each pass (the dispatcher's choice is marked with *)."""
    hw = case.x.shape[2:]
    passes = [
        ("forward", conv.FORWARD, (case.x.shape, case.w.shape, *case.args),
         conv.choose_forward(case.x.shape, case.w.shape, *case.args, dtype=case.x.dtype),
         lambda n: conv.conv2d_forward(case.x, case.w, *case.args, algorithm=n)),
        ("input grad", conv.BACKWARD_INPUT, (case.gy.shape, case.w.shape, hw, *case.args),
         conv.choose_backward_input(case.gy.shape, case.w.shape, hw, *case.args, dtype=case.x.dtype),
         lambda n: conv.conv2d_backward_input(case.gy, case.w, hw, *case.args, algorithm=n)),
        ("weight grad", conv.BACKWARD_WEIGHT, (case.gy.shape, case.x.shape, case.kernel_hw, *case.args),
         conv.choose_backward_weight(case.gy.shape, case.x.shape, case.kernel_hw, *case.args, dtype=case.x.dtype),
         lambda n: conv.conv2d_backward_weight(case.gy, case.x, case.kernel_hw, *case.args, algorithm=n)),
    ]
    for label, table, shapes, chosen, run in passes:
        names = [name for name, (applies, _) in table.items() if applies(*shapes)]
        timings = time_interleaved([lambda n=n: run(n) for n in names], repeats)
        print(f"    {label} by algorithm: "
              + ", ".join(f"{n}{'*' if n == chosen else ''} {t:.2f} ms" for n, t in zip(names, timings)))


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def run_convolutions(cases, repeats, compare_algorithms):
    header = (f"{'N, Cin, H, W, Cout, k, s, p':<30}{'algorithm':>11} | {'fwd ms':>8}{'torch':>8}{'ratio':>7}{'GF/s':>7}"
              f" | {'fwd+bwd':>8}{'torch':>8}{'ratio':>7}{'GF/s':>7}")
    print(header)
    print("-" * len(header))
    forward_ratios, training_ratios = [], []
    for spec in cases:
        case = ConvCase(spec)
        case.check()
        ours_f, torch_f, ours_fb, torch_fb = time_interleaved(
            [case.ours_forward, case.torch_forward, case.ours_forward_backward, case.torch_forward_backward],
            repeats)
        forward_ratios.append(ours_f / torch_f)
        training_ratios.append(ours_fb / torch_fb)
        algorithm = conv.choose_forward(case.x.shape, case.w.shape, *case.args)
        print(f"{str(spec):<30}{algorithm:>11} | {ours_f:8.2f}{torch_f:8.2f}{ours_f / torch_f:7.2f}"
              f"{case.flops / ours_f / 1e6:7.0f} | {ours_fb:8.2f}{torch_fb:8.2f}{ours_fb / torch_fb:7.2f}"
              f"{3 * case.flops / ours_fb / 1e6:7.0f}", flush=True)
        if compare_algorithms:
            compare_each_algorithm(case, repeats)
    print("-" * len(header))
    print(f"geometric mean ratio: forward {geomean(forward_ratios):.2f} (max {max(forward_ratios):.2f}), "
          f"forward+backward {geomean(training_ratios):.2f} (max {max(training_ratios):.2f})")


def run_pooling(repeats):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(POOL_SHAPE, dtype=np.float32)
    xt = torch.from_numpy(x)
    xt_grad = xt.clone().requires_grad_()
    half = (POOL_SHAPE[0], POOL_SHAPE[1], POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2)
    gy = rng.standard_normal(half, dtype=np.float32)
    gyt = torch.from_numpy(gy)
    k = (2, 2)

    def ours_max():
        y, idx = pool.max_pool2d_forward(x, k, k, (0, 0), (1, 1), False)
        return pool.max_pool2d_backward(gy, idx, x.shape)

    def torch_max():
        y = F.max_pool2d(xt_grad, 2)
        return torch.autograd.grad(y, xt_grad, gyt)

    def ours_avg():
        pool.avg_pool2d_forward(x, k, k, (0, 0), False, True, None)
        return pool.avg_pool2d_backward(gy, x.shape, k, k, (0, 0), False, True, None)

    def torch_avg():
        y = F.avg_pool2d(xt_grad, 2)
        return torch.autograd.grad(y, xt_grad, gyt)

    def ours_max_forward():
        return pool.max_pool2d_forward(x, k, k, (0, 0), (1, 1), False)

    def torch_max_forward():
        with torch.no_grad():
            return F.max_pool2d(xt, 2, return_indices=True)

    def ours_avg_forward():
        return pool.avg_pool2d_forward(x, k, k, (0, 0), False, True, None)

    def torch_avg_forward():
        with torch.no_grad():
            return F.avg_pool2d(xt, 2)

    print(f"\npooling on {POOL_SHAPE}, 2x2 window, stride 2")
    rows = [("max_pool2d forward", ours_max_forward, torch_max_forward),
            ("max_pool2d fwd+bwd", ours_max, torch_max),
            ("avg_pool2d forward", ours_avg_forward, torch_avg_forward),
            ("avg_pool2d fwd+bwd", ours_avg, torch_avg)]
    for name, ours, theirs in rows:
        t_ours, t_torch = time_interleaved([ours, theirs], repeats)
        print(f"  {name:<20} torchless {t_ours:7.3f} ms   torch {t_torch:7.3f} ms   ratio {t_ours / t_torch:5.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (finishes in < 30 s)")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (each with 3 timed calls per function)")
    parser.add_argument("--algorithms", action="store_true", help="also time every applicable algorithm of each pass")
    parser.add_argument("--cases", type=str, default=None, help="comma-separated case numbers (0-based)")
    parser.add_argument("--no-pool", action="store_true")
    parser.add_argument("--statistic", choices=["median", "min"], default="median",
                        help="min is steadier on a busy machine; the reported figures default to medians")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both libraries (default: their own defaults)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu (process CPU time) is a steadier proxy on a busy machine, with --threads 1")
    args = parser.parse_args(argv)
    global STATISTIC, CLOCK
    STATISTIC = {"median": np.median, "min": np.min}[args.statistic]
    CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}[args.clock]
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = args.repeats or (2 if args.quick else 6)
    cases = CASES if args.cases is None else [CASES[int(i)] for i in args.cases.split(",")]
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"float32, {args.statistic} of {3 * repeats} calls, {args.clock} clock\n")
    run_convolutions(cases, repeats, args.algorithms)
    if not args.no_pool:
        run_pooling(repeats)


if __name__ == "__main__":
    main()
