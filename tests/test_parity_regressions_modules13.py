"""Parity regressions found by differential sweeps of nn modules, losses, optimizers and data utilities
against PyTorch (session modules13). Every test compares with torch itself."""
import math

import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(fn, mod):
    """(``"ok"``, value as nested Python) or (``"err"``, exception type name, message) of ``fn(mod)``."""
    try:
        value = fn(mod)
    except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
        return "err", type(e).__name__, str(e).replace("torchless", "torch")
    if isinstance(value, (torch.Tensor, torchless.Tensor)):
        return "ok", tuple(value.shape), value.tolist()
    return "ok", value


def _same(fn):
    assert _outcome(fn, torchless) == _outcome(fn, torch)


# ------------------------------------------------------------------ linalg.vector_norm (F.normalize's norm)
@pytest.mark.parametrize("ord", [-1, -1.0, -0.5, -1e-30, -3, -math.inf, math.inf, 0, 2])
@pytest.mark.parametrize("dim", [None, 1, 0, (0, 1), ()])
def test_vector_norm_of_empty_dims_refuses_orders_without_identity(ord, dim):
    # a negative order (or inf) has no identity over an empty dim: PyTorch refuses it, naming the order as
    # C++ streams a double (-1.0 is "-1")
    _same(lambda m: m.linalg.vector_norm(m.zeros(2, 0), ord, dim=dim))


@pytest.mark.parametrize("ord", [-1, -0.5, -2, -math.inf, math.inf, 0, 2, "fro"])
@pytest.mark.parametrize("dim", [None, 1, 0, (0, 1), ()])
def test_tensor_norm_and_normalize_of_empty_dims_refuse_orders_without_identity(ord, dim):
    # Tensor.norm, torch.norm and F.normalize reach the same check as linalg.vector_norm
    _same(lambda m: m.ones(2, 0, 3).norm(ord, dim))
    _same(lambda m: m.norm(m.ones(2, 0, 3), ord, dim))
    if isinstance(dim, int) and ord != "fro":
        _same(lambda m: m.nn.functional.normalize(m.ones(2, 0, 3), ord, dim))


@pytest.mark.parametrize("ord", [-1, 0, 1, 2, math.inf])
def test_vector_norm_empty_dim_list_reduces_every_dim(ord):
    # dim=() is PyTorch's legacy "every dim", as for sum and Tensor.norm: not an elementwise |x|
    _same(lambda m: m.linalg.vector_norm(m.arange(6.0).reshape(2, 3) - 2, ord, dim=()))
    _same(lambda m: m.linalg.vector_norm(m.arange(6.0).reshape(2, 3) - 2, ord, dim=(), keepdim=True))


# ------------------------------------------------------------------ Module state_dict hooks
@pytest.mark.parametrize("public", [False, True])
@pytest.mark.parametrize("on_child", [False, True])
@pytest.mark.parametrize("returns_new", [False, True])
def test_state_dict_post_hooks_private_and_public(public, on_child, returns_new):
    # the private _register_state_dict_hook (used by libraries) may return a new state_dict, which only the
    # root module's call respects; the public register_state_dict_post_hook must return None
    def run(m):
        m.manual_seed(0)
        inner = m.nn.Linear(3, 2)
        outer = m.nn.Sequential(inner)
        target = inner if on_child else outer

        def hook(module, state_dict, prefix, local_metadata):
            if returns_new:
                return {"only": 1}
            state_dict[prefix + "extra"] = 1

        (target.register_state_dict_post_hook if public else target._register_state_dict_hook)(hook)
        return sorted(outer.state_dict())

    _same(run)


def test_state_dict_hook_registered_publicly_cannot_be_registered_privately():
    def run(m):
        def hook(*args):
            return None

        module = m.nn.Linear(2, 2)
        module.register_state_dict_post_hook(hook)
        module._register_state_dict_hook(hook)

    _same(run)


