"""torchless.explain.conv and ``torchless explain conv``: sizes, counts, pixel usage vs brute force and torch."""
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
from helpers import examples

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    return subprocess.run([sys.executable, "-m", "torchless.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def brute_force_usage(h, w, k, s, p, d):
    """Slide the kernel over the zero-padded input position by position and count every real pixel read."""
    counts = np.zeros((h, w), np.int64)
    top = 0
    while top + d[0] * (k[0] - 1) < h + 2 * p[0]:
        left = 0
        while left + d[1] * (k[1] - 1) < w + 2 * p[1]:
            for a in range(k[0]):
                for b in range(k[1]):
                    r, c = top + a * d[0] - p[0], left + b * d[1] - p[1]
                    if 0 <= r < h and 0 <= c < w:
                        counts[r, c] += 1
            left += s[1]
        top += s[0]
    return counts


def brute_force_output_size(n, k, s, p, d):
    """How many kernel placements fit in the padded input, counted one by one."""
    return sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)


def test_course_example_numbers():
    e = torchless.explain.conv((1, 28, 28), out_channels=6, kernel_size=3, stride=1, padding=1)
    assert e.output_shape == (6, 28, 28)
    assert (e.weights, e.biases, e.params) == (6 * 1 * 3 * 3, 6, 60)
    assert e.mult_adds == 6 * 28 * 28 * 1 * 3 * 3
    # The course's "why padding": without padding the corner pixel is used once, the centre 9 times.
    assert (e.corner_uses, e.edge_uses, e.centre_uses) == (4, 6, 9)
    assert (e.usage_without_padding[0, 0], e.usage_without_padding[0, 14], e.usage_without_padding[14, 14]) == (1, 3, 9)
    text = str(e)
    assert "H_out = floor((28 + 2*1 - 1*(3 - 1) - 1) / 1) + 1 = floor(27 / 1) + 1 = 27 + 1 = 28" in text
    assert "weights = out_channels x in_channels/groups x kH x kW = 6 x 1 x 3 x 3 = 54" in text
    assert "6 x 28 x 28 x 1 x 3 x 3 = 42,336" in text
    assert "Without padding a corner pixel is used once and a centre pixel 9 times" in text


def test_strided_formula_floors_and_reports_unused_pixels():
    e = torchless.explain.conv((1, 8, 8), kernel_size=3, stride=3)
    assert e.output_hw == (2, 2)
    assert "floor((8 + 2*0 - 1*(3 - 1) - 1) / 3) + 1 = floor(5 / 3) + 1 = 1 + 1 = 2" in str(e)
    assert e.unused_pixels == 8 * 8 - 6 * 6  # the last two rows and columns fit no third placement
    assert "28 of the 64 input pixels are never used" in str(e)


GRID = list(itertools.product([1, 2, 5, 7, 28], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]))


def explained_size(n, k, s, p, d):
    """explain.conv's (H_out, W_out) for a square input, or None when it says the kernel does not fit."""
    try:
        return torchless.explain.conv((1, n, n), kernel_size=k, stride=s, padding=p, dilation=d).output_hw
    except RuntimeError as err:  # (what nn.Conv2d's call raises)
        assert "Kernel size can't be greater than actual input size" in str(err)
        return None


def test_output_size_matches_brute_force_over_a_grid():
    for n, k, s, p, d in GRID:
        fits = n + 2 * p >= d * (k - 1) + 1
        expected = brute_force_output_size(n, k, s, p, d)
        assert explained_size(n, k, s, p, d) == ((expected, expected) if fits else None), (n, k, s, p, d)


def test_output_size_matches_torch_over_a_grid():
    torch = pytest.importorskip("torch")
    for n, k, s, p, d in GRID:
        try:
            conv = torch.nn.functional.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p,
                                              dilation=d)
            torch_size = tuple(conv.shape[2:])
        except RuntimeError:
            torch_size = None
        assert explained_size(n, k, s, p, d) == torch_size, (n, k, s, p, d)


sizes = st.integers(1, 9)
pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi))


