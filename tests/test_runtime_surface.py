"""The runtime surface PyTorch scripts touch before any CNN: devices, torch.cuda, torch.backends, compile,
determinism switches, return types, and nn.utils's gradient clipping and parameter vectors."""
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome as raw_outcome


def outcome(fn):
    """What fn() gives, comparable across the two libraries: its repr, or the exception's type name and
    message (helpers.outcome), with "torchless" read as "torch"."""
    result = raw_outcome(fn)
    if isinstance(result, Raised):
        return result.type, result.message.replace("torchless", "torch")
    return repr(result).replace("torchless", "torch")


# ---------------------------------------------------------------------------- devices
DEVICE_ARGS = [("cpu",), ("cuda",), ("cuda:0",), ("cuda:12",), ("cuda", 1), ("cpu:0",), ("mps",), ("meta",),
               ("xpu",), ("foo",), ("CUDA",), ("cuda:x",), ("cuda:-1",), ("cuda:0:1",), ("cuda:01",), ("cuda:1", 1),
               ("cpu", -1), (0,)]


@pytest.mark.parametrize("args", DEVICE_ARGS)
def test_device_parsing_matches_torch(args):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: torchless.device(*args)) == outcome(lambda: torch.device(*args))


@pytest.mark.parametrize("a, b", [("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cpu", "cpu"), ("cpu", "cuda")])
def test_device_equality_and_hash_match_torch(a, b):
    torch = pytest.importorskip("torch")
    ours, theirs = (lib.device(a) == lib.device(b) for lib in (torchless, torch))
    assert ours == theirs
    assert (torchless.ones(1).device == "cpu") == (torch.ones(1).device == "cpu")
    if ours:
        assert hash(torchless.device(a)) == hash(torchless.device(b))


def test_devices_survive_a_save_and_load(tmp_path):
    path = tmp_path / "devices.pt"
    torchless.save({"where": torchless.device("cuda", 1), "here": torchless.device("cpu")}, path)
    loaded = torchless.load(path)
    assert loaded == {"where": torchless.device("cuda:1"), "here": torchless.device("cpu")}


MOVES = {
    "tensor.to('cuda')": lambda lib: lib.ones(2).to("cuda"),
    "tensor.to(device('cuda'))": lambda lib: lib.ones(2).to(lib.device("cuda")),
    "tensor.to('cuda', non_blocking=True)": lambda lib: lib.ones(2).to("cuda", non_blocking=True),
    "tensor.to('mps')": lambda lib: lib.ones(2).to("mps"),
    "tensor.to('xpu')": lambda lib: lib.ones(2).to("xpu"),
    "tensor.cuda()": lambda lib: lib.ones(2).cuda(),
    "tensor.cuda(0)": lambda lib: lib.ones(2).cuda(0),
    "zeros(device='cuda')": lambda lib: lib.zeros(2, device="cuda"),
    "tensor(device='cuda')": lambda lib: lib.tensor([1.0], device="cuda"),
    "randn(device='cuda')": lambda lib: lib.randn(2, device="cuda"),
    "module.to('cuda')": lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    "module.cuda()": lambda lib: lib.nn.Linear(2, 2).cuda(),
    "tensor.pin_memory()": lambda lib: lib.ones(2).pin_memory(),
    "tensor.is_pinned()": lambda lib: lib.ones(2).is_pinned(),
    "tensor.to('cpu')": lambda lib: lib.ones(2).to("cpu").shape,
    "module.to(device('cpu'))": lambda lib: type(lib.nn.Linear(2, 2).to(lib.device("cpu"))).__name__,
}


@pytest.mark.parametrize("name", MOVES)
def test_moving_to_a_missing_accelerator_fails_as_in_a_cpu_only_torch(name):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: MOVES[name](torchless)) == outcome(lambda: MOVES[name](torch))


def test_data_loader_with_pinned_memory_warns_as_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torchless, torch):
        loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.ones(4, 2)), batch_size=2, pin_memory=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert len(list(loader)) == 2
        messages.append([str(w.message) for w in caught if issubclass(w.category, UserWarning)])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_the_usual_device_idiom_picks_the_cpu():
    device = torchless.device("cuda" if torchless.cuda.is_available() else "cpu")
    model = torchless.nn.Conv2d(1, 2, 3).to(device)
    assert model(torchless.ones(1, 1, 5, 5, device=device)).device == torchless.device("cpu")


# ---------------------------------------------------------------------------- torch.cuda and torch.backends
CUDA_CALLS = ["is_available()", "device_count()", "is_initialized()", "is_bf16_supported()", "manual_seed(0)",
              "manual_seed_all(0)", "seed()", "seed_all()", "empty_cache()", "memory_allocated()",
              "max_memory_allocated()", "memory_reserved()", "max_memory_reserved()", "current_device()",
              "synchronize()", "get_device_name()", "get_device_name(0)", "get_device_properties(0)", "init()",
              "initial_seed()", "get_rng_state()", "mem_get_info()", "ipc_collect()", "get_device_capability()"]


