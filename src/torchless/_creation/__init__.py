"""Tensor factories (PyTorch's ``torch.tensor``, ``zeros``, ``arange``, ``rand``, ... and ``*_like``), a file per
kind: from data, filled with one value, random, ranges."""
from .filled import (empty, empty_like, empty_strided, eye, full, full_like, ones, ones_like, scalar_tensor, zeros,
                     zeros_like)
from .from_data import as_tensor, asarray, from_numpy, frombuffer, tensor
from .random_factories import rand, rand_like, randint, randint_like, randn, randn_like, randperm
from .ranges import arange, deprecated_range, linspace, logspace

__all__ = [
    "arange", "as_tensor", "asarray", "deprecated_range", "empty", "empty_like", "empty_strided", "eye", "from_numpy",
    "frombuffer", "full", "full_like", "linspace", "logspace", "ones", "ones_like", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "randperm", "scalar_tensor", "tensor", "zeros", "zeros_like",
]
