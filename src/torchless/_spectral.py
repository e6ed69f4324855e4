"""torch.stft and torch.istft: short-time Fourier transforms, built as PyTorch's are from framing, windowing and
the transforms of torchless.fft (so autograd reaches the input and the window through them).

``stft`` is PyTorch's Python function (centre padding with ``pad_mode``) in front of its native part, whose
argument checks and messages (a repr of the call, then what is wrong) are reproduced here; ``istft`` is native.
"""
import warnings

import numpy as np

from . import _dtype, _numpy_names, _parser_errors
from ._user_warnings import warns_once
from .autograd.graph import Node

_SOURCE = "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/SpectralOps.cpp:{}.)"
# PyTorch's TORCH_WARN_ONCE texts: each once per process, whatever the warning filters say
_WARNINGS = {
    "stft window": "A window was not provided. A rectangular window will be applied,which is known to cause spectral "
                   "leakage. Other windows such as torch.hann_window or torch.hamming_window are recommended to "
                   "reduce spectral leakage.To suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`. " + _SOURCE.format(835),
    "real output": "stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                   "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                   "still call torch.view_as_real on the complex output to recover the old return format. "
                   + _SOURCE.format(874),
    "istft window": "A window was not provided. A rectangular window will be applied.Please provide the same window "
                    "used by stft to make the inversion lossless.To suppress this warning and use a rectangular "
                    "window, explicitly set `window=torch.ones(n_fft, device=<device>)`. " + _SOURCE.format(1035),
    "zero tail": "The length of signal is shorter than the length parameter. Result is being padded with zeros in "
                 "the tail. Please check your center and hop_length settings. " + _SOURCE.format(1199),
}


def _warn_once(key, stacklevel):
    """Warn once per process; ``stacklevel`` counts from the caller (for stft: its Python part, where PyTorch's
    warnings from the native part point; for istft: the user's call, past the wrapper taking x=)."""
    if warns_once(("spectral", key)):
        warnings.warn(_WARNINGS[key].replace("torch.", "torchless."), UserWarning, stacklevel=stacklevel + 1)


def _optional(value):
    """An optional bool or int as PyTorch's messages print it (bools as 0 or 1)."""
    return "None" if value is None else str(int(value))


def _window_repr(window):
    return "None" if window is None else f"{_dtype.type_text(window.dtype)}{{{list(window.shape)}}}"


_COMPLEX_ERROR = "Cannot have onesided output if window or input is complex"


