"""Teaching and training programs run unchanged under ``python -m torchless.as_torch``, each compared with PyTorch
running the same script: every printed line and, within float32's precision, the tensors a script saves.

- Teaching CNNs: filters and activation maps collected by forward hooks and laid out by ``make_grid`` (PyTorch's
  side, run without torchvision, uses torchvision's source), Grad-CAM (full backward hooks, ``tensor.register_hook``)
  also as jacobgil's pytorch-grad-cam writes it on NumPy, saliency maps, SmoothGrad, occlusion, integrated
  gradients and DeepDream-style ascent on the input.
- Inspecting models as blog posts do: parameter, output-shape and FLOP counts from hooks, torchsummary's and
  thop's code, torchinfo-style tables, ``named_modules`` walks, layers replaced in place, freezing, conv+bn fusion
  by hand and by ``torch.nn.utils.fusion``, and every flavour of module hook.
- Training recipes: seeding and deterministic flags, checkpointing, gradient accumulation, EMA (by hand and by
  ``AveragedModel``), SWA, label smoothing, mixup and cutmix, early stopping, CSV logging, k-fold cross validation,
  weighted sampling, seeded DataLoader workers.

Floats a script sums over many elements are printed to 5 or 6 significant digits: PyTorch adds a long float row
in its own vectorised order, torchless in NumPy's pairwise one, which can differ in the last bit. The CPU
``torch.autocast`` to bfloat16 is left out: torchless has no bfloat16 (it warns and computes in float32).

Fixed on the way:

- Deterministic mode (``torch.use_deterministic_algorithms(True)``, as reproducibility recipes set it) fills
  uninitialised memory as PyTorch does: ``empty``, ``empty_like``, ``empty_strided``, ``new_empty``, the legacy
  constructors' sizes (``torch.Tensor(3)``, ``t.new(2)``) and what ``resize_`` adds beyond the old storage hold NaN
  (floating, complex) or the dtype's largest value (integers; True for bool), unless
  ``torch.utils.deterministic.fill_uninitialized_memory`` (a module that was missing) is set to False.
- A view made under no_grad (or inference_mode) and then given ``requires_grad`` itself never received its gradient
  (reformer's reversible layers make such leaves of chunks inside a Function's backward); one that requires grad by
  inheritance alone (of a base requiring grad) now has no gradient edge, as in PyTorch: its node's next_functions
  show None, ``autograd.grad`` finds it unused, and backward from it is refused.
- ``torch.utils.checkpoint``'s ``get_device_states``, ``set_device_states`` and ``DefaultDeviceType`` and
  ``torch.cuda._initialized`` were missing.
- The ``_foreach_*`` binary ops took their operand by position only, not by its overloads' names (``scalar=``,
  ``scalars=``, ``other=``).
- ``torch.backends.cudnn.flags(...)``, the context manager seeding recipes and test suites use, was missing, and
  ``cudnn.benchmark_limit`` was 10 where PyTorch without cuDNN has None.
"""
import pytest

import torchless
from helpers import same_program

torch = pytest.importorskip("torch")


@pytest.fixture
def deterministic():
    """Deterministic mode on in both libraries for the test, off again after it."""
    for lib in (torch, torchless):
        lib.use_deterministic_algorithms(True)
    yield
    for lib in (torch, torchless):
        lib.use_deterministic_algorithms(False)
        lib.utils.deterministic.fill_uninitialized_memory = True


UNINITIALIZED = {
    "empty": lambda lib, dtype: lib.empty(2, 3, dtype=dtype),
    "empty channels_last": lambda lib, dtype: lib.empty(1, 2, 2, 2, dtype=dtype, memory_format=lib.channels_last),
    "empty_like": lambda lib, dtype: lib.empty_like(lib.ones(3, 2, dtype=dtype).t()),
    "empty_strided": lambda lib, dtype: lib.empty_strided((2, 3), (1, 2), dtype=dtype),
    "empty_permuted": lambda lib, dtype: lib.empty_permuted((2, 3), (1, 0), dtype=dtype),
    "new_empty": lambda lib, dtype: lib.ones(2, dtype=dtype).new_empty((3,)),
    "new_empty_strided": lambda lib, dtype: lib.ones(2, dtype=dtype).new_empty_strided((2,), (2,)),
    "new": lambda lib, dtype: lib.ones(2, dtype=dtype).new(2, 2),
    "new Size": lambda lib, dtype: lib.ones(2, dtype=dtype).new(lib.Size([3])),
    "resize_ grows": lambda lib, dtype: lib.ones(2, 3, dtype=dtype).resize_(3, 3),
    "resize_ of a transposed tensor": lambda lib, dtype: lib.ones(2, 2, dtype=dtype).t().resize_(3, 2),
    "resize_ within the storage": lambda lib, dtype: lib.ones(6, dtype=dtype).resize_(2).resize_(5),
    "resize_as_": lambda lib, dtype: lib.ones(2, dtype=dtype).resize_as_(lib.ones(3)),
    "empty out=": lambda lib, dtype: lib.empty(3, dtype=dtype, out=lib.ones(2, dtype=dtype)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "int64", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("make", UNINITIALIZED.values(), ids=UNINITIALIZED.keys())
def test_deterministic_mode_fills_uninitialized_memory_as_pytorch(deterministic, make, dtype):
    expected = make(torch, getattr(torch, dtype))
    got = make(torchless, getattr(torchless, dtype))
    assert str(got.dtype).replace("torchless.", "torch.") == str(expected.dtype)
    assert got.shape == expected.shape and got.stride() == expected.stride()
    torch.testing.assert_close(torch.from_numpy(got.numpy().copy()), expected, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", ["Tensor", "FloatTensor", "LongTensor", "IntTensor", "BoolTensor", "DoubleTensor"])
def test_deterministic_mode_fills_the_legacy_constructors_sizes(deterministic, name):
    expected, got = getattr(torch, name)(2, 2), getattr(torchless, name)(2, 2)
    torch.testing.assert_close(torch.from_numpy(got.numpy().copy()), expected, rtol=0, atol=0, equal_nan=True)


def test_fill_uninitialized_memory_switches_the_fill_off(deterministic):
    for lib in (torch, torchless):
        assert lib.utils.deterministic.fill_uninitialized_memory is True
        lib.utils.deterministic.fill_uninitialized_memory = False
        assert lib.utils.deterministic.fill_uninitialized_memory is False
    assert torchless.empty(3).tolist() == [0.0, 0.0, 0.0]  # (torchless's memory is zeroed; PyTorch's stale)
    assert torchless.ones(2).resize_(4).tolist() == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("value", [None, 1, 1.0, "True"])
def test_fill_uninitialized_memory_takes_a_bool_only(value):
    messages = []
    for lib in (torch, torchless):
        with pytest.raises(RuntimeError) as caught:
            lib.utils.deterministic.fill_uninitialized_memory = value
        messages.append(str(caught.value))
        assert lib.utils.deterministic.fill_uninitialized_memory is True
    assert messages[1] == messages[0]


def test_without_deterministic_mode_empty_stays_zeroed():
    assert not torchless.are_deterministic_algorithms_enabled()
    assert torchless.empty(2, dtype=torchless.int64).tolist() == [0, 0]
    assert torchless.ones(2).new(2).tolist() == [0.0, 0.0]


def test_cudnn_flags_set_every_flag_for_the_block_and_restore_them():
    outcomes = []
    for lib in (torch, torchless):
        cudnn = lib.backends.cudnn
        cudnn.benchmark, cudnn.deterministic = True, True
        try:
            seen = []
            with cudnn.flags(enabled=True, deterministic=True):  # the others go to flags's defaults for the block
                seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32,
                             cudnn.benchmark_limit))
                with cudnn.flags():
                    seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32))
            seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.benchmark_limit))
            seen.append(cudnn.set_flags(False, None, 5, None))
            seen.append(cudnn.set_flags(*seen[-1]))
            seen.append((cudnn.fp32_precision, cudnn.depthwise_kernel))
        finally:
            cudnn.benchmark, cudnn.deterministic, cudnn.enabled = False, False, True
        outcomes.append(seen)
    assert outcomes[1] == outcomes[0]


def _views_made_with_grad_mode_off(lib):
    """How gradients reach views made under no_grad and inference_mode, then given requires_grad or not."""
    seen = []

    def record(label, *tensors):
        seen.append((label, *(None if t is None else t.tolist() for t in tensors)))

    for mode in (lib.no_grad, lib.inference_mode):
        base = lib.ones(3, requires_grad=True)
        with mode():
            view = base[:2]  # requires grad by inheritance alone: no edge leads to it
        out = view * 2
        seen.append(("inherited", view.requires_grad, view.is_leaf, [f for f, _ in out.grad_fn.next_functions]))
        out.sum().backward()
        record("inherited grads", view.grad, base.grad)
    base = lib.ones(3, requires_grad=True)
    with lib.no_grad():
        view = base[:2]
    with pytest.raises(RuntimeError) as caught:
        lib.autograd.grad((view * 2).sum(), view)
    seen.append(("grad of inherited", str(caught.value)))
    with pytest.raises(RuntimeError) as caught:
        view.backward(lib.ones(2))
    seen.append(("inherited as root", str(caught.value)))
    for flip in ([True], [False, True]):
        base = lib.ones(3, requires_grad=True)
        with lib.no_grad():
            view = base[:2]
        for value in flip:
            view.requires_grad_(value)
        (view * 2).sum().backward()
        record("own flag", view.grad, base.grad)
    # reformer's reversible backward: a chunk of a detached tensor made a leaf inside a Function's backward
    with lib.no_grad():
        first, second = lib.ones(2, 4).chunk(2, dim=1)
    first.requires_grad = True
    first.register_hook(lambda g: g * 10)
    with lib.enable_grad():
        lib.autograd.backward((first * 5).sum(), lib.tensor(1.0))
    record("chunk made a leaf", first.grad, second.grad)
    with lib.no_grad():
        plain = lib.ones(2, 2).view(4)
    plain.requires_grad = True
    record("grad of a view made a leaf", *lib.autograd.grad((plain * 3).sum(), plain))
    return seen


def test_views_made_with_grad_mode_off_get_gradients_once_they_require_grad_themselves():
    ours = _views_made_with_grad_mode_off(torchless)
    theirs = _views_made_with_grad_mode_off(torch)
    assert [tuple(type(v).__name__ if k == 3 else v for k, v in enumerate(row)) for row in ours] == \
        [tuple(type(v).__name__ if k == 3 else v for k, v in enumerate(row)) for row in theirs]
    assert ours[0][3] == [None, None] and ours[2][3] == [None, None]


