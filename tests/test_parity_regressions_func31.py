"""Session 31, torch.func and forward-mode AD, compared with PyTorch 2.13.0:

- forward AD through in-place ops on views: the base of a view written in place gets the view's tangent over the
  view's elements (zeros elsewhere if it had none), and the other views of that base re-read theirs from it, as
  PyTorch's tangent of a view is a view of its base's. make_dual's result owns its tangent: a view made from it
  writes into that tangent, not into the primal's (which stays without one). CopySlices' tangent was its base's
  alone, and the other views kept stale tangents.
- forward AD: tangents are differentiable, as PyTorch's: with grad mode on, the tangent of a result requiring grad,
  or computed from a tangent requiring grad, is a tensor of the graph (reverse mode differentiates it with respect
  to the primals, the tangents and the weights). They were arrays outside autograd (the known gap "forward-AD
  tangents not requiring grad"). Normalisations are checked against finite differences: PyTorch's own gradients
  of their tangents are wrong (or refused, for softmax, by a version check of its own).
- forward AD: a tangent is laid out as its tensor (make_dual's copied into the primal's layout, a jvp's into its
  result's: channels_last through a convolution), as PyTorch copies one of another layout; unpack_dual gives a view
  of a tensor without a tangent too (inside a level, or given a level >= 0), refuses a level other than the one of
  the tangent the tensor has, and make_dual refuses a negative level as "no level exists".
- forward AD: an in-place view op (unsqueeze_, squeeze_, t_, transpose_) gives the tensor's tangent its new shape;
  it kept the old one.
- vmap: batch norm in training refuses running statistics not mapped over with a mapped input (PyTorch's text;
  torchless updated them once per sample); randomness="same" refuses draws whose distribution's parameters are
  mapped over (bernoulli, normal, multinomial, poisson, bernoulli_ by a tensor).
- vmap: tensors made like a sample (zeros_like and the other *_like factories, new_zeros and the other new_*
  methods, detach) are batched as PyTorch's: reading their values (.item(), bool(), tolist()) is refused.
- vmap: an in-place op writing mapped values into an input not mapped over (in_dims None), or a view of it, is
  refused with PyTorch's texts (add_'s shape check with the batch sizes, "inplace arithmetic", or the aten op at its
  transform level); torchless wrote each sample's values in turn.
- vjp and jacrev refuse outputs that are not floating point or complex (torchless gave zero gradients).
- argnums checked as PyTorch checks them: each in turn (type, then range), then the tuple, wrapped (a negative
  argnum repeating a positive one is a repeat); jacrev takes no keyword arguments (TypeError), jacfwd checks its
  randomness when called, and vjp refuses an empty output.
- linearize as PyTorch's: func's output as it is (any structure, non-tensors too), primals nested in dicts and
  lists, the tangents' structure, shapes and dtypes checked with PyTorch's texts, non-tensor outputs passed through.
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    raise AssertionError("no error raised")


def _same_error(program):
    assert _error(lambda: program(torchless)) == _error(lambda: program(torch))


def _same_outcome(program, errors=RuntimeError):
    """``program(lib)`` gives torch's results in torchless, or the type and message of its error (of ``errors``)."""
    try:
        expected = program(torch)
    except errors:
        _same_error(program)
        return
    _assert_same(program(torchless), expected)


def _assert_same(actual, expected, rtol=1e-4):
    """``actual`` (torchless) is ``expected`` (torch): nested tuples, lists and dicts of tensors, None or plain
    values; tensors of the same shape and dtype, values within ``rtol``."""
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            _assert_same(actual[key], expected[key], rtol)
    elif isinstance(expected, (tuple, list)):
        assert type(actual).__name__ == type(expected).__name__ and len(actual) == len(expected)
        for got, want in zip(actual, expected):
            _assert_same(got, want, rtol)
    elif isinstance(expected, torch.Tensor):
        assert isinstance(actual, torchless.Tensor)
        assert str(actual.dtype) == str(expected.dtype).replace("torch", "torchless")
        torch.testing.assert_close(torch.from_numpy(actual.detach().numpy().copy()), expected.detach(), rtol=rtol,
                                   atol=rtol * 1e-1)
    else:
        assert actual == expected


# ------------------------------------------------------------------ forward AD: tangents of views written in place

