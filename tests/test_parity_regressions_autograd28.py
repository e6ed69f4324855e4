"""Autograd differences from PyTorch found in the twenty-eighth session, each compared with torch.

* grad/backward's root gradients: a complex output's implicit gradient, and a gradient whose complexness is not
  its output's, are refused with PyTorch's messages.
* grad(is_grads_batched=True): a None gradient (vmap's errors), batches of different sizes, no gradients at all,
  and materialize_grads (zeros without a batch dim, as PyTorch's).
* materialize_grads under create_graph: zeros requiring grad.
* grad and backward take a dict of inputs (grad then returns a dict); other Mappings are refused.
* backward(create_graph=True): a leaf's first .grad is recorded as PyTorch's clone_obey_contract records it
  (CopyBackwards strided as the leaf, CloneBackward0 for a leaf that is not dense), and the reference-cycle
  warning is PyTorch's TORCH_WARN_ONCE, with its C++ source location.
* an inference tensor's _version is refused; a node hook may not replace a None gradient; pre-hooks that return
  no gradient make the node give none; a custom Function's complex gradient for a real input, and its dirty
  tensors' versions (bumped once more per mark_dirty entry); anomaly mode names a custom Function's forward;
  functional.jacobian's message for a non-tensor in a tuple; a reentrant checkpoint under grad() or
  backward(inputs=...).
* instance norm's node (PyTorch's last ViewBackward0) shows _saved_self_sym_sizes; 1-D max pooling's stays
  readable after backward.
* torch.autograd.graph.register_multi_grad_hook ("all" and "any"), and with it _will_engine_execute_node's
  answer; the tensor hooks of a node grad() does not need do not run.
* a Tensor's read-only attributes (is_leaf, output_nr, retains_grad, _base, shape, ...) refuse assignment and
  deletion with PyTorch's message.
"""
import collections
import types
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_graph_outcome, run_python

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- complex root gradients
def _square(lib, dtype="float32", shape=(3,)):
    x = lib.ones(shape, dtype=getattr(lib, dtype), requires_grad=True)
    return x, x * x


_COMPLEX_ROOTS = {
    "implicit_complex_scalar": lambda lib: lib.autograd.grad(_square(lib, "complex64")[1].sum(),
                                                             _square(lib, "complex64")[0]),
    "implicit_complex_backward": lambda lib: _square(lib, "complex128")[1].sum().backward(),
    "implicit_complex_non_scalar": lambda lib: _square(lib, "complex64")[1].backward(),
    "complex_gradient_real_output": lambda lib: lib.autograd.grad(*reversed(_square(lib)),
                                                                  lib.ones(3, dtype=lib.complex64)),
    "real_gradient_complex_output": lambda lib: _square(lib, "complex64")[1].backward(lib.ones(3)),
    "second_output_mismatched": lambda lib: (lambda x, y: lib.autograd.grad(
        [y, y * 2], x, [lib.ones(3), lib.ones(3, dtype=lib.complex128)]))(*_square(lib)),
    "shape_checked_first": lambda lib: lib.autograd.grad(*reversed(_square(lib)), lib.ones(2, dtype=lib.complex64)),
    "complex_gradient_complex_output": lambda lib: (lambda x, y: lib.autograd.grad(
        y, x, lib.ones(3, dtype=lib.complex128)))(*_square(lib, "complex64")),
    "real_gradients_of_other_dtypes": lambda lib: (lambda x, y: lib.autograd.grad(
        [y, y * 3], x, [lib.ones(3, dtype=lib.float64), lib.ones(3, dtype=lib.float16)]))(*_square(lib)),
}


@pytest.mark.parametrize("case", _COMPLEX_ROOTS)
def test_complex_root_gradients_are_checked_as_torch(case):
    assert_same_graph_outcome(_COMPLEX_ROOTS[case])


# ---------------------------------------------------------------------------- batched gradients
def _batched(grad_outputs, outputs=lambda lib, x: x.exp(), inputs=lambda lib, x: x, **options):
    def call(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [0.25, 1.5, -0.5]], requires_grad=True)
        return lib.autograd.grad(outputs(lib, x), inputs(lib, x), grad_outputs(lib), is_grads_batched=True,
                                 **options)
    return call


