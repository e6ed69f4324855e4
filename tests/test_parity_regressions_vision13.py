"""torchless.vision against torchvision (0.28; 0.29 agrees) for the differences a differential fuzzer over PIL
modes, tensor dtypes and odd shapes found and that were fixed: bool images through resize and warps, edge /
reflect / symmetric padding with negative amounts, empty batches and channels, v2's five_crop / crop /
autocontrast / contrast / rotate, double-to-half conversions, and warps whose grids have ties.

The cases of ``fixtures/torchvision/vision13.json`` were evaluated with torchvision by ``make_vision13.py`` on
make_vision5.py's images; each is evaluated here with torchless and must give the same result or raise the same
exception type with the same message. The rest compare with torch directly.
"""
import math

import numpy as np
import pytest

import torchless
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
import torchless.vision.utils as U
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the fixture images are PNGs

from torchvision_cases import (check_case, load_record, recorded_namespace,  # noqa: E402  (after the skip)
                               round_grids_as_the_recording_host)

RECORD, ARRAYS, CASES = load_record("vision13")
SCOPE = recorded_namespace("make_vision5", torchless, tio, T, F, v2, F2, U, ARRAYS["input_mnist"])


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, monkeypatch):
    round_grids_as_the_recording_host(monkeypatch, fused=True)  # (recorded on an Intel host)
    check_case(CASES[name], SCOPE, ARRAYS, pil_tolerance=False, exact_half=True)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision13.py), never from torchless
    assert RECORD["torchvision"].startswith(("0.28", "0.29"))
    assert len(CASES) >= 50 and sum("raises" in case for case in CASES.values()) >= 15


# ------------------------------------------------------------------------------------------ against torch
torch = pytest.importorskip("torch")


def _corners(height, width):
    return [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]


def _torch_perspective_coeffs(startpoints, endpoints):
    # torchvision's _get_perspective_coeffs, in torch
    a_matrix = torch.zeros(8, 8, dtype=torch.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a_matrix[2 * i, :] = torch.tensor([p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]])
        a_matrix[2 * i + 1, :] = torch.tensor([0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]])
    b_matrix = torch.tensor(startpoints, dtype=torch.float64).view(8)
    return torch.linalg.lstsq(a_matrix, b_matrix, driver="gels").solution.to(torch.float32).tolist()


@pytest.mark.parametrize("height, width", [(1, 1), (1, 2), (2, 1), (1, 5)])
def test_random_perspective_of_a_sliver_refuses_its_rank_deficient_corners(height, width):
    # RandomPerspective cannot move the corners of a 1-pixel-high or -wide image apart: torch's gels refuses them
    with pytest.raises(RuntimeError) as expected:
        _torch_perspective_coeffs(_corners(height, width), _corners(height, width))
    image = torchless.zeros(3, height, width, dtype=torchless.uint8)
    for transform in (T.RandomPerspective(p=1.0), v2.RandomPerspective(p=1.0)):
        with pytest.raises(torchless.linalg.LinAlgError) as raised:
            transform(image)
        assert str(raised.value).replace("torchless.", "torch.") == str(expected.value)


def test_perspective_with_degenerate_points_refuses_them_with_gels_error_code():
    startpoints, endpoints = [[2, 1], [2, 2], [1, 1], [2, 0]], [[0, 2], [0, 2], [1, 2], [0, 2]]
    with pytest.raises(RuntimeError) as expected:
        _torch_perspective_coeffs(startpoints, endpoints)
    with pytest.raises(torchless.linalg.LinAlgError) as raised:
        F.perspective(torchless.zeros(3, 5, 5), startpoints, endpoints)
    assert "(error code: 7)" in str(expected.value)
    assert str(raised.value).replace("torchless.", "torch.") == str(expected.value)


