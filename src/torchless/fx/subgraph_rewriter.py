"""Rewriting the occurrences of a pattern in a GraphModule's graph (:func:`replace_pattern`)."""
import copy
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._symbolic_trace import symbolic_trace
from .graph import Graph
from .graph_module import GraphModule
from .node import Node

__all__ = ["Match", "replace_pattern", "replace_pattern_with_filters", "ReplacedPatterns"]


class Match(NamedTuple):
    """Where a pattern was found: the node the match started from, and the pattern's nodes mapped to the graph's."""

    anchor: Any
    nodes_map: dict


@dataclass
class ReplacedPatterns:
    """A replaced occurrence: its anchor, the pattern's nodes mapped to the graph's, and the nodes added."""

    anchor: Any
    nodes_map: dict
    replacements: list


def _replace_attributes(gm, replacement):
    from ..nn import Module
    gm.delete_all_unused_submodules()
    if isinstance(replacement, GraphModule):
        replacement.graph.lint()

    def try_get_attr(gm, target):
        module_path, _, attr_name = target.rpartition(".")
        try:
            mod = gm.get_submodule(module_path)
        except AttributeError:
            return None
        return getattr(mod, attr_name, None)

    for node in gm.graph.nodes:
        if node.op == "call_module" or node.op == "get_attr":
            gm_attr = try_get_attr(gm, node.target)
            replacement_attr = try_get_attr(replacement, node.target)
            if gm_attr is not None:  # (the module's own attribute takes precedence)
                continue
            if replacement_attr is not None:
                new_attr = copy.deepcopy(replacement_attr)
                if isinstance(replacement_attr, Module):
                    gm.add_submodule(node.target, new_attr)
                else:
                    setattr(gm, node.target, new_attr)
            else:
                raise RuntimeError('Attempted to create a "', node.op, '" node during subgraph rewriting '
                                   f"with target {node.target}, but the referenced attribute does not exist in "
                                   "the replacement GraphModule")
    gm.graph.lint()


def replace_pattern(gm, pattern, replacement):
    """Find the non-overlapping occurrences of ``pattern`` (its operations and their data dependencies) in
    ``gm``'s graph, and replace each with ``replacement``.

    Args:
        gm (GraphModule): The GraphModule that wraps the Graph to operate on
        pattern (Union[Callable, GraphModule]): The subgraph to match in ``gm`` for replacement
        replacement (Union[Callable, GraphModule]): The subgraph to replace ``pattern`` with

    Returns:
        List[Match]: where ``pattern`` was found (empty if nowhere)

    Example::

        >>> def pattern(w1, w2):
        ...     return torch.cat([w1, w2]).sum()
        >>> def replacement(w1, w2):
        ...     return torch.stack([w1, w2])
        >>> torch.fx.replace_pattern(traced_module, pattern, replacement)
    """
    match_and_replacements = _replace_pattern(gm, pattern, replacement)
    return [Match(anchor=m.anchor, nodes_map=m.nodes_map) for m in match_and_replacements]


def replace_pattern_with_filters(gm, pattern, replacement=None, match_filters=None, ignore_literals=False,
                                 replacement_callback=None, node_name_match=""):
    """:func:`replace_pattern` keeping only the matches that every filter accepts.

    Args:
        gm (GraphModule): The GraphModule that wraps the Graph to operate on
        pattern (Union[Callable, Graph, GraphModule]): The subgraph to match
        replacement (Union[Callable, Graph, GraphModule, None]): The subgraph to replace it with
        match_filters (List[Callable]): functions of (match, original_graph, pattern_graph) returning whether the
            match is kept
        ignore_literals (bool): match literal arguments as wildcards
        replacement_callback (Callable): a function of (match, original_graph, pattern_graph) returning the
            replacement Graph of that match
        node_name_match (str): Node name to match. If not empty, it will try to match the node name.
    """
    return _replace_pattern(gm, pattern, replacement, match_filters, ignore_literals, replacement_callback,
                            node_name_match)


