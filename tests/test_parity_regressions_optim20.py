"""Regression tests for optim20's findings: optimizers, their utilities and the training loop against PyTorch."""
import numpy as np
import pytest
from helpers import assert_same_error

import torchless


# Tensor layouts: each gives a tensor of ``shape`` holding ``scale * arange`` (in its logical order) laid out in memory
# its own way.
def _contiguous(lib, shape, scale):
    return lib.arange(float(np.prod(shape))).reshape(shape) * scale


def _transposed(lib, shape, scale):
    reversed_axes = range(len(shape) - 1, -1, -1)
    return (lib.arange(float(np.prod(shape))).reshape(shape[::-1]) * scale).permute(*reversed_axes)


def _last_axis_first_in_memory(lib, shape, scale):
    memory_shape = shape[1:] + shape[:1]
    return (lib.arange(float(np.prod(shape))).reshape(memory_shape) * scale).permute(len(shape) - 1,
                                                                                   *range(len(shape) - 1))


def _every_other_column(lib, shape, scale):
    # not dense: the kernels read the storage that follows its first element, past the view's own elements
    wide = lib.arange(float(np.prod(shape)) * 2).reshape(*shape[:-1], shape[-1] * 2) * scale
    return wide[..., ::2]


DENSE_LAYOUTS = [_contiguous, _transposed, _last_axis_first_in_memory]
FUSED_OPTIMIZERS = [("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "dampening": 0.5}),
                    ("Adam", {}), ("AdamW", {"amsgrad": True, "maximize": True}), ("Adagrad", {"lr_decay": 0.1})]


def _fused_steps(lib, name, options, shape, param_layout, grad_layout, steps=3):
    """The parameter and its state (each tensor's strides and values) after ``steps`` fused steps on gradients of
    ``grad_layout``."""
    param = param_layout(lib, shape, 0.1).detach().requires_grad_()
    optimizer = getattr(lib.optim, name)([param], lr=0.5, fused=True, **options)
    for step in range(steps):
        param.grad = grad_layout(lib, shape, step + 1.0)
        optimizer.step()
    state = [(key, value.stride(), value.numpy().tolist()) for key, value in optimizer.state[param].items()
             if value.dim()]
    return param.detach().numpy(), state


@pytest.mark.parametrize("name, options", FUSED_OPTIMIZERS)
@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3)])
@pytest.mark.parametrize("param_layout", DENSE_LAYOUTS)
@pytest.mark.parametrize("grad_layout", DENSE_LAYOUTS + [_every_other_column])
def test_fused_kernels_pair_elements_in_memory_order_as_torch(name, options, shape, param_layout, grad_layout):
    # PyTorch's CPU fused kernels walk the memory of the parameter, its gradient and its state in step, whatever their
    # strides: a gradient laid out otherwise than its parameter (a transposed or sliced one) is met element by element
    # in memory order, and SGD's momentum buffer, made like the gradient, is filled in that order. torchless paired
    # them by logical index (a different update for every such gradient).
    torch = pytest.importorskip("torch")
    expected_param, expected_state = _fused_steps(torch, name, options, shape, param_layout, grad_layout)
    param, state = _fused_steps(torchless, name, options, shape, param_layout, grad_layout)
    np.testing.assert_allclose(param, expected_param, rtol=1e-6, atol=1e-6)
    assert [(key, stride) for key, stride, _ in state] == [(key, stride) for key, stride, _ in expected_state]
    for (_, _, values), (_, _, expected_values) in zip(state, expected_state):
        np.testing.assert_allclose(values, expected_values, rtol=1e-6, atol=1e-6)


def test_fused_sgd_momentum_buffer_layout_without_torch():
    # the first momentum buffer of a transposed gradient has the gradient's strides and, in memory, the first update
    # direction in the parameter's memory order: here the gradient's memory itself (no weight decay)
    param = torchless.zeros(2, 3, requires_grad=True)
    param.grad = torchless.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).t()
    optimizer = torchless.optim.SGD([param], lr=1.0, momentum=0.9, fused=True)
    optimizer.step()
    assert param.tolist() == [[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0]]
    buffer = optimizer.state[param]["momentum_buffer"]
    assert buffer.stride() == (1, 2)
    assert buffer.tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.parameters_to_vector([lib.ones(2), 3]),
    lambda lib: lib.nn.utils.parameters_to_vector([None]),
    lambda lib: lib.nn.utils.vector_to_parameters(lib.ones(3), [lib.ones(2), 1.5]),
    lambda lib: lib.nn.utils.vector_to_parameters(lib.ones(3), "ab"),
])
def test_parameter_vector_conversions_refuse_non_tensors_as_torch(call):
    # PyTorch checks each parameter's device before anything else: a non-tensor fails reading ``.device`` (torchless
    # failed later, reading ``.view`` or ``.numel``)
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def _with_tensors(lib, options):
    """``options`` with ``"tensors"`` for betas and ``"tensor"`` for lr made float32 tensors of ``lib``."""
    tensors = {"betas": lambda: (lib.tensor(0.8), lib.tensor(0.95)), "lr": lambda: lib.tensor(0.01)}
    return {key: tensors[key]() if value in ("tensor", "tensors") else value for key, value in options.items()}


