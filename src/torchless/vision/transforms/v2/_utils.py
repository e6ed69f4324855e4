"""What v2's transforms need to walk a sample: ``tree_flatten`` / ``tree_unflatten`` (torch's pytree: lists,
tuples, named tuples and dicts are containers, anything else a leaf), the pure-tensor test, and the queries
that find the image size among a sample's items."""
import collections

from ...._tensor import Tensor
from ..._pillow import is_pil_image
from ... import tv_tensors as tv


def tree_flatten(tree):
    """The leaves of ``tree`` depth first and the spec to put them back with ``tree_unflatten``."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(node, leaves):
    # torch's pytree nodes: exactly these types (a subclass of list or dict of one's own is a leaf)
    if type(node) in (list, tuple, collections.deque) or _is_namedtuple(node):
        return (type(node), [_flatten(child, leaves) for child in node], getattr(node, "maxlen", None))
    if type(node) in (dict, collections.OrderedDict, collections.defaultdict):
        return (type(node), list(node.keys()), [_flatten(child, leaves) for child in node.values()], node)
    leaves.append(node)
    return None


def _is_namedtuple(node):
    return isinstance(node, tuple) and hasattr(type(node), "_fields")


def tree_unflatten(leaves, spec):
    """The structure ``spec`` describes, with ``leaves`` in the places of the flattened ones."""
    return _unflatten(iter(leaves), spec)


def _unflatten(leaves, spec):
    if spec is None:
        return next(leaves)
    kind = spec[0]
    if issubclass(kind, dict):
        values = [_unflatten(leaves, child) for child in spec[2]]
        if kind is dict:
            return dict(zip(spec[1], values))
        out = kind.__new__(kind)
        if hasattr(spec[3], "default_factory"):
            out.default_factory = spec[3].default_factory
        out.update(zip(spec[1], values))
        return out
    children = [_unflatten(leaves, child) for child in spec[1]]
    if kind is list:
        return children
    if kind is tuple:
        return tuple(children)
    if kind is collections.deque:
        return collections.deque(children, maxlen=spec[2])
    return kind(*children)  # a named tuple


def is_pure_tensor(inpt):
    return isinstance(inpt, Tensor) and not isinstance(inpt, tv.TVTensor)


def check_type(obj, types_or_checks):
    for type_or_check in types_or_checks:
        if isinstance(obj, type_or_check) if isinstance(type_or_check, type) else type_or_check(obj):
            return True
    return False


def has_any(flat_inputs, *types_or_checks):
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs, *types_or_checks):
    return all(any(check_type(inpt, (type_or_check,)) for inpt in flat_inputs) for type_or_check in types_or_checks)


def get_bounding_boxes(flat_inputs):
    """The first BoundingBoxes of a sample; a ValueError without one."""
    try:
        return next(inpt for inpt in flat_inputs if isinstance(inpt, tv.BoundingBoxes))
    except StopIteration:
        raise ValueError("No bounding boxes were found in the sample")


def get_keypoints(flat_inputs):
    """The first KeyPoints of a sample; a ValueError without one."""
    try:
        return next(inpt for inpt in flat_inputs if isinstance(inpt, tv.KeyPoints))
    except StopIteration:
        raise ValueError("No keypoints were found in the sample")


def query_chw(flat_inputs):
    """The (channels, height, width) shared by the images and videos of a sample."""
    from . import functional as F

    chws = {tuple(F.get_dimensions(inpt)) for inpt in flat_inputs
            if check_type(inpt, (is_pure_tensor, tv.Image, is_pil_image, tv.Video))}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {_quoted(sorted(chws))}")
    return chws.pop()


def query_size(flat_inputs):
    """The (height, width) shared by the images, videos, masks and boxes of a sample."""
    from . import functional as F

    sizes = {tuple(F.get_size(inpt)) for inpt in flat_inputs
             if check_type(inpt, (is_pure_tensor, tv.Image, is_pil_image, tv.Video, tv.Mask, tv.BoundingBoxes,
                                  tv.KeyPoints))}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {_quoted(sorted(sizes))}")
    return sizes.pop()


def _quoted(items):
    """torchvision's ``sequence_to_str``: "'a', 'b'"."""
    return ", ".join(f"'{item}'" for item in items)
