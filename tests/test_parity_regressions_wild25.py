"""Differences from PyTorch found by running whole CNN programs as people write them ("What is torch.nn really?"
with Lambda layers and WrappedDataLoader, the CIFAR-10 classifier, general checkpoints with optimizer and
scheduler state, transfer learning on an ImageFolder, filter and activation-map pictures, saliency and Grad-CAM,
k-fold cross-validation with early stopping, SWA and EMA of weights, weight init through apply, torchsummary-like
hook printers, device-agnostic loaders with workers, train/eval switching, VAEs and GANs) unchanged under
``python -m torchless.as_torch``, each fixed here and compared against PyTorch:

- ``torch._foreach_*`` did not exist: an EMA of weights written as timm's ``ModelEmaV3``
  (``torch._foreach_lerp_(ema_params, params, 1 - decay)``, ``_foreach_mul_``/``_foreach_add_``) and
  hand-written optimizers failed with AttributeError. Every foreach function of PyTorch 2.13 now runs its tensor
  op on each element, with PyTorch's operand forms (Number, list of Numbers, list of Tensors, 0-dim Tensor),
  return values (a tuple, or the list itself when in place) and refusals.
- Under anomaly detection, the "Traceback of forward call that caused the error" warning listed torchless's own
  frames (the op's implementation, which PyTorch's C++ does not show as Python frames) and, for a script run
  through the alias, runpy's and the runner's frames before the script's first line; it lacked PyTorch's
  "(Triggered internally at ...)" ending.
- ``F.affine_grid`` differed from PyTorch's in the last bit at about one point in six (its own linspace, and
  NumPy's batched product where PyTorch's bmm runs a plain loop for small grids and BLAS's fused multiply-adds
  for larger ones), so ``grid_sample(..., mode="nearest")`` in a spatial transformer picked other pixels at
  half-pixel positions.
- Gradient hooks on parameters fired in another order than PyTorch's where its graph has nodes torchless
  folds in: a linear layer's (and MultiheadAttention's projections') weight before its bias (PyTorch: bias,
  then the weight behind its TBackward0), Bilinear's, RMSNorm's and InstanceNorm's inputs and parameters. Nodes
  now say in which order their leaf inputs receive gradients (``Node.leaf_arrival_order``).
- ``Tensor.share_memory_()`` (and ``Module.share_memory()``) only noted the tensor as shared: processes forked
  afterwards (Hogwild training in ``mp.Process``es) changed copies, which the parent never saw, and
  ``untyped_storage().is_shared()`` was False. The values now move into an anonymous shared mapping.
- ``import torch.distributed as dist`` failed (no module): training scripts import it and guard its use with
  ``dist.is_available() and dist.is_initialized()``, ``get_world_size()`` behind such guards. It is now
  PyTorch's module before ``init_process_group`` (a one-process world since session 26: tests/test_distributed.py).
- ``torch.lgamma`` of 1 and 2 was -8.9e-16 (the Lanczos series' rounding) where PyTorch gives exactly 0, so
  ``lgamma(k + 1)`` of counts printed ``-0.0000``.
"""
import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch

torch = pytest.importorskip("torch")


class _Values:
    """A tensor's dtype, shape and values, equal to another's within float32 rounding (NaNs equal)."""

    def __init__(self, tensor):
        self.dtype, self.shape = str(tensor.dtype).split(".")[-1], tuple(tensor.shape)
        self.values = np.asarray(tensor.detach().tolist(), dtype=float)

    def __eq__(self, other):
        return (self.dtype, self.shape) == (other.dtype, other.shape) and np.allclose(
            self.values, other.values, rtol=2e-6, atol=1e-6, equal_nan=True)

    def __repr__(self):
        return f"{self.dtype}{self.shape}{self.values.tolist()}"


def described(value):
    """Tensors (in lists and tuples too) as comparable between the libraries."""
    if isinstance(value, (tuple, list)):
        return tuple(described(item) for item in value)
    return _Values(value) if hasattr(value, "dtype") and hasattr(value, "shape") else value


def _torch_foreach_names():
    return sorted(name for name in dir(torch) if name.startswith("_foreach_"))


def test_every_foreach_function_of_pytorch_exists():
    assert [name for name in _torch_foreach_names() if not callable(getattr(torchless, name, None))] == []


