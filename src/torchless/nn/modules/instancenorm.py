"""Instance normalisation layers: InstanceNorm1d, InstanceNorm2d and InstanceNorm3d, with optional running
statistics, and their lazy forms (LazyInstanceNorm1d, ...), whose ``num_features`` is inferred from the first
input."""
import warnings

from .._functional.instance_norm import instance_norm
from .batchnorm import _LazyNormBase, _NormBase


# What a star-import gives (PyTorch's list)
__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _get_no_batch_dim(self):
        raise NotImplementedError

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        version = local_metadata.get("version")
        # Checkpoints from before PyTorch 0.4 (no version) saved running statistics that instance
        # norm no longer tracks by default: refused, with PyTorch's explanation.
        if version is None and not self.track_running_stats:
            keys = [prefix + name for name in ("running_mean", "running_var") if prefix + name in state_dict]
            if keys:
                klass = type(self).__name__
                errors.append(
                    "Unexpected running stats buffer(s) {names} for {klass} with track_running_stats=False. If "
                    "state_dict is a checkpoint saved before 0.4.0, this may be expected because {klass} does not "
                    "track running stats by default since 0.4.0. Please remove these keys from state_dict. If the "
                    "running stats are actually needed, instead set track_running_stats=True in {klass} to enable "
                    "them. See the documentation of {klass} for details.".format(
                        names=" and ".join(f'"{k}"' for k in keys), klass=klass))
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    def _apply_instance_norm(self, input):
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._get_no_batch_dim()
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        if input.dim() == self._get_no_batch_dim():
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over (N, C, L) or unbatched (C, L) input: each channel of each sample on its own.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the mean and biased variance over L;
    weight and bias (C,) with ``affine`` (default False, initialised to 1 and 0). With
    ``track_running_stats`` (default False), training also updates running_mean / running_var
    (r = (1 - momentum) * r + momentum * batch average of the instance statistics, unbiased
    variance), and eval normalises with them; otherwise instance statistics are used in both modes.

    Shape:
        - Input: :math:`(N, C, L)`, or :math:`(C, L)` for a single sample
        - Output: the input's shape

    Examples::

        >>> m = nn.InstanceNorm1d(100, affine=True)
        >>> m(torch.randn(20, 100, 40)).shape
        torchless.Size([20, 100, 40])
    """

    def _get_no_batch_dim(self):
        return 2

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images: each channel of each sample is normalised over its own H x W values.

    The arguments and the running statistics are those of :class:`InstanceNorm1d`, for input of one more spatial
    dimension; a 3-D input is one sample without the batch dimension.

    Shape:
        - Input: :math:`(N, C, H, W)`, or :math:`(C, H, W)` for a single sample
        - Output: the input's shape

    Examples::

        >>> m = nn.InstanceNorm2d(100)
        >>> m(torch.randn(20, 100, 35, 45)).shape
        torchless.Size([20, 100, 35, 45])
    """

    def _get_no_batch_dim(self):
        return 3

    def _check_input_dim(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"expected 3D or 4D input (got {input.dim()}D input)")


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of volumes: each channel of each sample is normalised over its own D x H x W values.

    The arguments and the running statistics are those of :class:`InstanceNorm1d`, for input of two more spatial
    dimensions; a 4-D input is one sample without the batch dimension.

    Shape:
        - Input: :math:`(N, C, D, H, W)`, or :math:`(C, D, H, W)` for a single sample
        - Output: the input's shape

    Examples::

        >>> m = nn.InstanceNorm3d(100)
        >>> m(torch.randn(2, 100, 4, 5, 5)).shape
        torchless.Size([2, 100, 4, 5, 5])
    """

    def _get_no_batch_dim(self):
        return 4

    def _check_input_dim(self, input):
        if input.dim() not in (4, 5):
            raise ValueError(f"expected 4D or 5D input (got {input.dim()}D input)")


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    r""":class:`torchless.nn.InstanceNorm1d` whose ``num_features`` is read from the first input, ``input.shape[1]``.

    ``weight``, ``bias``, ``running_mean`` and ``running_var`` stay placeholders until the first call sizes them and
    turns the module into an :class:`InstanceNorm1d`; :class:`torchless.nn.modules.lazy.LazyModuleMixin` describes
    lazy modules in general.

    Two differences from the eager class, both PyTorch's: the defaults are the lazy batch normalisations'
    (``affine=True``, ``track_running_stats=True``) rather than InstanceNorm1d's (both ``False``); and
    ``num_features`` comes from dimension 1 even when the first input is a single unbatched sample (where it is the
    length L, not C).

    Args:
        eps: added to the variance before its square root is taken, to keep the division finite. Default: 1e-5
        momentum: weight of the current batch in the running-statistics update. Default: 0.1
        affine: whether to learn a per-channel scale ``weight`` (starting at 1) and shift ``bias`` (starting at 0).
            Default: ``True``
        track_running_stats: whether to keep ``running_mean`` and ``running_var`` and normalise with them in eval
            mode; with ``False`` each sample is normalised with its own statistics in train and eval mode alike.
            Default: ``True``
        bias: with ``False`` (and ``affine``), a scale is learnt but no shift. Default: ``True``
        device, dtype: where, and in which dtype, the tensors are created.

    Shape:
        - Input: :math:`(N, C, L)`, or :math:`(C, L)` for a single sample
        - Output: the input's shape
    """

    cls_to_become = InstanceNorm1d
    _get_no_batch_dim = InstanceNorm1d._get_no_batch_dim
    _check_input_dim = InstanceNorm1d._check_input_dim


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    r""":class:`torchless.nn.InstanceNorm2d` sized by its first input, as :class:`LazyInstanceNorm1d` is.

    The first call copies ``input.shape[1]`` into ``num_features``, sizes the placeholders with it and turns the
    module into an :class:`InstanceNorm2d`. Arguments and defaults are those of :class:`LazyInstanceNorm1d`.

    Shape:
        - Input: :math:`(N, C, H, W)`, or :math:`(C, H, W)` for a single sample
        - Output: the input's shape
    """

    cls_to_become = InstanceNorm2d
    _get_no_batch_dim = InstanceNorm2d._get_no_batch_dim
    _check_input_dim = InstanceNorm2d._check_input_dim


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    r""":class:`torchless.nn.InstanceNorm3d` sized by its first input, as :class:`LazyInstanceNorm1d` is.

    The first call copies ``input.shape[1]`` into ``num_features``, sizes the placeholders with it and turns the
    module into an :class:`InstanceNorm3d`. Arguments and defaults are those of :class:`LazyInstanceNorm1d`.

    Shape:
        - Input: :math:`(N, C, D, H, W)`, or :math:`(C, D, H, W)` for a single sample
        - Output: the input's shape
    """

    cls_to_become = InstanceNorm3d
    _get_no_batch_dim = InstanceNorm3d._get_no_batch_dim
    _check_input_dim = InstanceNorm3d._check_input_dim
