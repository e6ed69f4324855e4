"""Regression tests of grad19b, each against PyTorch: rms_norm's gradients laid out as its composite's nodes lay
them out (grad's layout first, not C order), its create_graph gradients recorded as that composite's (an
AddBackward0 sum) and its top node a copy (CloneBackward0) for a transposed or permuted input."""
import itertools

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_SHAPE = (2, 3, 4, 5)

_LAYOUTS = {
    "contiguous": lambda lib, t: t,
    "channels_last": lambda lib, t: t.contiguous(memory_format=lib.channels_last),
    "permuted": lambda lib, t: t.transpose(1, 3).contiguous().transpose(1, 3),
    "batch_channel_swapped": lambda lib, t: t.transpose(0, 1).contiguous().transpose(0, 1),
    "sliced": lambda lib, t: lib.cat([t, t], 3)[..., ::2],
    # a gradient such as sum()'s or mean()'s: broadcast along all but some dims
    "expanded_rows": lambda lib, t: t[:1, :1, :1].expand(*_SHAPE),
    "expanded_channels": lambda lib, t: t[:1, :, :, :1].expand(*_SHAPE),
}


def _array(seed):
    return np.random.default_rng(seed).standard_normal(_SHAPE).astype(np.float32)


def _rms_norm_gradient(lib, input_layout, grad_layout, normalized_shape, weighted, dtype, create_graph):
    x = _LAYOUTS[input_layout](lib, lib.tensor(_array(0))).to(getattr(lib, dtype)).requires_grad_()
    weight = lib.linspace(0.5, 1.5, int(np.prod(normalized_shape)), dtype=x.dtype).reshape(normalized_shape)
    y = lib.nn.functional.rms_norm(x, normalized_shape, weight.requires_grad_() if weighted else None)
    grad = _LAYOUTS[grad_layout](lib, lib.tensor(_array(1))).to(y.dtype)
    gx, = lib.autograd.grad(y, x, grad, create_graph=create_graph)
    return x, y, gx


def _names(lib, y, gx):
    return y.grad_fn.name(), None if gx.grad_fn is None else gx.grad_fn.name()


@pytest.mark.parametrize("input_layout,grad_layout,normalized_shape,weighted,dtype",
                         list(itertools.product(["contiguous", "channels_last", "permuted", "batch_channel_swapped",
                                            "sliced"],
                                           ["contiguous", "channels_last", "permuted", "expanded_rows",
                                            "expanded_channels", "sliced"],
                                           [(5,), (4, 5)], [False, True], ["float32", "float16"])))
def test_rms_norm_input_gradient_laid_out_as_pytorch(input_layout, grad_layout, normalized_shape, weighted, dtype):
    results = [_rms_norm_gradient(lib, input_layout, grad_layout, normalized_shape, weighted, dtype, False)
               for lib in (torch, torchless)]
    (tx, ty, tgx), (ox, oy, ogx) = results
    assert ogx.stride() == tgx.stride()
    assert oy.stride() == ty.stride()
    assert oy.grad_fn.name() == ty.grad_fn.name()
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    np.testing.assert_allclose(ogx.float().numpy(), tgx.float().numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("input_layout,grad_layout,normalized_shape,weighted",
                         list(itertools.product(["contiguous", "channels_last", "permuted"],
                                           ["contiguous", "channels_last", "permuted", "expanded_channels"],
                                           [(5,), (4, 5)], [False, True])))
def test_rms_norm_create_graph_gradients_as_pytorch(input_layout, grad_layout, normalized_shape, weighted):
    results = []
    for lib in (torch, torchless):
        x, y, gx = _rms_norm_gradient(lib, input_layout, grad_layout, normalized_shape, weighted, "float32", True)
        second, = lib.autograd.grad((gx * gx).sum(), x)
        results.append((_names(lib, y, gx), gx.stride(), second.stride(), gx.detach().numpy(),
                        second.numpy()))
    (t_names, t_stride, t_second_stride, t_gx, t_second), (names, stride, second_stride, gx, second) = results
    assert (names, stride, second_stride) == (t_names, t_stride, t_second_stride)
    np.testing.assert_allclose(gx, t_gx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(second, t_second, rtol=1e-4, atol=1e-4)


def test_rms_norm_weight_second_gradient_as_pytorch():
    results = []
    for lib in (torch, torchless):
        x = _LAYOUTS["channels_last"](lib, lib.tensor(_array(0))).requires_grad_()
        weight = lib.linspace(0.5, 1.5, 5).requires_grad_()
        y = lib.nn.functional.rms_norm(x, (5,), weight)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, weight), create_graph=True)
        second = lib.autograd.grad(gx.sum() + (gw * gw).sum(), (x, weight))
        results.append([gw.detach().numpy()] + [g.numpy() for g in second] + [second[0].stride()])
    for ours, theirs in zip(results[1], results[0]):
        if isinstance(theirs, tuple):
            assert ours == theirs
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "permuted"])
@pytest.mark.parametrize("make", [lambda x: x.sgn(), lambda x: x.sgn().sum(), lambda x: x.sgn() * 3,
                                  lambda x: x.sgn() * x], ids=["sgn", "sgn_sum", "sgn_scaled", "sgn_times_x"])
