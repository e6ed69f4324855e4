"""``set_return_type``."""


class _ReturnTypeContext:
    def __init__(self, to_restore):
        self.to_restore = to_restore

    def __enter__(self):
        return self

    def __exit__(self, *args):
        global _RETURN_TVTENSOR
        _RETURN_TVTENSOR = self.to_restore


_RETURN_TVTENSOR = False


def set_return_type(return_type):
    """Set what torch operations on TVTensors return: "Tensor" (the default) or "TVTensor"; usable as a context
    manager. torchless records the setting but its operations always return plain tensors (the transforms and
    functionals return their input's type either way).

    Raises:
        ValueError: for any other string.
    """
    global _RETURN_TVTENSOR
    to_restore = _RETURN_TVTENSOR
    try:
        _RETURN_TVTENSOR = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    return _ReturnTypeContext(to_restore)
