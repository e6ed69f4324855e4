"""Parity regressions of session 27's nodes27 helper: one autograd node where PyTorch records one for an op with
several differentiable outputs (var_mean, std_mean, aminmax, slogdet, lstsq, eig, native_group_norm), forward AD
through the factorisations, and activation gradients at NaN and at their boundaries. Each test compares with
torch at run time."""
import itertools

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2027)


def _node_structure(lib, op, arrays):
    """(grad_fn name, output_nr, requires_grad) of each output, whether they share one grad_fn, and the names and
    output numbers of that node's next_functions."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    outputs = op(lib, *inputs)
    first = outputs[0].grad_fn
    listed = [(None if node is None else node.name(), nr) for node, nr in first.next_functions]
    return ([(None if o.grad_fn is None else o.grad_fn.name(), o.output_nr, o.requires_grad) for o in outputs],
            [o.grad_fn is first for o in outputs], listed)


def _gradients(lib, op, arrays, which, upstream, create_graph=False):
    """The inputs' gradients of sum(upstream_i * output_i) over the outputs ``which`` (and, with ``create_graph``,
    the gradients of the squared norm of those gradients)."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    outputs = op(lib, *inputs)
    loss = sum((outputs[i] * lib.tensor(u)).sum().real for i, u in zip(which, upstream))
    grads = lib.autograd.grad(loss, inputs, allow_unused=True, create_graph=create_graph)
    found = [None if g is None else g.detach().numpy() for g in grads]
    if create_graph and any(g is not None for g in grads):
        total = sum((g * g.conj()).sum().real for g in grads if g is not None)
        found += [None if g is None else g.numpy() for g in lib.autograd.grad(total, inputs, allow_unused=True)]
    return found


def _assert_same(ours, theirs, rtol=1e-9, atol=1e-10):
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        assert (mine is None) == (expected is None)
        if mine is not None:
            np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol)


JOINT_OPS = {
    "var_mean": (lambda L, x: L.var_mean(x, 1), [(3, 4)], 2, True),
    "var_mean_all": (lambda L, x: L.var_mean(x), [(3, 4)], 2, True),
    "var_mean_keepdim": (lambda L, x: L.var_mean(x, (0,), correction=0, keepdim=True), [(3, 4)], 2, True),
    "std_mean": (lambda L, x: L.std_mean(x, 1), [(3, 4)], 2, True),
    "std_mean_all": (lambda L, x: L.std_mean(x, unbiased=False), [(2, 3, 2)], 2, True),
    "aminmax": (lambda L, x: L.aminmax(x, dim=1), [(3, 4)], 2, True),
    "aminmax_all": (lambda L, x: L.aminmax(x), [(3, 4)], 2, True),
    "aminmax_keepdim": (lambda L, x: L.aminmax(x, dim=-1, keepdim=True), [(2, 3, 4)], 2, True),
    "lstsq_gelsd": (lambda L, a, b: L.linalg.lstsq(a, b, driver="gelsd"), [(5, 3), (5, 2)], 2, False),
    "lstsq_vectors": (lambda L, a, b: L.linalg.lstsq(a, b, driver="gelss"), [(2, 5, 3), (2, 5)], 2, False),
    "lstsq_gelsy": (lambda L, a, b: L.linalg.lstsq(a, b), [(5, 3), (5, 2)], 2, False),
    "slogdet": (lambda L, a: L.linalg.slogdet(a), [(3, 3)], 2, True),
    "slogdet_batched": (lambda L, a: L.slogdet(a), [(2, 3, 3)], 2, True),
    "lu": (lambda L, a: L.linalg.lu(a)[1:], [(3, 3)], 2, False),
}


@pytest.mark.parametrize("name", sorted(JOINT_OPS))
def test_multi_output_ops_have_one_node(name):
    op, shapes, _, _ = JOINT_OPS[name]
    arrays = [RNG.standard_normal(s) for s in shapes]
    assert _node_structure(torchless, op, arrays) == _node_structure(torch, op, arrays)


