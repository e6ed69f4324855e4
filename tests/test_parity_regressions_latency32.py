"""Session 32, latency32: the convolutions remember, per call_key, the array kernel a call recording nothing goes
straight to, with its arguments and the padding it skips for a channels-first input. A repeated call whose module,
weight, memory format or grad mode changed since must still give PyTorch's result."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _twins(conv_class, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, conv_class)(*args, **kwargs)
    ours = getattr(torchless.nn, conv_class)(*args, **kwargs)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _inputs(shape, seed=0, channels_last=False):
    array = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    ours, theirs = torchless.tensor(array), torch.tensor(array)
    if channels_last:
        ours, theirs = (t.contiguous(memory_format=lib.channels_last) for t, lib in ((ours, torchless), (theirs, torch)))
    return ours, theirs


def _assert_same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert (ours.grad_fn is None) == (theirs.grad_fn is None)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5, equal_nan=True)


def _both(ours_module, theirs_module, x_ours, x_theirs, context=None):
    with (context or (lambda lib: lib.no_grad()))(torchless):
        ours = ours_module(x_ours)
    with (context or (lambda lib: lib.no_grad()))(torch):
        theirs = theirs_module(x_theirs)
    _assert_same(ours, theirs)
    return ours, theirs


def _replace_weight(module, lib):
    module.weight = lib.nn.Parameter(module.weight.detach() * -2 + 0.5)


def _change_weight_in_place(module, lib):
    with lib.no_grad():
        module.weight.mul_(3).add_(-0.25)


def _infinite_weight_in_place(module, lib):
    with lib.no_grad():
        module.weight[0, 0, 0, 0] = float("inf")


def _change_stride(module, lib):
    module.stride = (2, 1)


def _change_padding(module, lib):
    module.padding = (0, 2)


def _change_dilation(module, lib):
    module.dilation = (2, 2)


def _drop_bias(module, lib):
    module.bias = None


CHANGES = [_replace_weight, _change_weight_in_place, _infinite_weight_in_place, _change_stride, _change_padding,
           _change_dilation, _drop_bias]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("shape, channels", [((1, 1, 12, 11), (1, 4)), ((1, 3, 9, 10), (3, 6)),
                                             ((2, 2, 8, 8), (2, 4))])
def test_conv2d_after_a_first_call_the_module_is_changed(change, shape, channels):
    ours, theirs = _twins("Conv2d", *channels, 3, padding=1)
    x_ours, x_theirs = _inputs(shape)
    for _ in range(2):  # the second call takes the remembered path
        _both(ours, theirs, x_ours, x_theirs)
    change(ours, torchless)
    change(theirs, torch)
    for _ in range(2):
        _both(ours, theirs, x_ours, x_theirs)


@pytest.mark.parametrize("first_channels_last", [False, True])
@pytest.mark.parametrize("shape, kwargs", [
    ((1, 3, 7, 6), dict(in_channels=3, kernel_size=3, padding=1)),
    ((2, 3, 7, 6), dict(in_channels=3, kernel_size=3, padding=3)),  # padding past the kernel's extent
    ((2, 3, 7, 6), dict(in_channels=3, kernel_size=3, padding=1, groups=3)),  # groups of one channel
    ((2, 4, 7, 6), dict(in_channels=4, kernel_size=2, padding=2)),
    ((2, 1, 7, 6), dict(in_channels=1, kernel_size=3, padding=3)),
])
@pytest.mark.parametrize("infinite", [False, True])
def test_conv2d_same_shapes_in_the_other_memory_format(first_channels_last, shape, kwargs, infinite):
    """One call_key for both layouts: the padding PyTorch's backend skips (which shows only with an infinite
    weight: NaN where an inf meets a padding zero, in a channels-first call here but not in a channels-last
    one) and the output's format follow the input of each call."""
    ours, theirs = _twins("Conv2d", out_channels=6, **kwargs)
    if infinite:
        _infinite_weight_in_place(ours, torchless)
        _infinite_weight_in_place(theirs, torch)
    for channels_last in (first_channels_last, not first_channels_last, first_channels_last):
        _both(ours, theirs, *_inputs(shape, channels_last=channels_last))


