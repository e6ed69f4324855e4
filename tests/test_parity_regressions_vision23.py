"""Regressions found by the vision23 session: torchless.vision.ops against torchvision 0.29.

Differences fixed:

- ``torchless.vision.ops`` had no ``deform_conv2d`` / ``DeformConv2d`` (deformable convolution v1, and v2 with a
  mask), which DCN backbones and detection heads use. It follows torchvision's CPU kernel: the sampling points
  ``(o * stride - pad) + i * dilation + offset`` in the input's dtype, a point on or beyond row/column -1 or the map's
  size reading 0 and pixels outside the map reading 0, the bilinear weights in the kernel's order (float16 rounded op
  by op); the gradients for the input (the col2im weights ``1 - |c - pixel|``), the offsets (the coordinate weights,
  without the forward's cut at the borders: a point exactly on -1 has a gradient), the mask, the weight and the bias;
  an empty batch; groups and offset groups; the node names (and under ``create_graph`` gradients whose own
  backward raises torchvision's "double backwards" error); the module's initialisation and repr; and the wrapper's
  and kernel's argument checks in their order, with their messages (C++'s truncating division for the output size).

The torchvision cases are recorded by ``fixtures/torchvision/make_vision23.py`` into ``fixtures/torchvision/vision23``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result (floats to the precision of the matrix products' summation order) or raise the same exception type with the
same message. The loop reference below checks the op without the fixtures.
"""
import itertools

import numpy as np
import pytest

import torchless
import torchless.vision.ops as O

from torchvision_cases import assert_matches, check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("vision23")
TOLERANCES = {"float16": 1e-2, "float64": 1e-10, "float32": 2e-5}


@pytest.fixture(scope="module")
def scope():
    return recorded_namespace("make_vision23", torchless, O, ARRAYS)


def _tolerance(name):
    dtype = next((d for d in TOLERANCES if name.endswith(d)), "float16" if "half" in name else "float32")
    return TOLERANCES[dtype]


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    case = CASES[name]
    if "raises" in case:
        check_case(case, scope, ARRAYS)
        return
    value = eval(case["expression"], dict(scope))
    value = list(value) if isinstance(value, torchless.Size) else value
    tolerance = _tolerance(name)
    assert_matches(value, case["result"], 0, name, ARRAYS, atol=tolerance, rtol=tolerance)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision23.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 40
    drawn = [name for name in CASES if name.startswith("deform_conv2d_")]
    assert len(drawn) >= 30 and sum(name.endswith("float16") for name in drawn) >= 5


# an independent reference: the deformable convolution written out with loops, in float64


def _bilinear(plane, y, x):
    height, width = plane.shape
    if y <= -1 or y >= height or x <= -1 or x >= width:
        return 0.0
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    total = 0.0
    for yy, xx in itertools.product((y0, y0 + 1), (x0, x0 + 1)):
        if 0 <= yy < height and 0 <= xx < width:
            total += (1 - abs(y - yy)) * (1 - abs(x - xx)) * plane[yy, xx]
    return total


def _reference(x, offset, weight, bias, stride, padding, dilation, mask):
    batch, channels, _, _ = x.shape
    out_channels, group_channels, kh, kw = weight.shape
    oh, ow = offset.shape[2:]
    offset_groups = offset.shape[1] // (2 * kh * kw)
    out = np.zeros((batch, out_channels, oh, ow))
    for n, o, oy, ox in itertools.product(range(batch), range(out_channels), range(oh), range(ow)):
        group = o // (out_channels // (channels // group_channels))
        total = bias[o]
        for c, i, j in itertools.product(range(group_channels), range(kh), range(kw)):
            channel = group * group_channels + c
            g, k = channel // (channels // offset_groups), i * kw + j
            y = oy * stride[0] - padding[0] + i * dilation[0] + offset[n, g * 2 * kh * kw + 2 * k, oy, ox]
            xx = ox * stride[1] - padding[1] + j * dilation[1] + offset[n, g * 2 * kh * kw + 2 * k + 1, oy, ox]
            scale = 1.0 if mask is None else mask[n, g * kh * kw + k, oy, ox]
            total += weight[o, c, i, j] * scale * _bilinear(x[n, channel], y, xx)
        out[n, o, oy, ox] = total
    return out


def _arguments(seed, groups=2, offset_groups=2, use_mask=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 4, 5, 6))
    weight = rng.normal(size=(4, 4 // groups, 2, 3))
    stride, padding, dilation = (1, 2), (1, 0), (2, 1)
    oh, ow = (5 + 2 - 3) // 1 + 1, (6 - 3) // 2 + 1
    # points inside, across the borders and outside, kept away from whole pixels (where the sample has a kink)
    offset = rng.uniform(-4, 4, size=(2, offset_groups * 12, oh, ow))
    offset += 0.25 - (offset % 1 < 0.05) * 0.5
    mask = rng.uniform(0, 1, size=(2, offset_groups * 6, oh, ow)) if use_mask else None
    return x, offset, weight, rng.normal(size=4), stride, padding, dilation, mask


@pytest.mark.parametrize("groups, offset_groups, use_mask", [(1, 1, False), (2, 2, True), (1, 4, True)])
def test_deform_conv2d_against_a_loop_reference(groups, offset_groups, use_mask):
    arguments = _arguments(0, groups, offset_groups, use_mask)
    x, offset, weight, bias, stride, padding, dilation, mask = arguments
    tensors = [None if a is None else torchless.tensor(a) for a in (x, offset, weight, bias, mask)]
    out = O.deform_conv2d(*tensors[:4], stride, padding, dilation, tensors[4])
    np.testing.assert_allclose(out.numpy(), _reference(*arguments), rtol=1e-12, atol=1e-12)


def test_deform_conv2d_gradients_against_the_loop_references_differences():
    # every argument's gradient of sum(out * upstream), against central differences of the loop reference
    arguments = list(_arguments(1))
    rng = np.random.default_rng(2)
    upstream = rng.normal(size=_reference(*arguments).shape)
    leaves = {i: torchless.tensor(arguments[i], requires_grad=True) for i in (0, 1, 2, 3, 7)}
    out = O.deform_conv2d(*[leaves.get(i, a) for i, a in enumerate(arguments)])
    out.backward(torchless.tensor(upstream))
    for i, leaf in leaves.items():
        numeric = np.zeros(arguments[i].shape)
        for index in np.ndindex(arguments[i].shape):
            shifted = []
            for step in (1e-6, -1e-6):
                changed = [a.copy() if j == i else a for j, a in enumerate(arguments)]
                changed[i][index] += step
                shifted.append((_reference(*changed) * upstream).sum())
            numeric[index] = (shifted[0] - shifted[1]) / 2e-6
        np.testing.assert_allclose(leaf.grad.numpy(), numeric, rtol=1e-5, atol=1e-6, err_msg=str(i))