_BATCHED = {
    "none_for_non_scalar": _batched(lambda lib: None),
    "none_for_scalar": _batched(lambda lib: None, outputs=lambda lib, x: x.exp().sum()),
    "none_in_a_list": _batched(lambda lib: [lib.ones(4, 2, 3), None], outputs=lambda lib, x: [x.exp(), x.sum()]),
    "none_for_no_grad_output": _batched(lambda lib: [lib.ones(4, 2, 3), None],
                                        outputs=lambda lib, x: [x.exp(), lib.ones(2)]),
    "sizes_differ": _batched(lambda lib: [lib.ones(4, 2, 3), lib.ones(5, 2)],
                             outputs=lambda lib, x: [x.exp(), x.sum(1)]),
    "sizes_differ_before_shape_error": _batched(lambda lib: [lib.ones(4, 2, 3), lib.ones(5, 3)],
                                                outputs=lambda lib, x: [x.exp(), x.sum(1)]),
    "sizes_agree": _batched(lambda lib: [lib.ones(4, 2, 3), lib.full((4, 2), 2.0)],
                            outputs=lambda lib, x: [x.exp(), x.sum(1)]),
    "no_gradients": _batched(lambda lib: []),
    "complex_batch": _batched(lambda lib: lib.ones(2, 2, 3, dtype=lib.complex64)),
    "float64_batch": _batched(lambda lib: lib.ones(2, 2, 3, dtype=lib.float64)),
    "batch_of_scalars": _batched(lambda lib: lib.tensor([1.0, 2.0, 3.0]), outputs=lambda lib, x: x.exp().sum()),
    "materialized_unused": _batched(lambda lib: lib.ones(3, 2, 3), materialize_grads=True,
                                    inputs=lambda lib, x: [x, lib.ones(5, requires_grad=True)]),
    "unused_allowed": _batched(lambda lib: lib.ones(3, 2, 3), allow_unused=True,
                               inputs=lambda lib, x: [lib.ones(5, requires_grad=True), x]),
    "unused_refused": _batched(lambda lib: lib.ones(3, 2, 3), inputs=lambda lib, x: [x, lib.ones(5, requires_grad=True)]),
    "dict_of_inputs": _batched(lambda lib: lib.ones(2, 2, 3), inputs=lambda lib, x: {"x": x}),
}


@pytest.mark.parametrize("case", _BATCHED)
def test_batched_gradients_as_torch(case):
    assert_same_graph_outcome(_BATCHED[case])


# ---------------------------------------------------------------------------- materialize_grads, dict inputs
def _grad_of_square(inputs, **options):
    def call(lib):
        x, z = lib.tensor([1.0, -2.0, 0.5], requires_grad=True), lib.ones(2, 2, requires_grad=True)
        return lib.autograd.grad((x * x).sum(), inputs(x, z), **options)
    return call


_GRAD_INPUTS = {
    "materialized_create_graph": _grad_of_square(lambda x, z: [x, z], create_graph=True, materialize_grads=True),
    "materialized_without_graph": _grad_of_square(lambda x, z: [z, x], materialize_grads=True),
    "materialized_transposed_leaf": _grad_of_square(lambda x, z: [x, z.t()], materialize_grads=True),
    "dict": _grad_of_square(lambda x, z: {"b": x, "a": z}, allow_unused=True),
    "dict_unused_refused": _grad_of_square(lambda x, z: {"b": x, "a": z}),
    "dict_materialized": _grad_of_square(lambda x, z: {"a": z, "b": x}, materialize_grads=True),
    "dict_create_graph": _grad_of_square(lambda x, z: {"x": x}, create_graph=True),
    "empty_dict": _grad_of_square(lambda x, z: {}),
    "ordered_dict": _grad_of_square(lambda x, z: collections.OrderedDict(x=x)),
    "mapping_proxy": _grad_of_square(lambda x, z: types.MappingProxyType({"x": x})),
}


@pytest.mark.parametrize("case", _GRAD_INPUTS)
def test_grad_inputs_as_torch(case):
    assert_same_graph_outcome(_GRAD_INPUTS[case])


def _backward_into(inputs):
    def call(lib):
        x, z = lib.tensor([1.0, -2.0, 0.5], requires_grad=True), lib.ones(3, requires_grad=True)
        (x * z).sum().backward(inputs=inputs(x, z))
        return x.grad, z.grad
    return call


@pytest.mark.parametrize("inputs", [lambda x, z: {"x": x}, lambda x, z: {"z": z, "x": x}, lambda x, z: {},
                                    lambda x, z: collections.OrderedDict(x=x),
                                    lambda x, z: types.MappingProxyType({"x": x})])