@pytest.mark.parametrize("name", sorted(JOINT_OPS))
def test_multi_output_ops_gradients_through_any_outputs(name):
    op, shapes, count, double = JOINT_OPS[name]
    arrays = [RNG.standard_normal(s) for s in shapes]
    with torch.no_grad():
        shapes_out = [tuple(o.shape) for o in op(torch, *[torch.tensor(a) for a in arrays])[:count]]
    for size in range(1, count + 1):
        for which in itertools.combinations(range(count), size):
            upstream = [RNG.standard_normal(shapes_out[i]) for i in which]
            for create_graph in (False, True) if double else (False,):
                try:
                    theirs = _gradients(torch, op, arrays, which, upstream, create_graph)
                except RuntimeError as error:  # (a real determinant's sign alone: nothing requires grad)
                    with pytest.raises(RuntimeError, match=str(error)):
                        _gradients(torchless, op, arrays, which, upstream, create_graph)
                    continue
                _assert_same(_gradients(torchless, op, arrays, which, upstream, create_graph), theirs)


def test_complex_slogdet_sign_and_logabsdet_share_a_node():
    a = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    op = JOINT_OPS["slogdet"][0]
    assert _node_structure(torchless, op, [a]) == _node_structure(torch, op, [a])
    upstream = [RNG.standard_normal((3,)) * 0 + 0.5 + 0.25j, np.asarray(1.5)]
    theirs = _gradients(torch, op, [a], (0, 1), [upstream[0][0], upstream[1]])
    _assert_same(_gradients(torchless, op, [a], (0, 1), [upstream[0][0], upstream[1]]), theirs)


def _joint_hooks_and_saved(lib):
    x = lib.tensor(np.arange(12.0).reshape(3, 4) ** 1.5, requires_grad=True)
    spread, mean = lib.std_mean(x, 1)
    node = spread.grad_fn
    seen = []
    spread.register_hook(lambda g: seen.append(("std", None if g is None else tuple(g.shape))))
    mean.register_hook(lambda g: seen.append(("mean", None if g is None else tuple(g.shape))))
    node.register_prehook(lambda grads: seen.append(("pre", [None if g is None else tuple(g.shape) for g in grads])))
    mean.retain_grad()
    saved = sorted(attr for attr in dir(node) if attr.startswith("_saved_"))
    result0 = node._saved_result0
    shown = (result0.grad_fn is node, result0.output_nr, node._saved_self is x, node._saved_dim, node._saved_keepdim)
    (spread.sum() * 2 + mean.sum() * 3).backward(retain_graph=True)
    first = x.grad.numpy().copy()
    mean.sum().backward()
    return seen, saved, shown, mean.grad.numpy(), first, x.grad.numpy()


def test_joint_node_runs_hooks_and_shows_saved_values_as_pytorch():
    ours, theirs = _joint_hooks_and_saved(torchless), _joint_hooks_and_saved(torch)
    assert ours[:3] == theirs[:3]
    _assert_same(list(ours[3:]), list(theirs[3:]))


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": -1, "keepdim": True}])
def test_aminmax_node_saves_both_results(kwargs):
    def shown(lib):
        x = lib.tensor(RNG.standard_normal((3, 4)), requires_grad=True) if lib is torch else \
            lib.tensor(values, requires_grad=True)
        low, high = lib.aminmax(x, **kwargs)
        node = low.grad_fn
        return (sorted(attr for attr in dir(node) if attr.startswith("_saved_")), node._saved_dim,
                node._saved_keepdim, node._saved_self is x, node._saved_max.output_nr, node._saved_min.output_nr,
                node._saved_max.grad_fn is node, np.array_equal(node._saved_max.detach().numpy(),
                                                                 high.detach().numpy()))
    values = RNG.standard_normal((3, 4))
    assert shown(torchless) == shown(torch)


def test_lstsq_node_saves_its_operands_and_solution_and_checks_their_versions():
    def shown(lib):
        a = lib.tensor(arrays[0], requires_grad=True)
        b = lib.tensor(arrays[1])
        solution = lib.linalg.lstsq(a, b).solution
        node = solution.grad_fn
        found = (sorted(attr for attr in dir(node) if attr.startswith("_saved_")), node._saved_self is a,
                 node._saved_b is b, node._saved_solution.grad_fn is node,
                 np.array_equal(node._saved_solution.detach().numpy(), solution.detach().numpy()))
        b.add_(1)
        with pytest.raises(RuntimeError) as error:
            solution.sum().backward()
        return found, str(error.value).split(":")[0]
    arrays = [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))]
    assert shown(torchless) == shown(torch)


