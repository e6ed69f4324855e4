"""Differences from PyTorch found by running whole CNN programs as people write them (pytorch/examples' MNIST, the
CIFAR-10 and quickstart tutorials, LeNet-5 with OrderedDict, ResNet and VGG blocks, torchsummary-style tables,
Grad-CAM, saliency, DCGAN, transfer learning, SWA/EMA, distillation with gradient checkpointing, early stopping
and checkpoints) unchanged under torchless, each fixed here and compared against PyTorch:

- A non-reentrant ``torch.utils.checkpoint.checkpoint`` (and ``checkpoint_sequential``) ran its function once:
  PyTorch runs it again when backward first needs what it saved, once per backward, with the forward's random
  state, stopping (``early_stop``) after the op that saves the last tensor. The rerun's side effects were missing:
  batch norm's running statistics and ``num_batches_tracked`` were updated once per step instead of twice (eval
  results differed after training with checkpointing), forward hooks and code in the function ran once; and
  saved_tensors_hooks around the checkpoint did not see its tensor arguments, which PyTorch saves for the rerun.
- The ``grad_fn`` of a module output with full backward hooks was a ``_HookOutput``: ``type(grad_fn).__name__``
  (graph drawings) and its repr are PyTorch's ``torch.autograd.function.BackwardHookFunctionBackward``.
"""
import pytest

import torchless

torch = pytest.importorskip("torch")


class _Block:
    """conv -> batch norm -> relu -> dropout, recording the calls of its forward, its hooks and batch norm's."""

    def __init__(self, lib):
        lib.manual_seed(0)
        nn = lib.nn
        self.calls = []
        self.conv, self.bn, self.drop = nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Dropout(0.5)
        self.bn.register_forward_hook(lambda *_: self.calls.append("bn hook"))
        self.lib = lib

    def __call__(self, x):
        self.calls.append("forward")
        y = self.drop(self.lib.relu(self.bn(self.conv(x))))
        self.calls.append("after the last save")
        return y * 2.0

    def state(self):
        calls, self.calls = self.calls, []
        return calls, self.bn.num_batches_tracked.item(), self.bn.running_mean.tolist()


def _checkpoint_runs(lib, run):
    block = _Block(lib)
    x = lib.randn(2, 2, 4, 4, requires_grad=True)
    return run(lib, block, x)


def _same_runs(run):
    actual, expected = _checkpoint_runs(torchless, run), _checkpoint_runs(torch, run)
    assert len(actual) == len(expected)
    for (calls, count, mean), (calls_t, count_t, mean_t) in zip(actual, expected):
        assert (calls, count) == (calls_t, count_t)
        assert mean == pytest.approx(mean_t, rel=1e-5, abs=1e-7)


def _checkpointed(lib, block, x, **options):
    return lib.utils.checkpoint.checkpoint(block, x, use_reentrant=False, **options)


def test_non_reentrant_checkpoint_reruns_its_function_once_per_backward():
    def run(lib, block, x):
        y = _checkpointed(lib, block, x)
        states = [block.state()]
        y.sum().backward(retain_graph=True)
        states.append(block.state())
        y.sum().backward()  # a second backward recomputes again
        states.append(block.state())
        lib.autograd.grad(_checkpointed(lib, block, x).sum(), x)
        states.append(block.state())
        _checkpointed(lib, block, x)  # no backward, no rerun
        states.append(block.state())
        _checkpointed(lib, block, x.detach()).sum().backward()  # the parameters' gradients need the rerun too
        states.append(block.state())
        return states

    _same_runs(run)


def test_non_reentrant_checkpoint_early_stop_and_no_grad():
    def run(lib, block, x):
        checkpoint = lib.utils.checkpoint
        states = []
        _checkpointed(lib, block, x, early_stop=False).sum().backward()
        states.append(block.state())
        with checkpoint.set_checkpoint_early_stop(False):
            y = _checkpointed(lib, block, x)
        y.sum().backward()  # (the setting when checkpoint was called counts)
        states.append(block.state())
        with lib.no_grad():
            _checkpointed(lib, block, x)
        states.append(block.state())
        return states

    _same_runs(run)


def test_non_reentrant_checkpoint_rerun_draws_the_forwards_random_numbers():
    def run(lib):
        block = _Block(lib)
        x = lib.randn(2, 2, 4, 4, requires_grad=True)
        lib.manual_seed(1)
        y = _checkpointed(lib, block, x)
        grad, = lib.autograd.grad(y.sum(), x)
        after = lib.rand(3)  # the generator continues from where the forward left it
        lib.manual_seed(1)
        plain_grad, = lib.autograd.grad(block(x).sum(), x)
        return y.detach().numpy(), grad.numpy(), plain_grad.numpy(), after.numpy(), block.bn.running_var.numpy()

    for actual, expected in zip(run(torchless), run(torch)):
        assert actual == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_sequential_updates_batch_norm_statistics_as_pytorch(use_reentrant):
    def run(lib):
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.ReLU(), nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2),
                              nn.Linear(4, 4), nn.BatchNorm2d(2))  # the last segment ends in batch norm
        x = lib.randn(2, 2, 4, 4, requires_grad=True)
        for _ in range(2):
            lib.utils.checkpoint.checkpoint_sequential(model, 3, x, use_reentrant=use_reentrant).sum().backward()
        return [(m.num_batches_tracked.item(), m.running_mean.tolist(), m.running_var.tolist())
                for m in model if isinstance(m, nn.BatchNorm2d)]

    actual, expected = run(torchless), run(torch)
    for (count, mean, var), (count_t, mean_t, var_t) in zip(actual, expected):
        assert count == count_t
        assert mean == pytest.approx(mean_t, rel=1e-5, abs=1e-7)
        assert var == pytest.approx(var_t, rel=1e-5, abs=1e-7)


def test_grad_fn_of_a_module_output_with_full_backward_hooks_is_named_as_pytorchs():
    def describe(lib):
        layer = lib.nn.Linear(3, 2)
        layer.register_full_backward_hook(lambda *_: None)
        node = layer(lib.randn(4, 3)).grad_fn
        kind = type(node)
        return (kind.__name__, kind.__module__.replace("torchless", "torch"), node.name(),
                repr(node).split(" object at ")[0].replace("torchless", "torch"))

    assert describe(torchless) == describe(torch)


def test_saved_tensors_hooks_around_a_checkpoint_see_its_tensor_arguments():
    def run(lib):
        x, w = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        packed, unpacked = [], []

        def pack(tensor):
            packed.append(tuple(tensor.shape))
            return tensor

        def unpack(tensor):
            unpacked.append(tuple(tensor.shape))
            return tensor

        checkpoint = lib.utils.checkpoint.checkpoint
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = checkpoint(lambda a, b, k: (a * b).sin() * k, x, w, 3, use_reentrant=False)
            checkpoint(lambda a: a.exp(), lib.ones(2, 2), use_reentrant=False)
        y.sum().backward()
        return packed, unpacked, x.grad.tolist()

    actual, expected = run(torchless), run(torch)
    assert actual[:2] == expected[:2]
    assert actual[2] == pytest.approx(expected[2])
