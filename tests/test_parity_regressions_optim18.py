"""Regression tests for optim18's findings: optimizer trajectories and errors compared with PyTorch."""
import importlib

import numpy as np
import pytest
from helpers import assert_same_error, torch_rounds_as_recorded

import torchless


def _trajectory(lib, name, params, grads, options):
    """The parameters (as NumPy arrays) after each of ``name``'s steps on ``grads``; ``options(lib)`` gives the
    optimizer's keyword arguments (tensors of that library where wanted)."""
    tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = getattr(lib.optim, name)(tensors, **options(lib))
    steps = []
    for step_grads in grads:
        for tensor, grad in zip(tensors, step_grads):
            tensor.grad = lib.tensor(grad)
        optimizer.step()
        steps.append([t.detach().numpy().copy() for t in tensors])
    return steps


def _float64_problem(steps=5):
    rng = np.random.default_rng(18)
    params = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(steps)]
    return params, grads


def _assert_same_trajectory(name, options, rtol=1e-13):
    torch = pytest.importorskip("torch")
    params, grads = _float64_problem()
    expected = _trajectory(torch, name, params, grads, options)
    got = _trajectory(torchless, name, params, grads, options)
    for step, (expected_step, got_step) in enumerate(zip(expected, got)):
        for e, g in zip(expected_step, got_step):
            np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-15, err_msg=f"step {step}")


def _tensor_betas(lib):
    return (lib.tensor(0.8), lib.tensor(0.3))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_float32_tensor_betas_round_bias_corrections_as_tensor_arithmetic(name, tensor_lr, amsgrad):
    # Betas given as float32 tensors make PyTorch's bias corrections (1 - beta ** step, its square root) and step size
    # float32 tensors, a Python lr over them a reciprocal times the lr: for float64 parameters the updates differed
    # from torchless's (Python-float arithmetic) by ~2e-9 relative.
    def options(lib):
        return {"lr": lib.tensor(0.01) if tensor_lr else 0.01, "betas": _tensor_betas(lib), "amsgrad": amsgrad,
                "weight_decay": 0.1}

    if not torch_rounds_as_recorded():
        pytest.skip("PyTorch's float32 sqrt (MKL's VML) is 1 ulp off for a fifth of its inputs on this CPU: the "
                    "last bits this test follows are that kernel's own here")
    _assert_same_trajectory(name, options)


FUSED_CASES = [(name, extra, tensor_betas) for name, extra in [
    ("Adam", {}), ("Adam", {"weight_decay": 0.1}), ("AdamW", {}), ("AdamW", {"amsgrad": True})]
    for tensor_betas in (False, True)] + [
    ("Adagrad", {"lr_decay": 0.1}, False), ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1}, False)]


@pytest.mark.parametrize("name, extra, tensor_betas", FUSED_CASES)
def test_fused_kernels_take_tensor_hyperparameters_as_doubles(name, extra, tensor_betas):
    # PyTorch's fused kernels read a tensor lr (and betas) as a double and compute in double for float64 parameters,
    # where the for-loop kernel's 0-d tensor arithmetic rounds to float32: torchless's fused steps followed the
    # latter (up to 7e-8 relative for AdamW, whose decay 1 - lr * weight_decay lost most digits in float32).
    def options(lib):
        chosen = {"lr": lib.tensor(0.01), "fused": True, **extra}
        if tensor_betas:
            chosen["betas"] = _tensor_betas(lib)
        return chosen

    _assert_same_trajectory(name, options)


def _fused_sgd_after_a_missed_gradient(lib, dtypes, first_step_grads):
    """Two fused SGD steps, the first without the gradients ``first_step_grads`` leaves out: the second step's
    outcome, the parameters afterwards and which have a momentum buffer."""
    params = [lib.nn.Parameter(lib.ones(2, dtype=getattr(lib, dtype))) for dtype in dtypes]
    optimizer = lib.optim.SGD(params, lr=0.1, momentum=0.9, fused=True)
    for param, has_grad in zip(params, first_step_grads):
        param.grad = lib.ones(2, dtype=param.dtype) if has_grad else None
    optimizer.step()
    for param in params:
        param.grad = lib.ones(2, dtype=param.dtype)
    try:
        optimizer.step()
        outcome = None
    except TypeError as error:
        outcome = str(error)
    values = [round(param.detach()[0].item(), 6) for param in params]
    return outcome, values, ["momentum_buffer" in optimizer.state[param] for param in params]