def _refusals(lib):
    x = lib.tensor(RNG_VALUES, requires_grad=True).clone()
    low, high = lib.aminmax(x, dim=1)
    spread, mean = lib.var_mean(x, 0)
    (spread.sum() + mean.sum()).backward()
    messages = []
    with pytest.raises(RuntimeError) as error:
        mean.sum().backward()
    messages.append(str(error.value).split(".")[0])
    x.add_(1)
    with pytest.raises(RuntimeError) as error:
        (low.sum() + high.sum()).backward()
    messages.append(str(error.value).split(":")[0])
    return messages


RNG_VALUES = RNG.standard_normal((3, 4))


def test_joint_node_refuses_a_second_backward_and_a_modified_input():
    assert _refusals(torchless) == _refusals(torch)


# ------------------------------------------------------------------ forward AD through the factorisations

def _jvp(lib, op, primals, tangents):
    """[(primal, tangent or None)] of each output of ``op`` on dual tensors."""
    forward_ad = lib.autograd.forward_ad
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(lib.tensor(p), lib.tensor(t)) for p, t in zip(primals, tangents)]
        outputs = op(lib, *duals)
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        found = []
        for output in outputs:
            assert not output.requires_grad  # (a tangent alone records no node)
            primal, tangent = forward_ad.unpack_dual(output)
            found.append((primal.numpy().copy(), None if tangent is None else tangent.numpy().copy()))
    return found


def _sample(shape, complex_=False, kind=None):
    a = RNG.standard_normal(shape) + (1j * RNG.standard_normal(shape) if complex_ else 0)
    if kind == "symmetric":
        a = a + np.conj(np.swapaxes(a, -1, -2))
    elif kind == "positive":
        a = a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])
    return a


def _assert_same_jvp(ours, theirs):
    assert len(ours) == len(theirs)
    for (primal, tangent), (expected_primal, expected_tangent) in zip(ours, theirs):
        np.testing.assert_allclose(primal, expected_primal, rtol=1e-6, atol=1e-9)
        assert (tangent is None) == (expected_tangent is None)
        if tangent is not None:
            assert tangent.dtype == expected_tangent.dtype
            np.testing.assert_allclose(tangent, expected_tangent, rtol=1e-6, atol=1e-9)


FORWARD_AD_CASES = {
    "qr": (lambda L, a: L.linalg.qr(a), [(4, 3)], None),
    "qr_wide": (lambda L, a: L.linalg.qr(a), [(2, 3, 5)], None),
    "qr_complete_square": (lambda L, a: L.linalg.qr(a, mode="complete"), [(3, 3)], None),
    # (eigenvectors are defined up to their signs, which abs and its tangent sign(V) dV do not see)
    "eigh": (lambda L, a: (lambda w, v: (w, v.abs()))(*L.linalg.eigh(a)), [(2, 3, 3)], "symmetric"),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a, UPLO="U"), [(3, 3)], "symmetric"),
    "eig": (lambda L, a: L.linalg.eig(a), [(2, 3, 3)], None),
    "eigvals": (lambda L, a: L.linalg.eigvals(a), [(4, 4)], None),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [(2, 4, 3)], None),
    "cholesky": (lambda L, a: L.linalg.cholesky(a), [(2, 3, 3)], "positive"),
    "cholesky_upper": (lambda L, a: L.linalg.cholesky(a, upper=True), [(3, 3)], "positive"),
    "cholesky_ex": (lambda L, a: L.linalg.cholesky_ex(a).L, [(3, 3)], "positive"),
    "slogdet": (lambda L, a: L.linalg.slogdet(a), [(2, 3, 3)], None),
    "det": (lambda L, a: L.linalg.det(a), [(3, 3)], None),
    "inv": (lambda L, a: L.linalg.inv(a), [(3, 3)], None),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (3, 2)], None),
    "lstsq_gelsd": (lambda L, a, b: L.linalg.lstsq(a, b, driver="gelsd")[:2], [(5, 3), (5, 2)], None),
    "lstsq_vectors": (lambda L, a, b: L.linalg.lstsq(a, b, driver="gelss")[:2], [(2, 5, 3), (2, 5)], None),
    "lstsq_wide": (lambda L, a, b: L.linalg.lstsq(a, b)[:2], [(3, 5), (3, 2)], None),
}


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("name", sorted(FORWARD_AD_CASES))
def test_forward_ad_through_factorisations_matches_torch(name, complex_):
    op, shapes, kind = FORWARD_AD_CASES[name]
    if complex_ and name.startswith(("eigh", "eigvalsh", "cholesky")):
        pytest.skip("(real symmetric inputs only here)")
    primals = [_sample(s, complex_, kind if i == 0 else None) for i, s in enumerate(shapes)]
    tangents = [_sample(s, complex_) for s in shapes]
    _assert_same_jvp(_jvp(torchless, op, primals, tangents), _jvp(torch, op, primals, tangents))


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("shape, full_matrices", [((4, 3), False), ((3, 5), False), ((4, 3), True),
                                                  ((3, 5), True), ((2, 4, 4), False)])
