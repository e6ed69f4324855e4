"""Differences from PyTorch found by running the code people write to look inside a CNN (activation maps from forward
hooks, filter pictures, saliency, SmoothGrad, Integrated Gradients, Grad-CAM and Grad-CAM++, guided backprop,
occlusion, torchsummary- and thop-style hook counters, feature extractors and layer surgery, FGSM/PGD, activation
maximisation, Gram matrices, k-NN on features, top-k predictions) unchanged under torchless, each fixed here and
compared against PyTorch:

- A forward hook's ``output.detach()`` (or ``.data``) followed by an in-place op on the output in the graph (the
  next layer a ``ReLU(inplace=True)``, as in VGG, AlexNet and ResNet) kept the values from before the op: the
  in-place op rebound the output to a new array. Tensors sharing memory through detach()/.data now see the write,
  as PyTorch's do (and either one written in place still invalidates what backward saved of the other).
- The "Full backward hook is firing when gradients are computed with respect to module outputs" warning pointed at
  torchless's hook code; it points, as PyTorch's stacklevel does, at the user's ``backward()`` call.
- ``torch.trapz`` was missing, and ``torch.trapezoid``/``cumulative_trapezoid`` (Integrated Gradients' Riemann
  sums) took calls PyTorch refuses (``trapezoid(y, 0.5)``, a bool ``y`` or ``x``, a complex or bool ``dx``), gave
  wrong shapes for empty inputs, and had other grad_fns: they now follow PyTorch's overloads, checks (in its
  order), messages, dtypes and nodes (``MulBackward1``, ``DivBackward1``).
- ``torch.histogram`` (activation histograms per layer) returned a plain tuple subclass printed as a tuple; it is
  ``torch.return_types.histogram`` with PyTorch's repr (``hist=``, ``bin_edges=``).
- Under ``create_graph=True`` (input-gradient penalties, double backprop through a CNN), the gradient of a ReLU and
  of max pooling did not depend on the ReLU's result or the pooling's input, which PyTorch's formulas read (with a
  zero derivative): a gradient that is linear in the output did not require grad, so backward through it failed,
  and parameters reached only that way got ``None`` where PyTorch gives zeros. The gradients' nodes are PyTorch's
  (``ThresholdBackwardBackward0``, ``MaxPool2DWithIndicesBackwardBackward0``, ``AdaptiveMaxPool2DBackwardBackward0``).
- Gradients computed under ``create_graph=True`` through convolutions, transposed convolutions, batch norm, average
  pooling, sigmoid, tanh, leaky ReLU, ELU, softplus, GELU, hardtanh/ReLU6, hardswish, softmax and log-softmax had
  the grad_fn of the last op torchless used (``ConvolutionBackward0``, ``MulBackward0``, ``WhereBackward0``...);
  they are named after PyTorch's backward op, as its are (``ConvolutionBackwardBackward0``,
  ``NativeBatchNormBackwardBackward0``, ``SoftmaxBackwardDataBackward0``...).
- ``Tensor.__array__`` took a ``copy`` keyword that PyTorch's does not: NumPy 2 now treats a tensor as it treats
  PyTorch's, so ``np.array(t)`` and ``plt.imshow(t)`` give its DeprecationWarning and ``np.array(t, copy=False)``
  its ValueError, as under PyTorch (torchless's MNIST reads its images with ``.numpy()``, as torchvision's does).
- ``torchvision.models._utils.IntermediateLayerGetter`` (feature extractors of segmentation and detection code)
  was missing; it runs a model's children up to the last layer asked for and returns their outputs by name, with
  torchvision's error for a layer that is not a direct child.
- Arguments PyTorch's parser reads as a float (``trapz``'s ``dx``, ``exponential_``'s ``lambd``, ...) refused a
  bool and a 0-d tensor, which PyTorch takes.
"""
import textwrap
import warnings

import numpy as np
import pytest

import torchless
from helpers import run_python, same_script_output

torch = pytest.importorskip("torch")

def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as error:  # noqa: BLE001 - compared with PyTorch's
        return type(error).__name__, str(error)


