"""bfloat16 follow-ups: the graph of a bfloat16 op as PyTorch's (its own node, no rounding casts), x ** 3 and
x ** -2 as one PowBackward0, and CPU autocast's lists (set_autocast_enabled, addmm's mixed operands, the float32
list's composed losses and pools, index_copy's promotion).

Each part checks against torch at run time when it is installed, and against an independent round-to-nearest-even
reference (float32 bits rounded by hand) otherwise."""
import numpy as np
import pytest

import torchless
from helpers import as_bf16, bfloat16_rne

pytest.importorskip("ml_dtypes")


def values(n=400, seed=0, scale=3.0):
    x = bfloat16_rne(np.random.default_rng(seed).standard_normal(n).astype(np.float32) * np.float32(scale))
    return x[x != 0]


def floats(t):
    return t.detach().float().numpy()


# ---------------------------------------------------------------------------- independent references
def test_rne_reference_ties_to_even():
    # 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even (1); 1 + 3 * 2^-8 goes up
    assert bfloat16_rne([1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8)]).tolist() == [1.0, 1 + 2 ** -6, -1.0]


@pytest.mark.parametrize("exponent", [3, -2])
def test_small_pow_rounds_as_reference(exponent):
    x = values()
    g = values(len(x), seed=1, scale=1.0)[:len(x)]
    x = x[:len(g)]
    xt = as_bf16(torchless, x, True)
    y = xt ** exponent
    y.backward(as_bf16(torchless, g))
    square = bfloat16_rne(x * x)
    expected = bfloat16_rne(square * x) if exponent == 3 else bfloat16_rne(np.float32(1) / square)
    power = bfloat16_rne(x * x) if exponent == 3 else bfloat16_rne(np.power(x, np.float32(-3)))
    grad = bfloat16_rne(g * bfloat16_rne(np.float32(exponent) * power))
    assert y.dtype == torchless.bfloat16 and xt.grad.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(y), expected)
    np.testing.assert_array_equal(floats(xt.grad), grad)
    assert y.grad_fn.name() == "PowBackward0"
    assert [n.name() for n, _ in y.grad_fn.next_functions] == ["torch::autograd::AccumulateGrad"]


def test_graph_has_the_ops_node_not_the_rounding():
    x = as_bf16(torchless, [1.5, -2.25, 3.0], True)
    for y, name in [(x * 2, "MulBackward0"), (x.exp(), "ExpBackward0"), (x.sum(), "SumBackward0"),
                    (x.sigmoid(), "SigmoidBackward0"), (2 / x, "MulBackward0")]:
        assert y.dtype == torchless.bfloat16 and y.grad_fn.name() == name
    assert (2 / x).grad_fn.next_functions[0][0].name() == "ReciprocalBackward0"
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.dtype))
    y.sum().backward()
    assert seen == [torchless.bfloat16] and x.grad.dtype == torchless.bfloat16


def test_sigmoid_gradient_reads_the_rounded_result():
    x = values(300)
    xt = as_bf16(torchless, x, True)
    y = xt.sigmoid()
    y.sum().backward()
    s = floats(y)
    np.testing.assert_array_equal(s, bfloat16_rne(1 / (1 + np.exp(-x.astype(np.float64)))))
    # sigmoid_backward: grad * (1 - y) * y in float32 from the bfloat16 result, rounded once
    np.testing.assert_array_equal(floats(xt.grad), bfloat16_rne((np.float32(1) - s) * s))


def test_inplace_change_of_saved_bfloat16_refused():
    x = as_bf16(torchless, [1.5, -2.25, 3.0], True)
    y = x.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[CPUBFloat16Type \[3\]\], which is output 0 of Exp, is at version 1"):
        y.sum().backward()
    y = x.clone()
    z = y * y
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[CPUBFloat16Type \[3\]\], which is output 0 of Mul, is at version 1"):
        z.sum().backward()


