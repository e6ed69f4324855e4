"""Module backward hooks (register_full_backward_hook / _pre_hook, and the global ones), Tensor.register_hook on
non-leaf tensors, and a Grad-CAM built on them: when and with what the hooks are called, what their results
change, and their errors, against hand-computed gradients and against PyTorch."""
import warnings

import numpy as np
import pytest
from helpers import assert_same_error, central_difference, tensor

import torchless
from torchless.nn.modules import module as module_module


# ---------------------------------------------------------------------------- helpers
def _linear(lib, n_in, n_out, seed=0):
    """``lib.nn.Linear(n_in, n_out)`` with weights drawn from ``seed`` (the same in both libraries)."""
    layer = lib.nn.Linear(n_in, n_out)
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(rng.standard_normal((n_out, n_in)).astype(np.float32)))
        layer.bias.copy_(lib.tensor(rng.standard_normal(n_out).astype(np.float32)))
    return layer


def _arrays(grads):
    """Gradients (a tuple of tensors and Nones) as NumPy arrays and Nones."""
    return tuple(None if g is None else g.detach().numpy().copy() for g in grads)


def _assert_same_events(ours, theirs):
    """Two event logs (nested tuples/lists of strings, numbers, None and arrays) are equal, arrays to 1e-5."""
    assert type(ours) is type(theirs) or (isinstance(ours, (tuple, list)) and isinstance(theirs, (tuple, list))), \
        (ours, theirs)
    if isinstance(ours, (tuple, list)):
        assert len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _assert_same_events(a, b)
    elif isinstance(ours, np.ndarray):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    else:
        assert ours == theirs


def _recorder(events, name):
    """A backward hook and a backward pre-hook that log their calls into ``events`` under ``name``."""
    def hook(module, grad_input, grad_output):
        events.append((name, "hook", _arrays(grad_input), _arrays(grad_output)))

    def pre_hook(module, grad_output):
        events.append((name, "pre", _arrays(grad_output)))

    return hook, pre_hook


def _grad(t):
    return None if t.grad is None else t.grad.numpy().copy()


# ---------------------------------------------------------------------------- scenarios, run with either library
def _multiple_inputs_and_outputs(lib):
    """Tensors, a flag and a tensor not requiring grad in; two tensors and an int out, one output unused."""
    class Two(lib.nn.Module):
        def forward(self, a, b, flag, c):
            return a * 2, b.sum(0) * 3, 7

    events, module = [], Two()
    hook, pre_hook = _recorder(events, "two")
    module.register_full_backward_pre_hook(pre_hook)
    module.register_full_backward_hook(hook)
    a = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
    out = module(a, b, True, lib.ones(2, dtype=lib.float64))
    events.append(("types", [type(o).__name__ for o in out]))
    (out[0] * lib.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    return events + [("grads", _grad(a), _grad(b))]


def _unused_input(lib):
    class Unused(lib.nn.Module):
        def forward(self, a, b):
            return a * 2

    events, module = [], Unused()
    module.register_full_backward_hook(_recorder(events, "unused")[0])
    a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
    module(a, b).sum().backward()
    return events + [("grads", _grad(a), _grad(b))]


def _output_independent_of_input(lib):
    class Constant(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(2))

        def forward(self, a):
            return self.w * 2

    events, module = [], Constant()
    hook, pre_hook = _recorder(events, "constant")
    module.register_full_backward_hook(hook)
    module.register_full_backward_pre_hook(pre_hook)
    module(lib.ones(2, requires_grad=True)).sum().backward()  # the input's node is never reached
    events.append("input without grad")
    module(lib.ones(2)).sum().backward()  # the hook is called with the output's gradient
    return events


def _identity(lib):
    events, module = [], lib.nn.Identity()
    module.register_full_backward_hook(_recorder(events, "identity")[0])
    a = lib.ones(2, requires_grad=True)
    out = module(a)
    events.append(("same object", out is a))
    (out * 3).sum().backward()
    return events + [("grad", _grad(a))]


def _nested_order(lib, input_requires_grad):
    model = lib.nn.Sequential(_linear(lib, 3, 4, 1), lib.nn.ReLU(), _linear(lib, 4, 2, 2))
    events = []
    for name, module in model.named_modules():
        module.register_full_backward_pre_hook(lambda m, go, name=name: events.append(("pre", name)))
        module.register_full_backward_hook(lambda m, gi, go, name=name: events.append(("hook", name)))
    x = lib.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3), requires_grad=input_requires_grad)
    model(x).sum().backward()
    return events