def _tangents(lib, program):
    """The tangents ``program(lib, fwAD)`` returns (tensors or None), read inside its dual level."""
    fwAD = lib.autograd.forward_ad
    with fwAD.dual_level():
        return [None if t is None else fwAD.unpack_dual(t).tangent for t in program(lib, fwAD)]


def _view_of_plain_written(lib, fwAD):
    base = lib.zeros(4, dtype=lib.float64)
    view = base[1:]
    view.add_(fwAD.make_dual(lib.arange(3.), lib.arange(10., 40., 10.)))
    return [base, view]


def _view_of_view_written(lib, fwAD):
    base = lib.zeros(5, dtype=lib.float64)
    outer = base[1:]
    inner = outer[1:3]
    inner.copy_(fwAD.make_dual(lib.ones(2, dtype=lib.float64), lib.tensor([3., 4.], dtype=lib.float64)))
    return [base, outer, inner]


def _transposed_view_written(lib, fwAD):
    base = lib.zeros(2, 3, dtype=lib.float64)
    other = base[1]
    base.t()[0].mul_(0).add_(fwAD.make_dual(lib.ones(2, dtype=lib.float64), lib.tensor([5., 6.], dtype=lib.float64)))
    return [base, other]


def _view_of_dual_written(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.arange(1., 5., dtype=lib.float64))
    view = dual[1:3]
    view.mul_(2)
    return [dual, view, primal]


def _dual_written(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.ones(4, dtype=lib.float64))
    view = dual[::2]
    dual.mul_(3)
    return [dual, view, primal]


def _primal_written_under_dual(lib, fwAD):
    primal = lib.zeros(4, dtype=lib.float64)
    dual = fwAD.make_dual(primal, lib.ones(4, dtype=lib.float64))
    primal.add_(fwAD.make_dual(lib.zeros(4, dtype=lib.float64), lib.full((4,), 5., dtype=lib.float64)))
    return [dual, primal]


def _overlapping_views(lib, fwAD):
    base = lib.zeros(4, dtype=lib.float64)
    first, second = base[:2], base[1:3]
    first.copy_(fwAD.make_dual(lib.zeros(2, dtype=lib.float64), lib.full((2,), 5., dtype=lib.float64)))
    return [base, first, second]


def _setitem_on_clone_of_dual(lib, fwAD):
    x = fwAD.make_dual(lib.arange(6., dtype=lib.float64).reshape(2, 3),
                       lib.arange(6., dtype=lib.float64).reshape(2, 3) + 1)
    y = x.clone()
    row = y[0]
    y[:, 1] = y[:, 1] * x[1, :2].sum()
    return [y, row]


def _inplace_relu_on_view(lib, fwAD):
    x = fwAD.make_dual(lib.tensor([[-1., 2.], [3., -4.]], dtype=lib.float64), lib.ones(2, 2, dtype=lib.float64))
    y = x * 1
    column = y[:, 1]
    lib.nn.functional.relu(y[1], inplace=True)
    return [y, column]


@pytest.mark.parametrize("program", [_view_of_plain_written, _view_of_view_written, _transposed_view_written,
                                     _view_of_dual_written, _dual_written, _primal_written_under_dual,
                                     _overlapping_views, _setitem_on_clone_of_dual, _inplace_relu_on_view])
def test_forward_ad_tangents_of_views_written_in_place(program):
    _assert_same(_tangents(torchless, program), _tangents(torch, program), rtol=1e-10)


# ------------------------------------------------------------------ vmap: batch norm's running statistics

