"""Transforms made of other transforms or functions: Compose, Lambda, RandomApply, RandomOrder,
RandomChoice (and their base RandomTransforms).
"""
import random
from collections.abc import Sequence

from ._transform_base import _Transform, _rand_tensor


class Compose:
    """Chain transforms: ``Compose([ToTensor(), Normalize(mean, std)])``.

    Args:
        transforms (list of transforms): applied in order.
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def _apply_to_batch(self, batch):
        for t in self.transforms:
            apply = getattr(t, "_apply_to_batch", None)
            if apply is None:
                return NotImplemented
            batch = apply(batch)
            if batch is NotImplemented:
                return NotImplemented
        return batch

    def __repr__(self):
        lines = [f"{self.__class__.__name__}("] + [f"    {t}" for t in self.transforms] + [")"]
        return "\n".join(lines)


class Lambda:
    """Apply a user-defined function as a transform.

    Args:
        lambd (callable): the function.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class RandomApply(_Transform):
    """Apply a list of transforms, all together, with probability ``p`` (default 0.5)."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _rand_tensor():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "\n".join([f"{self.__class__.__name__}(", f"    p={self.p}"] + [f"    {t}" for t in self.transforms]
                         + [")"])


class RandomTransforms:
    """Base class of transforms choosing among a sequence of ``transforms``."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self):
        return "\n".join([f"{self.__class__.__name__}("] + [f"    {t}" for t in self.transforms] + [")"])


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order.

    As torchvision's, the order is drawn by Python's ``random`` module (seeded by ``random.seed``, not by
    ``manual_seed``), leaving torch's random stream alone.
    """

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with weights ``p`` (uniformly by default).

    As torchvision's, the pick is ``random.choices`` of Python's ``random`` module, leaving torch's random stream
    alone.
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        return random.choices(self.transforms, weights=self.p)[0](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"
