"""bfloat16 tensors through the optional ml_dtypes package (torchless[bf16]): storage, conversions, factories and
their random streams, printing, serialization both ways, against PyTorch at run time and against an independent
float32-to-bfloat16 rounding by bit manipulation (round to nearest, ties to even); without ml_dtypes, PyTorch's
bfloat16 is refused with a hint to install the extra."""
import importlib.util
import io

import numpy as np
import pytest

import torchless

HAS_ML_DTYPES = importlib.util.find_spec("ml_dtypes") is not None
needs_bf16 = pytest.mark.skipif(not HAS_ML_DTYPES, reason="bfloat16 tensors need ml_dtypes (torchless[bf16])")


def bf16_bits(values):
    """Independent reference: float32 ``values`` rounded to bfloat16 (to nearest, ties to even; NaN kept quiet), as
    the 16 high bits of their float32 patterns (uint16)."""
    values = np.asarray(values, np.float32)
    bits = values.reshape(-1).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(values.reshape(-1))
    rounded[nan] = (bits[nan] >> 16) | 0x40  # a NaN stays a (quiet) NaN of its sign
    return rounded.astype(np.uint16).reshape(values.shape)


def bits_of(tensor):
    """The uint16 patterns of a bfloat16 tensor of either library (viewed as int16, which both have)."""
    return tensor.view(_lib(tensor).int16).numpy().view(np.uint16)


def _lib(tensor):
    return torchless if isinstance(tensor, torchless.Tensor) else __import__("torch")


def awkward_floats(count=4000, seed=0):
    """float32 values rounding awkwardly to bfloat16: ties (both parities), just off ties, subnormals, extremes,
    infinities, NaN, signed zeros."""
    rng = np.random.default_rng(seed)
    high = rng.integers(0, 1 << 16, count, dtype=np.uint32) << 16
    low = rng.choice(np.array([0x8000, 0x7FFF, 0x8001, 0x0000, 0xFFFF, 0x0001], np.uint32), count)
    values = (high | low).view(np.float32)
    extra = np.array([0.0, -0.0, np.inf, -np.inf, 3.3895314e38, 3.4e38, -3.4e38, 1e-40, -1e-45, 1.0, -2.5],
                     np.float32)
    return np.concatenate([values[np.isfinite(values) | np.isinf(values)], extra])


# ---------------------------------------------------------------------------------------- conversions
@needs_bf16
def test_float32_to_bfloat16_rounds_to_nearest_even_as_the_bit_reference():
    values = awkward_floats()
    got = torchless.from_numpy(values).bfloat16().view(torchless.int16).numpy().view(np.uint16)
    finite = ~np.isnan(values)
    np.testing.assert_array_equal(got[finite], bf16_bits(values)[finite])
    assert np.isnan(torchless.from_numpy(values).bfloat16().float().numpy()[~finite]).all()
    # and back: bfloat16 to float32 is exact (the bits shifted up)
    back = torchless.from_numpy(values).bfloat16().float().numpy()
    np.testing.assert_array_equal(back[finite].view(np.uint32), bf16_bits(values)[finite].astype(np.uint32) << 16)


@needs_bf16
def test_conversions_match_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    values = awkward_floats(seed=1)
    doubles = values.astype(np.float64) * (1 + 2.0 ** -30)  # (a double rounds through float: twice, as PyTorch)
    with np.errstate(over="ignore"):
        halves = values.astype(np.float16)
    for source in (values, doubles, halves):
        ours = torchless.from_numpy(source).to(torchless.bfloat16)
        theirs = torch.from_numpy(source).to(torch.bfloat16)
        np.testing.assert_array_equal(bits_of(ours), theirs.view(torch.int16).numpy().view(np.uint16))
        for name in ("float", "double", "half", "int", "long", "bool"):
            np.testing.assert_array_equal(getattr(ours, name)().numpy(), getattr(theirs, name)().numpy(), err_msg=name)
    ints = np.array([0, 1, -7, 255, 256, 257, 2**20 + 3, -2**31], np.int64)
    np.testing.assert_array_equal(torchless.from_numpy(ints).bfloat16().float().numpy(),
                                  torch.from_numpy(ints).bfloat16().float().numpy())


