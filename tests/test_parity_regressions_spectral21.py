"""Session 21, spectral helper: torch.stft / istft (and their methods), view_as_real of strided tensors,
torch.signal.windows, dlpack, quasirandom.SobolEngine, the low-rank factorisations and nonzero_static."""
import random
import textwrap
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_outcome, finite_difference_check, outcome, run_python


def _same(theirs, ours, rtol=2e-5, atol=2e-5):
    """Tensors (or None) of the same shape, dtype, strides and values."""
    assert (theirs is None) == (ours is None)
    if theirs is None:
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours.stride() == theirs.stride()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=rtol, atol=atol)


def _signal(lib, seed, shape, dtype, requires_grad=False):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal(shape)
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------------------- stft / istft
def _stft_cases(count, seed=21):
    """Valid stft calls drawn at random: (shape, dtype, n_fft, keywords, window dtype or None)."""
    draw = random.Random(seed)
    cases = []
    for _ in range(count):
        n_fft = draw.choice([2, 3, 4, 5, 8, 9, 16])
        win_length = draw.choice([None, n_fft, max(1, n_fft - 1), max(1, n_fft // 2), 1])
        hop_length = min(draw.choice([1, 2, 3, 5]), win_length or n_fft)
        dtype = draw.choice(["float32", "float64", "complex64", "complex128"])
        window_dtype = draw.choice([None, "float32", "float64", "complex64"])
        keywords = {"hop_length": hop_length, "win_length": win_length, "center": draw.choice([True, False]),
                    "normalized": draw.choice([True, False]), "return_complex": draw.choice([True, False])}
        if keywords["center"]:
            keywords["pad_mode"] = draw.choice(["reflect", "constant", "replicate", "circular"])
        else:
            keywords["align_to_window"] = draw.choice([None, True, False])
        complex_fft = dtype.startswith("complex") or (window_dtype or "").startswith("complex")
        keywords["onesided"] = draw.choice([None, False] if complex_fft else [None, True, False])
        length = n_fft + draw.randint(0, 20)
        cases.append((draw.choice([(length,), (2, length)]), dtype, n_fft, keywords, window_dtype))
    return cases


def _run_stft(lib, case, requires_grad):
    shape, dtype, n_fft, keywords, window_dtype = case
    if requires_grad:
        dtype = {"float32": "float64", "complex64": "complex128"}.get(dtype, dtype)
    x = _signal(lib, 0, shape, dtype, requires_grad)
    window = None
    if window_dtype is not None:
        window_length = keywords["win_length"] or n_fft
        window = lib.tensor(np.random.default_rng(1).random(window_length) + 0.5, dtype=getattr(lib, window_dtype),
                            requires_grad=requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = lib.stft(x, n_fft, window=window, **keywords)
    if not requires_grad:
        return out, None, None
    loss = (out.real * out.real * 0.3 + out.imag).sum() if out.is_complex() else (out * out).sum()
    loss.backward()
    return out, x.grad, None if window is None else window.grad


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", _stft_cases(60), ids=str)
def test_stft_values_strides_and_gradients_are_pytorchs(case, requires_grad):
    torch = pytest.importorskip("torch")
    for theirs, ours in zip(_run_stft(torch, case, requires_grad), _run_stft(torchless, case, requires_grad)):
        _same(theirs, ours, rtol=1e-4, atol=1e-4)


def _istft_cases(count, seed=121):
    """Valid istft calls: (spectrum shape, dtype, n_fft, keywords, window dtype or None)."""
    draw = random.Random(seed)
    cases = []
    for _ in range(count):
        n_fft = draw.choice([2, 3, 4, 5, 8, 9, 16])
        win_length = draw.choice([None, n_fft, max(1, n_fft - 1), max(1, n_fft // 2)])
        hop_length = min(draw.choice([1, 2, 3]), win_length or n_fft)
        onesided = draw.choice([None, True, False])
        return_complex = draw.random() < 0.3
        if return_complex:
            onesided = draw.choice([None, False])
        frequencies = n_fft // 2 + 1 if onesided or (onesided is None and not return_complex) else n_fft
        frames = draw.randint(2, 8)
        keywords = {"hop_length": hop_length, "win_length": win_length, "center": draw.choice([True, False]),
                    "normalized": draw.choice([True, False]), "onesided": onesided,
                    "length": draw.choice([None, 3, 10, 40]), "return_complex": return_complex}
        shape = draw.choice([(frequencies, frames), (2, frequencies, frames)])
        cases.append((shape, draw.choice(["complex64", "complex128"]), n_fft, keywords,
                      draw.choice([None, "float32", "float64"])))
    return cases


def _run_istft(lib, case, requires_grad):
    shape, dtype, n_fft, keywords, window_dtype = case
    if requires_grad:
        dtype = "complex128"
    spectrum = _signal(lib, 2, shape, dtype, requires_grad)
    window = None
    if window_dtype is not None:
        window = lib.tensor(np.random.default_rng(3).random(keywords["win_length"] or n_fft) + 0.5,
                            dtype=getattr(lib, window_dtype), requires_grad=requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = lib.istft(spectrum, n_fft, window=window, **keywords)
    if not requires_grad:
        return out, None, None
    loss = (out.real * out.real * 0.3 + out.imag).sum() if out.is_complex() else (out * out).sum()
    loss.backward()
    return out, spectrum.grad, None if window is None else window.grad


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("case", _istft_cases(50), ids=str)
def test_istft_values_and_gradients_are_pytorchs(case, requires_grad):
    torch = pytest.importorskip("torch")
    theirs, ours = outcome(lambda: _run_istft(torch, case, requires_grad)), \
        outcome(lambda: _run_istft(torchless, case, requires_grad))
    if isinstance(theirs, Raised):  # a window whose overlap-add vanishes somewhere: PyTorch's error
        assert ours == (theirs.type, theirs.message.replace("torch.", "torchless.")), ours
        return
    for their_tensor, our_tensor in zip(theirs, ours):
        if their_tensor is not None and their_tensor.dim() > 0:
            assert our_tensor is not None
            their_tensor, our_tensor = their_tensor.contiguous(), our_tensor.contiguous()  # (strides: slices)
        _same(their_tensor, our_tensor, rtol=1e-4, atol=1e-4)


def test_stft_then_istft_gives_the_signal_back_and_float64_gradients_match_finite_differences():
    signal = np.random.default_rng(5).standard_normal((2, 30))
    window = np.hanning(10) + 0.1

    def round_trip(x, w):
        spectrum = torchless.stft(x, 10, hop_length=3, window=w, return_complex=True)
        return torchless.istft(spectrum * spectrum.abs(), 10, hop_length=3, window=w, length=30)

    x = torchless.tensor(signal)
    back = torchless.istft(torchless.stft(x, 10, hop_length=3, window=torchless.tensor(window), return_complex=True),
                           10, hop_length=3, window=torchless.tensor(window), length=30)
    np.testing.assert_allclose(back.numpy(), signal, atol=1e-12)
    finite_difference_check(round_trip, [signal, window], rtol=1e-5, atol=1e-6)


STFT_ERRORS = [
    "lib.stft(x, 8)", "lib.stft(x.double(), 40, return_complex=True)",
    "lib.stft(x, 40, return_complex=True, center=False)", "lib.stft(x, 0, return_complex=True, center=False)",
    "lib.stft(x, 8, hop_length=0, return_complex=True)", "lib.stft(x, 8, win_length=9, return_complex=True)",
    "lib.stft(x, 8, win_length=0, return_complex=True)", "lib.stft(x, 8, window=lib.ones(7), return_complex=True)",
    "lib.stft(x, 8, window=lib.ones(2, 4), return_complex=True)",
    "lib.stft(x.view(2, 2, 5), 4, return_complex=True)", "lib.stft(x.view(2, 2, 5), 4, return_complex=True, "
                                                         "center=False)",
    "lib.stft(x[0], 8, return_complex=True)", "lib.stft(x.long(), 8, return_complex=True)",
    "lib.stft(x > 0, 8, return_complex=True)", "lib.stft(x.half(), 8, return_complex=True)",
    "lib.stft(x, 8, return_complex=True, pad_mode='bogus')",
    "lib.stft(x, 8, return_complex=True, onesided=True, window=lib.ones(8, dtype=lib.complex64))",
    "lib.stft(x.to(lib.complex64), 8, onesided=True)", "lib.stft(x.to(lib.complex64), 8, hop_length=0)",
    "lib.stft(x, 8, return_complex=True, align_to_window=True)",
    "lib.stft(x, 5, win_length=4, hop_length=1, return_complex=True, center=False, align_to_window=True)",
    "lib.stft(x, 8.0, return_complex=True)", "lib.stft(x, 8, return_complex=1)",
    "lib.stft(x, 8, return_complex=True, window=[1.0] * 8)", "lib.stft(x, 8, return_complex=True, bogus=1)",
    "x.stft()", "lib.stft(x, 8, window=lib.ones(8, dtype=lib.float64), return_complex=True, hop_length=-1)",
]
ISTFT_ERRORS = [
    "lib.istft(S, 8, window=lib.hann_window(8), return_complex=True)",
    "lib.istft(lib.view_as_real(S), 8)", "lib.istft(S.real, 8)", "lib.istft(S, 8, center=False)",
    "lib.istft(S, 8, window=lib.hann_window(7))", "lib.istft(S, 8, win_length=9)", "lib.istft(S, 8, hop_length=0)",
    "lib.istft(S, 8, hop_length=3, win_length=2)", "lib.istft(S, 10)", "lib.istft(S, 8, onesided=False)",
    "lib.istft(S[None, None], 8)", "lib.istft(S[0], 8)", "lib.istft(S[0, 0], 8)", "lib.istft(S[:, :0], 8)",
    "lib.istft(S, 8, window=lib.zeros(8))", "lib.istft(S, 8, window=lib.ones(8, dtype=lib.complex64))",
    "lib.istft(S, 8, window=lib.ones(8), length=0)", "lib.istft(S, 8.0)", "lib.istft(S, 8, length=3.0)",
    "S.istft(8, foo=1)", "lib.istft(S)", "lib.istft(x=S, n_fft=8, window=lib.hann_window(8))",
    "S.istft(8, axis=1)", "lib.stft(x=x, n_fft=8, return_complex=True)",
]


@pytest.mark.parametrize("call", STFT_ERRORS + ISTFT_ERRORS)
def test_stft_and_istft_refuse_what_pytorch_refuses_with_its_messages(call):
    pytest.importorskip("torch")

    def run(lib):
        x = lib.arange(20.0) / 7
        spectrum = lib.stft(x, 8, window=lib.hann_window(8), return_complex=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(call, {"lib": lib, "x": x, "S": spectrum})

    assert_same_outcome(run)


def test_stft_and_istft_warn_once_per_process_where_pytorch_does(tmp_path):
    pytest.importorskip("torch")
    script = textwrap.dedent("""
        import sys, warnings
        lib = __import__(sys.argv[1])
        x = lib.arange(20.0)

        def caught(call):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                try:
                    call()
                except RuntimeError as error:
                    print("error", error)
            for warning in seen:
                print(warning.filename.rsplit("/", 1)[-1].replace("functional.py", "_spectral.py")
                      .replace("_tensor.py", "deferred.py"), str(warning.message).replace("torch.", "torchless."))

        caught(lambda: lib.stft(x, 8))
        caught(lambda: lib.stft(x, 8, return_complex=True))
        caught(lambda: x.stft(8, return_complex=False))
        caught(lambda: lib.stft(x, 8, return_complex=False))
        spectrum = lib.stft(x, 8, return_complex=True)
        caught(lambda: spectrum.istft(8))
        caught(lambda: lib.istft(spectrum, 8))
        caught(lambda: lib.istft(spectrum, 8, window=lib.ones(8), length=30))
        caught(lambda: lib.istft(spectrum, 8, window=lib.ones(8), length=30))
    """)
    path = tmp_path / "warned.py"
    path.write_text(script)
    expected, _ = run_python([str(path), "torch"], cwd=tmp_path)
    actual, _ = run_python([str(path), "torchless"], cwd=tmp_path)
    assert actual.splitlines() == expected.splitlines()
    assert actual.count("A window was not provided") == 2


def test_view_as_real_of_a_strided_complex_tensor_is_a_view_with_pytorchs_strides():
    torch = pytest.importorskip("torch")
    values = np.arange(24).reshape(2, 3, 4) * (1 + 2j)
    theirs = torch.view_as_real(torch.tensor(values).transpose(1, 2))
    ours_complex = torchless.tensor(values).transpose(1, 2)
    ours = torchless.view_as_real(ours_complex)
    _same(theirs, ours, rtol=0, atol=0)
    ours[1, 2, 0, 1] = -5.0  # writes reach the complex tensor
    assert ours_complex[1, 2, 0].item() == values[1, 0, 2].real - 5j


# (transform, input shape, permutation of its dims, keywords): strided inputs whose results PyTorch's CPU
# transforms lay out with the transformed dims innermost, the others in the input's stride order
FFT_LAYOUT_CASES = [
    ("fft", (2, 21, 16), (0, 1, 2), {}), ("fft", (3, 4, 5), (2, 0, 1), {"dim": 0}),
    ("fft", (3, 4, 5), (1, 2, 0), {"dim": 1}), ("ifft", (3, 4, 5), (2, 1, 0), {"dim": -1}),
    ("rfft", (3, 4, 5), (2, 0, 1), {"dim": 1}), ("irfft", (3, 4, 5), (1, 0, 2), {"dim": 0}),
    ("fftn", (3, 4, 2), (2, 0, 1), {}), ("fft2", (3, 4, 2), (2, 1, 0), {}), ("rfftn", (3, 2, 4, 2), (2, 0, 1, 3), {}),
    ("rfft2", (3, 4, 2), (2, 1, 0), {}), ("irfftn", (2, 3, 4), (1, 2, 0), {"dim": [0, 2]}),
    ("fftn", (4, 3), (0, 1), {"dim": [1, 0]}), ("ihfft", (3, 4, 5), (2, 0, 1), {"dim": 0}),
    ("hfft", (3, 4, 5), (2, 0, 1), {"dim": 2}),
]


@pytest.mark.parametrize("complex_input", [False, True])
@pytest.mark.parametrize("case", FFT_LAYOUT_CASES, ids=str)
def test_fft_results_have_pytorchs_strides_for_strided_inputs(case, complex_input):
    torch = pytest.importorskip("torch")
    name, shape, permutation, keywords = case
    values = np.random.default_rng(0).standard_normal(shape) * (1 + 1j if complex_input else 1)

    def run(lib):
        return getattr(lib.fft, name)(lib.tensor(values).permute(*permutation), **keywords)

    theirs, ours = outcome(lambda: run(torch)), outcome(lambda: run(torchless))
    if isinstance(theirs, Raised):
        assert ours == (theirs.type, theirs.message.replace("torch.", "torchless."))
    else:
        _same(theirs, ours, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------- torch.signal.windows
WINDOW_CALLS = [
    ("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {}), ("exponential", {"tau": 0.5}),
    ("gaussian", {}), ("gaussian", {"std": 0.3}), ("general_cosine", {"a": [0.3, 0.2, 0.1]}),
    ("general_cosine", {"a": (0.4, 0.6)}), ("general_hamming", {}), ("general_hamming", {"alpha": 0.3}),
    ("hamming", {}), ("hann", {}), ("kaiser", {}), ("kaiser", {"beta": 3.5}), ("kaiser", {"beta": 0.0}),
    ("nuttall", {}),
]


@pytest.mark.parametrize("length", [0, 1, 2, 5, 16, 51])
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("call", WINDOW_CALLS, ids=str)
def test_signal_windows_are_pytorchs(call, dtype, sym, length):
    pytest.importorskip("torch")
    name, keywords = call

    def run(lib):
        window = getattr(lib.signal.windows, name)(length, sym=sym, dtype=dtype and getattr(lib, dtype), **keywords)
        return window

    assert_same_outcome(run, rtol=1e-6, atol=3e-7)


@pytest.mark.parametrize("name", ["gaussian", "kaiser", "general_hamming", "bartlett", "exponential", "cosine"])
def test_signal_windows_with_requires_grad_are_computed_from_a_leaf_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.signal.windows, name)(7, requires_grad=True, dtype=torch.float64)
    ours = getattr(torchless.signal.windows, name)(7, requires_grad=True, dtype=torchless.float64)
    assert ours.requires_grad and not ours.is_leaf
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


WINDOW_ERRORS = [
    "w.hann(-1)", "w.hann(5, dtype=lib.float16)", "w.kaiser(5, dtype=lib.int64)", "w.cosine(5, dtype=lib.complex64)",
    "w.gaussian(5, layout=lib.sparse_coo)", "w.exponential(5, tau=0.0)", "w.exponential(5, center=1.0)",
    "w.exponential(5, center=1.0, sym=False)", "w.gaussian(5, std=-1.0)", "w.kaiser(5, beta=-1.0)",
    "w.general_cosine(5, a=[])", "w.general_cosine(5, a=3)", "w.general_cosine(1, a=3)", "w.general_cosine(5)",
    "w.hann(5, True)", "w.blackman(-2, dtype=lib.int32)",
]


@pytest.mark.parametrize("call", WINDOW_ERRORS)
def test_signal_windows_refuse_what_pytorch_refuses(call):
    pytest.importorskip("torch")
    assert_same_outcome(lambda lib: eval(call, {"lib": lib, "w": lib.signal.windows}))


# ---------------------------------------------------------------------------- dlpack
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int8", "uint8", "bool", "complex64"])
def test_dlpack_shares_memory_with_torch_and_numpy_both_ways(dtype):
    torch = pytest.importorskip("torch")
    values = (np.arange(24).reshape(4, 6) % 3).astype(dtype)
    theirs = torch.tensor(values)[1:, ::2].t()
    ours = torchless.from_dlpack(theirs)  # a PyTorch tensor's memory, its strides kept
    assert ours.stride() == theirs.stride() and ours.dtype.name == dtype
    ours[0, 0] = 1 if dtype != "bool" else False
    np.testing.assert_array_equal(theirs.numpy(), ours.numpy())
    back = torch.from_dlpack(torchless.tensor(values)[::2])  # ours read by PyTorch
    assert back.stride() == (12, 1)
    source = torchless.tensor(values)
    shared = torch.from_dlpack(source)
    shared[0, 1] = 0
    assert source[0, 1].item() == 0
    array = np.from_dlpack(source)
    np.testing.assert_array_equal(array, source.numpy())
    from_numpy = torchless.from_dlpack(array)
    from_numpy[1, 1] = 0
    assert array[1, 1] == 0


def test_dlpack_capsules_device_and_refusals_are_pytorchs():
    torch = pytest.importorskip("torch")
    x = torchless.arange(6.0).view(2, 3)
    assert x.__dlpack_device__() == (torchless.utils.dlpack.DLDeviceType.kDLCPU, 0)
    assert repr(x.__dlpack_device__()[0]) == repr(torch.ones(1).__dlpack_device__()[0])
    capsule = torchless.utils.dlpack.to_dlpack(x)
    assert "dltensor" in repr(capsule) and "versioned" not in repr(capsule)
    assert "dltensor_versioned" in repr(x.__dlpack__(max_version=(1, 0)))
    y = torchless.utils.dlpack.from_dlpack(capsule)
    y[0, 0] = 9
    assert x[0, 0].item() == 9
    copied = torchless.from_dlpack(x, copy=True)
    copied[0, 0] = -1
    assert x[0, 0].item() == 9
    read_only = np.arange(3.0)
    read_only.flags.writeable = False
    assert torchless.from_dlpack(read_only).tolist() == [0.0, 1.0, 2.0]
    assert torchless.from_dlpack(torchless.tensor(3.0).expand(4)).stride() == (0,)


DLPACK_ERRORS = [
    "lib.from_dlpack(used)", "lib.from_dlpack([1, 2])",
    "lib.from_dlpack(np.float64(3.0))", "lib.randn(2, requires_grad=True).__dlpack__()",
    "lib.utils.dlpack.to_dlpack(lib.ones(2, requires_grad=True)).__class__.__name__",
    "x.__dlpack__(stream=1)", "x.__dlpack__(stream=1.5)", "lib.from_dlpack(x, device='meta')",
    "lib.from_dlpack(x, device=3)", "lib.from_dlpack(np.arange(3, dtype='>f4'))",
    "lib.from_dlpack(used, copy=True)", "lib.utils.dlpack.to_dlpack([1])", "lib.from_dlpack(x, device='cpu').shape",
]


@pytest.mark.parametrize("call", DLPACK_ERRORS)
def test_dlpack_refuses_what_pytorch_refuses(call):
    pytest.importorskip("torch")

    def run(lib):
        x = lib.arange(6.0)
        used = lib.utils.dlpack.to_dlpack(x)
        lib.from_dlpack(used)
        eval(call, {"lib": lib, "x": x, "np": np, "used": used})
        return lib.tensor(0)  # (for the calls PyTorch takes: that they are taken)

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- quasirandom.SobolEngine
def test_sobol_direction_numbers_are_pytorchs_in_every_dimension():
    torch = pytest.importorskip("torch")
    theirs = torch.quasirandom.SobolEngine(21201).sobolstate.numpy()
    np.testing.assert_array_equal(torchless.quasirandom.SobolEngine(21201).sobolstate.numpy(), theirs)


def _sobol_sequences(count, seed=2101):
    draw = random.Random(seed)
    for _ in range(count):
        steps = [(draw.choice(["draw", "draw", "fast_forward", "reset", "draw_base2"]), draw.randint(0, 9),
                  draw.choice([None, "float32", "float64"])) for _ in range(4)]
        yield (draw.choice([1, 2, 3, 5, 40, 300]), draw.choice([False, True]), draw.choice([None, 0, 7, 1234]), steps)


def _run_sobol(lib, dimension, scramble, seed, steps):
    lib.manual_seed(99)  # (an unseeded scrambled engine draws from the default generator)
    engine = lib.quasirandom.SobolEngine(dimension, scramble=scramble, seed=seed)
    seen = [repr(engine)]
    for step, n, dtype in steps:
        dtype = dtype and getattr(lib, dtype)
        try:
            if step == "draw":
                points = engine.draw(n, dtype=dtype)
                seen.append((str(points.dtype).split(".")[-1], points.numpy().tolist()))
            elif step == "draw_base2":
                seen.append(engine.draw_base2(n % 4, dtype=dtype).numpy().tolist())
            elif step == "fast_forward":
                engine.fast_forward(n)
            else:
                engine.reset()
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            seen.append((type(error).__name__, str(error)))
        seen.append(engine.num_generated)
    return seen + [engine.quasi.numpy().tolist()]


@pytest.mark.parametrize("sequence", list(_sobol_sequences(30)), ids=str)
def test_sobol_engine_draws_pytorchs_points_scrambled_or_not(sequence):
    torch = pytest.importorskip("torch")
    assert _run_sobol(torchless, *sequence) == _run_sobol(torch, *sequence)


def test_sobol_engine_out_argument_and_range_checks_are_pytorchs():
    torch = pytest.importorskip("torch")
    out = torchless.empty(0)
    engine = torchless.quasirandom.SobolEngine(3, scramble=True, seed=3)
    assert engine.draw(4, out=out) is out
    np.testing.assert_array_equal(out.numpy(), torch.quasirandom.SobolEngine(3, scramble=True, seed=3).draw(4).numpy())
    for dimension in (0, 21202):
        assert_same_outcome(lambda lib: lib.quasirandom.SobolEngine(dimension).draw())


# ---------------------------------------------------------------------------- nonzero_static, i0_
NONZERO_STATIC_CALLS = [
    "lib.nonzero_static(x, size=2)", "lib.nonzero_static(x, size=5, fill_value=7)", "x.nonzero_static(size=0)",
    "lib.nonzero_static(x, size=-1)", "lib.nonzero_static(x, 2)", "lib.nonzero_static(x)",
    "lib.nonzero_static(lib.tensor(5), size=2)", "lib.nonzero_static(lib.tensor(0.0), size=2)",
    "lib.nonzero_static(lib.tensor([True, False, True]), size=3, fill_value=-5)",
    "lib.nonzero_static(lib.tensor([1.0, float('nan')]), size=3)", "lib.nonzero_static(lib.tensor([1 + 0j, 0j]), size=3)",
    "lib.nonzero_static(x, size=2, fill_value=2.5)", "lib.nonzero_static(lib.ones(2, 2, requires_grad=True), size=2)",
    "lib.nonzero_static(x, size=2, out=lib.empty(2, 2, dtype=lib.long))",
    "lib.nonzero_static(x, size=2, out=lib.empty(0, dtype=lib.int32))", "x.nonzero_static(2)", "x.nonzero_static()",
    "x.nonzero_static(size=2.0)", "x.nonzero_static(size=2, bogus=1)", "lib.nonzero_static(input=x, size=1)",
    "lib.nonzero_static([1], size=1)", "lib.nonzero_static(lib.zeros(2, 3, 0), size=2)",
    "lib.i0_(lib.tensor([1.0, 2.0]))", "lib.i0_(lib.tensor([1, 2]))", "lib.i0_(lib.tensor([1.0, 2.0], requires_grad=True))",
    "lib.i0_(lib.tensor([1.0, 2.0], dtype=lib.float64))", "lib.i0_(lib.tensor([1.0], dtype=lib.complex64))",
    "lib.i0_(x=lib.tensor([1.0, 2.0]))", "lib.i0_(3.0)", "x.i0_(1)", "lib.nonzero_static(x=x, size=1)",
    "x.nonzero_static(size=1, axis=0)",
]


@pytest.mark.parametrize("call", NONZERO_STATIC_CALLS)
def test_nonzero_static_and_i0_in_place_are_pytorchs(call):
    pytest.importorskip("torch")
    assert_same_outcome(lambda lib: eval(call, {"lib": lib, "x": lib.tensor([[0, 1, 2], [3, 0, 0]])}), rtol=1e-6)


def test_nonzero_static_matches_nonzero_on_random_tensors():
    rng = np.random.default_rng(4)
    for shape in [(7,), (3, 4), (2, 3, 4), (1, 0, 2)]:
        values = torchless.tensor(rng.integers(0, 2, shape))
        expected = np.argwhere(values.numpy())
        for size in (0, 3, len(expected), len(expected) + 4):
            result = torchless.nonzero_static(values, size=size, fill_value=-9).numpy()
            kept = min(size, len(expected))
            np.testing.assert_array_equal(result[:kept], expected[:kept])
            assert result.shape == (size, len(shape)) and (result[kept:] == -9).all()


# ---------------------------------------------------------------------------- svd_lowrank, pca_lowrank
def _lowrank_cases(count, seed=2121):
    draw = random.Random(seed)
    for index in range(count):
        function = draw.choice(["svd_lowrank", "pca_lowrank"])
        keywords = {"q": draw.choice([None, 1, 2, 3]), "niter": draw.choice([0, 1, 2])}
        if function == "pca_lowrank":
            keywords["center"] = draw.choice([True, False])
        yield index, function, draw.choice([(5, 4), (4, 7), (10, 10), (3, 6, 5), (2, 8, 3)]), keywords, \
            function == "svd_lowrank" and draw.random() < 0.3


def _run_lowrank(lib, index, function, shape, keywords, with_mean, dtype):
    values = np.random.default_rng(index).standard_normal(shape)
    lib.manual_seed(index)  # (the test matrix is drawn from the default generator)
    A = lib.tensor(values, dtype=getattr(lib, dtype))
    if with_mean:
        keywords = dict(keywords, M=lib.tensor(values[..., :1, :] * 0.5, dtype=getattr(lib, dtype)))
    return getattr(lib, function)(A, **keywords)


def _same_up_to_signs(theirs, ours, rtol, atol):
    """The same factors (U, S, V), but for the sign of each singular pair (which LAPACK builds choose apart:
    torchless.linalg.svd's are NumPy's LAPACK's)."""
    (U1, S1, V1), (U2, S2, V2) = [[t.detach().numpy() for t in factors] for factors in (theirs, ours)]
    assert U2.dtype == U1.dtype and U2.shape == U1.shape and V2.shape == V1.shape and S2.shape == S1.shape
    signs = np.sign((U1 * U2).sum(-2, keepdims=True))
    np.testing.assert_allclose(S2, S1, rtol=rtol, atol=atol)
    np.testing.assert_allclose(U2 * signs, U1, rtol=rtol, atol=atol)
    np.testing.assert_allclose(V2 * signs, V1, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", list(_lowrank_cases(24)), ids=str)
def test_svd_and_pca_lowrank_draw_pytorchs_test_matrix_and_give_its_factors(case):
    torch = pytest.importorskip("torch")
    _same_up_to_signs(_run_lowrank(torch, *case, "float64"), _run_lowrank(torchless, *case, "float64"), 1e-7, 1e-9)
    _same_up_to_signs(_run_lowrank(torch, *case, "float32"), _run_lowrank(torchless, *case, "float32"), 2e-3, 2e-4)


@pytest.mark.parametrize("call", ["lib.pca_lowrank(A, q=5)", "lib.pca_lowrank(A, q=-1)", "lib.pca_lowrank(A, niter=-1)",
                                  "lib.svd_lowrank(lib.ones(3, 3, dtype=lib.int64), q=2)[1]"])
def test_pca_lowrank_refuses_what_pytorch_refuses(call):
    pytest.importorskip("torch")

    def run(lib):
        lib.manual_seed(0)
        result = eval(call, {"lib": lib, "A": lib.ones(4, 3)})
        return result if isinstance(result, lib.Tensor) else result[1]

    assert_same_outcome(run)