def _batch_norm_programs():
    def stats(lib):
        return lib.zeros(4), lib.ones(4)

    def functional(lib, training, **mapped):
        F, vmap = lib.nn.functional, lib.func.vmap
        x = lib.arange(3 * 2 * 4 * 9.).reshape(3, 2, 4, 3, 3).sin()
        mean, var = stats(lib)
        if mapped.get("stats"):
            return vmap(lambda a, m, v: F.batch_norm(a, m, v, training=training))(x, mean.expand(3, 4).clone(),
                                                                                 var.expand(3, 4).clone())
        if mapped.get("mean_only"):
            return vmap(lambda a, m: F.batch_norm(a, m, var, training=training))(x, mean.expand(3, 4).clone())
        if mapped.get("input_not"):
            return vmap(lambda m: F.batch_norm(x[0], m, var, training=training))(mean.expand(3, 4).clone())
        return vmap(lambda a: F.batch_norm(a, mean, mapped.get("var", var), training=training))(x)

    def module(lib, training, cls="BatchNorm2d", **options):
        layer = getattr(lib.nn, cls)(4, **options).train(training)
        x = lib.arange(3 * 2 * 4 * 9.).reshape(3, 2, 4, 3, 3).cos()
        out = lib.func.vmap(layer)(x)
        return out, layer.running_mean

    def instance(lib, use_input_stats):
        F = lib.nn.functional
        mean, var = stats(lib)
        x = lib.arange(3 * 2 * 4 * 9.).reshape(3, 2, 4, 3, 3).sin()
        return lib.func.vmap(lambda a: F.instance_norm(a, mean, var, use_input_stats=use_input_stats))(x), mean

    return {
        "training": lambda lib: functional(lib, True),
        "training_var_none": lambda lib: functional(lib, True, var=None),
        "training_mapped_stats": lambda lib: functional(lib, True, stats=True),
        "training_mean_mapped_only": lambda lib: functional(lib, True, mean_only=True),
        "training_input_not_mapped": lambda lib: functional(lib, True, input_not=True),
        "eval": lambda lib: functional(lib, False),
        "module_train": lambda lib: module(lib, True),
        "module_eval": lambda lib: module(lib, False),
        "module_untracked": lambda lib: module(lib, True, track_running_stats=False),
        "instance_norm_module_tracked": lambda lib: module(lib, True, "InstanceNorm2d", track_running_stats=True),
        "instance_norm_input_stats": lambda lib: instance(lib, True),
        "instance_norm_running_stats": lambda lib: instance(lib, False),
    }


@pytest.mark.parametrize("case", list(_batch_norm_programs()))
def test_vmap_batch_norm_running_statistics(case):
    program = _batch_norm_programs()[case]
    _same_outcome(program)


# ------------------------------------------------------------------ vmap: randomness="same" and mapped parameters

_SAME_RANDOMNESS = {
    "bernoulli_mapped": lambda lib, a: lib.bernoulli(a),
    "bernoulli_p_mapped_input": lambda lib, a: lib.bernoulli(a, 0.3),
    "bernoulli_unmapped": lambda lib, a: lib.bernoulli(lib.full((4,), 0.5)) * 0 + a,
    "normal_mean_mapped": lambda lib, a: lib.normal(a, 1.0),
    "normal_std_mapped": lambda lib, a: lib.normal(0.0, a),
    "normal_both_mapped": lambda lib, a: lib.normal(a, a),
    "normal_unmapped": lambda lib, a: lib.normal(lib.zeros(4), 1.0) * 0 + a,
    "rand_like": lambda lib, a: lib.rand_like(a) * 0 + a,
    "uniform_": lambda lib, a: a.clone().uniform_() * 0 + a,
    "dropout": lambda lib, a: lib.nn.functional.dropout(a, 0.5) * 0 + a,
    "multinomial_mapped": lambda lib, a: lib.multinomial(a, 2),
    "multinomial_unmapped": lambda lib, a: lib.multinomial(lib.ones(4), 4) * 0 + a,
    "poisson_mapped": lambda lib, a: lib.poisson(a),
    "bernoulli__float": lambda lib, a: a.clone().bernoulli_(0.3) * 0 + a,
    "bernoulli__mapped_tensor": lambda lib, a: a.clone().bernoulli_(a),
}


@pytest.mark.parametrize("randomness", ["same", "different"])
@pytest.mark.parametrize("case", list(_SAME_RANDOMNESS))
def test_vmap_randomness_same_refuses_mapped_parameters(case, randomness):
    def program(lib):
        a = lib.full((3, 4), 0.5)
        return lib.func.vmap(lambda x: _SAME_RANDOMNESS[case](lib, x), randomness=randomness)(a)

    try:
        expected = program(torch)
    except RuntimeError:
        _same_error(program)
        return
    actual = program(torchless)
    assert actual.shape == tuple(expected.shape)
    if case.endswith("unmapped") or case in ("rand_like", "uniform_", "dropout", "bernoulli__float"):
        _assert_same(actual, expected)  # (the draws multiplied by zero)


