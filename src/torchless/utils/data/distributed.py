"""``DistributedSampler``: each of ``num_replicas`` processes iterates its own share of a dataset's indices.

torchless has no process groups, so ``num_replicas`` and ``rank`` must be given; left out, they give the error
PyTorch gives before ``init_process_group``.
"""
import math

from ..._creation import randperm
from ...random import Generator
from .sampler import Sampler

_NO_PROCESS_GROUP = ("Default process group has not been initialized, please make sure to call "
                     "init_process_group.")


class DistributedSampler(Sampler):
    """The indices of ``dataset`` (shuffled per ``seed + epoch`` when ``shuffle``) dealt round-robin to the
    replicas: replica ``rank`` takes every ``num_replicas``-th from position ``rank``. The list is first padded by
    repeating its start (or, with ``drop_last``, cut) to a multiple of ``num_replicas``, so every replica gets
    ``len(self)`` indices."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            raise ValueError(_NO_PROCESS_GROUP)
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        length = len(dataset)
        if drop_last and length % num_replicas != 0:
            # the largest multiple of num_replicas below the length
            self.num_samples = math.ceil((length - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(length / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        length = len(self.dataset)
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)  # the same order in every replica
            indices = randperm(length, generator=generator).tolist()
        else:
            indices = list(range(length))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            missing = self.total_size - len(indices)
            if missing > 0:
                indices += (indices * math.ceil(missing / len(indices)))[:missing]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match total_size ({self.total_size})")
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(indices)}) does not match num_samples "
                                 f"({self.num_samples})")
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, which with the seed picks the shuffled order: call it before each epoch's iteration,
        else every epoch repeats the first one's order."""
        self.epoch = epoch