@needs_bf16
@pytest.mark.parametrize("expr", [
    "lib.tensor([1 + 2**-8 + 2**-30, 1.1, -3.75e5], dtype=lib.bfloat16)",
    "lib.tensor(1 + 2**-8 + 2**-30, dtype=lib.bfloat16)",
    "lib.full((3,), 1 + 2**-8 + 2**-30, dtype=lib.bfloat16)",
    "lib.full((2,), 1 / 3, dtype=lib.bfloat16)",
    "lib.zeros(2, 3, dtype=lib.bfloat16)",
    "lib.ones(4, dtype=lib.bfloat16)",
    "lib.arange(300, dtype=lib.bfloat16)",
    "lib.arange(0, 1, 0.1, dtype=lib.bfloat16)",
    "lib.arange(-5.0, 8.0, 0.1, dtype=lib.bfloat16)",
    "lib.linspace(0, 1, 7, dtype=lib.bfloat16)",
    "lib.linspace(-3, 1000, 101, dtype=lib.bfloat16)",
    "lib.eye(3, dtype=lib.bfloat16)",
    "lib.full_like(lib.ones(2, dtype=lib.bfloat16), 7.7)",
    "lib.ones(2, dtype=lib.bfloat16).new_tensor([1.3])",
    "lib.ones(3, dtype=lib.bfloat16).fill_(1 / 3)",
    "lib.BFloat16Tensor([1.25, 3.3])",
    "lib.tensor([1.5]).type(lib.BFloat16Tensor)",
    "lib.tensor([1.5]).type('torch.BFloat16Tensor')",
    "lib.ones(2, 2, dtype=lib.bfloat16).view(lib.int16)",
    "lib.tensor([1, 16256], dtype=lib.int16).view(lib.bfloat16)",
    "lib.tensor([True, False]).bfloat16()",
    "lib.tensor([1.5], dtype=lib.bfloat16).to(lib.complex64)",
    "lib.zeros(2).copy_(lib.tensor([1.1, 2.2], dtype=lib.bfloat16))",
    "lib.ones(2, dtype=lib.bfloat16).copy_(lib.tensor([1.1, 2.2], dtype=lib.float64))",
    "lib.cat([lib.ones(1, dtype=lib.bfloat16), lib.zeros(1, dtype=lib.float16)])",
    "lib.where(lib.tensor([True, False]), lib.ones(2, dtype=lib.bfloat16), 0.3)",
    "lib.tensor([1.5, 2], dtype=lib.bfloat16) == lib.tensor([1.5, 2.01])",
    "lib.tensor([1.5, 2, float('nan')], dtype=lib.bfloat16) > 1.7",
    "lib.tensor([1.5, float('nan')], dtype=lib.bfloat16).isnan()",
    "lib.tensor([1.5, 2], dtype=lib.bfloat16).equal(lib.tensor([1.5, 2]))",
    "lib.tensor([1.5, 2, -1], dtype=lib.bfloat16).max()",
    "lib.tensor([[1e-5, 3e10], [1, 2]], dtype=lib.bfloat16)",
    "lib.tensor([3.4e38, -3.4e38, 1e-40, float('inf'), float('nan')], dtype=lib.bfloat16)",
    "lib.tensor(1e-3, dtype=lib.bfloat16)",
    "lib.empty(0, 3, dtype=lib.bfloat16)",
    "lib.ones(2, 3, dtype=lib.bfloat16).T",
    "lib.tensor([1, 2], dtype=lib.bfloat16).requires_grad_()",
    "lib.full((2,), 3.3896e38, dtype=lib.bfloat16)",
    "lib.full((2,), -1e39, dtype=lib.bfloat16)",
    "lib.full((1,), 1e39, dtype=lib.bfloat16)",
    "lib.ones(2, dtype=lib.bfloat16).fill_(3.4e38)",
    "lib.tensor([1.5]).bfloat16().numpy()",
    "lib.tensor([1.5]).bfloat16().requires_grad_().numpy()",
    "lib.from_numpy(np.ones(2, ml_dtypes.bfloat16))",
    "lib.tensor(np.ones(2, ml_dtypes.bfloat16))",
    "lib.as_tensor(np.ones(2, ml_dtypes.bfloat16))",
    "lib.promote_types(lib.bfloat16, lib.float16)",
    "lib.promote_types(lib.bfloat16, lib.int64)",
    "lib.promote_types(lib.bfloat16, lib.complex64)",
    "lib.result_type(lib.ones(1, dtype=lib.bfloat16), 2.5)",
    "lib.can_cast(lib.bfloat16, lib.int32)",
    "lib.can_cast(lib.int32, lib.bfloat16)",
    "lib.tensor([0.1, 0.2], dtype=lib.bfloat16).tolist()",
    "lib.tensor([0.1], dtype=lib.bfloat16).item()",
    "float(lib.tensor([0.1], dtype=lib.bfloat16))",
    "int(lib.tensor([2.7], dtype=lib.bfloat16))",
    "lib.ones(3, dtype=lib.bfloat16).element_size()",
    "lib.ones(3, dtype=lib.bfloat16).nbytes",
    "lib.ones(3, dtype=lib.bfloat16).type()",
    "lib.ones(3, dtype=lib.bfloat16).is_floating_point()",
    "str(lib.finfo(lib.bfloat16))",
])
def test_factories_conversions_printing_and_refusals_match_torch(expr):
    torch = pytest.importorskip("torch")
    import ml_dtypes

    outcomes = []
    for lib in (torch, torchless):
        try:
            value = eval(expr, {"lib": lib, "np": np, "ml_dtypes": ml_dtypes})
            outcomes.append(repr(value).replace("torchless", "torch"))
        except Exception as error:  # noqa: BLE001 - the exception type and message are compared
            outcomes.append(f"{type(error).__name__}: {error}".replace("torchless", "torch"))
    assert outcomes[1] == outcomes[0]