# ------------------------------------------------------------------ vjp, jacrev: outputs without gradients

_NON_FLOAT_OUTPUTS = {
    "vjp_bool": lambda lib, x: lib.func.vjp(lambda a: a > 0, x),
    "vjp_long_in_tuple": lambda lib, x: lib.func.vjp(lambda a: (a, (a > 0).long()), x),
    "vjp_aux_bool": lambda lib, x: lib.func.vjp(lambda a: (a.sum(), a > 0), x, has_aux=True)[2],
    "jacrev_long": lambda lib, x: lib.func.jacrev(lambda a: (a, (a > 0).long()))(x),
    "jacrev_int_argnums": lambda lib, x: lib.func.jacrev(lambda a, b: (a * b).int(), argnums=(0, 1))(x, x),
    "jacrev_aux_bool": lambda lib, x: lib.func.jacrev(lambda a: (a.sin(), a > 0), has_aux=True)(x),
    "grad_of_long_sum": lambda lib, x: lib.func.grad(lambda a: (a > 0).sum() * 1.0)(x),
    "jacfwd_long": lambda lib, x: lib.func.jacfwd(lambda a: (a * 2).long())(x),
    "jvp_long": lambda lib, x: lib.func.jvp(lambda a: (a * 2).long(), (x,), (x,)),
}


@pytest.mark.parametrize("case", list(_NON_FLOAT_OUTPUTS))
def test_vjp_and_jacrev_refuse_outputs_without_gradients(case):
    def program(lib):
        return _NON_FLOAT_OUTPUTS[case](lib, lib.tensor([[0.5, -1.0], [2.0, -0.25]]))

    _same_outcome(program)


# ------------------------------------------------------------------ linearize

def _sin_times(a, b):
    return a.sin() * b


_LINEARIZE = {
    "one": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: (x.cos(),)),
    "two": (lambda lib: _sin_times, lambda lib, x: (x, x * 3), lambda lib, x: (x, x.exp())),
    "dict": (lambda lib: lambda d: d["u"].sin() * d["v"], lambda lib, x: ({"u": x, "v": x + 1},),
             lambda lib, x: ({"u": x.cos(), "v": x},)),
    "dict_keys_reordered": (lambda lib: lambda d: d["u"].sin() * d["v"], lambda lib, x: ({"u": x, "v": x + 1},),
                            lambda lib, x: ({"v": x, "u": x.cos()},)),
    "list": (lambda lib: lambda pair: pair[0] @ pair[1], lambda lib, x: ([x, x.t()],), lambda lib, x: ([x, x],)),
    "integer_output": (lambda lib: lambda a: (a * 3).long(), lambda lib, x: (x,), lambda lib, x: (x,)),
    "constant_output": (lambda lib: lambda a: (a * 2, lib.ones(2)), lambda lib, x: (x,), lambda lib, x: (x,)),
    "non_tensor_output": (lambda lib: lambda a: (a.sin(), 3), lambda lib, x: (x,), lambda lib, x: (x,)),
    "only_non_tensor_output": (lambda lib: lambda a: 3, lambda lib, x: (x,), lambda lib, x: (x,)),
    "shape": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: (x[0],)),
    "dtype": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: (x.double(),)),
    "too_many": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: (x, x)),
    "none": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: ()),
    "nested": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: ((x,),)),
    "number_tangent": (lambda lib: lambda a: a.sin(), lambda lib, x: (x,), lambda lib, x: (3.0,)),
    "integer_primal": (lambda lib: lambda a: a, lambda lib, x: (x.long(),), lambda lib, x: (x,)),
    "number_primal": (lambda lib: lambda a, b: a * b, lambda lib, x: (x, 3.0), lambda lib, x: (x, x)),
    "primal_requiring_grad": (lambda lib: lambda a: a.sin(), lambda lib, x: (x.detach().requires_grad_(),),
                              lambda lib, x: (x,)),
}


@pytest.mark.parametrize("case", list(_LINEARIZE))
def test_linearize(case):
    func, primals, tangents = _LINEARIZE[case]

    def program(lib):
        x = lib.tensor([[0.5, -1.0], [2.0, -0.25]])
        output, jvp_fn = lib.func.linearize(func(lib), *primals(lib, x))
        return output, jvp_fn(*tangents(lib, x))

    _same_outcome(program, (RuntimeError, ValueError, AttributeError, TypeError))