def test_views_made_in_a_function_backward_get_their_gradients():
    def run(lib):
        inner = []

        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):  # (grad mode off, as in PyTorch's engine)
                first, _ = lib.ones(2, 4).chunk(2, dim=1)
                with lib.enable_grad():
                    first.requires_grad = True
                    lib.autograd.backward((first * 5).sum())
                inner.append(first.grad.tolist())
                return grad * 2

        x = lib.ones(2, requires_grad=True)
        Twice.apply(x).sum().backward()
        return inner, x.grad.tolist()

    assert run(torchless) == run(torch) == ([[[5.0, 5.0], [5.0, 5.0]]], [2.0, 2.0])


@pytest.mark.parametrize("device_type", [None, "cpu", "meta", "cuda"])
def test_checkpoints_device_state_helpers(device_type):
    outcomes = []
    for lib in (torch, torchless):
        checkpoint = lib.utils.checkpoint
        seen = [checkpoint.get_device_states(lib.ones(2), [lib.ones(1)], 3), checkpoint.set_device_states([], []),
                checkpoint.DefaultDeviceType.get_device_type(), lib.cuda._initialized]
        try:
            seen.append(checkpoint.set_device_states([0], [lib.ones(2)], device_type=device_type))
        except (AttributeError, RuntimeError) as error:
            seen.append((type(error).__name__, str(error).replace("torchless.", "torch.")))
        outcomes.append(seen)
    assert outcomes[1] == outcomes[0]


def test_checkpoints_default_device_type_is_settable():
    for lib in (torch, torchless):
        default = lib.utils.checkpoint.DefaultDeviceType
        try:
            default.set_device_type()
            assert default.get_device_type() == "cuda"
            default.set_device_type("meta")
            assert default.get_device_type() == "meta"
        finally:
            default._default_device_type = None
        assert default.get_device_type() == "cpu"


FOREACH_CALLS = [
    "_foreach_mul_(a, scalar=0.5)", "_foreach_mul(a, scalar=2)", "_foreach_add_(a, scalar=2)",
    "_foreach_div_(a, scalars=[2.0, 4.0])", "_foreach_sub(a, scalars=[1, 2])", "_foreach_mul_(a, other=b)",
    "_foreach_add_(a, other=b, alpha=0.1)", "_foreach_mul_(a, other=lib.tensor(3.0))",
    "_foreach_clamp_min_(a, scalar=2)", "_foreach_maximum(a, scalar=1.5)", "_foreach_mul_(a, 0.5)",
    # PyTorch's parser errors: no operand, two, one of the wrong kind, a name no overload has
    "_foreach_mul_(a)", "_foreach_mul_(a, 2, scalar=3)", "_foreach_mul_(a, scalar=[2.0, 3.0])",
    "_foreach_mul_(a, other=2.0)", "_foreach_mul_(a, scalars=b)", "_foreach_mul_(a, scale=2)", "_foreach_mul_(a, 2, 3)",
]


@pytest.mark.parametrize("call", FOREACH_CALLS)
def test_foreach_binary_ops_take_their_operand_by_its_overloads_names(call):
    """timm's ModelEmaV3 falls back to ``_foreach_mul_(ema, scalar=decay)`` and ``_foreach_add_(ema, model,
    alpha=1 - decay)``."""
    outcomes = []
    for lib in (torch, torchless):
        a, b = [lib.ones(2), lib.arange(3.0)], [lib.arange(2.0), lib.full((3,), 2.0)]
        try:
            result = eval(f"lib.{call}", {"lib": lib, "a": a, "b": b})
            outcomes.append(("ok", [t.tolist() for t in result], result is a, [t.tolist() for t in a]))
        except TypeError as error:
            outcomes.append(("TypeError", str(error).replace("torchless.", "torch.")))
    assert outcomes[1] == outcomes[0]


def test_teaching_cnns_filters_activation_maps_grad_cam_saliency_and_attributions(tmp_path, monkeypatch):
    """Filters and activation maps by forward hooks and make_grid, Grad-CAM by full backward hooks and by
    tensor.register_hook, vanilla saliency, SmoothGrad, occlusion, integrated gradients by hand and DeepDream-style
    gradient ascent on the input (clamp_ under no_grad)."""
    same_program(tmp_path, monkeypatch, r"""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        try:
            from torchvision.utils import make_grid
        except ImportError:  # PyTorch without torchvision: torchvision's make_grid, as its source writes it
            import math

            @torch.no_grad()
            def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
                if isinstance(tensor, list):
                    tensor = torch.stack(tensor, dim=0)
                if tensor.dim() == 2:
                    tensor = tensor.unsqueeze(0)
                if tensor.dim() == 3:
                    if tensor.size(0) == 1:
                        tensor = torch.cat((tensor, tensor, tensor), 0)
                    tensor = tensor.unsqueeze(0)
                if tensor.dim() == 4 and tensor.size(1) == 1:
                    tensor = torch.cat((tensor, tensor, tensor), 1)
                if normalize is True:
                    tensor = tensor.clone()

                    def norm_ip(img, low, high):
                        img.clamp_(min=low, max=high)
                        img.sub_(low).div_(max(high - low, 1e-5))

                    def norm_range(t, value_range):
                        if value_range is not None:
                            norm_ip(t, value_range[0], value_range[1])
                        else:
                            norm_ip(t, float(t.min()), float(t.max()))

                    if scale_each is True:
                        for t in tensor:
                            norm_range(t, value_range)
                    else:
                        norm_range(tensor, value_range)
                if tensor.size(0) == 1:
                    return tensor.squeeze(0)
                nmaps = tensor.size(0)
                xmaps = min(nrow, nmaps)
                ymaps = int(math.ceil(float(nmaps) / xmaps))
                height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
                num_channels = tensor.size(1)
                grid = tensor.new_full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value)
                k = 0
                for y in range(ymaps):
                    for x in range(xmaps):
                        if k >= nmaps:
                            break
                        grid.narrow(1, y * height + padding, height - padding).narrow(
                            2, x * width + padding, width - padding).copy_(tensor[k])
                        k = k + 1
                return grid
        import numpy as np

        torch.manual_seed(2)

        class SmallCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
                self.bn1 = nn.BatchNorm2d(8)
                self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
                self.pool = nn.MaxPool2d(2)
                self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
                self.gap = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Linear(16, 5)

            def forward(self, x):
                x = self.pool(F.relu(self.bn1(self.conv1(x))))
                x = self.pool(F.relu(self.conv2(x)))
                x = F.relu(self.conv3(x))
                return self.fc(torch.flatten(self.gap(x), 1))

        model = SmallCNN().eval()
        print(model)
        img = torch.rand(1, 3, 16, 16)

        # --- filters
        filters = model.conv1.weight.data.clone()
        print(filters.shape, filters.min().item(), filters.max().item())
        f_min, f_max = filters.min(), filters.max()
        filters = (filters - f_min) / (f_max - f_min)
        grid = make_grid(filters, nrow=4, padding=1, normalize=False)
        print(grid.shape, f'{grid.sum().item():.6g}')
        grid2 = make_grid(model.conv2.weight.data[:, :1], nrow=8, normalize=True, scale_each=True, pad_value=0.5)
        print(grid2.shape, round(grid2.mean().item(), 5))
        npimg = grid.permute(1, 2, 0).numpy()
        print(npimg.shape, npimg.dtype)

        # --- activation maps via forward hooks
        activation = {}
        def get_activation(name):
            def hook(model, input, output):
                activation[name] = output.detach()
            return hook

        handles = []
        for name, module in model.named_modules():
            if isinstance(module, nn.Conv2d):
                handles.append(module.register_forward_hook(get_activation(name)))
        out = model(img)
        print(out.shape, [h.id >= 0 for h in handles][:1])
        for name, act in activation.items():
            print(name, tuple(act.shape), round(act.abs().mean().item(), 6))
            maps = act.squeeze(0).unsqueeze(1)
            mn = maps.amin(dim=(2, 3), keepdim=True)
            mx = maps.amax(dim=(2, 3), keepdim=True)
            norm = (maps - mn) / (mx - mn + 1e-8)
            g = make_grid(norm, nrow=8, padding=2)
            print(' grid', tuple(g.shape), round(g[0].mean().item(), 5))
        for h in handles:
            h.remove()
        print(len(model.conv1._forward_hooks))

        # feature maps collected with a list and register_forward_hook returning None
        feature_maps = []
        hook = model.conv2.register_forward_hook(lambda m, i, o: feature_maps.append(o))
        model(img); model(img * 0.5)
        hook.remove()
        print(len(feature_maps), feature_maps[0].requires_grad, feature_maps[0].grad_fn is not None)
        fm = feature_maps[0][0]
        gray = torch.sum(fm, 0) / fm.shape[0]
        print(gray.shape, gray.data.cpu().numpy().round(3)[:2, :4] + 0.0)

        # --- Grad-CAM
        class GradCAM:
            def __init__(self, model, target_layer):
                self.model = model
                self.gradients = None
                self.activations = None
                target_layer.register_forward_hook(self.save_activation)
                target_layer.register_full_backward_hook(self.save_gradient)

            def save_activation(self, module, input, output):
                self.activations = output.detach()

            def save_gradient(self, module, grad_input, grad_output):
                self.gradients = grad_output[0].detach()

            def __call__(self, x, class_idx=None):
                self.model.zero_grad()
                logits = self.model(x)
                if class_idx is None:
                    class_idx = logits.argmax(dim=1).item()
                score = logits[:, class_idx].sum()
                score.backward()
                weights = self.gradients.mean(dim=(2, 3), keepdim=True)
                cam = F.relu((weights * self.activations).sum(dim=1, keepdim=True))
                cam = F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)
                cam = cam - cam.min()
                cam = cam / (cam.max() + 1e-8)
                return cam, class_idx

        gc = GradCAM(model, model.conv3)
        cam, cls = gc(img)
        print('gradcam', cam.shape, cls, f'{cam.sum().item():.6g}')
        cam2, _ = gc(img, class_idx=2)
        print(cam2.squeeze().numpy().round(4)[::4, ::4])

        # tensor.register_hook flavour
        grads = {}
        def fwd_hook(m, i, o):
            o.register_hook(lambda g: grads.__setitem__('conv2', g))
            grads['act'] = o
        hh = model.conv2.register_forward_hook(fwd_hook)
        logits = model(img)
        logits[0, 1].backward()
        hh.remove()
        w = grads['conv2'].mean((2, 3))
        A = grads['act'].detach()
        cam3 = F.relu(torch.sum(w[:, :, None, None] * A, dim=1))
        cam3 = F.interpolate(cam3.unsqueeze(0), size=(16, 16), mode='bicubic', align_corners=True).squeeze()
        cam3 = (cam3 - cam3.min()) / (cam3.max() - cam3.min())
        print('cam3', cam3.shape, f'{cam3.mean().item():.6g}')
        heat = (cam3.numpy() * 255).astype(np.uint8)
        print(heat.shape, heat.dtype, int(heat.sum()))

        # --- vanilla saliency
        model.zero_grad()
        x = img.clone()
        x.requires_grad_()
        scores = model(x)
        score_max_index = scores.argmax()
        score_max = scores[0, score_max_index]
        score_max.backward()
        saliency, _ = torch.max(x.grad.data.abs(), dim=1)
        sal2 = x.grad.abs().amax(dim=1)
        print('saliency', saliency.shape, torch.equal(saliency, sal2), f'{saliency.sum().item():.6g}')

        # --- SmoothGrad
        def smooth_grad(model, x, target, n=8, sigma=0.15):
            torch.manual_seed(1)
            stdev = sigma * (x.max() - x.min())
            total = torch.zeros_like(x)
            for _ in range(n):
                noise = torch.randn_like(x) * stdev
                xn = (x + noise).detach().requires_grad_(True)
                out = model(xn)
                out[0, target].backward()
                total += xn.grad.data ** 2
            return total / n
        sg = smooth_grad(model, img, 3)
        print('smoothgrad', sg.shape, f'{sg.sum().item():.6g}')

        # --- occlusion
        def occlusion(model, image, label, occ_size=4, occ_stride=4, occ_pixel=0.5):
            width, height = image.shape[-2], image.shape[-1]
            output_height = int(np.ceil((height - occ_size) / occ_stride))
            output_width = int(np.ceil((width - occ_size) / occ_stride))
            heatmap = torch.zeros((output_height, output_width))
            for h in range(0, height):
                for w in range(0, width):
                    h_start = h * occ_stride
                    w_start = w * occ_stride
                    h_end = min(height, h_start + occ_size)
                    w_end = min(width, w_start + occ_size)
                    if (w_end) >= width or (h_end) >= height:
                        continue
                    input_image = image.clone().detach()
                    input_image[:, :, w_start:w_end, h_start:h_end] = occ_pixel
                    output = model(input_image)
                    output = nn.functional.softmax(output, dim=1)
                    prob = output.tolist()[0][label]
                    heatmap[h, w] = prob
            return heatmap
        with torch.no_grad():
            hm = occlusion(model, img, 0)
        print('occlusion', hm.shape, hm)

        # --- integrated gradients
        def integrated_gradients(model, x, target, baseline=None, steps=16):
            if baseline is None:
                baseline = torch.zeros_like(x)
            scaled = [baseline + (float(i) / steps) * (x - baseline) for i in range(0, steps + 1)]
            grads = []
            for s in scaled:
                s = s.clone().requires_grad_(True)
                out = F.softmax(model(s), dim=1)[:, target]
                g = torch.autograd.grad(out.sum(), s)[0]
                grads.append(g)
            grads = torch.stack(grads)
            avg_grads = (grads[:-1] + grads[1:]) / 2.0
            avg = avg_grads.mean(dim=0)
            return (x - baseline) * avg
        ig = integrated_gradients(model, img, 4)
        print('ig', ig.shape, f'{ig.sum().item():.5g}')
        alphas = torch.linspace(0, 1, 9).view(-1, 1, 1, 1)
        path = alphas * img
        path.requires_grad_(True)
        probs = F.softmax(model(path), -1)[:, 4]
        g, = torch.autograd.grad(probs, path, grad_outputs=torch.ones_like(probs))
        ig2 = img * torch.trapezoid(g, alphas.squeeze(), dim=0)
        print('ig2', f'{ig2.sum().item():.5g}', probs.detach().numpy().round(5))

        # --- DeepDream-style gradient ascent
        for p in model.parameters():
            p.requires_grad_(False)
        dream = img.clone().requires_grad_(True)
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        acts = {}
        h = model.conv2.register_forward_hook(lambda m, i, o: acts.__setitem__('o', o))
        for it in range(3):
            model(dream)
            loss = acts['o'].norm()
            loss.backward()
            with torch.no_grad():
                g = dream.grad
                g /= g.std() + 1e-8
                dream += 0.05 * g
                dream.clamp_(0, 1)
                dream.grad.zero_()
            print('dream', it, f'{loss.item():.6g}')
        h.remove()
        deproc = dream.detach() * std + mean
        print(f'{deproc.clamp(0, 1).mean().item():.6g}')
        torch.save({'cam': cam, 'sal': saliency, 'sg': sg, 'ig': ig, 'ig2': ig2, 'dream': dream.detach(),
                    'grid': grid, 'cam3': cam3}, 'results.pt')
    """)