def _prepend(lib):
    events, layer = [], _linear(lib, 2, 2)
    layer.register_full_backward_hook(lambda *a: events.append("hook 1"))
    layer.register_full_backward_hook(lambda *a: events.append("hook 2"), prepend=True)
    layer.register_full_backward_pre_hook(lambda *a: events.append("pre 1"))
    layer.register_full_backward_pre_hook(lambda *a: events.append("pre 2"), prepend=True)
    layer(lib.ones(1, 2, requires_grad=True)).sum().backward()
    return events


def _with_tensor_hooks(lib):
    """Tensor hooks on the input (a leaf), on forward's own output (from a forward hook) and on the module's output."""
    events, layer = [], _linear(lib, 2, 2)
    x = lib.ones(1, 2, requires_grad=True)
    layer.register_full_backward_hook(lambda *a: events.append("module hook"))
    layer.register_full_backward_pre_hook(lambda *a: events.append("module pre-hook"))

    def on_forward(module, args, output):
        output.register_hook(lambda g: events.append(("forward's output hook", g.numpy().copy())))

    layer.register_forward_hook(on_forward)
    x.register_hook(lambda g: events.append(("input hook", g.numpy().copy())))
    y = layer(x)
    y.register_hook(lambda g: events.append(("output hook", g.numpy().copy())))
    (y * 2).sum().backward()
    return events


def _hook_replaces_grad_input(lib):
    layer = _linear(lib, 2, 3)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 5,))
    x = lib.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    return [_grad(x), _grad(layer.weight)]


def _pre_hook_replaces_grad_output(lib):
    events, layer = [], _linear(lib, 2, 3)
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 0 + 1.5,))
    layer.register_full_backward_hook(_recorder(events, "linear")[0])
    x = lib.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    return events + [_grad(x), _grad(layer.weight)]


def _hook_returns_none_entries(lib):
    layer = _linear(lib, 2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (None,))
    x = lib.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    return [_grad(x), _grad(layer.weight)]


def _keyword_and_repeated_inputs(lib):
    class Product(lib.nn.Module):
        def forward(self, x, y=None):
            return x * y

    events, module = [], Product()
    module.register_full_backward_hook(_recorder(events, "product")[0])
    x, y = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], requires_grad=True)
    module(x, y=y).sum().backward()  # keyword tensors are not hooked: grad_input has x only
    events.append(("grads", _grad(x), _grad(y)))
    module(x, x).sum().backward()  # twice the same tensor: two entries, whose sum reaches x
    return events + [("grad", _grad(x))]


def _second_backward_and_removal(lib):
    events, layer = [], _linear(lib, 2, 2)
    handle = layer.register_full_backward_hook(lambda *a: events.append("hook"))
    pre_handle = layer.register_full_backward_pre_hook(lambda *a: events.append("pre"))
    out = layer(lib.ones(1, 2, requires_grad=True)).sum()
    out.backward(retain_graph=True)
    out.backward()
    handle.remove()
    layer(lib.ones(1, 2, requires_grad=True)).sum().backward()
    pre_handle.remove()
    layer(lib.ones(1, 2, requires_grad=True)).sum().backward()
    events.append("end")
    return events


def _no_grad_mode(lib):
    events, layer = [], _linear(lib, 2, 2)
    layer.register_full_backward_hook(lambda *a: events.append("hook"))
    with lib.no_grad():
        out = layer(lib.ones(1, 2, requires_grad=True))
    return events + [out.requires_grad, out.grad_fn is None]


