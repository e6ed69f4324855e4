"""Parity regressions of session 33's leftovers: an empty leaf's gradient strides, the layout of mul's gradient into
an expanded leaf, the errors of optimizers stepping integer parameters or given an lr tensor of several elements, and
the graphs of linalg.multi_dot (PyTorch's product order), block_diag and kron. Each against PyTorch at run time and
against a reference that needs no torch (C-order strides, float64 NumPy values, PyTorch's messages as written).

Seen and left: amax/amin of signed zeros (PyTorch's vectorized reduction picks the zero by lane and chunk order),
RAdam's elementwise step with an lr tensor of several elements, and the sum of two gradients into an expanded leaf
(leaf * leaf), whose strides PyTorch keeps from the in-place sum."""
import numpy as np
import pytest

import torchless


def _c_strides(shape):
    """PyTorch's contiguous strides: each dim's stride the product of the later sizes, a size 0 counted as 1."""
    strides, running = [], 1
    for size in reversed(shape):
        strides.append(running)
        running *= max(size, 1)
    return tuple(reversed(strides))


def _empty_leaf_case(lib, name):
    x = lib.zeros(2, 3, 0, 5, requires_grad=True)
    if name == "mul":
        (x * 2).sum().backward()
    elif name == "sum":
        x.sum().backward()
    elif name == "mean":
        x.mean((1, 2)).sum().backward()
    else:  # matmul's left factor: a (2*3, 0) view of the leaf times a (0, 4) matrix
        x = lib.zeros(3, 0, requires_grad=True)
        (x @ lib.zeros(0, 4)).sum().backward()
    return x


@pytest.mark.parametrize("name", ["mul", "sum", "mean", "mm"])
def test_empty_leaf_gradient_takes_the_leafs_strides(name):
    x = _empty_leaf_case(torchless, name)
    assert tuple(x.grad.shape) == tuple(x.shape)
    assert x.grad.stride() == _c_strides(tuple(x.shape))  # was (0, 0, 0, 0) for mul and sum, (0, 0) for mm
    torch = pytest.importorskip("torch")
    expected = _empty_leaf_case(torch, name)
    assert x.grad.stride() == expected.grad.stride()


def test_empty_channels_last_leaf_gradient_keeps_its_layout():
    def run(lib):
        x = lib.zeros(0, 3, 4, 5).contiguous(memory_format=lib.channels_last).requires_grad_()
        (x * 2).sum().backward()
        return x.grad.stride()

    assert run(torchless) == (60, 1, 15, 3)
    torch = pytest.importorskip("torch")
    assert run(torchless) == run(torch)


def _expanded_leaf_gradient(lib, values, grad_values, base_shape):
    leaf = lib.tensor(values).reshape(base_shape).expand(2, 1, 3).requires_grad_()
    grad = lib.tensor(grad_values).reshape(2, 3, 1).permute(0, 2, 1)  # strides (3, 1, 1): C order but dim 1's
    (leaf * 2).backward(grad)
    return leaf.grad


@pytest.mark.parametrize("base_shape", [(1, 1, 3), (2, 1, 1)])
def test_mul_gradient_into_expanded_leaf_keeps_size_one_stride(base_shape):
    rng = np.random.default_rng(33)
    values = rng.standard_normal(int(np.prod(base_shape))).astype(np.float32).tolist()
    grad_values = rng.standard_normal(6).astype(np.float32).tolist()
    got = _expanded_leaf_gradient(torchless, values, grad_values, base_shape)
    assert got.stride() == (3, 1, 1)  # was (3, 3, 1): NumPy's C-ordered product
    reference = 2 * np.array(grad_values, np.float64).reshape(2, 3, 1).transpose(0, 2, 1)
    np.testing.assert_allclose(got.numpy(), reference, rtol=1e-7, atol=0)
    torch = pytest.importorskip("torch")
    expected = _expanded_leaf_gradient(torch, values, grad_values, base_shape)
    assert got.stride() == expected.stride()
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_div_gradient_into_expanded_leaf_keeps_size_one_stride():
    def run(lib):
        leaf = lib.tensor([[[1.0, 2.0, 4.0]]]).expand(2, 1, 3).requires_grad_()
        (leaf / 2).backward(lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).reshape(2, 3, 1).permute(0, 2, 1))
        return leaf.grad

    got = run(torchless)
    assert got.stride() == (3, 1, 1)
    np.testing.assert_array_equal(got.numpy(), np.array([[[0.5, 1.0, 1.5]], [[2.0, 2.5, 3.0]]], np.float32))
    torch = pytest.importorskip("torch")
    assert got.stride() == run(torch).stride()


