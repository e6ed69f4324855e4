"""Differences from PyTorch found by running teaching code (PyTorch's tutorials: Learn the Basics, the 60 minute
blitz, What is torch.nn really?, TensorBoard, saving and loading, transfer learning, hooks; d2l's CNN chapters;
common blog snippets) unchanged under torchless, each fixed here and compared against PyTorch where it can be:

- ``import torchvision.ops`` (``from torchvision.ops import Conv2dNormActivation``) as the first torchvision import
  failed with a circular import between ``ops.misc`` and ``models``; Conv2dNormActivation now lives in
  ``ops.misc``, as torchvision's does.
- torch.load's errors carry PyTorch's type names: a weights-only refusal is an ``UnpicklingError`` (was
  ``CheckpointError``), an empty file an ``EOFError`` (was ``_EmptyFileError``), a storage bound for CUDA a
  ``RuntimeError`` (was ``CheckpointError``); the types caught so far still catch them.
- A weights-only load refuses ``slice`` and ``frozenset`` as PyTorch's does, and names a refused global as PyTorch
  does: builtins bare (``GLOBAL slice``) and protocol 2's Python 2 names mapped (``range``, not ``builtins.xrange``).
- ``map_location={'cpu': 'cuda:0'}`` raises PyTorch's CUDA error for a torchless checkpoint too.
- ``Module.register_backward_hook`` (the deprecated kind guided-backprop code registers on ReLUs) was missing: its
  hooks now run on the node that made the output, with that node's gradients, PyTorch's FutureWarnings and the
  error for mixing it with full backward hooks.
- A hook on a linear layer's node (``out.grad_fn.register_hook``) saw the gradients as (input, weight, bias); it now
  sees them as PyTorch's AddmmBackward0 has them, (bias, input, weight.t()), and may replace them so.
- ``torch.version`` (``torch.version.cuda``, printed by environment checks), ``torch.xpu`` and ``torch.mps`` were
  missing; they answer as PyTorch's CPU-only build does. ``torchvision.__version__`` was missing.
- ``torch.load`` of a ``torch.jit.save`` file: PyTorch's warning that it dispatches to ``torch.jit.load``, then its
  weights-only refusal, a ``RuntimeError`` (was: not a checkpoint), or with ``weights_only=False`` the scripted module. The
  TorchScript functions' DeprecationWarnings are attributed to the library as PyTorch's are, so scripts (whose
  ``__main__`` warnings the default filters show) no longer print them.
- The grad_fn of a custom ``autograd.Function`` printed as ``<MyReLUBackward object at 0x..>``; PyTorch's is a Python
  class and prints as ``<torch.autograd.function.MyReLUBackward object at 0x..>``.
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _fresh_interpreter(code):
    """What ``code`` prints when run by a new interpreter, where nothing is imported yet."""
    source_root = os.path.dirname(os.path.dirname(torchless.__file__))  # this torchless, not an installed one
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# ---------------------------------------------------------------------------- torchvision.ops first
@pytest.mark.parametrize("statement", [
    "import torchless.vision.ops as ops",
    "from torchless.vision.ops import misc as ops",
    "import torchless.vision.models; import torchless.vision.ops as ops",
])
def test_vision_ops_importable_first(statement):
    printed = _fresh_interpreter(f"{statement}; print(ops.Conv2dNormActivation.__module__, "
                                 "ops.SqueezeExcitation.__module__)")
    assert printed == "torchless.vision.ops.misc torchless.vision.ops.misc"


# ---------------------------------------------------------------------------- torch.load's errors
def _load_outcome(lib, obj, tmp_path, **load_options):
    path = tmp_path / f"{lib.__name__}.pt"
    lib.save(obj, path)
    try:
        return "loaded", lib.load(path, **load_options)
    except Exception as error:  # noqa: BLE001 - the exception is compared
        return type(error).__name__, str(error).replace("torchless", "torch")


@pytest.mark.parametrize("make", [
    lambda lib: {"x": slice(1, 2)},
    lambda lib: {"x": frozenset([1])},
    lambda lib: {"x": range(3)},
    lambda lib: {"x": Ellipsis},
    lambda lib: [np.arange(3)],
    lambda lib: lib.nn.Linear(2, 2),
])
def test_weights_only_refusals(make, tmp_path):
    expected = _load_outcome(torch, make(torch), tmp_path)
    assert expected[0] == "UnpicklingError"
    assert _load_outcome(torchless, make(torchless), tmp_path) == expected


def test_weights_only_allows_what_pytorch_allows(tmp_path):
    obj = {"set": {1, 2}, "complex": 1 + 2j, "bytes": b"ab", "bytearray": bytearray(b"cd"), "none": None}
    assert _load_outcome(torchless, obj, tmp_path) == _load_outcome(torch, obj, tmp_path) == ("loaded", obj)
    with torchless.serialization.safe_globals([range, slice]):
        assert _load_outcome(torchless, {"r": range(3), "s": slice(2)}, tmp_path) == (
            "loaded", {"r": range(3), "s": slice(2)})


def test_refusals_still_caught_as_before(tmp_path):
    import pickle

    torchless.save(torchless.nn.Linear(2, 2), tmp_path / "m.pt")
    for kind in (pickle.UnpicklingError, RuntimeError, torchless.serialization.CheckpointError):
        with pytest.raises(kind):
            torchless.load(tmp_path / "m.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    for lib in (torch, torchless):
        with pytest.raises(EOFError) as info:
            lib.load(tmp_path / "empty.pt")
        assert (type(info.value).__name__, str(info.value)) == ("EOFError", "")


@pytest.mark.parametrize("map_location", ["cuda", "cuda:1", {"cpu": "cuda:0"}])
@pytest.mark.parametrize("torch_format", [False, True])
def test_cuda_map_location_error(map_location, torch_format, tmp_path):
    outcomes = []
    for lib, options in ((torch, {}), (torchless, {"format": "torch"} if torch_format else {})):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save({"w": lib.ones(2)}, path, **options)
        try:
            lib.load(path, map_location=map_location)
            outcomes.append("loaded")
        except RuntimeError as error:
            outcomes.append((type(error).__name__, str(error)))
    assert outcomes[0][0] == "RuntimeError"
    assert outcomes[1] == outcomes[0]


# ---------------------------------------------------------------------------- deprecated backward hooks
def _backward_hook_run(lib, make_module, make_input, replace):
    """What a register_backward_hook hook sees (shapes and values of its gradients), the FutureWarnings of the
    forward, and the input's and parameters' gradients after backward."""
    lib.manual_seed(0)
    module = make_module(lib)
    seen = []

    def hook(m, grad_input, grad_output):
        seen.append((type(m).__name__, [None if g is None else g.detach().numpy().copy() for g in grad_input],
                     [g.detach().numpy().copy() for g in grad_output]))
        if replace:
            return tuple(None if g is None else g * (i + 2) for i, g in enumerate(grad_input))

    module.register_backward_hook(hook)
    leaf = lib.tensor(np.linspace(-1, 1, int(np.prod(make_input))).reshape(make_input).astype(np.float32),
                      requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = module(leaf * 1.5 if replace else leaf)
    (out * lib.arange(out.numel()).reshape(out.shape)).sum().backward()
    grads = [leaf.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]
    return seen, [(w.category.__name__, str(w.message)) for w in caught], grads


@pytest.mark.parametrize("make_module, shape", [
    (lambda lib: lib.nn.ReLU(), (2, 3)),
    (lambda lib: lib.nn.Sigmoid(), (5,)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3, bias=False), (1, 2, 4, 4)),
    (lambda lib: lib.nn.Linear(4, 3), (2, 4)),
    (lambda lib: lib.nn.Linear(4, 3, bias=False), (3, 4)),
    (lambda lib: lib.nn.MaxPool2d(2), (1, 2, 4, 4)),
    (lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.Tanh()), (2, 4)),
])
@pytest.mark.parametrize("replace", [False, True])
def test_register_backward_hook(make_module, shape, replace):
    expected = _backward_hook_run(torch, make_module, shape, replace)
    actual = _backward_hook_run(torchless, make_module, shape, replace)
    assert actual[1] == expected[1]
    _assert_arrays_equal((actual[0], actual[2]), (expected[0], expected[2]))


def _assert_arrays_equal(actual, expected):
    if isinstance(expected, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_arrays_equal(a, e)
    else:
        assert actual == expected


def test_backward_hook_kinds_do_not_mix():
    def hook(module, grad_input, grad_output):
        return None

    messages = []
    for lib in (torch, torchless):
        deprecated, full = lib.nn.ReLU(), lib.nn.ReLU()
        deprecated.register_backward_hook(hook)
        full.register_full_backward_hook(hook)
        for register in (deprecated.register_full_backward_hook, full.register_backward_hook):
            with pytest.raises(RuntimeError) as info:
                register(hook)
            messages.append(str(info.value))
        assert (deprecated._is_full_backward_hook, full._is_full_backward_hook,
                lib.nn.ReLU()._is_full_backward_hook) == (False, True, None)
    assert messages[2:] == messages[:2]


@pytest.mark.parametrize("bias", [True, False])
def test_linear_node_hook_sees_addmm_gradients(bias):
    results = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2, bias=bias)
        x = lib.randn(4, 3, requires_grad=True)
        out = layer(x)
        seen = []

        def hook(grad_inputs, grad_outputs):
            seen.append([None if g is None else g.numpy().copy() for g in grad_inputs])
            return tuple(None if g is None else g * (i + 2) for i, g in enumerate(grad_inputs))

        out.grad_fn.register_hook(hook)
        out.sum().backward()
        results.append((seen, [x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]))
    _assert_arrays_equal(results[1], results[0])


# ---------------------------------------------------------------------------- environment checks
@pytest.mark.parametrize("expression", [
    "lib.version.cuda", "lib.version.hip", "lib.version.rocm", "lib.version.xpu", "lib.version.debug",
    "lib.version.__version__ == lib.__version__",
    "lib.xpu.is_available()", "lib.xpu.device_count()", "lib.xpu.manual_seed(0)", "lib.xpu.manual_seed_all(0)",
    "lib.xpu.empty_cache()", "lib.xpu.is_initialized()", "lib.xpu.seed()", "lib.xpu.memory_allocated()",
    "lib.xpu.is_bf16_supported()", "lib.xpu.synchronize()", "lib.xpu.current_device()", "lib.xpu.get_rng_state()",
    "lib.xpu.get_device_name()",
    "lib.mps.is_available()", "lib.mps.device_count()", "lib.mps.manual_seed(0)", "lib.mps.empty_cache()",
    "lib.mps.synchronize()", "lib.mps.seed()", "lib.mps.get_rng_state()", "lib.mps.current_allocated_memory()",
    "lib.mps.driver_allocated_memory()", "lib.mps.recommended_max_memory()",
    "lib.mps.set_per_process_memory_fraction(0.5)",
])
def test_cpu_build_environment(expression):
    import helpers

    outcomes = [helpers.outcome(lambda: eval(expression, {"lib": lib})) for lib in (torch, torchless)]
    assert outcomes[1] == outcomes[0]


def test_vision_version():
    import torchless.vision

    # torchvision's own release (the one torchless.vision follows), not PyTorch's
    assert torchless.vision.__version__.startswith(f"{torchless.version.torchvision}+torchless.")
    assert torchless.vision.__version__ >= (0, 13) and torchless.vision.__version__ < "1"


# ---------------------------------------------------------------------------- TorchScript files through torch.load
@pytest.mark.filterwarnings("ignore:`torch.jit")
def test_torch_load_of_a_torchscript_file(tmp_path):
    outcomes = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU()).eval()
        x = lib.ones(1, 3)
        path = tmp_path / f"{lib.__name__}.pt"
        lib.jit.save(lib.jit.trace(model, x), path)
        with pytest.warns(UserWarning) as caught:
            with pytest.raises(RuntimeError) as info:
                lib.load(path)
        loaded = lib.load(path, weights_only=False)
        outcomes.append(([str(w.message).replace("torchless", "torch") for w in caught if w.category is UserWarning],
                         type(info.value).__name__, str(info.value).replace("torchless", "torch"),
                         loaded(x).detach().numpy()))
    assert outcomes[1][:3] == outcomes[0][:3]
    np.testing.assert_allclose(outcomes[1][3], outcomes[0][3], rtol=1e-6)


def test_jit_deprecation_attributed_to_the_library():
    printed = _fresh_interpreter(
        "import warnings, torchless\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    torchless.jit.script(torchless.nn.ReLU())\n"
        "print(caught[0].category.__name__, caught[0].filename.endswith('_script.py'))")
    assert printed == "DeprecationWarning True"


# ---------------------------------------------------------------------------- custom Function nodes
def test_custom_function_node_repr():
    import re

    shown = []
    for lib in (torch, torchless):
        class MyReLU(lib.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                result = i.clamp(min=0)
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                result, = ctx.saved_tensors
                return grad_output * (result > 0).float()

        out = MyReLU.apply(lib.tensor([-1.0, 2.0], requires_grad=True))
        shown.append([re.sub("0x[0-9a-f]+", "0x", text.replace("torchless", "torch"))
                      for text in (repr(out.grad_fn), repr(out), out.grad_fn.name(), type(out.grad_fn).__name__)])
    assert shown[1] == shown[0]
