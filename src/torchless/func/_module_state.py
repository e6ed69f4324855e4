"""Module state for torch.func's functional style: several models' parameters stacked into one batch (to vmap a
model over an ensemble), and batch norm freed of the running statistics a vmapped call cannot update."""


def stack_module_state(models):
    r"""(parameters, buffers) of ``models``, which are of one class and in one mode, each stacked along a new first
    dimension: dicts by dotted name, the stacked parameters new leaves that require grad as the models' do.

    Shape:
        - Output: :math:`(M, *S)` for a tensor of shape :math:`S` in each of the :math:`M` models.
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({model.training for model in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if len({type(model) for model in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    parameters = [dict(model.named_parameters()) for model in models]
    buffers = [dict(model.named_buffers()) for model in models]
    return ({name: _stacked_leaf([each[name] for each in parameters], name) for name in parameters[0]},
            {name: _stacked_leaf([each[name] for each in buffers], name) for name in buffers[0]})


def _stacked_leaf(tensors, name):
    from .._functions import stack

    requiring = {tensor.requires_grad for tensor in tensors}
    if len(requiring) != 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = stack([tensor.detach() for tensor in tensors])
    return stacked.requires_grad_() if requiring.pop() else stacked


def replace_all_batch_norm_modules_(root):
    r"""``root`` with every batch norm module in it set to use batch statistics always (no running statistics to
    track), in place: what a model needs to be vmapped over."""
    from ..nn.modules.batchnorm import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root