def test_real_sgn_gradient_under_create_graph_as_pytorch(layout, make):
    results = []
    for lib in (torch, torchless):
        x = _LAYOUTS[layout](lib, lib.tensor(_array(2))).requires_grad_()
        y = make(x)
        gx, = lib.autograd.grad(y, x, lib.ones_like(y) if y.dim() else None, create_graph=True)
        # (a sum's values: PyTorch's numpy() refuses its ZeroTensor)
        results.append((gx.stride(), gx.requires_grad, (gx.detach() + lib.zeros_like(x)).numpy()))
    (t_stride, t_requires, t_values), (stride, requires, values) = results
    assert (stride, requires) == (t_stride, t_requires)
    np.testing.assert_array_equal(values, t_values)


def _graph(fn, depth=0):
    """A node's name and its next_functions' graphs, to a few levels."""
    if fn is None or depth > 4:
        return None
    return fn.name(), tuple(_graph(f, depth + 1) for f, _ in fn.next_functions)


@pytest.mark.parametrize("shape", [(4, 5), (5,)])
@pytest.mark.parametrize("options", [{}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": True},
                                     {"ignore_index": 1}])
def test_cross_entropy_create_graph_gradient_recorded_as_pytorch(shape, options):
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32)).requires_grad_()
        target = lib.tensor(np.random.default_rng(2).integers(0, 5, shape[:-1]))
        kwargs = dict(options, weight=lib.linspace(0.5, 1.5, 5)) if "weight" in options else options
        loss = lib.nn.functional.cross_entropy(x, target, **kwargs)
        gx, = lib.autograd.grad(loss, x, lib.ones_like(loss) if loss.dim() else None, create_graph=True)
        second, = lib.autograd.grad((gx * gx).sum(), x)
        results.append((_graph(gx.grad_fn), gx.stride(), second.stride(), gx.detach().numpy(), second.numpy()))
    (t_graph, t_stride, t_second_stride, t_gx, t_second), (graph, stride, second_stride, gx, second) = results
    assert (graph, stride, second_stride) == (t_graph, t_stride, t_second_stride)
    np.testing.assert_allclose(gx, t_gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, t_second, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("input_layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("grad_layout", ["contiguous", "channels_last", "permuted"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_create_graph_input_gradient_in_input_format(input_layout, grad_layout, training):
    # native_batch_norm_backward allocates it in the input's suggested format, under create_graph as without
    results = []
    for lib in (torch, torchless):
        x = _LAYOUTS[input_layout](lib, lib.tensor(_array(0))).requires_grad_()
        weight = lib.linspace(0.5, 1.5, 3).requires_grad_()
        mean, var = lib.zeros(3), lib.ones(3)
        y = lib.nn.functional.batch_norm(x, mean, var, weight, training=training)
        gx, = lib.autograd.grad(y, x, _LAYOUTS[grad_layout](lib, lib.tensor(_array(1))), create_graph=True)
        # (in eval mode the gradient is linear in the input: only the weight's second derivative remains)
        second, = lib.autograd.grad((gx * gx).sum(), x if training else weight)
        results.append((gx.stride(), second.stride(), gx.detach().numpy(), second.numpy()))
    (t_stride, t_second_stride, t_gx, t_second), (stride, second_stride, gx, second) = results
    assert (stride, second_stride) == (t_stride, t_second_stride)
    np.testing.assert_allclose(gx, t_gx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(second, t_second, rtol=1e-3, atol=1e-4)