def test_set_autocast_enabled_lowers_without_context():
    a = np.array([[1, 2], [3, 4]], np.float32)
    try:
        torchless.set_autocast_enabled("cpu", True)
        out = torchless.mm(torchless.tensor(a), torchless.tensor(a))
    finally:
        torchless.set_autocast_enabled("cpu", False)
    assert out.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(out), bfloat16_rne(a @ a))
    assert torchless.mm(torchless.tensor(a), torchless.tensor(a)).dtype == torchless.float32


def test_autocast_addmm_mixed_operands():
    m = np.array([[1.5, 2], [3, 4.25]], np.float32)
    with torchless.autocast("cpu"):
        out = torchless.addmm(torchless.ones(2), as_bf16(torchless, m), torchless.tensor(m))
    assert out.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(out), bfloat16_rne(m @ m + 1))


# ---------------------------------------------------------------------------- against torch
def _both(fn):
    torch = pytest.importorskip("torch")
    return fn(torch), fn(torchless)


def _same(a, b, rtol=0):
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    if rtol:  # (a float32 result: the float32 kernels' own last-bit differences are not what is checked here)
        np.testing.assert_allclose(b.detach().float().numpy(), a.detach().float().numpy(), rtol=rtol)
    else:
        np.testing.assert_array_equal(b.detach().float().numpy(), a.detach().float().numpy())


@pytest.mark.parametrize("op", ["mul", "pow3", "pown2", "rdiv", "exp", "sum", "add", "sigmoid", "mean", "tanh",
                                "mm"])
def test_graph_and_gradients_match_torch(op):
    x = values(24, seed=3)[:12].reshape(3, 4)

    def run(mod):
        xt = as_bf16(mod, x, True)
        y = {"mul": lambda: xt * 2, "pow3": lambda: xt ** 3, "pown2": lambda: xt ** -2, "rdiv": lambda: 2 / xt,
             "exp": lambda: (xt / 4).exp(), "sum": lambda: xt.sum(), "add": lambda: xt + xt,
             "sigmoid": lambda: xt.sigmoid(), "mean": lambda: xt.mean(), "tanh": lambda: xt.tanh(),
             "mm": lambda: xt @ xt.t()}[op]()
        names = (y.grad_fn.name(), [(n.name() if n is not None else None, i) for n, i in y.grad_fn.next_functions])
        (g,) = mod.autograd.grad(y.sum(), xt)
        return y, names, g

    (ty, tnames, tg), (y, names, g) = _both(run)
    assert names == tnames
    _same(ty, y)
    _same(tg, g)


@pytest.mark.parametrize("exponent", [3, -2])
def test_small_pow_matches_torch_with_specials(exponent):
    x = np.concatenate([values(200, seed=5), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, 3e38]]).astype(np.float32)

    def run(mod):
        xt = as_bf16(mod, x, True)
        y = mod.pow(xt, exponent)
        (g,) = mod.autograd.grad(y, xt, as_bf16(mod, np.linspace(-2, 2, len(x))), create_graph=True)
        return y, g, y.grad_fn._saved_exponent, g.grad_fn.name()

    (ty, tg, te, tname), (y, g, e, name) = _both(run)
    _same(ty, y)
    _same(tg, g)
    assert (e, name) == (te, tname)


def test_saved_versions_messages_match_torch():
    def run(mod):
        messages = []
        x = as_bf16(mod, [1.5, -2.25, 3.0], True)
        for make in (lambda: x.exp(), lambda: x.clone()):
            y = make()
            z = y if y.grad_fn.name() == "ExpBackward0" else y * y
            y.mul_(2)
            with pytest.raises(RuntimeError) as info:
                z.sum().backward()
            messages.append(str(info.value).split(". Hint")[0])
        return messages

    expected, got = _both(run)
    assert got == expected