@needs_bf16
def test_random_factories_draw_pytorchs_streams():
    torch = pytest.importorskip("torch")
    for n in (1, 5, 15, 16, 17, 31, 100, 1000, 4099):
        for seed in (0, n):
            for draw in (lambda lib: lib.rand(n, dtype=lib.bfloat16),
                         lambda lib: lib.randn(n, dtype=lib.bfloat16),
                         lambda lib: lib.empty(n, dtype=lib.bfloat16).normal_(2.5, 0.3),
                         lambda lib: lib.empty(n, dtype=lib.bfloat16).uniform_(-3, 5),
                         lambda lib: lib.randint(0, 256, (n,), dtype=lib.bfloat16)):
                torch.manual_seed(seed)
                theirs = draw(torch).view(torch.int16).numpy()
                torchless.manual_seed(seed)
                ours = draw(torchless).view(torchless.int16).numpy()
                np.testing.assert_array_equal(ours, theirs)


@needs_bf16
def test_float16_normal_draws_follow_float32s_kernel_as_pytorchs():
    torch = pytest.importorskip("torch")
    for n in (16, 17, 100, 1000, 4099):  # (their old float32 transform of float16 differed in 4 of randn(4099))
        torch.manual_seed(n)
        theirs = torch.empty(n, dtype=torch.float16).normal_().numpy()
        torchless.manual_seed(n)
        np.testing.assert_array_equal(torchless.empty(n, dtype=torchless.float16).normal_().numpy(), theirs)


# ---------------------------------------------------------------------------------------- modules, checkpoints
@needs_bf16
def test_module_to_bfloat16_and_back():
    linear = torchless.nn.Linear(3, 2)
    weight = linear.weight.detach().numpy().copy()
    assert linear.to(torchless.bfloat16) is linear and linear.weight.dtype is torchless.bfloat16
    assert linear.weight.requires_grad and type(linear.weight).__name__ == "Parameter"
    np.testing.assert_array_equal(linear.weight.detach().float().numpy().view(np.uint32),
                                  bf16_bits(weight).astype(np.uint32) << 16)
    linear.float()
    assert linear.weight.dtype is torchless.float32
    assert torchless.nn.Linear(2, 2).bfloat16().bias.dtype is torchless.bfloat16