# ------------------------------------------------------------------ forward AD: differentiable tangents

def _tangent_ops():
    def conv(lib, x, w, b):
        return lib.nn.functional.conv2d(x, w, b, padding=1, stride=2)

    return {
        "conv2d": conv,
        "conv_transpose2d": lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w.transpose(0, 1), b, stride=2),
        "max_pool2d": lambda lib, x, w, b: lib.nn.functional.max_pool2d(conv(lib, x, w, b), 2),
        "avg_pool2d": lambda lib, x, w, b: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        "relu_linear": lambda lib, x, w, b: lib.nn.functional.linear(x.relu().flatten(1)[:, :27], w.flatten(1), b),
        "gelu_sigmoid": lambda lib, x, w, b: lib.nn.functional.gelu(x) * x.sigmoid(),
        "mse_loss": lambda lib, x, w, b: lib.nn.functional.mse_loss(conv(lib, x, w, b), lib.ones(2, 4, 3, 3)),
        "bce_with_logits": lambda lib, x, w, b: lib.nn.functional.binary_cross_entropy_with_logits(
            x, lib.full(x.shape, 0.25, dtype=lib.float64)),
        "bce_with_float32_target": lambda lib, x, w, b: lib.nn.functional.binary_cross_entropy_with_logits(
            x, lib.full(x.shape, 0.25)),  # (a float32 result, its tangent float64: PyTorch's)
        "views": lambda lib, x, w, b: x.transpose(1, 2)[:, 1:].reshape(2, -1) * b.sum(),
        "interpolate": lambda lib, x, w, b: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
    }


def _differentiated_tangent(lib, op, requiring):
    """(the tangent of ``op``'s result, whether it requires grad, the gradients of its weighted sum with respect to
    the primals and tangents), those in ``requiring`` requiring grad."""
    fwAD = lib.autograd.forward_ad
    values = {name: lib.tensor(np.random.default_rng(seed).standard_normal(shape))
              for seed, (name, shape) in enumerate([("x", (2, 3, 6, 6)), ("tx", (2, 3, 6, 6)), ("w", (4, 3, 3, 3)),
                                                    ("tw", (4, 3, 3, 3)), ("b", (4,)), ("tb", (4,))])}
    for name in requiring:
        values[name].requires_grad_()
    with fwAD.dual_level():
        duals = [fwAD.make_dual(values[p], values["t" + p]) for p in ("x", "w", "b")]
        tangent = fwAD.unpack_dual(op(lib, *duals)).tangent
        if not tangent.requires_grad:
            return tangent, False, None
        weight = lib.linspace(-1, 1, tangent.numel(), dtype=lib.float64).reshape(tangent.shape)
        wanted = [values[name] for name in requiring]
        grads = lib.autograd.grad((tangent * weight).sum(), wanted, allow_unused=True, materialize_grads=True)
    return tangent, True, grads


@pytest.mark.parametrize("requiring", [("x", "w", "b", "tx", "tw", "tb"), ("x",), ("tx",), ("w", "tb"), ()])
@pytest.mark.parametrize("op", list(_tangent_ops()))
def test_forward_ad_tangents_are_differentiable(op, requiring):
    actual = _differentiated_tangent(torchless, _tangent_ops()[op], requiring)
    expected = _differentiated_tangent(torch, _tangent_ops()[op], requiring)
    _assert_same(actual, expected, rtol=1e-10)


@pytest.mark.parametrize("op", ["layer_norm", "batch_norm", "instance_norm", "softmax", "log_softmax"])
def test_forward_ad_tangents_of_normalisations_differentiable(op):
    """d/dx <J(x) t, w> against central differences of the tangent (float64)."""
    F = torchless.nn.functional
    apply = {"layer_norm": lambda a: F.layer_norm(a, (5,)),
             "batch_norm": lambda a: F.batch_norm(a, None, None, training=True),
             "instance_norm": lambda a: F.instance_norm(a.unsqueeze(0)).squeeze(0),
             "softmax": lambda a: F.softmax(a, 1), "log_softmax": lambda a: F.log_softmax(a, 1)}[op]
    rng = np.random.default_rng(31)
    x, t, w = (rng.standard_normal((3, 5)) for _ in range(3))
    fwAD = torchless.autograd.forward_ad

    def weighted_tangent(x_values, requires_grad=False):
        primal = torchless.tensor(x_values, requires_grad=requires_grad)
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(apply(fwAD.make_dual(primal, torchless.tensor(t)))).tangent
            return primal, (tangent * torchless.tensor(w)).sum()

    primal, total = weighted_tangent(x, requires_grad=True)
    gradient, = torchless.autograd.grad(total, primal)
    step, expected = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shift = np.zeros_like(x)
        shift[index] = step
        expected[index] = (weighted_tangent(x + shift)[1].item() - weighted_tangent(x - shift)[1].item()) / (2 * step)
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ vmap: tensors made like a sample are batched