def _inputs(lib, dtypes=("float32", "float64"), shapes=((2, 3), (4,))):
    rng = np.random.RandomState(0)
    return [lib.from_numpy((rng.randn(*shape) * 2 + 0.5).astype(dtype)) for dtype, shape in zip(dtypes, shapes)]


_UNARY_FOREACH = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor",
                  "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt",
                  "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")


@pytest.mark.parametrize("op", _UNARY_FOREACH)
@pytest.mark.parametrize("inplace", [False, True])
def test_unary_foreach_functions(op, inplace):
    def run(lib):
        tensors = _inputs(lib)
        result = getattr(lib, f"_foreach_{op}{'_' * inplace}")(tensors)
        return type(result).__name__, (result is tensors) if inplace else None, described(result), described(tensors)

    expected = run(torch)
    assert run(torchless) == expected


_BINARY_OPERANDS = {
    "number": lambda lib, n: 2,
    "float": lambda lib, n: 0.5,
    "numbers": lambda lib, n: [2, 0.5, True][:n],
    "tensors": lambda lib, n: _inputs(lib, ("float32", "int64"), ((2, 3), (1,))),
    "0-dim tensor": lambda lib, n: lib.tensor(1.5),
}


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "clamp_min", "clamp_max", "maximum", "minimum"])
@pytest.mark.parametrize("operand", list(_BINARY_OPERANDS))
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("int32", "bool")])
@pytest.mark.parametrize("inplace", [False, True])
def test_binary_foreach_functions(op, operand, dtypes, inplace):
    def run(lib):
        tensors = _inputs(lib, dtypes)
        if dtypes[1] == "bool":
            tensors[1] = tensors[1] > 0
        call = getattr(lib, f"_foreach_{op}{'_' * inplace}")
        return outcome_named_as_torch(
            lambda: (described(call(tensors, _BINARY_OPERANDS[operand](lib, len(tensors)))), described(tensors)))

    expected = run(torch)
    assert run(torchless) == expected


@pytest.mark.parametrize("op", ["add", "sub"])
@pytest.mark.parametrize("inplace", [False, True])
def test_foreach_add_and_sub_take_alpha_with_tensor_operands(op, inplace):
    def run(lib):
        tensors = _inputs(lib)
        result = getattr(lib, f"_foreach_{op}{'_' * inplace}")(tensors, _inputs(lib, shapes=((1, 3), (4,))), alpha=3)
        return described(result), described(tensors)

    expected = run(torch)
    assert run(torchless) == expected


_WEIGHTS = {"number": lambda lib: 0.25, "numbers": lambda lib: [0.1, 0.9],
            "tensors": lambda lib: _inputs(lib, ("float32", "float64"), ((3,), (1,))),
            "0-dim tensor": lambda lib: lib.tensor(0.75)}


@pytest.mark.parametrize("weight", list(_WEIGHTS))
@pytest.mark.parametrize("inplace", [False, True])
def test_foreach_lerp(weight, inplace):
    def run(lib):
        tensors, ends = _inputs(lib), [t * -1 for t in _inputs(lib)]
        result = getattr(lib, f"_foreach_lerp{'_' * inplace}")(tensors, ends, _WEIGHTS[weight](lib))
        return described(result), described(tensors)

    expected = run(torch)
    assert run(torchless) == expected


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.5, [2, -1], "tensor"])
@pytest.mark.parametrize("inplace", [False, True])
def test_foreach_addcmul_and_addcdiv(op, value, inplace):
    def run(lib):
        tensors = _inputs(lib)
        values = lib.tensor([0.5, 3.0]) if value == "tensor" else value
        result = getattr(lib, f"_foreach_{op}{'_' * inplace}")(tensors, _inputs(lib), [t + 5 for t in _inputs(lib)],
                                                               values)
        return described(result), described(tensors)

    expected = run(torch)
    assert run(torchless) == expected