@needs_bf16
def test_checkpoints_both_ways():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2).bfloat16()
    shared = torch.randn(6).bfloat16()
    buffer = io.BytesIO()
    torch.save({"state": model.state_dict(), "views": [shared, shared[2:]], "f": torch.ones(2)}, buffer)
    loaded = torchless.load(io.BytesIO(buffer.getvalue()))
    for key, value in model.state_dict().items():
        assert loaded["state"][key].dtype is torchless.bfloat16
        np.testing.assert_array_equal(loaded["state"][key].view(torchless.int16).numpy(),
                                      value.view(torch.int16).numpy())
    loaded["views"][0][2] = 7.0  # (views of one storage stay views of one storage)
    assert loaded["views"][1][0].item() == 7.0 and loaded["f"].dtype is torchless.float32
    # load_state_dict copies bfloat16 into float32 parameters, float32 into bfloat16 ones (rounded)
    ours = torchless.nn.Linear(3, 2)
    ours.load_state_dict(loaded["state"])
    assert ours.weight.dtype is torchless.float32
    np.testing.assert_array_equal(ours.weight.detach().numpy(), model.weight.float().detach().numpy())
    float_model = torch.nn.Linear(3, 2)
    ours_bf16 = torchless.nn.Linear(3, 2).bfloat16()
    ours_bf16.load_state_dict({k: torchless.from_numpy(v.numpy()) for k, v in float_model.state_dict().items()})
    np.testing.assert_array_equal(ours_bf16.weight.detach().view(torchless.int16).numpy(),
                                  float_model.weight.detach().bfloat16().view(torch.int16).numpy())
    # torchless's checkpoint, read by PyTorch
    out = io.BytesIO()
    torchless.save({"w": torchless.tensor([[1.1, 2.2]], dtype=torchless.bfloat16),
                    "p": torchless.nn.Parameter(torchless.ones(2, dtype=torchless.bfloat16))}, out)
    back = torch.load(io.BytesIO(out.getvalue()))
    assert back["w"].dtype == torch.bfloat16 and back["p"].requires_grad
    np.testing.assert_array_equal(back["w"].float().numpy(), [[1.1015625, 2.203125]])


# ---------------------------------------------------------------------------------------- without ml_dtypes
@pytest.mark.parametrize("make", [
    lambda: torchless.zeros(2, dtype=torchless.bfloat16),
    lambda: torchless.randn(2).to(torchless.bfloat16),
    lambda: torchless.ones(2).bfloat16(),
    lambda: torchless.nn.Linear(2, 2).bfloat16(),
])
def test_without_ml_dtypes_bfloat16_is_refused_with_the_extra_named(make, monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])
    with pytest.raises(TypeError, match=r"torchless has no bfloat16 tensors.*pip install torchless\[bf16\]"):
        make()
    assert torchless.bfloat16.is_floating_point and torchless.bfloat16.itemsize == 2


def test_import_does_not_import_ml_dtypes():
    import subprocess
    import sys

    code = "import sys, torchless; print('ml_dtypes' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------- arithmetic
def _operands(seed, shape=(4, 5)):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    y = (rng.standard_normal(shape) * 3).astype(np.float32)
    return x, y, np.abs(x) + np.float32(0.1)


_IMG = np.random.default_rng(7).standard_normal((2, 3, 7, 7)).astype(np.float32)
_KERNEL = np.random.default_rng(8).standard_normal((4, 3, 3, 3)).astype(np.float32)
_W = np.random.default_rng(9).standard_normal((5, 3)).astype(np.float32)

