"""Higher-order gradients: ``create_graph=True`` through each supported op, gradient penalties, Hessians.

Every op's second derivative is compared with PyTorch's (grad with create_graph=True, then grad again) and,
in float64, with central differences of its first gradient (computed by the ordinary, array backward), which
needs no PyTorch.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import numerical_second_gradients


def _torch():
    return pytest.importorskip("torch")


def _first_and_second(lib, fn, arrays, seed=0):
    """(first gradients g_i of sum(u * fn(x)), second gradients of sum_i sum(w_i * g_i)) with respect to each x_i,
    u and w_i standard normal drawn with ``seed``; the first computed with create_graph=True."""
    rng = np.random.default_rng(seed)
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    u = lib.tensor(rng.standard_normal(tuple(out.shape)))
    firsts = lib.autograd.grad(out, xs, u, create_graph=True)
    w = [lib.tensor(rng.standard_normal(a.shape)) for a in arrays]
    used = [(g, v) for g, v in zip(firsts, w) if g.requires_grad]
    seconds = lib.autograd.grad(sum((g * v).sum() for g, v in used), xs, allow_unused=True)
    seconds = [np.zeros(a.shape) if s is None else s.detach().numpy() for s, a in zip(seconds, arrays)]
    return [g.detach().numpy() for g in firsts], seconds


def _inputs(shapes, seed=1, positive=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return [np.abs(a) + 0.5 for a in arrays] if positive else arrays


F = lambda lib: lib.nn.functional  # noqa: E731

# name: (fn(lib, *tensors), input shapes, positive inputs)
CASES = {
    "add": (lambda L, a, b: (a + b * 2 - 3 + a.add(b, alpha=2)) ** 3, [(3, 4), (4,)], False),
    "sub": (lambda L, a, b: (a - b).sub(b, alpha=0.5) ** 3 + (2 - a) ** 2, [(3, 4), (3, 1)], False),
    "mul": (lambda L, a, b: a * b * a, [(3, 4), (3, 1)], False),
    "div": (lambda L, a, b: a / (b * b + 1) + 2 / (a * a + 1), [(3, 4), (4,)], False),
    "neg": (lambda L, a: (-a) ** 3, [(5,)], False),
    "pow_scalar": (lambda L, a: a ** 3 + a.abs() ** 2.5 + a.pow(2), [(3, 4)], False),
    "pow_scalar_base": (lambda L, a: 2 ** a + 0.5 ** (a * a), [(3, 4)], False),
    "pow_tensor": (lambda L, a, b: a ** b, [(3, 4), (4,)], True),
    "exp": (lambda L, a: a.exp() * a, [(3, 4)], False),
    "log": (lambda L, a: a.log() * a, [(3, 4)], True),
    "sqrt": (lambda L, a: a.sqrt() * a + L.sqrt(a + 1), [(3, 4)], True),
    "sin_cos": (lambda L, a: a.sin() * a.cos() + L.sin(a * a), [(3, 4)], False),
    "tanh_sigmoid": (lambda L, a: a.tanh() * a + L.sigmoid(a * a) + F(L).tanh(a) ** 2, [(3, 4)], False),
    "relu": (lambda L, a: F(L).relu(a) ** 3 + a.relu() * a, [(3, 4)], False),
    "leaky_relu_hardtanh": (lambda L, a: F(L).leaky_relu(a, 0.2) ** 3 + F(L).hardtanh(a * 2) ** 3
                            + F(L).relu6(a * 4) ** 2, [(3, 4)], False),
    "prelu_rrelu": (lambda L, x, w: F(L).prelu(x, w) ** 3 + F(L).rrelu(x * 2) ** 3
                    + F(L).prelu(x, w[:1] * w[:1]) ** 2, [(2, 3, 4), (3,)], False),
    "abs_clamp": (lambda L, a: a.abs() ** 3 + a.clamp(-0.5, 0.7) ** 3, [(3, 4)], False),
    "sum_mean": (lambda L, a: (a * a).sum(1, keepdim=True) ** 2 + a.mean(0) ** 3 + a.sum() * a
                 + (a ** 2).mean() * a, [(3, 4)], False),
    "reshape_views": (lambda L, a: a.reshape(2, 6).unsqueeze(0).flatten().view(3, 4).squeeze() ** 3
                      + a.unsqueeze(1).squeeze(1) ** 2, [(3, 4)], False),
    "permute_transpose": (lambda L, a: a.permute(2, 0, 1) ** 3 + a.transpose(0, 2).mT ** 2 + (a[0].t() @ a[1]).sum(),
                          [(2, 3, 4)], False),
    "expand": (lambda L, a: (a[:1].expand(5, 4) ** 3).sum(0) + a[:, :1].expand(-1, 4) ** 2, [(3, 4)], False),
    "indexing": (lambda L, a: (a[1:, ::2] ** 3).sum() + (a[0] ** 3).sum() + (a[..., None] ** 2).sum()
                 + (a[[0, 2, 0]] ** 3).sum() + (a[a > 0] ** 3).sum() + (a[:, [1, 1]] ** 3).sum(),
                 [(3, 4)], False),
    "constant_pad": (lambda L, a: F(L).pad(a, (1, 2, -1, 1), value=0.5) ** 3, [(3, 4)], False),
    "cat_stack": (lambda L, a, b: L.cat([a, b * 2], 1)[:, 2:6] ** 3 + L.stack([a, b], 0).sum(0) ** 2,
                  [(3, 4), (3, 4)], False),
    "matmul": (lambda L, a, b: (a @ b) ** 2, [(3, 4), (4, 2)], False),
    "matmul_vectors": (lambda L, a, b: (a @ b) ** 2 + (b @ b) * a[0] + (a @ a[0]) ** 2,
                       [(4, 4), (4,)], False),
    "matmul_batched": (lambda L, a, b: (a @ b).tanh(), [(2, 3, 4), (4, 2)], False),
    "mm": (lambda L, a, b: L.mm(a, b) ** 2, [(3, 4), (4, 2)], False),
    "linear": (lambda L, x, w, b: F(L).linear(x, w, b) ** 2, [(3, 4), (2, 4), (2,)], False),
    "linear_3d_no_bias": (lambda L, x, w: F(L).linear(x, w).tanh(), [(2, 3, 4), (5, 4)], False),
    "conv2d": (lambda L, x, w, b: F(L).conv2d(x, w, b) ** 2, [(2, 2, 5, 4), (3, 2, 3, 2), (3,)], False),
    "conv2d_strided_grouped": (lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2),
                                                              groups=2) ** 2,
                               [(2, 4, 6, 7), (4, 2, 3, 2), (4,)], False),
    "conv2d_same": (lambda L, x, w: F(L).conv2d(x, w, padding="same") ** 2, [(1, 2, 5, 5), (2, 2, 2, 2)], False),
    "conv1d": (lambda L, x, w, b: F(L).conv1d(x, w, b, stride=2, padding=1) ** 2, [(2, 2, 7), (3, 2, 3), (3,)],
               False),
    "conv_transpose2d": (lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                                                groups=2, dilation=(1, 2)) ** 2,
                         [(2, 4, 3, 4), (4, 1, 3, 2), (2,)], False),
    "conv_transpose1d": (lambda L, x, w, b: F(L).conv_transpose1d(x, w, b, stride=2) ** 2,
                         [(2, 3, 4), (3, 2, 3), (2,)], False),
    "conv_transpose3d": (lambda L, x, w: F(L).conv_transpose3d(x, w, padding=1).tanh(),
                         [(1, 2, 3, 2, 3), (2, 2, 2, 3, 2)], False),
    "max_pool2d": (lambda L, x: F(L).max_pool2d(x, 2) ** 3, [(2, 2, 4, 6)], False),
    "max_pool2d_padded": (lambda L, x: F(L).max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True) ** 3,
                          [(1, 2, 5, 6)], False),
    "avg_pool2d": (lambda L, x: F(L).avg_pool2d(x * x, 2) ** 2, [(2, 2, 4, 6)], False),
    "avg_pool2d_padded": (lambda L, x: F(L).avg_pool2d(x * x, 3, stride=2, padding=1, ceil_mode=True,
                                                       count_include_pad=False) ** 2, [(1, 2, 5, 6)], False),
    "interpolate_nearest": (lambda L, x: F(L).interpolate(x, scale_factor=2) ** 3
                            + (F(L).interpolate(x, size=(2, 7), mode="nearest-exact") ** 3).sum(), [(1, 2, 3, 4)],
                            False),
    "interpolate_bilinear": (lambda L, x: F(L).interpolate(x * x, size=(5, 3), mode="bilinear") ** 2
                             + (F(L).interpolate(x, scale_factor=2, mode="bilinear", align_corners=True) ** 3).sum(),
                             [(1, 2, 3, 4)], False),
    "upsample_linear_bicubic": (lambda L, x: F(L).interpolate(x[0] ** 2, size=7, mode="linear").tanh()
                                + (F(L).interpolate(x * x, size=(4, 6), mode="bicubic") ** 2).sum(), [(1, 2, 3, 4)],
                                False),
    "embedding": (lambda L, w: F(L).embedding(L.tensor([[1, 0, 3], [3, 3, 2]]), w * w) ** 2
                  + (F(L).embedding(L.tensor([1, 1, 2]), w, padding_idx=2, scale_grad_by_freq=True) ** 3).sum(),
                  [(4, 3)], False),
    "softmax": (lambda L, x: F(L).softmax(x, 1) * x, [(3, 4)], False),
    "log_softmax": (lambda L, x: F(L).log_softmax(x, 0) * x, [(3, 4)], False),
    "nll_loss": (lambda L, x: F(L).nll_loss(F(L).log_softmax(x * x, 1), L.tensor([1, 0, 3])), [(3, 4)], False),
    "cross_entropy": (lambda L, x: F(L).cross_entropy(x * x, L.tensor([1, 0, 3])), [(3, 4)], False),
    "cross_entropy_weighted_smoothed": (
        lambda L, x: F(L).cross_entropy(x.sin(), L.tensor([[1, 0], [3, 2], [0, -100]]),
                                        weight=L.tensor([1.0, 2.0, 0.5, 1.5], dtype=L.float64),
                                        label_smoothing=0.1, reduction="none"), [(3, 4, 2)], False),
    "mse_loss": (lambda L, x, t: F(L).mse_loss(x * x, t.sin()), [(3, 4), (3, 4)], False),
    "mse_loss_none": (lambda L, x: F(L).mse_loss(x.tanh(), L.ones(3, 4, dtype=L.float64), reduction="none"),
                      [(3, 4)], False),
    "vector_norm": (lambda L, x: x.norm(2, dim=1, keepdim=True) ** 3 + x.norm() * x, [(3, 4)], False),
    "l1_loss": (lambda L, x, t: F(L).l1_loss(x * x, t) ** 2 + F(L).l1_loss(x, t.sin(), reduction="none") ** 3,
                [(3, 4), (3, 4)], False),
    "smooth_l1_huber": (lambda L, x, t: F(L).smooth_l1_loss(x * x, t, beta=0.7) ** 2
                        + F(L).huber_loss(x, t.sin(), reduction="none", delta=0.6) ** 3, [(3, 4), (3, 4)], False),
    "bce": (lambda L, x, t: F(L).binary_cross_entropy(x.sigmoid(), t.sigmoid(), reduction="none") ** 2
            + F(L).binary_cross_entropy(x.sigmoid(), t.sigmoid(), weight=L.tensor([1.0, 2.0, 0.5, 1.5],
                                        dtype=L.float64)) * x, [(3, 4), (3, 4)], False),
    "bce_with_logits": (lambda L, x, t: F(L).binary_cross_entropy_with_logits(x, t.sigmoid(), reduction="none") ** 2
                        + F(L).binary_cross_entropy_with_logits(
                            x * 2, t, pos_weight=L.tensor([1.0, 2.0, 0.5, 3.0], dtype=L.float64),
                            weight=L.tensor([[0.5], [1.0], [2.0]], dtype=L.float64)) * x, [(3, 4), (3, 4)], False),
    "kl_div": (lambda L, x, t: F(L).kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean") * x
               + F(L).kl_div(x, t, reduction="none", log_target=True) ** 2, [(3, 4), (3, 4)], False),
    "addmm_addmv_addr": (lambda L, i, a, b: L.addmm(i, a, b.mT, beta=0.5, alpha=2) ** 2
                         + L.addmv(i[0], a, b[1], alpha=3) ** 2 + L.addr(i, a[:, 0], b[0, :3], beta=2) ** 2,
                         [(3, 3), (3, 4), (3, 4)], False),
    "baddbmm_addbmm": (lambda L, i, a, b: L.baddbmm(i, a, b.mT, alpha=0.5) ** 2
                       + L.addbmm(i[0], a, b.mT, beta=0.5) ** 2, [(2, 3, 3), (2, 3, 4), (2, 3, 4)], False),
    "addcmul_addcdiv": (lambda L, i, a, b: L.addcmul(i, a, b, value=0.5) ** 2
                        + L.addcdiv(i, a, b * b + 1, value=2) ** 2, [(3, 4), (3, 4), (4,)], False),
    "einsum": (lambda L, a, b: L.einsum("ij,jk->ik", a, b) ** 2 + L.einsum("ij,ij->i", a, b.mT[:3, :4]).sum()
               + L.einsum("bi,j->bij", a, b[0]).sum(1) ** 3, [(3, 4), (4, 3)], False),
    "batch_norm_training": (lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True).tanh(),
                            [(3, 2, 4), (2,), (2,)], False),
    "batch_norm_eval": (lambda L, x, w, b: F(L).batch_norm(x * x, L.tensor([0.5, -1.0], dtype=L.float64),
                                                           L.tensor([2.0, 0.5], dtype=L.float64), w, b).tanh(),
                        [(3, 2, 4), (2,), (2,)], False),
    "batch_norm_no_affine": (lambda L, x: F(L).batch_norm(x, None, None, training=True, eps=0.1) ** 3,
                             [(4, 3)], False),
    "layer_norm": (lambda L, x, w, b: F(L).layer_norm(x, (3, 4), w, b).tanh(), [(2, 3, 4), (3, 4), (3, 4)], False),
    "layer_norm_no_affine": (lambda L, x: F(L).layer_norm(x, (4,), eps=0.1) ** 3, [(3, 4)], False),
    "group_norm": (lambda L, x, w, b: F(L).group_norm(x, 2, w, b).tanh(), [(2, 4, 3), (4,), (4,)], False),
    "instance_norm": (lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b).tanh(),
                      [(2, 3, 5), (3,), (3,)], False),
    "gelu": (lambda L, x: F(L).gelu(x) * x + F(L).gelu(x * 2, approximate="tanh") ** 2, [(3, 4)], False),
    "erf": (lambda L, x: x.erf() * x + L.erfc(x * x), [(3, 4)], False),
    "elu_selu_celu": (lambda L, x: F(L).elu(x * 2, 0.7) ** 2 + F(L).selu(x) * x + F(L).celu(x, 1.5) ** 3,
                      [(3, 4)], False),
    "softplus": (lambda L, x: F(L).softplus(x * 4) ** 2 + F(L).softplus(x, beta=2, threshold=1) ** 3, [(3, 4)], False),
    "silu_mish": (lambda L, x: F(L).silu(x) * x + F(L).mish(x * 2) ** 2, [(3, 4)], False),
    "logsigmoid": (lambda L, x: F(L).logsigmoid(x * 3) * x, [(3, 4)], False),
    "hardswish": (lambda L, x: F(L).hardswish(x * 4) ** 2, [(3, 4)], False),
    "shrink": (lambda L, x: F(L).hardshrink(x) ** 3 + F(L).softshrink(x, 0.3) ** 3, [(3, 4)], False),
    "var_std": (lambda L, x: x.var(1, keepdim=True) * x + x.std(0) ** 3 + x.var() * x + x.std(correction=0) ** 2,
                [(3, 4)], False),
    "var_mean_std_mean": (lambda L, x: L.var_mean(x, 1)[0] ** 2 + L.var_mean(x, 1)[1] ** 3
                          + L.std_mean(x, (0, 1))[0] * x[0, :3], [(3, 4)], False),
    "max_min": (lambda L, x: x.max() * x + x.amin(1, keepdim=True) ** 3 + x.amax((0, 1), keepdim=True) ** 2
                + x.max(1, keepdim=True)[0] ** 3 + x.min(0).values ** 3 + x.median() ** 2, [(3, 4)], False),
    "prod": (lambda L, x: x.prod() * x + x.prod(1, keepdim=True) ** 2 + x.prod(0) ** 3, [(3, 4)], False),
    "instance_norm_running_stats": (
        lambda L, x, w: F(L).instance_norm(x, L.tensor([0.5, -1.0, 0.0], dtype=L.float64),
                                           L.tensor([2.0, 0.5, 1.0], dtype=L.float64), w,
                                           use_input_stats=False).tanh(), [(2, 3, 5), (3,)], False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_torch(name):
    torch = _torch()
    fn, shapes, positive = CASES[name]
    arrays = _inputs(shapes, positive=positive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns in both
        ours, theirs = _first_and_second(torchless, fn, arrays), _first_and_second(torch, fn, arrays)
    for mine, expected in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_finite_differences(name):
    fn, shapes, positive = CASES[name]
    arrays = _inputs(shapes, positive=positive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, seconds = _first_and_second(torchless, fn, arrays)
        numerical = numerical_second_gradients(fn, arrays)
    for mine, expected in zip(seconds, numerical):
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-6)


def test_float32_second_derivatives_match_torch():
    torch = _torch()
    arrays = [a.astype(np.float32) for a in _inputs([(2, 2, 6, 6), (3, 2, 3, 3), (3,)])]

    def fn(L, x, w, b):
        return F(L).max_pool2d(F(L).conv2d(x, w, b, padding=1).tanh(), 2)

    ours, theirs = _first_and_second(torchless, fn, arrays), _first_and_second(torch, fn, arrays)
    for mine, expected in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, expected, rtol=1e-4, atol=1e-5)


def test_hardsigmoid_has_no_second_derivative_as_in_pytorch():
    # PyTorch's backward of hardsigmoid is not differentiable: the first gradient is recorded, differentiating it
    # fails, with PyTorch's error
    torch = pytest.importorskip("torch")
    errors = []
    for library in (torchless, torch):
        x = library.tensor([0.5, -4.0, 1.0], requires_grad=True)
        (gradient,) = library.autograd.grad(F(library).hardsigmoid(x).sum(), x, create_graph=True)
        np.testing.assert_allclose(gradient.detach().numpy(), [1 / 6, 0, 1 / 6], rtol=1e-6)
        with pytest.raises(RuntimeError) as raised:
            library.autograd.grad(gradient.sum(), x)
        errors.append(str(raised.value))
    assert errors[0] == errors[1]


def test_dropout_mask_is_a_constant_of_the_second_derivative():
    def fn(L, x):
        L.manual_seed(0)  # the same mask at every call, for the finite differences
        return F(L).dropout(x, 0.5) ** 3

    arrays = _inputs([(4, 5)])
    _, (second,) = _first_and_second(torchless, fn, arrays)
    (numerical,) = numerical_second_gradients(fn, arrays)
    np.testing.assert_allclose(second, numerical, rtol=1e-5, atol=1e-6)
    assert (second == 0).any() and (second != 0).any()


# ---------------------------------------------------------------------------- a gradient penalty (WGAN-GP)
def _critic(lib):
    lib.manual_seed(0)
    nn = lib.nn

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3, padding=1)
            self.fc = nn.Linear(3 * 4 * 4, 1)

        def forward(self, x):
            x = nn.functional.max_pool2d(nn.functional.relu(self.conv(x)), 2)
            return self.fc(x.flatten(1))

    return Critic()


def _wgan_gp_step(lib, critic, real, fake, mix):
    real, fake, mix = lib.tensor(real), lib.tensor(fake), lib.tensor(mix)
    blend = (mix * real + (1 - mix) * fake).requires_grad_(True)
    (gradient,) = lib.autograd.grad(critic(blend), blend, lib.ones(real.shape[0], 1), create_graph=True)
    penalty = ((gradient.reshape(real.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    critic.zero_grad()
    loss.backward()
    return float(loss), penalty.item(), {name: p.grad.numpy().copy() for name, p in critic.named_parameters()}


def test_wgan_gp_parameter_gradients_match_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    real, fake = rng.random((4, 1, 8, 8), dtype=np.float32), rng.random((4, 1, 8, 8), dtype=np.float32)
    mix = rng.random((4, 1, 1, 1), dtype=np.float32)
    theirs = _critic(torch)
    ours = _critic(torchless)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    loss, penalty, grads = _wgan_gp_step(torchless, ours, real, fake, mix)
    their_loss, their_penalty, their_grads = _wgan_gp_step(torch, theirs, real, fake, mix)
    assert loss == pytest.approx(their_loss, rel=1e-5) and penalty == pytest.approx(their_penalty, rel=1e-5)
    assert penalty > 0.01  # the penalty's gradient is not negligible
    for name, grad in their_grads.items():
        np.testing.assert_allclose(grads[name], grad, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------- autograd.functional
def _functional_cases(lib):
    AF = lib.autograd.functional
    rng = np.random.default_rng(3)
    x, v = lib.tensor(rng.standard_normal(4)), lib.tensor(rng.standard_normal(4))
    m, mv = lib.tensor(rng.standard_normal((2, 4))), lib.tensor(rng.standard_normal((2, 4)))
    f = lambda a: (a.sin() * a ** 2).sum()  # noqa: E731
    g = lambda a, b: (F(lib).softmax(b @ a, 0) * (b ** 2).sum(1)).sum() + a.exp().sum()  # noqa: E731
    return {
        "hessian": lambda: AF.hessian(f, x),
        "hessian_tuple": lambda: AF.hessian(g, (x, m)),
        "hvp": lambda: AF.hvp(f, x, v),
        "hvp_tuple": lambda: AF.hvp(g, (x, m), (v, mv)),
        "vhp": lambda: AF.vhp(f, x, v),
        "vhp_tuple": lambda: AF.vhp(g, (x, m), (v, mv)),
        "jvp_create_graph": lambda: AF.jvp(lambda a: a.tanh() * a, x, v, create_graph=True),
        "vjp_create_graph": lambda: AF.vjp(lambda a: a.tanh() * a, x, v, create_graph=True),
        "jacobian_create_graph": lambda: AF.jacobian(lambda a: a.tanh() * a, x, create_graph=True),
    }


def _arrays(result):
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in _arrays(r)]
    return [result.detach().numpy()]


@pytest.mark.parametrize("name", sorted(_functional_cases(torchless)))
def test_autograd_functional_second_order_matches_torch(name):
    torch = _torch()
    ours, theirs = _arrays(_functional_cases(torchless)[name]()), _arrays(_functional_cases(torch)[name]())
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        assert mine.shape == expected.shape
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)


def test_hvp_with_create_graph_differentiates_again():
    torch = _torch()

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64)
        value, product = lib.autograd.functional.hvp(lambda t: (t ** 4).sum(), x, v, create_graph=True)
        assert value.requires_grad and product.requires_grad
        return lib.autograd.grad(product.sum(), x)[0].numpy()

    np.testing.assert_allclose(run(torchless), run(torch))


def test_hessian_checks_its_function_as_torch_does():
    torch = _torch()
    for fn in (lambda t: t * 2, lambda t: (t.sum(), t.sum())):
        with pytest.raises(RuntimeError) as theirs:
            torch.autograd.functional.hessian(fn, torch.ones(2, dtype=torch.float64))
        with pytest.raises(RuntimeError, match=str(theirs.value)):
            torchless.autograd.functional.hessian(fn, torchless.ones(2, dtype=torchless.float64))


def test_gradgradcheck():
    rng = np.random.default_rng(0)
    x = torchless.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = torchless.tensor(rng.standard_normal(3), requires_grad=True)
    assert torchless.autograd.gradgradcheck(lambda a, b: (a * b).sin() + (a @ b).exp().sum(), (x, y))

    class WrongSecondDerivative(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * 3 * a.detach() ** 2  # the right value, but a constant of the graph

    assert torchless.autograd.gradcheck(WrongSecondDerivative.apply, (x,))
    with pytest.raises(torchless.autograd.GradcheckError):
        torchless.autograd.gradgradcheck(WrongSecondDerivative.apply, (x,))


# ---------------------------------------------------------------------------- the engine
def test_unsupported_node_raises_naming_it():
    x = torchless.ones(3, requires_grad=True)

    class Twice(torchless._ops.unary.Exp):  # a backward of its own: it does not inherit a formula of Exp's
        def backward(self, grad):
            return (2 * grad * self.out,)

    with pytest.raises(NotImplementedError, match=r"torchless cannot differentiate through TwiceBackward0 "
                                                  r"\(create_graph=True\)"):
        torchless.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)


def test_custom_function_backward_is_differentiated():
    torch = _torch()

    def run(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a ** 3

            @staticmethod
            def backward(ctx, grad):
                (a,) = ctx.saved_tensors
                return grad * 3 * a ** 2

        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        return g.detach().numpy(), lib.autograd.grad(g.sum(), x)[0].numpy()

    for mine, expected in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(mine, expected)


def test_once_differentiable_refuses_a_second_derivative():
    from torchless.autograd.function import once_differentiable

    class Cube(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * 3 * a ** 2

    x = torchless.tensor([0.5, -1.0], requires_grad=True)
    v = torchless.ones(2, requires_grad=True)
    (g,) = torchless.autograd.grad(Cube.apply(x), x, v, create_graph=True)
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_backward_create_graph_accumulates_grad_with_a_graph():
    torch = _torch()

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.requires_grad))
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad
        (x ** 2).sum().backward(create_graph=True)  # adds out of place: the first .grad is unchanged
        second = x.grad
        (dx,) = lib.autograd.grad(second.sum(), x)
        return (first.detach().numpy(), first.grad_fn is not None, second.detach().numpy(), dx.numpy(), seen[:2])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference cycle between a leaf and its .grad, which both warn about
        ours, theirs = run(torchless), run(torch)
    for mine, expected in zip(ours, theirs):
        np.testing.assert_equal(mine, expected)


def test_backward_create_graph_warns_about_the_reference_cycle():
    # PyTorch's warning is TORCH_WARN_ONCE: set_warn_always makes it warn here whatever ran before
    x = torchless.tensor([0.5, -1.0], requires_grad=True)
    torchless.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will create a reference cycle"):
            (x ** 3).sum().backward(create_graph=True)
    finally:
        torchless.set_warn_always(False)


def test_hook_replacing_a_gradient_under_create_graph():
    torch = _torch()

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * y)  # differentiable: the replacement's graph counts
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        return g.detach().numpy(), lib.autograd.grad(g.sum(), x)[0].numpy()

    for mine, expected in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(mine, expected)


def test_in_place_change_of_a_saved_tensor_is_caught_under_create_graph():
    torch = _torch()

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        y.add_(1)
        try:
            lib.autograd.grad(z, x, create_graph=True)
        except RuntimeError as error:
            return str(error).replace("torch.", "torchless.")

    assert run(torchless) == run(torch)


def test_anomaly_mode_checks_the_recorded_backward():
    x = torchless.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchless.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="returned nan values"):
                torchless.autograd.grad((x.sqrt() * 0).sum(), x, create_graph=True)


def test_retain_graph_follows_create_graph():
    x = torchless.tensor([0.5, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    (g,) = torchless.autograd.grad(y, x, create_graph=True)
    (again,) = torchless.autograd.grad(y, x)  # the graph was retained
    np.testing.assert_allclose(g.detach().numpy(), again.numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        torchless.autograd.grad(y, x)


def test_ordinary_gradients_record_no_graph():
    x = torchless.tensor([0.5, 2.0], requires_grad=True)
    (g,) = torchless.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