def _assert_same(lib_fn):
    """``lib_fn(torchless)`` and ``lib_fn(torch)``: the same values, dtype and grad_fn name, or the same error."""
    kind, actual = _outcome(lambda: lib_fn(torchless))
    expected_kind, expected = _outcome(lambda: lib_fn(torch))
    assert kind == expected_kind, (actual, expected)
    if kind != "ok":
        assert actual.replace("torchless", "torch") == expected
        return
    assert str(actual.dtype).replace("torchless", "torch") == str(expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert (actual.grad_fn is None) == (expected.grad_fn is None)
    if expected.grad_fn is not None:
        assert actual.grad_fn.name() == expected.grad_fn.name()
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)


class _Net:
    """The course CNN (conv, batch norm, ReLU, pooling, linear), built the same by either library."""

    def __init__(self, lib, inplace=True):
        nn = lib.nn
        lib.manual_seed(0)
        self.model = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 12, 3), nn.ReLU(inplace=inplace), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(12 * 3 * 3, 32), nn.ReLU(), nn.Linear(32, 10))
        self.x = lib.randn(4, 1, 16, 16)


# ---------------------------------------------------------------------------- detach()/.data and in-place ops
def _activations_then_backward(lib):
    net = _Net(lib)
    features = {}
    for name, module in net.model.named_children():
        module.register_forward_hook(lambda m, i, o, name=name: features.__setitem__(name, o.detach()))
    out = net.model(net.x)
    lib.nn.functional.cross_entropy(out, lib.tensor([1, 2, 3, 4])).backward()
    grads = [p.grad.numpy().copy() for p in net.model.parameters()]
    return {k: v.numpy().copy() for k, v in features.items()}, grads


def test_forward_hook_detached_output_sees_the_next_inplace_relu():
    actual, actual_grads = _activations_then_backward(torchless)
    expected, expected_grads = _activations_then_backward(torch)
    assert actual.keys() == expected.keys()
    for name in expected:  # '4' (the conv before ReLU(inplace=True)) holds the ReLU's result in PyTorch
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert (expected["4"] >= 0).all()
    for a, e in zip(actual_grads, expected_grads):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("alias", ["detach", "data"])
@pytest.mark.parametrize("op", ["relu_", "mul_", "sigmoid_", "setitem", "add_grad"])
def test_inplace_op_on_a_graph_tensor_writes_through_its_detached_alias(alias, op):
    def run(lib):
        lib.manual_seed(0)
        w = lib.randn(3, 4, requires_grad=True)
        other = lib.randn(3, 4, requires_grad=True)
        y = w * 2
        seen = y.detach() if alias == "detach" else y.data
        if op == "relu_":
            y.relu_()
        elif op == "mul_":
            y.mul_(3)
        elif op == "sigmoid_":
            y.sigmoid_()
        elif op == "setitem":
            y[0] = 5
        else:
            y.add_(other)
        (y * y).sum().backward()
        return seen.numpy().copy(), y.detach().numpy().copy(), w.grad.numpy(), y._version
    actual, expected = run(torchless), run(torch)
    for a, e in zip(actual[:3], expected[:3]):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6)
    assert actual[3] == expected[3]


def test_the_detached_alias_written_in_place_writes_into_the_graph_tensor():
    def run(lib):
        lib.manual_seed(0)
        w = lib.randn(5, requires_grad=True)
        y = w * 2
        alias = y.detach()
        alias.mul_(lib.randn(5, requires_grad=True))  # recorded on the alias (its operand requires grad)
        return y.detach().numpy().copy(), alias.detach().numpy().copy()
    for a, e in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(a, e, rtol=1e-6)


def test_inplace_write_through_alias_still_invalidates_what_backward_saved():
    def run(lib):
        lib.manual_seed(0)
        y = lib.randn(2, 3, requires_grad=True).sigmoid()
        y.detach().zero_()
        y.sum().backward()
    with pytest.raises(RuntimeError) as expected:
        run(torch)
    with pytest.raises(RuntimeError) as actual:
        run(torchless)
    assert str(actual.value).replace("torchless", "torch") == str(expected.value)


