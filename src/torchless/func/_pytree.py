"""Nested tuples, lists and dicts of values, as torch.func's transforms read their inputs and outputs (PyTorch's
pytrees): flattened into their leaves and a spec that rebuilds the structure around new leaves."""


class TreeSpec:
    """The structure of a nested value: its node type, the node's context (a dict's keys, a named tuple's type)
    and the children's specs; a leaf has no type."""

    def __init__(self, kind=None, context=None, children=()):
        self.kind, self.context, self.children = kind, context, list(children)

    @property
    def is_leaf(self):
        return self.kind is None

    @property
    def num_leaves(self):
        return 1 if self.is_leaf else sum(child.num_leaves for child in self.children)

    def __eq__(self, other):
        return isinstance(other, TreeSpec) and (self.kind, self.context, self.children) == \
            (other.kind, other.context, other.children)

    def __repr__(self, indent=0):
        """PyTorch's printing, which its transforms' error messages show: ``TreeSpec(tuple, None, [*,\\n  *])``."""
        if self.is_leaf:
            return "*"
        indent += 2
        children = [child.__repr__(indent) for child in self.children]
        shown = children[0] + ("," if len(children) > 1 else "") if children else ""
        shown += ",".join("\n" + " " * indent + child for child in children[1:])
        return f"TreeSpec({self.kind.__name__}, {self.context}, [{shown}])"


def _is_named_tuple(value):
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def _children(node):
    """(kind, context, children) of a container node, or None for a leaf."""
    if _is_named_tuple(node):
        return type(node), type(node), list(node)
    if type(node) in (tuple, list):
        return type(node), None, list(node)
    if isinstance(node, dict):
        return dict, list(node), list(node.values())
    return None


def tree_flatten(tree):
    """(the leaves of ``tree`` in order, its spec)."""
    leaves = []

    def walk(node):
        parts = _children(node)
        if parts is None:
            leaves.append(node)
            return TreeSpec()
        kind, context, children = parts
        return TreeSpec(kind, context, [walk(child) for child in children])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec):
    """The value of structure ``spec`` holding ``leaves`` in order."""
    remaining = iter(leaves)

    def build(node):
        if node.is_leaf:
            return next(remaining)
        children = [build(child) for child in node.children]
        if node.kind is dict:
            return dict(zip(node.context, children))
        if node.kind in (tuple, list):
            return node.kind(children)
        return node.kind(*children)  # a named tuple

    return build(spec)


def broadcast_prefix(prefix, tree):
    """The leaves of ``prefix`` repeated over those of ``tree`` below them (``in_dims=0`` for every input, or
    ``(0, None)`` for two arguments however nested), or None where ``prefix``'s structure is not a prefix of
    ``tree``'s."""
    out = []

    def walk(node, sub):
        parts = _children(node)
        if parts is None:
            out.extend([node] * tree_flatten(sub)[1].num_leaves)
            return True
        sub_parts = _children(sub)
        if sub_parts is None or sub_parts[0] is not parts[0] or parts[1] != sub_parts[1] \
                or len(parts[2]) != len(sub_parts[2]):
            return False
        return all(walk(a, b) for a, b in zip(parts[2], sub_parts[2]))

    return out if walk(prefix, tree) else None
