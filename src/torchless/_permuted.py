"""``torch.empty_permuted``: an uninitialised (here zeroed) tensor whose dimensions lie in memory in the order
``physical_layout`` gives, outermost first."""
from . import _parser_errors

_OVERLOADS = ("SymInt[] size, int[] physical_layout, *, dtype? dtype=None, layout? layout=None, "
              "device? device=None, bool pin_memory=False, bool? requires_grad=False",)


def _strides(shape, physical_layout):
    """PyTorch's strides: C order over the dimensions in ``physical_layout``'s order, an empty dimension
    counted as one element."""
    if len(shape) != len(physical_layout):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(shape)} is not equal to len(physical_layout) = {len(physical_layout)}")
    seen = set()
    for index, dim in enumerate(physical_layout):
        if not 0 <= dim < len(shape):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and {len(shape) - 1}, but got {dim} "
                               f"at index {index}).  NB: negative dims not currently supported; file an issue if "
                               "you want it.")
        if dim in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(dim)
    strides, step = [0] * len(shape), 1
    for dim in reversed(physical_layout):
        strides[dim] = step
        step *= max(shape[dim], 1)
    return strides


def empty_permuted(*args, **kwargs):
    parsed = _parser_errors.parse("empty_permuted", _OVERLOADS, args, kwargs)
    from ._creation import empty_strided
    from ._creation._common import check_pin_memory

    check_pin_memory(parsed.get("pin_memory"))
    shape = parsed["size"]
    strides = _strides(shape, parsed["physical_layout"])
    requires_grad = parsed.get("requires_grad")
    return empty_strided(shape, strides, dtype=parsed.get("dtype"), device=parsed.get("device"),
                         requires_grad=bool(requires_grad))