@pytest.mark.parametrize("call", [
    lambda lib, t: lib._foreach_norm(t),
    lambda lib, t: lib._foreach_norm(t, 1),
    lambda lib, t: lib._foreach_norm(t, float("inf"), dtype=lib.float64),
    lambda lib, t: lib._foreach_norm(t, "fro"),
    lambda lib, t: lib._foreach_norm([x.long() for x in t]),
    lambda lib, t: lib._foreach_powsum(t),
    lambda lib, t: lib._foreach_powsum(t, 3),
    lambda lib, t: lib._foreach_powsum([x.int() for x in t]),
    lambda lib, t: lib._foreach_powsum([x > 0 for x in t]),
    lambda lib, t: lib._foreach_max(t),
    lambda lib, t: lib._foreach_max([t[0], lib.ones(0)]),
    lambda lib, t: lib._foreach_clone(t),
    lambda lib, t: lib._foreach_mm([t[0]], [t[0].t()]),
    lambda lib, t: lib._foreach_pow(2.0, t),
    lambda lib, t: (lib._foreach_zero_(t) is t, t),
    lambda lib, t: (lib._foreach_copy_(t, [x + 1 for x in t]) is t, t),
    lambda lib, t: lib._foreach_add(t, t[:1]),
    lambda lib, t: lib._foreach_add([], []),
    lambda lib, t: lib._foreach_mul(t, [1, 2, 3]),
    lambda lib, t: lib._foreach_mul(t, lib.ones(2)),
    lambda lib, t: lib._foreach_addcmul(t, t, t, lib.tensor(2.0)),
    lambda lib, t: lib._foreach_addcdiv(t, t, t, [1.0]),
    lambda lib, t: lib._foreach_sub([x > 0 for x in t], 1),
    lambda lib, t: lib._foreach_sqrt_([x.long() for x in t]),
    lambda lib, t: lib._foreach_lerp_([x.long() for x in t], [x.long() for x in t], 0.5),
    lambda lib, t: lib._foreach_clamp_min_([x.int() for x in t], 1.5),
    lambda lib, t: lib._foreach_maximum_([x.long() for x in t], lib.tensor(1.5)),
    lambda lib, t: lib._foreach_clamp_max_([x.byte() for x in t], [0.5, 1.5]),
    lambda lib, t: lib._foreach_minimum_([x.short() for x in t], [x * 0.5 for x in t]),
    lambda lib, t: lib._foreach_add_([x.char() for x in t], lib.tensor(1.5)),
])
def test_foreach_reductions_copies_and_refusals(call):
    def run(lib):
        return outcome_named_as_torch(lambda: described(call(lib, _inputs(lib))))

    expected = run(torch)
    assert run(torchless) == expected


def test_foreach_results_keep_the_graph_and_in_place_forms_check_leaves():
    def run(lib):
        params = [t.requires_grad_() for t in _inputs(lib)]
        norms = lib._foreach_norm(lib._foreach_mul(params, 3.0))
        lib.stack(norms).sum().backward()
        refused = outcome_named_as_torch(lambda: lib._foreach_mul_(params, 2.0))
        return described([p.grad for p in params]), refused

    expected = run(torch)
    assert run(torchless) == expected


def test_an_exponential_moving_average_of_weights_as_timm_writes_it():
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Flatten(),
                                  lib.nn.Linear(2 * 4 * 4, 3))
        ema = [p.detach().clone() for p in model.state_dict().values()]
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            model(lib.randn(4, 1, 6, 6)).square().mean().backward()
            optimizer.step()
            with lib.no_grad():
                current = list(model.state_dict().values())
                floats = [i for i, t in enumerate(ema) if t.is_floating_point()]
                lib._foreach_lerp_([ema[i] for i in floats], [current[i] for i in floats], 1 - 0.9)
                lib._foreach_mul_([ema[i] for i in floats], 0.999)
                lib._foreach_add_([ema[i] for i in floats], [current[i] for i in floats], alpha=0.001)
        return described(ema)

    expected = run(torch)
    assert run(torchless) == expected


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_lgamma_is_exactly_zero_at_one_and_two(dtype):
    values = [1, 2, 3, 0.5, 1.5, -0.5, 10]
    expected = torch.lgamma(torch.tensor(values, dtype=getattr(torch, dtype)))
    actual = torchless.lgamma(torchless.tensor(values, dtype=getattr(torchless, dtype)))
    assert str(actual) == str(expected).replace("torch.", "torchless.")
    assert np.signbit(actual.numpy()).tolist() == np.signbit(expected.numpy()).tolist()
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-6)


