"""A model's parameters as one flat vector, and back."""
from ..._functions import cat
from ..._tensor import Tensor, typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters, each flattened, concatenated in order into one 1-D tensor (recorded by autograd)."""
    vector = []
    for param in parameters:
        _check_param_device(param)
        vector.append(param.view(-1))
    return cat(vector)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' data, in order (``param.data`` is replaced)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        _check_param_device(param)
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count


def _check_param_device(param):
    """PyTorch's check that the parameters share one device, which torchless's tensors (all on the CPU) pass; it
    reads ``param.device`` first, so that a non-tensor fails there as in PyTorch."""
    return param.device
