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
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(values, np.float32))
    rounded[nan] = (bits[nan] >> 16) | 0x40  # a NaN stays a (quiet) NaN of its sign
    return rounded.astype(np.uint16)


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
    for source in (values, doubles, values.astype(np.float16)):
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
