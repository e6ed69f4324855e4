"""``torch.nn.parallel.DistributedDataParallel`` in a world of one process (see :mod:`torchless.distributed`)."""
import contextlib

from ... import distributed
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_BUCKET_CAP_MB = 25


class DistributedDataParallel(Module):
    """Wraps ``module`` to train it in every process of a ``torch.distributed`` process group at once, each on
    its share of the data, averaging the gradients across processes in ``backward``.

    torchless's process groups have one process, whose gradients are already the average: the wrapper runs
    ``module`` as it is and keeps PyTorch's surface (``.module``, ``no_sync()``, the ``module.``-prefixed
    ``state_dict`` keys a checkpoint written under DDP carries), so a DDP script runs unchanged as one process.

    Args:
        module (Module): the module to wrap; it needs a parameter that requires a gradient.
        device_ids (list, optional): None for a CPU module (PyTorch refuses a device there).
        output_device (int or device, optional): likewise.
        dim (int): the batch dimension (default: 0).
        broadcast_buffers (bool): send rank 0's buffers to the others before each forward (default: True).
        process_group (ProcessGroup, optional): the group; the default group if None.
        bucket_cap_mb (float, optional): the size of the gradient buckets, in MiB (default: 25).
        find_unused_parameters, check_reduction, gradient_as_bucket_view, static_graph, ...: as PyTorch's.

    Raises:
        ValueError: "Default process group has not been initialized, please make sure to call
            init_process_group." before :func:`torchless.distributed.init_process_group`.
        RuntimeError: "DistributedDataParallel is not needed when a module doesn't have any parameter that
            requires a gradient."
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
        if process_group is None:
            process_group = distributed.group.WORLD
            if process_group is None:
                raise ValueError("Default process group has not been initialized, please make sure to call "
                                 "init_process_group.")
        parameters = list(module.parameters())
        if not any(p.requires_grad for p in parameters):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        if device_ids or output_device:  # (PyTorch's test: an output_device of 0 passes)
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                             f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters "
                             f"{ {p.device for p in parameters} }.")
        self.module = module
        self.device_ids = self.output_device = None
        self.dim = dim
        self.process_group = process_group
        self.broadcast_buffers = True if broadcast_buffers is None else broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((_DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

    def forward(self, *inputs, **kwargs):
        # With one process there is nothing to broadcast before the call nor to all-reduce after backward.
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Within it, backward accumulates gradients without averaging them across processes."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
