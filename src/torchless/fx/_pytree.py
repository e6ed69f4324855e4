"""``torch.fx._pytree``: flattening a value along a given :class:`~torchless.utils._pytree.TreeSpec`
(:func:`tree_flatten_spec`), as the code of a GraphModule traced with container ``concrete_args`` does."""
from ..utils._pytree import namedtuple, tree_flatten  # (namedtuple: the node type of every named tuple)

__all__ = ["register_pytree_flatten_spec", "tree_flatten_spec"]

SUPPORTED_NODES = {}
SUPPORTED_NODES_EXACT_MATCH = {}


def register_pytree_flatten_spec(cls, flatten_fn_spec, flatten_fn_exact_match_spec=None):
    """Flatten values of ``cls`` along a spec with ``flatten_fn_spec(value, spec) -> children``.

    Args:
        cls (type): the container type
        flatten_fn_spec (Callable): its children in the spec's order
        flatten_fn_exact_match_spec (Callable, optional): whether a value has exactly the spec's children
    """
    SUPPORTED_NODES[cls] = flatten_fn_spec
    SUPPORTED_NODES_EXACT_MATCH[cls] = flatten_fn_exact_match_spec


def tree_flatten_spec(pytree, spec):
    """The leaves of ``pytree`` in the order ``spec`` lists them (a dict's by the spec's keys).

    Args:
        pytree: the value to flatten
        spec (TreeSpec): the structure to follow
    """
    if spec.is_leaf():
        return [pytree]
    if spec.type in SUPPORTED_NODES:
        result = []
        for child, child_spec in zip(SUPPORTED_NODES[spec.type](pytree, spec), spec.children()):
            result += tree_flatten_spec(child, child_spec)
        return result
    flat_result, real_spec = tree_flatten(pytree)
    if spec != real_spec:
        raise RuntimeError(f"Real spec {real_spec} of object {pytree} is different from expected spec {spec}. "
                           f"Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
                           f"bug-report.yml")
    return flat_result


def _by_index(d, spec):
    return [d[i] for i in range(spec.num_children)]


def _same_length(d, spec):
    return len(d) == spec.num_children


register_pytree_flatten_spec(dict, lambda d, spec: [d[k] for k in spec.context], _same_length)
register_pytree_flatten_spec(list, _by_index, _same_length)
register_pytree_flatten_spec(tuple, _by_index, _same_length)
register_pytree_flatten_spec(namedtuple, _by_index, _same_length)