@pytest.mark.parametrize("call", CUDA_CALLS)
def test_cuda_module_answers_as_a_cpu_only_torch(call):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: eval("lib.cuda." + call, {"lib": torchless})) == \
        outcome(lambda: eval("lib.cuda." + call, {"lib": torch}))


ACCELERATOR_CALLS = ["is_available()", "device_count()", "current_accelerator()",
                     "current_accelerator(check_available=True)", "current_device_index()", "synchronize()",
                     "empty_cache()", "memory_allocated()", "set_device_index(0)", "get_memory_info()"]


@pytest.mark.parametrize("call", ACCELERATOR_CALLS)
def test_accelerator_module_answers_as_a_cpu_only_torch(call):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: eval("lib.accelerator." + call, {"lib": torchless})) == \
        outcome(lambda: eval("lib.accelerator." + call, {"lib": torch}))


@pytest.mark.parametrize("index", [-1, 0, 1])
def test_cuda_device_context(index):
    torch = pytest.importorskip("torch")

    def enter(lib):
        with lib.cuda.device(index):
            return "entered"
    assert outcome(lambda: enter(torchless)) == outcome(lambda: enter(torch))


BACKEND_QUERIES = ["cudnn.is_available()", "cudnn.enabled", "cudnn.benchmark", "cudnn.deterministic",
                   "cudnn.allow_tf32", "cudnn.version()", "mps.is_available()", "mps.is_built()", "cuda.is_built()",
                   "cuda.matmul.allow_tf32", "mkldnn.enabled", "cpu.get_cpu_capability()"]


@pytest.mark.parametrize("query", BACKEND_QUERIES)
def test_backend_queries_match_a_cpu_only_torch(query):
    torch = pytest.importorskip("torch")
    assert eval("lib.backends." + query, {"lib": torchless}) == eval("lib.backends." + query, {"lib": torch})


@pytest.mark.parametrize("requested", ["default", "avx2", "avx512"])
def test_cpu_capability_follows_a_lower_level_asked_for_in_the_environment(requested):
    """ATEN_CPU_CAPABILITY is read when PyTorch starts, so it is compared in a fresh interpreter."""
    pytest.importorskip("torch")
    code = "import {0}; print({0}.backends.cpu.get_cpu_capability())"
    env = dict(os.environ, ATEN_CPU_CAPABILITY=requested)
    answers = [subprocess.run([sys.executable, "-c", code.format(name)], env=env, capture_output=True, text=True,
                              check=True).stdout.strip() for name in ("torch", "torchless")]
    assert answers[1] == answers[0]


def test_backend_flags_can_be_set():
    cudnn = torchless.backends.cudnn
    before = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert (torchless.backends.cudnn.benchmark, torchless.backends.cudnn.deterministic) == (True, True)
    finally:
        cudnn.benchmark, cudnn.deterministic = before


# ---------------------------------------------------------------------------- compile, determinism, return types
def test_compile_returns_the_model_and_decorates():
    model = torchless.nn.Linear(3, 2)
    assert torchless.compile(model) is model
    assert torchless.compile(model, mode="reduce-overhead", fullgraph=True) is model

    @torchless.compile
    def double(x):
        return 2 * x

    @torchless.compile(dynamic=True)
    def triple(x):
        return 3 * x
    assert double(torchless.ones(2)).tolist() == [2.0, 2.0]
    assert triple(torchless.ones(2)).tolist() == [3.0, 3.0]


def test_compile_refuses_what_is_not_callable_as_torch():
    torch = pytest.importorskip("torch")
    assert outcome(lambda: torchless.compile(3)) == outcome(lambda: torch.compile(3))


@pytest.mark.parametrize("args, kwargs", [((True,), {}), ((False,), {}), ((True,), {"warn_only": True}),
                                          (("yes",), {}), ((1,), {}), ((True,), {"warn_only": 1})])
def test_use_deterministic_algorithms_matches_torch(args, kwargs):
    torch = pytest.importorskip("torch")
    try:
        results = []
        for lib in (torchless, torch):
            results.append((outcome(lambda: lib.use_deterministic_algorithms(*args, **kwargs)),
                            lib.are_deterministic_algorithms_enabled(),
                            lib.is_deterministic_algorithms_warn_only_enabled()))
        assert results[0] == results[1]
    finally:
        for lib in (torchless, torch):
            lib.use_deterministic_algorithms(False)


@pytest.mark.parametrize("call, name", [(lambda lib, x: lib.max(x, 1), "max"), (lambda lib, x: x.min(0), "min"),
                                        (lambda lib, x: x.sort(), "sort"), (lambda lib, x: x.topk(2), "topk"),
                                        (lambda lib, x: x.median(1), "median"),
                                        (lambda lib, x: lib.aminmax(x), "aminmax")])
def test_return_types_are_importable_and_checkable(call, name):
    x = torchless.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    result = call(torchless, x)
    assert isinstance(result, getattr(torchless.return_types, name))
    assert type(result).__name__ == name
    copy = pickle.loads(pickle.dumps(result))
    assert type(copy) is type(result)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(copy, result))