def test_forward_ad_through_svd_matches_torch_up_to_the_vectors_phases(shape, full_matrices, complex_):
    primal, tangent = _sample(shape, complex_), _sample(shape, complex_)

    def op(L, a):
        return L.linalg.svd(a, full_matrices=full_matrices)
    (u, du), (s, ds), (vh, dvh) = _jvp(torchless, op, [primal], [tangent])
    (u_t, du_t), (s_t, ds_t), (vh_t, dvh_t) = _jvp(torch, op, [primal], [tangent])
    k = s.shape[-1]
    # singular vectors are defined up to a phase per pair (a sign for real ones): align ours on torch's
    phases = np.sum(np.conj(u[..., :k]) * u_t[..., :k], axis=-2)
    phases = phases / np.abs(phases)
    np.testing.assert_allclose(s, s_t, rtol=1e-10)
    np.testing.assert_allclose(ds, ds_t, rtol=1e-6, atol=1e-9)
    assert du.shape == du_t.shape and dvh.shape == dvh_t.shape and du.dtype == du_t.dtype
    np.testing.assert_allclose(du[..., :k] * phases[..., None, :], du_t[..., :k], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dvh[..., :k, :] * np.conj(phases)[..., :, None], dvh_t[..., :k, :], rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_array_equal(du[..., k:], du_t[..., k:])
    np.testing.assert_array_equal(dvh[..., k:, :], dvh_t[..., k:, :])


def test_forward_ad_through_qr_of_mode_r_raises_as_torch():
    primal, tangent = _sample((4, 3)), _sample((4, 3))
    with pytest.raises(RuntimeError) as expected:
        _jvp(torch, lambda L, a: L.linalg.qr(a, mode="r"), [primal], [tangent])
    with pytest.raises(RuntimeError, match=expected.value.args[0].split(",")[0]):
        _jvp(torchless, lambda L, a: L.linalg.qr(a, mode="r"), [primal], [tangent])


def test_eig_records_one_node_for_both_outputs_and_eigvals_is_its_first():
    a = _sample((3, 3))
    for op in (lambda L, x: L.linalg.eig(x), lambda L, x: (L.linalg.eigvals(x),)):
        assert _node_structure(torchless, op, [a]) == _node_structure(torch, op, [a])


# ------------------------------------------------------------------ activations' gradients at NaN and at boundaries

def _functional(lib):
    return lib.nn.functional


PIECEWISE = {
    "hardtanh": lambda L, x: _functional(L).hardtanh(x),
    "hardtanh_bounds": lambda L, x: _functional(L).hardtanh(x, -2.0, 0.5),
    "hardtanh_": lambda L, x: _functional(L).hardtanh(x * 1, inplace=True),
    "relu6": lambda L, x: _functional(L).relu6(x),
    "hardswish": lambda L, x: _functional(L).hardswish(x),
    "hardsigmoid": lambda L, x: _functional(L).hardsigmoid(x),
    "elu": lambda L, x: _functional(L).elu(x, 0.5),
    "elu_": lambda L, x: _functional(L).elu(x * 1, inplace=True),
    "celu": lambda L, x: _functional(L).celu(x, 1.5),
    "selu": lambda L, x: _functional(L).selu(x),
    "hardshrink": lambda L, x: _functional(L).hardshrink(x, 0.5),
    "softshrink": lambda L, x: _functional(L).softshrink(x, 0.5),
    "clamp": lambda L, x: L.clamp(x, -1.0, 3.0),
    "clamp_min": lambda L, x: L.clamp(x, min=0.5),
    "threshold": lambda L, x: _functional(L).threshold(x, 1.0, 5.0),
    "leaky_relu": lambda L, x: _functional(L).leaky_relu(x, 0.1),
    "softplus": lambda L, x: _functional(L).softplus(x, beta=2.0, threshold=3.0),
}
# NaN, the infinities, signed zeros and each op's boundaries, exactly
SPECIAL_INPUTS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, -2.0, 1.5, 20.0]