def test_grad_cam_as_pytorch_grad_cam_writes_it_on_numpy(tmp_path, monkeypatch):
    """jacobgil's pytorch-grad-cam (ActivationsAndGradients, GradCAM, GradCAM++ and its image scaling, on NumPy
    arrays) and the NumPy interop visualisation code leans on."""
    same_program(tmp_path, monkeypatch, r"""
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)

        # pytorch-grad-cam's ActivationsAndGradients + BaseCAM, as jacobgil's library writes them (numpy side)
        class ActivationsAndGradients:
            def __init__(self, model, target_layers, reshape_transform):
                self.model = model
                self.gradients = []
                self.activations = []
                self.reshape_transform = reshape_transform
                self.handles = []
                for target_layer in target_layers:
                    self.handles.append(target_layer.register_forward_hook(self.save_activation))
                    self.handles.append(target_layer.register_forward_hook(self.save_gradient))

            def save_activation(self, module, input, output):
                activation = output
                if self.reshape_transform is not None:
                    activation = self.reshape_transform(activation)
                self.activations.append(activation.cpu().detach())

            def save_gradient(self, module, input, output):
                if not hasattr(output, "requires_grad") or not output.requires_grad:
                    return
                def _store_grad(grad):
                    if self.reshape_transform is not None:
                        grad = self.reshape_transform(grad)
                    self.gradients = [grad.cpu().detach()] + self.gradients
                output.register_hook(_store_grad)

            def __call__(self, x):
                self.gradients = []
                self.activations = []
                return self.model(x)

            def release(self):
                for handle in self.handles:
                    handle.remove()

        class ClassifierOutputTarget:
            def __init__(self, category):
                self.category = category
            def __call__(self, model_output):
                if len(model_output.shape) == 1:
                    return model_output[self.category]
                return model_output[:, self.category]

        def scale_cam_image(cam, target_size=None):
            result = []
            for img in cam:
                img = img - np.min(img)
                img = img / (1e-7 + np.max(img))
                if target_size is not None:
                    img = F.interpolate(torch.from_numpy(img)[None, None], size=target_size[::-1], mode='bilinear',
                                        align_corners=False)[0, 0].numpy()
                result.append(img)
            result = np.float32(result)
            return result

        class GradCAM:
            def __init__(self, model, target_layers):
                self.model = model.eval()
                self.target_layers = target_layers
                self.activations_and_grads = ActivationsAndGradients(self.model, target_layers, None)

            def get_cam_weights(self, input_tensor, target_layer, targets, activations, grads):
                return np.mean(grads, axis=(2, 3))

            def get_cam_image(self, input_tensor, target_layer, targets, activations, grads, eigen_smooth=False):
                weights = self.get_cam_weights(input_tensor, target_layer, targets, activations, grads)
                weighted_activations = weights[:, :, None, None] * activations
                cam = weighted_activations.sum(axis=1)
                return cam

            def forward(self, input_tensor, targets=None):
                input_tensor = torch.autograd.Variable(input_tensor, requires_grad=True)
                outputs = self.activations_and_grads(input_tensor)
                if targets is None:
                    target_categories = np.argmax(outputs.cpu().data.numpy(), axis=-1)
                    targets = [ClassifierOutputTarget(category) for category in target_categories]
                self.model.zero_grad()
                loss = sum([target(output) for target, output in zip(targets, outputs)])
                loss.backward(retain_graph=True)
                activations_list = [a.cpu().data.numpy() for a in self.activations_and_grads.activations]
                grads_list = [g.cpu().data.numpy() for g in self.activations_and_grads.gradients]
                target_size = input_tensor.size(-1), input_tensor.size(-2)
                cam_per_target_layer = []
                for i in range(len(self.target_layers)):
                    layer_activations = activations_list[i]
                    layer_grads = grads_list[i]
                    cam = self.get_cam_image(input_tensor, self.target_layers[i], targets, layer_activations, layer_grads)
                    cam = np.maximum(cam, 0)
                    scaled = scale_cam_image(cam, target_size)
                    cam_per_target_layer.append(scaled[:, None, :])
                cam_per_target_layer = np.concatenate(cam_per_target_layer, axis=1)
                cam_per_target_layer = np.maximum(cam_per_target_layer, 0)
                result = np.mean(cam_per_target_layer, axis=1)
                return scale_cam_image(result)

            __call__ = forward

        class GradCAMPlusPlus(GradCAM):
            def get_cam_weights(self, input_tensor, target_layers, target_category, activations, grads):
                grads_power_2 = grads ** 2
                grads_power_3 = grads_power_2 * grads
                sum_activations = np.sum(activations, axis=(2, 3))
                eps = 0.000001
                aij = grads_power_2 / (2 * grads_power_2 + sum_activations[:, :, None, None] * grads_power_3 + eps)
                aij = np.where(grads != 0, aij, 0)
                weights = np.maximum(grads, 0) * aij
                weights = np.sum(weights, axis=(2, 3))
                return weights

        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        torch.manual_seed(3)
        x = torch.rand(2, 3, 12, 10)
        cam = GradCAM(model, [model[2]])
        grayscale = cam(x)
        print(type(grayscale).__name__, grayscale.shape, grayscale.dtype, np.round(grayscale[0, ::3, ::3], 4))
        cam2 = GradCAMPlusPlus(model, [model[0], model[2]])
        g2 = cam2(x, targets=[ClassifierOutputTarget(1), ClassifierOutputTarget(2)])
        print(g2.shape, np.round(g2.sum(), 3))

        def show_cam_on_image(img, mask, image_weight=0.5):
            heatmap = np.stack([mask, mask * 0.5, 1 - mask], axis=-1).astype(np.float32)
            cam = (1 - image_weight) * heatmap + image_weight * img
            cam = cam / np.max(cam)
            return np.uint8(255 * cam)
        rgb = x[0].permute(1, 2, 0).numpy()
        vis = show_cam_on_image(rgb, grayscale[0])
        print(vis.shape, vis.dtype, int(vis.sum()))

        # numpy interop that visualisation code leans on
        t = torch.linspace(-1, 1, 12).reshape(3, 2, 2)
        print(np.asarray(t).dtype, np.array(t, dtype=np.float64).dtype, np.mean(t.numpy()),
              np.transpose(t.numpy(), (1, 2, 0)).shape)
        print(np.uint8(t.clamp(0, 1).numpy() * 255).tolist())
        print(np.clip(t.numpy(), 0, 1).max(), float(t.max()), int(t.argmax()))
        img = (t.permute(1, 2, 0) * 0.5 + 0.5).mul(255).add_(0.5).clamp_(0, 255).to('cpu', torch.uint8).numpy()
        print(img.dtype, img.tolist())
        mean = np.array([0.485, 0.456, 0.406]); std = np.array([0.229, 0.224, 0.225])
        inp = t.numpy().transpose((1, 2, 0))
        inp = std * inp + mean
        inp = np.clip(inp, 0, 1)
        print(inp.dtype, inp.round(3).tolist())
        print(torch.from_numpy(inp).dtype, torch.tensor(inp).shape, torch.as_tensor(inp, dtype=torch.float32).dtype)
        a = np.float32(2.5) * torch.ones(2)
        print(type(a).__name__, a.dtype if hasattr(a, 'dtype') else None)
        b = torch.ones(2) * np.float64(2.5)
        print(b.dtype, (torch.ones(2) + np.int64(1)).dtype, (torch.ones(2, dtype=torch.int32) * np.float32(1.5)).dtype)
        print((np.arange(3) + torch.ones(3)).__class__.__name__ if False else 0)
        idx = np.array([0, 2])
        print(t[idx].shape, t[np.int64(1)].shape, t[:, np.array([True, False])].shape)
        print(torch.tensor(np.array(3.0)).shape, torch.tensor([np.float32(1), np.float32(2)]).dtype)
        print(torch.stack([torch.from_numpy(np.ones(2))] * 2).dtype)
    """)


