"""``torch.nn.parallel.DistributedDataParallel``, which needs a process group: torchless (whose
``torch.distributed`` has no backend) never has one, so constructing it fails as PyTorch does without
``init_process_group``."""
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Multi-process data-parallel wrapper of PyTorch, which synchronizes gradients through a
    ``torch.distributed`` process group.

    torchless's ``torch.distributed`` has no backend, hence no process group: the constructor raises the errors
    PyTorch's raises before any communication, and otherwise PyTorch's error for a missing default process
    group.

    Args:
        module (Module): the module to wrap
        device_ids, output_device, dim, broadcast_buffers, init_sync, process_group, bucket_cap_mb,
            find_unused_parameters, check_reduction, gradient_as_bucket_view, static_graph,
            delay_all_reduce_named_params, param_to_hook_all_reduce, mixed_precision, device_mesh, ...: as
            PyTorch's.

    Raises:
        ValueError: "Default process group has not been initialized, please make sure to call
            init_process_group."
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None):
        super().__init__()
        if (delay_all_reduce_named_params is not None) != (param_to_hook_all_reduce is not None):
            raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce need to be set at the same "
                             "time.")
        if process_group and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        # A process group or device mesh given could only have come from torch.distributed: none can exist.
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
