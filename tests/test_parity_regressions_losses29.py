"""Parity regressions found by differential sweeps of the losses and normalization layers (session losses29).
Every test compares with torch itself: strides and autograd graphs of results, values, or errors."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

def _graph(tensor):
    """The names of the nodes from ``tensor``'s grad_fn along each first edge, down to the leaf."""
    names, node = [], tensor.grad_fn
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return names


def _in_both(call):
    """``call(lib)`` for torch and torchless."""
    return call(torch), call(torchless)


# ---------------------------------------------------------------------------- empty batches
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(0, 5), (0, 3, 2, 2), (2, 3, 0, 2), (2, 3, 0)])
def test_unreduced_class_index_losses_of_no_elements_have_c_strides(loss, shape, label_smoothing):
    if loss == "nll_loss" and label_smoothing:
        pytest.skip("nll_loss has no label smoothing")
    options = {"label_smoothing": label_smoothing} if label_smoothing else {}

    def strides(lib):
        target = lib.zeros((shape[0],) + shape[2:], dtype=lib.long)
        return getattr(lib.nn.functional, loss)(lib.zeros(shape), target, reduction="none", **options).stride()

    expected, actual = _in_both(strides)
    assert actual == expected


@pytest.mark.parametrize("loss, target_shape", [("multi_margin_loss", (0,)), ("multilabel_margin_loss", (0, 3))])
def test_unreduced_hinge_losses_of_no_samples_have_c_strides(loss, target_shape):
    def result(lib):
        out = getattr(lib.nn.functional, loss)(lib.zeros(0, 3), lib.zeros(target_shape, dtype=lib.long),
                                               reduction="none")
        return tuple(out.shape), out.stride()

    expected, actual = _in_both(result)
    assert actual == expected


@pytest.mark.parametrize("normalized_shape", [[2], [3, 2]])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_of_no_elements_has_c_strides(normalized_shape, eps):
    expected, actual = _in_both(lambda lib: lib.nn.functional.rms_norm(lib.zeros(0, 3, 2), normalized_shape,
                                                                       eps=eps).stride())
    assert actual == expected


@pytest.mark.parametrize("shape", [(0, 3, 2), (2, 0, 2), (2, 3, 0), (2, 3, 0, 4)])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_of_no_elements_is_a_view_of_batch_norms_copy(shape, affine, use_input_stats):
    """PyTorch folds the batch into the channels (a view), runs batch norm (a copy of an empty input) and views
    the result back: ViewBackward0 on top, as for a non-empty input's graph."""
    if affine and not shape[0] * shape[1]:
        pytest.skip("PyTorch fails on the parameters' first element, of none (tested elsewhere)")

    def record(lib):
        x = lib.zeros(shape, requires_grad=True)
        channels = shape[1]
        options = {"weight": lib.ones(channels, requires_grad=True), "bias": lib.zeros(channels)} if affine else {}
        running = (lib.zeros(channels), lib.ones(channels)) if not use_input_stats else (None, None)
        y = lib.nn.functional.instance_norm(x, *running, use_input_stats=use_input_stats, **options)
        y.sum().backward()
        return _graph(y), tuple(y.shape), y.stride(), tuple(x.grad.shape)

    expected, actual = _in_both(record)
    assert actual == expected


# ---------------------------------------------------------------------------- binary_cross_entropy_with_logits
def test_bce_with_logits_refuses_a_bool_pos_weight_as_its_subtraction_does():
    def error(lib):
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2, 3), lib.ones(2, 3),
                                                               pos_weight=lib.tensor([True, False, True]))
        return str(caught.value)

    expected, actual = _in_both(error)
    assert actual == expected


@pytest.mark.parametrize("pos_weight_dtype", ["uint8", "int32", "int64"])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_bce_with_logits_target_gradient_of_an_integer_pos_weight_does_not_wrap(pos_weight_dtype, reduction):
    """The loss computes pos_weight - 1 in the weight's dtype (a uint8 0 wraps to 255, in PyTorch too); the target's
    gradient, log_sigmoid(-x) - log_sigmoid(x) * pos_weight, has no such subtraction."""
    logits = [[0.5, -1.0, 2.0], [-0.25, 3.0, -2.5]]
    targets = [[0.2, 0.7, 1.0], [0.0, 0.5, 0.9]]

    def gradients(lib):
        x = lib.tensor(logits, requires_grad=True)
        t = lib.tensor(targets, requires_grad=True)
        pos_weight = lib.tensor([0, 1, 2], dtype=getattr(lib, pos_weight_dtype))
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight, reduction=reduction)
        first = lib.autograd.grad(loss, [x, t], lib.ones_like(loss), create_graph=True)
        second = lib.autograd.grad(first[1].sum(), [x])[0]
        return [value.detach().numpy() for value in (loss, *first, second)]

    for expected, actual in zip(*_in_both(gradients)):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- layer_norm