def test_counting_shapes_parameters_flops_replacing_freezing_and_fusing_layers(tmp_path, monkeypatch):
    """Blog-post model inspection: parameter and FLOP counts from hooks, a torchinfo-style table, named_modules walks,
    layers replaced in place (setattr on nested names, set_submodule), freezing with optimizer filters, conv+bn
    fused by hand and by torch.nn.utils.fusion."""
    same_program(tmp_path, monkeypatch, r"""
        import copy
        from collections import OrderedDict
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval

        torch.manual_seed(0)

        class Block(nn.Module):
            def __init__(self, cin, cout, stride=1):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
                self.bn = nn.BatchNorm2d(cout)
                self.act = nn.ReLU(inplace=True)
            def forward(self, x):
                return self.act(self.bn(self.conv(x)))

        class Net(nn.Module):
            def __init__(self, num_classes=10):
                super().__init__()
                self.stem = Block(3, 8)
                self.layer1 = nn.Sequential(Block(8, 16, 2), Block(16, 16))
                self.layer2 = nn.Sequential(OrderedDict([('b1', Block(16, 32, 2)), ('drop', nn.Dropout(0.1))]))
                self.pool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(32, num_classes)
            def forward(self, x):
                x = self.layer2(self.layer1(self.stem(x)))
                return self.fc(torch.flatten(self.pool(x), 1))

        model = Net()
        x = torch.randn(2, 3, 16, 16)

        def count_parameters(model):
            return sum(p.numel() for p in model.parameters() if p.requires_grad)
        print('trainable', count_parameters(model), 'total', sum(p.numel() for p in model.parameters()))
        print('buffers', sum(b.numel() for b in model.buffers()), [n for n, _ in model.named_buffers()][:4])
        print('size MB', sum(p.nelement() * p.element_size() for p in model.parameters()) / 1024 ** 2)

        # hooks reading output shapes and FLOPs
        rows = []
        flops = {}
        def conv_flops(module, inp, out):
            batch = inp[0].shape[0]
            cout, cin_g, kh, kw = module.weight.shape
            ops = batch * out.shape[2] * out.shape[3] * cout * cin_g * kh * kw
            if module.bias is not None:
                ops += out.numel()
            return ops

        def make_hook(name):
            def hook(module, inp, out):
                if isinstance(module, nn.Conv2d):
                    flops[name] = conv_flops(module, inp, out)
                elif isinstance(module, nn.Linear):
                    flops[name] = module.weight.numel() * inp[0].shape[0] + (module.bias.numel() if module.bias is not None else 0)
                n_params = sum(p.numel() for p in module.parameters(recurse=False))
                rows.append((name, module.__class__.__name__, tuple(inp[0].shape), list(out.size()), n_params,
                             module.weight.numel() if hasattr(module, 'weight') and module.weight is not None else 0))
            return hook

        handles = [m.register_forward_hook(make_hook(n)) for n, m in model.named_modules()
                   if len(list(m.children())) == 0]
        model.eval()
        with torch.no_grad():
            y = model(x)
        for h in handles:
            h.remove()
        print(f"{'Layer':<18}{'Type':<20}{'Input':<20}{'Output':<20}{'Params':>8}")
        print('=' * 86)
        for r in rows:
            print(f"{r[0]:<18}{r[1]:<20}{str(r[2]):<20}{str(r[3]):<20}{r[4]:>8,}{r[5]:>6}")
        print('=' * 86)
        print('total FLOPs', sum(flops.values()), {k: v for k, v in flops.items()})
        print(f"MACs: {sum(flops.values()) / 1e6:.3f}M")

        # torchinfo-style with depth using named_children recursion
        def summarize(module, depth=0, prefix=''):
            for name, child in module.named_children():
                n = sum(p.numel() for p in child.parameters())
                print('  ' * depth + f'├─{type(child).__name__}: {depth + 1}-{name}', f'{n:,}')
                summarize(child, depth + 1, prefix + name + '.')
        summarize(model)
        print(len(list(model.modules())), len(list(model.named_modules())), len(list(model.children())))
        print([n for n, m in model.named_modules(prefix='model') if isinstance(m, nn.BatchNorm2d)])
        print([n for n, _ in model.named_parameters(prefix='net', recurse=True)][:5])
        print(list(dict(model.named_modules(remove_duplicate=False)).keys())[:6])
        print(model.get_submodule('layer1.0.conv'), model.get_parameter('layer2.b1.bn.weight').shape)
        print(model.get_buffer('stem.bn.running_var').shape)

        # replacing layers
        model.fc = nn.Linear(model.fc.in_features, 4)
        print(model.fc, model(x).shape)

        def set_module(model, name, new):
            parts = name.split('.')
            parent = model
            for p in parts[:-1]:
                parent = getattr(parent, p)
            setattr(parent, parts[-1], new)

        for name, m in list(model.named_modules()):
            if isinstance(m, nn.ReLU):
                set_module(model, name, nn.SiLU(inplace=True))
        print([type(m).__name__ for m in model.modules() if isinstance(m, (nn.ReLU, nn.SiLU))])
        model.layer1[1] = Block(16, 16)
        model.layer2.drop = nn.Identity()
        model.set_submodule('layer2.b1.act', nn.GELU())
        print(model.layer2)
        try:
            model.set_submodule('layer3.x', nn.ReLU())
        except AttributeError as e:
            print('AttributeError', e)
        try:
            model.get_submodule('layer1.5')
        except AttributeError as e:
            print('AttributeError', e)
        try:
            setattr(model, 'fc', 5)
            print('set int ok', model.fc)
        except TypeError as e:
            print('TypeError', e)
        model.fc = nn.Linear(32, 4)
        del model.layer2.drop
        print(hasattr(model.layer2, 'drop'), len(model.layer2))

        # freezing
        for param in model.parameters():
            param.requires_grad = False
        for param in model.fc.parameters():
            param.requires_grad = True
        model.layer2.requires_grad_(True)
        print('trainable', count_parameters(model), [n for n, p in model.named_parameters() if p.requires_grad])
        opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
        opt2 = torch.optim.Adam([
            {'params': [p for n, p in model.named_parameters() if 'fc' in n], 'lr': 1e-2},
            {'params': [p for n, p in model.named_parameters() if 'layer2' in n and p.requires_grad]}], lr=1e-3)
        print(len(opt.param_groups[0]['params']), [len(g['params']) for g in opt2.param_groups], [g['lr'] for g in opt2.param_groups])
        model.train()
        target = torch.tensor([1, 3])
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        print(model.stem.conv.weight.grad, model.fc.weight.grad.shape, round(loss.item(), 5))
        opt.step()
        opt2.step()
        # batchnorm kept in eval while frozen
        def set_bn_eval(m):
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
        model.apply(set_bn_eval)
        print([m.training for m in model.modules()][:6])

        # fusing conv+bn by hand
        torch.manual_seed(1)
        conv = nn.Conv2d(3, 6, 3, padding=1, bias=True)
        bn = nn.BatchNorm2d(6)
        seq = nn.Sequential(conv, bn)
        seq.train()
        for _ in range(3):
            seq(torch.randn(4, 3, 8, 8) * 2 + 1)
        seq.eval()
        def fuse(conv, bn):
            fused = torch.nn.Conv2d(conv.in_channels, conv.out_channels, kernel_size=conv.kernel_size,
                                    stride=conv.stride, padding=conv.padding, bias=True)
            w_conv = conv.weight.clone().view(conv.out_channels, -1)
            w_bn = torch.diag(bn.weight.div(torch.sqrt(bn.eps + bn.running_var)))
            fused.weight.copy_(torch.mm(w_bn, w_conv).view(fused.weight.size()))
            if conv.bias is not None:
                b_conv = conv.bias
            else:
                b_conv = torch.zeros(conv.weight.size(0))
            b_bn = bn.bias - bn.weight.mul(bn.running_mean).div(torch.sqrt(bn.running_var + bn.eps))
            fused.bias.copy_(torch.matmul(w_bn, b_conv) + b_bn)
            return fused
        with torch.no_grad():
            fused = fuse(conv, bn)
        inp = torch.randn(2, 3, 8, 8)
        print(fused)
        print('max diff', (seq(inp) - fused(inp)).abs().max().item() < 1e-5)
        fused2 = fuse_conv_bn_eval(conv, bn)
        print(type(fused2).__name__, fused2.weight.requires_grad, fused2.bias.shape, (fused2(inp) - seq(inp)).abs().max().item() < 1e-5)
        w, b = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        print(type(w).__name__, type(b).__name__, w.shape, b.shape)
        w2, b2 = fuse_conv_bn_weights(conv.weight, None, bn.running_mean, bn.running_var, bn.eps, None, None)
        print(b2.shape, w2.requires_grad)
        lin = nn.Linear(5, 6); bn1 = nn.BatchNorm1d(6)
        bn1.running_mean.uniform_(); bn1.running_var.uniform_(0.5, 2)
        lin.eval(); bn1.eval()
        fl = fuse_linear_bn_eval(lin, bn1)
        li = torch.randn(3, 5)
        print(type(fl).__name__, (fl(li) - bn1(lin(li))).abs().max().item() < 1e-5)
        try:
            seq.train()
            fuse_conv_bn_eval(conv, bn)
        except AssertionError as e:
            print('AssertionError', e)
        tconv = nn.ConvTranspose2d(3, 6, 3)
        tconv.eval(); bn.eval()
        ft = fuse_conv_bn_eval(tconv, bn, transpose=True)
        print(ft.weight.shape, (ft(inp) - bn(tconv(inp))).abs().max().item() < 1e-5)

        # fuse all conv-bn pairs of a model in place
        def fuse_model(m):
            for name, child in m.named_children():
                if isinstance(child, Block):
                    child.conv = fuse_conv_bn_eval(child.conv, child.bn)
                    child.bn = nn.Identity()
                else:
                    fuse_model(child)
        net = Net().eval()
        net_fused = copy.deepcopy(net)
        fuse_model(net_fused)
        print(sum(p.numel() for p in net_fused.parameters()), torch.allclose(net(x), net_fused(x), atol=1e-5))
        torch.save({'fused_w': fused.weight.detach(), 'fused_b': fused.bias.detach(), 'f2w': fused2.weight.detach(),
                    'f2b': fused2.bias.detach(), 'w': w.detach(), 'b': b.detach(), 'fl': fl.weight.detach(),
                    'ft': ft.weight.detach(), 'ftb': ft.bias.detach(), 'y': y}, 'results.pt')
    """)