_MADE_LIKE = {
    "detach": lambda lib, x: x.detach().sum().item(),
    "zeros_like": lambda lib, x: lib.zeros_like(x).sum().item(),
    "ones_like": lambda lib, x: bool(lib.ones_like(x, dtype=lib.float64)[0]),
    "empty_like": lambda lib, x: lib.empty_like(x).zero_().tolist(),
    "full_like": lambda lib, x: bool(lib.full_like(x, 2.0).sum()),
    "rand_like": lambda lib, x: lib.rand_like(x)[0].item(),
    "randn_like": lambda lib, x: lib.randn_like(x).tolist(),
    "randint_like": lambda lib, x: int(lib.randint_like(x, 5)[0]),
    "new_zeros": lambda lib, x: bool(x.new_zeros(2).sum() > 0),
    "new_ones": lambda lib, x: x.new_ones(()).item(),
    "new_full": lambda lib, x: float(x.new_full((2,), 3.0)[1]),
    "new_empty": lambda lib, x: x.new_empty(3).zero_().tolist(),
}


@pytest.mark.parametrize("case", list(_MADE_LIKE))
def test_vmap_tensors_made_like_a_sample_are_batched(case):
    _same_error(lambda lib: lib.func.vmap(lambda x: _MADE_LIKE[case](lib, x), randomness="different")(lib.ones(3, 4)))


# ------------------------------------------------------------------ vmap: in-place writes into unmapped inputs

_WRITES = {
    "add_": lambda p, s: s.add_(p),
    "add_alpha": lambda p, s: s.add_(p, alpha=2),
    "add_0d": lambda p, s: s.add_(p.sum()),
    "add_broadcast": lambda p, s: s[:1].add_(p),
    "sub_": lambda p, s: s.sub_(p),
    "mul_": lambda p, s: s.mul_(p),
    "div_": lambda p, s: s.div_(p),
    "pow_": lambda p, s: s.abs_().pow_(p),
    "fmod_": lambda p, s: s.fmod_(p),
    "remainder_": lambda p, s: s.remainder_(p),
    "lerp_": lambda p, s: s.lerp_(p, 0.5),
    "copy_": lambda p, s: s.copy_(p),
    "copy_view": lambda p, s: s[1].copy_(p[0]),
    "masked_fill_mask": lambda p, s: s.masked_fill_(p > 0, 1.0),
    "masked_fill_value": lambda p, s: s.masked_fill_(s > 0, p[0]),
    "fill_": lambda p, s: s.fill_(p[0]),
    "setitem": lambda p, s: s.__setitem__(0, p[0]),
    "setitem_slice": lambda p, s: s.__setitem__(slice(1, 3), p[:2]),
    "into_sample": lambda p, s: p.add_(s),
    "into_zeros_like": lambda p, s: p.zero_() + s.mul(1).zero_(),
}
# (grad refuses writes into the tensors its function captured, the samples there: torchless does not)
_WRITE_NESTINGS = [(case, nesting) for case in _WRITES for nesting in ("vmap", "nested_vmap", "grad_of_vmap")
                   if not (nesting == "grad_of_vmap" and case.startswith("into_"))]


