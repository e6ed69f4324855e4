"""Regression tests for optim16's findings: optimizers, lr schedulers, data pipeline, checkpoints vs PyTorch."""
import numpy as np
import pytest

import torchless


def _run_steps(lib, name, params, grads, lr, **options):
    """``name``'s steps with ``grads`` from ``params``; the parameters afterwards as NumPy arrays."""
    tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = getattr(lib.optim, name)(tensors, lr=lr(lib), **options)
    for step_grads in grads:
        for tensor, grad in zip(tensors, step_grads):
            tensor.grad = lib.tensor(grad)
        optimizer.step()
    return [t.detach().numpy() for t in tensors]


TENSOR_LR_CASES = [
    ("Adam", {}), ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}), ("AdamW", {"amsgrad": True}),
    ("Adagrad", {"lr_decay": 0.01}), ("Adamax", {}), ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}), ("ASGD", {"lambd": 0.1, "t0": 1}),
    ("Adafactor", {"weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, options", TENSOR_LR_CASES)
def test_float32_tensor_lr_rounds_float64_step_sizes_as_tensor_arithmetic(name, options):
    # A float32 0-d lr makes PyTorch's step sizes (lr / bias_correction, 1 - lr * weight_decay, ASGD's eta) float32
    # tensors, even for float64 parameters: the updates differ from a float lr's by ~1e-8 relative.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(4)]
    expected = _run_steps(torch, name, params, grads, lambda lib: lib.tensor(0.01), **options)
    got = _run_steps(torchless, name, params, grads, lambda lib: lib.tensor(0.01), **options)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-14)


def test_float32_tensor_lr_step_size_is_float32_rounded_without_torch():
    # Adam's first step moves each element by lr / (1 - beta1) * m / (sqrt(v) / sqrt(1 - beta2) + eps) = lr * sign(g)
    # (to eps); with a float32 lr tensor the step size lr / (1 - beta1) is rounded to float32 first.
    p = torchless.zeros(3, dtype=torchless.float64, requires_grad=True)
    optimizer = torchless.optim.Adam([p], lr=torchless.tensor(0.01), eps=0.0)
    p.grad = torchless.tensor([1.0, -2.0, 3.0], dtype=torchless.float64)
    optimizer.step()
    step_size = float(np.float32(np.float32(0.01) / np.float32(1 - 0.9)))
    expected = -step_size * 0.1 * np.array([1.0, -2.0, 3.0]) / (np.array([1.0, 2.0, 3.0]) * np.sqrt(0.001)
                                                                 / np.sqrt(1 - 0.999))
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-14)


SPARSE_ADAM_CASES = [
    "SparseAdam([p], lr=0)", "SparseAdam([p], lr=-1)", "SparseAdam([p], eps=0)", "SparseAdam([p], betas=(1.0, 0.9))",
    "SparseAdam([p], betas=(0.9, -0.5))", "SparseAdam([p], lr=lib.tensor([0.1, 0.2]))",
    "SparseAdam([p, lib.zeros(2, dtype=lib.complex64, requires_grad=True)])",
    "SparseAdam([{'params': [p]}, {'params': [q], 'lr': 0.5}], maximize=True).state_dict()",
    "repr(SparseAdam([p]))",
]


def _outcome(lib, expression, **names):
    """What evaluating ``expression`` (with ``lib`` and ``np`` and ``names``) gives: ``("ok", repr)``, or the error's
    type and message, PyTorch's names spelt as torchless's."""
    try:
        return "ok", repr(eval(expression, {"lib": lib, "np": np, **names}))
    except Exception as error:  # noqa: BLE001 -- the error itself is compared
        return type(error).__name__, str(error).replace("torch.", "torchless.")


def _sparse_adam_outcome(lib, expression):
    return _outcome(lib, expression, p=lib.ones(3, requires_grad=True), q=lib.ones(2, requires_grad=True),
                    SparseAdam=lib.optim.SparseAdam)


@pytest.mark.parametrize("expression", SPARSE_ADAM_CASES)
def test_sparse_adam_constructor_as_torch(expression):
    torch = pytest.importorskip("torch")
    assert _sparse_adam_outcome(torchless, expression) == _sparse_adam_outcome(torch, expression)