# ------------------------------------------------------------------ weight_norm's dim
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (3,), ()])
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3, 3, 5, None])
@pytest.mark.parametrize("deprecated", [False, True])
def test_weight_norm_dim_checked_and_vector_weights_normed_per_element(shape, dim, deprecated):
    # an out-of-range dim is PyTorch's IndexError (it was wrapped modulo the rank); a 1-d weight with dim=0
    # has one length per element (not one for the whole vector); a 0-d weight takes no dim but -1's norm
    import warnings

    def run(m):
        module = m.nn.Module()
        module.weight = m.nn.Parameter((m.arange(float(math.prod(shape))).reshape(shape) * 0.37).sin())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # (the deprecated form's)
            (m.nn.utils.weight_norm if deprecated else m.nn.utils.parametrizations.weight_norm)(module, dim=dim)
        weight = module.weight
        return [round(x, 5) if not math.isnan(x) else "nan" for x in weight.detach().reshape(-1).tolist()], \
            sorted((k, tuple(v.shape)) for k, v in module.state_dict().items())

    _same(run)


@pytest.mark.parametrize("shape, dim", [((3,), 0), ((3,), None), ((), None), ((0, 3), None), ((3, 0), 1), ((3, 4), None)])
def test_deprecated_spectral_norm_views_the_weight_as_pytorchs_legacy_reshape(shape, dim):
    # the hook-based form reshapes to (height, -1): a vector becomes a column (u of its length, v of one), an
    # empty weight is refused as ambiguous, a 0-d one has no size(0) (the parametrization's flatten differs)
    def run(m):
        m.manual_seed(0)
        module = m.nn.Module()
        module.weight = m.nn.Parameter(m.ones(shape))
        m.nn.utils.spectral_norm(module, dim=dim)
        return sorted((k, tuple(v.shape)) for k, v in module.state_dict().items())

    _same(run)


# ------------------------------------------------------------------ recurrent modules
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("args, kwargs", [
    ((0, 4), {}), ((-1, 4), {}), ((3.0, 4), {}), ((True, 4), {}), ((3, 4), {"dropout": "x"}),
    ((3, 4), {"dropout": None}), ((3, 4), {"dropout": "0.5"}), ((3, 4), {"bias": 1}), ((3, 4), {"bias": None}),
    ((3, 4), {"batch_first": 0}), ((3, 4), {"batch_first": "x"}), ((3, 4), {"dropout": True}),
])
def test_recurrent_constructor_checks_input_size_and_flags(mode, args, kwargs):
    # PyTorch 2.13 checks input_size (an int, positive), bias and batch_first (bools), and converts dropout
    # with float() before anything else
    _same(lambda m: repr(getattr(m.nn, mode)(*args, **kwargs)))


@pytest.mark.parametrize("form", ["batched", "unbatched", "packed sorted", "packed unsorted"])
@pytest.mark.parametrize("states", [2, 3])
def test_lstm_refuses_a_third_hidden_state_where_pytorchs_kernel_sees_it(form, states):
    # the kernel takes hx as given when batched (or packed with no reordering): more than (h_0, c_0) is an
    # error there; the unbatched and reordered paths rebuild hx as a pair and ignore the rest
    def run(m):
        m.manual_seed(0)
        lstm = m.nn.LSTM(3, 4)
        x = (m.arange(30.0).reshape(5, 2, 3) * 0.37).sin()
        hidden = (1, 2, 4)
        if form == "unbatched":
            x, hidden = x[:, 0], (1, 4)
        elif form.startswith("packed"):
            x = m.nn.utils.rnn.pack_padded_sequence(x, [5, 3] if form == "packed sorted" else [3, 5],
                                                    enforce_sorted=form == "packed sorted")
        _, (h, c) = lstm(x, tuple(m.full(hidden, 0.1) for _ in range(states)))
        return [round(v, 5) for v in h.reshape(-1).tolist() + c.reshape(-1).tolist()]

    _same(run)


