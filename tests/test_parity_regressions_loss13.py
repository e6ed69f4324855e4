"""Parity regressions found by randomized differential sweeps of losses, activations, normalization, dropout,
linear and embedding (session loss13). Every test compares with torch itself: result (shape, dtype, values) or
exception (type, message), and the warnings raised."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(fn, mod):
    """(``"ok"``, shape, dtype, values) or (``"err"``, type name, message) of ``fn(mod)``, with its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(mod)
        except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
            result = ("err", type(e).__name__, str(e).replace("torchless", "torch"))
        else:
            if isinstance(value, (torch.Tensor, torchless.Tensor)):
                value = value.detach()
                values = np.round(np.asarray(value.tolist(), dtype=float), 4)
                result = ("ok", tuple(value.shape), str(value.dtype).replace("torchless", "torch"),
                          np.where(np.isnan(values), None, values).tolist())  # (NaN unequal to itself)
            else:
                result = ("ok", value)
    return result, [str(w.message).replace("torchless", "torch") for w in caught]


def _same(fn):
    assert _outcome(fn, torchless) == _outcome(fn, torch)


def _x(m):
    return m.tensor([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]])


# ------------------------------------------------------------------ losses' float and bool arguments
@pytest.mark.parametrize("value", [None, 0, 1, 1.5, (1,), [1], "a", np.int64(1), np.bool_(True)])
def test_triplet_margin_loss_swap_is_a_bool(value):
    # the native triplet_margin_loss takes swap as a bool only: ints, None and NumPy bools are TypeErrors
    _same(lambda m: m.nn.functional.triplet_margin_loss(_x(m), _x(m) + 1, _x(m) - 1, swap=value))


@pytest.mark.parametrize("name", ["p", "eps", "margin"])
@pytest.mark.parametrize("value", [None, (1,), [1], "tensor", "tensors", np.bool_(True), 2])
def test_triplet_margin_loss_float_arguments(name, value):
    def run(m):
        given = {"tensor": m.tensor(0.5), "tensors": m.tensor([0.5, 1.0, 2.0])}.get(value, value) \
            if isinstance(value, str) else value
        return m.nn.functional.triplet_margin_loss(_x(m), _x(m) + 1, _x(m) - 1, **{name: given})
    _same(run)


@pytest.mark.parametrize("name", ["log_input", "full"])
@pytest.mark.parametrize("value", [None, 0, 1, 1.5, np.bool_(True), True])
def test_poisson_nll_loss_flags_are_bools(name, value):
    _same(lambda m: m.nn.functional.poisson_nll_loss(_x(m), _x(m).abs(), **{name: value}))


@pytest.mark.parametrize("value", [None, (1,), [1], "tensors", 0.5])
def test_poisson_nll_loss_eps_is_a_float(value):
    def run(m):
        eps = m.tensor([0.5, 1.0, 2.0]) if value == "tensors" else value
        return m.nn.functional.poisson_nll_loss(_x(m), _x(m).abs(), log_input=False, eps=eps)
    _same(run)