# ops PyTorch computes in float32 and rounds once: torchless's values to the bit
EXACT_OPS = {
    "add": lambda L, x, y, p: x + y, "sub": lambda L, x, y, p: x - y, "mul": lambda L, x, y, p: x * y,
    "div": lambda L, x, y, p: x / y, "add_number": lambda L, x, y, p: x + 1.3, "mul_number": lambda L, x, y, p: x * 1.3,
    "rsub_number": lambda L, x, y, p: 2.7 - x, "div_number": lambda L, x, y, p: x / 3.1,
    "number_div": lambda L, x, y, p: 1.7 / p, "pow_2": lambda L, x, y, p: x ** 2,
    "pow_float": lambda L, x, y, p: p ** 1.5, "pow_3": lambda L, x, y, p: x ** 3,
    "pow_minus_2": lambda L, x, y, p: x ** -2.0,
    "add_int": lambda L, x, y, p: x + 3, "neg": lambda L, x, y, p: -x, "abs": lambda L, x, y, p: x.abs(),
    "exp": lambda L, x, y, p: x.exp(), "log": lambda L, x, y, p: p.log(), "sqrt": lambda L, x, y, p: p.sqrt(),
    "sin": lambda L, x, y, p: x.sin(), "tanh": lambda L, x, y, p: x.tanh(), "sigmoid": lambda L, x, y, p: x.sigmoid(),
    "relu": lambda L, x, y, p: L.relu(x), "gelu": lambda L, x, y, p: L.nn.functional.gelu(x),
    "silu": lambda L, x, y, p: L.nn.functional.silu(x), "clamp": lambda L, x, y, p: x.clamp(-1.1, 1.3),
    "maximum": lambda L, x, y, p: L.maximum(x, y), "where": lambda L, x, y, p: L.where(x > 0, x, y),
    "reciprocal": lambda L, x, y, p: p.reciprocal(), "round": lambda L, x, y, p: x.round(),
    "square": lambda L, x, y, p: x.square(), "sum": lambda L, x, y, p: x.sum(), "sum_dim": lambda L, x, y, p: x.sum(1),
    "mean": lambda L, x, y, p: x.mean(), "mean_dim": lambda L, x, y, p: x.mean(0), "var": lambda L, x, y, p: x.var(1),
    "std": lambda L, x, y, p: x.std(), "norm": lambda L, x, y, p: x.norm(), "amax": lambda L, x, y, p: x.amax(0),
    "cumsum": lambda L, x, y, p: x.cumsum(1),
    "softmax": lambda L, x, y, p: L.softmax(x, 1), "matmul": lambda L, x, y, p: x @ y.T,
    "bmm": lambda L, x, y, p: L.bmm(x[None], y.T[None]), "dot": lambda L, x, y, p: L.dot(x[0], y[0]),
    "linear": lambda L, x, y, p: L.nn.functional.linear(x, y, y[:, 0]),
    "addmm": lambda L, x, y, p: L.addmm(y[:, 0], x, y.T),
    "einsum": lambda L, x, y, p: L.einsum("ij,kj->ik", x, y),
    "layer_norm": lambda L, x, y, p: L.nn.functional.layer_norm(x, (x.shape[-1],)),
    "conv2d": lambda L, x, y, p: L.nn.functional.conv2d(
        L.from_numpy(_IMG).bfloat16(), L.from_numpy(_KERNEL).bfloat16(), x[0, :4], padding=1),
    "max_pool2d": lambda L, x, y, p: L.nn.functional.max_pool2d(L.from_numpy(_IMG).bfloat16(), 2),
    "avg_pool2d": lambda L, x, y, p: L.nn.functional.avg_pool2d(L.from_numpy(_IMG).bfloat16(), 2),
    "add_inplace": lambda L, x, y, p: x.add_(y), "mul_inplace_number": lambda L, x, y, p: x.mul_(1.3),
    "lerp": lambda L, x, y, p: L.lerp(x, y, 0.3), "addcmul": lambda L, x, y, p: L.addcmul(x, y, y, value=0.5),
    "float32_add_": lambda L, x, y, p: x.float().add_(y), "add_float32_": lambda L, x, y, p: x.add_(y.float()),
}
# ops whose PyTorch kernels round intermediates (or fuse) otherwise: torchless's within an ulp of bfloat16
CLOSE_OPS = {
    "add_alpha": lambda L, x, y, p: L.add(x, y, alpha=0.7), "sub_alpha": lambda L, x, y, p: x.sub(y, alpha=2.3),
    "rsqrt": lambda L, x, y, p: p.rsqrt(),
    "logsumexp": lambda L, x, y, p: x.logsumexp(1),
    "log_softmax": lambda L, x, y, p: L.log_softmax(x, 1), "prod": lambda L, x, y, p: x.prod(1),
    "cross_entropy": lambda L, x, y, p: L.nn.functional.cross_entropy(x, L.tensor([0, 1, 2, 3])),
    "mse_loss": lambda L, x, y, p: L.nn.functional.mse_loss(x, y),
    "batch_norm": lambda L, x, y, p: L.nn.functional.batch_norm(L.from_numpy(_IMG).bfloat16(), None, None,
                                                                  training=True),
}


def _bf16_run(lib, op, seed):
    x, y, p = (lib.from_numpy(a).bfloat16() for a in _operands(seed))
    return op(lib, x, y, p)


@needs_bf16
@pytest.mark.parametrize("name", sorted(EXACT_OPS))
def test_ops_compute_in_float32_and_round_once_as_torch(name):
    torch = pytest.importorskip("torch")
    for seed in range(3):
        theirs, ours = _bf16_run(torch, EXACT_OPS[name], seed), _bf16_run(torchless, EXACT_OPS[name], seed)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


@needs_bf16
@pytest.mark.parametrize("name", sorted(CLOSE_OPS))
def test_ops_with_other_intermediate_roundings_agree_to_bfloat16_precision(name):
    torch = pytest.importorskip("torch")
    theirs, ours = _bf16_run(torch, CLOSE_OPS[name], 0), _bf16_run(torchless, CLOSE_OPS[name], 0)
    assert ours.dtype is torchless.bfloat16 and theirs.dtype == torch.bfloat16
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=2 ** -6, atol=2 ** -6)


