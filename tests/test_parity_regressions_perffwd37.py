"""Session 37, the convolution forward's speed (perffwd37), compared with PyTorch 2.13.0 and with float64 references.

- A weight larger than its output (one image of a layer of many channels) is checked for infs and NaNs through
  the output: the values, and the silence, must stay PyTorch's whichever algorithm runs.
"""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F
from torchless._kernels import conv as conv_kernels

from helpers import assert_float32_sums_agree, conv2d_summed_magnitude, direct_conv2d, run_python


# --------------------------------------------------------------------------- a large weight checked through y

def _large_weight_problem(seed, channels=64, size=5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, channels, size, size)).astype(np.float32)
    w = (rng.standard_normal((channels * 2, channels, 3, 3)) / np.sqrt(channels * 9)).astype(np.float32)
    b = rng.standard_normal(channels * 2).astype(np.float32)
    assert w.size >= conv_kernels.OUTPUT_CHECKS_WEIGHT_MIN_SIZE and w.size > 2 * channels * size * size
    return x, w, b


@pytest.mark.parametrize("algorithm", ["gather", "im2col", "rowstack", "winograd2"])
def test_large_weight_finite_matches_float64_reference(algorithm):
    x, w, b = _large_weight_problem(1)
    y = conv_kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, algorithm=algorithm, bias=b)
    reference = direct_conv2d(x, w, (1, 1), (1, 1)) + b.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(y, reference, rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("algorithm", ["gather", "im2col", "rowstack", "winograd2"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_large_weight_nonfinite_reaches_the_exact_treatment(algorithm, bad):
    # (called without skipped_padding, the kernel multiplies the padding's zeros too: 0 * inf is NaN there)
    x, w, b = _large_weight_problem(2)
    w[3, 5, 0, 0] = bad
    y = conv_kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, algorithm=algorithm, bias=b)
    with np.errstate(invalid="ignore"):
        reference = direct_conv2d(x, w, (1, 1), (1, 1)) + b.reshape(1, -1, 1, 1)
    assert np.isfinite(reference).sum() == y.size - y[0, 3].size
    np.testing.assert_array_equal(np.isnan(y), np.isnan(reference))
    np.testing.assert_allclose(y, reference, rtol=1e-5, atol=2e-5)


def test_large_weight_nonfinite_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b = _large_weight_problem(3)
    w[1, 2, 0, 1], w[40, 0, 2, 2], w[77, 3, 1, 1] = np.inf, -np.inf, np.nan
    for _ in range(2):
        with torchless.no_grad():
            ours = F.conv2d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), 1, 1).numpy()
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), 1, 1).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


_LARGE_NONFINITE_PROGRAM = r'''
import sys, warnings
import numpy as np
lib = __import__(sys.argv[1])
warnings.simplefilter("error")  # (a warning is an error: the program stops)
rng = np.random.default_rng(0)
for bad in (np.inf, -np.inf, np.nan):
    w = rng.standard_normal((128, 64, 3, 3)).astype(np.float32)
    w[0, 0, 0, 0] = bad
    x = rng.standard_normal((1, 64, 5, 5)).astype(np.float32)
    y = lib.nn.functional.conv2d(lib.tensor(x), lib.tensor(w), lib.ones(128), 1, 1)
    assert not np.isfinite(y.detach().numpy()[:, 0]).all() and np.isfinite(y.detach().numpy()[:, 1:]).all()
print("quiet")
'''


@pytest.mark.parametrize("library", ["torchless", "torch"])
def test_large_nonfinite_weight_warns_nothing(tmp_path, library):
    if library == "torch":
        pytest.importorskip("torch")
    (tmp_path / "program.py").write_text(_LARGE_NONFINITE_PROGRAM)
    printed, _ = run_python([str(tmp_path / "program.py"), library], cwd=tmp_path)
    assert printed.strip() == "quiet"


# (N, C, H, W, O, kernel, stride, padding, dilation, groups, dtype): one image, the weight outnumbering the output
_LARGE_WEIGHT_CASES = [
    (1, 64, 5, 5, 128, 3, 1, 1, 1, 1, np.float32),
    (1, 128, 4, 4, 64, 3, 2, 1, 1, 1, np.float32),
    (1, 64, 7, 7, 128, 3, 1, 2, 2, 1, np.float32),
    (1, 128, 6, 6, 128, 3, 1, 1, 1, 2, np.float32),
    (1, 64, 5, 5, 64, 5, 1, 2, 1, 1, np.float32),
    (1, 64, 5, 5, 128, 3, 1, 1, 1, 1, np.float64),
    (1, 256, 3, 3, 256, 1, 1, 0, 1, 1, np.float32),
    (2, 64, 3, 3, 128, 3, 1, 1, 1, 1, np.float32),
]


