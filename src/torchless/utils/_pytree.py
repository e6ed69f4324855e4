"""``torch.utils._pytree``: nested containers (tuples, lists, dicts, named tuples, OrderedDicts, defaultdicts, deques
and registered classes) taken apart into their leaves and a :class:`TreeSpec` that puts new leaves back in the same
structure. As in PyTorch 2.13, None is a leaf; a dict's keys keep their insertion order.

    >>> leaves, spec = tree_flatten((1, [2, {"x": 3}]))
    >>> tree_unflatten([10 * leaf for leaf in leaves], spec)
    (10, [20, {'x': 30}])
"""
import collections
import functools

from .._size import Size
from ..return_types import _ReturnType

__all__ = ["LeafSpec", "TreeSpec", "register_pytree_node", "tree_all", "tree_any", "tree_flatten", "tree_leaves",
           "tree_map", "tree_map_", "tree_map_only", "tree_map_only_", "tree_structure", "tree_unflatten"]


class _NodeDef(collections.namedtuple("_NodeDef", ("type", "flatten", "unflatten"))):
    """How a registered type comes apart: ``flatten(node) -> (children, context)``,
    ``unflatten(children, context) -> node``."""


SUPPORTED_NODES = {}


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, to_dumpable_context=None,
                         from_dumpable_context=None, flatten_with_keys_fn=None):
    """Make ``cls`` a container: ``flatten_fn(node) -> (children, context)`` takes one apart and
    ``unflatten_fn(children, context)`` rebuilds it. (The serialization arguments are accepted and unused.)"""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    SUPPORTED_NODES[cls] = _NodeDef(cls, flatten_fn, unflatten_fn)


def _dict_flatten(node):
    return list(node.values()), list(node.keys())


def _ordered_dict_unflatten(children, context):
    return collections.OrderedDict(zip(context, children))


def _defaultdict_flatten(node):
    return list(node.values()), [node.default_factory, list(node.keys())]


def _defaultdict_unflatten(children, context):
    default_factory, keys = context
    return collections.defaultdict(default_factory, zip(keys, children))


def _deque_flatten(node):
    return list(node), node.maxlen


register_pytree_node(tuple, lambda node: (list(node), None), lambda children, context: tuple(children))
register_pytree_node(list, lambda node: (list(node), None), lambda children, context: list(children))
register_pytree_node(dict, _dict_flatten, lambda children, context: dict(zip(context, children)))
register_pytree_node(collections.OrderedDict, _dict_flatten, _ordered_dict_unflatten)
register_pytree_node(collections.defaultdict, _defaultdict_flatten, _defaultdict_unflatten)
register_pytree_node(collections.deque, _deque_flatten,
                     lambda children, context: collections.deque(children, maxlen=context))
# (PyTorch's Size comes back a plain tuple: its sizes may have been mapped to anything)
register_pytree_node(Size, lambda node: (list(node), None), lambda children, context: tuple(children))


class _NamedTupleKind:
    """The node type PyTorch files every named tuple under (shown as ``namedtuple``; the context is the class)."""

    __name__ = "namedtuple"

    def __repr__(self):
        return "<class 'collections.namedtuple'>"


namedtuple = _NamedTupleKind()
SUPPORTED_NODES[namedtuple] = _NodeDef(namedtuple, lambda node: (list(node), type(node)),
                                       lambda children, context: context(*children))


def _node_type(tree):
    """The registered node type ``tree`` is one of, or None for a leaf (only exact registered types are nodes)."""
    kind = type(tree)
    if kind in SUPPORTED_NODES:
        return kind
    if isinstance(tree, _ReturnType):  # (PyTorch's structseqs: nodes of their own type, without context)
        SUPPORTED_NODES[kind] = _NodeDef(kind, lambda node: (list(node), None),
                                         lambda children, context: kind(*children))
        return kind
    if isinstance(tree, tuple) and hasattr(kind, "_fields"):
        return namedtuple
    return None