def test_torchsummary_thop_and_module_hook_flavours(tmp_path, monkeypatch):
    """torchsummary's summary and thop's profile as their sources write them, then every flavour of module and tensor
    hook (pre-hooks with kwargs, prepend, always_call, global hooks, full backward (pre-)hooks, the old
    register_backward_hook, post-accumulate-grad hooks) and their errors."""
    same_program(tmp_path, monkeypatch, r"""
        from collections import OrderedDict
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)

        # torchsummary's summary, as its source writes it
        def summary(model, input_size, batch_size=-1, device="cpu"):
            def register_hook(module):
                def hook(module, input, output):
                    class_name = str(module.__class__).split(".")[-1].split("'")[0]
                    module_idx = len(summary)
                    m_key = "%s-%i" % (class_name, module_idx + 1)
                    summary[m_key] = OrderedDict()
                    summary[m_key]["input_shape"] = list(input[0].size())
                    summary[m_key]["input_shape"][0] = batch_size
                    if isinstance(output, (list, tuple)):
                        summary[m_key]["output_shape"] = [[-1] + list(o.size())[1:] for o in output]
                    else:
                        summary[m_key]["output_shape"] = list(output.size())
                        summary[m_key]["output_shape"][0] = batch_size
                    params = 0
                    if hasattr(module, "weight") and hasattr(module.weight, "size"):
                        params += torch.prod(torch.LongTensor(list(module.weight.size())))
                        summary[m_key]["trainable"] = module.weight.requires_grad
                    if hasattr(module, "bias") and hasattr(module.bias, "size"):
                        params += torch.prod(torch.LongTensor(list(module.bias.size())))
                    summary[m_key]["nb_params"] = params
                if (not isinstance(module, nn.Sequential) and not isinstance(module, nn.ModuleList) and not (module == model)):
                    hooks.append(module.register_forward_hook(hook))
            dtype = torch.FloatTensor
            if isinstance(input_size, tuple):
                input_size = [input_size]
            x = [torch.rand(2, *in_size).type(dtype) for in_size in input_size]
            summary = OrderedDict()
            hooks = []
            model.apply(register_hook)
            model(*x)
            for h in hooks:
                h.remove()
            print("----------------------------------------------------------------")
            line_new = "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #")
            print(line_new)
            print("================================================================")
            total_params = 0
            total_output = 0
            trainable_params = 0
            for layer in summary:
                line_new = "{:>20}  {:>25} {:>15}".format(layer, str(summary[layer]["output_shape"]), "{0:,}".format(summary[layer]["nb_params"]))
                total_params += summary[layer]["nb_params"]
                total_output += np.prod(summary[layer]["output_shape"])
                if "trainable" in summary[layer]:
                    if summary[layer]["trainable"] == True:
                        trainable_params += summary[layer]["nb_params"]
                print(line_new)
            total_input_size = abs(np.prod(input_size) * batch_size * 4. / (1024 ** 2.))
            total_output_size = abs(2. * total_output * 4. / (1024 ** 2.))
            total_params_size = abs(total_params.numpy() * 4. / (1024 ** 2.))
            total_size = total_params_size + total_output_size + total_input_size
            print("================================================================")
            print("Total params: {0:,}".format(total_params))
            print("Trainable params: {0:,}".format(trainable_params))
            print("Non-trainable params: {0:,}".format(total_params - trainable_params))
            print("----------------------------------------------------------------")
            print("Input size (MB): %0.2f" % total_input_size)
            print("Forward/backward pass size (MB): %0.2f" % total_output_size)
            print("Params size (MB): %0.2f" % total_params_size)
            print("Estimated Total Size (MB): %0.2f" % total_size)
            print("----------------------------------------------------------------")
            return total_params, trainable_params

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
                self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
                self.conv2_drop = nn.Dropout2d()
                self.fc1 = nn.Linear(320, 50)
                self.fc2 = nn.Linear(50, 10)
                self.lstm_like = nn.ModuleList([nn.Identity()])
            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
                x = x.view(-1, 320)
                x = F.relu(self.fc1(x))
                x = F.dropout(x, training=self.training)
                x = self.fc2(x)
                return F.log_softmax(x, dim=1)

        model = Net()
        model.conv1.weight.requires_grad = False
        tp, tr = summary(model, (1, 28, 28))
        print(type(tp), tp.dtype, tp, type(tr), tr)

        # thop's profile, in its style: total_ops buffers and per-type counters
        def count_convNd(m, x, y):
            x = x[0]
            kernel_ops = torch.zeros(m.weight.size()[2:]).numel()
            bias_ops = 1 if m.bias is not None else 0
            total_ops = y.nelement() * (m.in_channels // m.groups * kernel_ops + bias_ops)
            m.total_ops += torch.DoubleTensor([int(total_ops)])
        def count_linear(m, x, y):
            total_mul = m.in_features
            num_elements = y.numel()
            m.total_ops += torch.DoubleTensor([int(total_mul * num_elements)])
        def count_relu(m, x, y):
            m.total_ops += torch.DoubleTensor([int(0)])
        def count_bn(m, x, y):
            x = x[0]
            nelements = x.numel()
            if not m.training:
                total_ops = 2 * nelements
            m.total_ops += torch.DoubleTensor([int(total_ops)])
        register_hooks = {nn.Conv2d: count_convNd, nn.Linear: count_linear, nn.ReLU: count_relu, nn.BatchNorm2d: count_bn}
        def profile(model, inputs):
            handler_collection = {}
            def add_hooks(m):
                m.register_buffer('total_ops', torch.zeros(1, dtype=torch.float64))
                m.register_buffer('total_params', torch.zeros(1, dtype=torch.float64))
                for p in m.parameters():
                    m.total_params += torch.DoubleTensor([p.numel()])
                fn = register_hooks.get(type(m))
                if fn is not None:
                    handler_collection[m] = (m.register_forward_hook(fn),)
            prev_training_status = model.training
            model.eval()
            model.apply(add_hooks)
            with torch.no_grad():
                model(*inputs)
            def dfs_count(module, prefix="\t"):
                total_ops, total_params = module.total_ops.item(), 0
                ret_dict = {}
                for n, m in module.named_children():
                    next_dict = {}
                    if m in handler_collection and not isinstance(m, (nn.Sequential, nn.ModuleList)):
                        m_ops, m_params = m.total_ops.item(), m.total_params.item()
                    else:
                        m_ops, m_params, next_dict = dfs_count(m, prefix=prefix + "\t")
                    ret_dict[n] = (m_ops, m_params, next_dict)
                    total_ops += m_ops
                    total_params += m_params
                return total_ops, total_params, ret_dict
            total_ops, total_params, ret_dict = dfs_count(model)
            model.train(prev_training_status)
            for m, (op_handler,) in handler_collection.items():
                op_handler.remove()
                m._buffers.pop("total_ops")
                m._buffers.pop("total_params")
            return total_ops, total_params

        net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=2),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        macs, params = profile(net, inputs=(torch.randn(1, 3, 16, 16),))
        print(macs, params, 'total_ops' in dict(net.named_buffers()), net[0].__dict__.get('total_ops'))
        def clever_format(nums, format="%.2f"):
            clever_nums = []
            for num in nums:
                if num > 1e12:
                    clever_nums.append(format % (num / 1e12) + "T")
                elif num > 1e9:
                    clever_nums.append(format % (num / 1e9) + "G")
                elif num > 1e6:
                    clever_nums.append(format % (num / 1e6) + "M")
                elif num > 1e3:
                    clever_nums.append(format % (num / 1e3) + "K")
                else:
                    clever_nums.append(format % num + "B")
            return tuple(clever_nums)
        print(clever_format([macs, params], "%.3f"))
        print(list(net.state_dict().keys()))

        # hook flavours: pre-hooks, kwargs, modifying outputs, prepend, always_call, global hooks
        lin = nn.Linear(3, 2)
        def pre(m, args):
            print('pre', type(args).__name__, len(args))
            return (args[0] * 2,)
        def pre_kw(m, args, kwargs):
            print('pre_kw', sorted(kwargs))
            return args, kwargs
        def post(m, args, out):
            return out + 1
        def post_kw(m, args, kwargs, out):
            print('post_kw', sorted(kwargs), out.shape)
        h1 = lin.register_forward_pre_hook(pre)
        h2 = lin.register_forward_pre_hook(pre_kw, with_kwargs=True)
        h3 = lin.register_forward_hook(post)
        h4 = lin.register_forward_hook(post_kw, with_kwargs=True, prepend=True)
        xin = torch.ones(1, 3)
        out = lin(xin)
        print(torch.allclose(out, F.linear(xin * 2, lin.weight, lin.bias) + 1))
        print(list(lin._forward_hooks.keys()) == [h4.id, h3.id], list(lin._forward_pre_hooks_with_kwargs.keys()) == [h2.id])
        for h in (h1, h2, h3, h4):
            h.remove()
        h1.remove()
        print(len(lin._forward_hooks), len(lin._forward_pre_hooks), len(lin._forward_hooks_with_kwargs))
        with lin.register_forward_hook(lambda m, i, o: print('ctx hook')):
            lin(xin)
        lin(xin)
        def bad(m, i, o):
            raise ValueError('boom')
        class Boom(nn.Module):
            def forward(self, x):
                raise RuntimeError('forward failed')
        bm = Boom()
        bm.register_forward_hook(lambda m, i, o: print('always called', o), always_call=True)
        try:
            bm(xin)
        except RuntimeError as e:
            print('RuntimeError', e)
        gh = nn.modules.module.register_module_forward_hook(lambda m, i, o: print('global', type(m).__name__))
        nn.Sequential(nn.ReLU())(xin)
        gh.remove()
        gph = torch.nn.modules.module.register_module_forward_pre_hook(lambda m, i: None)
        gph.remove()

        # backward hooks
        conv = nn.Conv2d(1, 2, 3)
        grads = []
        hb = conv.register_full_backward_hook(lambda m, gi, go: grads.append((tuple(None if g is None else g.shape for g in gi), tuple(g.shape for g in go))))
        hbp = conv.register_full_backward_pre_hook(lambda m, go: grads.append(('pre', go[0].shape)))
        xi = torch.randn(1, 1, 5, 5)
        conv(xi).sum().backward()
        print(grads)
        xi.requires_grad_()
        conv(xi).sum().backward()
        print(grads[-1])
        def scale_grad(m, gi, go):
            return (gi[0] * 0,)
        hb.remove(); hbp.remove()
        conv.register_full_backward_hook(scale_grad)
        xi.grad = None
        conv(xi).pow(2).sum().backward()
        print(xi.grad.abs().sum().item())
        # register_full_backward_hook followed by inplace op
        m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True))
        m[0].register_full_backward_hook(lambda m, gi, go: None)
        try:
            m(xi).sum().backward()
            print('no error')
        except RuntimeError as e:
            print('RuntimeError', str(e)[:200])
        # old style register_backward_hook
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            lin2 = nn.Linear(3, 2)
            lin2.register_backward_hook(lambda m, gi, go: print('old bwd', len(gi), [g is None for g in gi]))
            lin2(torch.ones(2, 3, requires_grad=True)).sum().backward()
            print([str(x.message)[:80] for x in w])
        # tensor hooks
        t = torch.ones(3, requires_grad=True)
        h = t.register_hook(lambda g: g * 3)
        (t * 2).sum().backward()
        print(t.grad)
        h.remove()
        v = t * 1
        v.retain_grad()
        v.register_hook(lambda g: print('v grad', g))
        v.sum().backward()
        print(v.grad, t.grad)
        try:
            torch.ones(2).register_hook(lambda g: g)
        except RuntimeError as e:
            print('RuntimeError', e)
        acc = []
        t.register_post_accumulate_grad_hook(lambda p: acc.append(p.grad.clone()))
        (t * 5).sum().backward()
        print(acc)
    """)