def test_backward_inputs_as_a_dict_as_torch(inputs):
    assert_same_graph_outcome(_backward_into(inputs))


# ---------------------------------------------------------------------------- backward(create_graph=True)
def _first_grad_under_create_graph(leaf):
    def call(lib):
        x = leaf(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x * x * x).sum().backward(create_graph=True)
        grad = x.grad
        nodes = [(None if node is None else type(node).__name__, index)
                 for node, index in grad.grad_fn.next_functions]
        return type(grad.grad_fn).__name__, grad.grad_fn.name(), nodes, grad.stride(), grad.tolist()
    return call


_LEAVES = {
    "contiguous": lambda lib: lib.tensor([1.0, -2.0, 0.5], requires_grad=True),
    "transposed": lambda lib: lib.arange(12.0).reshape(4, 3).t().requires_grad_(),
    "channels_last": lambda lib: lib.arange(24.0).reshape(1, 2, 3, 4).to(
        memory_format=lib.channels_last).requires_grad_(),
    "not_dense": lambda lib: lib.arange(12.0).reshape(4, 3)[:, ::2].requires_grad_(),
    "float64": lambda lib: lib.arange(6.0, dtype=lib.float64).reshape(2, 3).requires_grad_(),
}


@pytest.mark.parametrize("leaf", _LEAVES)
def test_first_grad_under_create_graph_is_recorded_as_torch(leaf):
    call = _first_grad_under_create_graph(_LEAVES[leaf])
    assert_same_graph_outcome(call)
    x = _LEAVES[leaf](torch).detach().numpy()
    np.testing.assert_allclose(call(torchless)[-1], 3 * x ** 2)  # the gradient of the sum of cubes


def test_first_grad_under_create_graph_differentiates_again():
    def call(lib):
        x = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 3).sum().backward(create_graph=True)
        return lib.autograd.grad(x.grad.sum(), x)

    expected = assert_same_graph_outcome(call)
    assert expected[1][0][2] == [6.0, -12.0, 3.0]  # d/dx of 3x², summed


def test_create_graph_warning_is_torch_s_warn_once(tmp_path):
    script = """
import sys, warnings
lib = __import__(sys.argv[1])
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    x = lib.ones(3, requires_grad=True)
    try:
        (x * 2).backward(create_graph=True)  # refused before the engine runs: no warning yet
    except RuntimeError:
        pass
    lib.autograd.grad((x * x).sum(), x, create_graph=True)  # grad() does not warn
    (x * x).sum().backward(create_graph=True)
    lib.autograd.backward((x * x).sum(), create_graph=True)
    (x * x).sum().backward(create_graph=True, inputs=[x])
for warning in seen:
    print(warning.category.__name__, warning.message)
lib.set_warn_always(True)
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    (x * x).sum().backward(create_graph=True)
    (x * x).sum().backward(create_graph=True)
print(len(seen))
"""
    path = tmp_path / "script.py"
    path.write_text(script)
    expected, _ = run_python([str(path), "torch"])
    actual, _ = run_python([str(path), "torchless"])
    assert actual == expected
    assert expected.count("UserWarning") == 1 and expected.endswith("2\n")


# ---------------------------------------------------------------------------- versions, hooks, custom Functions
def _inference_version(lib):
    with lib.inference_mode():
        made = lib.ones(3)
    return made._version


def _version_of_detached_in_inference_mode(lib):
    x = lib.ones(3, requires_grad=True)
    with lib.inference_mode():
        detached, view = x.detach(), x[:2]
    return detached._version, view._version, x._version


def _node_hook_filling_a_none(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 10, lib.ones(3)))
    (y * 3).sum().backward()


def _node_hook_returning_nones(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (None, grad_inputs[1]))
    (y * 3).sum().backward()
    return x.grad


def _pre_hook_dropping_the_gradient(single_output):
    def call(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        seen = []
        if single_output:
            y = x * 2
            y.grad_fn.register_prehook(lambda grad_outputs: (None,))
            y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append((grad_inputs, grad_outputs)))
            loss = (y * 3).sum()
        else:
            a, b = x.split(2)
            a.grad_fn.register_prehook(lambda grad_outputs: (None, None))
            loss = (a * 3 + b).sum()
        loss.backward()
        return x.grad, seen
    return call