_LOWER = {
    "addmm_mixed": lambda t, b: t.addmm(t.ones(2), b(2, 2), t.ones(2, 2)),
    "addbmm": lambda t, b: t.addbmm(t.ones(2, 2), t.ones(1, 2, 3), b(1, 3, 2)),
    "baddbmm": lambda t, b: t.baddbmm(b(1, 2, 2), t.ones(1, 2, 3), t.ones(1, 3, 2), beta=0.5, alpha=2),
    "vecdot": lambda t, b: t.linalg.vecdot(t.linspace(-1, 1, 6).reshape(2, 3), t.ones(2, 3)),
    "prelu": lambda t, b: t.nn.functional.prelu(t.linspace(-1, 1, 6).reshape(2, 3), t.full((1,), 0.3)),
    "conv_tbc": lambda t, b: t.conv_tbc(t.linspace(-1, 1, 6).reshape(3, 1, 2), t.ones(2, 2, 2), t.ones(2), 1),
}
_FLOAT32 = {
    "cdist": lambda t, b: t.cdist(b(3, 2), b(2, 2)),
    "quantile": lambda t, b: t.quantile(b(5), 0.3),
    "nanquantile": lambda t, b: t.nanquantile(b(5), 0.3),
    "l1": lambda t, b: t.nn.functional.l1_loss(b(4), b(4) * 2),
    "smooth_l1": lambda t, b: t.nn.functional.smooth_l1_loss(b(4), b(4) * 2, beta=0.5),
    "huber": lambda t, b: t.nn.functional.huber_loss(b(4), b(4) * 2),
    "cosine_embedding": lambda t, b: t.nn.functional.cosine_embedding_loss(b(2, 3), b(2, 3).flip(0), t.ones(2)),
    "hinge": lambda t, b: t.nn.functional.hinge_embedding_loss(b(4), t.ones(4)),
    "poisson": lambda t, b: t.nn.functional.poisson_nll_loss(b(4), b(4)),
    "margin_ranking": lambda t, b: t.nn.functional.margin_ranking_loss(b(4), b(4).flip(0), t.ones(4)),
    "soft_margin": lambda t, b: t.nn.functional.soft_margin_loss(b(4), b(4)),
    "triplet": lambda t, b: t.nn.functional.triplet_margin_loss(b(2, 4), b(2, 4) * 2, b(2, 4).flip(0)),
    "multi_margin": lambda t, b: t.nn.functional.multi_margin_loss(b(2, 4), t.tensor([0, 1])),
    "multilabel_margin": lambda t, b: t.nn.functional.multilabel_margin_loss(
        b(2, 4), t.tensor([[0, 1, -1, 0], [1, -1, 0, 0]])),
    "bce_logits": lambda t, b: t.nn.functional.binary_cross_entropy_with_logits(b(4), b(4).sigmoid()),
    "max_pool3d": lambda t, b: t.nn.functional.max_pool3d(b(1, 1, 2, 2, 2), 2),
    "avg_pool3d": lambda t, b: t.nn.functional.avg_pool3d(b(1, 1, 2, 2, 2), 2),
    "adaptive_avg_pool3d": lambda t, b: t.nn.functional.adaptive_avg_pool3d(b(1, 1, 2, 2, 2), 1),
    "adaptive_max_pool3d": lambda t, b: t.nn.functional.adaptive_max_pool3d(b(1, 1, 2, 2, 2), 1),
    "grid_sample": lambda t, b: t.nn.functional.grid_sample(b(1, 1, 3, 3), b(1, 2, 2, 2) / 8, align_corners=False),
    "index_copy": lambda t, b: t.zeros(3, 2).index_copy(0, t.tensor([2, 0]), b(2, 2)),
}


@pytest.mark.parametrize("name", sorted(_LOWER) + sorted(_FLOAT32))
def test_autocast_lists_match_torch(name):
    fn = _LOWER.get(name) or _FLOAT32[name]

    def run(mod):
        def b(*shape):
            n = int(np.prod(shape))
            return mod.tensor(np.linspace(-1.3, 2.1, n, dtype=np.float32).reshape(shape)).to(mod.bfloat16)

        with mod.autocast("cpu"):
            return fn(mod, b)

    expected, got = _both(run)
    _same(expected, got, rtol=0 if name in _LOWER else 1e-6)


def test_set_autocast_enabled_matches_torch():
    def run(mod):
        a = mod.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
        mod.set_autocast_enabled("cpu", True)
        try:
            on = (mod.mm(a, a.t()), mod.nn.functional.linear(a, a), mod.is_autocast_enabled("cpu"))
        finally:
            mod.set_autocast_enabled("cpu", False)
        return on + (mod.mm(a, a.t()),)

    expected, got = _both(run)
    for e, g in zip(expected[:2] + expected[3:], got[:2] + got[3:]):
        _same(e, g)
    assert expected[2] == got[2]