def test_training_loop_recipes(tmp_path, monkeypatch):
    """Reproducibility recipes (seeding, deterministic flags, worker_init_fn, Generators and RNG states), gradient
    checkpointing, gradient accumulation, EMA of weights by hand, label smoothing, mixup and cutmix with
    Beta and randperm, early stopping, CSV logging, k-fold cross validation with SubsetRandomSampler,
    WeightedRandomSampler and a disabled GradScaler."""
    same_program(tmp_path, monkeypatch, r"""
        import copy, csv, io, os, random
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.checkpoint import checkpoint, checkpoint_sequential
        from torch.utils.data import TensorDataset, DataLoader, SubsetRandomSampler, WeightedRandomSampler

        def seed_everything(seed=42):
            random.seed(seed)
            os.environ['PYTHONHASHSEED'] = str(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            torch.cuda.manual_seed(seed)
            torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
        seed_everything(0)
        torch.use_deterministic_algorithms(True)
        print(torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
        print(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.backends.cudnn.enabled)
        torch.use_deterministic_algorithms(True, warn_only=True)
        print(torch.is_deterministic_algorithms_warn_only_enabled())
        torch.use_deterministic_algorithms(False)
        print(torch.initial_seed())

        def seed_worker(worker_id):
            worker_seed = torch.initial_seed() % 2**32
            np.random.seed(worker_seed)
            random.seed(worker_seed)

        g = torch.Generator()
        g.manual_seed(0)
        print(g.initial_seed(), g.device)
        X = torch.randn(40, 1, 8, 8)
        y = torch.randint(0, 3, (40,))
        ds = TensorDataset(X, y)
        loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=0, worker_init_fn=seed_worker, generator=g)
        print([b[1].tolist() for b in loader][:2])
        state = g.get_state()
        a = torch.randperm(10, generator=g)
        g.set_state(state)
        print(a.tolist(), torch.equal(a, torch.randperm(10, generator=g)))
        rng_state = torch.get_rng_state()
        r1 = torch.rand(3)
        torch.set_rng_state(rng_state)
        print(torch.equal(r1, torch.rand(3)), rng_state.dtype, rng_state.shape)
        with torch.random.fork_rng():
            torch.manual_seed(123)
            inside = torch.rand(1)
        print(inside.item(), torch.rand(1).item())

        class Net(nn.Module):
            def __init__(self, use_ckpt=False):
                super().__init__()
                self.use_ckpt = use_ckpt
                self.block1 = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
                self.block2 = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(8 * 4 * 4, 3))
            def forward(self, x):
                if self.use_ckpt:
                    x = checkpoint(self.block1, x, use_reentrant=False)
                    x = checkpoint(self.block2, x, use_reentrant=False)
                else:
                    x = self.block2(self.block1(x))
                return self.head(x)

        # --- gradient checkpointing gives the same gradients
        torch.manual_seed(1)
        m1 = Net()
        m2 = copy.deepcopy(m1); m2.use_ckpt = True
        xb, yb = X[:8], y[:8]
        F.cross_entropy(m1(xb), yb).backward()
        F.cross_entropy(m2(xb), yb).backward()
        print('ckpt same grads', all(torch.allclose(p.grad, q.grad, atol=1e-6) for p, q in zip(m1.parameters(), m2.parameters())))
        print(m1.block1[1].running_mean.sub(m2.block1[1].running_mean).abs().max().item() < 1e-7)
        seq = nn.Sequential(*[nn.Linear(6, 6) for _ in range(4)])
        inp = torch.randn(3, 6, requires_grad=True)
        out = checkpoint_sequential(seq, 2, inp, use_reentrant=False)
        out.sum().backward()
        print(out.shape, inp.grad.shape, out.grad_fn is not None)
        out2 = checkpoint(lambda a, b: (a * b).sin(), inp, torch.ones(6), use_reentrant=True)
        print(out2.requires_grad)

        # --- gradient accumulation + EMA + label smoothing + early stopping + CSV logging
        torch.manual_seed(2)
        model = Net()
        ema = copy.deepcopy(model)
        for p in ema.parameters():
            p.requires_grad_(False)
        decay = 0.9
        @torch.no_grad()
        def update_ema(ema, model, decay):
            for e, m in zip(ema.parameters(), model.parameters()):
                e.mul_(decay).add_(m.detach(), alpha=1 - decay)
            for e, m in zip(ema.buffers(), model.buffers()):
                e.copy_(m)
        @torch.no_grad()
        def update_ema_lerp(ema, model, decay):
            ema_p = list(ema.parameters()); model_p = list(model.parameters())
            torch._foreach_lerp_(ema_p, model_p, 1 - decay)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        accum = 2
        log = io.StringIO()
        writer = csv.writer(log)
        writer.writerow(['epoch', 'step', 'loss', 'lr'])
        best, patience, bad = float('inf'), 1, 0
        best_state = None
        train_idx, val_idx = list(range(32)), list(range(32, 40))
        train_loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler(train_idx, generator=torch.Generator().manual_seed(4)))
        val_loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler(val_idx))
        for epoch in range(3):
            model.train()
            optimizer.zero_grad(set_to_none=True)
            for i, (xb, yb) in enumerate(train_loader):
                if i >= 4:
                    break
                loss = criterion(model(xb), yb) / accum
                loss.backward()
                if (i + 1) % accum == 0:
                    torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
                    optimizer.step()
                    optimizer.zero_grad()
                    update_ema(ema, model, decay)
                    writer.writerow([epoch, i, f'{loss.item() * accum:.5f}', optimizer.param_groups[0]['lr']])
            model.eval()
            with torch.no_grad():
                val = sum(F.cross_entropy(model(xb), yb, reduction='sum').item() for xb, yb in val_loader) / len(val_idx)
            print(f'epoch {epoch} val {val:.5f}')
            if val < best - 1e-4:
                best, bad = val, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= patience:
                    print('early stopping at epoch', epoch)
                    break
        print(log.getvalue().strip().replace('\r', ''))
        rows = list(csv.DictReader(io.StringIO(log.getvalue())))
        print(len(rows), rows[0]['loss'])
        model.load_state_dict(best_state)
        ema2 = copy.deepcopy(model)
        update_ema_lerp(ema2, Net(), 0.5)
        print(sum(p.sum() for p in ema2.parameters()).item() != 0)
        print(f'{ema.head[2].weight.sum().item():.4g}')

        # label smoothing by hand vs builtin
        logits = torch.randn(5, 4, requires_grad=True)
        tgt = torch.tensor([0, 3, 1, 1, 2])
        eps = 0.2
        logp = F.log_softmax(logits, -1)
        manual = (-(1 - eps) * logp.gather(1, tgt[:, None]).squeeze(1) - eps * logp.mean(-1)).mean()
        builtin = F.cross_entropy(logits, tgt, label_smoothing=eps)
        print('ls', round(manual.item(), 6), round(builtin.item(), 6))
        smooth = torch.full((5, 4), eps / 4).scatter_(1, tgt.unsqueeze(1), 1 - eps + eps / 4)
        print('soft', round(F.cross_entropy(logits, smooth).item(), 6), round(torch.sum(-smooth * logp, -1).mean().item(), 6))
        w = torch.tensor([1., 2., 0.5, 1.])
        print('w', round(F.cross_entropy(logits, tgt, weight=w, label_smoothing=eps).item(), 6))
        one_hot = F.one_hot(tgt, num_classes=4).float()
        print(one_hot.dtype, one_hot.sum().item())

        # --- mixup / cutmix by hand
        torch.manual_seed(3)
        beta = torch.distributions.Beta(torch.tensor([0.4]), torch.tensor([0.4]))
        lam = beta.sample().item()
        print('lam', round(lam, 6))
        xb, yb = X[:8], y[:8]
        index = torch.randperm(xb.size(0))
        mixed_x = lam * xb + (1 - lam) * xb[index, :]
        y_a, y_b = yb, yb[index]
        out = model(mixed_x)
        loss = lam * F.cross_entropy(out, y_a) + (1 - lam) * F.cross_entropy(out, y_b)
        print('mixup', round(loss.item(), 5), index.tolist())
        lam2 = np.random.beta(1.0, 1.0)
        def rand_bbox(size, lam):
            W, H = size[2], size[3]
            cut_rat = np.sqrt(1. - lam)
            cut_w = int(W * cut_rat)
            cut_h = int(H * cut_rat)
            cx = np.random.randint(W)
            cy = np.random.randint(H)
            bbx1 = np.clip(cx - cut_w // 2, 0, W)
            bby1 = np.clip(cy - cut_h // 2, 0, H)
            bbx2 = np.clip(cx + cut_w // 2, 0, W)
            bby2 = np.clip(cy + cut_h // 2, 0, H)
            return bbx1, bby1, bbx2, bby2
        rand_index = torch.randperm(xb.size()[0])
        bbx1, bby1, bbx2, bby2 = rand_bbox(xb.size(), lam2)
        xc = xb.clone()
        xc[:, :, bbx1:bbx2, bby1:bby2] = xb[rand_index, :, bbx1:bbx2, bby1:bby2]
        lam2 = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (xb.size()[-1] * xb.size()[-2]))
        print('cutmix', (bbx1, bby1, bbx2, bby2), round(float(lam2), 6), round(criterion(model(xc), yb).item() * lam2, 5))
        d = torch.distributions.Beta(0.5, 0.5)
        s = d.sample((3,))
        print(s.shape, d.mean, d.variance, d.log_prob(torch.tensor(0.3)).item(), d.concentration1)
        u = torch.distributions.Uniform(0, 1).sample()
        print(u.shape, torch.distributions.Beta(2.0, 3.0).rsample().requires_grad, torch.distributions.Beta(2.0, 3.0).entropy())

        # --- k-fold with SubsetRandomSampler
        k = 4
        idx = np.arange(len(ds))
        np.random.seed(0)
        np.random.shuffle(idx)
        folds = np.array_split(idx, k)
        results = {}
        for fold in range(k):
            val_ids = folds[fold]
            tr_ids = np.concatenate([folds[j] for j in range(k) if j != fold])
            train_sub = SubsetRandomSampler(tr_ids)
            test_sub = SubsetRandomSampler(val_ids)
            trl = DataLoader(ds, batch_size=10, sampler=train_sub)
            tel = DataLoader(ds, batch_size=10, sampler=test_sub)
            torch.manual_seed(fold)
            net = Net()
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            for xb, yb in trl:
                opt.zero_grad()
                F.cross_entropy(net(xb), yb).backward()
                opt.step()
            correct = total = 0
            net.eval()
            with torch.no_grad():
                for xb, yb in tel:
                    _, predicted = torch.max(net(xb).data, 1)
                    total += yb.size(0)
                    correct += (predicted == yb).sum().item()
            results[fold] = 100.0 * (correct / total)
            print(f'Fold {fold}: {len(train_sub)} train, {len(test_sub)} val, acc {results[fold]:.2f} %')
        print(f'Average: {sum(results.values()) / len(results.items()):.2f} %')

        # --- class-weighted sampling
        counts = torch.bincount(y, minlength=3)
        class_weights = 1. / counts.float()
        sample_weights = class_weights[y]
        sampler = WeightedRandomSampler(weights=sample_weights, num_samples=len(sample_weights), replacement=True)
        sl = DataLoader(ds, batch_size=10, sampler=sampler)
        seen = torch.cat([b[1] for b in sl])
        print(counts.tolist(), seen.shape, torch.bincount(seen, minlength=3).tolist())
        ws = WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False)
        print(sorted(list(ws)), len(ws))
        try:
            WeightedRandomSampler([0.1, 0.9], 5, replacement=False).__iter__().__next__()
        except RuntimeError as e:
            print('RuntimeError', e)
        try:
            WeightedRandomSampler(torch.ones(2, 2), 2)
        except ValueError as e:
            print('ValueError', e)

        # --- mixed precision switched off (torchless has no bfloat16 kernels to autocast to)
        model.eval()
        with torch.autocast('cpu', enabled=False):
            out = model(X[:2])
            print(out.dtype, torch.is_autocast_enabled('cpu'))
        scaler = torch.amp.GradScaler('cpu', enabled=False)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        loss = F.cross_entropy(model(X[:4]), y[:4])
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        print(scaler.get_scale(), scaler.is_enabled(), scaler.scale(loss) is loss)
        torch.save({'ema': ema.head[2].weight.detach(), 'out': out.float().detach(), 'manual': manual.detach(), 'seen': seen}, 'results.pt')
    """)