@pytest.mark.parametrize("context", [
    lambda lib: lib.enable_grad(), lambda lib: lib.inference_mode(), lambda lib: lib.no_grad()],
    ids=["enable_grad", "inference_mode", "no_grad"])
def test_conv2d_grad_mode_changes_after_a_remembered_call(context):
    ours, theirs = _twins("Conv2d", 2, 3, 3, padding=1, stride=2)
    x_ours, x_theirs = _inputs((1, 2, 9, 9))
    for _ in range(2):
        _both(ours, theirs, x_ours, x_theirs)
    y_ours, y_theirs = _both(ours, theirs, x_ours, x_theirs, context)
    assert y_ours.is_inference() == y_theirs.is_inference()
    if y_theirs.requires_grad:
        y_ours.sum().backward()
        y_theirs.sum().backward()
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_conv2d_input_requiring_grad_after_remembered_calls():
    ours, theirs = _twins("Conv2d", 1, 2, 3)
    x_ours, x_theirs = _inputs((1, 1, 6, 6))
    for _ in range(2):
        _both(ours, theirs, x_ours, x_theirs, lambda lib: lib.enable_grad())
    ours.requires_grad_(False)
    theirs.requires_grad_(False)
    _both(ours, theirs, x_ours, x_theirs, lambda lib: lib.enable_grad())
    x_ours.requires_grad_(True)
    x_theirs.requires_grad_(True)
    y_ours, y_theirs = _both(ours, theirs, x_ours, x_theirs, lambda lib: lib.enable_grad())
    y_ours.sum().backward()
    y_theirs.sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("by_keyword", [("input", "weight", "bias"), ("weight", "bias"), ("bias",), ()])
def test_functional_conv2d_by_keyword_repeated(by_keyword):
    rng = np.random.default_rng(3)
    arrays = {"input": rng.standard_normal((1, 2, 6, 5)).astype(np.float32),
              "weight": rng.standard_normal((3, 2, 2, 2)).astype(np.float32),
              "bias": rng.standard_normal(3).astype(np.float32)}

    def call(lib):
        tensors = {name: lib.tensor(value) for name, value in arrays.items()}
        positional = [tensors[name] for name in ("input", "weight", "bias") if name not in by_keyword]
        keywords = {name: tensors[name] for name in by_keyword}
        with lib.no_grad():
            return lib.nn.functional.conv2d(*positional, **keywords, padding=(1, 0))

    for _ in range(3):
        _assert_same(call(torchless), call(torch))


def test_conv3d_after_a_first_call_the_weight_is_replaced():
    ours, theirs = _twins("Conv3d", 2, 3, 2, padding=1)
    x_ours, x_theirs = _inputs((1, 2, 4, 5, 4))
    for _ in range(2):
        _both(ours, theirs, x_ours, x_theirs)
    for module, lib in ((ours, torchless), (theirs, torch)):
        module.weight = lib.nn.Parameter(module.weight.detach() + 1)
    _both(ours, theirs, x_ours, x_theirs)


def test_conv1d_and_unbatched_conv2d_repeated():
    for conv_class, shape in (("Conv1d", (1, 2, 9)), ("Conv2d", (2, 6, 7))):
        ours, theirs = _twins(conv_class, 2, 3, 3, padding=1)
        x_ours, x_theirs = _inputs(shape)
        for _ in range(3):
            _both(ours, theirs, x_ours, x_theirs)


def test_forward_hook_registered_after_remembered_calls():
    ours, theirs = _twins("Conv2d", 1, 2, 3)
    x_ours, x_theirs = _inputs((1, 1, 5, 5))
    for _ in range(2):
        _both(ours, theirs, x_ours, x_theirs)
    for module in (ours, theirs):
        module.register_forward_hook(lambda m, args, out: out * 2)
        module.register_forward_pre_hook(lambda m, args: (args[0] + 1,))
    _both(ours, theirs, x_ours, x_theirs)