@pytest.mark.parametrize("create_graph", [False, True])
def test_half_layer_norm_with_a_float32_bias_alone_fails_in_backward(create_graph):
    """The forward takes it; ATen's backward kernel reads a bias beside no weight in the input's dtype."""
    x = np.linspace(-2, 2, 24, dtype=np.float16).reshape(2, 3, 4)

    def error(lib):
        input, bias = lib.tensor(x, requires_grad=True), lib.zeros(4, requires_grad=True)
        out = lib.nn.functional.layer_norm(input, [4], bias=bias)
        with pytest.raises(RuntimeError) as caught:
            lib.autograd.grad(out.sum(), [input, bias], create_graph=create_graph)
        return str(out.dtype).split(".")[-1], str(caught.value)

    expected, actual = _in_both(error)
    assert actual == expected


def test_half_layer_norm_with_float32_weight_and_bias_differentiates():
    x = np.linspace(-2, 2, 24, dtype=np.float16).reshape(2, 3, 4)

    def gradients(lib):
        tensors = [lib.tensor(x, requires_grad=True), lib.ones(4, requires_grad=True), lib.zeros(4, requires_grad=True)]
        out = lib.nn.functional.layer_norm(tensors[0], [4], *tensors[1:])
        gradients = lib.autograd.grad(out.sum(), tensors)
        return [(str(g.dtype).split(".")[-1], g.numpy().astype(np.float64)) for g in gradients]

    for (expected_dtype, expected), (dtype, actual) in zip(*_in_both(gradients)):
        assert dtype == expected_dtype
        np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------- forward AD
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("dual_input, dual_target", [(True, False), (False, True), (True, True)])
def test_soft_margin_loss_forward_ad_reads_only_the_inputs_tangent(dual_input, dual_target, reduction):
    def tangent(lib):
        forward_ad = lib.autograd.forward_ad
        with forward_ad.dual_level():
            input, target = lib.tensor([0.0, 1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, -1.0, 1.0])
            if dual_input:
                input = forward_ad.make_dual(input, lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
            if dual_target:
                target = forward_ad.make_dual(target, lib.tensor([1.0, 2.0, 3.0]))
            try:
                out = lib.nn.functional.soft_margin_loss(input, target, reduction=reduction)
            except NotImplementedError as error:
                return str(error)
            result = forward_ad.unpack_dual(out).tangent
            return None if result is None else result.numpy()

    expected, actual = _in_both(tangent)
    if isinstance(expected, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=1e-12)
    else:
        assert actual == expected


# ---------------------------------------------------------------------------- gaussian_nll_loss
@pytest.mark.parametrize("eps", ["a", None, [1e-3], (1,), 1, True, 1e-3])
def test_gaussian_nll_loss_eps_fails_as_its_clamp_call_is_written(eps):
    def outcome(lib):
        try:
            return lib.nn.functional.gaussian_nll_loss(lib.ones(2, 3), lib.zeros(2, 3), lib.full((2, 3), 1e-4),
                                                       eps=eps).item()
        except (TypeError, RuntimeError) as error:
            return type(error).__name__, str(error).replace("torchless", "torch")

    expected, actual = _in_both(outcome)
    assert actual == expected


# ---------------------------------------------------------------------------- soft_margin_loss
@pytest.mark.parametrize("input_dtype", ["float32", "float64", "float16", "int64", "uint8"])
@pytest.mark.parametrize("target_dtype", ["complex64", "complex128"])
def test_soft_margin_loss_of_a_complex_target_fails_in_the_inputs_dtype(input_dtype, target_dtype):
    """PyTorch builds the loss in place in a tensor of the input's dtype: multiplied by a complex target, the result
    cannot be written there."""
    def error(lib):
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.soft_margin_loss(lib.ones(3, dtype=getattr(lib, input_dtype)),
                                               lib.ones(3, dtype=getattr(lib, target_dtype)))
        return str(caught.value)

    expected, actual = _in_both(error)
    assert actual == expected


@pytest.mark.parametrize("complex_argument", ["weight", "pos_weight"])
@pytest.mark.parametrize("target_dtype", ["float32", "float64"])
def test_bce_with_logits_complex_factors_fail_in_place_as_pytorch(complex_argument, target_dtype):
    def error(lib):
        options = {complex_argument: lib.ones(3, dtype=lib.complex64)}
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2, 3),
                                                               lib.ones(2, 3, dtype=getattr(lib, target_dtype)),
                                                               **options)
        return str(caught.value)

    expected, actual = _in_both(error)
    assert actual == expected


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_complex_weight_fails_in_place_as_pytorch(dtype):
    def error(lib):
        probabilities = lib.full((2, 3), 0.5, dtype=getattr(lib, dtype))
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.binary_cross_entropy(probabilities, probabilities,
                                                   weight=lib.ones(3, dtype=lib.complex64))
        return str(caught.value)

    expected, actual = _in_both(error)
    assert actual == expected