# ---------------------------------------------------------------------------- full backward hook warning
def test_full_backward_hook_warning_points_at_the_backward_call(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
        model[0].register_full_backward_hook(lambda m, gi, go: print(gi, [tuple(g.shape) for g in go]))
        x = torch.randn(1, 1, 5, 5)
        model(x).sum().backward()
        """))
    expected_out, expected_err = run_python([str(path)], cwd=tmp_path)
    actual_out, actual_err = run_python(["-m", "torchless.as_torch", str(path)], cwd=tmp_path)
    assert actual_out == expected_out
    assert "script.py:6: UserWarning: Full backward hook is firing" in expected_err
    assert "script.py:6: UserWarning: Full backward hook is firing" in actual_err


# ---------------------------------------------------------------------------- trapezoid, trapz, cumulative_trapezoid
def _y(lib, dtype="float32", shape=(3, 4)):
    y = lib.tensor(np.arange(int(np.prod(shape))).reshape(shape).astype(dtype) ** 1.5 if dtype != "bool"
                   else np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0)
    return y.requires_grad_() if dtype.startswith("float") else y


_TRAPEZOID_CALLS = {
    "default": lambda lib, f: f(_y(lib)),
    "dx_dim0": lambda lib, f: f(_y(lib), dx=0.5, dim=0),
    "dx_int": lambda lib, f: f(_y(lib, "float64"), dx=2),
    "dx_bool": lambda lib, f: f(_y(lib), dx=True),
    "dx_complex": lambda lib, f: f(_y(lib), dx=1j),
    "dx_tensor": lambda lib, f: f(_y(lib), dx=lib.tensor(2.0)),
    "x_1d": lambda lib, f: f(_y(lib), lib.tensor([0.0, 1.0, 3.0, 6.0])),
    "x_keyword": lambda lib, f: f(_y(lib), x=lib.tensor([0.0, 1.0, 3.0, 6.0])),
    "x_same_shape": lambda lib, f: f(_y(lib), lib.tensor([[0.0, 1.0, 3.0, 6.0]] * 3), dim=1),
    "x_fewer_dims": lambda lib, f: f(_y(lib, shape=(2, 3, 4)), lib.tensor([[0.0, 1.0, 3.0, 6.0]] * 3)),
    "x_column": lambda lib, f: f(_y(lib), lib.tensor([[0.0], [1.0], [4.0]]), dim=0),
    "x_wrong_length": lambda lib, f: f(_y(lib), lib.tensor([1.0, 2.0])),
    "x_wrong_length_bad_dim": lambda lib, f: f(_y(lib), lib.tensor([1.0, 2.0]), dim=5),
    "x_not_broadcastable": lambda lib, f: f(_y(lib), lib.ones(2, 2)),
    "x_bool": lambda lib, f: f(_y(lib), lib.ones(4, dtype=lib.bool)),
    "x_and_dx": lambda lib, f: f(_y(lib), lib.ones(4), dx=1.0),
    "x_number": lambda lib, f: f(_y(lib), 1.0),
    "int_y": lambda lib, f: f(_y(lib, "int64")),
    "int_y_int_x": lambda lib, f: f(_y(lib, "int64"), lib.arange(4)),
    "bool_y": lambda lib, f: f(_y(lib, "bool")),
    "bool_y_bad_dim": lambda lib, f: f(_y(lib, "bool"), dim=5),
    "one_sample": lambda lib, f: f(lib.ones(3, 1)),
    "empty": lambda lib, f: f(lib.ones(3, 0)),
    "empty_other_dim": lambda lib, f: f(lib.ones(3, 0), dim=0),
    "empty_int": lambda lib, f: f(lib.ones(3, 0, dtype=lib.int64)),
    "empty_bool": lambda lib, f: f(lib.ones(0, dtype=lib.bool)),
    "zero_dim": lambda lib, f: f(lib.tensor(2.0)),
    "bad_dim": lambda lib, f: f(_y(lib), dim=-3),
}


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("call", list(_TRAPEZOID_CALLS), ids=list(_TRAPEZOID_CALLS))
def test_trapezoid_family_matches_torch(name, call):
    _assert_same(lambda lib: _TRAPEZOID_CALLS[call](lib, getattr(lib, name)))


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid_family_gradients(name):
    def grads(lib):
        y = _y(lib)
        x = lib.tensor([0.0, 1.0, 3.0, 6.0], requires_grad=True)
        (getattr(lib, name)(y, x) ** 2).sum().backward()
        (getattr(lib, name)(y, dx=0.25, dim=0) ** 2).sum().backward()
        return y.grad.numpy(), x.grad.numpy()
    for a, e in zip(grads(torchless), grads(torch)):
        np.testing.assert_allclose(a, e, rtol=1e-5)


def test_integrated_gradients_riemann_sum(tmp_path):
    same_script_output(tmp_path, """\
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        model.eval()
        x = torch.randn(1, 1, 8, 8)
        baseline = torch.zeros_like(x)
        steps = 16
        alphas = torch.linspace(0, 1, steps + 1).view(-1, 1, 1, 1)
        path = (baseline + alphas * (x - baseline)).requires_grad_(True)
        probs = F.softmax(model(path), dim=1)[:, 2]
        grads, = torch.autograd.grad(probs, path, grad_outputs=torch.ones_like(probs))
        ig = (x - baseline) * torch.trapezoid(grads, dx=1.0 / steps, dim=0)
        print(ig.shape, round(ig.sum().item(), 4), round(torch.trapz(grads.flatten(1).sum(1)).item(), 4))
        print(torch.cumulative_trapezoid(grads.flatten(1).sum(1), dx=1.0 / steps).shape)
        """)


# ---------------------------------------------------------------------------- float arguments
@pytest.mark.parametrize("value", [True, False, 2, np.float32(0.5), "tensor", "tensor_grad", "tensor_1d"])
def test_float_arguments_take_what_pytorch_parser_takes(value):
    def call(lib):
        lambd = {"tensor": lib.tensor(2.0), "tensor_grad": lib.tensor(2.0, requires_grad=True),
                 "tensor_1d": lib.tensor([2.0])}.get(value, value) if isinstance(value, str) else value
        lib.manual_seed(0)
        return lib.ones(5).exponential_(lambd)
    _assert_same(call)


# ---------------------------------------------------------------------------- histogram
def test_histogram_of_activations_is_a_return_type():
    def run(lib):
        lib.manual_seed(0)
        acts = lib.relu(lib.randn(2, 3, 4, 4))
        return acts.flatten().histogram(4), lib.histogram(acts, bins=3, range=(0.0, 2.0))
    for actual, expected in zip(run(torchless), run(torch)):
        assert repr(actual).replace("torchless.", "torch.") == repr(expected)
        np.testing.assert_allclose(actual.hist.numpy(), expected.hist.numpy())
        np.testing.assert_allclose(actual.bin_edges.numpy(), expected.bin_edges.numpy(), rtol=1e-6)
        assert isinstance(actual, tuple) and len(actual) == 2


# ---------------------------------------------------------------------------- double backward through ReLU and pooling
_PIECEWISE_LINEAR = {
    "relu": lambda F, t: F.relu(t),
    "relu_inplace_module": lambda F, t: F.relu(t * 1, inplace=True),
    "max_pool2d": lambda F, t: F.max_pool2d(t, 2),
    "max_pool2d_indices": lambda F, t: F.max_pool2d(t, 2, return_indices=True)[0],
    "relu_then_pool": lambda F, t: F.max_pool2d(F.relu(t), 2),
    "max_pool1d": lambda F, t: F.max_pool1d(t.flatten(2), 2),
    "adaptive_max_pool2d": lambda F, t: F.adaptive_max_pool2d(t, 2),
}


@pytest.mark.parametrize("op", list(_PIECEWISE_LINEAR))
def test_gradient_linear_in_the_output_still_requires_grad(op):
    def run(lib):
        lib.manual_seed(0)
        x = lib.randn(1, 2, 4, 4, requires_grad=True)
        b = lib.randn(1, requires_grad=True)
        y = _PIECEWISE_LINEAR[op](lib.nn.functional, x + b)
        g, = lib.autograd.grad((y * y.detach()).sum(), x, create_graph=True)
        g.sum().backward()
        return g.requires_grad, g.grad_fn.name(), b.grad.numpy(), x.grad.numpy()
    actual, expected = run(torchless), run(torch)
    assert actual[:2] == expected[:2]
    np.testing.assert_array_equal(actual[2], expected[2])
    np.testing.assert_array_equal(actual[3], expected[3])


def test_input_gradient_penalty_through_a_cnn(tmp_path):
    same_script_output(tmp_path, """\
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 8, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
        x = torch.randn(4, 1, 10, 10, requires_grad=True)
        out = model(x)
        grad, = torch.autograd.grad(out.sum(), x, create_graph=True)
        penalty = grad.pow(2).flatten(1).sum(1).mean()
        penalty.backward()
        print(grad.requires_grad, round(penalty.item(), 4))
        for name, p in model.named_parameters():
            print(name, None if p.grad is None else (tuple(p.grad.shape), round(p.grad.abs().sum().item(), 3)))
        """)


# ---------------------------------------------------------------------------- NumPy's view of a tensor
@pytest.mark.parametrize("call", ["array", "asarray", "array_copy_false", "asarray_copy_true", "asarray_dtype",
                                  "array_requires_grad"])
def test_numpy_conversions_warn_and_fail_as_for_torch(call):
    def run(lib):
        t = lib.arange(6.0).reshape(2, 3)
        fn = {"array": lambda: np.array(t), "asarray": lambda: np.asarray(t),
              "array_copy_false": lambda: np.array(t, copy=False),
              "asarray_copy_true": lambda: np.asarray(t, copy=True),
              "asarray_dtype": lambda: np.asarray(t, dtype=np.float64),
              "array_requires_grad": lambda: np.array(t.requires_grad_())}[call]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _outcome(fn)
        if result[0] == "ok":
            result = ("ok", result[1].dtype, result[1].tolist())
        return result, [(w.category.__name__, str(w.message)) for w in caught]
    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- whole scripts, run unchanged
_COURSE_CNN = """\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(6)
            self.relu1 = nn.ReLU()
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(6, 12, 3)
            self.relu2 = nn.ReLU(inplace=True)
            self.pool2 = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(12 * 3 * 3, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
            x = self.pool2(self.relu2(self.conv2(x)))
            return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    torch.manual_seed(0)
    model = Net()
    x = torch.randn(4, 1, 16, 16)
"""


def test_activation_maps_summary_and_flops_script(tmp_path):
    same_script_output(tmp_path, _COURSE_CNN + """\
    activation = {}
    def get_activation(name):
        def hook(module, input, output):
            activation[name] = output.detach()
        return hook
    handles = [m.register_forward_hook(get_activation(n)) for n, m in model.named_modules() if n]
    model(x)
    for h in handles:
        h.remove()
    for name, act in activation.items():
        print(name, list(act.shape), "%.5g" % act.abs().sum().item(), round((act == 0).float().mean().item(), 4))

    summary, flops = [], {}
    def hook(module, inputs, output):
        params = sum(p.numel() for p in module.parameters(recurse=False))
        summary.append((type(module).__name__, list(inputs[0].shape), list(output.shape), params))
        if isinstance(module, nn.Conv2d):
            kernel_ops = module.kernel_size[0] * module.kernel_size[1] * (module.in_channels // module.groups)
            flops[module] = output.numel() * (kernel_ops + (module.bias is not None))
        elif isinstance(module, nn.Linear):
            flops[module] = inputs[0].size(0) * module.in_features * module.out_features
    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model(torch.rand(2, 1, 16, 16))
    for h in handles:
        h.remove()
    for row in summary:
        print("{:>12} {:>20} {:>20} {:>8,}".format(row[0], str(row[1]), str(row[2]), row[3]))
    print("total", sum(p.numel() for p in model.parameters() if p.requires_grad), sum(flops.values()))
    print(model._forward_hooks, model.conv1._forward_hooks)
    """)


def test_grad_cam_guided_backprop_and_saliency_script(tmp_path):
    same_script_output(tmp_path, _COURSE_CNN + """\
    model.relu2 = nn.ReLU()  # a full backward hook's output may not be changed in place
    model.eval()
    store = {}
    model.conv2.register_forward_hook(lambda m, i, o: store.__setitem__("act", o))
    model.conv2.register_full_backward_hook(lambda m, gi, go: store.__setitem__("grad", go[0]))
    out = model(x)
    cls = out.argmax(dim=1)
    one_hot = torch.zeros_like(out).scatter_(1, cls.unsqueeze(1), 1.0)
    model.zero_grad()
    out.backward(gradient=one_hot)
    weights = F.adaptive_avg_pool2d(store["grad"], 1)
    cam = F.relu((weights * store["act"]).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    lo, hi = cam.amin(dim=(2, 3), keepdim=True), cam.amax(dim=(2, 3), keepdim=True)
    cam = ((cam - lo) / (hi - lo + 1e-8)).detach()
    print(cls.tolist(), list(cam.shape), [round(v, 4) for v in cam.sum(dim=(1, 2, 3)).tolist()])

    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.register_full_backward_hook(lambda m, gi, go: (torch.clamp(gi[0], min=0.0),))
    image = x[:1].clone().requires_grad_()
    score = model(image)[0, cls[0]]
    score.backward()
    guided = image.grad.detach()
    print(round(guided.abs().sum().item(), 4), round(guided.max().item(), 5))

    image = x[1:2].clone()
    image.requires_grad_()
    scores = model(image)
    scores[0, scores.argmax()].backward()
    saliency, _ = torch.max(image.grad.data.abs(), dim=1)
    print(list(saliency.shape), round(saliency.sum().item(), 4))

    eps = 0.05
    adv = x.clone().detach().requires_grad_(True)
    loss = F.cross_entropy(model(adv), cls)
    loss.backward()
    perturbed = torch.clamp(adv + eps * adv.grad.sign(), 0, 1)
    print((model(perturbed).argmax(1) == cls).sum().item(), round(perturbed.sum().item(), 3))
    """)


# ---------------------------------------------------------------------------- names of double-backward nodes
_LAYERS = {
    "conv": lambda nn: nn.Conv2d(3, 4, 3), "conv_nobias": lambda nn: nn.Conv2d(3, 4, 3, bias=False),
    "conv1d": lambda nn: nn.Sequential(nn.Flatten(2), nn.Conv1d(3, 2, 3)),
    "conv_transpose": lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=1),
    "batch_norm": lambda nn: nn.BatchNorm2d(3), "batch_norm_eval": lambda nn: nn.BatchNorm2d(3).eval(),
    "batch_norm1d": lambda nn: nn.Sequential(nn.Flatten(2), nn.BatchNorm1d(3)),
    "avg_pool": lambda nn: nn.AvgPool2d(2), "avg_pool3d": lambda nn: nn.Sequential(nn.Unflatten(1, (1, 3)),
                                                                                   nn.AvgPool3d(2, ceil_mode=True)),
    "sigmoid": lambda nn: nn.Sigmoid(), "tanh": lambda nn: nn.Tanh(), "leaky_relu": lambda nn: nn.LeakyReLU(0.1),
    "gelu": lambda nn: nn.GELU(), "gelu_tanh": lambda nn: nn.GELU("tanh"), "elu": lambda nn: nn.ELU(),
    "softplus": lambda nn: nn.Softplus(), "hardtanh": lambda nn: nn.Hardtanh(), "relu6": lambda nn: nn.ReLU6(),
    "hardswish": lambda nn: nn.Hardswish(), "softmax": lambda nn: nn.Softmax(1),
    "log_softmax": lambda nn: nn.LogSoftmax(1), "silu": lambda nn: nn.SiLU(), "mish": lambda nn: nn.Mish(),
}


@pytest.mark.parametrize("layer", list(_LAYERS))
def test_double_backward_nodes_are_named_after_pytorch_backward_op(layer):
    def run(lib):
        lib.manual_seed(0)
        module = _LAYERS[layer](lib.nn)
        x = lib.randn(2, 3, 6, 6, requires_grad=True)
        y = module(x)
        params = list(module.parameters())
        grads = lib.autograd.grad((y * y).sum(), [x] + params, create_graph=True)
        sum(g.sum() for g in grads).backward()
        return [g.grad_fn.name() for g in grads], [t.grad.numpy() for t in [x] + params]
    actual, expected = run(torchless), run(torch)
    assert actual[0] == expected[0]
    for a, e in zip(actual[1], expected[1]):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- IntermediateLayerGetter
def test_intermediate_layer_getter_as_torchvision_documents():
    from torchless.vision.models._utils import IntermediateLayerGetter

    net = _Net(torchless).model  # children '0' ... '10'
    getter = IntermediateLayerGetter(net, return_layers={"2": "relu1", "6": "pool2"})
    assert list(getter.keys()) == [str(i) for i in range(7)]  # truncated after the last layer asked for
    assert getter.return_layers == {"2": "relu1", "6": "pool2"}
    out = getter(_Net(torchless).x)
    assert type(out).__name__ == "OrderedDict" and list(out) == ["relu1", "pool2"]

    # the same weights in PyTorch, its children run in order
    reference = _Net(torch)
    reference.model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    x, seen = reference.x, {}
    for name, module in list(reference.model.named_children())[:7]:
        x = module(x)
        seen[name] = x
    np.testing.assert_allclose(out["relu1"].detach().numpy(), seen["2"].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["pool2"].detach().numpy(), seen["6"].detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="^return_layers are not present in model$"):
        IntermediateLayerGetter(net, {"0.weight": "w"})