def test_weight_averaging_checkpointed_dropout_seeded_workers_and_deep_dream_ops(tmp_path, monkeypatch):
    """AveragedModel EMA and SWA with SWALR and update_bn, EMA by lerp_, checkpoint replaying dropout's randomness,
    seeded DataLoader workers, and DeepDream/Lucid-style image ops (roll jitter, octave resizing with
    antialiasing, Gaussian blur with reflect padding, Fourier-space scaling, quantile clipping)."""
    same_program(tmp_path, monkeypatch, r"""
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn, get_ema_avg_fn
        from torch.utils.checkpoint import checkpoint
        from torch.utils.data import TensorDataset, DataLoader

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
        ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
        ema2 = AveragedModel(model, avg_fn=get_ema_avg_fn(0.8), use_buffers=True)
        swa_model = AveragedModel(model)
        print(ema_model)
        print(ema_model.n_averaged, [n for n, _ in ema_model.named_buffers()])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy='cos')
        X = torch.randn(16, 4); Y = torch.randint(0, 2, (16,))
        loader = DataLoader(TensorDataset(X, Y), batch_size=8)
        for epoch in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()
                ema_model.update_parameters(model)
                ema2.update_parameters(model)
            swa_model.update_parameters(model)
            swa_sched.step()
            print(epoch, swa_sched.get_last_lr(), ema_model.n_averaged.item(), swa_model.n_averaged)
        update_bn(loader, swa_model)
        print(swa_model.module[1].running_mean.numpy().round(4), swa_model.module[1].momentum)
        ema_model.eval()
        print(ema_model(X[:2]).detach().numpy().round(4))
        print(list(ema_model.state_dict().keys())[:3], ema2.module[1].num_batches_tracked)

        # EMA by hand with lerp_ and mul_/add_(alpha=)
        shadow = {k: v.detach().clone() for k, v in model.state_dict().items() if v.dtype.is_floating_point}
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if k in shadow:
                    shadow[k].lerp_(v, 0.1)
            for k, v in model.named_parameters():
                shadow[k].mul_(0.99).add_(v, alpha=0.01)
            w = torch.lerp(torch.zeros(3), torch.ones(3), torch.tensor([0.1, 0.5, 0.9]))
        print(w, shadow['0.weight'].sum().item() == shadow['0.weight'].sum().item())

        # checkpoint keeps dropout's RNG: same gradients as without
        torch.manual_seed(5)
        block = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.ReLU(), nn.Linear(16, 1))
        xin = torch.randn(6, 4, requires_grad=True)
        torch.manual_seed(9)
        out1 = block(xin).sum()
        g1 = torch.autograd.grad(out1, [xin] + list(block.parameters()))
        torch.manual_seed(9)
        out2 = checkpoint(block, xin, use_reentrant=False).sum()
        g2 = torch.autograd.grad(out2, [xin] + list(block.parameters()))
        print(torch.equal(out1, out2), all(torch.allclose(a, b) for a, b in zip(g1, g2)))
        torch.manual_seed(9)
        out3 = checkpoint(block, xin, use_reentrant=True).sum()
        out3.backward()
        print(torch.allclose(xin.grad, g1[0]), out3.item() == out1.item())
        try:
            checkpoint(block, xin)
            print('no use_reentrant accepted')
        except Exception as e:
            print(type(e).__name__, e)
        with torch.no_grad():
            r = checkpoint(block, xin, use_reentrant=False)
        print(r.requires_grad)

        # DataLoader with worker processes, seeded
        def seed_worker(worker_id):
            info = torch.utils.data.get_worker_info()
            np.random.seed(torch.initial_seed() % 2 ** 32)
        class RandDS(torch.utils.data.Dataset):
            def __len__(self):
                return 8
            def __getitem__(self, i):
                return torch.tensor([i]), torch.rand(1)
        print(torch.utils.data.get_worker_info())
        g = torch.Generator().manual_seed(1)
        dl = DataLoader(RandDS(), batch_size=2, num_workers=2, worker_init_fn=seed_worker, generator=g, shuffle=True)
        batches = [b for b in dl]
        print([b[0].view(-1).tolist() for b in batches])
        g = torch.Generator().manual_seed(1)
        dl = DataLoader(RandDS(), batch_size=2, num_workers=2, worker_init_fn=seed_worker, generator=g, shuffle=True)
        batches2 = [b for b in dl]
        print(all(torch.equal(a[1], b[1]) for a, b in zip(batches, batches2)))

        # DeepDream / lucent style ops
        torch.manual_seed(0)
        img = torch.rand(1, 3, 10, 12)
        ox, oy = np.random.randint(-2, 3, 2)
        rolled = torch.roll(img, shifts=(int(ox), int(oy)), dims=(2, 3))
        print(torch.roll(img, shifts=(ox, oy), dims=(2, 3)).shape, rolled.sum().item() - img.sum().item() < 1e-4)
        up = F.interpolate(img, scale_factor=1.4, mode='bilinear', align_corners=False, recompute_scale_factor=True)
        up2 = F.interpolate(img, scale_factor=1.4, mode='bilinear', align_corners=False)
        down = F.interpolate(img, size=(5, 7), mode='bilinear', antialias=True)
        down2 = F.interpolate(img, size=(4, 5), mode='bicubic', antialias=True, align_corners=False)
        print(up.shape, up2.shape, down.shape, round(up.sum().item(), 3), round(up2.sum().item(), 3), round(down.sum().item(), 3), round(down2.sum().item(), 3))
        k = torch.tensor([1., 4., 6., 4., 1.]); k = torch.outer(k, k); k = (k / k.sum()).expand(3, 1, 5, 5)
        blur = F.conv2d(F.pad(img, (2, 2, 2, 2), mode='reflect'), k, groups=3)
        print(blur.shape, round(blur.mean().item(), 5))
        spec = torch.fft.rfft2(img)
        freqs = torch.sqrt(torch.fft.fftfreq(10)[:, None] ** 2 + torch.fft.rfftfreq(12)[None] ** 2)
        scale = 1.0 / torch.maximum(freqs, torch.tensor(1.0 / 12))
        back = torch.fft.irfft2(spec * scale, s=(10, 12), norm='ortho')
        print(spec.shape, spec.dtype, back.shape, round(back.std().item(), 4))
        sal = img.abs().amax(1)
        q = torch.quantile(sal.flatten(), 0.99)
        sal = torch.clamp(sal / q, 0, 1)
        print(round(q.item(), 5), round(sal.mean().item(), 5), np.percentile(img.numpy(), 99).round(5))
        print(torch.quantile(img, torch.tensor([0.25, 0.75]), dim=3, keepdim=True, interpolation='midpoint').shape)
        torch.save({'ema': ema_model(X[:4]).detach(), 'up': up, 'down': down, 'down2': down2, 'back': back, 'blur': blur}, 'results.pt')
    """)