def test_sparse_adam_step_refuses_dense_gradients():
    p = torchless.ones(3, requires_grad=True)
    optimizer = torchless.optim.SparseAdam([p])
    assert optimizer.step(lambda: 5) == 5  # no gradient yet: nothing to refuse
    p.grad = torchless.ones(3)
    with pytest.raises(RuntimeError, match="^SparseAdam does not support dense gradients, please consider Adam "
                                           "instead$"):
        optimizer.step()
    assert not optimizer.state


@pytest.mark.parametrize("call", [
    "pad_sequence([lib.ones(2), np.ones(2)])",
    "pad_sequence([lib.ones(2)], padding_value=np.array([1.0]))",
    "pad_sequence([lib.ones(2)], batch_first=np.bool_(True))",
])
def test_pad_sequence_type_errors_name_numpy_types_as_cpython_does(call):
    # PyTorch's argument parser prints a C type's tp_name, which for NumPy's types carries the module
    # ("numpy.ndarray", "numpy.bool"), where type(x).__name__ has none.
    torch = pytest.importorskip("torch")
    got = _outcome(torchless, call, pad_sequence=torchless.nn.utils.rnn.pad_sequence)
    assert got == _outcome(torch, call, pad_sequence=torch.nn.utils.rnn.pad_sequence)
    assert got[0] == "TypeError" and "numpy." in got[1]


def test_complex_tensors_cross_torch_checkpoints_both_ways(tmp_path):
    # torch.save writes complex tensors on ComplexFloatStorage / ComplexDoubleStorage: torchless.load refused them
    # and torchless.save(..., format="torch") failed with a KeyError.
    torch = pytest.importorskip("torch")
    values = np.array([1 + 2j, 3 - 4j, -0.5j], np.complex128)
    path = tmp_path / "torch.pt"
    full = torch.tensor(values)
    torch.save({"double": full, "view": full[1:], "float": full.to(torch.complex64), "dtype": torch.cfloat}, path)
    loaded = torchless.load(path)
    assert loaded["double"].dtype == torchless.complex128 and loaded["float"].dtype == torchless.complex64
    assert loaded["dtype"] is torchless.complex64
    np.testing.assert_array_equal(loaded["double"].numpy(), values)
    np.testing.assert_array_equal(loaded["view"].numpy(), values[1:])
    np.testing.assert_array_equal(loaded["float"].numpy(), values.astype(np.complex64))

    path = tmp_path / "torchless.pt"
    torchless.save({"double": loaded["double"], "float": loaded["float"]}, path, format="torch")
    back = torch.load(path)
    assert back["double"].dtype == torch.complex128 and back["float"].dtype == torch.complex64
    np.testing.assert_array_equal(back["double"].numpy(), values)
    np.testing.assert_array_equal(back["float"].numpy(), values.astype(np.complex64))


def test_weighted_sampler_without_replacement_orders_zero_weights_as_torch_topk():
    # Once the weighted indices are drawn, PyTorch's multinomial (topk of p / q) yields the zero-weight ones in the
    # order its topk leaves ties in, not in index order.
    torch = pytest.importorskip("torch")
    weights = [0.0, 0.7, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]

    def draws(lib):
        generator = lib.Generator().manual_seed(3)
        sampler = lib.utils.data.WeightedRandomSampler(weights, len(weights), replacement=False, generator=generator)
        return [list(sampler) for _ in range(3)]

    got = draws(torchless)
    assert got == draws(torch)
    assert all(sorted(order) == list(range(len(weights))) for order in got)
    assert all(set(order[:3]) == {1, 4, 19} for order in got)  # the weighted ones first