def _torch_rotate_grid(angle, height, width, dtype):
    # torchvision's rotate matrix (_get_inverse_affine_matrix about the centre) and _gen_affine_grid, in torch
    rot = math.radians(-angle)
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    theta = torch.tensor([d, -b, 0.0, -c, a, 0.0], dtype=dtype).reshape(1, 2, 3)
    base = torch.empty(1, height, width, 3, dtype=dtype)
    base[..., 0].copy_(torch.linspace(-width * 0.5 + 0.5, width * 0.5 - 0.5, steps=width))
    base[..., 1].copy_(torch.linspace(-height * 0.5 + 0.5, height * 0.5 - 0.5, steps=height).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * width, 0.5 * height], dtype=dtype)
    return base.view(1, height * width, 3).bmm(rescaled).view(1, height, width, 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("angle, height, width", [(270, 24, 11), (-90, 19, 16), (270, 12, 9), (45, 8, 12),
                                                  (90, 27, 19), (33.0, 20, 20), (-90, 4, 28)])
def test_nearest_rotations_sample_where_torchs_fused_grid_does(dtype, angle, height, width):
    # the grid's bmm runs in the BLAS kernel (fused multiply-adds, in float64 too) and its ties decide which pixel
    # a nearest rotation takes
    values = np.random.RandomState(0).rand(2, height, width).astype(dtype)
    grid = _torch_rotate_grid(angle, height, width, getattr(torch, dtype))
    expected = torch.nn.functional.grid_sample(torch.from_numpy(values)[None], grid, mode="nearest",
                                               padding_mode="zeros", align_corners=False)[0]
    got = F.rotate(torchless.from_numpy(values), angle)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_v2_rotates_tensors_by_the_angle_brought_into_0_360():
    values = np.random.RandomState(1).rand(2, 22, 9)
    grid = _torch_rotate_grid(-90 % 360, 22, 9, torch.float64)  # v2's 270, not v1's -90
    expected = torch.nn.functional.grid_sample(torch.from_numpy(values)[None], grid, mode="nearest",
                                               padding_mode="zeros", align_corners=False)[0]
    np.testing.assert_array_equal(F2.rotate(torchless.from_numpy(values), -90).numpy(), expected.numpy())


@pytest.mark.parametrize("size", [[11, 13], [40, 50], [3, 4]])
def test_bool_images_resize_to_any_nonzero_value(size):
    # torchvision resizes in float32 and casts back to bool without rounding
    mask = np.random.RandomState(2).rand(3, 7, 9) > 0.7
    expected = torch.nn.functional.interpolate(torch.from_numpy(mask).float()[None], size=size, mode="bilinear",
                                               align_corners=False, antialias=True)[0].bool()
    for resize in (F.resize, F2.resize):
        np.testing.assert_array_equal(resize(torchless.from_numpy(mask), size).numpy(), expected.numpy())


@pytest.mark.parametrize("padding", [[-1, 3, 2, -2], [-1, 0, 2, 0], [2, 0, -1, 0], [1, -2, -2, -1], [3, 1, -2, 2]])
@pytest.mark.parametrize("mode", ["edge", "reflect"])
@pytest.mark.parametrize("shape", [(3, 1, 1), (3, 1, 3), (2, 1, 3, 4), (3, 2)])
def test_edge_and_reflect_padding_is_torchs_pad_with_negative_amounts(padding, mode, shape):
    # torchvision pads a tensor of fewer than 4 dimensions with one more in front
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    batched = torch.from_numpy(values)[None] if len(shape) < 4 else torch.from_numpy(values)
    left, top, right, bottom = padding
    try:
        expected = torch.nn.functional.pad(batched, [left, right, top, bottom],
                                           mode="replicate" if mode == "edge" else mode)
    except RuntimeError as error:
        with pytest.raises(RuntimeError) as raised:
            F.pad(torchless.from_numpy(values), padding, padding_mode=mode)
        assert str(raised.value) == str(error)
        return
    expected = expected[0] if len(shape) < 4 else expected
    got = F.pad(torchless.from_numpy(values), padding, padding_mode=mode)
    assert list(got.shape) == list(expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