# ---------------------------------------------------------------------------- stft
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The short-time Fourier transform of a 1-D signal or a 2-D batch of them: (B?, N, T) complex (N = n_fft // 2
    + 1 one-sided, n_fft otherwise; T frames ``hop_length`` apart), or (B?, N, T, 2) real for
    ``return_complex=False``. ``center`` pads ``n_fft // 2`` on both sides (``pad_mode``) first."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        from .nn import functional

        signal_dim = input.dim()
        extended_shape = [1] * (3 - signal_dim) + list(input.size())
        pad = int(n_fft // 2)
        input = functional.pad(input.view(extended_shape), [pad, pad], pad_mode)
        input = input.view(input.shape[-signal_dim:])
    return _native_stft(input, n_fft, hop_length, win_length, window, normalized, onesided, return_complex,
                        align_to_window)


def _stft(input, n_fft, hop_length, win_length, window, normalized, onesided, return_complex, align_to_window,
          overload=1):
    hop_length = n_fft >> 2 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length

    return_complex_given = return_complex

    def fail(problem):
        raise RuntimeError(
            f"stft({_dtype.type_text(input.dtype)}{list(input.shape)}, n_fft={n_fft}, hop_length={hop_length}, "
            f"win_length={win_length}, window={_window_repr(window)}, normalized={int(normalized)}, "
            f"onesided={_optional(onesided)}, return_complex={_optional(return_complex_given)}, "
            f"align_to_window={_optional(align_to_window)}) : {problem}")

    if window is None:
        _warn_once("stft window", 3)
    if return_complex is None:
        return_complex = input.is_complex() or (window is not None and window.is_complex())
        if not return_complex:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
    elif not return_complex:
        _warn_once("real output", 3)
    if not (input.is_floating_point() or input.is_complex()):
        fail("expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        fail("expected a 1D or 2D tensor")
    length = input.shape[-1]
    if n_fft <= 0 or n_fft > length:
        fail(f"expected 0 < n_fft < {length}, but got n_fft={win_length}")
    if hop_length <= 0:
        fail(f"expected hop_length > 0, but got hop_length={hop_length}")
    if win_length <= 0 or win_length > n_fft:
        fail(f"expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        fail(f"expected a 1D window tensor of size equal to win_length={win_length}, but got window with size "
             f"{list(window.shape)}")
    frames = _frames(input if input.dim() == 2 else input.unsqueeze(0), n_fft, hop_length, win_length,
                     align_to_window)
    window = _centred_window(window, n_fft, win_length, input.dtype)
    if window is not None:
        frames = frames * window
    spectrum = _frame_transform(frames, n_fft, normalized, onesided).transpose_(1, 2)
    if input.dim() == 1:
        spectrum.squeeze_(0)
    if return_complex:
        return spectrum
    from ._ops.complex_ops import view_as_real

    return view_as_real(spectrum)


def _frames(input, n_fft, hop_length, win_length, align_to_window):
    """The frames of ``input`` (..., T, n_fft). Aligned to the window (shorter than n_fft, centred in it), the
    signal is padded with the window's left margin on both sides, so that frame t's window starts at sample
    t * hop_length, and counts 1 + (length - win_length) // hop_length frames, as PyTorch's do."""
    if not (align_to_window and win_length < n_fft):
        return input.unfold(-1, n_fft, hop_length)
    from .nn import functional

    left = (n_fft - win_length) // 2
    count = 1 + (input.shape[-1] - win_length) // hop_length
    input = functional.pad(input, [left, left])
    frames = input.unfold(-1, n_fft, hop_length)
    if frames.shape[-2] < count:  # PyTorch's strided view of the frames reaches past its padded signal
        _out_of_bounds(input, count, n_fft, hop_length)
    return frames


def _out_of_bounds(signal, count, n_fft, hop_length):
    batch, length = signal.shape
    itemsize = signal.element_size()
    needed = ((batch - 1) * length + (count - 1) * hop_length + n_fft) * itemsize
    raise RuntimeError(f"setStorage: sizes [{batch}, {count}, {n_fft}], strides [{length}, {hop_length}, 1], storage "
                       f"offset 0, and itemsize {itemsize} requiring a storage size of {needed} are out of bounds for "
                       f"storage of size {batch * length * itemsize}")


def _centred_window(window, n_fft, win_length, dtype):
    """The window zero-padded on both sides to ``n_fft``: a rectangular one of ``dtype`` when None and shorter than
    n_fft (None when as long)."""
    if win_length == n_fft:
        return window
    from .nn import functional
    from ._creation import ones

    left = (n_fft - win_length) // 2
    if window is None:
        window = ones(win_length, dtype=dtype)
    return functional.pad(window, [left, n_fft - win_length - left])


def _frame_transform(frames, n_fft, normalized, onesided):
    from . import fft

    norm = "ortho" if normalized else "backward"
    if frames.is_complex():
        if onesided:
            raise RuntimeError(_COMPLEX_ERROR)
        return fft.fft(_transformable(frames), norm=norm)
    if onesided is None or onesided:
        return fft.rfft(_transformable(frames), norm=norm)
    return fft.fft(_transformable(frames), norm=norm)


def _transformable(tensor):
    if tensor.dtype.itemsize < 4 and tensor.is_floating_point():  # (PyTorch's CPU FFTs have no half kernels)
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {tensor.dtype.scalar_name}")
    return tensor


# the overloads of PyTorch's native stft (the first with the Python function's centre padding, which the native
# part does not do): the Python function calls the second, and a call it refuses lists both
_STFT_SCHEMAS = tuple(
    "Tensor input, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, " + centring
    + "bool normalized=False, bool? onesided=None, bool? return_complex=None, bool? align_to_window=None"
    for centring in ('bool center=True, str pad_mode="reflect", ', ""))
_native_stft = _parser_errors.native_entry("stft", _STFT_SCHEMAS, _stft)


# ---------------------------------------------------------------------------- istft
class _OverlapAdd(Node):
    """Frames (B, T, n) summed into a signal of ``length`` samples, frame t starting at t * ``hop``: PyTorch's
    unfold_backward. Its gradient is the frames of the incoming gradient."""

    def forward(self, frames, hop=1, length=0):
        _, self.count, self.size = frames.shape
        self.hop = hop
        signal = np.zeros((frames.shape[0], length), frames.dtype)
        end = hop * (self.count - 1) + 1
        for offset in range(self.size):  # sample ``offset`` of every frame at once
            signal[:, offset:offset + end:hop] += frames[:, :, offset]
        return signal

    def backward(self, grad):
        frames = np.lib.stride_tricks.sliding_window_view(grad, self.size, axis=-1)[:, ::self.hop][:, :self.count]
        return (np.ascontiguousarray(frames),)

    def name(self):
        return "UnfoldBackwardBackward0"


def _istft(input, n_fft, hop_length, win_length, window, center, normalized, onesided, length, return_complex):
    hop_length = n_fft >> 2 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    onesided_given = onesided

    def fail(problem, separator=" : "):
        raise RuntimeError(
            f"istft(CPU{input.dtype.scalar_name}Type{list(input.shape)}, n_fft={n_fft}, hop_length={hop_length}, "
            f"win_length={win_length}, window={_window_repr(window)}, center={int(center)}, "
            f"normalized={int(normalized)}, onesided={_optional(onesided_given)}, length={_optional(length)}, "
            f"return_complex={int(return_complex)}){separator}{problem}")

    if window is None:
        _warn_once("istft window", 4)
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    from ._ops.complex_ops import view_as_real

    as_real = view_as_real(input)
    frame_count, frequencies = as_real.size(-2), as_real.size(-3)  # (PyTorch's IndexError for fewer dims)
    if input.numel() == 0:
        fail("input tensor cannot be empty.")
    if input.dim() not in (2, 3):
        fail(f"expected a tensor with 3 or 4 dimensions, but got {input.dim() + 1}")
    onesided = frequencies != n_fft if onesided is None else onesided
    if onesided and n_fft // 2 + 1 != frequencies:
        fail("expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 + 1 when "
             f"onesided=True, but got {frequencies}")
    if not onesided and n_fft != frequencies:
        fail(f"expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
             f"onesided=False, but got {frequencies}")
    if not 0 < hop_length <= win_length:
        fail("expected 0 < hop_length <= win_length")
    if not 0 < win_length <= n_fft:
        fail("expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        fail("Invalid window shape. window has to be 1D and length of `win_length`")
    frames = _inverse_frame_transform(input, n_fft, window, normalized, onesided, return_complex)
    real_dtype = input.real.dtype
    full_window = _centred_window(window, n_fft, win_length, real_dtype)
    if full_window is None:
        from ._creation import ones

        full_window = ones(n_fft, dtype=real_dtype)
    signal_length = n_fft + hop_length * (frame_count - 1)
    signal = _overlap_add(frames * full_window, hop_length, signal_length)
    envelope = _overlap_add(full_window.pow(2).expand(1, frame_count, n_fft), hop_length, signal_length)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (-(n_fft // 2) if center else signal_length)
    signal, envelope = signal[:, start:end], envelope[:, start:end]
    if bool((envelope.abs().min() < 1e-11).item()):
        fail("window overlap add min: 1\n[ CPUBoolType{} ]", separator=" ")
    signal = signal / envelope
    if input.dim() == 2:
        signal = signal.squeeze(0)
    if end > signal_length:
        from .nn import functional

        _warn_once("zero tail", 4)
        signal = functional.pad(signal, [0, end - signal_length])
    return signal


def _inverse_frame_transform(input, n_fft, window, normalized, onesided, return_complex):
    """The frames (B, T, n_fft) of the spectrum ``input`` (B?, N, T): complex for ``return_complex``, else real
    from its first n_fft // 2 + 1 frequencies."""
    from . import fft

    spectrum = input if input.dim() == 3 else input.unsqueeze(0)
    spectrum = spectrum.transpose(1, 2)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if onesided:
            raise RuntimeError(_COMPLEX_ERROR)
        return fft.ifft(spectrum, norm=norm)
    if window is not None and window.is_complex():
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    if not onesided:
        spectrum = spectrum.narrow(-1, 0, n_fft // 2 + 1)
    return fft.irfft(spectrum, n=n_fft, norm=norm)


def _overlap_add(frames, hop, length):
    return _OverlapAdd.apply(frames, hop=hop, length=length)


_ISTFT_SCHEMA = ("Tensor input, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, "
                 "bool center=True, bool normalized=False, bool? onesided=None, int? length=None, "
                 "bool return_complex=False")
istft = _parser_errors.native_entry("istft", (_ISTFT_SCHEMA,), _istft)
istft.__doc__ = ("The inverse of stft: the least-squares signal (B?, length) whose short-time transform is "
                 "``input`` (B?, N, T), by overlap-adding the inverse transforms of its frames, each times the "
                 "window, divided by the overlap-added squared window.")

_numpy_names.install_functions(globals())  # istft(x=...), as PyTorch's parser takes it (stft is Python: no)