@pytest.mark.parametrize("call", [
    "lib.nn.utils.get_total_norm([lib.tensor([1.0, 2.0]), None])",
    "lib.nn.utils.get_total_norm([None])",
    "lib.nn.utils.clip_grads_with_norm_([p], 1.0, 5.0)",
])
def test_gradient_clipping_refusals_as_torch(call):
    # get_total_norm groups its tensors by device and dtype (first reading the first one's device), which refuses an
    # undefined one; clip_grads_with_norm_ clamps with torch.clamp, which refuses a number total_norm.
    torch = pytest.importorskip("torch")

    def outcome(lib):
        p = lib.ones(3, requires_grad=True)
        p.grad = lib.tensor([3.0, 4.0, 0.0])
        return _outcome(lib, call, p=p)

    expected = outcome(torch)
    assert expected[0] != "ok"
    assert outcome(torchless) == expected


def test_load_with_a_pickle_module_defaults_to_a_full_load_and_refuses_weights_only(tmp_path):
    # torch.load: weights_only defaults to True unless a pickle_module is given; both together are refused before the
    # file is opened, and pickle_load_args under a weights-only load only warn.
    torch = pytest.importorskip("torch")
    import pickle

    path = tmp_path / "model.pt"
    torchless.save(torchless.nn.Linear(2, 3), path)  # a whole module: needs a full load
    assert isinstance(torchless.load(path, pickle_module=pickle), torchless.nn.Linear)
    with pytest.raises(pickle.UnpicklingError):
        torchless.load(path)
    messages = []
    for lib in (torch, torchless):
        with pytest.raises(RuntimeError) as error:
            lib.load(tmp_path / "absent.pt", pickle_module=pickle, weights_only=True)
        messages.append(str(error.value))
    assert messages[0] == messages[1] == "Can not safely load weights when explicit pickle_module is specified"
    torchless.save({"a": torchless.ones(1)}, path)
    with pytest.warns(UserWarning, match=r"^pickle_load_args only works if `weights_only=False`\.$"):
        torchless.load(path, encoding="latin1")


def test_load_state_dict_shares_state_needing_no_cast_as_torch():
    # PyTorch casts loaded state with Tensor.to, which returns the tensor itself when nothing changes: an optimizer
    # loading another's state_dict() shares its moments, so stepping both moves them twice.
    torch = pytest.importorskip("torch")

    def run(lib):
        p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        first = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.tensor([0.5, 0.25, -1.0])
        first.step()
        second = lib.optim.Adam([p], lr=0.1)
        second.load_state_dict(first.state_dict())
        first.step()
        second.step()
        return (p.detach().numpy().copy(), first.state[p]["exp_avg"] is second.state[p]["exp_avg"],
                second.state[p]["step"].item())

    expected, got = run(torch), run(torchless)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    assert got[1:] == expected[1:] == (True, 3.0)


@pytest.mark.parametrize("flag", ["fused", "capturable"])
def test_load_state_dict_makes_step_float32_for_fused_or_capturable_groups(flag):
    torch = pytest.importorskip("torch")

    def loaded_step_dtype(lib):
        p = lib.ones(3, requires_grad=True)
        optimizer = lib.optim.Adam([p], **{flag: True})
        group = dict(optimizer.state_dict()["param_groups"][0])
        optimizer.load_state_dict({"state": {0: {"step": lib.tensor(3.0, dtype=lib.float64), "exp_avg": lib.zeros(3),
                                                 "exp_avg_sq": lib.zeros(3)}}, "param_groups": [group]})
        return str(optimizer.state[p]["step"].dtype).split(".")[-1]

    assert loaded_step_dtype(torchless) == loaded_step_dtype(torch) == "float32"


@pytest.mark.parametrize("name", ["RMSprop", "NAdam", "RAdam"])
def test_loading_an_old_state_dict_fills_group_keys_in_torch_order(name):
    torch = pytest.importorskip("torch")

    def keys(lib):
        p = lib.ones(3, requires_grad=True)
        optimizer = getattr(lib.optim, name)([p], lr=0.1)
        optimizer.load_state_dict({"state": {}, "param_groups": [{"lr": 0.2, "params": [0]}]})
        return list(optimizer.param_groups[0])

    assert keys(torchless) == keys(torch)


COMPLEX_CASES = [
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}), ("AdamW", {"lr": 0.1}), ("Adagrad", {"lr": 0.1}),
    ("Adadelta", {}), ("Adamax", {"lr": 0.1}), ("NAdam", {"lr": 0.1}), ("RAdam", {"lr": 0.1}),
    ("RMSprop", {"lr": 0.1, "centered": True, "momentum": 0.5}), ("Rprop", {"lr": 0.1}),
]


