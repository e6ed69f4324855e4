"""Side-by-side timing of the random factories and in-place samplers, torchless against PyTorch (CPU).

Both libraries run in this process, taking turns case by case, after the same ``manual_seed`` (so that both draw
the same numbers: a case's first call also checks that they agree, bit for bit where torchless reproduces
PyTorch's stream, and reports ``differs`` otherwise). Each figure is the median of a few timed calls after an
untimed one, with a short sleep before each library's turn (PyTorch's worker threads keep spinning for a few
milliseconds after a call, which would otherwise slow the library timed next).

    python benchmarks/random_draws.py                        # every case at 1e3, 1e5 and 1e6 values
    python benchmarks/random_draws.py --sizes 1000,100000    # other sizes
    python benchmarks/random_draws.py --only randperm,randn  # cases whose name contains one of these
"""
import argparse
import statistics
import time

import numpy as np


def cases(L, n):
    """name -> a call drawing about ``n`` values with library ``L`` (torch or torchless)."""
    F = L.nn.functional
    return {
        "rand float32": lambda: L.rand(n),
        "rand float64": lambda: L.rand(n, dtype=L.float64),
        "randn float32": lambda: L.randn(n),
        "randn float64": lambda: L.randn(n, dtype=L.float64),
        "randn float16": lambda: L.randn(n, dtype=L.float16),
        "randint(0, 10)": lambda: L.randint(0, 10, (n,)),
        "randint(0, 2**40)": lambda: L.randint(0, 2**40, (n,)),
        "randperm": lambda: L.randperm(n),
        "normal(tensor, tensor)": lambda m=L.zeros(n), s=L.ones(n): L.normal(m, s),
        "bernoulli_(0.3)": lambda x=L.empty(n): x.bernoulli_(0.3),
        "bernoulli(tensor)": lambda p=L.full((n,), 0.3): L.bernoulli(p),
        "multinomial(10)": lambda w=L.ones(n): L.multinomial(w, 10),
        "multinomial replacement": lambda w=L.ones(100): L.multinomial(w, n, True),
        "dropout": lambda x=L.ones(n): F.dropout(x, 0.5),
        "uniform_ float32": lambda x=L.empty(n): x.uniform_(-2, 3),
        "uniform_ float64": lambda x=L.empty(n, dtype=L.float64): x.uniform_(-2, 3),
        "normal_ float32": lambda x=L.empty(n): x.normal_(1, 2),
        "normal_ float64": lambda x=L.empty(n, dtype=L.float64): x.normal_(1, 2),
        "normal_ not contiguous": lambda x=L.empty(n, 2): x[:, 0].normal_(),
        "exponential_ float32": lambda x=L.empty(n): x.exponential_(),
        "exponential_ float64": lambda x=L.empty(n, dtype=L.float64): x.exponential_(),
        "geometric_": lambda x=L.empty(n): x.geometric_(0.3),
        "cauchy_": lambda x=L.empty(n): x.cauchy_(),
        "log_normal_": lambda x=L.empty(n): x.log_normal_(),
        "random_() float32": lambda x=L.empty(n): x.random_(),
        "random_(0, 100) int64": lambda x=L.empty(n, dtype=L.int64): x.random_(0, 100),
        "rand_like": lambda x=L.empty(n): L.rand_like(x),
        "randn_like": lambda x=L.empty(n): L.randn_like(x),
        "randint_like": lambda x=L.empty(n): L.randint_like(x, 10),
    }


def _median_ms(call, repeats):
    time.sleep(0.01)
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _same(a, b):
    a, b = (np.ascontiguousarray(t.detach().numpy()) for t in (a, b))
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000", help="comma-separated value counts")
    parser.add_argument("--only", default="", help="comma-separated parts of case names")
    args = parser.parse_args()
    import torch

    import torchless

    wanted = [part for part in args.only.split(",") if part]
    print(f"{'case':28s} {'values':>8s} {'torch ms':>10s} {'torchless ms':>13s} {'ratio':>7s}")
    for n in (int(size) for size in args.sizes.split(",")):
        theirs, ours = cases(torch, n), cases(torchless, n)
        for name in theirs:
            if wanted and not any(part in name for part in wanted):
                continue
            torch.manual_seed(0)
            torchless.manual_seed(0)
            agree = _same(theirs[name](), ours[name]())
            once = _median_ms(ours[name], 1)
            repeats = max(3, min(30, int(300 / max(once, 1e-3))))
            torch_ms, torchless_ms = _median_ms(theirs[name], repeats), _median_ms(ours[name], repeats)
            print(f"{name:28s} {n:8d} {torch_ms:10.3f} {torchless_ms:13.3f} {torchless_ms / torch_ms:7.1f}"
                  + ("" if agree else "  differs"), flush=True)


if __name__ == "__main__":
    main()