@pytest.mark.parametrize("fn, name", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
@pytest.mark.parametrize("value", [None, (1,), [1], "tensor", float("nan"), np.bool_(True), 0.5])
def test_robust_losses_parameter_parsed_as_a_float(fn, name, value):
    # a 0-d tensor works as the float; NaN fails PyTorch's positivity checks (not >= 0, not > 0)
    def run(m):
        given = m.tensor(0.5) if isinstance(value, str) else value
        return getattr(m.nn.functional, fn)(_x(m), _x(m) * 0.5, **{name: given})
    _same(run)


@pytest.mark.parametrize("fn", ["cosine_embedding_loss", "margin_ranking_loss"])
@pytest.mark.parametrize("value", [None, True, False, (1,), [1], "tensor", np.bool_(True), 0.25])
def test_pair_losses_margin_parsed_as_a_float(fn, value):
    def run(m):
        margin = m.tensor(0.5) if isinstance(value, str) else value
        target = m.tensor([1.0, -1.0])
        if fn == "margin_ranking_loss":
            return m.nn.functional.margin_ranking_loss(_x(m)[:, 0], _x(m)[:, 1], target, margin=margin)
        return m.nn.functional.cosine_embedding_loss(_x(m), _x(m).flip(1), target, margin=margin)
    _same(run)


@pytest.mark.parametrize("target, dtype", [([[0, 2, -1], [1, -1, 0]], "int32"), ([[0, 5, -1], [1, -1, 0]], "int32"),
                                           ([[0, 2, -1], [1, -1, 0]], "uint8"), ([[0, 2.5, -1], [1, -1, 0]], "float32"),
                                           ([[0, 3, -1], [1, -1, 0]], "int64")])
@pytest.mark.parametrize("half", [False, True])
def test_multilabel_margin_loss_checks_target_range_first(target, dtype, half):
    # the range (read as int64) before the input's dtype dispatch, before the target's Long check
    def run(m):
        x = _x(m).half() if half else _x(m)
        return m.nn.functional.multilabel_margin_loss(x, m.tensor(target).to(getattr(m, dtype)))
    _same(run)


def test_multilabel_margin_loss_empty_batch_skips_target_checks():
    _same(lambda m: m.nn.functional.multilabel_margin_loss(m.zeros(0, 3), m.zeros(0, 3, dtype=m.int32),
                                                           reduction="none"))


# ------------------------------------------------------------------ activations' Number arguments
@pytest.mark.parametrize("fn, name", [("leaky_relu", "negative_slope"), ("elu", "alpha"), ("celu", "alpha"),
                                      ("softplus", "beta"), ("hardshrink", "lambd"), ("rrelu", "lower")])
@pytest.mark.parametrize("value", [np.int64(1), np.float64(0.25), np.bool_(True)])
def test_numpy_scalars_keep_the_input_dtype(fn, name, value):
    # NumPy scalars are Python numbers to the parser: a float32 input stays float32
    _same(lambda m: getattr(m.nn.functional, fn)(_x(m), **{name: value}))


def test_parser_positions_of_python_wrappers_and_natives():
    calls = [
        lambda m: m.nn.functional.elu(_x(m), alpha=None),  # Python wrapper: always the position
        lambda m: m.nn.functional.elu(_x(m), alpha=None, inplace=True),
        lambda m: m.nn.functional.elu_(_x(m), alpha=None),  # native: as written
        lambda m: m.nn.functional.celu(_x(m), alpha=None),
        lambda m: m.nn.functional.leaky_relu(_x(m), negative_slope=None),
        lambda m: m.nn.functional.leaky_relu_(_x(m), negative_slope=None),
        lambda m: m.nn.functional.rrelu(_x(m), lower=None),
        lambda m: m.rrelu(_x(m), lower=None),
        lambda m: m.nn.functional.hardtanh(_x(m), -2, max_val=m.ones(2)),
        lambda m: m.nn.functional.hardtanh_(_x(m), -2, None),
        lambda m: m.nn.ELU(alpha=None)(_x(m)),
        lambda m: m.nn.functional.linear(_x(m), m.ones(4, 3), bias=1),  # native: as written
        lambda m: m.nn.functional.linear(_x(m), m.ones(4, 3), 1),
        lambda m: m.nn.functional.linear(_x(m), weight=1),
        lambda m: m.nn.functional.bilinear(_x(m), _x(m), m.ones(4, 3, 3), bias=2),
        lambda m: m.nn.Linear(3, 4)(2),
    ]
    for call in calls:
        _same(call)


def test_native_hardtanh_inplace_has_no_bound_order_check():
    _same(lambda m: m.nn.functional.hardtanh_(_x(m), 2.0, -2.0))
    _same(lambda m: m.nn.functional.hardtanh(_x(m), 2.0, -2.0))


def test_softplus_beta_zero_is_silent():
    _same(lambda m: m.nn.functional.softplus(_x(m), beta=0))


# ------------------------------------------------------------------ softmax family arguments
@pytest.mark.parametrize("call", [
    lambda m: _x(m).softmax(None),
    lambda m: m.softmax(_x(m), None),
    lambda m: _x(m).softmax(np.int64(1)),
    lambda m: m.nn.functional.softmax(_x(m), np.int64(1)),
    lambda m: _x(m).softmax(1, dtype=0),
    lambda m: _x(m).softmax(1, 0),
    lambda m: m.softmax(_x(m), 1, 0),
    lambda m: m.nn.functional.softmax(_x(m), 1, dtype="float32"),
    lambda m: m.nn.functional.log_softmax(_x(m), 1, dtype=3),
    lambda m: m.nn.functional.softmin(_x(m), 1, dtype=3),
    lambda m: m.nn.functional.softmin(_x(m), _stacklevel=None),
    lambda m: m.nn.functional.softmax(_x(m), _stacklevel=1.5),
    lambda m: m.nn.functional.gumbel_softmax(_x(m), dim=None),
    lambda m: m.log_softmax(_x(m), 1.0),
])
def test_softmax_arguments_as_pytorch_parses_them(call):
    _same(call)


# ------------------------------------------------------------------ NumPy bools, norms, embedding
@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.batch_norm(_x(m), m.zeros(3), m.ones(3), eps=np.bool_(True)),
    lambda m: m.nn.functional.batch_norm(_x(m), m.zeros(3), m.ones(3), training=True, momentum=np.bool_(True)),
    lambda m: m.nn.functional.layer_norm(_x(m), (3,), eps=np.bool_(True)),
    lambda m: m.nn.functional.group_norm(_x(m).reshape(1, 3, 2), 3, eps=np.bool_(True)),
    lambda m: m.nn.functional.local_response_norm(_x(m).reshape(1, 3, 2), 2, alpha=np.bool_(True),
                                                  beta=np.bool_(True), k=np.bool_(True)),
    lambda m: m.nn.functional.local_response_norm(_x(m).reshape(1, 3, 2), np.bool_(True)),
    lambda m: m.nn.functional.embedding(m.tensor([1, 0]), m.ones(3, 2), max_norm=np.bool_(True)),
    lambda m: m.nn.functional.threshold(_x(m), np.bool_(True), 2),
])
def test_numpy_bools_are_numbers(call):
    _same(call)


