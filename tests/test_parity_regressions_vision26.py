"""Regressions found by the vision26 session: torchless.vision's warps on real images (the photo, a digit drawn on
an RGBA canvas, MNIST digits) against torchvision 0.29.

Differences fixed:

- The perspective coefficients are solved as torch.linalg.lstsq's ``gels`` driver solves them with MKL
  (Householder QR, Q^T b, back substitution, each step rounded as MKL's code for AMD CPUs rounds it), not by
  NumPy's SVD-based ``lstsq``: a coefficient that should be zero keeps torch's residue of about 1e-16, and Pillow's
  premultiplied warp of an RGBA or LA image turns such residues into whole grey levels (identity corners on the
  digit canvas: 9 levels off on 3 pixels).
- A row of that system holding a float is rounded to float32 first, as torchvision's ``torch.tensor(row)`` does
  (fractional corners: coefficients 1e-7 off).
- torch's bmm of the warp grid ``[x, y, 1] @ theta`` runs in MKL, whose kernels for Intel CPUs fuse the
  multiply-adds and whose code for AMD CPUs rounds each step: torchless now follows the CPU it runs on (it fused
  them everywhere), so that RandAugment's shears and rotations and rotations by multiples of 90 degrees pick
  torchvision's pixels at nearest-neighbour ties on AMD hosts too (up to 60 grey levels off on a few pixels),
  and bilinear fills far from the image's values agree to float32 precision.
- ``convert_image_dtype`` / ``ConvertImageDtype`` to ``None`` do what torchvision's do: None is an integer type of
  full intensity 1 there, and ``.to(None)`` keeps the image's dtype (torchless converted to float64).
- ``draw_bounding_boxes`` reads the boxes' ``shape[-1]`` and indexes them as torchvision does: what has no shape, a
  0-d tensor and wrongly shaped boxes fail with torchvision's errors, and a NumPy array or a list, which torchless
  drew, fails at torchvision's ``boxes.to``.
- ``gaussian_blur`` of half images (v1 and v2) builds torchvision's kernel in PyTorch's half arithmetic (each
  operation in float32, a Python scalar as float32 too, rounded to half) and convolves as PyTorch's half
  convolution does (in float32, rounded once), where torchless blurred separably in half (a third of the pixels a
  half step off).

The cases are recorded by ``fixtures/torchvision/make_vision26.py`` into ``fixtures/torchvision/vision26`` on an
AMD host: each is a Python expression evaluated there with torchvision and here with torchless, which must give
the same result (uint8 pixels and the coefficients exactly) or raise the same exception type with the same message.
"""
import random

import numpy as np
import pytest

import torchless
import torchless.vision.datasets as datasets
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.utils as U
from torchless import _cpu_features
from torchless.vision import tv_tensors
from torchless._kernels import gels
from torchless.vision.transforms import _warp, v2

pytest.importorskip("PIL.Image")  # the fixture images are PNGs

from torchvision_cases import (check_case, load_record, recorded_namespace,  # noqa: E402  (after the skip)
                               round_grids_as_the_recording_host)

RECORD, ARRAYS, CASES = load_record("vision26")
ON_AMD = _cpu_features.vendor() == "AuthenticAMD"


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision26", torchless, T, v2, tv_tensors, tio, U, datasets,
                              tmp_path_factory.mktemp("vision26"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope, monkeypatch):
    if name.startswith("gels_") and not ON_AMD:
        pytest.skip("recorded with MKL's QR on an AMD CPU; its kernels for Intel CPUs round otherwise")
    round_grids_as_the_recording_host(monkeypatch, fused=False)  # (recorded on an AMD host)
    check_case(CASES[name], scope, ARRAYS, atol=1e-6)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision26.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 2
    # torch's residue in the coefficients of identity corners (the fixed difference): not exactly 0
    identity = CASES["gels_coefficients_0"]["result"]["items"]
    assert [item["value"] == 0 for item in identity] != [False, True, True, True, False, True, True, True]
    assert identity[0]["value"] == identity[4]["value"] == 1.0


# ------------------------------------------------------------------------------ the perspective's solver
def _system(startpoints, endpoints):
    a = np.zeros((8, 8))
    for i, ((x, y), (u, v)) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
    return a, np.asarray(startpoints, np.float64).reshape(8)


