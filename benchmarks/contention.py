"""torchless vs PyTorch on a machine another process keeps busy: training steps and batch-1 latency.

    python benchmarks/contention.py [--busy N] [--markdown]

``run.py`` measures on a quiet machine and re-times whatever another process disturbed. Shared
machines are rarely quiet (CI runners, notebooks beside a data loader, containers given fewer cores
than they see), so this script does the opposite: it starts ``--busy`` processes spinning on the
CPU (default 1, half of a 2-core machine), then times the same training steps and batch-1
inferences as run.py, interleaved, with each library at its default thread count, and PyTorch
once more with one thread, the setting its documentation suggests when cores are shared. Ratios are
torchless time / torch time, as in run.py; no targets.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness as harness  # noqa: E402
import run  # noqa: E402

SPIN = "while True: pass"


def cases(ours, theirs):
    """(name, our callable, their callable) for every training step and batch-1 inference of run.py."""
    found = []
    batches = run.digit_batches(4, run.BATCH)
    image = run.digit_batches(1, 1, seed=2)[0][0]
    for name, build in run.MODELS.items():
        our_model, their_model = run.twin_models(build, ours, theirs)
        found.append((f"training step, {name}", run.training_step(ours, our_model, batches),
                      run.training_step(theirs, their_model, batches)))
    for name, build in run.MODELS.items():
        our_model, their_model = run.twin_models(build, ours, theirs)
        found.append((f"batch-1 latency, {name}", run.inference(ours, our_model, image),
                      run.inference(theirs, their_model, image)))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--busy", type=int, default=1, help="processes spinning on the CPU meanwhile (default 1)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    ours, theirs = run.load_libraries()
    torch = theirs.lib
    default_threads = torch.get_num_threads()
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(args.busy)]
    rows = []
    try:
        for name, our_call, their_call in cases(ours, theirs):
            # retries=0: the other processes' CPU use is the point here, not noise to re-time
            default = harness.compare(our_call, their_call, repeats=5, min_time=0.1, retries=0)
            torch.set_num_threads(1)
            try:
                single = harness.compare(our_call, their_call, repeats=5, min_time=0.1, retries=0)
            finally:
                torch.set_num_threads(default_threads)
            rows.append([name, harness.format_seconds(default.ours), harness.format_seconds(default.theirs),
                         f"{default.ratio:.2f}", harness.format_seconds(single.theirs), f"{single.ratio:.2f}"])
            print(f"  {name}: ratio {default.ratio:.2f} ({single.ratio:.2f} against one torch thread)",
                  file=sys.stderr, flush=True)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    title = (f"{args.busy} other process{'es' if args.busy != 1 else ''} busy on {harness.usable_cores()} cores: "
             f"torchless vs torch ({default_threads} threads, its default) and torch with 1 thread")
    headers = ["case", "torchless", f"torch, {default_threads} threads", "ratio", "torch, 1 thread", "ratio"]
    print(harness.render_table(title, headers, rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