@pytest.mark.parametrize("dtypes, first_step_grads", [
    (["float32"] * 3, [1, 0, 1]), (["float32"] * 3, [0, 1, 1]), (["float32", "float64", "float32"], [1, 1, 0]),
    (["float64", "float32", "float32", "float64"], [1, 1, 0, 0]),
    (["float64", "float32", "float32", "float64"], [0, 1, 1, 1]),
    (["float64", "float32", "float32", "float64"], [0, 0, 0, 0]),
])
def test_fused_sgd_refuses_a_missing_momentum_buffer_as_torch(dtypes, first_step_grads):
    # PyTorch's fused SGD makes momentum buffers only when none exists; a parameter whose first gradient came after
    # the others' has none, and the fused kernel refuses the list with a TypeError (after updating the dtype groups
    # it took first). torchless updated it as the for-loop kernel does.
    torch = pytest.importorskip("torch")
    expected = _fused_sgd_after_a_missed_gradient(torch, dtypes, first_step_grads)
    assert _fused_sgd_after_a_missed_gradient(torchless, dtypes, first_step_grads) == expected


def _clipped_float16_grads(lib, max_norm):
    rng = np.random.default_rng(16)
    params = [lib.nn.Parameter(lib.zeros(200, dtype=lib.float16)), lib.nn.Parameter(lib.zeros(3, 5))]
    for param in params:
        param.grad = lib.tensor(rng.standard_normal(param.shape) * 10).to(param.dtype)
    total_norm = lib.nn.utils.clip_grad_norm_(params, max_norm)
    return float(total_norm), [param.grad.numpy() for param in params]


@pytest.mark.parametrize("max_norm", [1.0, 0.37])
def test_clipping_scales_float16_gradients_at_float32_precision(max_norm):
    # PyTorch multiplies a float16 gradient by the 0-d clip factor computing in float32 with the factor's own value;
    # torchless rounded the factor to float16 first, a last-bit difference in a quarter of the gradient's elements.
    torch = pytest.importorskip("torch")
    expected_norm, expected = _clipped_float16_grads(torch, max_norm)
    got_norm, got = _clipped_float16_grads(torchless, max_norm)
    assert got_norm == pytest.approx(expected_norm, rel=1e-6)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


# Muon (torch.optim.Muon, new in PyTorch 2.9) was missing.

def _muon_trajectory(lib, shapes, dtype, options, steps=4, grad_free_first_step=None):
    rng = np.random.default_rng(9)
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in shapes] for _ in range(steps)]
    params = [lib.nn.Parameter(lib.tensor(value)) for value in values]
    optimizer = lib.optim.Muon(params, **options(lib))
    trajectory = []
    for step, step_grads in enumerate(grads):
        for index, (param, grad) in enumerate(zip(params, step_grads)):
            param.grad = None if step == 0 and index == grad_free_first_step else lib.tensor(grad)
        optimizer.step()
        trajectory.append([param.detach().numpy().copy() for param in params])
    return trajectory, optimizer.state_dict()