def _round(values):
    """float32 values rounded to bfloat16 by the bit reference, as float32."""
    return (bf16_bits(values).astype(np.uint32) << 16).view(np.float32)


@needs_bf16
def test_ops_against_float32_rounded_by_the_bit_reference():
    x, y, p = _operands(3, (6, 7))
    bx, by, bp = _round(x), _round(y), _round(p)  # the operands' bfloat16 values, exactly
    tx, ty, tp = (torchless.from_numpy(a).bfloat16() for a in (x, y, p))
    cases = [(tx + ty, bx + by), (tx * ty, bx * by), (tx / ty, bx / by), (tx * 1.3, bx * np.float32(1.3)),
             (tx + 1.3, bx + _round(np.float32(1.3))),  # (add rounds its number to bfloat16, as PyTorch)
             (tp.sqrt(), np.sqrt(bp)), (tx.exp(), np.exp(bx)), (tx.sum(1), bx.sum(1, dtype=np.float32)),
             (tx @ ty.T, bx @ by.T), (tx.mean(), np.float32(bx.astype(np.float64).mean()))]
    for ours, expected in cases:
        assert ours.dtype is torchless.bfloat16
        np.testing.assert_array_equal(ours.float().numpy(), _round(expected))


@needs_bf16
@pytest.mark.parametrize("other, expected", [
    (lambda L: L.ones(3, dtype=L.float16), "float32"), (lambda L: L.ones(3), "float32"),
    (lambda L: L.ones(3, dtype=L.float64), "float64"), (lambda L: L.tensor(1.5), "bfloat16"),
    (lambda L: L.tensor(1.5, dtype=L.float16), "bfloat16"), (lambda L: L.ones(3, dtype=L.int64), "bfloat16"),
    (lambda L: 2, "bfloat16"), (lambda L: 2.5, "bfloat16"), (lambda L: True, "bfloat16"),
    (lambda L: L.ones(3, dtype=L.complex64), "complex64"),
])
def test_promotion_as_torch(other, expected):
    torch = pytest.importorskip("torch")
    x = [1.1, 2.2, 3.3]
    for lib in (torch, torchless):
        result = lib.tensor(x, dtype=lib.bfloat16) + other(lib)
        assert str(result.dtype).split(".")[-1] == expected
    ours = (torchless.tensor(x, dtype=torchless.bfloat16) + other(torchless)).to(torchless.complex128).numpy()
    theirs = (torch.tensor(x, dtype=torch.bfloat16) + other(torch)).to(torch.complex128).numpy()
    np.testing.assert_array_equal(ours, theirs)


@needs_bf16
def test_gradients_are_bfloat16_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((8, 5), (3, 5), (3,), (2, 1, 8, 8), (4, 1, 3, 3))]

    def run(lib):
        F = lib.nn.functional
        x, w, b, img, k = (lib.from_numpy(a).bfloat16().requires_grad_() for a in arrays)
        y = F.linear(F.relu(x) * 1.5 + x.sigmoid(), w, b)
        z = F.max_pool2d(F.conv2d(img, k, padding=1).relu(), 2).sum()
        loss = y.square().mean() + z * 0.01
        loss.backward()
        return [loss, x.grad, w.grad, b.grad, img.grad, k.grad]

    for theirs, ours in zip(run(torch), run(torchless)):
        assert ours.dtype is torchless.bfloat16
        np.testing.assert_allclose(ours.detach().float().numpy(), theirs.detach().float().numpy(), rtol=2 ** -7,
                                   atol=2 ** -7)
    ours, theirs = run(torchless), run(torch)
    for index in (0, 2, 3, 4, 5):  # (all but x's, whose PyTorch backward rounds in bfloat16 between its ops)
        np.testing.assert_array_equal(ours[index].detach().float().numpy(), theirs[index].detach().float().numpy())