def _float16_trajectory(lib, name, options, steps=12, shape=(8, 8)):
    """A float16 parameter and its state after ``steps`` steps on gradients of mixed magnitudes. Its 64 elements
    fill PyTorch's vectors of float16 exactly: a remainder runs PyTorch's scalar loop, whose rounding of some ops
    differs from its vectorized one."""
    rng = np.random.default_rng(20)
    param = lib.tensor(rng.standard_normal(shape).astype(np.float16), requires_grad=True)
    optimizer = getattr(lib.optim, name)([param], **_with_tensors(lib, {"lr": 0.01, **options}))
    for step in range(steps):
        scale = (0.1, 1.0, 4.0)[step % 3]
        param.grad = lib.tensor((rng.standard_normal(shape) * scale).astype(np.float16))
        optimizer.step()
    return param.detach().numpy(), {key: value.numpy() for key, value in optimizer.state[param].items()}


def _assert_same_float16_steps(name, options):
    torch = pytest.importorskip("torch")
    expected_param, expected_state = _float16_trajectory(torch, name, options)
    param, state = _float16_trajectory(torchless, name, options)
    np.testing.assert_array_equal(param, expected_param)
    assert list(state) == list(expected_state)
    for key in state:
        np.testing.assert_array_equal(state[key], expected_state[key], err_msg=key)


@pytest.mark.parametrize("name, options", [
    ("Adam", {}), ("Adam", {"weight_decay": 0.1}), ("Adam", {"amsgrad": True, "maximize": True}),
    ("Adam", {"betas": (0.3, 0.5)}), ("AdamW", {}), ("AdamW", {"amsgrad": True, "weight_decay": 0.5}),
    ("Adam", {"betas": "tensors"}), ("AdamW", {"betas": "tensors", "lr": "tensor"}),
])
def test_float16_adam_rounds_each_op_once_as_torch(name, options):
    # PyTorch computes a float16 op in float32 and rounds once: lerp_, addcmul_ and addcdiv_ as a whole, mul_ and
    # div_ by a float32 scalar (add_ takes its scalar and alpha rounded to float16 first). torchless rounded the
    # steps of those ops to float16 each and its scalars too (exp_avg and exp_avg_sq a float16 ulp or more apart).
    _assert_same_float16_steps(name, options)


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
                                     {"momentum": 0.5, "dampening": 0.3, "maximize": True}])
def test_float16_sgd_rounds_each_op_once_as_torch(options):
    # the momentum buffer's mul_ by a float32 momentum, add_'s alpha (1 - dampening, -lr, a weight decay) rounded to
    # float16 and the sum computed in float32: torchless rounded momentum to float16 and alpha * grad before the sum
    _assert_same_float16_steps("SGD", options)



@pytest.mark.parametrize("name, options", [
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.9, "weight_decay": 0.1}), ("RMSprop", {"centered": True}),
    ("Adagrad", {}), ("Adagrad", {"weight_decay": 0.1, "lr_decay": 0.1, "maximize": True}),
    ("Adadelta", {}), ("Adadelta", {"weight_decay": 0.1}), ("ASGD", {}), ("ASGD", {"t0": 2, "weight_decay": 0.1}),
    ("Adamax", {}), ("Adamax", {"weight_decay": 0.1}), ("NAdam", {}), ("NAdam", {"weight_decay": 0.1}),
    ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}), ("RAdam", {}), ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}),
])
def test_float16_optimizers_round_each_op_once_as_torch(name, options):
    # addcmul_/addcdiv_ rounded once, mul_ and div by float32 scalars (ASGD's mu too), add_'s scalar in float16, each
    # product of RAdam's update rounded to float16: torchless rounded every step of those ops and its scalars to
    # float16 (or kept a float32 product)
    _assert_same_float16_steps(name, options)



@pytest.mark.parametrize("name, options", [
    ("Adam", {"fused": True}), ("Adam", {"fused": True, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"fused": True, "maximize": True}), ("AdamW", {"fused": True, "betas": "tensors", "lr": "tensor"}),
])
def test_fused_float16_adam_computes_each_step_in_float32_as_torch(name, options):
    # PyTorch's fused CPU Adam loads a float16 parameter, gradient and moments as float32, computes the whole step and
    # rounds each stored tensor once: torchless ran its op-by-op float16 update
    _assert_same_float16_steps(name, options)


def _step_with_a_differentiable_flag(lib, name, group_flag, default_flag, requires_grad):
    """The outcome of a step (``"ok"`` or the error) and the parameters after it, for two groups whose second sets
    ``differentiable=group_flag`` against the optimizer's default ``default_flag``."""
    first, second = (lib.ones(3, requires_grad=flag) for flag in requires_grad)
    first.grad, second.grad = lib.ones(3), lib.ones(3)
    groups = [{"params": [first]}, {"params": [second], "differentiable": group_flag}]
    optimizer = getattr(lib.optim, name)(groups, lr=0.1, differentiable=default_flag)
    try:
        optimizer.step()
        outcome = "ok"
    except RuntimeError as error:
        outcome = str(error)
    return outcome, first.detach().tolist(), second.detach().tolist()


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Rprop"])
@pytest.mark.parametrize("group_flag, default_flag", [(True, False), (False, True)])
@pytest.mark.parametrize("requires_grad", [(True, True), (False, True), (False, False)])
def test_differentiable_steps_follow_the_optimizer_default_as_torch(name, group_flag, default_flag, requires_grad):
    # PyTorch's step records gradients when the optimizer's *default* differentiable is True (its decorator reads
    # ``defaults``): only then does the in-place update of a leaf requiring grad fail, whatever the group's own flag.
    # torchless read the group's flag: a group's differentiable=True refused leaves PyTorch updates, and a group's
    # False updated leaves PyTorch refuses.
    torch = pytest.importorskip("torch")
    expected = _step_with_a_differentiable_flag(torch, name, group_flag, default_flag, requires_grad)
    assert _step_with_a_differentiable_flag(torchless, name, group_flag, default_flag, requires_grad) == expected