def _function_returning(gradient):
    def call(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return gradient(lib, grad)

        x = lib.tensor([1.0, -2.0], requires_grad=True)
        Double.apply(x).sum().backward()
        return x.grad
    return call


def _dirty_versions(lib):
    class Doubled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            x.mul_(2)
            ctx.mark_dirty(x, x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, None

    class DoubledWithCopy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x, x * 2

        @staticmethod
        def backward(ctx, grad, other):
            return grad * 2

    versions = []
    plain = lib.ones(2)
    Doubled.apply(plain, 1)
    versions.append(plain._version)
    leaf = lib.ones(2, requires_grad=True)
    recorded = leaf.clone()
    Doubled.apply(recorded, 1).sum().backward()
    versions += [recorded._version, leaf.grad.tolist()]
    with lib.no_grad():
        untracked = leaf.clone()
        Doubled.apply(untracked, 1)
    versions.append(untracked._version)
    second = leaf.clone()
    first, _ = DoubledWithCopy.apply(second)
    versions += [second._version, first._version]
    return versions


_STATE_CASES = {
    "inference_version": _inference_version,
    "detached_in_inference_mode": _version_of_detached_in_inference_mode,
    "node_hook_filling_a_none": _node_hook_filling_a_none,
    "node_hook_returning_nones": _node_hook_returning_nones,
    "pre_hook_drops_single": _pre_hook_dropping_the_gradient(True),
    "pre_hook_drops_several": _pre_hook_dropping_the_gradient(False),
    "function_complex_gradient": _function_returning(lambda lib, g: lib.ones(2, dtype=lib.complex64)),
    "function_complex128_gradient": _function_returning(lambda lib, g: g.to(lib.complex128)),
    "function_int_gradient": _function_returning(lambda lib, g: lib.ones(2, dtype=lib.int64)),
    "function_float64_gradient": _function_returning(lambda lib, g: g.double() * 3),
    "function_wrong_shape_first": _function_returning(lambda lib, g: lib.ones(3, dtype=lib.complex64)),
    "dirty_versions": _dirty_versions,
}


@pytest.mark.parametrize("case", _STATE_CASES)
def test_versions_hooks_and_functions_as_torch(case):
    assert_same_graph_outcome(_STATE_CASES[case])


def test_pre_hook_dropping_the_gradient_of_one_path_keeps_the_other():
    def call(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        dropped = x * 2
        dropped.grad_fn.register_prehook(lambda grad_outputs: (None,))
        (dropped + x * 3).sum().backward()
        return x.grad

    assert_same_graph_outcome(call)
    np.testing.assert_array_equal(call(torchless).numpy(), [3.0, 3.0])  # the other path's alone


# ---------------------------------------------------------------------------- anomaly mode, functional, checkpoint
def _anomaly_record(lib):
    class NanGradient(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = lib.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            y = NanGradient.apply(x)  # the line the warning names
            try:
                y.sum().backward()
            except RuntimeError as error:
                message = str(error)
    # (PyTorch's traceback ends in its own Function.apply, which torchless's does not show)
    return message, [(str(w.message).splitlines()[0], "y = NanGradient.apply(x)  # the line the warning names"
                      in str(w.message)) for w in seen]


def test_anomaly_mode_names_a_custom_function_s_forward():
    expected = _anomaly_record(torch)
    assert _anomaly_record(torchless) == expected
    assert expected[1][1] == ("Error detected in NanGradientBackward. Traceback of forward call that caused the "
                              "error:", True)


@pytest.mark.parametrize("outputs", [lambda x: (x * 2, 3), lambda x: (x, [x]), lambda x: [x, 3], lambda x: 3])
def test_jacobian_names_the_output_that_is_not_a_tensor(outputs):
    assert_same_graph_outcome(lambda lib: lib.autograd.functional.jacobian(outputs, lib.ones(2)))


@pytest.mark.parametrize("inputs", [lambda lib: (lib.ones(2), 3), lambda lib: (lib.ones(2), lib.ones(1), "a")])
def test_jacobian_names_the_input_that_is_not_a_tensor(inputs):
    assert_same_graph_outcome(lambda lib: lib.autograd.functional.jacobian(lambda *a: a[0], inputs(lib)))


def _checkpointed(run, use_reentrant):
    def call(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(), lib.nn.Conv2d(2, 2, 3))
        x = lib.linspace(-1.0, 1.0, 36).reshape(1, 1, 6, 6).requires_grad_()
        y = lib.utils.checkpoint.checkpoint(net, x, use_reentrant=use_reentrant)
        return run(lib, x, y, net)
    return call


_CHECKPOINT_RUNS = {
    "grad": lambda lib, x, y, net: lib.autograd.grad(y.sum(), x),
    "backward_inputs": lambda lib, x, y, net: y.sum().backward(inputs=[x]) or x.grad,
    "backward": lambda lib, x, y, net: y.sum().backward() or net[0].weight.grad.shape,
    "validity_outside_backward": lambda lib, x, y, net: lib.autograd._is_checkpoint_valid(),
}


@pytest.mark.parametrize("use_reentrant", [True, False])
@pytest.mark.parametrize("run", _CHECKPOINT_RUNS)
def test_reentrant_checkpoint_refuses_grad_and_inputs_as_torch(run, use_reentrant):
    assert_same_graph_outcome(_checkpointed(_CHECKPOINT_RUNS[run], use_reentrant))


def test_checkpoint_validity_seen_by_a_node_hook():
    def call(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        seen = []
        y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(lib.autograd._is_checkpoint_valid()))
        y.sum().backward(retain_graph=True)
        y.sum().backward(inputs=[x], retain_graph=True)
        lib.autograd.grad(y.sum(), x)
        return seen

    assert assert_same_graph_outcome(call) == ("list", [True, False, False])


# ---------------------------------------------------------------------------- saved values after backward
_ONE_D_MAX_POOLS = {
    "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x.reshape(1, 1, 5), 2),
    "max_pool1d_ceil": lambda lib, x: lib.nn.functional.max_pool1d(x.reshape(1, 1, 5), 2, ceil_mode=True),
    "max_pool1d_unbatched_indices": lambda lib, x: lib.nn.functional.max_pool1d(x.reshape(1, 5), 2,
                                                                              return_indices=True)[0],
    "adaptive_max_pool1d": lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x.reshape(1, 5), 3),
}


@pytest.mark.parametrize("pool", _ONE_D_MAX_POOLS)
def test_one_d_max_pool_s_saved_sizes_outlive_backward(pool):
    """Non-tensor saved values stay readable once backward has freed the node's tensors, as in PyTorch."""
    def call(lib):
        x = lib.tensor([0.5, 1.0, 1.5, 2.0, 3.0], requires_grad=True)
        y = _ONE_D_MAX_POOLS[pool](lib, x)
        before = y.grad_fn._saved_self_sym_sizes
        y.sum().backward()
        return before, y.grad_fn._saved_self_sym_sizes, y.grad_fn._saved_dim

    assert_same_graph_outcome(call)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4), (1, 2, 6)])