_ALPHA = (RuntimeError, "For integral input tensors, argument alpha must not be a floating point number.")


def _result_type(target):
    return RuntimeError, f"result type Float can't be cast to the desired output type {target}"


def _lerp(name):
    return NotImplementedError, f"\"lerp_kernel_scalar\" not implemented for '{name}'"


# PyTorch 2.13's errors of a step on an integer parameter: which op of each optimizer's step refuses it first
_INTEGER_STEP_ERRORS = {
    "SGD": {"Long": _ALPHA, "Int": _ALPHA},  # param.add_(grad, alpha=-lr)
    "LBFGS": {"Long": _ALPHA, "Int": _ALPHA},  # p.add_(update, alpha=step_size)
    "Adam": {"Long": _lerp("Long"), "Int": _lerp("Int")},  # exp_avg.lerp_(grad, 1 - beta1)
    "Adamax": {"Long": _lerp("Long"), "Int": _lerp("Int")},
    "NAdam": {"Long": _lerp("Long"), "Int": _lerp("Int")},
    "RAdam": {"Long": _lerp("Long"), "Int": _lerp("Int")},
    "Muon": {"Long": _lerp("Long"), "Int": _lerp("Int")},  # buf.lerp_(grad, 1 - momentum)
    "AdamW": {"Long": _result_type("Long"), "Int": _result_type("Int")},  # param.mul_(1 - lr * weight_decay)
    "Adagrad": {"Long": _result_type("Long"), "Int": _result_type("Int")},  # param.addcdiv_(grad, std, value=-clr)
    "Adadelta": {"Long": _result_type("Long"), "Int": _result_type("Int")},  # square_avg.mul_(rho)
    "RMSprop": {"Long": _result_type("Long"), "Int": _result_type("Int")},  # square_avg.mul_(alpha)
    "ASGD": {"Long": _result_type("Long"), "Int": _result_type("Int")},  # param.mul_(1 - lambd * eta)
    "Rprop": {"Long": _result_type("long int"), "Int": _result_type("int")},  # step_size.clamp_(min, max)
    "Adafactor": {name: (TypeError, "{lib}.finfo() requires a floating point input type. Use {lib}.iinfo to "
                                    "handle '{lib}.finfo'") for name in ("Long", "Int")},
}
_DTYPES = {"Long": "int64", "Int": "int32"}


def _integer_step_error(lib, optimizer, dtype_name):
    param = lib.ones(2, 2, dtype=getattr(lib, _DTYPES[dtype_name]))
    param.grad = lib.ones(2, 2, dtype=param.dtype)
    opt = getattr(lib.optim, optimizer)([param])
    with pytest.raises(Exception) as info:
        opt.step((lambda: lib.tensor(1.0)) if optimizer == "LBFGS" else None)
    return info.type, str(info.value)


@pytest.mark.parametrize("dtype_name", ["Long", "Int"])
@pytest.mark.parametrize("optimizer", sorted(_INTEGER_STEP_ERRORS))
def test_optimizer_step_of_integer_parameter_raises_pytorchs_error(optimizer, dtype_name):
    kind, message = _INTEGER_STEP_ERRORS[optimizer][dtype_name]
    got = _integer_step_error(torchless, optimizer, dtype_name)
    assert got == (kind, message.format(lib="torchless"))
    torch = pytest.importorskip("torch")
    expected = _integer_step_error(torch, optimizer, dtype_name)
    assert (got[0], got[1].replace("torchless", "torch")) == expected


def test_sgd_integer_parameter_with_integer_lr_steps_as_pytorch():
    """An integral alpha is no error: lr=1 subtracts the gradient, in integers."""
    def run(lib):
        param = lib.tensor([5, 7], dtype=lib.int64)
        param.grad = lib.tensor([2, 3], dtype=lib.int64)
        lib.optim.SGD([param], lr=1).step()
        return param

    got = run(torchless)
    assert got.dtype == torchless.int64 and got.tolist() == [3, 4]
    torch = pytest.importorskip("torch")
    assert got.tolist() == run(torch).tolist()