# ------------------------------------------------------------------ linear_cross_entropy (PyTorch 2.13)
def _lce_run(m, input_shape, weight_shape, target, kwargs):
    x = (m.arange(float(math.prod(input_shape))).reshape(input_shape) * 0.37).sin().requires_grad_()
    w = (m.arange(float(math.prod(weight_shape))).reshape(weight_shape) * 0.29).cos().requires_grad_()
    kwargs = dict(kwargs)
    if kwargs.get("options") == "default":
        kwargs["options"] = m.nn.LinearCrossEntropyOptions()
    if "linear_bias" in kwargs:
        kwargs["linear_bias"] = m.full(kwargs["linear_bias"], 0.1)
    if target == "probabilities":
        logits = (len(input_shape) - 1) * (5,) + weight_shape[:-1]
        t = (m.arange(float(math.prod(logits))).reshape(logits) * 0.7).sin().softmax(len(input_shape) - 1)
    else:
        t = m.tensor(target)
    out = m.nn.functional.linear_cross_entropy(x, w, t, **kwargs)
    out.sum().backward()
    rounded = lambda v: [round(e, 4) for e in v.detach().reshape(-1).tolist()]
    return rounded(out), rounded(x.grad), rounded(w.grad)


@pytest.mark.parametrize("input_shape, weight_shape, target", [
    ((5, 3), (4, 3), [1, 2, 3, 0, 1]), ((3,), (4, 3), 2), ((5, 3), (4, 2, 3), [[1, 2]] * 5), ((3,), (4, 2, 3), 1),
    ((5, 3), (4, 4), [1, 2, 3, 0, 1]), ((5, 3, 2), (4, 3), [1, 2, 3, 0, 1]), ((5, 3), (4,), [1, 2, 3, 0, 1]),
    ((5, 3), (4, 3), "probabilities"), ((5, 3), (4, 2, 3), "probabilities"), ((5, 3), (4, 3), [1, 2, 3, 4, 0]),
])
@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "none"}, {"ignore_index": 1}, {"label_smoothing": 0.2}, {"linear_bias": (4,)},
    {"options": "default"}, {"options": "default", "label_smoothing": 0.1},
])
def test_linear_cross_entropy_matches_pytorch(input_shape, weight_shape, target, kwargs):
    # new in PyTorch 2.13: a linear head and cross entropy in one call, with its own shape checks, ignore_index
    # None (-100, refused with probabilities), the chunked path's option warning and indexing errors
    import warnings

    def run(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = _lce_run(m, input_shape, weight_shape, target, kwargs)
            except Exception as e:  # noqa: BLE001
                result = type(e).__name__, str(e)
        return result, [str(w.message).replace("torchless", "torch") for w in caught]

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("kwargs", [
    {}, {"acc_policy": "x"}, {"acc_policy": "compact"}, {"chunking_method": "aspect_ratio:0"},
    {"chunking_method": "aspect_ratio:3"}, {"chunking_method": "foo"}, {"chunking_method": None},
    {"batch_chunk_size": 0}, {"batch_chunk_size": 2.5}, {"batch_chunk_size": 4}, {"acc_dtype": "f"},
])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_linear_cross_entropy_options_validated_and_resolved(kwargs, dtype):
    _same(lambda m: repr(m.nn.LinearCrossEntropyOptions(**kwargs)._adjust(
        100, 16, 1000, getattr(m, dtype), m.device("cpu"))).replace("torchless.", "torch."))


@pytest.mark.parametrize("kwargs", [
    {}, {"out_features": (2,)}, {"bias": True}, {"label_smoothing": 1.5}, {"ignore_index": 2}, {"reduction": "sum"},
])
def test_linear_cross_entropy_loss_module(kwargs):
    def run(m):
        m.manual_seed(0)
        loss = m.nn.LinearCrossEntropyLoss(3, 4, **kwargs)
        positions = kwargs.get("out_features", ())
        target = (m.arange(5 * math.prod(positions)) % 4).reshape((5, *positions))
        value = loss(m.ones(5, 3), target)
        return repr(loss), sorted((k, tuple(v.shape)) for k, v in loss.state_dict().items()), round(value.item(), 5)

    _same(run)


# ------------------------------------------------------------------ DataLoader
@pytest.mark.parametrize("timeout", [0, 0.0, 5, 1e-9, True])
def test_single_process_loader_refuses_a_timeout_when_iterated(timeout):
    # a timeout waits for workers: without any, PyTorch's single-process iterator asserts it is 0
    _same(lambda m: [int(batch) for batch in m.utils.data.DataLoader(range(3), timeout=timeout)])


# ------------------------------------------------------------------ embedding_bag with decreasing offsets
@pytest.mark.parametrize("indices, offsets", [
    ([1, 2, 3], [0, 2, 1]), ([1, 2, 3], [0, 3, 1]), ([1, 2, 3, 4], [0, 3, 1]), ([1, 2, 3, 4], [0, 3, 2]),
    ([1, 2, 3, 4], [0, 2, 1, 3]), ([1, 2, 3, 4], [0, 0, 2, 1]), ([1, 2, 3], [0, 1, 1]), ([1, 2, 3], [0, 3, 3]),
])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_decreasing_offsets(indices, offsets, mode, include_last_offset):
    # offsets that go back: PyTorch's sum and mean kernels refuse them (no NumPy error leaks), its max kernel
    # puts each entry in the bag the running count of offsets gives
    if include_last_offset and offsets[-1] != len(indices) and offsets == sorted(offsets):
        pytest.skip("PyTorch's result for a short last offset is undefined (uninitialised gradients)")

    def run(m):
        weight = (m.arange(30.0).reshape(10, 3) * 0.37).sin()
        return m.nn.functional.embedding_bag(m.tensor(indices), weight, m.tensor(offsets), mode=mode,
                                             include_last_offset=include_last_offset)

    _same(run)


# ------------------------------------------------------------------ schedulers with a tensor lr
_SCHEDULERS = {
    "StepLR": {"step_size": 2}, "CosineAnnealingLR": {"T_max": 5}, "OneCycleLR": {"max_lr": 1.0, "total_steps": 8},
    "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2}, "LambdaLR": {"lr_lambda": lambda e: 0.9 ** e},
    "CosineAnnealingWarmRestarts": {"T_0": 2}, "ReduceLROnPlateau": {"patience": 0}, "SequentialLR": None,
}


@pytest.mark.parametrize("name", sorted(_SCHEDULERS))
@pytest.mark.parametrize("lr_shape", [(), (1,)])
def test_schedulers_fill_a_tensor_lr_in_place(name, lr_shape):
    # PyTorch fills a tensor lr in place (the group keeps the same tensor, still a tensor after OneCycleLR and
    # CyclicLR) and keeps clones in initial_lr, base_lrs and _last_lr, so the schedule is not corrupted by aliasing
    def run(m):
        sched = m.optim.lr_scheduler
        p = m.nn.Parameter(m.ones(2))
        opt = m.optim.SGD([p], lr=m.full(lr_shape, 0.1), momentum=0.9)
        held = opt.param_groups[0]["lr"]
        if name == "SequentialLR":
            s = sched.SequentialLR(opt, [sched.ConstantLR(opt, factor=0.5, total_iters=2), sched.ExponentialLR(opt, 0.9)],
                                   milestones=[2])
        else:
            s = getattr(sched, name)(opt, **_SCHEDULERS[name])
        seen = []
        for _ in range(5):
            (p ** 2).sum().backward()
            opt.step()
            opt.zero_grad()
            s.step(1.0) if name == "ReduceLROnPlateau" else s.step()
            lr = opt.param_groups[0]["lr"]
            seen.append((type(lr).__name__, lr is held, round(float(lr), 6), s.get_last_lr()[0] is lr))
        return seen, [round(v, 5) for v in p.tolist()]

    _same(run)


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
@pytest.mark.parametrize("betas", ["0-d", "1-element", "mixed", "2-element", "foreach", "foreach lr"])
def test_adam_takes_tensor_betas(optimizer, betas):
    # PyTorch accepts betas as two 1-element tensors (kept 0-d), not with foreach=True without capturable (nor
    # a tensor lr then)
    def run(m):
        p = m.nn.Parameter(m.ones(3))
        given = {"0-d": (m.tensor(0.9), m.tensor(0.99)), "1-element": (m.tensor([0.9]), m.tensor([0.99])),
                 "mixed": (m.tensor(0.9), 0.99), "2-element": (m.tensor([0.9, 0.8]), m.tensor(0.99)),
                 "foreach": (m.tensor(0.9), m.tensor(0.99)), "foreach lr": (0.9, 0.99)}[betas]
        lr = m.tensor(0.01) if betas == "foreach lr" else 0.01
        opt = getattr(m.optim, optimizer)([p], lr=lr, betas=given, foreach=betas.startswith("foreach") or None)
        for _ in range(3):
            (p ** 2).sum().backward()
            opt.step()
            opt.zero_grad()
        return [round(v, 5) for v in p.tolist()], [tuple(beta.shape) for beta in opt.param_groups[0]["betas"]]

    _same(run)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (3,)])
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, 5])
@pytest.mark.parametrize("g_form", ["kept dims", "flat"])
def test_norm_except_dim_and_weight_norm_in_the_torch_namespace(shape, dim, g_form):
    # torch.norm_except_dim and torch._weight_norm (weight_norm's kernels); the fused kernel (dim first or last)
    # takes g flat, one length per index of dim
    def run(m):
        v = (m.arange(float(math.prod(shape))).reshape(shape) * 0.37).sin()
        norms = m.norm_except_dim(v, 2, dim)
        if g_form == "flat":
            g = m.full((shape[dim],), 2.0) if dim in (0, len(shape) - 1) and dim != -1 else m.full(norms.shape, 2.0)
        else:
            g = m.full(norms.shape, 2.0)
        return [round(x, 5) if not math.isnan(x) else "nan" for x in norms.reshape(-1).tolist()], \
            [round(x, 5) if not math.isnan(x) else "nan" for x in m._weight_norm(v, g, dim).reshape(-1).tolist()]

    _same(run)