def _piecewise_run(lib, op, values, dtype, layout, upstream):
    x = lib.tensor(values, dtype=getattr(lib, dtype))
    if layout == "transposed":
        x = lib.tensor(np.ascontiguousarray(values.T), dtype=getattr(lib, dtype)).t()
    x.requires_grad_(True)
    out = op(lib, x)
    if upstream is None:
        grad, = lib.autograd.grad(out.sum(), x)
    else:
        grad, = lib.autograd.grad(out, x, lib.tensor(upstream, dtype=getattr(lib, dtype)))
    return out.detach().numpy(), grad.numpy()


# ops computing exponentials, whose last bits at other inputs are the math library's
TRANSCENDENTAL = ("elu", "celu", "selu", "softplus")


def _assert_bitwise_where_defined(ours, theirs, values, name=""):
    """Equal bit for bit at the special inputs (NaN where NaN, zeros' signs too; for an op computing exponentials,
    at NaN, the infinities, the zeros and softplus's threshold); within float32's rounding at the others."""
    exact = [np.inf, -np.inf, 0.0, 1.5] if name.startswith(TRANSCENDENTAL) else SPECIAL_INPUTS
    special = np.isin(values, exact) | np.isnan(values)
    for mine, expected in zip(ours, theirs):
        assert np.array_equal(np.isnan(mine), np.isnan(expected))
        defined = ~np.isnan(mine)
        np.testing.assert_array_equal(mine[special & defined], expected[special & defined])
        np.testing.assert_array_equal(np.signbit(mine[defined & (expected == 0)]),
                                      np.signbit(expected[defined & (expected == 0)]))
        np.testing.assert_allclose(mine, expected, rtol=2e-6, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_piecewise_activation_gradients_at_special_inputs_match_torch(name, dtype):
    values = np.array(SPECIAL_INPUTS)
    for upstream in (None, np.linspace(-2, 2, len(values)), np.where(np.arange(len(values)) % 4 == 0, np.nan, 0.5)):
        ours = _piecewise_run(torchless, PIECEWISE[name], values, dtype, "contiguous", upstream)
        theirs = _piecewise_run(torch, PIECEWISE[name], values, dtype, "contiguous", upstream)
        _assert_bitwise_where_defined(ours, theirs, values, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["hardtanh", "relu6", "hardswish", "elu", "elu_", "celu", "selu", "hardshrink",
                                  "softshrink", "hardtanh_"])
def test_nan_gradients_follow_torchs_vector_loop_and_scalar_tail(name, dtype):
    """PyTorch's kernels give a NaN input one gradient in their vectorised loop and another in their scalar tail
    (hardtanh: 0 and the incoming gradient): which elements fall where depends on the tensor's size and layout."""
    op = PIECEWISE[name]
    for shape in [(1,), (7,), (9,), (16,), (17,), (33,), (47,), (3, 7), (5, 13), (2, 3, 11)]:
        values = RNG.standard_normal(shape)
        values[RNG.random(shape) < 0.4] = np.nan
        values[RNG.random(shape) < 0.1] = -0.25  # (softshrink's zeros between the limits: their signs)
        for layout in ("contiguous", "transposed") if len(shape) == 2 else ("contiguous",):
            for upstream in (None, np.ones(shape)):
                ours = _piecewise_run(torchless, op, values, dtype, layout, upstream)
                theirs = _piecewise_run(torch, op, values, dtype, layout, upstream)
                _assert_bitwise_where_defined(ours, theirs, values, name)


def test_nan_gradients_of_a_tensor_split_among_threads_match_torch():
    """From 32768 elements PyTorch splits the loop among its threads, each chunk with a scalar tail of its own."""
    before = torchless.get_num_threads()
    torchless.set_num_threads(torch.get_num_threads())
    try:
        values = np.full(70001, np.nan)
        for some in (values, values[:40000]):
            ours = _piecewise_run(torchless, PIECEWISE["hardtanh"], some, "float32", "contiguous", None)
            theirs = _piecewise_run(torch, PIECEWISE["hardtanh"], some, "float32", "contiguous", None)
            np.testing.assert_array_equal(ours[1], theirs[1])
    finally:
        torchless.set_num_threads(before)


# ------------------------------------------------------------------ native_group_norm: one node of three outputs

def _native_group_norm(lib, dtype, affine):
    x = lib.tensor(GROUP_INPUT, dtype=getattr(lib, dtype), requires_grad=True)
    weight = lib.tensor(GROUP_WEIGHT, dtype=getattr(lib, dtype), requires_grad=True) if affine else None
    bias = lib.tensor(-GROUP_WEIGHT, dtype=getattr(lib, dtype), requires_grad=True) if affine else None
    outputs = lib.native_group_norm(x, weight, bias, 2, 4, 6, 2, 1e-5)
    node = outputs[0].grad_fn
    structure = ([(o.grad_fn.name(), o.output_nr, o.requires_grad) for o in outputs],
                 all(o.grad_fn is node for o in outputs),
                 [(None if n is None else n.name(), nr) for n, nr in node.next_functions])
    inputs = [t for t in (x, weight, bias) if t is not None]
    upstream = [lib.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)), dtype=getattr(lib, dtype))
                for o in outputs]
    grads = [g.numpy() for g in lib.autograd.grad(sum((o * u).sum() for o, u in zip(outputs, upstream)), inputs,
                                                  retain_graph=True)]
    statistics_only, = lib.autograd.grad((outputs[1] * upstream[1]).sum() + (outputs[2] * upstream[2]).sum(), x)
    return structure, grads + [statistics_only.numpy()]