def test_sgd_float_parameter_before_an_integer_one_is_updated_first():
    """PyTorch's for-loop updates the parameters before the one that raises."""
    def run(lib):
        first = lib.tensor([1.0, 2.0])
        first.grad = lib.tensor([1.0, 1.0])
        second = lib.ones(2, dtype=lib.int64)
        second.grad = lib.ones(2, dtype=lib.int64)
        with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
            lib.optim.SGD([first, second], lr=0.5).step()
        return first.tolist(), second.tolist()

    got = run(torchless)
    assert got == ([0.5, 1.5], [1, 1])
    torch = pytest.importorskip("torch")
    assert got == run(torch)


def _integer_sgd_momentum_steps(lib, momentum):
    param = lib.tensor([5, 7])
    param.grad = lib.tensor([2, 3])
    opt = lib.optim.SGD([param], lr=1, momentum=momentum)
    opt.step()  # (the first step clones the gradient into the buffer: no multiply yet)
    try:
        opt.step()
    except RuntimeError as error:
        return str(error), param.tolist()
    return None, param.tolist(), opt.state[param]["momentum_buffer"].tolist()


@pytest.mark.parametrize("momentum", [0.5, 2])
def test_sgd_integer_momentum_buffer(momentum):
    got = _integer_sgd_momentum_steps(torchless, momentum)
    if momentum == 0.5:  # buf.mul_(0.5) refuses, after the first step's update
        assert got == ("result type Float can't be cast to the desired output type Long", [3, 4])
    else:  # buf = 2 * [2, 3] + [2, 3]; p = [3, 4] - buf
        assert got == (None, [-3, -5], [6, 9])
    torch = pytest.importorskip("torch")
    assert got == _integer_sgd_momentum_steps(torch, momentum)