MUON_CASES = [
    ({}, [(4, 6), (6, 4)], None),
    ({"lr": 0.02, "weight_decay": 0.0, "nesterov": False}, [(9, 9)], 0),
    ({"lr": 0.02, "momentum": 0.5, "adjust_lr_fn": "match_rms_adamw", "ns_steps": 2}, [(3, 17), (17, 3)], 1),
    ({"lr": 0.01, "adjust_lr_fn": "original", "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-3}, [(5, 7)], None),
    ({"lr": "tensor", "momentum": 0.0, "ns_steps": 0}, [(8, 3)], None),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options, shapes, grad_free_first_step", MUON_CASES)
def test_muon_steps_as_torch(options, shapes, grad_free_first_step, dtype):
    torch = pytest.importorskip("torch")

    def build(lib):
        return {**options, "lr": lib.tensor(0.05)} if options.get("lr") == "tensor" else dict(options)

    expected, expected_state = _muon_trajectory(torch, shapes, dtype, build, grad_free_first_step=grad_free_first_step)
    got, got_state = _muon_trajectory(torchless, shapes, dtype, build, grad_free_first_step=grad_free_first_step)
    for expected_step, got_step in zip(expected, got):
        for e, g in zip(expected_step, got_step):
            assert g.dtype == e.dtype
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    assert got_state["param_groups"] == [{**group, "lr": got_state["param_groups"][0]["lr"]}
                                         for group in expected_state["param_groups"]]
    assert sorted(got_state["state"]) == sorted(expected_state["state"])
    for index, entry in expected_state["state"].items():
        assert list(got_state["state"][index]) == ["momentum_buffer"] == list(entry)
        np.testing.assert_allclose(got_state["state"][index]["momentum_buffer"].numpy(),
                                   entry["momentum_buffer"].numpy(), rtol=1e-6, atol=1e-7)


def test_muon_on_a_large_matrix_agrees_to_bfloat16_rounding():
    # The Newton-Schulz products are bfloat16 roundings of float32 sums; for long sums the summation order (BLAS
    # here, PyTorch's kernel there) now and then tips one value to its neighbour, which later iterations spread.
    torch = pytest.importorskip("torch")

    def options(lib):
        return {"lr": 0.02}

    expected, _ = _muon_trajectory(torch, [(64, 128)], np.float32, options)
    got, _ = _muon_trajectory(torchless, [(64, 128)], np.float32, options)
    for expected_step, got_step in zip(expected, got):
        # (a few bfloat16 steps of the update's values, which are below 1, times lr; the small matrices above check
        # the rounding exactly, and an iteration without it drifts past this bound by the third step)
        np.testing.assert_allclose(got_step[0], expected_step[0], rtol=0, atol=2 ** -7 * 0.02)


def test_bfloat16_rounding_of_the_newton_schulz_iteration_as_torch():
    torch = pytest.importorskip("torch")
    from torchless.optim._muon import _bfloat16

    rng = np.random.default_rng(3)
    values = np.concatenate([rng.standard_normal(1000).astype(np.float32) * 10.0 ** rng.integers(-40, 38, 1000),
                             np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, 3.4e38, 1.00390625, 1.01171875],
                                      np.float32)])
    expected = torch.tensor(values).bfloat16().float().numpy()
    np.testing.assert_array_equal(_bfloat16(values), expected)


@pytest.mark.parametrize("call", [
    "optim.Muon([nn.Parameter(lib.ones(3, 4)), nn.Parameter(lib.ones(3))])",
    "optim.Muon([nn.Parameter(lib.ones(()))])",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], lr=-1)",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], lr=lib.tensor([0.1, 0.2]))",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], momentum=-1)",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], weight_decay=-1)",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], adjust_lr_fn='foo')",
    "optim.Muon([nn.Parameter(lib.ones(3, 4))], foreach=True)",
    "_muon_step(lib, ns_steps=100)",
    "_muon_step(lib, ns_coefficients=(1.0, 2.0))",
    "_muon_step(lib, extra=nn.Parameter(lib.ones(3)))",
    "_muon_step(lib, extra=nn.Parameter(lib.ones(2, 2, dtype=lib.complex64)))",
])
def test_muon_errors_as_torch(call):
    torch = pytest.importorskip("torch")

    def run(lib):
        return lambda: eval(call, {"lib": lib, "optim": lib.optim, "nn": lib.nn, "_muon_step": _muon_step})

    assert_same_error(run(torch), run(torchless))


def _muon_step(lib, extra=None, **options):
    """A Muon step over a 3 x 4 matrix and, added by add_param_group, ``extra``."""
    params = [lib.nn.Parameter(lib.ones(3, 4))]
    optimizer = lib.optim.Muon(params, **options)
    if extra is not None:
        optimizer.add_param_group({"params": [extra]})
        params.append(extra)
    for param in params:
        param.grad = lib.ones_like(param)
    optimizer.step()


def test_muon_is_exported_as_torch():
    torch = pytest.importorskip("torch")
    assert "Muon" in torchless.optim.__all__
    assert torchless.optim.Muon.__module__ == "torchless.optim" and torch.optim.Muon.__module__ == "torch.optim"


# swap_in_optimizer_params_and_state (torch.optim, new in PyTorch 2.12) was missing.

def _swap_in_setup(lib):
    """An Adam optimizer over a Linear layer after one step, copies of its parameters (with gradients) and a copy of
    its state_dict."""
    import copy

    layer = lib.nn.Linear(3, 2)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3)))
        layer.bias.copy_(lib.tensor([0.5, -0.5]))
    optimizer = lib.optim.Adam(layer.parameters(), lr=0.1)
    for param in layer.parameters():
        param.grad = lib.ones_like(param)
    optimizer.step()
    params = {name: param.detach().clone().requires_grad_(True) for name, param in layer.named_parameters()}
    for param in params.values():
        param.grad = lib.ones_like(param) * 2
    return layer, optimizer, params, copy.deepcopy(optimizer.state_dict())


