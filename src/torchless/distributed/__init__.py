"""``torch.distributed`` for a world of one process.

Training scripts import it at the top and guard every use (``dist.is_available() and dist.is_initialized()``),
or set a process group up themselves: ``init_process_group("gloo", rank=0, world_size=1, ...)``, or
``torchrun --nproc-per-node=1`` through the environment. torchless runs such a script as the world's only
process: the collectives leave tensors as gloo leaves them with one process,
:class:`torchless.nn.parallel.DistributedDataParallel` wraps the model and
:class:`torchless.utils.data.distributed.DistributedSampler` deals the whole dataset to rank 0. A world of
several processes needs a transport between them, which torchless does not have: ``init_process_group``
refuses ``world_size > 1``.
"""
import os

from ._collectives import (all_gather, all_gather_into_tensor, all_gather_object, all_gather_single, all_reduce,
                           all_to_all, all_to_all_single, barrier, broadcast, broadcast_object_list, gather,
                           gather_object, irecv, isend, monitored_barrier, recv, reduce, reduce_scatter,
                           reduce_scatter_single, reduce_scatter_tensor, scatter, scatter_object_list, send)
from ._process_group import (GroupMember, ProcessGroup, Work, destroy_process_group, get_backend, get_global_rank,
                             get_group_rank, get_process_group_ranks, get_rank, get_world_size, group,
                             init_process_group, is_initialized, new_group)
from ._reduce_op import ReduceOp

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "all_gather_single", "all_reduce", "all_to_all", "all_to_all_single", "barrier",
           "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "gather_object", "get_backend",
           "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_gloo_available", "is_initialized",
           "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "isend", "monitored_barrier",
           "new_group", "recv", "reduce", "reduce_scatter", "reduce_scatter_single", "reduce_scatter_tensor",
           "scatter", "scatter_object_list", "send"]


class Backend(str):
    """A backend name (``Backend.GLOO == "gloo"``): the names PyTorch knows; torchless's groups are gloo's."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {type(name)}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        return value if value != Backend.UNDEFINED else name.lower()


def is_available():
    """True: the package is there (scripts then ask :func:`is_initialized`)."""
    return True


def is_torchelastic_launched():
    """Whether torchrun (torchelastic) started this process, as PyTorch tells: its run id in the environment."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def is_gloo_available():
    """True: gloo names the backend of torchless's one-process groups (a CPU build of PyTorch has gloo)."""
    return True


def is_nccl_available():
    return False


def is_mpi_available():
    return False