@pytest.mark.parametrize("kwargs", [
    {"weight": [1.0] * 4}, {"pos_weight": [1.0] * 4}, {"weight": 3.0}, {"pos_weight": 2},
    {"weight": [1.0] * 4, "pos_weight": [1.0] * 4},
])
def test_bce_with_logits_refuses_non_tensor_weights_as_its_parser(kwargs):
    _same(lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.zeros(3, 4), m.full((3, 4), 0.5), **kwargs))


@pytest.mark.parametrize("bad", [[1.0, 2.0], 1.5, "x"])
@pytest.mark.parametrize("call", [
    "cosine_similarity x1", "cosine_similarity x2", "pairwise_distance x2", "torch.pairwise_distance x2",
    "triplet_margin_loss negative", "triplet_margin_loss anchor", "cosine_embedding_loss target",
    "cosine_embedding_loss input2",
])
def test_distance_functions_refuse_non_tensors_as_their_parsers(call, bad):
    # the natives' TypeErrors naming the argument (pairwise_distance computed with a float x2 before)
    def run(m):
        F = m.nn.functional
        x = m.ones(3, 2)
        args = {
            "cosine_similarity x1": (F.cosine_similarity, (bad, x)), "cosine_similarity x2": (F.cosine_similarity, (x, bad)),
            "pairwise_distance x2": (F.pairwise_distance, (x, bad)), "torch.pairwise_distance x2": (m.pairwise_distance, (x, bad)),
            "triplet_margin_loss negative": (F.triplet_margin_loss, (x, x, bad)),
            "triplet_margin_loss anchor": (F.triplet_margin_loss, (bad, x, x)),
            "cosine_embedding_loss target": (F.cosine_embedding_loss, (x, x, bad)),
            "cosine_embedding_loss input2": (F.cosine_embedding_loss, (x, bad, m.ones(3))),
        }
        fn, given = args[call]
        return fn(*given)

    _same(run)


