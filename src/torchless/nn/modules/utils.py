"""Argument helpers of the layers, under the module path PyTorch code imports them from
(``from torch.nn.modules.utils import _pair`` in custom convolution layers), and the state-dict prefix stripper.

``_single``/``_pair``/``_triple``/``_quadruple`` turn an int (or any non-iterable) into a tuple of that many
copies and any iterable into a tuple of its items, unchecked, as PyTorch's do.
"""
import collections.abc
from itertools import repeat

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A converter to n-tuples named ``name``: an iterable becomes the tuple of its items (whatever its length),
    anything else is repeated n times."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """The items of ``t`` last to first, each repeated ``n`` times: per-dimension paddings (d1, d2) become the
    (d2, d2, d1, d1) that F.pad reads from the last dimension backwards."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """An output size whose None entries take the matching trailing entries of ``defaults`` (an input's size).

    A Python int is returned as is; a sequence must be shorter than ``defaults``.
    """
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [d if v is None else v for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Remove ``prefix`` from the keys of ``state_dict`` that start with it, in place (a checkpoint saved from a
    DataParallel/DistributedDataParallel wrapper has every key under "module.").

    The state dict's ``_metadata``, if any, is renamed alike; there the wrapper's own entry is "module" (the prefix
    without its dot), which becomes the root entry "", and the root entry already present is left alone.
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                metadata[key[len(prefix):]] = metadata.pop(key)