@pytest.mark.parametrize("case, nesting", _WRITE_NESTINGS)
def test_vmap_refuses_mapped_values_written_into_unmapped_inputs(case, nesting):
    def program(lib):
        vmap, write = lib.func.vmap, _WRITES[case]
        mapped, unmapped = lib.linspace(0.5, 2.0, 24).reshape(2, 3, 4), lib.linspace(1.0, 2.0, 4)
        if nesting == "vmap":
            return vmap(lambda p, s: write(p, s) * 1, in_dims=(0, None))(mapped[0], unmapped.clone()), None
        if nesting == "nested_vmap":
            inner = vmap(lambda p, s: write(p, s) * 1, in_dims=(0, None))
            return vmap(inner, in_dims=(0, None))(mapped, unmapped.clone()), None
        return lib.func.grad(lambda x: vmap(lambda p, s: write(p, s) * 1, in_dims=(0, None))(
            mapped[0], x.clone()).sum())(unmapped), None

    _same_outcome(program)


# ------------------------------------------------------------------ forward AD: layouts and levels

_LAYOUTS = {
    "tangent_transposed": lambda lib, x, t: (x, t.transpose(2, 3).contiguous().transpose(2, 3), lambda d: d),
    "primal_channels_last": lambda lib, x, t: (x.contiguous(memory_format=lib.channels_last), t, lambda d: d),
    "conv_channels_last": lambda lib, x, t: (x.contiguous(memory_format=lib.channels_last), t,
                                             lambda d: lib.nn.functional.conv2d(d, lib.ones(4, 3, 3, 3))),
    "relu_channels_last": lambda lib, x, t: (x.contiguous(memory_format=lib.channels_last), t,
                                             lambda d: lib.nn.functional.relu(d)),
    "pool_channels_last": lambda lib, x, t: (x, t.contiguous(memory_format=lib.channels_last),
                                             lambda d: lib.nn.functional.max_pool2d(d, 2)),
    "slice_of_primal": lambda lib, x, t: (x[:, :, ::2], t[:, :, ::2].contiguous(), lambda d: d * 2),
}


# (a tangent requiring grad is copied in the graph, whose copy_ lays a strided primal's gaps out densely)
@pytest.mark.parametrize("case, requires_grad", [(case, requires_grad) for case in _LAYOUTS for requires_grad in
                                                 (False, True) if not (requires_grad and case == "slice_of_primal")])
def test_forward_ad_tangent_layout(case, requires_grad):
    def program(lib):
        x = lib.arange(2 * 3 * 5 * 5.).reshape(2, 3, 5, 5).sin().requires_grad_(requires_grad)
        primal, tangent, op = _LAYOUTS[case](lib, x, x.cos())
        fwAD = lib.autograd.forward_ad
        with fwAD.dual_level():
            dual = fwAD.make_dual(primal, tangent)
            tangents = [fwAD.unpack_dual(dual).tangent, fwAD.unpack_dual(op(dual)).tangent]
        return tangents, [tuple(t.stride()) for t in tangents]

    _assert_same(program(torchless), program(torch))


def _levels(lib, fwAD, x):
    outside = [("unpack_level_0", lambda: fwAD.unpack_dual(x, level=0)),
               ("unpack_level_1", lambda: fwAD.unpack_dual(x, level=1)),
               ("unpack_level_negative", lambda: fwAD.unpack_dual(x, level=-1)),
               ("unpack_default", lambda: fwAD.unpack_dual(x))]
    inside = [("dual_level_0", lambda d: fwAD.unpack_dual(d, level=0)),
              ("dual_level_1", lambda d: fwAD.unpack_dual(d, level=1)),
              ("dual_level_negative", lambda d: fwAD.unpack_dual(d, level=-1)),
              ("plain_level_1", lambda d: fwAD.unpack_dual(x, level=1)),
              ("plain_default", lambda d: fwAD.unpack_dual(x)),
              ("make_level_1", lambda d: fwAD.make_dual(x, x, level=1)),
              ("make_level_negative", lambda d: fwAD.make_dual(x.clone(), x, level=-1))]
    return outside, inside


@pytest.mark.parametrize("case", range(11))
def test_forward_ad_levels(case):
    def program(lib):
        fwAD = lib.autograd.forward_ad
        x = lib.ones(2)
        outside, inside = _levels(lib, fwAD, x)
        if case < len(outside):
            result = outside[case][1]()
        else:
            with fwAD.dual_level():
                result = inside[case - len(outside)][1](fwAD.make_dual(x, lib.full((2,), 2.0)))
        return result.primal is x, result.tangent

    _same_outcome(program)


# ------------------------------------------------------------------ forward AD: in-place ops on a dual tensor