def _random_corners(rng):
    width, height = rng.randint(2, 300), rng.randint(2, 300)
    start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
    kind = rng.random()
    if kind < 0.4:
        end = [[x + rng.randint(-width // 3, width // 3), y + rng.randint(-height // 3, height // 3)] for x, y in start]
    elif kind < 0.6:
        end = [[x + rng.randint(-5, 5), y + rng.randint(-5, 5)] for x, y in start]
    elif kind < 0.8:
        end = start
    else:
        start = [[rng.randint(0, width), rng.randint(0, height)] for _ in range(4)]
        end = [[rng.randint(0, width), rng.randint(0, height)] for _ in range(4)]
    return start, end


@pytest.mark.parametrize("seed", range(4))
def test_the_householder_solver_solves_the_system(seed):
    # an independent reference: NumPy's LU solve in float64 (the two differ only by rounding)
    rng = random.Random(seed)
    for _ in range(25):
        a, b = _system(*_random_corners(rng))
        if abs(np.linalg.det(a)) < 1e-6:
            continue
        solution = gels.solve_as_mkl_gels(a.tolist(), b.tolist())
        np.testing.assert_allclose(solution, np.linalg.solve(a, b), rtol=1e-7, atol=1e-9)


def test_fractional_corners_round_their_rows_to_float32():
    # torchvision's rows are torch.tensor(list): float32 as soon as one entry is a float (integer rows stay exact)
    start = [[0, 0], [236, 0], [236, 180], [0, 180]]
    end = [[4.2033, 2.2377], [236.866, -2.7818], [235.2466, 181.9957], [-3.3393, 184.0794]]
    a, b = _system(start, end)
    rounded = np.linalg.solve(a.astype(np.float32).astype(np.float64), b)
    got = np.array(T.functional._get_perspective_coeffs(start, end), np.float64)
    np.testing.assert_allclose(got, rounded, rtol=3e-7, atol=1e-12)
    unrounded = np.linalg.solve(a, b)
    assert np.abs((got - unrounded) / unrounded).max() > 1e-6  # several float32 steps away from the result


@pytest.mark.skipif(not ON_AMD, reason="the solver follows MKL's code for AMD CPUs")
@pytest.mark.parametrize("seed", range(3))
def test_the_solver_is_torchs_gels_bit_for_bit(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(100 + seed)
    for _ in range(30):
        a, b = _system(*_random_corners(rng))
        try:
            expected = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b)[:, None], driver="gels").solution[:, 0]
        except RuntimeError:
            continue
        assert gels.solve_as_mkl_gels(a.tolist(), b.tolist()) == expected.tolist()


# ------------------------------------------------------------------------------------ the grid's product
@pytest.mark.parametrize("size", [(37, 29), (12, 12), (224, 100)])
def test_the_grid_product_rounds_as_this_hosts_torch(size):
    # torch's own bmm on this machine: MKL fuses the multiply-adds on Intel CPUs, not on AMD ones
    torch = pytest.importorskip("torch")
    if _cpu_features.vendor() not in ("GenuineIntel", "AuthenticAMD") or not torch.backends.mkl.is_available():
        pytest.skip("torch's bmm runs in MKL on x86 hosts")
    width, height = size
    theta = torch.randn(1, 3, 2, generator=torch.Generator().manual_seed(width), dtype=torch.float32)
    base = torch.empty(1, height, width, 3)
    base[..., 0].copy_(torch.linspace(-width * 0.5 + 0.5, width * 0.5 - 0.5, width))
    base[..., 1].copy_(torch.linspace(-height * 0.5 + 0.5, height * 0.5 - 0.5, height).unsqueeze(-1))
    base[..., 2].fill_(1)
    expected = base.view(1, height * width, 3).bmm(theta)[0].numpy()
    x, y = base[0, :1, :, 0].numpy(), base[0, :, :1, 1].numpy()  # a row and a column, as torchless's grids are
    for column in range(2):
        got = _warp._bmm_sum(x, y, theta[0, :, column].numpy())
        np.testing.assert_array_equal(got.reshape(-1), expected[:, column])
