"""inference_mode and inference tensors, against PyTorch: which tensors are inference tensors, the errors for
saving one for backward or changing one in place outside inference mode, and the mode as a decorator."""
import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome, state_dict_from_torch

torch = pytest.importorskip("torch")


def _flags(lib):
    """is_inference of tensors made in and out of the modes, and the mode switches seen inside them."""
    normal = lib.ones(3)
    with lib.no_grad():
        in_no_grad = lib.ones(3)
    with lib.inference_mode():
        made = lib.ones(3)
        computed = normal + 1
        view_of_normal, detached_normal, clone_of_normal = normal.view(3), normal.detach(), normal.clone()
        inside = (lib.is_inference_mode_enabled(), lib.is_grad_enabled())
        with lib.no_grad():
            in_nested_no_grad = lib.ones(1)
        with lib.inference_mode(False):
            nested_false = (lib.is_inference_mode_enabled(), lib.is_grad_enabled(), lib.ones(1).is_inference())
        with lib.inference_mode(mode=False):
            nested_mode_false = (lib.is_inference_mode_enabled(), lib.is_grad_enabled())
        param = lib.nn.Parameter(lib.ones(2))
    with lib.no_grad():
        with lib.inference_mode(False):
            false_in_no_grad = (lib.is_inference_mode_enabled(), lib.is_grad_enabled(), lib.ones(1).is_inference())
    return {
        "normal": normal.is_inference(), "no_grad": in_no_grad.is_inference(), "made": made.is_inference(),
        "computed": computed.is_inference(), "view_of_normal": view_of_normal.is_inference(),
        "detached_normal": detached_normal.is_inference(), "clone_of_normal": clone_of_normal.is_inference(),
        "inside": inside, "nested_no_grad": in_nested_no_grad.is_inference(), "nested_false": nested_false,
        "nested_mode_false": nested_mode_false, "param": (param.is_inference(), param.requires_grad),
        "false_in_no_grad": false_in_no_grad, "after": (lib.is_inference_mode_enabled(), lib.is_grad_enabled()),
        # out of the mode: views and detach of an inference tensor are inference tensors, clones and results not
        "view": made.view(3).is_inference(), "reshape": made.reshape(1, 3).is_inference(),
        "detach": made.detach().is_inference(), "clone": made.clone().is_inference(),
        "result": (made * 2).is_inference(), "requires_grad": made.requires_grad,
    }


def test_is_inference_in_and_out_of_the_modes():
    assert _flags(torchless) == _flags(torch)


def test_a_plain_tensor_is_not_an_inference_tensor():
    assert torchless.ones(2).is_inference() is False
    assert torchless.is_inference_mode_enabled() is False


def _inference_tensor(lib):
    with lib.inference_mode():
        return lib.ones(3)


@pytest.mark.parametrize("op", ["mul", "rmul", "matmul", "linear", "div", "exp_of_product"])
def test_saving_an_inference_tensor_for_backward_raises(op):
    def call(lib):
        x, w = _inference_tensor(lib), lib.ones(3, requires_grad=True)
        if op == "mul":
            return x * w
        if op == "rmul":
            return w * x
        if op == "matmul":
            return x @ w
        if op == "linear":
            return lib.nn.functional.linear(x.view(1, 3), w.view(1, 3))
        if op == "div":
            return w / x
        return (w * x).exp()

    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("op", ["add", "sub", "add_normal_no_grad_mul", "mul_without_grad", "clone_then_mul"])
def test_ops_that_save_no_inference_tensor_run(op):
    def call(lib):
        x, w = _inference_tensor(lib), lib.full((3,), 2.0, requires_grad=True)
        if op == "add":
            y = x + w
        elif op == "sub":
            y = w - x
        elif op == "add_normal_no_grad_mul":
            y = (x + w) * w  # the sum is a normal tensor
        elif op == "mul_without_grad":
            with lib.no_grad():
                y = x * w
            return y.is_inference(), y.requires_grad, y.tolist()
        else:
            y = x.clone() * w
        y.sum().backward()
        return y.is_inference(), y.requires_grad, y.tolist(), w.grad.tolist()

    expected, actual = outcome(lambda: call(torch)), outcome(lambda: call(torchless))
    assert not isinstance(expected, Raised), expected
    assert actual == expected


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "fill_", "copy_", "setitem", "view_add_",
                                "detach_view_add_", "add_under_no_grad", "requires_grad", "detach_requires_grad"])