def _list_output(lib):
    class Listing(lib.nn.Module):
        def forward(self, x):
            return [x * 2]

    events, module = [], Listing()
    module.register_full_backward_hook(lambda *a: events.append("hook"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = module(lib.ones(2, requires_grad=True))
    out[0].sum().backward()
    return events + [str(w.message).replace("torch.", "torchless.").replace("torchless._tensor.", "torchless.")
                     for w in caught]


def _global_hooks(lib):
    events, layer = [], _linear(lib, 2, 2)
    layer.register_full_backward_hook(lambda *a: events.append("module hook"))
    layer.register_full_backward_pre_hook(lambda *a: events.append("module pre-hook"))
    registry = lib.nn.modules.module
    handles = [registry.register_module_full_backward_hook(lambda m, gi, go: events.append(("global hook",
                                                                                            type(m).__name__))),
               registry.register_module_full_backward_pre_hook(lambda m, go: events.append(("global pre-hook",
                                                                                            type(m).__name__)))]
    try:
        layer(lib.ones(1, 2, requires_grad=True)).sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    layer(lib.ones(1, 2, requires_grad=True)).sum().backward()
    return events


def _non_leaf_tensor_hooks(lib):
    events = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: events.append(("first", g.numpy().copy())))
    handle = y.register_hook(lambda g: g * 10)
    y.register_hook(lambda g: events.append(("third", g.numpy().copy())))
    (y * y).sum().backward(retain_graph=True)
    events.append(("retained after the hooks", _grad(y), _grad(x)))
    handle.remove()
    x.grad = None
    (y * y).sum().backward()
    return events + [("after removal", _grad(x))]


SCENARIOS = {
    "multiple inputs and outputs": _multiple_inputs_and_outputs,
    "unused input": _unused_input,
    "output independent of input": _output_independent_of_input,
    "identity": _identity,
    "nested order, input requires grad": lambda lib: _nested_order(lib, True),
    "nested order, input without grad": lambda lib: _nested_order(lib, False),
    "prepend": _prepend,
    "with tensor hooks": _with_tensor_hooks,
    "hook replaces grad_input": _hook_replaces_grad_input,
    "pre-hook replaces grad_output": _pre_hook_replaces_grad_output,
    "hook returns None entries": _hook_returns_none_entries,
    "keyword and repeated inputs": _keyword_and_repeated_inputs,
    "second backward and removal": _second_backward_and_removal,
    "no_grad mode": _no_grad_mode,
    "list output": _list_output,
    "global hooks": _global_hooks,
    "non-leaf tensor hooks": _non_leaf_tensor_hooks,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_hook_calls_and_their_effects_match_torch(name):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = SCENARIOS[name](torch), SCENARIOS[name](torchless)
    _assert_same_events(ours, theirs)


# ---------------------------------------------------------------------------- without PyTorch
def test_linear_hook_sees_its_gradients():
    events = []
    layer = _linear(torchless, 3, 2)
    layer.register_full_backward_hook(_recorder(events, "linear")[0])
    x = torchless.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    weight = layer.weight.detach().numpy()
    upstream = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer(x).backward(torchless.tensor(upstream))
    ((name, kind, grad_input, grad_output),) = events
    np.testing.assert_allclose(grad_output[0], upstream)
    np.testing.assert_allclose(grad_input[0], upstream @ weight, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), upstream @ weight, rtol=1e-6)


def test_hooks_see_none_for_non_tensors_and_zeros_for_inputs_without_grad():
    events = []

    class Scale(torchless.nn.Module):
        def forward(self, x, factor, offset):
            return x * factor + offset

    module = Scale()
    hook, pre_hook = _recorder(events, "scale")
    module.register_full_backward_hook(hook)
    module.register_full_backward_pre_hook(pre_hook)
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    module(x, 3.0, torchless.tensor([5.0, 5.0])).sum().backward()
    (pre, (_, _, grad_input, grad_output)) = events
    assert pre[2][0].tolist() == [1.0, 1.0] and grad_output[0].tolist() == [1.0, 1.0]
    assert grad_input[0].tolist() == [3.0, 3.0] and grad_input[1] is None and grad_input[2].tolist() == [0.0, 0.0]


def test_replacing_gradients_changes_what_flows_on():
    layer = _linear(torchless, 2, 3)
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = torchless.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    weight = layer.weight.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * weight.sum(0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.full((3, 2), 2.0))


def test_module_output_is_a_new_tensor_that_shares_the_values():
    layer = _linear(torchless, 2, 2)
    inside = []
    layer.register_forward_hook(lambda m, args, out: inside.append(out))
    layer.register_full_backward_hook(lambda *a: None)
    out = layer(torchless.ones(1, 2, requires_grad=True))
    assert out is not inside[0] and out.tolist() == inside[0].tolist()
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"


def test_non_leaf_tensor_hook_changes_upstream_gradients():
    x = torchless.tensor([1.0, -1.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]


def test_tensor_hook_registered_before_an_in_place_op_sees_the_gradient_of_the_old_value():
    seen = []
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.mul_(3)
    y.sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------------------- errors against PyTorch
def _hooked_linear(lib, hook=None, pre_hook=None):
    layer = _linear(lib, 3, 2)
    if hook is not None:
        layer.register_full_backward_hook(hook)
    if pre_hook is not None:
        layer.register_full_backward_pre_hook(pre_hook)
    return layer


def _x(lib, requires_grad=True):
    return lib.tensor(np.ones((4, 3), np.float32), requires_grad=requires_grad)


def _in_place_on_input_in_forward(lib, second):
    class InPlace(lib.nn.Module):
        def forward(self, a, b):
            return (b if second else a).add_(1)

    module = InPlace()
    module.register_full_backward_hook(lambda *a: None)
    return module(_x(lib) * 1, _x(lib) * 1)


HOOK_ERRORS = {
    "hook returns too many": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: (gi[0], gi[0]))(_x(lib))
    .sum().backward(),
    "hook returns a tensor": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: gi[0])(_x(lib)).sum().backward(),
    "hook returns an int": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: 5)(_x(lib)).sum().backward(),
    "pre-hook returns too many": lambda lib: _hooked_linear(lib, pre_hook=lambda m, go: (go[0], go[0]))(_x(lib))
    .sum().backward(),
    "pre-hook returns a tensor": lambda lib: _hooked_linear(lib, pre_hook=lambda m, go: go[0])(_x(lib))
    .sum().backward(),
    "hook changes the shape": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: (lib.ones(3),))(_x(lib))
    .sum().backward(),
    "hook changes the dtype": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: (gi[0].double(),))(_x(lib))
    .sum().backward(),
    "hook returns a list entry": lambda lib: _hooked_linear(lib, hook=lambda m, gi, go: ([1.0],))(_x(lib))
    .sum().backward(),
    "pre-hook changes the shape": lambda lib: _hooked_linear(lib, pre_hook=lambda m, go: (lib.ones(3),))(_x(lib))
    .sum().backward(),
    "pre-hook changes the dtype": lambda lib: _hooked_linear(lib, pre_hook=lambda m, go: (go[0].double(),))(_x(lib))
    .sum().backward(),
    "hook without input grad returns gradients": lambda lib: _hooked_linear(
        lib, hook=lambda m, gi, go: (lib.ones(1),))(_x(lib, False)).sum().backward(),
    "in-place on the output": lambda lib: _hooked_linear(lib, hook=lambda *a: None)(_x(lib)).relu_(),
    "in-place on the output, input without grad": lambda lib: _hooked_linear(lib, hook=lambda *a: None)(
        _x(lib, False)).add_(1),
    "in-place on the output, pre-hook only": lambda lib: _hooked_linear(lib, pre_hook=lambda *a: None)(_x(lib)).add_(1),
    "in-place on a view of the output": lambda lib: _hooked_linear(lib, hook=lambda *a: None)(_x(lib))[0].add_(1),
    "in-place ReLU after a hooked convolution": lambda lib: _hooked_conv_then_inplace_relu(lib),
    "in-place on the first of two inputs": lambda lib: _in_place_on_input_in_forward(lib, second=False),
    "in-place on the second of two inputs": lambda lib: _in_place_on_input_in_forward(lib, second=True),
    "tensor hook changes the shape": lambda lib: _tensor_hook_error(lib, lambda g: g[:1], leaf=False),
    "tensor hook changes the dtype": lambda lib: _tensor_hook_error(lib, lambda g: g.double(), leaf=True),
    "tensor hook returns a list": lambda lib: _tensor_hook_error(lib, lambda g: [1.0], leaf=True),
    "tensor hook returns an int": lambda lib: _tensor_hook_error(lib, lambda g: 5, leaf=False),
    "hook on a tensor without grad": lambda lib: lib.ones(2).register_hook(lambda g: g),
}