def _complex_steps(lib, name, options, start, grads):
    p = lib.tensor(start.copy(), requires_grad=True)
    optimizer = getattr(lib.optim, name)([p], **options)
    for grad in grads:
        p.grad = lib.tensor(grad)
        optimizer.step()
    return p.detach().numpy()


@pytest.mark.parametrize("name, options", COMPLEX_CASES)
def test_complex_parameters_update_as_pairs_of_real_numbers(name, options):
    # PyTorch's optimizers view a complex parameter, its gradient and state as real (view_as_real): each real and
    # imaginary part is updated as a parameter of its own (Rprop's imaginary step sizes start at lr too).
    rng = np.random.default_rng(1)
    start = (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64)
    grads = [(rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64) for _ in range(3)]
    got = _complex_steps(torchless, name, options, start, grads)
    # torch-free: the same steps on the real parameter holding the parts side by side
    as_real = _complex_steps(torchless, name, options, start.view(np.float32), [g.view(np.float32) for g in grads])
    np.testing.assert_allclose(got.view(np.float32), as_real, rtol=1e-6, atol=1e-7)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(got, _complex_steps(torch, name, options, start, grads), rtol=1e-5, atol=1e-6)


def test_lbfgs_and_adafactor_with_complex_parameters_as_torch():
    torch = pytest.importorskip("torch")
    start = np.array([1 + 2j, -0.5 + 0.25j], np.complex128)

    def lbfgs(lib):
        p = lib.tensor(start.copy(), requires_grad=True)
        optimizer = lib.optim.LBFGS([p], lr=0.5, max_iter=4)

        def closure():
            optimizer.zero_grad()
            loss = ((p - 1j) * (p - 1j).conj()).real.sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        return p.detach().numpy()

    np.testing.assert_allclose(lbfgs(torchless), lbfgs(torch), rtol=1e-12)
    for lib in (torch, torchless):
        p, q = lib.ones(2, requires_grad=True), lib.ones(2, dtype=lib.complex64, requires_grad=True)
        optimizer = lib.optim.Adafactor([p, q])
        p.grad, q.grad = lib.ones(2), lib.ones(2, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="^Adafactor does not support complex parameters$"):
            optimizer.step()
        assert p.tolist() == [1.0, 1.0]  # nothing of the group updated


ORTHOGONAL_CASES = [((3, 3), None, True), ((4, 2), None, True), ((2, 4), "cayley", True),
                    ((2, 3, 3), "matrix_exp", False), ((4, 3), "householder", False), ((2, 4, 3), "householder", True),
                    ((3, 3), "cayley", True)]


def _orthogonal_run(lib, shape, orthogonal_map, use_trivialization):
    """The parametrized weight, the gradient of its original and the weight after one SGD step."""
    lib.manual_seed(0)  # (a wide or tall weight is completed with random columns)
    layer = lib.nn.Module()
    layer.weight = lib.nn.Parameter(lib.tensor(np.random.default_rng(0).standard_normal(shape)))
    lib.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map,
                                             use_trivialization=use_trivialization)
    weight = layer.weight
    (weight * lib.tensor(np.random.default_rng(1).standard_normal(shape))).sum().backward()
    original = layer.parametrizations.weight.original
    with lib.no_grad():
        original.sub_(0.1 * original.grad)
    return weight.detach().numpy(), original.grad.numpy(), layer.weight.detach().numpy(), sorted(layer.state_dict())


@pytest.mark.parametrize("shape, orthogonal_map, use_trivialization", ORTHOGONAL_CASES)
def test_orthogonal_parametrization_as_torch(shape, orthogonal_map, use_trivialization):
    got = _orthogonal_run(torchless, shape, orthogonal_map, use_trivialization)
    tall = got[0] if shape[-2] >= shape[-1] else np.swapaxes(got[0], -1, -2)
    eye = np.eye(tall.shape[-1])
    np.testing.assert_allclose(np.swapaxes(tall, -1, -2) @ tall, np.broadcast_to(eye, tall.shape[:-2] + eye.shape),
                               atol=1e-12)
    torch = pytest.importorskip("torch")
    expected = _orthogonal_run(torch, shape, orthogonal_map, use_trivialization)
    for g, e in zip(got[:3], expected[:3]):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)
    assert got[3] == expected[3]