def _replace_pattern(gm, pattern, replacement=None, match_filters=None, ignore_literals=False,
                     replacement_callback=None, node_name_match=""):
    from ..nn import Module
    from .passes.utils.matcher_utils import SubgraphMatcher
    match_filters = [] if match_filters is None else match_filters
    original_graph = gm.graph
    if isinstance(pattern, GraphModule):
        pattern_graph = pattern.graph
    elif isinstance(pattern, Graph):
        pattern_graph = pattern
    else:
        pattern_graph = symbolic_trace(pattern).graph
    matcher = SubgraphMatcher(pattern_graph, match_output=False, match_placeholder=False,
                              remove_overlapping_matches=True, ignore_literals=ignore_literals)
    _matches = matcher.match(original_graph, node_name_match=node_name_match)
    _matches = [m for m in _matches
                if all(match_filter(m, original_graph, pattern_graph) for match_filter in match_filters)]
    if isinstance(replacement, GraphModule):
        common_replacement_graph = replacement.graph
    elif isinstance(replacement, Graph):
        common_replacement_graph = replacement
    elif callable(replacement):
        common_replacement_graph = symbolic_trace(replacement).graph
    else:
        if replacement_callback is None:
            raise AssertionError("Must provide either a replacement GraphModule or a replacement callback")
        common_replacement_graph = None
    # (as nodes are replaced, later matches' inputs may be nodes replaced already: their replacements)
    match_changed_node = {}
    match_and_replacements = []
    for match in _matches:
        if replacement_callback is not None:
            replacement_graph = replacement_callback(match, original_graph, pattern_graph)
        else:
            if common_replacement_graph is None:
                raise AssertionError("Must provide either a replacement GraphModule or a replacement callback")
            replacement_graph = common_replacement_graph
        replacement_placeholders = [n for n in replacement_graph.nodes if n.op == "placeholder"]
        if len(match.placeholder_nodes) != len(replacement_placeholders):
            raise AssertionError(f"Placeholder count mismatch: {len(match.placeholder_nodes)} vs "
                                 f"{len(replacement_placeholders)}")
        val_map = {}
        for rn, gn in zip(replacement_placeholders, match.placeholder_nodes):
            if isinstance(gn, Node):
                val_map[rn] = match_changed_node.get(gn, gn)
                if gn != val_map[rn]:
                    gn_ind = match.placeholder_nodes.index(gn)
                    match.placeholder_nodes[gn_ind] = match_changed_node[gn]
                    map_key = list(match.nodes_map.keys())[list(match.nodes_map.values()).index(gn)]
                    match.nodes_map[map_key] = match_changed_node[gn]
            else:
                val_map[rn] = gn
        user_nodes = set()
        for n in match.returning_nodes:
            user_nodes.update(n.users)
        first_user_node = None
        if len(user_nodes) == 1:
            first_user_node = next(iter(user_nodes))
        elif len(user_nodes) > 1:  # (the first of them in the graph's order)
            first_user_node = next(n for n in original_graph.nodes if n in user_nodes)
        first_next_node = None
        if first_user_node is None:  # (no users: before the node after the returned ones)
            next_node = None
            for n in reversed(original_graph.nodes):
                if n in match.returning_nodes:
                    first_next_node = next_node
                    break
                next_node = n
        insert_point = first_user_node if first_user_node is not None else first_next_node
        if insert_point is None:
            raise AssertionError("The insert point can't be None")
        with original_graph.inserting_before(insert_point):
            copied_returning_nodes = original_graph.graph_copy(replacement_graph, val_map)
        if isinstance(copied_returning_nodes, Node):
            copied_returning_nodes = (copied_returning_nodes,)
        replacement_nodes = [v for v in val_map.values() if v not in match.placeholder_nodes]
        if len(match.returning_nodes) != len(copied_returning_nodes):
            raise AssertionError(f"Returning nodes count mismatch: {len(match.returning_nodes)} vs "
                                 f"{len(copied_returning_nodes)}")
        for gn, copied_node in zip(match.returning_nodes, copied_returning_nodes):
            gn.replace_all_uses_with(copied_node)
            match_changed_node[gn] = copied_node
        for node in reversed(pattern_graph.nodes):
            if node.op != "placeholder" and node.op != "output":
                gm.graph.erase_node(match.nodes_map[node])
        match_and_replacements.append(ReplacedPatterns(anchor=match.anchors[0], nodes_map=match.nodes_map,
                                                       replacements=replacement_nodes))
    gm.recompile()
    if isinstance(replacement, Module):  # (the submodules and attributes the replacement's nodes name)
        _replace_attributes(gm, replacement)
    return match_and_replacements