def _hooked_conv_then_inplace_relu(lib):
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(inplace=True))
    model[0].register_full_backward_hook(lambda *a: None)
    return model(lib.ones(1, 1, 5, 5))


def _tensor_hook_error(lib, hook, leaf):
    def shrink(g):  # a named hook: the size error names it
        return hook(g)

    x = lib.ones(4, 3, requires_grad=True)
    target = x if leaf else x * 2
    target.register_hook(shrink if not leaf else hook)
    (target * 1).sum().backward()


@pytest.mark.parametrize("name", list(HOOK_ERRORS))
def test_hook_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: HOOK_ERRORS[name](torch), lambda: HOOK_ERRORS[name](torchless))


def test_assignment_into_the_output_is_refused():
    # PyTorch names the view its indexing made: the hook's output is a view of a custom Function, and so is its view
    out = _hooked_linear(torchless, hook=lambda *a: None)(_x(torchless))
    with pytest.raises(RuntimeError, match="^Output 0 of Select is a view and is being modified inplace. This view "
                                           "was created inside a custom Function"):
        out[0] = 1.0


def test_hooks_without_input_grad_warn_as_torch():
    layer = _hooked_linear(torchless, hook=lambda *a: None)
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect to "
                                         "module outputs since no inputs require gradients"):
        layer(_x(torchless, False)).sum().backward()