def test_batch_norm_infinite_momentum_is_silent():
    def run(m):
        mean, var = m.zeros(3), m.ones(3)
        m.nn.functional.batch_norm(_x(m), mean, var, training=True, momentum=float("inf"))
        return m.stack([mean, var])
    _same(run)


@pytest.mark.parametrize("index", [[8], 8, [1, -3, 9], [[8, 1]]])
def test_embedding_of_an_empty_weight_reports_the_kernels_bound_error(index):
    _same(lambda m: m.nn.functional.embedding(m.tensor(index), m.zeros(5, 0)))
    _same(lambda m: m.zeros(5, 0).index_select(0, m.tensor(index).reshape(-1)))
    _same(lambda m: m.zeros(5, 0, 2).index_select(0, m.tensor(index).reshape(-1)))


_RMS_NORM_WARNINGS = """
import sys, warnings
import {module} as m
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for x, w in ((m.int64, m.float32), (m.float32, m.float64), (m.float64, m.float32), (m.float32, m.float32)):
        try:  # an integer input: the warning comes before the kernel's dtype error
            m.nn.functional.rms_norm(m.ones(2, 4, dtype=x), (4,), m.ones(4, dtype=w))
        except NotImplementedError as error:
            print(error)
print([str(c.message) for c in caught])
"""


def test_rms_norm_warns_once_per_process_for_a_weight_of_another_dtype():
    # TORCH_WARN_ONCE: in a fresh process, the first mixed call only
    def run(module):
        done = subprocess.run([sys.executable, "-c", _RMS_NORM_WARNINGS.format(module=module)], capture_output=True,
                              text=True, check=True, env={**__import__("os").environ})
        return done.stdout
    assert run("torchless") == run("torch")


# ------------------------------------------------------------------ extreme values: silent, and PyTorch's values
_EXTREMES = [0.0, 1.0, -1.0, 30.0, -30.0, 1e30, -1e30, float("inf"), float("-inf"), float("nan"), 88.7, -88.7,
             710.0, -710.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.gelu(x),
    lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    lambda m, x: m.nn.functional.silu(x),
    lambda m, x: m.nn.functional.glu(x),
    lambda m, x: m.nn.functional.mse_loss(x, x.flip(0), reduction="none"),
    lambda m, x: m.nn.functional.smooth_l1_loss(x, x.flip(0), reduction="none"),
    lambda m, x: m.nn.functional.huber_loss(x, x.flip(0), reduction="none"),
    lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(x, x.flip(0).sigmoid(), reduction="none",
                                                                  pos_weight=m.tensor(2.0, dtype=x.dtype)),
    lambda m, x: m.nn.functional.cross_entropy(x.reshape(2, 7), m.tensor([3, 1]), reduction="none",
                                               label_smoothing=0.1),
])
def test_extreme_inputs_give_pytorchs_values_without_warnings(call, dtype):
    # gelu of +inf is NaN in PyTorch's float (and half) kernel; half glu gates in float32; no NumPy warnings
    if dtype == "float16" and "entropy" in str(call.__code__.co_names):
        pytest.skip("no half cross_entropy on CPU")
    _same(lambda m: call(m, m.tensor(_EXTREMES, dtype=getattr(m, dtype), requires_grad=dtype != "float16")))


