"""The default process group of a one-process world: rendezvous, the group, and what it answers.

A training script written for several processes runs unchanged as the only one (``world_size=1``, as
``torchrun --nproc-per-node=1`` or a hand-written ``init_process_group(..., rank=0, world_size=1)`` starts it):
every collective then leaves its tensors as they are, and PyTorch's gloo backend gives the same numbers.
torchless has no transport between processes, so a world of more than one process is refused at once
rather than left waiting for peers that could never connect.
"""
import datetime
import os
import urllib.parse
import warnings

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
_PROCESS_COUNT_LIMIT = ("torchless runs one process and has no transport between processes: world_size={0} "
                        "needs PyTorch's torch.distributed (only world_size=1 runs here)")


class ProcessGroup:
    """A group of the processes of the world: here only rank 0, the one process."""

    def __init__(self, backend_name):
        self._backend_name = backend_name

    def rank(self):
        return 0

    def size(self):
        return 1

    def name(self):
        return self._backend_name


class GroupMember:
    """The default group (``GroupMember.WORLD``: None until a process group exists) and the non-member rank."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:  # noqa: N801 - PyTorch's name
    WORLD = None


class Work:
    """The handle of a collective started with ``async_op=True``: in a one-process world it is already done."""

    def __init__(self, tensors):
        self._tensors = list(tensors)
        self._waited = False

    def wait(self, timeout=None):
        self._waited = True
        return True

    def is_completed(self):
        return True

    def is_success(self):
        return True

    def exception(self):
        return None

    def result(self):
        if not self._waited:
            raise RuntimeError("Work needs to be completed before calling result(). Should call wait() before "
                               "result().")
        return self._tensors


def _set_world(process_group):
    GroupMember.WORLD = group.WORLD = process_group


_backend = None  # the backend name get_backend() reports, None before init_process_group


def is_initialized():
    """Whether the default process group exists (``init_process_group`` ran and was not destroyed)."""
    return GroupMember.WORLD is not None


def default_group():
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Initialize the default process group, as PyTorch's does, for a world of one process.

    Args:
        backend (str or Backend, optional): ``"gloo"`` (or ``"cpu:gloo"``); None leaves the choice per device,
            as PyTorch does. NCCL, MPI and XCCL are not built in, as in a CPU build of PyTorch.
        init_method (str, optional): ``"env://"`` (the default: ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
            ``MASTER_PORT`` from the environment), ``"tcp://host:port"`` or ``"file:///path"``; ``rank`` and
            ``world_size`` may also be its query parameters.
        timeout (datetime.timedelta, optional): accepted and checked; nothing here waits.
        world_size (int): the number of processes: 1 (more raise a RuntimeError).
        rank (int): this process's rank: 0.
        store (Store, optional): a key-value store shared by the processes; excludes ``init_method``.

    Raises:
        ValueError: "trying to initialize the default process group twice!", or PyTorch's rendezvous errors
            naming the missing parameter or environment variable.
    """
    global _backend
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")
    if not isinstance(rank, int):
        raise RuntimeError(f"`rank` must be an integer. {rank}")
    if str(backend).lower() == "mpi":
        if world_size != -1 or rank != -1:
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since they are "
                          f"assigned by the MPI runtime.")
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included if you build "
                           "PyTorch from source on a host that has MPI installed.")
    if str(backend).lower() == "nccl":
        warnings.warn("Attempted to get default timeout for nccl backend, but NCCL support is not compiled")
    backend_name = _backend_name(backend)
    if store is not None:
        if init_method is not None:
            raise AssertionError("Cannot specify both init_method and store.")
        if world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    else:
        rank, world_size = _rendezvous(init_method or "env://", rank, world_size)
    _check_backend_is_built_in(backend)
    if world_size != 1:
        raise RuntimeError(_PROCESS_COUNT_LIMIT.format(world_size))
    if rank != 0:
        raise ValueError(f"Invalid rank {rank}: a world of world_size=1 has only rank 0")
    _backend = backend_name
    _set_world(ProcessGroup("gloo"))


def destroy_process_group(group=None):
    """Destroy the default process group (``group=None``) or forget one made by :func:`new_group`."""
    global _backend
    if GroupMember.WORLD is None:
        raise AssertionError("Process group cannot be None")
    if group is None or group is GroupMember.WORLD:
        _set_world(None)
        _backend = None


def _backend_name(backend):
    if backend is None:
        return "undefined"  # PyTorch picks a backend per device and reports none
    return "gloo" if str(backend).lower() in ("gloo", "cpu:gloo") else str(backend).lower()


def _check_backend_is_built_in(backend):
    """PyTorch's errors for the backends a CPU build lacks, and for names it does not know."""
    if backend is None:
        return
    for part in str(backend).split(","):
        device, _, name = part.rpartition(":")
        if name.lower() == "gloo":
            continue
        if name.lower() in ("nccl", "xccl"):
            raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
        if device or name.lower() == "ucc":
            raise AssertionError(f"Unknown c10d backend type {name.upper()}")
        warnings.warn(f"Device capability of {name} unknown, assuming `cpu` and `cuda`. You can specify it in "
                      f"`device:backend` format in `init_process_group` call.")
        raise AssertionError(f"Unknown backend type {name}")


def _rendezvous(url, rank, world_size):
    """(rank, world_size) from ``url``'s scheme, as PyTorch's rendezvous handlers read them, with their errors."""
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme
    if scheme not in ("env", "tcp", "file"):
        raise RuntimeError(f"No rendezvous handler for {scheme}://")
    query = dict(urllib.parse.parse_qsl(parsed.query))
    if rank != -1:
        query["rank"] = rank
    if world_size != -1:
        query["world_size"] = world_size

    def error(message):
        return ValueError(f"Error initializing torch.distributed using {scheme}:// rendezvous: {message}")

    def from_environment(name):
        value = os.environ.get(name)
        if value is None:
            raise error(f"environment variable {name} expected, but not set")
        return value

    if scheme == "env":
        rank = int(query["rank"]) if "rank" in query else int(from_environment("RANK"))
        world_size = int(query["world_size"]) if "world_size" in query else int(from_environment("WORLD_SIZE"))
        from_environment("MASTER_ADDR")
        int(from_environment("MASTER_PORT"))
        return rank, world_size
    if scheme == "tcp" and not parsed.port:
        raise error("port number missing")
    if "rank" not in query:
        raise error("rank parameter missing")
    if "world_size" not in query:
        raise error("world size parameter missing")
    return int(query["rank"]), int(query["world_size"])


def get_rank(group=None):
    """This process's rank in ``group`` (the default group if None): 0."""
    default_group()
    return 0


def get_world_size(group=None):
    """The number of processes in ``group`` (the default group if None): 1."""
    default_group()
    return 1


def get_backend(group=None):
    """The backend of ``group``: the name given to :func:`init_process_group` (``"undefined"`` for None)."""
    default_group()
    return _backend


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A new group of the processes ``ranks`` (all if None): in a one-process world, a group of rank 0."""
    default_group()
    if ranks is not None and len(ranks) > 1:
        raise ValueError("the new group's world size should be less or equal to the world size set by "
                         "init_process_group")
    return ProcessGroup("gloo")


def get_process_group_ranks(group):
    """The global ranks of ``group``'s processes: [0]."""
    default_group()
    return [0]


def get_global_rank(group, group_rank):
    """The global rank of ``group_rank`` in ``group``: the same rank, the world having one process."""
    return group_rank


def get_group_rank(group, global_rank):
    """The rank in ``group`` of the process of global rank ``global_rank``: the same rank."""
    return global_rank
