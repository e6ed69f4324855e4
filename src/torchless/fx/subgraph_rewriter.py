"""Replacing the occurrences of a pattern in a traced graph by another subgraph (``torch.fx.subgraph_rewriter``)."""
import copy
from dataclasses import dataclass
from typing import NamedTuple

from ..nn import Module
from ._symbolic_trace import symbolic_trace
from .graph import Graph
from .graph_module import GraphModule
from .node import Node
from .passes.utils.matcher_utils import SubgraphMatcher

__all__ = ["Match", "replace_pattern", "replace_pattern_with_filters", "ReplacedPatterns"]


class Match(NamedTuple):
    """Match(anchor, nodes_map)

    .. note::
        Backwards-compatibility for this API is guaranteed.
    """

    # the pattern node the search started from
    anchor: Node
    # maps the pattern's nodes to the graph's nodes
    nodes_map: dict


@dataclass
class ReplacedPatterns:
    """One replaced occurrence: ``anchor`` and ``nodes_map`` as in :class:`Match`, ``replacements`` the nodes
    inserted in its place.

    .. warning::
        This API is experimental and is *NOT* backward-compatible.
    """

    anchor: Node
    nodes_map: dict
    replacements: list


def replace_pattern(gm, pattern, replacement):
    """Matches all possible non-overlapping sets of operators and their data dependencies (``pattern``) in the
    Graph of a GraphModule (``gm``), then replaces each of these matched subgraphs with another subgraph
    (``replacement``).

    Args:
        ``gm``: The GraphModule that wraps the Graph to operate on
        ``pattern``: The subgraph to match in ``gm`` for replacement
        ``replacement``: The subgraph to replace ``pattern`` with

    Returns:
        List[Match]: A list of ``Match`` objects representing the places in the original graph that ``pattern``
        was matched to. The list is empty if there are no matches.

    Matching follows use-def relationships, not node names; the pattern's ``return`` is matched by its values
    only, so the pattern need not reach the end of the graph. Of overlapping matches the first (in topological
    order) is replaced. Every parameter of ``pattern`` must be used in it, and ``replacement`` must take as many
    parameters as ``pattern``, even ones it does not use.

    .. note::
        Backwards-compatibility for this API is guaranteed.
    """
    return [Match(anchor=r.anchor, nodes_map=r.nodes_map) for r in _replace_pattern(gm, pattern, replacement)]


def replace_pattern_with_filters(gm, pattern, replacement=None, match_filters=None, ignore_literals=False,
                                 replacement_callback=None, node_name_match=""):
    """See replace_pattern for documentation. This function is an overload with an additional match_filter
    argument.

    Args:
        ``match_filters``: A list of functions that take in (match: InternalMatch, original_graph: Graph,
            pattern_graph: Graph) and return a boolean indicating whether the match satisfies the condition.
            See matcher_utils.py for definition of InternalMatch.
        ``replacement_callback``: A function that takes in a match and returns a Graph to be used as the
            replacement. This allows you to construct a replacement graph based on the match.
        ``node_name_match``: Node name to match. If not empty, it will try to match the node name.

    .. warning::
        This API is experimental and is *NOT* backward-compatible.
    """
    return _replace_pattern(gm, pattern, replacement, match_filters, ignore_literals, replacement_callback,
                            node_name_match)


def _graph_of(fn_or_graph):
    if isinstance(fn_or_graph, GraphModule):
        return fn_or_graph.graph
    if isinstance(fn_or_graph, Graph):
        return fn_or_graph
    return symbolic_trace(fn_or_graph).graph


