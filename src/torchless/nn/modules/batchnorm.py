"""Batch normalisation layers: BatchNorm1d, BatchNorm2d and BatchNorm3d, with running statistics as buffers, and
their lazy forms (LazyBatchNorm1d, ...), whose ``num_features`` is inferred from the first input; SyncBatchNorm,
which in a single process (torchless's only setting) is the plain batch normalisation of any rank.

``_NormBase`` holds what batch and instance normalisation share, as in PyTorch: the affine
parameters, the running-statistics buffers, their reset, repr and state-dict version; ``_LazyNormBase``
what their lazy forms share.
"""
from ... import _creation, _dtype
from ...autograd import grad_mode
from .._functional.normalization import batch_norm
from ..parameter import UninitializedBuffer, UninitializedParameter
from ._affine import register_affine, reset_affine
from .lazy import LazyModuleMixin
from ._owned import owns
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d", "LazyBatchNorm3d",
           "SyncBatchNorm"]


class _NormBase(Module):
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        register_affine(self, num_features, affine, bias, dtype, device)
        factory_dtype = dtype or _dtype.get_default_dtype()
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, dtype=factory_dtype, device=device))
            self.register_buffer("running_var", _creation.ones(num_features, dtype=factory_dtype, device=device))
            self.register_buffer("num_batches_tracked", _creation.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    # Version 2 added num_batches_tracked: a state dict of an older version, or without _metadata
    # (a plain dict), keeps the module's own count instead of missing it, as in PyTorch.
    _version = 2

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
        key = prefix + "num_batches_tracked"
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                               else _creation.tensor(0, dtype=_dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """What the lazy batch and instance normalisations share: ``num_features`` comes from ``input.shape[1]``."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        # affine and track_running_stats False: no tensors to create only to be replaced below
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = _creation.tensor(0, dtype=_dtype.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


@owns("__init__")
class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)


# The Args entries BatchNorm1d/2d/3d share, as they stand in the docstrings (stripped: filled in at their
# indentation)
_BATCH_NORM_DOCS = {
    "args": """
        num_features (int): the number of channels C
        eps (float, optional): added to the variance for numerical stability. Default: ``1e-5``
        momentum (float, optional): weight of the new batch in the running estimates; ``None`` for a cumulative
            (simple) average. Default: ``0.1``
        affine (bool, optional): learn gamma (``weight``, initially 1) and beta (``bias``, initially 0).
            Default: ``True``
        track_running_stats (bool, optional): keep ``running_mean`` and ``running_var`` buffers. Default: ``True``
        device, dtype (optional): where and of which floating dtype the parameters and buffers are created.
    """.strip(),
}


class BatchNorm1d(_BatchNorm):
    __doc__ = """Applies batch normalisation over a (N, C) or (N, C, L) input, channel by channel.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta, with the mean and variance of each channel taken over
    N (and L). In training they are the batch's (biased variance), and the running estimates are updated as
    running = (1 - momentum) * running + momentum * batch (unbiased variance); in eval mode the running
    estimates are used, unless ``track_running_stats=False``, in which case the batch statistics always are.

    Args:
        {args}

    Shape:
        - Input: (N, C) or (N, C, L)
        - Output: (N, C) or (N, C, L), same shape as the input

    Examples::

        >>> m = nn.BatchNorm1d(100)
        >>> m(torch.randn(20, 100)).shape
        torchless.Size([20, 100])
    """.format(**_BATCH_NORM_DOCS)

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    __doc__ = """Applies batch normalisation over a (N, C, H, W) input, channel by channel.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta, with the mean and variance of each channel taken over
    N, H and W. In training they are the batch's (biased variance), and the running estimates are updated as
    running = (1 - momentum) * running + momentum * batch (unbiased variance); in eval mode the running
    estimates are used, unless ``track_running_stats=False``, in which case the batch statistics always are.

    Args:
        {args}

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H, W), same shape as the input

    Examples::

        >>> m = nn.BatchNorm2d(100)
        >>> m(torch.randn(20, 100, 35, 45)).shape
        torchless.Size([20, 100, 35, 45])
    """.format(**_BATCH_NORM_DOCS)

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    __doc__ = """Applies batch normalisation over a (N, C, D, H, W) input, channel by channel.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta, with the mean and variance of each channel taken over
    N, D, H and W. In training they are the batch's (biased variance), and the running estimates are updated as
    running = (1 - momentum) * running + momentum * batch (unbiased variance); in eval mode the running
    estimates are used, unless ``track_running_stats=False``, in which case the batch statistics always are.

    Args:
        {args}

    Shape:
        - Input: (N, C, D, H, W)
        - Output: (N, C, D, H, W), same shape as the input

    Examples::

        >>> m = nn.BatchNorm3d(100)
        >>> m(torch.randn(2, 100, 4, 5, 5)).shape
        torchless.Size([2, 100, 4, 5, 5])
    """.format(**_BATCH_NORM_DOCS)

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    r""":class:`torchless.nn.BatchNorm1d` whose ``num_features`` is taken from the first input, ``input.shape[1]``.

    ``weight``, ``bias``, ``running_mean`` and ``running_var`` are placeholders until that first call, which gives
    them the size C and turns the module into a :class:`BatchNorm1d` (see
    :class:`torchless.nn.modules.lazy.LazyModuleMixin` for how lazy modules behave).

    Args:
        eps: added to the variance before its square root is taken, to keep the division finite. Default: 1e-5
        momentum: weight of the current batch in the running-statistics update; ``None`` averages all the batches
            seen so far with equal weights. Default: 0.1
        affine: whether to learn a per-channel scale ``weight`` and shift ``bias``. Default: ``True``
        track_running_stats: whether to keep ``running_mean`` and ``running_var`` and normalise with them in eval
            mode; with ``False`` both are ``None`` and the batch's own statistics are used in train and eval mode
            alike. Default: ``True``
        bias: with ``False`` (and ``affine``), a scale is learnt but no shift. Default: ``True``
        device, dtype: where, and in which dtype, the tensors are created.

    Shape:
        - Input: :math:`(N, C)` or :math:`(N, C, L)`
        - Output: the input's shape
    """

    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    r""":class:`torchless.nn.BatchNorm2d` sized by its first input, as :class:`LazyBatchNorm1d` is.

    The first call reads C from ``input.shape[1]``, sizes the placeholders with it and turns the module into a
    :class:`BatchNorm2d`. The arguments are those of :class:`LazyBatchNorm1d`.

    Shape:
        - Input: :math:`(N, C, H, W)`
        - Output: the input's shape
    """

    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    r""":class:`torchless.nn.BatchNorm3d` sized by its first input, as :class:`LazyBatchNorm1d` is.

    The first call reads C from ``input.shape[1]``, sizes the placeholders with it and turns the module into a
    :class:`BatchNorm3d`. The arguments are those of :class:`LazyBatchNorm1d`.

    Shape:
        - Input: :math:`(N, C, D, H, W)`
        - Output: the input's shape
    """

    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose statistics PyTorch gathers across the processes of a distributed job.

    torchless runs one process, where PyTorch's SyncBatchNorm has nothing to synchronise and normalises as
    the plain batch normalisation does: input (N, C, *) of any rank from 2. ``process_group`` is kept, unused.
    ``convert_sync_batchnorm`` swaps the batch normalisations of a model for SyncBatchNorm layers.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every batch normalisation in it (itself included) replaced by a SyncBatchNorm that
        takes over its parameters, running statistics and training flag (the very tensors, not copies)."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                      module.track_running_stats, process_group)
            if module.affine:
                with grad_mode.no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