@pytest.mark.filterwarnings("ignore:Complex modules")
@pytest.mark.parametrize("call", [
    "orthogonal(lib.nn.Linear(3, 3), 'bias')", "orthogonal(lib.nn.Linear(3, 3), 'foo')",
    "orthogonal(lib.nn.Linear(3, 3), orthogonal_map='qr')",
    "orthogonal(lib.nn.Linear(3, 3).to(lib.complex64), orthogonal_map='householder')",
    "setattr(orthogonal(lib.nn.Linear(3, 3), use_trivialization=False), 'weight', lib.eye(3))",
    "setattr(orthogonal(lib.nn.Linear(3, 3)), 'weight', lib.eye(2))",
])
def test_orthogonal_errors_as_torch(call):
    torch = pytest.importorskip("torch")
    expected = _outcome(torch, call, orthogonal=torch.nn.utils.parametrizations.orthogonal)
    assert expected[0] != "ok"
    assert _outcome(torchless, call, orthogonal=torchless.nn.utils.parametrizations.orthogonal) == expected


def test_transfer_parametrizations_and_params_as_torch():
    torch = pytest.importorskip("torch")

    def transferred(lib):
        lib.manual_seed(0)
        source, target = lib.nn.Linear(3, 3), lib.nn.Module()
        lib.nn.utils.parametrizations.weight_norm(source)
        result = lib.nn.utils.parametrize.transfer_parametrizations_and_params(source, target)
        shared = target.parametrizations.weight.original1 is source.parametrizations.weight.original1
        same_weight = bool((target.weight == source.weight).all())
        return result is target, sorted(target.state_dict()), shared, same_weight

    assert transferred(torchless) == transferred(torch) == (
        True, ["parametrizations.weight.original0", "parametrizations.weight.original1"], True, True)


@pytest.mark.parametrize("scheduler", [
    "S.LambdaLR(o, lambda e: 0.5)", "S.MultiplicativeLR(o, lambda e: 0.5)", "S.CosineAnnealingLR(o, 1)",
    "S.CyclicLR(o, 0.01, 0.1)", "S.StepLR(o, 1, 0.5)",
])
def test_schedulers_after_add_param_group_as_torch(scheduler):
    # PyTorch's schedulers pair groups with their per-group lists by strict zips: a group added after the scheduler
    # was built fails there ("zip() argument 2 is shorter than argument 1") where the lists are per group
    torch = pytest.importorskip("torch")

    def steps(lib):
        o = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        s = eval(scheduler, {"S": lib.optim.lr_scheduler, "o": o})
        o.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 1.0})
        rates = []
        try:
            for _ in range(3):
                o.step()
                s.step()
                rates.append([group["lr"] for group in o.param_groups])
        except ValueError as error:
            rates.append(str(error))
        return rates

    assert steps(torchless) == steps(torch)


def test_dataloader_warns_that_pin_memory_device_is_deprecated():
    torch = pytest.importorskip("torch")

    def warnings_of(lib):
        with pytest.warns(UserWarning) as record:
            batches = [b.tolist() for b in lib.utils.data.DataLoader(range(4), batch_size=2, pin_memory=True,
                                                                      pin_memory_device="cuda")]
        return batches, [str(w.message) for w in record]

    got = warnings_of(torchless)
    assert got == warnings_of(torch)
    assert got[1][0] == ("pin_memory_device is deprecated, the current accelerator will be used as the device,"
                         "ignore pin_memory_device='cuda'.")


def test_packed_sequence_refuses_batch_sizes_that_are_not_a_tensor():
    torch = pytest.importorskip("torch")
    expression = "lib.nn.utils.rnn.PackedSequence(lib.ones(3), [2, 1])"
    assert _outcome(torchless, expression) == _outcome(torch, expression) == (
        "AttributeError", "'list' object has no attribute 'device'")
