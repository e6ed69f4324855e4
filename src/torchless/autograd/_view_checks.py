"""PyTorch's refusals around views that autograd cannot rewrite after an in-place change: the outputs of a function
returning several views (split, chunk, unbind), views made in no_grad or inference mode, and views a custom Function
returned (Tensor._view_creation says which). An in-place op on such a view is refused while recording; a change of
its base (or of another view of it) makes any later use of the view in autograd an error, as PyTorch's grad_fn
refuses once the view's version has moved on since it was made."""

_REASONS = {
    "no_grad": "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
               "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
               "inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    "inference_mode": "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
                      "code by moving both the view and the inplace either both inside the inference_mode block (if "
                      "you don't want the inplace to be tracked) or both outside (if you want the inplace to be "
                      "tracked).",
    "multi_output": "This view is the output of a function that returns multiple views. Such functions do not allow "
                    "the output views to be modified inplace. You should replace the inplace operation by an "
                    "out-of-place one.",
    "custom_function": "This view was created inside a custom Function (or because an input was returned as-is) and "
                       "the autograd logic to handle view+inplace would override the custom backward associated with "
                       "the custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix "
                       "this by cloning the output of the custom Function.",
}


def view_refusal(creation, node_name, output_nr, indirect):
    """PyTorch's message refusing a change of a view made as ``creation`` says: the view itself changed in place
    (``indirect`` False) or its base or another view of it (True). ``node_name``: the view's node's short name
    (Split), None for a view without one."""
    modified = "its base or another view of its base has been" if indirect else "is being"
    if creation in ("no_grad", "inference_mode") or node_name is None:
        prefix = "A view was created in" if node_name is None else \
            f"Output {output_nr} of {node_name} is a view of a view which was created in"
        if creation == "inference_mode":
            head = f"{prefix} inference mode and {modified} modified inplace in normal mode."
        else:
            head = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        head = f"Output {output_nr} of {node_name} is a view and {modified} modified inplace."
    return f"{head} {_REASONS[creation]}"


def short_name(node):
    """A node's name as these messages give it: SplitBackward0 as Split."""
    name = node.name()
    return name[:name.rindex("Backward")] if "Backward" in name else name


def propagated(previous, new):
    """How a view made as ``new`` says (not None) of a view made as ``previous`` says is marked: as its own
    making, unless the view it comes from was made in inference mode (PyTorch's propagate_creation_meta)."""
    return previous if previous == "inference_mode" else new


def mark_version(view):
    """Remember the version at which ``view`` (whose _view_creation is set) was made."""
    view.__dict__["_view_version"] = view._version_counter()[0]


def check_unchanged(view):
    """PyTorch's error where ``view`` (a view with a _view_creation) is used in autograd after its memory changed in
    place since it was made, and its node or its base's gradient would have to be rewritten."""
    version = view.__dict__.get("_view_version")
    if version is None or view._counter[0] == version:
        return
    node = view._grad_fn
    if node is None and not view._view_base._requires_grad:
        return
    raise RuntimeError(view_refusal(view._view_creation, None if node is None else short_name(node),
                                    view._view_output_nr, indirect=True))