def test_visualising_filters_and_feature_maps_with_matplotlib(tmp_path, monkeypatch):
    """Filters, hooked feature maps, curves, histograms and a saliency overlay drawn by matplotlib (Agg) straight from
    tensors, compared by the digest of the rendered pixels."""
    same_program(tmp_path, monkeypatch, r"""
        import hashlib
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 4, 3), nn.ReLU())

        def digest(fig):
            fig.canvas.draw()
            buf = np.asarray(fig.canvas.buffer_rgba())
            return hashlib.md5(buf.tobytes()).hexdigest()[:12]

        # filters, straight from the weight tensor
        weights = model[0].weight.data
        fig = plt.figure(figsize=(4, 3), dpi=40)
        for i, filt in enumerate(weights):
            plt.subplot(2, 3, i + 1)
            plt.imshow(filt[0, :, :].detach(), cmap='gray')
            plt.axis('off')
        print('filters', digest(fig))
        plt.close(fig)

        # feature maps of every conv collected by hooks
        outputs, names = [], []
        for name, layer in model.named_children():
            if isinstance(layer, nn.Conv2d):
                def hook(module, input, output, name=name):
                    outputs.append(output)
                    names.append(name)
                layer.register_forward_hook(hook)
        image = torch.rand(1, 1, 12, 12)
        model(image)
        processed = []
        for feature_map in outputs:
            feature_map = feature_map.squeeze(0)
            gray_scale = torch.sum(feature_map, 0)
            gray_scale = gray_scale / feature_map.shape[0]
            processed.append(gray_scale.data.cpu().numpy())
        print([fm.shape for fm in processed])
        fig = plt.figure(figsize=(3, 2), dpi=40)
        for i in range(len(processed)):
            a = fig.add_subplot(1, 2, i + 1)
            imgplot = plt.imshow(processed[i])
            a.axis("off")
            a.set_title(names[i].split('(')[0], fontsize=6)
        print('maps', digest(fig))
        plt.close(fig)

        fig, axes = plt.subplots(1, 3, figsize=(3, 1), dpi=40)
        for ax, t in zip(axes, outputs[0][0, :3]):
            ax.imshow(t.detach(), cmap='viridis', vmin=0)
            ax.set_xticks([]); ax.set_yticks([])
        print('subplots', digest(fig))
        plt.close(fig)

        # curves and histograms drawn from tensors
        losses = torch.linspace(2.3, 0.4, 20) + 0.05 * torch.randn(20)
        fig = plt.figure(figsize=(3, 2), dpi=40)
        plt.plot(losses, label='train')
        plt.plot(torch.arange(20), losses.flip(0), '--')
        plt.hist(model[0].weight.detach().flatten(), bins=10)
        plt.scatter(torch.rand(10), torch.rand(10), c=torch.randint(0, 3, (10,)))
        plt.bar(torch.arange(3), torch.tensor([1., 3., 2.]))
        plt.legend()
        print('curves', digest(fig))
        plt.close(fig)

        # saliency overlay
        x = torch.rand(1, 1, 12, 12, requires_grad=True)
        model(x).sum().backward()
        sal = x.grad.abs().squeeze()
        fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
        ax.imshow(x.detach().squeeze(), cmap='gray')
        ax.imshow(sal, cmap='hot', alpha=0.5)
        print('overlay', digest(fig))
        try:
            ax.imshow(x.squeeze())
        except RuntimeError as e:
            print('RuntimeError', e)
        plt.close(fig)
        img = torch.rand(3, 8, 8)
        fig = plt.figure(figsize=(1, 1), dpi=40)
        plt.imshow(img.permute(1, 2, 0))
        print('rgb', digest(fig))
        plt.imshow(np.transpose(img.numpy(), (1, 2, 0)))
        print('rgb2', digest(fig))
        plt.close(fig)
    """)


def test_reformer_reversible_layers_recompute_with_recorded_random_states(tmp_path, monkeypatch):
    """lucidrains' reformer_pytorch reversible layers: a Function whose backward recomputes each block with the
    forward's random states (torch.get_rng_state, fork_rng, get_device_states / set_device_states) and makes
    chunks of a detached output leaves to take their gradients."""
    same_program(tmp_path, monkeypatch, r"""
        import torch
        import torch.nn as nn
        from torch.autograd.function import Function
        from torch.utils.checkpoint import get_device_states, set_device_states

        # lucidrains' reformer_pytorch reversible layers: recompute in backward with the forward's random states
        class Deterministic(nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net = net
                self.cpu_state = None
                self.cuda_in_fwd = None
                self.gpu_devices = None
                self.gpu_states = None

            def record_rng(self, *args):
                self.cpu_state = torch.get_rng_state()
                if torch.cuda._initialized:
                    self.cuda_in_fwd = True
                    self.gpu_devices, self.gpu_states = get_device_states(*args)

            def forward(self, *args, record_rng=False, set_rng=False, **kwargs):
                if record_rng:
                    self.record_rng(*args)
                if not set_rng:
                    return self.net(*args, **kwargs)
                rng_devices = []
                if self.cuda_in_fwd:
                    rng_devices = self.gpu_devices
                with torch.random.fork_rng(devices=rng_devices, enabled=True):
                    torch.set_rng_state(self.cpu_state)
                    if self.cuda_in_fwd:
                        set_device_states(self.gpu_devices, self.gpu_states)
                    return self.net(*args, **kwargs)

        class ReversibleBlock(nn.Module):
            def __init__(self, f, g):
                super().__init__()
                self.f = Deterministic(f)
                self.g = Deterministic(g)

            def forward(self, x, f_args={}, g_args={}):
                x1, x2 = torch.chunk(x, 2, dim=2)
                y1, y2 = None, None
                with torch.no_grad():
                    y1 = x1 + self.f(x2, record_rng=self.training, **f_args)
                    y2 = x2 + self.g(y1, record_rng=self.training, **g_args)
                return torch.cat([y1, y2], dim=2)

            def backward_pass(self, y, dy, f_args={}, g_args={}):
                y1, y2 = torch.chunk(y, 2, dim=2)
                del y
                dy1, dy2 = torch.chunk(dy, 2, dim=2)
                del dy
                with torch.enable_grad():
                    y1.requires_grad = True
                    gy1 = self.g(y1, set_rng=True, **g_args)
                    torch.autograd.backward(gy1, dy2)
                with torch.no_grad():
                    x2 = y2 - gy1
                    del y2, gy1
                    dx1 = dy1 + y1.grad
                    del dy1
                    y1.grad = None
                with torch.enable_grad():
                    x2.requires_grad = True
                    fx2 = self.f(x2, set_rng=True, **f_args)
                    torch.autograd.backward(fx2, dx1, retain_graph=True)
                with torch.no_grad():
                    x1 = y1 - fx2
                    del y1, fx2
                    dx2 = dy2 + x2.grad
                    del dy2
                    x2.grad = None
                    x = torch.cat([x1, x2.detach()], dim=2)
                    dx = torch.cat([dx1, dx2], dim=2)
                return x, dx

        class _ReversibleFunction(Function):
            @staticmethod
            def forward(ctx, x, blocks, kwargs):
                ctx.kwargs = kwargs
                for block in blocks:
                    x = block(x, **kwargs)
                ctx.y = x.detach()
                ctx.blocks = blocks
                return x

            @staticmethod
            def backward(ctx, dy):
                y = ctx.y
                kwargs = ctx.kwargs
                for block in ctx.blocks[::-1]:
                    y, dy = block.backward_pass(y, dy, **kwargs)
                return dy, None, None

        class ReversibleSequence(nn.Module):
            def __init__(self, blocks):
                super().__init__()
                self.blocks = nn.ModuleList([ReversibleBlock(f, g) for f, g in blocks])

            def forward(self, x, arg_route=(True, True), **kwargs):
                f_args, g_args = map(lambda route: kwargs if route else {}, arg_route)
                block_kwargs = {'f_args': f_args, 'g_args': g_args}
                return _ReversibleFunction.apply(x, self.blocks, block_kwargs)

        def ff(dim):
            return nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim * 2), nn.GELU(), nn.Dropout(0.3), nn.Linear(dim * 2, dim))

        torch.manual_seed(0)
        dim = 4
        rev = ReversibleSequence([(ff(dim), ff(dim)) for _ in range(2)])
        x = torch.randn(2, 3, dim * 2, requires_grad=True)
        torch.manual_seed(1)
        out = rev(x)
        print(out.shape, out.grad_fn.__class__.__name__, round(out.sum().item(), 4))
        (out ** 2).sum().backward()
        print(x.grad.shape, round(x.grad.abs().sum().item(), 4))
        print(get_device_states(x, [x], 3), torch.cuda._initialized)
        # the same network run plainly with the same masks gives the same gradients
        def plain(x):
            for block in rev.blocks:
                x1, x2 = torch.chunk(x, 2, dim=2)
                torch.set_rng_state(block.f.cpu_state)
                y1 = x1 + block.f.net(x2)
                torch.set_rng_state(block.g.cpu_state)
                y2 = x2 + block.g.net(y1)
                x = torch.cat([y1, y2], dim=2)
            return x
        x2 = x.detach().clone().requires_grad_()
        grads = [p.grad.clone() for p in rev.parameters()]
        rev.zero_grad()
        (plain(x2) ** 2).sum().backward()
        print(torch.allclose(x.grad, x2.grad, atol=1e-5), all(torch.allclose(a, p.grad, atol=1e-5) for a, p in zip(grads, rev.parameters())))
        torch.save({'xgrad': x.grad, 'out': out.detach()}, 'results.pt')
    """)