GROUP_INPUT = RNG.standard_normal((2, 4, 2, 3))
GROUP_WEIGHT = RNG.standard_normal(4)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_native_group_norm_mean_and_rstd_are_outputs_of_its_node(dtype, affine):
    (ours, our_grads), (theirs, their_grads) = (_native_group_norm(lib, dtype, affine) for lib in (torchless, torch))
    assert ours == theirs
    _assert_same(our_grads, their_grads, rtol=1e-5 if dtype == "float32" else 1e-9, atol=1e-6)


def test_native_group_norm_statistics_carry_tangents_as_torch():
    tangent = RNG.standard_normal(GROUP_INPUT.shape)

    def op(L, x):
        return L.native_group_norm(x, None, None, 2, 4, 6, 2, 1e-5)
    _assert_same_jvp(_jvp(torchless, op, [GROUP_INPUT], [tangent]), _jvp(torch, op, [GROUP_INPUT], [tangent]))


def test_lu_records_one_node_for_l_and_u():
    a = _sample((3, 3))
    op = JOINT_OPS["lu"][0]
    assert _node_structure(torchless, op, [a]) == _node_structure(torch, op, [a])


@pytest.mark.parametrize("which", [(0,), (1,), (0, 1)])
def test_lu_gradients_through_l_u_or_both_match_torch(which):
    a = _sample((2, 4, 4))
    op = JOINT_OPS["lu"][0]
    upstream = [RNG.standard_normal((2, 4, 4)) for _ in which]
    _assert_same(_gradients(torchless, op, [a], which, upstream), _gradients(torch, op, [a], which, upstream))


@pytest.mark.parametrize("complex_", [False, True])
def test_forward_ad_through_lu_and_lu_factor_matches_torch(complex_):
    primal, tangent = _sample((2, 4, 4), complex_), _sample((2, 4, 4), complex_)
    for op in (JOINT_OPS["lu"][0], lambda L, a: L.linalg.lu_factor(a).LU):
        _assert_same_jvp(_jvp(torchless, op, [primal], [tangent]), _jvp(torch, op, [primal], [tangent]))


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_pinv_is_differentiable_twice_and_forward_as_torch(shape):
    a, upstream = _sample(shape), RNG.standard_normal(shape[:-2] + (shape[-1], shape[-2]))

    def first_and_second(lib):
        A = lib.tensor(a, requires_grad=True)
        pinv = lib.linalg.pinv(A)
        grad, = lib.autograd.grad((pinv * lib.tensor(upstream)).sum(), A, create_graph=True)
        second, = lib.autograd.grad((grad * grad).sum(), A)
        return pinv.grad_fn.name(), grad.detach().numpy(), second.numpy()
    ours, theirs = first_and_second(torchless), first_and_second(torch)
    assert ours[0] == theirs[0]
    _assert_same(list(ours[1:]), list(theirs[1:]), rtol=1e-8)
    tangent = _sample(shape)
    op = lambda L, x: L.linalg.pinv(x)  # noqa: E731
    _assert_same_jvp(_jvp(torchless, op, [a], [tangent]), _jvp(torch, op, [a], [tangent]))