def test_anomaly_traceback_shows_the_scripts_frames_only(tmp_path):
    from helpers import same_script_output

    same_script_output(tmp_path, """\
        import warnings
        import torch

        def ratio(z):
            return (z * 2) / z

        def loss_of(z):
            return ratio(z).sum()

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with torch.autograd.detect_anomaly():
                z = torch.zeros(2, requires_grad=True)
                try:
                    loss_of(z).backward()
                except RuntimeError as error:
                    print(error)
        for warning in caught[1:]:
            print(str(warning.message), warning.category.__name__)
        """)


@pytest.mark.parametrize("size", [(1, 1, 28, 28), (2, 3, 12, 5), (3, 1, 7, 9), (2, 1, 64, 48), (1, 1, 1, 40),
                                  (2, 1, 3, 4, 5), (1, 2, 6, 10, 12), (2, 1, 1, 2, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_affine_grid_is_pytorchs_to_the_last_bit(size, align_corners, dtype):
    """torch.linspace's base grid and bmm's summation (its own loop for small grids, BLAS's fused multiply-adds
    for larger ones), so that grid_sample's nearest mode picks the same pixels at half-pixel positions."""
    rng = np.random.RandomState(len(size) * 100 + size[-1])
    rows = len(size) - 2
    theta = (np.eye(rows, rows + 1) + rng.choice([0.1, 0.2, 0.3, 0.5], size=(size[0], rows, rows + 1))
             * rng.randn(size[0], rows, rows + 1).round(1)).astype(dtype)
    image = rng.rand(*size).astype(dtype)

    def run(lib):
        grid = lib.nn.functional.affine_grid(lib.from_numpy(theta), size, align_corners=align_corners)
        nearest = lib.nn.functional.grid_sample(lib.from_numpy(image), grid, mode="nearest",
                                                align_corners=align_corners)
        return grid.numpy(), nearest.numpy()

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size grid warning, compared elsewhere
        expected, actual = run(torch), run(torchless)
    for theirs, ours in zip(expected, actual):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def _hook_order(lib, make_layer, shapes):
    """The order in which the gradient hooks of a layer's parameters and of its leaf inputs fire."""
    lib.manual_seed(0)
    layer, order = make_layer(lib.nn), []
    for name, parameter in layer.named_parameters():
        parameter.register_hook(lambda grad, name=name: order.append(name))
    inputs = [lib.randn(*shape, requires_grad=True) for shape in shapes]
    for position, leaf in enumerate(inputs):
        leaf.register_hook(lambda grad, position=position: order.append(f"input{position}"))
    output = layer(*inputs)
    output = output[0] if isinstance(output, tuple) else output
    (output * lib.ones_like(output).cumsum(-1)).sum().backward()
    return order


@pytest.mark.parametrize("make_layer, shapes", [
    *[(lambda nn, bias=bias: nn.Linear(3, 2, bias=bias), [shape]) for bias in (True, False)
      for shape in [(3,), (4, 3), (0, 3), (2, 4, 3), (2, 1, 2, 3)]],
    (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)), [(2, 1, 4, 4)]),
    (lambda nn: nn.MultiheadAttention(4, 2, batch_first=True), [(2, 3, 4)] * 3),
    *[(lambda nn, bias=bias: nn.Bilinear(4, 4, 3, bias=bias), [shape, shape]) for bias in (True, False)
      for shape in [(4,), (2, 4), (2, 2, 4)]],
    *[(lambda nn, shape=shape: nn.RMSNorm(shape[-1]), [shape]) for shape in [(3,), (2, 3), (2, 2, 3)]],
    (lambda nn: nn.RMSNorm(3, elementwise_affine=False), [(2, 3)]),
    *[(lambda nn, track=track: nn.InstanceNorm2d(2, affine=True, track_running_stats=track), [(2, 2, 3, 3)])
      for track in (False, True)],
    (lambda nn: nn.InstanceNorm1d(2, affine=True), [(2, 3)]),
    (lambda nn: nn.InstanceNorm3d(2, affine=True), [(1, 2, 2, 2, 2)]),
    (lambda nn: nn.Conv2d(1, 2, 2), [(1, 1, 3, 3)]),
    (lambda nn: nn.BatchNorm1d(3), [(4, 3)]),
    (lambda nn: nn.LayerNorm(3), [(4, 3)]),
])
def test_parameter_gradient_hooks_fire_in_pytorchs_order(make_layer, shapes):
    """PyTorch runs a leaf's AccumulateGrad as soon as it is ready: a linear layer's bias before its weight (behind
    its TBackward0), which logging and gradient-surgery hooks see."""
    assert _hook_order(torchless, make_layer, shapes) == _hook_order(torch, make_layer, shapes)


def _add_one(tensors):
    for tensor in tensors:
        tensor.add_(1)


def _shared_memory_record(lib):
    """Tensors and a module put in shared memory, then changed by a forked process: what this process sees."""
    import multiprocessing

    lib.manual_seed(0)
    base = lib.zeros(4)
    view, other_view, expanded = base[1:3], base[::2], lib.zeros(1).expand(3)
    tensors = [lib.zeros(2, 3), lib.empty_strided((2, 3), (1, 2)).fill_(0), lib.zeros(2, dtype=lib.int64), view,
               lib.tensor([True, False]), expanded, base, other_view]
    for tensor in tensors[:6]:
        assert tensor.share_memory_() is tensor
    model = lib.nn.Linear(2, 2)
    model.weight.grad = lib.zeros(2, 2)
    model.share_memory()
    changed = [*tensors[:4], model.weight.data, model.weight.grad, model.bias.data]
    child = multiprocessing.get_context("fork").Process(target=_add_one, args=(changed,))
    child.start()
    child.join()
    return child.exitcode, [(t.is_shared(), t.untyped_storage().is_shared(), tuple(t.stride()), t.tolist())
                            for t in [*tensors, model.weight, model.weight.grad, model.bias]]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_share_memory_is_seen_by_forked_processes():
    """Hogwild training (pytorch/examples' mnist_hogwild): processes forked after ``model.share_memory()`` train
    the parent's parameters. share_memory_ only noted the tensor as shared, so the children trained copies."""
    assert _shared_memory_record(torchless) == _shared_memory_record(torch)


_DISTRIBUTED_CALLS = [
    lambda dist, lib: dist.is_available(),
    lambda dist, lib: dist.is_initialized(),
    lambda dist, lib: dist.is_torchelastic_launched(),
    lambda dist, lib: dist.get_rank(),
    lambda dist, lib: dist.get_world_size(),
    lambda dist, lib: dist.get_backend(),
    lambda dist, lib: dist.barrier(),
    lambda dist, lib: dist.all_reduce(lib.ones(2), op=dist.ReduceOp.SUM),
    lambda dist, lib: dist.all_gather([lib.zeros(2)], lib.ones(2)),
    lambda dist, lib: dist.all_gather_object([None], {"loss": 1.0}),
    lambda dist, lib: dist.broadcast(lib.ones(2), 0),
    lambda dist, lib: dist.reduce(lib.ones(2), 0),
    lambda dist, lib: dist.new_group([0]),
    lambda dist, lib: dist.destroy_process_group(),
    lambda dist, lib: dist.get_global_rank(None, 0),
    lambda dist, lib: (dist.group.WORLD, dist.GroupMember.WORLD, dist.GroupMember.NON_GROUP_MEMBER),
    lambda dist, lib: (str(dist.ReduceOp.SUM), repr(dist.ReduceOp.MAX), list(dist.ReduceOp.RedOpType.__members__)),
    lambda dist, lib: (dist.Backend.GLOO, dist.Backend.NCCL, dist.Backend("GLOO")),
]


@pytest.mark.parametrize("call", _DISTRIBUTED_CALLS)
def test_torch_distributed_before_any_process_group(call):
    """Training scripts import torch.distributed and guard its use (``dist.is_available() and
    dist.is_initialized()``): the module was missing, so they failed at the import."""
    import torch.distributed

    import torchless.distributed

    def run(dist, lib):
        return outcome_named_as_torch(lambda: call(dist, lib))

    assert run(torchless.distributed, torchless) == run(torch.distributed, torch)


def test_torch_distributed_is_an_attribute_and_refuses_a_world_of_several_processes(tmp_path):
    assert torchless.distributed is __import__("torchless.distributed").distributed
    with pytest.raises(RuntimeError, match="world_size=2"):
        torchless.distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=0, world_size=2)
    assert not torchless.distributed.is_initialized()
