"""Session 24, forward-mode AD: torch.autograd.forward_ad (dual levels, make_dual/unpack_dual, tangents through the
ops of a CNN, PyTorch's refusals), torch.func.jvp/jacfwd in forward mode, and vmap's refusal of .item() and
data-dependent control flow. Compared with PyTorch, and with finite differences in float64."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

RNG_SEED = 24


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error), str(error)
    raise AssertionError("no error raised")


def _same_error(torch_call, torchless_call):
    expected, actual = _error(torch_call), _error(torchless_call)
    assert actual[0].__name__ == expected[0].__name__
    assert actual[1].replace("torchless", "torch") == expected[1]


# ---------------------------------------------------------------------------------------------- the forward_ad API

def test_forward_ad_names():
    assert set(torch.autograd.forward_ad.__all__) <= set(dir(torchless.autograd.forward_ad))
    assert torchless.autograd.forward_ad.UnpackedDualTensor._fields == ("primal", "tangent")


def _api_errors(lib):
    fw = lib.autograd.forward_ad
    x = lib.ones(3)
    outside = [lambda: fw.make_dual(x, lib.ones(3)), lambda: fw.exit_dual_level()]
    inside = [lambda: fw.make_dual(x, lib.ones(4)),
              lambda: fw.make_dual(x, lib.ones(3), level=5),
              lambda: fw.make_dual(x.long(), lib.ones(3).long()),
              lambda: fw.make_dual(x, lib.ones(3).long()),
              lambda: fw.make_dual(x, 3),
              lambda: fw.enter_dual_level(),
              lambda: fw.unpack_dual(3),
              lambda: fw.make_dual(fw.make_dual(x, lib.ones(3)), lib.ones(3)),
              lambda: fw.exit_dual_level(level=1)]
    return outside, inside


@pytest.mark.parametrize("case", range(11))
def test_forward_ad_errors(case):
    errors = []
    for lib in (torch, torchless):
        outside, inside = _api_errors(lib)
        if case < len(outside):
            errors.append(_error(outside[case]))
        else:
            with lib.autograd.forward_ad.dual_level():
                errors.append(_error(inside[case - len(outside)]))
    (expected_type, expected), (actual_type, actual) = errors
    assert actual_type.__name__ == expected_type.__name__
    assert actual.replace("torchless", "torch") == expected


@pytest.mark.parametrize("lib", [torch, torchless], ids=["torch", "torchless"])
def test_dual_tensors_as_pytorch(lib):
    fw = lib.autograd.forward_ad
    x, t = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    assert fw.unpack_dual(x) == (x, None)
    with fw.dual_level() as level:
        assert level == 0
        dual = fw.make_dual(x, t)
        assert dual._base is x and not dual.requires_grad
        primal, tangent = fw.unpack_dual(dual)
        assert tangent is t and primal._base is x
        assert fw.unpack_dual(primal).tangent is None
        assert fw.unpack_dual(dual, level=0).tangent is t
        # forward AD does not depend on grad mode
        with lib.no_grad():
            doubled = fw.unpack_dual(dual * 2).tangent
        assert doubled.tolist() == [6.0, 8.0]
    assert fw.unpack_dual(dual).tangent is None  # the level's tangents are gone
    assert fw.enter_dual_level() == 0
    fw.exit_dual_level(level=0)


def test_float64_tangent_of_a_float32_primal_keeps_its_dtype():
    results = []
    for lib in (torch, torchless):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            dual = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0], dtype=lib.float64))
            tangent = fw.unpack_dual(dual.exp() * 2).tangent
            results.append((str(tangent.dtype).split(".")[-1], tangent.numpy().tolist()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-6)


def test_repr_shows_the_tangent():
    shown = []
    for lib in (torch, torchless):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            x = fw.make_dual(lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], dtype=lib.float64))
            y = fw.make_dual(lib.zeros(2, 2, dtype=lib.float64), lib.ones(2, 2, dtype=lib.float64))
            shown.append((repr(x), repr(y), repr(fw.make_dual(lib.tensor(1.0), lib.tensor(2.0)))))
    assert [s.replace("torchless", "torch") for s in shown[1]] == list(shown[0])


# ---------------------------------------------------------------------------------------------- tangents through ops

def _cnn(lib, dtype):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3, padding=1), lib.nn.BatchNorm2d(4), lib.nn.ReLU(inplace=True),
                            lib.nn.MaxPool2d(2), lib.nn.Conv2d(4, 4, 3), lib.nn.ReLU(), lib.nn.AdaptiveAvgPool2d(1),
                            lib.nn.Flatten(), lib.nn.Linear(4, 3), lib.nn.LogSoftmax(1))
    rng = np.random.default_rng(5)
    with lib.no_grad():
        for parameter in net.parameters():
            parameter.copy_(lib.tensor(rng.standard_normal(tuple(parameter.shape))))
    return net.to(dtype)


def _set_row(a, b):
    c = a * 1
    c[1] = b
    return c


F = "nn.functional"
OPS = {
    "add_sub_alpha": (lambda M, a, b: M.sub(a + b * 2, b, alpha=3) + (2 - a), [(3, 4), (4,)]),
    "mul_broadcast": (lambda M, a, b: a * b, [(3, 4), (1, 4)]),
    "div": (lambda M, a, b: a / (b.abs() + 1) + 3 / (a.abs() + 1), [(3, 4), (3, 4)]),
    "pow": (lambda M, a, b: (a.abs() + 0.5) ** b + a ** 3 + a ** 0, [(3, 4), (3, 4)]),
    "unary": (lambda M, a: a.exp() + a.sigmoid() + a.tanh() + a.abs().sqrt() + a.abs().add(1).log() + a.relu()
              + a.sin() + a.abs().rsqrt() - a, [(3, 4)]),
    "activations": (lambda M, a: M.nn.functional.gelu(a) + M.nn.functional.gelu(a, approximate="tanh")
                    + M.nn.functional.silu(a) + M.nn.functional.leaky_relu(a, 0.2) + M.nn.functional.elu(a)
                    + M.nn.functional.softplus(a) + M.nn.functional.hardtanh(a) + M.nn.functional.mish(a)
                    + M.nn.functional.hardswish(a) + M.nn.functional.hardsigmoid(a), [(3, 4)]),
    "softmax": (lambda M, a: M.softmax(a, 1) + M.log_softmax(a, 0), [(3, 4)]),
    "matmul": (lambda M, a, b: M.matmul(a, b) + M.mm(a[0], b) + M.addmm(a[1, :, :1], a[1], b[:, :1]),
               [(2, 3, 4), (4, 5)]),
    "linear": (lambda M, x, w, b: M.nn.functional.linear(x, w, b), [(2, 5, 4), (3, 4), (3,)]),
    "conv1d": (lambda M, x, w, b: M.nn.functional.conv1d(x, w, b, padding=1, stride=2), [(2, 3, 9), (4, 3, 3), (4,)]),
    "conv2d": (lambda M, x, w, b: M.nn.functional.conv2d(x, w, b, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv2d_groups": (lambda M, x, w: M.nn.functional.conv2d(x, w, groups=2, dilation=2), [(2, 4, 7, 7), (4, 2, 3, 3)]),
    "conv3d": (lambda M, x, w, b: M.nn.functional.conv3d(x, w, b), [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2), (3,)]),
    "conv_transpose2d": (lambda M, x, w, b: M.nn.functional.conv_transpose2d(x, w, b, stride=2),
                         [(2, 3, 4, 4), (3, 2, 3, 3), (2,)]),
    "conv_transpose1d": (lambda M, x, w, b: M.nn.functional.conv_transpose1d(x, w, b, stride=2, output_padding=1),
                         [(2, 3, 4), (3, 2, 3), (2,)]),
    "max_pool": (lambda M, x: M.nn.functional.max_pool2d(x, 3, stride=2, padding=1).sum((2, 3))
                 + M.nn.functional.max_pool1d(x.flatten(2), 2).sum(2)
                 + M.nn.functional.adaptive_max_pool2d(x, 2).sum((2, 3)), [(2, 3, 7, 7)]),
    "max_pool3d": (lambda M, x: M.nn.functional.max_pool3d(x, 2), [(1, 2, 4, 4, 4)]),
    "avg_pool": (lambda M, x: M.nn.functional.avg_pool2d(x, 2) + M.nn.functional.adaptive_avg_pool2d(x, 3),
                 [(2, 3, 6, 6)]),
    "batch_norm_training": (lambda M, x, w, b: M.nn.functional.batch_norm(
        x, M.zeros(3, dtype=x.dtype), M.ones(3, dtype=x.dtype), w, b, training=True), [(4, 3, 5, 5), (3,), (3,)]),
    "batch_norm_no_stats": (lambda M, x: M.nn.functional.batch_norm(x, None, None, training=True), [(4, 3, 5)]),
    "batch_norm_eval": (lambda M, x, w, b: M.nn.functional.batch_norm(
        x, M.full((3,), 0.5, dtype=x.dtype), M.full((3,), 2.0, dtype=x.dtype), w, b), [(4, 3, 5, 5), (3,), (3,)]),
    "layer_norm": (lambda M, x, w, b: M.nn.functional.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "views": (lambda M, x: x.view(3, 8).permute(1, 0).reshape(2, 12).t().flatten().unsqueeze(0).squeeze(0)[::2]
              + x.transpose(0, 2).contiguous().flatten()[:12], [(2, 3, 4)]),
    "indexing": (lambda M, x: x[0, 1:] + x[M.tensor([1, 0])][:, 2] + x[x > 0].sum(), [(2, 3, 4)]),
    "cat_stack": (lambda M, a, b: M.cat([a, b], 1) * 2 + M.stack([a, b], 1).sum(1).repeat(1, 2), [(3, 4), (3, 4)]),
    "reductions": (lambda M, x: x.sum() + x.mean(1).sum() + x.sum((0, 2), keepdim=True).mean() + x.amax((0, 1)).sum()
                   + x.max(1)[0].sum() + x.std() + x.logsumexp(2).sum() + x.norm(), [(2, 3, 4)]),
    "cross_entropy": (lambda M, x: M.nn.functional.cross_entropy(x, M.tensor([0, 2, 1])), [(3, 4)]),
    "cross_entropy_unreduced": (lambda M, x: M.nn.functional.cross_entropy(
        x, M.tensor([[0, 2], [1, 1], [3, 0]]), label_smoothing=0.1, reduction="none"), [(3, 4, 2)]),
    "cross_entropy_weighted": (lambda M, x: M.nn.functional.cross_entropy(
        x, M.tensor([0, 2, 1]), weight=M.tensor([1.0, 2, 3, 4], dtype=x.dtype)), [(3, 4)]),
    "cross_entropy_probabilities": (lambda M, x, t: M.nn.functional.cross_entropy(x, t.softmax(1)), [(3, 4), (3, 4)]),
    "mse_loss": (lambda M, a, b: M.nn.functional.mse_loss(a, b) + M.nn.functional.mse_loss(a, b, reduction="none"),
                 [(3, 4), (3, 4)]),
    "bce": (lambda M, a, b: M.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid())
            + M.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()), [(3, 4), (3, 4)]),
    "pad_where_clamp": (lambda M, a: M.nn.functional.pad(a, (1, 2), value=3.0)[:, 1:5]
                        + M.where(a > 0, a, a * 2).clamp(-0.5, 0.5), [(3, 4)]),
    "inplace": (lambda M, a, b: (a * 1).relu_().add_(b).mul_(2) + _set_row(a, b[0]), [(3, 4), (3, 4)]),
    "as_strided": (lambda M, a: a.as_strided((2, 2), (1, 2)), [(6,)]),
    # ops whose tangent comes from their differentiable backward
    "through_backward": (lambda M, a, b: M.nn.functional.interpolate(a, scale_factor=2, mode="bilinear")
                         .sum((2, 3)) + M.nn.functional.group_norm(a, 2).sum((2, 3))
                         + M.nn.functional.pixel_shuffle(a, 2).sum((2, 3)).repeat(1, 4) + M.atan2(b, b.exp())
                         .sum(), [(2, 4, 3, 3), (2, 4)]),
    "cnn": (lambda M, x: _cnn(M, x.dtype)(x), [(2, 3, 8, 8)]),
}


def _jvp(lib, function, arrays, tangents, dtype):
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        inputs = [lib.tensor(a, dtype=dtype) if t is None else
                  fw.make_dual(lib.tensor(a, dtype=dtype), lib.tensor(t, dtype=dtype))
                  for a, t in zip(arrays, tangents)]
        tangent = fw.unpack_dual(function(lib, *inputs)).tangent
        return tangent.detach().numpy().copy()


def _draw(shapes, which):
    rng = np.random.default_rng(RNG_SEED)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    tangents = [rng.standard_normal(shape) if which in ("all", i) else None for i, shape in enumerate(shapes)]
    return arrays, tangents


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_tangents_match_pytorch(name, dtype):
    function, shapes = OPS[name]
    for which in ["all"] + list(range(len(shapes))):
        arrays, tangents = _draw(shapes, which)
        expected = _jvp(torch, function, arrays, tangents, getattr(torch, dtype))
        actual = _jvp(torchless, function, arrays, tangents, getattr(torchless, dtype))
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        tolerance = 1e-10 if dtype == "float64" else 2e-4
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d", "max_pool", "batch_norm_training", "softmax",
                                  "cross_entropy_unreduced", "layer_norm", "cnn", "inplace"])
def test_tangents_match_finite_differences(name):
    function, shapes = OPS[name]
    arrays, tangents = _draw(shapes, "all")
    actual = _jvp(torchless, function, arrays, tangents, torchless.float64)
    step = 1e-6

    def value(sign):
        shifted = [torchless.tensor(a + sign * step * t) for a, t in zip(arrays, tangents)]
        return function(torchless, *shifted).detach().numpy()

    np.testing.assert_allclose(actual, (value(1) - value(-1)) / (2 * step), rtol=1e-5, atol=1e-6)


def test_a_tensor_without_tangent_gets_none():
    with torchless.autograd.forward_ad.dual_level():
        dual = torchless.autograd.forward_ad.make_dual(torchless.ones(3), torchless.ones(3))
        plain = torchless.ones(3).exp() * 2
        assert torchless.autograd.forward_ad.unpack_dual(plain).tangent is None
        assert torchless.autograd.forward_ad.unpack_dual(dual.argmax()).tangent is None
        assert torchless.autograd.forward_ad.unpack_dual(dual.detach()).tangent is None


UNSUPPORTED = {
    "cdist": lambda M, d: M.cdist(d(3, 4), d(2, 4)),
    "pdist": lambda M, d: M.nn.functional.pdist(d(3, 4)),
    "grid_sample": lambda M, d: M.nn.functional.grid_sample(d(1, 1, 3, 3), M.zeros(1, 2, 2, 2), align_corners=False),
    "embedding_bag": lambda M, d: M.nn.functional.embedding_bag(M.tensor([0, 1]), d(3, 2), M.tensor([0])),
    "ctc_loss": lambda M, d: M.nn.functional.ctc_loss(d(5, 2, 4).log_softmax(2), M.tensor([[1, 2, 3], [1, 2, 3]]),
                                                      [5, 5], [3, 3]),
    "multi_margin_loss": lambda M, d: M.nn.functional.multi_margin_loss(d(3, 4), M.tensor([0, 1, 2])),
    "floor_divide": lambda M, d: d(3) // 2,
    "batch_norm_statistics": lambda M, d: M.nn.functional.batch_norm(d(2, 3), d(3), M.ones(3)),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_ops_without_forward_formula_raise_pytorchs_error(name):
    errors = []
    for lib in (torch, torchless):
        fw = lib.autograd.forward_ad

        def dual(*shape):
            return fw.make_dual(lib.ones(*shape), lib.ones(*shape))

        with fw.dual_level():
            errors.append(_error(lambda: UNSUPPORTED[name](lib, dual)))
    (expected_type, expected), (actual_type, actual) = errors
    assert actual_type.__name__ == expected_type.__name__
    assert actual.replace("torchless", "torch") == expected


def test_batch_norm_statistics_with_tangents_alone_are_no_error():
    for lib in (torch, torchless):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            mean = fw.make_dual(lib.zeros(3), lib.ones(3))
            out = lib.nn.functional.batch_norm(lib.ones(2, 3), mean, lib.ones(3))
            assert fw.unpack_dual(out).tangent is None


# ---------------------------------------------------------------------------------------------- torch.func

def _call(lib, name):
    x, t = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 0.0, 2.0])
    jvp, jacfwd = lib.func.jvp, lib.func.jacfwd
    return {
        "int_output": lambda: jvp(lambda x: 3, (x,), (t,)),
        "mixed_output": lambda: jvp(lambda x: (x * 2, 3), (x,), (t,)),
        "none_output": lambda: jvp(lambda x: None, (x,), (t,)),
        "empty_output": lambda: jvp(lambda x: (), (x,), (t,)),
        "aux_not_tuple": lambda: jvp(lambda x: x * 2, (x,), (t,), has_aux=True),
        "aux_int": lambda: jvp(lambda x: (x * 2, 3), (x,), (t,), has_aux=True),
        "int_tangent": lambda: jvp(lambda x: x * 2, (x,), (t.long(),)),
        "int_primal": lambda: jvp(lambda x: x * 2, (x.long(),), (t.long(),)),
        "shape": lambda: jvp(lambda x: x * 2, (x,), (t[:2],)),
        "jacfwd_int_output": lambda: jacfwd(lambda x: 3)(x),
        "jacfwd_aux_not_tuple": lambda: jacfwd(lambda x: x.sin(), has_aux=True)(x),
        "jacfwd_random": lambda: jacfwd(lambda x: x * lib.rand(3))(x),
        "jacfwd_int_input": lambda: jacfwd(lambda x: x * 2)(x.long()),
    }[name]


@pytest.mark.parametrize("name", ["int_output", "mixed_output", "none_output", "empty_output", "aux_not_tuple",
                                  "aux_int", "int_tangent", "int_primal", "shape", "jacfwd_int_output",
                                  "jacfwd_aux_not_tuple", "jacfwd_random", "jacfwd_int_input"])
def test_func_forward_transforms_errors(name):
    _same_error(_call(torch, name), _call(torchless, name))


def _func_results(lib):
    x, t = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 0.0, 2.0])
    jvp, jacfwd = lib.func.jvp, lib.func.jacfwd
    net = _cnn(lib, lib.float64).eval()  # (PyTorch refuses updates of running statistics in transforms)
    results = {
        "item": jvp(lambda x: x * x.sum().item(), (x,), (t,)),
        "control_flow": jvp(lambda x: x if x.sum() > 0 else -x, (x,), (t,)),
        "argmax": jvp(lambda x: x.argmax(), (x,), (t,)),
        "comparison": jvp(lambda x: x > 1, (x,), (t,)),
        "float64_tangent": jvp(lambda x: x.sin(), (x,), (t.double(),)),
        "aux": jvp(lambda x: (x.sin(), {"a": x.cos()}), (x,), (t,), has_aux=True),
        "constant": jvp(lambda x: lib.ones(2), (x,), (t,)),
        "jacfwd": jacfwd(lambda x: x.sin() * x.sum().item())(x),
        "jacfwd_argnums": jacfwd(lambda x, y: x * y.exp(), argnums=(0, 1))(x, t),
        "jacfwd_aux": jacfwd(lambda x: (x.sin(), x.cos()), has_aux=True)(x),
        "jacfwd_int_output": jacfwd(lambda x: x.argmax())(x),
        "jacfwd_same_randomness": jacfwd(lambda x: x * lib.rand(3) * 0, randomness="same")(x),
        "jacfwd_cnn": jacfwd(lambda x: net(x.reshape(1, 3, 8, 8)))(
            lib.tensor(np.random.default_rng(3).standard_normal(192))),
        "hessian": lib.func.hessian(lambda x: (x ** 3).sum() * x.sum().item())(x),
        "jacfwd_of_jacrev": jacfwd(lib.func.jacrev(lambda x: x.sin().prod()))(x),
        "grad_of_jvp": lib.func.grad(lambda x: jvp(lambda y: y.sin() * y, (x,), (t,))[1].sum())(x),
        "jvp_of_grad": jvp(lib.func.grad(lambda y: (y.sin() * y).sum()), (x,), (t,)),
        "jvp_of_jvp": jvp(lambda x: jvp(lambda y: y.exp() * y, (x,), (t,))[1], (x,), (t,)),
        "linearize": lib.func.linearize(lambda x: x.sin(), x)[1](t),
    }
    return {name: [leaf.detach().numpy() for leaf in _leaves(value)] for name, value in results.items()}


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def test_func_forward_transforms_match_pytorch():
    expected, actual = _func_results(torch), _func_results(torchless)
    for name in expected:
        assert len(actual[name]) == len(expected[name]), name
        for e, a in zip(expected[name], actual[name]):
            assert a.dtype == e.dtype and a.shape == e.shape, name
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------------------------------------- vmap's refusals

VMAPPED = {
    "item": lambda M, x: x * x.sum().item(),
    "float": lambda M, x: x * float(x.sum()),
    "int": lambda M, x: x * int(x.sum()),
    "control_flow": lambda M, x: x if x.sum() > 0 else -x,
    "control_flow_any": lambda M, x: x if (x > 1).any() else -x,
    "tolist": lambda M, x: x * len(x.tolist()),
    "numpy": lambda M, x: x * x.numpy().sum(),
    "nonzero": lambda M, x: x.nonzero(),
}


@pytest.mark.parametrize("name", sorted(VMAPPED))
def test_vmap_refuses_reading_batched_values(name):
    _same_error(lambda: torch.func.vmap(lambda x: VMAPPED[name](torch, x))(torch.arange(6.0).reshape(3, 2)),
                lambda: torchless.func.vmap(lambda x: VMAPPED[name](torchless, x))(torchless.arange(6.0).reshape(3, 2)))


def test_vmap_reads_values_of_captured_tensors_and_after_it_returns():
    for lib in (torch, torchless):
        scale = lib.tensor(2.0)
        out = lib.func.vmap(lambda x: x * scale.item() + (x * 0 if scale > 1 else x))(lib.arange(6.0).reshape(3, 2))
        assert out.tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
        assert out.sum().item() == 30.0


# ---------------------------------------------------------------------------------------------- custom Functions

def _custom_functions(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * grad

    class SquareWithJvp(Square):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_forward(x)
            ctx.scale = scale
            # forward's own ops see no tangent: a wrong one here would not reach the result
            assert lib.autograd.forward_ad.unpack_dual(x).tangent is None
            return x * x * scale, x.exp()

        @staticmethod
        def jvp(ctx, tangent, scale_tangent):
            x, = ctx.saved_tensors
            return 2 * x * tangent * ctx.scale, x.exp() * tangent

    return Square, SquareWithJvp


def test_custom_function_forward_mode():
    results = []
    for lib in (torch, torchless):
        fw = lib.autograd.forward_ad
        square, with_jvp = _custom_functions(lib)
        with fw.dual_level():
            x = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, -1.0]))
            error = _error(lambda: square.apply(x))
            first, second = with_jvp.apply(x, 3.0)
            results.append((error[0].__name__, error[1], fw.unpack_dual(first).tangent.numpy(),
                            fw.unpack_dual(second).tangent.numpy()))
    expected, actual = results
    assert actual[:2] == expected[:2]
    for e, a in zip(expected[2:], actual[2:]):
        np.testing.assert_allclose(a, e, rtol=1e-6)