@pytest.mark.parametrize("complex_", [False, True])
def test_lstsq_solution_gradient_of_complex_matrices_matches_torch(complex_):
    a, b = _sample((5, 3), complex_), _sample((5, 2), complex_)

    def gradients(lib):
        A, B = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        result = lib.linalg.lstsq(A, B, driver="gelsd")
        loss = (result.solution.abs() ** 2).sum() + result.residuals.sum() * 0.5
        return [g.numpy() for g in lib.autograd.grad(loss, (A, B))]
    _assert_same(gradients(torchless), gradients(torch))


@pytest.mark.parametrize("shapes", [((1, 5, 3), (2, 5, 2)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5))])
def test_lstsq_second_derivatives_match_torch(shapes):
    a, b = (_sample(shape) for shape in shapes)

    def gradients(lib):
        A, B = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        result = lib.linalg.lstsq(A, B, driver="gelsd")
        loss = (result.solution ** 2).sum() + (result.residuals.sum() * 0.5 if result.residuals.numel() else 0)
        first = lib.autograd.grad(loss, (A, B), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in first), (A, B))
        return [g.detach().numpy() for g in first] + [g.numpy() for g in second]
    _assert_same(gradients(torchless), gradients(torch), rtol=1e-7)


@pytest.mark.parametrize("which", ["factor", "L", "U", "LU"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_lu_second_derivatives_match_torch(shape, which):
    a = _sample(shape)

    def gradients(lib):
        A = lib.tensor(a, requires_grad=True)
        if which == "factor":
            loss = (lib.linalg.lu_factor(A).LU ** 2).sum()
        else:
            _, lower, upper = lib.linalg.lu(A)
            loss = ((lower ** 2).sum() if "L" in which else 0) + ((upper ** 3).sum() if "U" in which else 0)
        grad, = lib.autograd.grad(loss, A, create_graph=True)
        second, = lib.autograd.grad((grad * grad).sum(), A)
        return [grad.detach().numpy(), second.numpy()]
    _assert_same(gradients(torchless), gradients(torch), rtol=1e-7)


def test_create_graph_through_a_node_without_derivative_raises_torchs_error():
    for lib in (torchless, torch):
        x = lib.tensor([3.0, 1.0, 3.0], requires_grad=True)
        values = lib.unique(x)
        with pytest.raises(NotImplementedError, match="the derivative for '_unique2' is not implemented."):
            lib.autograd.grad(values.sum(), x, create_graph=True)


@pytest.mark.parametrize("name", ["var_mean", "std_mean", "aminmax", "aminmax_all", "lstsq_gelsd", "slogdet"])
def test_saved_tensors_hooks_see_each_tensor_of_the_one_node_once(name):
    op, shapes, _, _ = JOINT_OPS[name]
    arrays = [RNG.standard_normal(s) for s in shapes]

    def logged(lib):
        log = []

        def pack(tensor):
            log.append(("pack", tuple(tensor.shape)))
            return tensor

        def unpack(tensor):
            log.append(("unpack", tuple(tensor.shape)))
            return tensor
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            outputs = op(lib, *inputs)
        grads = lib.autograd.grad(outputs[-1].sum() + outputs[0].sum(), inputs)
        return sorted(log), [g.numpy() for g in grads]
    (ours, our_grads), (theirs, their_grads) = logged(torchless), logged(torch)
    if name != "slogdet":  # (PyTorch's slogdet saves its LU factors, which torchless does not compute)
        assert ours == theirs
    _assert_same(our_grads, their_grads)


@pytest.mark.parametrize("name", ["var_mean", "aminmax", "slogdet", "lu"])
def test_profiler_shows_the_one_node_of_several_outputs_once(name):
    op, shapes, _, _ = JOINT_OPS[name]
    arrays = [RNG.standard_normal(s) for s in shapes]

    def backward_events(lib):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        loss = sum(o.sum() for o in op(lib, *inputs))
        with lib.profiler.profile() as prof:
            loss.backward()
        return [event.name for event in prof.events() if "Backward" in event.name or "Slot" in event.name]
    assert backward_events(torchless) == backward_events(torch)
