"""Tensor methods whose implementations load on first use: stft, istft, nonzero_static and the DLPack protocol."""


class DeferredMethods:
    def stft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
             normalized=False, onesided=None, return_complex=None, align_to_window=None):
        """See torchless.stft."""
        from .._spectral import stft

        return stft(self, n_fft, hop_length, win_length, window, center, pad_mode, normalized, onesided,
                    return_complex, align_to_window)

    def istft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
              onesided=None, length=None, return_complex=False):
        """See torchless.istft."""
        from .._spectral import istft

        return istft(self, n_fft, hop_length, win_length, window, center, normalized, onesided, length,
                     return_complex)

    def nonzero_static(self, *args, **kwargs):
        """nonzero_static(*, size, fill_value=-1): see torchless.nonzero_static."""
        from .._ops.nonzero_static import _method

        return _method(self, *args, **kwargs)

    nonzero_static.own_keywords = True  # (no dim, so no axis= for it: PyTorch's parser refuses that keyword)

    def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of the tensor's memory, for another library's from_dlpack."""
        from ..utils import dlpack

        return dlpack.export(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        """The DLPack (device type, device index) of the tensor's memory."""
        from ..utils import dlpack

        return dlpack.device_of(self)
