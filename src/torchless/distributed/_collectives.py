"""The collectives of a one-process world, with gloo's argument checks.

With one process every reduction of a tensor is the tensor itself, a broadcast from rank 0 changes
nothing, and a gather, scatter or all-to-all copies the one input to the one output: exactly what
PyTorch's gloo backend computes when ``world_size`` is 1.
"""
import pickle
import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._process_group import Work, default_group
from ._reduce_op import ReduceOp

_BITWISE = {ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR}


def _check_tensor(value, parameter="tensor"):
    if not isinstance(value, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{parameter}` of type torch.Tensor\n"
                        f"             but got {type(value)} instead.")


def _check_op(op, options):
    """The reductions gloo takes: ``ReduceOp``'s members but PREMUL_SUM (NCCL's, built by a helper of its own)."""
    if not isinstance(op, ReduceOp.RedOpType) or op == ReduceOp.PREMUL_SUM:
        raise TypeError(f"(): incompatible function arguments. The following argument types are supported:\n"
                        f"    1. (self: torch._C._distributed_c10d.{options}, arg0: "
                        f"torch._C._distributed_c10d.ReduceOp) -> None\n\nInvoked with: {options}, {op!r}")


def _check_root(collective, root):
    if root not in (None, 0):
        raise RuntimeError(f"ProcessGroupGloo::{collective}: invalid root rank: {root}")


def _finished(async_op, *tensors):
    return Work(tensors) if async_op else None


def _copy_into(collective, output, source):
    """``output.copy_(source)`` after gloo's checks of the two (one output per process, of the input's size)."""
    if output.dtype != source.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {output.dtype} and  {source.dtype}")
    if output.shape != source.shape:
        expected = ", ".join(map(str, source.shape))
        got = ", ".join(map(str, output.shape))
        raise RuntimeError(f"ProcessGroupGloo::{collective}: invalid tensor size at index 0 (expected ({expected}), "
                           f"got ({got}))")
    with no_grad():
        output.copy_(source)


def _one_output_list(collective, outputs):
    if len(outputs) != 1:
        raise RuntimeError(f"ProcessGroupGloo::{collective}: invalid output tensor list at index 0 (expected "
                           f"length 1, got {len(outputs)})")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over every process, in place: with one process it stays as it is.

    Raises PyTorch's errors for a bitwise ``op`` on floating-point values and for ``AVG`` of integers.
    """
    _check_tensor(tensor)
    default_group()
    _check_op(op, "AllreduceOptions")
    if op in _BITWISE and (tensor.is_floating_point() or tensor.is_complex()):
        raise RuntimeError(f"Cannot use {op} with non-integral dtype".replace("RedOpType.", "ReduceOp."))
    if op == ReduceOp.AVG and not (tensor.is_floating_point() or tensor.is_complex()):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {tensor.dtype.scalar_name}")
    return _finished(async_op, tensor)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over every process into rank ``dst``'s: with one process it stays as it is."""
    _check_tensor(tensor)
    default_group()
    _check_op(op, "ReduceOptions")
    _check_root("reduce", dst if group_dst is None else group_dst)
    return _finished(async_op, tensor)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Send rank ``src``'s ``tensor`` to every process: rank 0, the only one, keeps its own."""
    _check_tensor(tensor)
    default_group()
    _check_root("broadcast", src if group_src is None else group_src)
    return _finished(async_op, tensor)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every process's ``tensor``, in rank order, into ``tensor_list`` (one tensor per process)."""
    _check_tensor(tensor)
    default_group()
    _one_output_list("allgather", tensor_list)
    _copy_into("allgather", tensor_list[0], tensor)
    return _finished(async_op, *tensor_list)


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """Every process's ``input_tensor``, concatenated in rank order, into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    default_group()
    _copy_into("allgather", output_tensor, input_tensor)
    return _finished(async_op, output_tensor)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Deprecated name of :func:`all_gather_single`."""
    warnings.warn("`torch.distributed.all_gather_into_tensor` is deprecated. Please use "
                  "`torch.distributed.all_gather_single` instead.", FutureWarning, stacklevel=2)
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every process's ``tensor``, in rank order, into rank ``dst``'s ``gather_list``."""
    _check_tensor(tensor)
    default_group()
    root = dst if group_dst is None else group_dst
    if root not in (None, 0):
        if gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
        _check_root("gather", root)
    if gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _one_output_list("gather", gather_list)
    _copy_into("gather", gather_list[0], tensor)
    return _finished(async_op, *gather_list)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src``'s ``scatter_list``, one tensor to each process, into each process's ``tensor``."""
    _check_tensor(tensor)
    default_group()
    _check_root("scatter", src if group_src is None else group_src)
    if scatter_list is None:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _one_output_list("scatter", scatter_list)
    _copy_into("scatter", tensor, scatter_list[0])
    return _finished(async_op, tensor)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``input_list`` reduced over every process, its i-th tensor into rank i's ``output``."""
    _check_tensor(output, "output")
    default_group()
    _one_output_list("reduce_scatter", input_list)
    _copy_into("reduce_scatter", output, input_list[0])
    return _finished(async_op, output)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``input`` reduced over every process, its i-th slice along dim 0 into rank i's ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    default_group()
    _copy_into("reduce_scatter", output, input)
    return _finished(async_op, output)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Deprecated name of :func:`reduce_scatter_single`."""
    warnings.warn("`torch.distributed.reduce_scatter_tensor` is deprecated. Please use "
                  "`torch.distributed.reduce_scatter_single` instead.", FutureWarning, stacklevel=2)
    return reduce_scatter_single(output, input, op, group, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Process i's j-th input to process j's i-th output: with one process, the one input to the one output."""
    default_group()
    _one_output_list("alltoall", output_tensor_list)
    _one_output_list("alltoall", input_tensor_list)
    _copy_into("alltoall", output_tensor_list[0], input_tensor_list[0])
    return _finished(async_op, *output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """:func:`all_to_all` of the slices of ``input`` along dim 0, into those of ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    default_group()
    _copy_into("alltoall", output, input)
    return _finished(async_op, output)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every process reaches this call: the only one already has."""
    default_group()
    return _finished(async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """:func:`barrier`, reporting the ranks that do not arrive in time: there are none."""
    default_group()


def _object_copy(obj):
    """``obj`` after the pickling round trip by which PyTorch sends objects, even to itself."""
    return pickle.loads(pickle.dumps(obj))


def all_gather_object(object_list, obj, group=None):
    """Every process's picklable ``obj``, in rank order, into ``object_list``."""
    default_group()
    object_list[0] = _object_copy(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every process's picklable ``obj``, in rank order, into rank ``dst``'s ``object_gather_list``."""
    default_group()
    if object_gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    object_gather_list[0] = _object_copy(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s picklable objects into every process's ``object_list``: rank 0 keeps its own."""
    default_group()


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """Rank ``src``'s ``scatter_object_input_list``, one object to each process, into each process's output
    list (its first element)."""
    default_group()
    scatter_object_output_list[0] = _object_copy(scatter_object_input_list[0])


def _no_other_process(tensor, role, peer):
    _check_tensor(tensor)
    default_group()
    if peer in (None, 0):
        raise ValueError(f"Invalid {role} rank: {role} rank should not be the same as the rank of the current "
                         f"process.")
    raise ValueError(f"Invalid {role} rank {peer}: a world of world_size=1 has only rank 0")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to process ``dst``: the world's only process has no other to send to."""
    _no_other_process(tensor, "destination", dst if group_dst is None else group_dst)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """:func:`send`, asynchronously."""
    _no_other_process(tensor, "destination", dst if group_dst is None else group_dst)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive ``tensor`` from process ``src``: the world's only process has no other to receive from."""
    _no_other_process(tensor, "source", src if group_src is None else group_src)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """:func:`recv`, asynchronously."""
    _no_other_process(tensor, "source", src if group_src is None else group_src)