# PyTorch 2.13's error for a param group's lr of two elements: its _to_scalar squeezes only a one-element tensor,
# and the step's first op taking lr as a number refuses the tensor
_MULTI_ELEMENT_LR_ERRORS = {
    "SGD": (TypeError, "add_(): argument 'alpha' must be Number, not Tensor"),
    "Adadelta": (TypeError, "add_(): argument 'alpha' must be Number, not Tensor"),
    "Adam": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "AdamW": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "Adamax": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "Adagrad": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "NAdam": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "RMSprop": (TypeError, "addcdiv_(): argument 'value' must be Number, not Tensor"),
    "ASGD": (RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"),
}


def _multi_element_lr_error(lib, optimizer):
    param = lib.ones(2)
    param.grad = lib.ones(2)
    opt = getattr(lib.optim, optimizer)([{"params": [param], "lr": lib.tensor([0.01, 0.02])}])
    with pytest.raises(Exception) as info:
        opt.step()
    return info.type, str(info.value)


@pytest.mark.parametrize("optimizer", sorted(_MULTI_ELEMENT_LR_ERRORS))
def test_multi_element_tensor_lr_is_refused_as_pytorch_refuses_it(optimizer):
    got = _multi_element_lr_error(torchless, optimizer)
    assert got == _MULTI_ELEMENT_LR_ERRORS[optimizer]  # was silently its first element (or float()'s ValueError)
    torch = pytest.importorskip("torch")
    assert got == _multi_element_lr_error(torch, optimizer)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop", "ASGD"])
def test_one_element_tensor_lr_still_steps(optimizer):
    def run(lib):
        param = lib.tensor([1.0, -2.0], dtype=lib.float64)
        param.grad = lib.tensor([0.5, 0.25], dtype=lib.float64)
        getattr(lib.optim, optimizer)([{"params": [param], "lr": lib.tensor([0.125], dtype=lib.float64)}]).step()
        return param.tolist()

    got = run(torchless)
    if optimizer == "SGD":  # p - lr * g, exactly in binary
        assert got == [1.0 - 0.125 * 0.5, -2.0 - 0.125 * 0.25]
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(got, run(torch), rtol=1e-15, atol=0)


def _graph_names(tensor):
    """The names of the nodes of ``tensor``'s graph, breadth first (AccumulateGrad without its C++ namespace)."""
    names, queue = [], [tensor.grad_fn]
    while queue:
        node = queue.pop(0)
        if node is None:
            continue
        names.append(node.name().replace("torch::autograd::", ""))
        queue.extend(next_node for next_node, _ in node.next_functions)
    return names


_MULTI_DOT_CHAINS = {
    "two": ([(2, 3), (3, 4)], "(0 1)",
            ["ViewBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad"]),
    "vector ends": ([(5,), (5, 6), (6,)], "((0 1) 2)",
                    ["ViewBackward0", "MmBackward0", "UnsqueezeBackward0", "MmBackward0", "AccumulateGrad",
                     "AccumulateGrad", "UnsqueezeBackward0", "AccumulateGrad"]),
    "three, right first": ([(10, 2), (2, 10), (10, 2)], "(0 (1 2))",
                           ["ViewBackward0", "MmBackward0", "AccumulateGrad", "MmBackward0", "AccumulateGrad",
                            "AccumulateGrad"]),
    "three, left first": ([(2, 10), (10, 2), (2, 10)], "((0 1) 2)",
                          ["ViewBackward0", "MmBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad",
                           "AccumulateGrad"]),
    "five, chain order": ([(9, 2), (2, 8), (8, 3), (3, 1), (1, 6)], "((0 (1 (2 3))) 4)",
                          ["ViewBackward0", "MmBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad",
                           "MmBackward0", "AccumulateGrad", "MmBackward0", "AccumulateGrad", "AccumulateGrad"]),
}


def _chain_value(arrays, order):
    """The product of float64 ``arrays`` (1-D ends as a row and a column) in the parenthesization ``order``."""
    tokens = order.replace("(", " ( ").replace(")", " ) ").split()

    def parse(position):
        if tokens[position] != "(":
            index = int(tokens[position])
            array = arrays[index]
            if array.ndim == 1:
                array = array[None, :] if index == 0 else array[:, None]
            return array, position + 1
        left, position = parse(position + 1)
        right, position = parse(position)
        return left @ right, position + 1  # (the closing parenthesis)

    return parse(0)[0]


@pytest.mark.parametrize("case", sorted(_MULTI_DOT_CHAINS))
def test_multi_dot_multiplies_in_pytorchs_order_and_views_the_result(case):
    shapes, order, expected_names = _MULTI_DOT_CHAINS[case]
    rng = np.random.default_rng(len(case))
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]

    def run(lib):
        tensors = [lib.tensor(a.tolist(), requires_grad=True) for a in arrays]
        result = lib.linalg.multi_dot(tensors)
        result.sum().backward()
        return result, tensors

    result, tensors = run(torchless)
    names = _graph_names(result)
    assert names[0] == "ViewBackward0"  # was the last product's MmBackward0 (or a SqueezeBackward1)
    assert names == expected_names  # (the chain order's products, breadth first: the order itself)
    assert names.count("MmBackward0") == len(shapes) - 1
    reference = _chain_value([a.astype(np.float64) for a in arrays], order).reshape(tuple(result.shape))
    np.testing.assert_allclose(result.detach().numpy(), reference, rtol=2e-5, atol=2e-5)
    torch = pytest.importorskip("torch")
    expected, expected_tensors = run(torch)
    assert names == _graph_names(expected)
    assert tuple(result.shape) == tuple(expected.shape) and result.stride() == expected.stride()
    np.testing.assert_allclose(result.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    for got, want in zip(tensors, expected_tensors):
        assert got.grad.stride() == want.grad.stride()
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-5, atol=1e-5)


def _block_diag_case(lib):
    empty = lib.zeros(0, requires_grad=True)
    square = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    scalar = lib.tensor(3.0, requires_grad=True)
    row = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    transposed = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).t().requires_grad_()
    leaves = (empty, square, scalar, row, transposed)
    result = lib.block_diag(*leaves)
    (result * lib.arange(result.numel()).reshape(result.shape)).sum().backward()
    return result, leaves