@pytest.mark.parametrize("out", ["same", "empty", "long", "grad"])
def test_normalize_writes_into_out(out):
    # F.normalize ends in torch.div(input, denominator, out=out): the result is out itself, resized; its dtype
    # and autograd rules are div's
    def run(m):
        x = m.tensor([[3.0, 4.0, 0.0], [1.0, 1.0, 1.0]], requires_grad=out == "grad")
        buffer = {"same": m.empty(2, 3), "empty": m.empty(0), "long": m.empty(2, 3, dtype=m.int64),
                  "grad": m.empty(2, 3)}[out]
        result = m.nn.functional.normalize(x, dim=1, out=buffer)
        assert result is buffer
        return buffer
    _same(run)


@pytest.mark.parametrize("loss", [
    lambda m, x, t: m.nn.functional.leaky_relu(x, 0.2),
    lambda m, x, t: m.nn.functional.leaky_relu(x * 1, 0.2, inplace=True),
    lambda m, x, t: m.nn.functional.rrelu(x),
    lambda m, x, t: m.nn.functional.nll_loss(x, m.tensor([0, 2])),
    lambda m, x, t: m.nn.functional.l1_loss(x, t),
    lambda m, x, t: m.nn.functional.l1_loss(x, t, reduction="none"),
    lambda m, x, t: x.abs(),
    lambda m, x, t: m.nn.functional.hardtanh(x),
    lambda m, x, t: m.nn.functional.relu6(x * 1, inplace=True),
    lambda m, x, t: m.nn.functional.hardshrink(x),
    lambda m, x, t: m.nn.functional.softshrink(x),
    lambda m, x, t: m.nn.functional.threshold(x, 0.5, 2.0),
    lambda m, x, t: m.nn.functional.threshold(x * 1, 0.5, 2.0, inplace=True),
    lambda m, x, t: m.nn.functional.prelu(x, m.tensor([0.25])),
])
def test_create_graph_gradients_of_piecewise_linear_ops_require_grad(loss):
    # PyTorch's backward ops read the input (abs: its sgn), with derivative zero: the gradient requires grad, its
    # node is named, and differentiating it again gives zeros rather than an error
    def run(m):
        x = m.tensor([[1.0, -2.0, 3.0], [-0.5, 2.0, -1.0]], requires_grad=True)
        t = m.tensor([[0.0, 1.0, 3.5], [1.0, 2.0, 0.0]], requires_grad=True)
        gradients = m.autograd.grad(loss(m, x, t).sum(), (x, t), create_graph=True, allow_unused=True)
        given = [g for g in gradients if g is not None]
        shown = [(g.requires_grad, type(g.grad_fn).__name__) for g in given]
        second = m.autograd.grad(sum((g * g).sum() for g in given), x)[0]
        return str(shown), second.clone().tolist()
    _same(run)