def test_instance_norm_s_view_node_shows_its_saved_sizes(shape):
    def call(lib):
        x = lib.ones(shape, requires_grad=True)
        y = lib.nn.functional.instance_norm(x) if len(shape) > 2 else lib.nn.InstanceNorm1d(3)(x)
        before = y.grad_fn._saved_self_sym_sizes
        y.sum().backward()
        return y.grad_fn.name(), before, y.grad_fn._saved_self_sym_sizes

    assert_same_graph_outcome(call)


# ---------------------------------------------------------------------------- multi-grad hooks
def _multi_hooked(run, mode="all"):
    def call(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
        seen = []
        return run(lib, a, b, seen, lambda tensors: lib.autograd.graph.register_multi_grad_hook(
            tensors, seen.append, mode=mode)), seen
    return call


def _split_of(lib, a):
    return (a * 1).split([1, 2])


_MULTI_GRAD_HOOKS = {
    "leaves_both_reached": lambda lib, a, b, seen, hook: [hook((a, b)), (a * b).sum().backward(),
                                                         (a * 3).sum().backward()][-1],
    "non_leaves": lambda lib, a, b, seen, hook: (lambda y, z: [hook((y, z)), (y * z).sum().backward(), a.grad][-1])(
        a * 2, b * 3),
    "non_leaf_unreached": lambda lib, a, b, seen, hook: (lambda y, z: [hook((y, z)), (y * 2).sum().backward()])(
        a * 2, b * 3) and None,
    "grad_through_one": lambda lib, a, b, seen, hook: (lambda y, z: [hook((y, z)), lib.autograd.grad(
        (y * z).sum(), a)][-1])(a * 2, b * 3),
    "grad_of_a_non_leaf": lambda lib, a, b, seen, hook: (lambda y, z: [hook((y, z)), lib.autograd.grad(
        (y * z).sum(), [y])][-1])(a * 2, b * 3),
    "grad_of_leaves": lambda lib, a, b, seen, hook: [hook((a, b)), lib.autograd.grad((a * b).sum(), [a])][-1],
    "outputs_of_one_node": lambda lib, a, b, seen, hook: (lambda p, q: [hook((p, q)), (p.sum() + q.sum() * 2)
                                                                        .backward(), a.grad][-1])(*_split_of(lib, a)),
    "one_output_of_one_node": lambda lib, a, b, seen, hook: (lambda p, q: [hook((p, q)), (q.sum() * 2).backward(),
                                                                           a.grad][-1])(*_split_of(lib, a)),
    "backward_inputs": lambda lib, a, b, seen, hook: [hook((a, b)), (a * b).sum().backward(inputs=[b])][-1],
    "removed": lambda lib, a, b, seen, hook: [hook([a, b]).remove(), (a * b).sum().backward()][-1],
    "not_requiring_grad": lambda lib, a, b, seen, hook: hook((a, lib.ones(2))) and None,
    "linear_parameters": lambda lib, a, b, seen, hook: (lambda net: [hook(list(net.parameters())),
                                                                     net(a).sum().backward()][-1])(
        lib.nn.Linear(3, 2)),
}


@pytest.mark.parametrize("case", _MULTI_GRAD_HOOKS)
def test_multi_grad_hook_all_as_torch(case):
    assert_same_graph_outcome(_multi_hooked(_MULTI_GRAD_HOOKS[case]))


_ANY_GRAD_HOOKS = {
    "first_of_two_backwards": lambda lib, a, b, seen, hook: [hook((a, b)), (a * b).sum().backward(),
                                                             (b * 3).sum().backward()][-1],
    "skips_tensors_not_requiring_grad": lambda lib, a, b, seen, hook: [hook((a, lib.ones(2))),
                                                                       (a * 2).sum().backward()][-1],
    "bad_mode": None,
}


@pytest.mark.parametrize("case", _ANY_GRAD_HOOKS)
def test_multi_grad_hook_any_as_torch(case):
    run = _ANY_GRAD_HOOKS[case]
    if run is None:
        assert_same_graph_outcome(_multi_hooked(lambda lib, a, b, seen, hook: hook((a, b)), mode="sometimes"))
    else:
        assert_same_graph_outcome(_multi_hooked(run, mode="any"))


def test_multi_grad_hook_gets_every_reached_gradient_at_once():
    a = torchless.tensor([1.0, 2.0], requires_grad=True)
    b = torchless.tensor([3.0, 4.0], requires_grad=True)
    seen = []
    torchless.autograd.graph.register_multi_grad_hook((a, b), lambda grads: seen.append([g.tolist() for g in grads]))
    (a * b).sum().backward()
    assert seen == [[[3.0, 4.0], [1.0, 2.0]]]  # d(a.b)/da = b, d/db = a


def test_hooks_of_a_node_grad_does_not_need_do_not_run():
    def call(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        y, z = a * 2, b * 3
        seen = []
        y.register_hook(lambda g: seen.append(("y", g)))
        z.register_hook(lambda g: seen.append(("z", g)))
        return lib.autograd.grad((y * z).sum(), a), seen

    expected = assert_same_graph_outcome(call)
    assert [entry[1][0] for entry in expected[1][1][1]] == ["y"]


@pytest.mark.parametrize("name", ["is_leaf", "grad_fn", "output_nr", "retains_grad", "_base", "shape", "dtype",
                                  "device", "ndim", "T", "is_cpu", "itemsize", "nbytes"])
@pytest.mark.parametrize("operation", ["set", "delete"])
def test_read_only_tensor_attributes_refuse_writes_as_torch(name, operation):
    def call(lib):
        x = lib.ones(2, 2, requires_grad=True) * 2
        if operation == "set":
            setattr(x, name, None)
        else:
            delattr(x, name)

    assert assert_same_graph_outcome(call)[0] == "AttributeError"


def test_multi_grad_hook_handle_is_a_removable_handle():
    def call(lib):
        a = lib.ones(2, requires_grad=True)
        seen = []
        handle = lib.autograd.graph.register_multi_grad_hook((a,), seen.append)
        with handle:  # removed on leaving
            (a * 2).sum().backward()
        (a * 2).sum().backward()
        return isinstance(handle, lib.utils.hooks.RemovableHandle), len(seen)

    assert assert_same_graph_outcome(call) == ("tuple", [True, 1])