def _swapped_in_step(lib):
    layer, optimizer, params, saved = _swap_in_setup(lib)
    saved["param_groups"][0]["lr"] = 1.0
    with lib.optim.swap_in_optimizer_params_and_state(optimizer, params, saved):
        optimizer.step()
        inside = (optimizer.param_groups[0]["params"][0] is params["weight"], optimizer.param_groups[0]["lr"])
    return (inside, optimizer.param_groups[0]["lr"], [p.detach().numpy() for p in params.values()],
            [p.detach().numpy() for p in layer.parameters()],
            [saved["state"][0][key].numpy() for key in ("step", "exp_avg", "exp_avg_sq")],
            [optimizer.state_dict()["state"][0][key].numpy() for key in ("step", "exp_avg", "exp_avg_sq")])


def test_swap_in_optimizer_params_and_state_steps_the_given_tensors_as_torch():
    torch = pytest.importorskip("torch")
    expected, got = _swapped_in_step(torch), _swapped_in_step(torchless)
    assert got[:2] == expected[:2]
    for e, g in zip(expected[2:], got[2:]):
        for e_array, g_array in zip(e, g):
            np.testing.assert_allclose(g_array, e_array, rtol=1e-6)


@pytest.mark.parametrize("change", [
    "saved = []", "saved['state'] = []", "saved['state'][7] = {}", "saved['state'][0] = 3",
    "saved['state'] = {lib.ones(1): {}}", "saved['param_groups'] = ()", "saved['param_groups'] = []",
    "saved['param_groups'] = [3]", "saved['param_groups'][0]['params'] = [0, 'a']",
    "saved['param_groups'][0]['params'] = [0]",
    "saved['param_groups'][0]['foo'] = 1; del saved['param_groups'][0]['lr']", "del params['bias']",
    "optimizer = lib.optim.Adam(layer.parameters())",
])
def test_swap_in_optimizer_params_and_state_refusals_as_torch(change):
    torch = pytest.importorskip("torch")

    def run(lib):
        def call():
            layer, optimizer, params, saved = _swap_in_setup(lib)
            names = {"lib": lib, "layer": layer, "optimizer": optimizer, "params": params, "saved": saved}
            exec(change, names)
            with lib.optim.swap_in_optimizer_params_and_state(names["optimizer"], names["params"], names["saved"]):
                pass
        return call

    assert_same_error(run(torch), run(torchless))


# PyTorch's helpers for optimizers written in its style (torch.optim.optimizer) were missing.

def _optimizer_module(lib):
    return importlib.import_module(f"{lib.__name__}.optim.optimizer")


def _grouping(lib, tensorlistlist, with_indices):
    """Optimizer._group_tensors_by_device_and_dtype's groups, keyed by (device type, dtype name), each tensor as
    (dtype name, shape) or None."""
    groups = lib.optim.Optimizer._group_tensors_by_device_and_dtype(tensorlistlist(lib), with_indices)
    describe = (lambda t: None if t is None else (str(t.dtype).split(".")[-1], tuple(t.shape)))
    return [((device.type, str(dtype).split(".")[-1]), [[describe(t) for t in tensors] for tensors in lists], indices)
            for (device, dtype), (lists, indices) in groups.items()]


@pytest.mark.parametrize("with_indices", [False, True])
@pytest.mark.parametrize("lists", [
    "[[f32, f64, f32_3], [None, f32, f64]]", "[[f32, f64, f32_3, f16]]", "[[f16, f32, f64, f32_3]]",
    "[[f64, f32], []]",
])
def test_group_tensors_by_device_and_dtype_as_torch(lists, with_indices):
    torch = pytest.importorskip("torch")

    def tensorlistlist(lib):
        return eval(lists, {"f32": lib.ones(2), "f64": lib.ones(2, dtype=lib.float64), "f32_3": lib.ones(3),
                            "f16": lib.ones(1, dtype=lib.float16)})

    assert _grouping(torchless, tensorlistlist, with_indices) == _grouping(torch, tensorlistlist, with_indices)


