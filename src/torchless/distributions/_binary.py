"""What the distributions of a binary outcome's probability share: ``probs`` or ``logits``, either given, the
other computed on first use."""
import numbers

import torchless as _t

from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits


def check_probs_or_logits(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class BinaryProbability:
    """Mixin: ``logits`` from ``probs`` or ``probs`` from ``logits``; ``_param`` is the one given."""

    def _set_probability(self, probs, logits):
        """Keeps the one given, as a tensor; returns the batch shape it makes (none for a number)."""
        check_probs_or_logits(probs, logits)
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        (self._param,) = broadcast_all(value)
        setattr(self, name, self._param)
        return _t.Size() if isinstance(value, numbers.Number) else self._param.size()

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)