# ---------------------------------------------------------------------------------------- autocast("cpu")
def _autocast_run(lib, no_grad=False):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.ReLU(), lib.nn.Conv2d(4, 8, 3),
                              lib.nn.MaxPool2d(2), lib.nn.Flatten(), lib.nn.Linear(8 * 2 * 2, 3))
    x = lib.from_numpy(np.random.default_rng(5).standard_normal((2, 1, 8, 8)).astype(np.float32))
    results = {}
    with lib.autocast("cpu"):
        y = model(x)
        results["y"], results["features"] = y, model[:3](x)
        results["loss"] = lib.nn.functional.cross_entropy(y, lib.tensor([0, 2]))  # (float32 list)
        results["softmax"] = lib.softmax(y, 1)  # (on no list: its operand's dtype)
        results["mm"] = x.reshape(2, 64) @ lib.ones(64, 3)
        results["mixed_mm"] = lib.mm(lib.ones(2, 2, dtype=lib.bfloat16), lib.ones(2, 2) * 0.7)
        results["prod"] = y.prod(1)  # (float32 list)
        results["double"] = lib.mm(x.reshape(2, 64).double(), lib.ones(64, 2, dtype=lib.float64))  # (left alone)
        with lib.autocast("cpu", enabled=False):
            results["disabled"] = model[6](lib.ones(1, 32))
        with lib.no_grad():
            results["no_grad"] = model(x)
    results["after"] = model[6](lib.ones(1, 32))
    results["loss"].backward()
    results["conv_grad"], results["linear_grad"] = model[0].weight.grad, model[6].weight.grad
    return results, model


def _float32_linear_of_ones_tolerance(linear):
    """How far two float32 sums of ``linear``'s products with ones may differ in their last bits (the BLAS kernel,
    whose summation order is its own on each CPU, is no matter of autocast): two float32 ulps of the magnitude of
    what is summed, |W| 1 + |b|, per output (the one seen to differ cancelled from 2.8 to -0.007, off by 0.05 of
    that, on an AMD EPYC)."""
    weight = np.abs(linear.weight.detach().double().numpy())
    bias = np.abs(linear.bias.detach().double().numpy())
    return 2 * np.finfo(np.float32).eps * (weight.sum(1) + bias)


@needs_bf16
def test_autocast_cpu_runs_pytorchs_lists_in_bfloat16():
    torch = pytest.importorskip("torch")
    import warnings

    theirs, model = _autocast_run(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no warning that it computes in float32 any more)
        ours, _ = _autocast_run(torchless)
    for key, value in theirs.items():
        assert str(ours[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
        mine, expected = ours[key].detach().to(torchless.float64).numpy(), value.detach().to(torch.float64).numpy()
        if key in ("disabled", "after"):  # float32 Linear(32, 3) of ones, outside autocast
            assert mine.shape == expected.shape, key
            tolerance = np.broadcast_to(_float32_linear_of_ones_tolerance(model[6]), mine.shape)
            np.testing.assert_array_less(np.abs(mine - expected), tolerance, err_msg=key)
        else:  # (bfloat16's results, and float32's on autocast's float32 list, exactly)
            np.testing.assert_array_equal(mine, expected, err_msg=key)


def test_autocast_without_ml_dtypes_warns_and_keeps_float32(monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])
    monkeypatch.setitem(torchless.amp.autocast_mode._state, "warned_cpu", False)
    with pytest.warns(UserWarning, match="computes in float32"):
        with torchless.autocast("cpu"):
            y = torchless.nn.Linear(3, 2)(torchless.ones(1, 3))
    assert y.dtype is torchless.float32


# ---------------------------------------------------------------------------------------- optimizers
@needs_bf16
@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)), ("SGD", dict(lr=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)), ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1)), ("NAdam", dict(lr=0.01)), ("RAdam", dict(lr=0.01)), ("Adamax", dict(lr=0.01)),
    ("Adadelta", dict()), ("ASGD", dict()), ("Rprop", dict()),
])
def test_optimizer_steps_on_bfloat16_parameters_as_torch(name, options):
    torch = pytest.importorskip("torch")
    weights = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        model = lib.nn.Linear(40, 30).bfloat16()  # (1200 weights: PyTorch's whole vectors and its scalar tail)
        optimizer = getattr(lib.optim, name)(model.parameters(), **options)
        x = lib.ones(2, 40, dtype=lib.bfloat16)
        for _ in range(3):
            optimizer.zero_grad()
            model(x).square().sum().backward()
            optimizer.step()
        assert model.weight.dtype == lib.bfloat16
        weights.append(model.weight.detach().view(lib.int16).numpy())
    np.testing.assert_array_equal(weights[1], weights[0])
