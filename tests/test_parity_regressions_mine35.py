"""Session 35, fixes of my own, compared with PyTorch 2.13.0 and with independent expectations.

- A convolution with an inf or NaN weight no longer lets NumPy warn "invalid value encountered in matmul": its
  products are NaN where PyTorch's are (it warns nothing), and the values stay PyTorch's.
"""
import numpy as np
import pytest

from helpers import assert_float32_sums_agree, conv2d_summed_magnitude, run_python
from torchless._kernels import blas

_NONFINITE_WEIGHT_PROGRAM = r'''
import sys, warnings
import numpy as np
lib = __import__(sys.argv[1])
warnings.simplefilter("error")  # (a warning is an error: the program stops)
for bad in (np.inf, -np.inf, np.nan):
    for images in (1, 4, 64):
        w = np.ones((2, 1, 3, 3), np.float32)
        w[0, 0, 0, 0] = bad
        x = np.random.default_rng(images).standard_normal((images, 1, 6, 6)).astype(np.float32)
        y = lib.nn.functional.conv2d(lib.tensor(x), lib.tensor(w), lib.ones(2), 1, 1)
        np.save(f"{sys.argv[2]}/{images}_{bad}.npy", y.numpy())
print("quiet")
'''


@pytest.mark.parametrize("library", ["torchless", "torch"])
def test_a_nonfinite_weight_warns_nothing(tmp_path, library):
    if library == "torch":
        pytest.importorskip("torch")
    (tmp_path / "program.py").write_text(_NONFINITE_WEIGHT_PROGRAM)
    printed, _ = run_python([str(tmp_path / "program.py"), library, str(tmp_path)], cwd=tmp_path)
    assert printed.strip() == "quiet"
    # the output channel of finite weights is finite; the other is NaN or infinite where the bad tap meets input
    for images in (1, 4, 64):
        y = np.load(tmp_path / f"{images}_{np.inf}.npy")
        assert np.isfinite(y[:, 1]).all() and not np.isfinite(y[:, 0]).all()


def _nonfinite_weight_operands(images, bad):
    """The program's input, weight and bias for ``images`` images and the ``bad`` weight."""
    w = np.ones((2, 1, 3, 3), np.float32)
    w[0, 0, 0, 0] = bad
    return np.random.default_rng(images).standard_normal((images, 1, 6, 6)).astype(np.float32), w, np.ones(2)


def test_a_nonfinite_weight_gives_pytorchs_values(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "program.py").write_text(_NONFINITE_WEIGHT_PROGRAM)
    run_python([str(tmp_path / "program.py"), "torchless", str(tmp_path / "a")], cwd=tmp_path)
    run_python([str(tmp_path / "program.py"), "torch", str(tmp_path / "b")], cwd=tmp_path)
    paths = sorted((tmp_path / "b").glob("*.npy"))
    assert len(paths) == 9
    for path in paths:
        ours, theirs = np.load(tmp_path / "a" / path.name), np.load(path)
        if blas.XEON_AVX512_FP16:  # (measured bit for bit on the Xeon: there MKL's and oneDNN's sums are ours)
            np.testing.assert_array_equal(ours, theirs)
        else:  # the finite outputs' last bits are the kernels' summation order on this CPU (one image: MKL's GEMM)
            images, bad = path.stem.split("_")
            magnitude = conv2d_summed_magnitude(*_nonfinite_weight_operands(int(images), float(bad)), padding=1)
            assert_float32_sums_agree(ours, theirs, magnitude, epsilons=3)
