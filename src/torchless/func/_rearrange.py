"""``rearrange``: einops-style reshaping and permuting by a pattern, ``"b c h w -> b (c h w)"``."""
import math


class DimensionBindError(Exception):
    """A dimension's size in a rearrange pattern that contradicts the tensor or the sizes given."""


_ELLIPSIS = "…"


def _parsed_side(text):
    """The axes of one side of a pattern: each a list of identifiers, a tuple for a parenthesised group (maybe
    empty; ``1`` stands for no identifier), the ellipsis as ``…``."""
    axes, group = [], None
    for token in text.replace("(", " ( ").replace(")", " ) ").replace("...", f" {_ELLIPSIS} ").split():
        if token == "(":
            group = []
        elif token == ")":
            axes.append(tuple(group))
            group = None
        else:
            names = [] if token == "1" else [token]
            if group is None:
                axes.append(names)
            else:
                group.extend(names)
    return axes


def _identifiers(axes):
    return [name for axis in axes for name in axis]


def rearrange(tensor, pattern, **axes_lengths):
    r"""``tensor`` (or a list of tensors, stacked first) with its dimensions split, permuted and merged as
    ``pattern`` writes them: ``"b (h1 h) w -> b h1 h w"`` splits a dimension (``h1=2`` given), ``"b c h w -> b (c
    h w)"`` merges three, ``"... c -> c ..."`` moves one past any others; ``1`` and ``()`` are dimensions of size 1.
    """
    if isinstance(tensor, (list, tuple)):
        from .._functions import stack

        tensor = stack(list(tensor))
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError("Pattern must contain a single '->' separator")
    left, right = _parsed_side(sides[0]), _parsed_side(sides[1])
    for side in (left, right):
        names = _identifiers(side)
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"Indexing expression contains duplicate dimension '{name}'")
    left_names, right_names = _identifiers(left), _identifiers(right)
    one_sided = set(left_names) ^ set(right_names)
    if one_sided:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on both): {one_sided}")
    unknown = set(axes_lengths) - set(left_names)
    if unknown:
        raise ValueError(f"Identifiers not found in rearrange expression: {unknown}")
    if _ELLIPSIS in left_names:  # the ellipsis stands for as many dimensions as the pattern leaves over
        covered = [f"{_ELLIPSIS}{i}" for i in range(max(tensor.dim() - (len(left) - 1), 0))]
        left, right = _expanded(left, covered), _expanded(right, covered)
        left_names = _identifiers(left)
    if len(left) != tensor.dim():
        raise ValueError(f"Number of dimensions in pattern ({len(left)}) must be equal to the number of dimensions in "
                         f"the tensor ({tensor.dim()})")
    sizes = _bound_sizes(left, tensor.shape, axes_lengths, {name: f"d{i}" for i, name in enumerate(left_names)})
    split = tensor.reshape([sizes[name] for name in left_names])
    permuted = split.permute([left_names.index(name) for name in _identifiers(right)])
    return permuted.reshape([math.prod(sizes[name] for name in axis) for axis in right])


def _expanded(axes, covered):
    """``axes`` with the ellipsis replaced by the dimensions it covers (inside a group, by their names there)."""
    out = []
    for axis in axes:
        if axis == [_ELLIPSIS]:
            out.extend([name] for name in covered)
        else:
            out.append([part for name in axis for part in (covered if name == _ELLIPSIS else [name])])
    return out


def _bound_sizes(axes, shape, given, shown):
    """Each identifier's size: given, or inferred from the dimension its group spans (one unknown per group)."""
    sizes = {}
    for axis, size in zip(axes, shape):
        unknown = [name for name in axis if name not in given]
        known = math.prod(given[name] for name in axis if name in given)
        if len(unknown) > 1:
            raise DimensionBindError(f"cannot infer the sizes of two dimensions at once {shown[unknown[0]]} and "
                                     f"{shown[unknown[1]]}")
        if unknown:
            if known == 0 or size % known:
                raise DimensionBindError(f"inferred dimension does not evenly fit into larger dimension: {size} vs "
                                         f"{known}")
            sizes[unknown[0]] = size // known
        elif known != size:
            raise DimensionBindError(f"Dimension sizes to do not match ({size} != {known}) when matching dimension pack "
                                     f"({', '.join(shown[name] for name in axis)},)")
        sizes.update((name, given[name]) for name in axis if name in given)
    return sizes