@examples(60)
@given(h=sizes, w=sizes, k=pairs(1, 4), s=pairs(1, 3), p=pairs(0, 2), d=pairs(1, 2))
def test_usage_matches_brute_force(h, w, k, s, p, d):
    if h + 2 * p[0] < d[0] * (k[0] - 1) + 1 or w + 2 * p[1] < d[1] * (k[1] - 1) + 1:
        return
    e = torchless.explain.conv((2, h, w), out_channels=2, kernel_size=k, stride=s, padding=p, dilation=d)
    np.testing.assert_array_equal(e.usage, brute_force_usage(h, w, k, s, p, d))
    assert e.output_hw == (brute_force_output_size(h, k[0], s[0], p[0], d[0]),
                           brute_force_output_size(w, k[1], s[1], p[1], d[1]))
    assert e.weights == 2 * 2 * k[0] * k[1]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding, stride, dilation", [(1, 1, 1), (0, 2, 1), (2, 3, 2), ("same", 1, 2), ("same", 1, 1)])
def test_usage_is_torch_gradient_of_an_all_ones_filter(padding, stride, dilation):
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, 9, 8, requires_grad=True)
    weight = torch.ones(1, 1, 4, 3)
    torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation).sum().backward()
    e = torchless.explain.conv((1, 9, 8), kernel_size=(4, 3), stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_array_equal(e.usage, x.grad[0, 0].numpy().astype(np.int64))
    out = torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation)
    assert e.output_hw == tuple(out.shape[2:])


def test_parameter_count_matches_torch_module():
    torch = pytest.importorskip("torch")
    for groups, bias in [(1, True), (2, False), (4, True)]:
        layer = torch.nn.Conv2d(4, 8, (3, 5), groups=groups, bias=bias)
        e = torchless.explain.conv((4, 10, 10), out_channels=8, kernel_size=(3, 5), groups=groups, bias=bias)
        assert (e.weights, e.biases) == (layer.weight.numel(), 0 if layer.bias is None else layer.bias.numel())


@pytest.mark.parametrize("kwargs, error, message", [  # nn.Conv2d's constructor raises ValueError, its call RuntimeError
    (dict(kernel_size=5, dilation=2), RuntimeError,
     r"padded input size per channel: \(6 x 6\)\. Kernel size: \(9 x 9\)"),
    (dict(stride=0), RuntimeError, "non-positive stride is not supported"),
    (dict(padding=-1), RuntimeError, "negative padding is not supported"),
    (dict(dilation=0), RuntimeError, "dilation is not supported|dilation should be greater than zero"),
    (dict(kernel_size=0), RuntimeError, "kernel size should be greater than zero"),
    (dict(padding="same", stride=2), ValueError, "padding='same' is not supported for strided convolutions"),
    (dict(padding="full"), ValueError, "Invalid padding string 'full'"),
    (dict(groups=4), ValueError, "divisible by groups"),
])
def test_bad_arguments_raise_what_the_layer_raises(kwargs, error, message):
    with pytest.raises(error, match=message):
        torchless.explain.conv((2, 6, 6), **{"out_channels": 2, **kwargs})


def test_cli_explain_conv_prints_the_worked_example():
    done = cli("explain", "conv", "--input", "1x28x28", "--out-channels", "6", "--kernel", "3", "--stride", "1",
               "--padding", "1", "--dilation", "1")
    assert done.returncode == 0, done.stderr
    assert "H_out = floor((28 + 2*1 - 1*(3 - 1) - 1) / 1) + 1 = floor(27 / 1) + 1 = 27 + 1 = 28" in done.stdout
    assert "Output: 6x28x28" in done.stdout and "total   = 60" in done.stdout
    corner = next(line for line in done.stdout.splitlines() if line.strip().startswith("corner pixel"))
    assert corner.split()[-2:] == ["4", "1"]


def test_cli_explain_conv_rectangular_and_same():
    done = cli("explain", "conv", "--input", "5x7", "--kernel", "3x1", "--padding", "same")
    assert done.returncode == 0, done.stderr
    assert "Output: 1x5x7" in done.stdout and "Uses of every input pixel:" in done.stdout


def test_cli_explain_conv_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "convolving.png"
    done = cli("explain", "conv", "--input", "1x6x6", "--padding", "1", "--png", str(path))
    assert done.returncode == 0, done.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {path}" in done.stdout


def test_cli_explain_conv_errors_are_one_line():
    done = cli("explain", "conv", "--input", "1x4x4", "--kernel", "5")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Kernel size can't be greater than actual input size" in done.stderr
    assert "Traceback" not in done.stderr