@pytest.mark.parametrize("lists", ["[[f32, None]]", "[[f32, f32], [f32]]", "[[]]"])
def test_group_tensors_by_device_and_dtype_refusals_as_torch(lists):
    torch = pytest.importorskip("torch")

    def call(lib):
        return lambda: lib.optim.Optimizer._group_tensors_by_device_and_dtype(eval(lists, {"f32": lib.ones(2)}))

    assert_same_error(call(torch), call(torchless))


@pytest.mark.parametrize("call", [
    "O._default_to_fused_or_foreach([a, b], False)", "O._default_to_fused_or_foreach([a, b], True, True)",
    "O._default_to_fused_or_foreach([a, i], False, True)", "O._default_to_fused_or_foreach([a, b], False, True)",
    "O._default_to_fused_or_foreach([nn.Parameter(a), None], False, True)",
    "O._default_to_fused_or_foreach([a.view(2)], False, True)",
    "(O._get_capturable_supported_devices(), O._get_capturable_supported_devices(False))",
    "O._stack_if_compiling([1, 2])", "O._disable_dynamo_if_unsupported(single_tensor_fn=None)(len)([3])",
    "O._device_dtype_check_for_fused(a)", "O._device_dtype_check_for_fused(a, True)",
    "[O._params_doc, O._foreach_doc, O._capturable_doc, O._differentiable_doc, O._maximize_doc]",
    # (PyTorch appends DTensor once torch.distributed.tensor is imported)
    "[t.__name__ for t in O._foreach_supported_types][:2]",
])
def test_optimizer_module_helpers_as_torch(call):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, torchless):
        names = {"O": _optimizer_module(lib), "nn": lib.nn, "a": lib.ones(2), "b": lib.ones(2, dtype=lib.float64),
                 "i": lib.ones(2, dtype=lib.int64)}
        outcomes.append(eval(call, names))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("dtype_name", ["int64", "bool"])
@pytest.mark.parametrize("cuda_unsupported", [False, True])
def test_fused_check_of_a_parameter_as_torch(dtype_name, cuda_unsupported):
    torch = pytest.importorskip("torch")

    def call(lib):
        return lambda: _optimizer_module(lib)._device_dtype_check_for_fused(
            lib.zeros(2, dtype=getattr(lib, dtype_name)), cuda_unsupported)

    assert_same_error(call(torch), call(torchless))


def _custom_sgd_in_torch_style(lib):
    """A momentum SGD written as PyTorch's own optimizers are, on its helpers; the parameters after three steps."""
    optimizer_module = _optimizer_module(lib)

    class StyledSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9, foreach=None, differentiable=False):
            super().__init__(params, {"lr": lr, "momentum": momentum, "foreach": foreach,
                                      "differentiable": differentiable})

        @optimizer_module._use_grad_for_differentiable
        def step(self):
            self._accelerator_graph_capture_health_check()
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                _, foreach = optimizer_module._default_to_fused_or_foreach(params, group["differentiable"])
                assert not foreach  # (no foreach kernel for CPU tensors, in PyTorch either)
                for (_, dtype), ((device_params,), _) in self._group_tensors_by_device_and_dtype([params]).items():
                    for p in device_params:
                        state = self.state[p]
                        if "momentum_buffer" not in state:
                            state["momentum_buffer"] = p.grad.clone().detach()
                        else:
                            state["momentum_buffer"].mul_(group["momentum"]).add_(p.grad)
                        p.add_(state["momentum_buffer"], alpha=-optimizer_module._get_value(group["lr"]))

    params = [lib.nn.Parameter(lib.tensor([1.0, -2.0])), lib.nn.Parameter(lib.tensor([0.5], dtype=lib.float64))]
    optimizer = StyledSGD(params)
    for _ in range(3):
        for p in params:
            p.grad = p.detach() * 2
        optimizer.step()
    return [p.detach().numpy() for p in params]


def test_a_custom_optimizer_in_torch_style_runs_as_in_torch():
    torch = pytest.importorskip("torch")
    for e, g in zip(_custom_sgd_in_torch_style(torch), _custom_sgd_in_torch_style(torchless)):
        np.testing.assert_allclose(g, e, rtol=1e-6)  # (PyTorch's add_ with alpha is a fused multiply-add)


def test_cuda_graph_capture_health_check_is_deprecated_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, torchless):
        optimizer = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))])
        with pytest.warns(DeprecationWarning, match="^Use _accelerator_graph_capture_health_check instead$"):
            assert optimizer._cuda_graph_capture_health_check() is None