@pytest.mark.parametrize("input_lengths, target_lengths", [
    ("list", "tensor"), ("tensor", "list"), ("tensor", "tuple"), ("tuple", "tensor"), ("list", "list"),
    ("tensor", "tensor"),
])
def test_ctc_loss_lengths_both_tensors_or_both_int_lists(input_lengths, target_lengths):
    # ctc_loss has two overloads (int lists, or tensors): mixing a tensor with a list matches neither
    def run(m):
        forms = {"list": list, "tuple": tuple, "tensor": m.tensor}
        log_probs = (m.arange(40.0).reshape(5, 2, 4) * 0.37).sin().log_softmax(2)
        return round(m.nn.functional.ctc_loss(log_probs, m.tensor([[1, 2], [1, 1]]), forms[input_lengths]([5, 5]),
                                              forms[target_lengths]([2, 2])).item(), 5)

    _same(run)


# ------------------------------------------------------------------ pad's gradient, bit for bit
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape, pad", [
    ((2, 3, 3, 1), (2, 3, 3, 0, 2, -1)), ((1, 2, 5, 6), (2, 1, 3, 2)), ((1, 1, 4, 5, 6), (1, 2, 2, 1, 3, 0)),
    ((3, 5, 6), (2, 2, 1, 3)), ((2, 3, 4, 5), (-1, 2, 2, -1)),
])
def test_reflect_and_replicate_pad_gradients_add_up_in_pytorchs_order(mode, shape, pad):
    # PyTorch's kernels add each output's gradient into its source element in the output's order, over all
    # padded dims at once; summed one axis after another the float32 results differed in the last bits
    import numpy as np

    if mode == "reflect" and shape[-1] == 1:
        pytest.skip("reflect pads at most the dimension's size less one")
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)

    def run(m):
        leaf = m.tensor(x, requires_grad=True)
        out = m.nn.functional.pad(leaf, pad, mode=mode)
        out.backward(m.tensor(np.random.default_rng(4).standard_normal(tuple(out.shape)).astype(np.float32)))
        return leaf.grad.numpy().tobytes()

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 3), (2, 3, 0), (0, 2, 3)])
@pytest.mark.parametrize("ord", [1, -1, 2, -2, math.inf, -math.inf, "nuc", "fro"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_of_empty_matrices(shape, ord, keepdim):
    # positive orders give 0 (the norm of nothing); negative ones have no identity: amin's IndexError, naming the
    # dim PyTorch's reduction order reaches it by (column sums, then their min; row sums for inf)
    for dim in [(-2, -1), (-1, -2)] + ([(0, 2)] if len(shape) == 3 else []):
        _same(lambda m: m.linalg.matrix_norm(m.ones(*shape), ord, dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("ord", [1, -1, math.inf, -math.inf, 2, -2])
@pytest.mark.parametrize("dim", [(-2, -1), (-1, -2), (0, 2), (2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_values_and_gradients(ord, dim, keepdim):
    import numpy as np

    a = np.random.default_rng(7).standard_normal((3, 4, 5))
    results = []
    for m in (torchless, torch):
        x = m.tensor(a, requires_grad=True)
        y = m.linalg.matrix_norm(x, ord, dim=dim, keepdim=keepdim)
        y.sum().backward()
        results.append((tuple(y.shape), y.detach().numpy(), x.grad.numpy()))
    (shape, value, grad), (shape_t, value_t, grad_t) = results
    assert shape == shape_t
    np.testing.assert_allclose(value, value_t, rtol=1e-12)
    np.testing.assert_allclose(grad, grad_t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dim", [(0, 5), (5, 0), (-3, 1), (1, 1), (5, 5), (-1, 1), (1, -2)])
def test_matrix_norm_checks_dims_in_range_before_distinct(dim):
    _same(lambda m: m.linalg.matrix_norm(m.ones(2, 3), 1, dim=dim))