# ---------------------------------------------------------------------------- prod's bfloat16 kernel
def test_prod_rounds_every_step_reference():
    x = bfloat16_rne([0.3, 1.7, 2.9, 0.55])
    sequential = np.float32(1)
    for v in x:  # (below 64 elements PyTorch's kernel multiplies one element after the other)
        sequential = bfloat16_rne(sequential * v)
    assert float(sequential) == 0.81640625
    assert torchless.tensor([0.3, 1.7, 2.9, 0.55]).bfloat16().prod().item() == 0.81640625
    rows = bfloat16_rne(np.random.default_rng(2).uniform(0.8, 1.2, (40, 3)).astype(np.float32))
    expected = np.ones(3, np.float32)
    for row in rows:  # (along an outer dim: one element after the other too)
        expected = bfloat16_rne(expected * row)
    np.testing.assert_array_equal(floats(as_bf16(torchless, rows).prod(0)), expected)


@pytest.mark.parametrize("shape,dim", [((300,), None), ((5, 130), 1), ((130, 5), 0), ((3, 70, 5), 1),
                                       ((4, 70), None), ((70, 4), None), ((0, 3), 0), ((2, 3), -1), ((64,), 0)])
def test_prod_matches_torch(shape, dim):
    data = np.random.default_rng(7).uniform(0.8, 1.2, shape).astype(np.float32)

    def run(mod):
        x = as_bf16(mod, data, True)
        y = x.prod() if dim is None else x.prod(dim)
        (g,) = mod.autograd.grad(y.sum(), x)
        return y, g, y.grad_fn.name()

    (ty, tg, tname), (y, g, name) = _both(run)
    _same(ty, y)
    _same(tg, g)
    assert name == tname


def test_prod_with_zeros_transposed_and_under_autocast_match_torch():
    def run(mod):
        x = mod.tensor([[1.5, 0.0, 2.0], [3.0, 0.5, 0.25]]).bfloat16().requires_grad_()
        (g,) = mod.autograd.grad(x.prod(1).sum(), x)
        t = mod.tensor(np.random.default_rng(3).uniform(0.8, 1.2, (70, 4)).astype(np.float32)).bfloat16().t()
        with mod.autocast("cpu"):
            lowered = mod.prod(t)
        return g, t.prod(), lowered

    expected, got = _both(run)
    _same(expected[0], got[0])
    _same(expected[1], got[1])
    _same(expected[2], got[2], rtol=1e-6)  # (float32 under autocast: its float32 kernel's order not checked here)


# ---------------------------------------------------------------------------- logsumexp of bfloat16 ops
def test_logsumexp_rounds_each_op_reference():
    x = values(40, seed=9)[:30].reshape(3, 10)
    m = x.max(1, keepdims=True)
    exps = bfloat16_rne(np.exp(bfloat16_rne(x - m)))  # (PyTorch composes it of bfloat16 ops: each rounds, the sum in float32)
    expected = bfloat16_rne(bfloat16_rne(np.log(bfloat16_rne(exps.sum(1, dtype=np.float32, keepdims=True)))) + m)[:, 0]
    np.testing.assert_array_equal(floats(as_bf16(torchless, x).logsumexp(1)), expected)


@pytest.mark.parametrize("shape,dim", [((8, 40), 1), ((30, 7), 0), ((5, 300), 1), ((3, 4, 5), (0, 2)), ((6,), 0)])
def test_logsumexp_matches_torch(shape, dim):
    data = np.random.default_rng(11).standard_normal(shape).astype(np.float32) * 3

    def run(mod):
        x = as_bf16(mod, data, True)
        y = x.logsumexp(dim)
        (g,) = mod.autograd.grad(y.sum(), x)
        return y, g

    (ty, tg), (y, g) = _both(run)
    _same(ty, y)
    _same(tg, g)
