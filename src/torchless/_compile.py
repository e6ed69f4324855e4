"""``torch.compile``: torchless has no compiler, so a model or function is returned as it is.

Its results are then those PyTorch's compiled model gives (to rounding); what differs is the wrapper:
PyTorch returns an ``OptimizedModule`` whose ``state_dict`` keys start with ``_orig_mod.``, torchless the
module itself, whose keys do not.
"""


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, **kwargs):
    """``model`` unchanged; without ``model``, a decorator that returns what it decorates unchanged."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model