@pytest.mark.parametrize("case", _LARGE_WEIGHT_CASES, ids=lambda case: "x".join(map(str, case[:10])))
def test_large_weight_matches_float64_reference_and_torch(case):
    N, C, H, W, O, k, s, p, d, g, dtype = case
    rng = np.random.default_rng(sum(case[:10]))
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = (rng.standard_normal((O, C // g, k, k)) / np.sqrt(C // g * k * k)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    Ho = (H + 2 * p - d * (k - 1) - 1) // s + 1
    assert w.size >= conv_kernels.OUTPUT_CHECKS_WEIGHT_MIN_SIZE and w.size > N * O * Ho * Ho  # (the path under test)
    with torchless.no_grad():
        ours = F.conv2d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), s, p, d, g).numpy()
    reference = direct_conv2d(x, w, (s, s), (p, p), (d, d), g) + b.reshape(1, -1, 1, 1)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=tolerance)
    assert ours.dtype == dtype
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), s, p, d, g).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)
    # an inf and a NaN weight: PyTorch's NaNs and infinities where it has them, its values elsewhere
    w[O // 2, 0, k // 2, k // 2], w[O - 1, C // g - 1, 0, k - 1] = np.inf, np.nan
    with torchless.no_grad():
        ours = F.conv2d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), s, p, d, g).numpy()
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), s, p, d, g).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_large_weight_with_a_finite_output_is_not_scanned(monkeypatch):
    # the point of the change: the weight's own pass over memory only after a non-finite output
    x, w, b = _large_weight_problem(4)
    scanned = []
    real = conv_kernels._all_finite
    monkeypatch.setattr(conv_kernels, "_all_finite", lambda a: scanned.append(a.shape) or real(a))
    conv_kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, bias=b)
    assert w.shape not in scanned and scanned  # (the output was checked instead)
    w[0, 0, 1, 1] = np.nan
    scanned.clear()
    y = conv_kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, bias=b)
    assert w.shape in scanned and np.isnan(y[0, 0]).all() and np.isfinite(y[0, 1:]).all()


# An input's inf meeting a weight's -inf: NaN there, silently, also under an 'error' filter set after the import
# (the no-grad call, which goes straight to the kernel, has no retry under np.errstate: the kernel must be quiet)
_INF_MEETS_MINUS_INF_PROGRAM = r'''
import sys, warnings
import numpy as np
lib = __import__(sys.argv[1])
warnings.simplefilter("error")  # (after the import: a warning is an error, the program stops)
rng = np.random.default_rng(0)
for images, channels, out_channels in ((1, 64, 128), (4, 3, 2)):
    x = rng.standard_normal((images, channels, 6, 6)).astype(np.float32)
    w = rng.standard_normal((out_channels, channels, 3, 3)).astype(np.float32)
    x[0, 0, 2, 2], w[1, 0, 1, 1] = np.inf, -np.inf
    for grad in (False, True):
        y = lib.nn.functional.conv2d(lib.tensor(x, requires_grad=grad), lib.tensor(w), None, 1, 1)
        np.save(f"{sys.argv[2]}/{images}_{grad}.npy", y.detach().numpy())
print("quiet")
'''


def _inf_meets_minus_inf_operands():
    """The program's inputs and weights, by the number of images."""
    rng = np.random.default_rng(0)
    operands = {}
    for images, channels, out_channels in ((1, 64, 128), (4, 3, 2)):
        x = rng.standard_normal((images, channels, 6, 6)).astype(np.float32)
        w = rng.standard_normal((out_channels, channels, 3, 3)).astype(np.float32)
        x[0, 0, 2, 2], w[1, 0, 1, 1] = np.inf, -np.inf
        operands[images] = x, w
    return operands


def test_input_inf_meeting_minus_inf_weight_is_quiet(tmp_path):
    (tmp_path / "program.py").write_text(_INF_MEETS_MINUS_INF_PROGRAM)
    (tmp_path / "ours").mkdir()
    printed, _ = run_python([str(tmp_path / "program.py"), "torchless", str(tmp_path / "ours")], cwd=tmp_path)
    assert printed.strip() == "quiet"
    for images in (1, 4):
        y = np.load(tmp_path / "ours" / f"{images}_False.npy")
        # the -inf centre tap reads every position's own (finite, non-zero) input: channel 1 is infinite or NaN
        # throughout; channel 0 only next to the inf input, in the first image
        assert not np.isfinite(y[:, 1]).any() and np.isfinite(y[1:, 0]).all() and not np.isfinite(y[0, 0]).all()
        np.testing.assert_array_equal(y, np.load(tmp_path / "ours" / f"{images}_True.npy"))
    # float32-accurate where finite: within an epsilon of the magnitude summed of a float64 direct convolution
    # (measured: 1.06 epsilons at most, PyTorch's 0.82)
    operands = _inf_meets_minus_inf_operands()
    for images, (x, w) in operands.items():
        ours = np.load(tmp_path / "ours" / f"{images}_False.npy")
        with np.errstate(invalid="ignore"):  # (inf meeting -inf: NaN)
            exact = direct_conv2d(x, w, (1, 1), (1, 1))
        magnitude = conv2d_summed_magnitude(x, w, None, padding=1)
        finite = np.isfinite(ours) & np.isfinite(exact)
        assert finite.sum() > ours.size // 3
        np.testing.assert_array_less(np.abs(ours[finite] - exact[finite]),
                                     2 * np.finfo(np.float32).eps * magnitude[finite])
    pytest.importorskip("torch")
    (tmp_path / "theirs").mkdir()
    printed, _ = run_python([str(tmp_path / "program.py"), "torch", str(tmp_path / "theirs")], cwd=tmp_path)
    assert printed.strip() == "quiet"
    for path in sorted((tmp_path / "theirs").glob("*.npy")):
        # the finite outputs' last bits are oneDNN's summation order on this CPU (0.92 epsilons of the magnitude
        # summed apart at most on an AMD EPYC, 2.3e-5 from 64 channels' 3x3 taps), the rest NaN and infinities alike
        images = int(path.stem.split("_")[0])
        magnitude = conv2d_summed_magnitude(*operands[images], None, padding=1)
        assert_float32_sums_agree(np.load(tmp_path / "ours" / path.name), np.load(path), magnitude, epsilons=3)