# ---------------------------------------------------------------------------- Grad-CAM
def _small_cnn(lib, seed=0):
    """conv(1 -> 4) - ReLU - conv(4 -> 6) - ReLU - global average - linear(6 -> 3), weights drawn from ``seed``."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 4, 3, padding=1)
            self.conv2 = lib.nn.Conv2d(4, 6, 3, padding=1, stride=2)
            self.fc = lib.nn.Linear(6, 3)

        def forward(self, x):
            features = self.conv2(self.conv1(x).relu()).relu()
            return self.fc(features.mean((2, 3)))

    net = Net()
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor((rng.standard_normal(tuple(p.shape)) * 0.5).astype(np.float32)))
    return net


def _grad_cam(lib, net, image, target_class):
    """Grad-CAM on ``net.conv2``: its activations weighted by their spatially averaged gradient (from a full
    backward hook), summed over channels, ReLU, upsampled to the image and scaled to [0, 1]."""
    saved = {}
    handles = [net.conv2.register_forward_hook(lambda m, args, out: saved.update(activations=out.detach())),
               net.conv2.register_full_backward_hook(lambda m, gi, go: saved.update(gradients=go[0].detach()))]
    try:
        scores = net(image)
        net.zero_grad()
        scores[:, target_class].sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    weights = saved["gradients"].mean((2, 3), keepdim=True)
    cam = (weights * saved["activations"]).sum(1, keepdim=True).relu()
    cam = lib.nn.functional.interpolate(cam, size=tuple(image.shape[2:]), mode="bilinear", align_corners=False)
    peak = cam.amax((2, 3), keepdim=True)
    return (cam / lib.where(peak > 0, peak, lib.ones_like(peak)))[:, 0], saved


def _image(seed=1):
    return np.random.default_rng(seed).standard_normal((2, 1, 8, 8)).astype(np.float32)


def test_grad_cam_weights_are_the_gradient_of_the_score_by_central_differences():
    """The hook's gradient against d score / d activations, by central differences through the layers after
    conv2 (the head, in float64)."""
    net = _small_cnn(torchless)
    image = tensor(_image())
    _, saved = _grad_cam(torchless, net, image, target_class=1)
    activations = saved["activations"].numpy().astype(np.float64)
    weight, bias = net.fc.weight.detach().numpy().astype(np.float64), net.fc.bias.detach().numpy().astype(np.float64)

    def score(arrays):  # the head: ReLU, global average, the class-1 logit, summed over the batch
        return float((np.maximum(arrays[0], 0).mean((2, 3)) @ weight.T + bias)[:, 1].sum())

    for index in [(0, 0, 0, 0), (0, 3, 2, 1), (1, 5, 3, 3), (1, 2, 0, 3)]:
        numeric = central_difference(score, [activations], 0, index)
        np.testing.assert_allclose(saved["gradients"].numpy()[index], numeric, rtol=1e-4, atol=1e-6)


def test_grad_cam_heatmap_matches_torch():
    torch = pytest.importorskip("torch")
    image = _image()
    for target_class in range(3):
        ours, our_saved = _grad_cam(torchless, _small_cnn(torchless), tensor(image), target_class)
        theirs, their_saved = _grad_cam(torch, _small_cnn(torch), torch.tensor(image), target_class)
        np.testing.assert_allclose(our_saved["gradients"].numpy(), their_saved["gradients"].numpy(), rtol=1e-5,
                                   atol=1e-7)
        assert ours.shape == (2, 8, 8)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)
        assert np.ptp(ours.numpy()) > 0  # a heatmap, not a constant


def test_global_hooks_registry_is_empty_after_removal():
    handle = module_module.register_module_full_backward_hook(lambda *a: None)
    assert len(module_module._global_backward_hooks) == 1
    handle.remove()
    assert not module_module._global_backward_hooks
