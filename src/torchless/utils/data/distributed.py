"""DistributedSampler: each of ``num_replicas`` processes iterates over its own share of a dataset.

torchless runs in one process and has no process group: ``num_replicas`` and ``rank`` must be given (as a
single-process script that shards by hand does); without them PyTorch asks the default process group, which
is never initialized here, and so fails as PyTorch does before ``init_process_group``.
"""
import math
from typing import TypeVar

from ... import _creation
from ...random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]

_T_co = TypeVar("_T_co", covariant=True)

_NO_PROCESS_GROUP = "Default process group has not been initialized, please make sure to call init_process_group."


class DistributedSampler(Sampler[_T_co]):
    """Indices of the share of ``dataset`` that replica ``rank`` of ``num_replicas`` loads.

    The dataset's indices (shuffled with a generator seeded by ``seed + epoch`` when ``shuffle``) are padded by
    repeating them from the start until they divide evenly (or, with ``drop_last``, cut to a multiple of
    ``num_replicas``), then dealt out: replica ``rank`` takes every ``num_replicas``-th from position ``rank``.
    Call :meth:`set_epoch` at the start of each epoch for a new order.

    Args:
        dataset (Dataset): the dataset, of known length.
        num_replicas (int): how many processes share it.
        rank (int): this process's position among them, in ``[0, num_replicas - 1]``.
        shuffle (bool): shuffle the indices (default: True).
        seed (int): seed of the shuffle, the same in every process (default: 0).
        drop_last (bool): drop the tail that does not divide evenly instead of padding (default: False).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            raise ValueError(_NO_PROCESS_GROUP)
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