@pytest.mark.parametrize("layout", ["channels_last", "channels_last_3d", "transposed", "sliced"])
def test_rms_norm_output_in_the_inputs_suggested_memory_format(layout):
    def run(m):
        if layout == "channels_last_3d":
            x = m.arange(96.0).reshape(2, 4, 3, 2, 2).contiguous(memory_format=m.channels_last_3d)
        else:
            x = m.arange(120.0).reshape(2, 4, 3, 5)
            x = {"channels_last": lambda: x.contiguous(memory_format=m.channels_last),
                 "transposed": lambda: x.transpose(1, 2).contiguous().transpose(1, 2),
                 "sliced": lambda: x[:, ::2]}[layout]()
        y = m.nn.functional.rms_norm(x, x.shape[-1:], m.ones(x.shape[-1]))
        return y.stride()
    _same(run)


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.elu(x, 0.7),
    lambda m, x: m.nn.functional.selu(x),
    lambda m, x: m.nn.functional.celu(x, 1.3),
    lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    lambda m, x: m.nn.functional.rrelu(x),
    lambda m, x: m.nn.functional.hardsigmoid(x),
    lambda m, x: m.nn.functional.hardswish(x),
    lambda m, x: m.nn.functional.logsigmoid(x),
    lambda m, x: m.nn.functional.softplus(x),
    lambda m, x: m.nn.functional.softshrink(x, 0.3),
    lambda m, x: m.nn.functional.huber_loss(x, x.detach().flip(0) * 0.3, delta=0.7),
])
def test_half_elu_family_and_slopes_compute_in_float32(call):
    # PyTorch's float16 kernels take their coefficients in float32 and round the result once (forward and backward;
    # logsigmoid's backward reads its float16 buffer); logsigmoid(30) is -0.0
    def run(m):
        x = m.tensor([1e-8, 30.0, -3.0, 20.0, -100.0, -88.7, -710.0, -0.5, 0.5, -30.0, 0.3, 2.9, -1.0, -2.2],
                     dtype=m.float16, requires_grad=True)
        y = call(m, x)
        y.backward(m.linspace(-1, 1, 14, dtype=m.float16))
        return m.stack([y.detach(), x.grad])
    _same(run)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_half_softmax_family_as_pytorchs_kernels(fn, dim):
    # float16 softmax/log_softmax: along the last dim in float32 (log_softmax keeping its sum and log as float16),
    # along another dim storing the float16 exponentials first: PyTorch's values bit for bit; gradients in float32
    results = []
    for m in (torch, torchless):
        x = m.tensor(np.random.RandomState(dim).randn(4, 5, 6).astype(np.float16) * 3, requires_grad=True)
        y = getattr(m, fn)(x, dim)
        y.backward(m.tensor(np.linspace(-1, 1, 120).reshape(4, 5, 6).astype(np.float16)))
        results.append((y.detach().float().numpy(), x.grad.float().numpy()))
    (y_torch, g_torch), (y_ours, g_ours) = results
    np.testing.assert_array_equal(y_ours, y_torch)
    np.testing.assert_allclose(g_ours, g_torch, rtol=1e-3, atol=1e-6)  # (a rare float16 ulp apart)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_half_batch_norm_output_as_pytorchs_kernel(training, affine):
    # float16 batch_norm computes in float32: in training from the batch's mean and 1 / std kept as float16, out of
    # training from the float16 running statistics read into float32; the output rounded once
    rng = np.random.RandomState(1)
    x, w, b = (rng.randn(16, 4, 5) * 3).astype(np.float16), (rng.rand(4) + 0.5).astype(np.float16), \
        rng.randn(4).astype(np.float16)
    mean, var = rng.randn(4).astype(np.float16), (rng.rand(4) + 0.5).astype(np.float16)
    outputs = []
    for m in (torch, torchless):
        parameters = (m.tensor(w), m.tensor(b)) if affine else (None, None)
        outputs.append(m.nn.functional.batch_norm(m.tensor(x), m.tensor(mean), m.tensor(var), *parameters,
                                                  training=training).float().numpy())
    np.testing.assert_array_equal(outputs[1], outputs[0])


@pytest.mark.parametrize("options", [{}, {"pos_weight": True}, {"weight": True}])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_half_bce_with_logits_forward_as_pytorchs(options, reduction):
    # float16: -log_sigmoid(x) computed in float32 and rounded once, the other tensor ops in float16
    rng = np.random.RandomState(1)
    x, t = (rng.randn(16, 8) * 3).astype(np.float16), rng.rand(16, 8).astype(np.float16)
    extra = {name: (rng.rand(8) + 0.5).astype(np.float16) for name in options}
    outputs = [m.nn.functional.binary_cross_entropy_with_logits(
        m.tensor(x), m.tensor(t), reduction=reduction, **{k: m.tensor(v) for k, v in extra.items()}).float().numpy()
        for m in (torch, torchless)]
    np.testing.assert_array_equal(outputs[1], outputs[0])