class TreeSpec:
    """A container's structure: its node ``type``, ``context`` (a dict's keys, a named tuple's class) and the
    specs of its children (``children_specs``)."""

    def __init__(self, type, context, children_specs):
        self.type, self.context, self.children_specs = type, context, list(children_specs)
        self.num_nodes = 1 + sum(child.num_nodes for child in self.children_specs)
        self.num_leaves = sum(child.num_leaves for child in self.children_specs)
        self.num_children = len(self.children_specs)

    def is_leaf(self):
        return self.type is None

    def children(self):
        return list(self.children_specs)

    def child(self, index):
        return self.children_specs[index]

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type, self.context, self.children_specs) == (other.type, other.context, other.children_specs)

    def __hash__(self):
        return hash((self.type, self.num_nodes, self.num_leaves))

    def __repr__(self, indent=0):
        if self.is_leaf():
            return "*"
        indent += 2
        children = [child.__repr__(indent) for child in self.children_specs]
        shown = children[0] + ("," if len(children) > 1 else "") if children else ""
        shown += ",".join("\n" + " " * indent + child for child in children[1:])
        return f"TreeSpec({self.type.__name__}, {self.context}, [{shown}])"

    def flatten_up_to(self, tree):
        """The subtrees of ``tree`` at this spec's leaves (``tree`` has this structure down to them)."""
        subtrees = []
        self._flatten_up_to(tree, subtrees)
        return subtrees

    def _flatten_up_to(self, tree, subtrees):
        if self.is_leaf():
            subtrees.append(tree)
            return
        kind = _node_type(tree)
        if kind is not self.type:
            raise ValueError(f"Node type mismatch; expected {_type_shown(self.type)}, but got {_type_shown(kind)}.")
        children, context = SUPPORTED_NODES[kind].flatten(tree)
        if len(children) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got {len(children)}.")
        if context != self.context:
            raise ValueError(f"Node context mismatch for custom node type {_type_shown(kind)}.")
        for child_spec, child in zip(self.children_specs, children):
            child_spec._flatten_up_to(child, subtrees)

    def unflatten(self, leaves):
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers to "
                             f"a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(iter(leaves))

    def _build(self, leaves):
        if self.is_leaf():
            return next(leaves)
        children = [child._build(leaves) for child in self.children_specs]
        return SUPPORTED_NODES[self.type].unflatten(children, self.context)


def _type_shown(kind):
    return "None" if kind is None else repr(kind)


class LeafSpec(TreeSpec):
    """The spec of a leaf."""

    def __init__(self):
        super().__init__(None, None, [])
        self.num_nodes, self.num_leaves = 1, 1


def _flatten(tree, leaves, is_leaf):
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return LeafSpec()
    kind = _node_type(tree)
    if kind is None:
        leaves.append(tree)
        return LeafSpec()
    children, context = SUPPORTED_NODES[kind].flatten(tree)
    return TreeSpec(kind, context, [_flatten(child, leaves, is_leaf) for child in children])


def tree_flatten(tree, is_leaf=None):
    """(the leaves of ``tree`` in order, its :class:`TreeSpec`); ``is_leaf(node)`` may stop at a container."""
    leaves = []
    spec = _flatten(tree, leaves, is_leaf)
    return leaves, spec


def tree_unflatten(leaves, treespec):
    """The tree of structure ``treespec`` holding ``leaves`` in order."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but got "
                        f"item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def _broadcast_to_and_flatten(tree, treespec, is_leaf=None):
    """The leaves of ``tree``, a prefix of the structure ``treespec``, each repeated over the leaves of the
    subtree it stands for (vmap's ``in_dims=0`` for every input, or ``(0, None)`` for two arguments however
    nested); None where ``tree`` is no prefix of ``treespec``."""
    if is_leaf is not None and is_leaf(tree) or _node_type(tree) is None:
        return [tree] * treespec.num_leaves
    if treespec.is_leaf():
        return None
    kind = _node_type(tree)
    if kind is not treespec.type:
        return None
    children, context = SUPPORTED_NODES[kind].flatten(tree)
    if len(children) != treespec.num_children or context != treespec.context:
        return None
    result = []
    for child, child_spec in zip(children, treespec.children_specs):
        flat = _broadcast_to_and_flatten(child, child_spec, is_leaf=is_leaf)
        if flat is None:
            return None
        result += flat
    return result


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """The tree of ``func(leaf, *same_place_leaves_of_rests)`` over the leaves of ``tree``; each of ``rests`` has
    ``tree``'s structure (or a deeper one, whose subtrees then go to ``func`` whole)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat_rests = [spec.flatten_up_to(rest) for rest in rests]
    return spec.unflatten(func(*values) for values in zip(leaves, *flat_rests))


def tree_map_(func, tree, *rests, is_leaf=None):
    """``func`` over the leaves for its effects; returns ``tree``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat_rests = [spec.flatten_up_to(rest) for rest in rests]
    for values in zip(leaves, *flat_rests):
        func(*values)
    return tree


def _only(type_or_types, func):
    if isinstance(type_or_types, type):
        type_or_types = (type_or_types,)
    else:
        type_or_types = tuple(type_or_types)

    @functools.wraps(func)
    def maybe(leaf):
        return func(leaf) if isinstance(leaf, type_or_types) else leaf

    return maybe


def tree_map_only(type_or_types, func, tree, is_leaf=None):
    """tree_map of ``func`` over the leaves that are instances of ``type_or_types``; the others stay."""
    return tree_map(_only(type_or_types, func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types, func, tree, is_leaf=None):
    return tree_map_(_only(type_or_types, func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    return all(map(pred, tree_leaves(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None):
    return any(map(pred, tree_leaves(tree, is_leaf)))