def test_block_diag_is_one_node_with_pytorchs_gradient_blocks():
    result, leaves = _block_diag_case(torchless)
    assert result.grad_fn.name() == "BlockDiagBackward0"  # was CatBackward0 of CatBackward0s
    assert [node.name() for node, _ in result.grad_fn.next_functions] == ["torch::autograd::AccumulateGrad"] * 5
    # the forward places each block one row below the last (the empty 1-d input takes a row of none) ...
    expected = np.zeros((8, 8))
    expected[1:3, 0:2] = [[1, 2], [3, 4]]
    expected[3, 2] = 3
    expected[4, 3:6] = [1, 2, 3]
    expected[5:8, 6:8] = [[1, 4], [2, 5], [3, 6]]
    np.testing.assert_array_equal(result.detach().numpy(), expected)
    # ... PyTorch's backward skips the empty input's row: every later gradient is read one row up
    weights = np.arange(64.0).reshape(8, 8)
    np.testing.assert_array_equal(leaves[1].grad.numpy(), weights[0:2, 0:2])
    assert leaves[2].grad.item() == weights[2, 2]
    np.testing.assert_array_equal(leaves[3].grad.numpy(), weights[3, 3:6])
    np.testing.assert_array_equal(leaves[4].grad.numpy(), weights[4:7, 6:8])
    assert tuple(leaves[0].grad.shape) == (0,)
    torch = pytest.importorskip("torch")
    expected_result, expected_leaves = _block_diag_case(torch)
    np.testing.assert_array_equal(result.detach().numpy(), expected_result.detach().numpy())
    for got, want in zip(leaves, expected_leaves):
        assert got.grad.stride() == want.grad.stride()
        assert str(got.grad.dtype).split(".")[-1] == str(want.grad.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.grad.numpy(), want.grad.numpy())


def test_block_diag_gradient_under_create_graph():
    def run(lib):
        square = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        row = lib.tensor([5.0], requires_grad=True)
        grad, = lib.autograd.grad((lib.block_diag(square, row) ** 3).sum(), square, create_graph=True)
        name = grad.grad_fn.name()
        grad.sum().backward()
        return grad.tolist(), name, square.grad.tolist()

    got = run(torchless)
    # d/dx of x**3 is 3x**2, and its derivative 6x
    assert got == ([[3.0, 12.0], [27.0, 48.0]], "SliceBackward0", [[6.0, 12.0], [18.0, 24.0]])
    torch = pytest.importorskip("torch")
    assert got == run(torch)


@pytest.mark.parametrize("shapes", [((2, 2), (3, 3)), ((3,), (2, 2)), ((2, 1, 2), (3,)), ((), (2,))])
def test_kron_graph_is_pytorchs_composite(shapes):
    rng = np.random.default_rng(7)
    a_values, b_values = (rng.standard_normal(shape) for shape in shapes)

    def run(lib):
        a = lib.tensor(a_values.tolist(), dtype=lib.float64, requires_grad=True)
        b = lib.tensor(b_values.tolist(), dtype=lib.float64, requires_grad=True)
        result = lib.kron(a, b)
        result.sum().backward()
        return result, a, b

    result, a, b = run(torchless)
    assert _graph_names(result) == ["UnsafeViewBackward0", "MulBackward0", "UnsafeViewBackward0",
                                    "UnsafeViewBackward0", "AccumulateGrad", "AccumulateGrad"]  # was KronBackward0
    np.testing.assert_allclose(result.detach().numpy(), np.kron(a_values, b_values), rtol=1e-15)
    # d(sum of kron)/da is sum(b) everywhere, and conversely
    np.testing.assert_allclose(a.grad.numpy(), np.full(shapes[0], b_values.sum()), rtol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), np.full(shapes[1], a_values.sum()), rtol=1e-14)
    assert tuple(a.grad.shape) == shapes[0] and tuple(b.grad.shape) == shapes[1]
    torch = pytest.importorskip("torch")
    expected, expected_a, expected_b = run(torch)
    assert _graph_names(result) == _graph_names(expected)
    assert result.stride() == expected.stride()
    np.testing.assert_allclose(a.grad.numpy(), expected_a.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), expected_b.grad.numpy(), rtol=1e-14)


def test_kron_graph_without_a_gradient_for_one_input():
    def run(lib):
        result = lib.kron(lib.ones(2, 3, requires_grad=True), lib.ones(2))
        return _graph_names(result), [node is None for node, _ in result.grad_fn.next_functions[0][0].next_functions]

    got = run(torchless)
    assert got == (["UnsafeViewBackward0", "MulBackward0", "UnsafeViewBackward0", "AccumulateGrad"], [False, True])
    torch = pytest.importorskip("torch")
    assert got == run(torch)