def test_changing_an_inference_tensor_in_place_outside_the_mode_raises(op):
    def call(lib):
        x = _inference_tensor(lib)
        if op == "add_":
            x.add_(1)
        elif op == "mul_":
            x.mul_(2)
        elif op == "zero_":
            x.zero_()
        elif op == "fill_":
            x.fill_(3.0)
        elif op == "copy_":
            x.copy_(lib.zeros(3))
        elif op == "setitem":
            x[0] = 5.0
        elif op == "view_add_":
            x.view(3).add_(1)
        elif op == "detach_view_add_":
            x.detach().view(3).add_(1)
        elif op == "detach_requires_grad":
            x.detach().requires_grad_()
        elif op == "add_under_no_grad":
            with lib.no_grad():
                x.add_(1)
        else:
            x.requires_grad_()

    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_in_place_inside_the_mode_is_allowed():
    def call(lib):
        normal = lib.ones(3)
        with lib.inference_mode():
            x = lib.ones(3)
            x.add_(1)
            normal.add_(x)
            normal.view(3).mul_(2)
        return x.tolist(), normal.tolist(), normal._version
    assert call(torchless) == call(torch)


def test_detach_of_an_inference_tensor_may_change_in_place():
    def call(lib):
        d = _inference_tensor(lib).detach()
        d.add_(1)
        d.zero_()
        return d.is_inference(), d.tolist()
    assert call(torchless) == call(torch)


def test_a_normal_tensor_changed_by_an_inference_tensor():
    def call(lib):
        y = lib.ones(3)
        y.add_(_inference_tensor(lib))
        return y.is_inference(), y.tolist()
    assert call(torchless) == call(torch)


def test_as_a_decorator():
    def decorated(lib):
        @lib.inference_mode
        def bare():
            return lib.ones(1).is_inference(), lib.is_grad_enabled(), lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def called():
            return lib.ones(1).is_inference(), lib.is_grad_enabled()

        @lib.inference_mode(False)
        def off():
            return lib.ones(1).is_inference(), lib.is_grad_enabled()

        @lib.inference_mode(mode=False)
        def off_keyword():
            return lib.is_inference_mode_enabled(), lib.is_grad_enabled()

        with lib.no_grad():
            inside_no_grad = off(), off_keyword()
        return bare(), called(), off(), inside_no_grad, bare.__name__, lib.is_inference_mode_enabled()

    assert decorated(torchless) == decorated(torch)


def test_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with torchless.inference_mode():
            raise ValueError
    assert (torchless.is_inference_mode_enabled(), torchless.is_grad_enabled()) == (False, True)
    assert torchless.autograd.grad_mode.is_inference_mode_enabled is torchless.is_inference_mode_enabled


def _course_cnn(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(4 * 4 * 4, 3)

        def forward(self, x):
            return self.fc(self.pool(self.bn(self.conv(x)).relu()).flatten(1))
    return Net()


def test_model_evaluation_under_inference_mode_matches_no_grad():
    torch.manual_seed(0)
    theirs = _course_cnn(torch.nn).eval()
    ours = _course_cnn(torchless.nn)
    ours.load_state_dict(state_dict_from_torch(theirs))
    ours.eval()
    images = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)
    with torchless.no_grad():
        plain = ours(torchless.tensor(images))
    with torchless.inference_mode():
        inferred = ours(torchless.tensor(images))
    with torch.inference_mode():
        expected = theirs(torch.tensor(images))
    assert inferred.is_inference() and not plain.is_inference() and expected.is_inference()
    np.testing.assert_array_equal(inferred.numpy(), plain.numpy())
    np.testing.assert_allclose(inferred.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    # the parameters stay normal tensors, and training afterwards works
    assert not any(p.is_inference() for p in ours.parameters())
    ours.train()
    ours(torchless.tensor(images)).sum().backward()
    assert all(p.grad is not None for p in ours.parameters())