_DUAL_WRITES = {
    "unsqueeze_": lambda lib, d: d.unsqueeze_(0),
    "squeeze_": lambda lib, d: d.view(3, 1).squeeze_(1),
    "squeeze_all": lambda lib, d: d.view(1, 3, 1).squeeze_(),
    "t_": lambda lib, d: d.view(3, 1).t_(),
    "transpose_": lambda lib, d: d.view(1, 3).transpose_(0, 1),
    "swapdims_": lambda lib, d: d.view(1, 3).swapdims_(0, 1),
    "copy_plain": lambda lib, d: d.copy_(lib.zeros(3)),
    "zero_": lambda lib, d: d.zero_(),
    "mul_plain": lambda lib, d: d.mul_(lib.tensor([2.0, 3.0, 4.0])),
    "relu_": lambda lib, d: d.relu_(),
    "setitem": lambda lib, d: d.__setitem__(slice(0, 2), lib.tensor([7.0, 8.0])),
    "masked_fill_": lambda lib, d: d.masked_fill_(d > 0, 0.0),
    "div_dual": lambda lib, d: d.div_(lib.autograd.forward_ad.make_dual(lib.full((3,), 2.0), lib.tensor([1.0, 0, 1]))),
}


@pytest.mark.parametrize("case", list(_DUAL_WRITES))
def test_forward_ad_in_place_ops_on_a_dual(case):
    def program(lib):
        fwAD = lib.autograd.forward_ad
        with fwAD.dual_level():
            dual = fwAD.make_dual(lib.tensor([1.0, -2.0, 3.0]), lib.tensor([1.0, 0.5, 2.0]))
            result = _DUAL_WRITES[case](lib, dual)
            return fwAD.unpack_dual(dual).tangent, None if result is None else fwAD.unpack_dual(result).tangent

    _assert_same(program(torchless), program(torch))


# ------------------------------------------------------------------ argument checks of the transforms

def _square(a, b=None):
    return a ** 2 * (1 if b is None else b)


_TRANSFORM_ARGUMENTS = {
    "jacrev_argnums_repeated_negative": lambda lib, x: lib.func.jacrev(_square, argnums=(0, -2))(x, x),
    "grad_argnums_repeated_negative": lambda lib, x: lib.func.grad(lambda a, b: (a * b).sum(), argnums=(1, -1))(x, x),
    "jacfwd_argnums_range_before_type": lambda lib, x: lib.func.jacfwd(_square, argnums=(5, "a"))(x, x),
    "jacrev_argnums_type_before_range": lambda lib, x: lib.func.jacrev(_square, argnums=("a", 5))(x, x),
    "jacrev_argnums_empty": lambda lib, x: lib.func.jacrev(_square, argnums=())(x, x),
    "jacrev_argnums_list": lambda lib, x: lib.func.jacrev(_square, argnums=[0])(x, x),
    "jacrev_negative": lambda lib, x: lib.func.jacrev(_square, argnums=-1)(x, x),
    "jacrev_keyword_arguments": lambda lib, x: lib.func.jacrev(_square)(x, b=x),
    "jacfwd_keyword_arguments": lambda lib, x: lib.func.jacfwd(_square)(x, b=x),
    "grad_keyword_arguments": lambda lib, x: lib.func.grad(lambda a, b=None: (a * b).sum())(x, b=x),
    "jacfwd_randomness_when_called": lambda lib, x: lib.func.jacfwd(_square, randomness="x")(x),
    "jacfwd_randomness_after_argnums": lambda lib, x: lib.func.jacfwd(_square, argnums=3, randomness="x")(x),
    "jacfwd_randomness_created": lambda lib, x: lib.func.jacfwd(_square, randomness="x") and None,
    "vjp_empty_output": lambda lib, x: lib.func.vjp(lambda a: (), x),
    "vjp_none_output": lambda lib, x: lib.func.vjp(lambda a: None, x),
    "jacrev_empty_output": lambda lib, x: lib.func.jacrev(lambda a: [])(x),
}


@pytest.mark.parametrize("case", list(_TRANSFORM_ARGUMENTS))
def test_transform_arguments(case):
    def program(lib):
        return _TRANSFORM_ARGUMENTS[case](lib, lib.arange(1.0, 4.0))

    _same_outcome(program, (RuntimeError, TypeError, ValueError))
