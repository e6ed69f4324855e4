"""``torch.distributed`` as a script sees it before (or without) ``init_process_group``.

Training scripts import it at the top and guard every use (``dist.is_available() and dist.is_initialized()``,
``get_world_size()`` behind such a guard), running as one process when no launcher set a process group up.
torchless runs in one process and has no communication backend: the package is available, its default process
group is never initialized, and what needs one fails with PyTorch's error for a missing default group;
``init_process_group`` refuses. :class:`torchless.nn.parallel.DistributedDataParallel` and
:class:`torchless.utils.data.distributed.DistributedSampler` fail the same way.
"""
import enum
import os

__all__ = ["Backend", "GroupMember", "ReduceOp", "all_gather", "all_gather_object", "all_reduce", "all_to_all",
           "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "get_backend",
           "get_global_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group",
           "irecv", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "isend", "monitored_barrier", "new_group", "recv", "reduce", "reduce_scatter",
           "scatter", "send"]

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class ReduceOp:
    """The reduction of a collective (``ReduceOp.SUM``, ...), its members PyTorch's ``RedOpType``."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

        def __str__(self):
            return f"RedOpType.{self.name}"


for _member in ReduceOp.RedOpType:
    setattr(ReduceOp, _member.name, _member)


class Backend(str):
    """A backend name (``Backend.GLOO == "gloo"``); the names PyTorch knows, none of which torchless runs."""

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


class GroupMember:
    """The default group (``GroupMember.WORLD``: None until a process group exists) and the non-member rank."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:  # noqa: N801 - PyTorch's name
    WORLD = None


def is_available():
    """True: the package is there (scripts then ask :func:`is_initialized`)."""
    return True


def is_initialized():
    """False: torchless never has a default process group."""
    return False


def is_torchelastic_launched():
    """Whether torchrun (torchelastic) started this process, as PyTorch tells: its run id in the environment."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_mpi_available():
    return False


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    raise RuntimeError("torchless runs in one process and has no torch.distributed backend: "
                       "init_process_group is not supported")


def _needing_a_group(name):
    def collective(*args, **kwargs):
        raise ValueError(_NOT_INITIALIZED)

    collective.__name__ = collective.__qualname__ = name
    collective.__doc__ = f"PyTorch's ``{name}``: it needs the default process group, which torchless never has."
    return collective


for _name in ("get_rank", "get_world_size", "get_backend", "barrier", "monitored_barrier", "all_reduce",
              "broadcast", "all_gather", "all_gather_object", "broadcast_object_list", "reduce", "gather",
              "scatter", "reduce_scatter", "all_to_all", "send", "recv", "isend", "irecv", "new_group",
              "get_process_group_ranks"):
    globals()[_name] = _needing_a_group(_name)


def destroy_process_group(group=None):
    raise AssertionError("Process group cannot be None")


def get_global_rank(group, group_rank):
    """The global rank of ``group_rank`` in ``group``: the same rank in the default group."""
    return group_rank
