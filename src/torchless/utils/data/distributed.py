"""DistributedSampler: each of ``num_replicas`` processes iterates over its own share of a dataset.

Without ``num_replicas`` and ``rank`` it asks the default process group, as PyTorch's does: torchless's, when
initialized, is a world of one process, which takes the whole dataset.
"""
import math
from typing import TypeVar

from ... import _creation, distributed
from ...random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]

_T_co = TypeVar("_T_co", covariant=True)


class DistributedSampler(Sampler[_T_co]):
    """Indices of the share of ``dataset`` that replica ``rank`` of ``num_replicas`` loads.

    The dataset's indices (shuffled with a generator seeded by ``seed + epoch`` when ``shuffle``) are padded by
    repeating them from the start until they divide evenly (or, with ``drop_last``, cut to a multiple of
    ``num_replicas``), then dealt out: replica ``rank`` takes every ``num_replicas``-th from position ``rank``.
    Call :meth:`set_epoch` at the start of each epoch for a new order.

    Args:
        dataset (Dataset): the dataset, of known length.
        num_replicas (int, optional): how many processes share it (default: the default group's world size).
        rank (int, optional): this process's position among them, in ``[0, num_replicas - 1]`` (default: its rank).
        shuffle (bool): shuffle the indices (default: True).
        seed (int): seed of the shuffle, the same in every process (default: 0).
        drop_last (bool): drop the tail that does not divide evenly instead of padding (default: False).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            num_replicas = distributed.get_world_size()  # (PyTorch's error when there is no default group)
        if rank is None:
            rank = distributed.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last = 0, drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            # every replica gets the same number of samples, the tail dropped
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle, self.seed = shuffle, seed

    def __iter__(self):
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = _creation.randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, which (with ``seed``) decides the shuffle: call it before each epoch's iteration."""
        self.epoch = epoch