def _replace_pattern(gm, pattern, replacement=None, match_filters=None, ignore_literals=False,
                     replacement_callback=None, node_name_match=""):
    graph = gm.graph
    pattern_graph = _graph_of(pattern)
    matcher = SubgraphMatcher(pattern_graph, match_output=False, match_placeholder=False,
                              remove_overlapping_matches=True, ignore_literals=ignore_literals)
    matches = [m for m in matcher.match(graph, node_name_match=node_name_match)
               if all(keep(m, graph, pattern_graph) for keep in match_filters or ())]
    if isinstance(replacement, (GraphModule, Graph)) or callable(replacement):
        shared_replacement = _graph_of(replacement)
    else:
        assert replacement_callback is not None, \
            "Must provide either a replacement GraphModule or a replacement callback"
        shared_replacement = None

    # A match's inputs may be values an earlier replacement has taken over: graph node -> node now computing it.
    taken_over = {}
    replaced = []
    for match in matches:
        if replacement_callback is not None:
            replacement_graph = replacement_callback(match, graph, pattern_graph)
        else:
            replacement_graph = shared_replacement
        inputs = [n for n in replacement_graph.nodes if n.op == "placeholder"]
        assert len(match.placeholder_nodes) == len(inputs), \
            f"Placeholder count mismatch: {len(match.placeholder_nodes)} vs {len(inputs)}"
        _follow_earlier_replacements(match, taken_over)
        val_map = dict(zip(inputs, match.placeholder_nodes))

        with graph.inserting_before(_insertion_point(graph, match.returning_nodes)):
            outputs = graph.graph_copy(replacement_graph, val_map)
        inserted = list(val_map.values())[len(inputs):]
        if isinstance(outputs, Node):
            outputs = (outputs,)
        assert len(match.returning_nodes) == len(outputs), \
            f"Returning nodes count mismatch: {len(match.returning_nodes)} vs {len(outputs)}"
        for old, new in zip(match.returning_nodes, outputs):
            old.replace_all_uses_with(new)
            taken_over[old] = new
        # users before producers, so that each erased node is unused by then
        for pn in reversed(pattern_graph.nodes):
            if pn.op not in ("placeholder", "output"):
                graph.erase_node(match.nodes_map[pn])
        replaced.append(ReplacedPatterns(anchor=match.anchors[0], nodes_map=match.nodes_map, replacements=inserted))

    gm.recompile()
    if isinstance(replacement, Module):
        _copy_missing_attributes(gm, replacement)
    return replaced


def _follow_earlier_replacements(match, taken_over):
    """Points the match's inputs (and their ``nodes_map`` entries) at the nodes that now compute them."""
    for i, gn in enumerate(match.placeholder_nodes):
        if isinstance(gn, Node) and gn in taken_over:
            match.placeholder_nodes[i] = taken_over[gn]
            pn = next(pn for pn, mapped in match.nodes_map.items() if mapped is gn)
            match.nodes_map[pn] = taken_over[gn]


def _insertion_point(graph, returning_nodes):
    """The node the replacement goes before: the first user of a returned value, or, if they have no users, the
    node after the last returned value."""
    users = {user for n in returning_nodes for user in n.users}
    if users:
        point = next(n for n in graph.nodes if n in users)
    else:
        point, following = None, None
        for n in reversed(graph.nodes):
            if n in returning_nodes:
                point = following
                break
            following = n
    assert point is not None, "The insert point can't be None"
    return point


def _existing_attribute(module, target):
    owner_path, _, name = target.rpartition(".")
    try:
        owner = module.get_submodule(owner_path)
    except AttributeError:
        return None
    return getattr(owner, name, None)


def _copy_missing_attributes(gm, replacement):
    """Gives ``gm`` a copy of each submodule or attribute its graph now uses that only ``replacement`` has."""
    gm.delete_all_unused_submodules()
    if isinstance(replacement, GraphModule):
        replacement.graph.lint()
    for node in gm.graph.nodes:
        if node.op not in ("call_module", "get_attr") or _existing_attribute(gm, node.target) is not None:
            continue
        value = _existing_attribute(replacement, node.target)
        if value is None:
            raise RuntimeError('Attempted to create a "', node.op, '" node during subgraph rewriting '
                               f"with target {node.target}, but the referenced attribute does not exist in the "
                               "replacement GraphModule")
        if isinstance(value, Module):
            gm.add_submodule(node.target, copy.deepcopy(value))
        else:
            setattr(gm, node.target, copy.deepcopy(value))
    gm.graph.lint()