# ---------------------------------------------------------------------------- nn.utils
def grads_problem(lib, dtype, scale=1.0, seed=1):
    rng = np.random.default_rng(seed)
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(dtype))) for s in [(3, 4), (5,), (2, 2, 2)]]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype) * scale)
    return params


def reference_clip(grads, max_norm, p):
    """The clipped gradients and the total norm, computed in float64 from PyTorch's definition: the p-norm
    of the gradients' p-norms (the p-norm of all the values as one vector, except for p = 0, where it
    counts the gradients that have a nonzero value)."""
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    if p == float("inf"):
        total = np.abs(flat).max()
    elif p == 0:
        total = float(sum(np.count_nonzero(g) > 0 for g in grads))
    else:
        total = (np.abs(flat) ** p).sum() ** (1 / p)
    factor = min(1.0, max_norm / (total + 1e-6))
    return total, [g * factor for g in grads]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_against_the_definition(dtype, norm_type, max_norm):
    params = grads_problem(torchless, dtype)
    grads = [p.grad.numpy().copy() for p in params]
    total = torchless.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    expected_total, expected = reference_clip(grads, max_norm, norm_type)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    assert total.dtype == getattr(torchless, dtype) and total.dim() == 0
    np.testing.assert_allclose(total.item(), expected_total, rtol=rtol)
    for p, want in zip(params, expected):
        assert p.grad.dtype == getattr(torchless, dtype)
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1.5])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 50.0])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torchless, torch):
        params = grads_problem(lib, "float32", scale)
        total = lib.nn.utils.clip_grad_norm_(iter(params), 1.0, norm_type=norm_type)
        results.append((total.numpy(), [p.grad.numpy() for p in params]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    for ours, theirs in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)


def test_clip_grad_norm_edge_cases_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torchless, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            empty = lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        assert [str(w.message) for w in caught] == ["`parameters` is an empty generator, no gradient clipping will occur."]
        assert empty.item() == 0.0 and str(empty.dtype).endswith("float32")
        no_grad = lib.nn.Parameter(lib.ones(2))
        assert lib.nn.utils.clip_grad_norm_([no_grad], 1.0).item() == 0.0 and no_grad.grad is None

    def nonfinite(lib):
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.tensor([float("inf"), 1.0, 2.0])
        return lib.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert outcome(lambda: nonfinite(torchless)) == outcome(lambda: nonfinite(torch))


def test_clip_grad_value_against_the_definition():
    params = grads_problem(torchless, "float32", scale=2.0)
    grads = [p.grad.numpy().copy() for p in params]
    torchless.nn.utils.clip_grad_value_(params, 0.75)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -0.75, 0.75))
    single = torchless.nn.Parameter(torchless.ones(2))
    single.grad = torchless.tensor([-5.0, 5.0])
    torchless.nn.utils.clip_grad_value_(single, 1)
    assert single.grad.tolist() == [-1.0, 1.0]


def test_parameters_to_vector_and_back():
    model = torchless.nn.Sequential(torchless.nn.Conv2d(1, 2, 3), torchless.nn.Flatten(), torchless.nn.Linear(8, 3))
    expected = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    vector = torchless.nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(vector.detach().numpy(), expected)
    vector.sum().backward()
    assert all(np.array_equal(p.grad.numpy(), np.ones(p.shape)) for p in model.parameters())

    count = expected.size
    torchless.nn.utils.vector_to_parameters(torchless.arange(float(count)), model.parameters())
    start = 0
    for p in model.parameters():
        n = p.numel()
        np.testing.assert_array_equal(p.detach().numpy().ravel(), np.arange(start, start + n, dtype=np.float32))
        start += n
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: list$"):
        torchless.nn.utils.vector_to_parameters([1.0], model.parameters())


def test_inf_and_nan_flow_through_kernels_without_numpy_warnings():
    """As in PyTorch, inf * 0 in a convolution or log(-1) gives NaN silently: NumPy's floating-point warnings
    from torchless's own modules are filtered at import, so even -W error lets them through, while the user's
    own NumPy code still warns. (In a subprocess: pytest replaces the filters an import installs.)"""
    computes = ("import numpy as np, torchless; "
                "y = torchless.nn.Conv2d(1, 2, 3)(torchless.full((1, 1, 5, 5), float('inf'))); "
                "z = torchless.log(torchless.tensor([-1.0, 0.0])); "
                "assert torchless.isnan(y).any() and np.isnan(z[0].item()) and z[1].item() == float('-inf'); ")
    quiet = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", computes + "print('silent')"],
                           capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "silent", quiet.stderr
    user = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", computes + "np.log(np.array([-1.0]))"],
                          capture_output=True, text=True)
    assert user.returncode != 0 and "invalid value encountered in log" in user.stderr


@pytest.mark.parametrize("name", ["Tensor", "Size", "device", "dtype"])
def test_public_classes_print_as_members_of_the_package(name):
    torch = pytest.importorskip("torch")
    assert str(getattr(torchless, name)) == str(getattr(torch, name)).replace("torch.", "torchless.")
