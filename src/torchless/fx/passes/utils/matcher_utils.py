"""Finding the occurrences of a pattern graph in a graph (:class:`SubgraphMatcher`), as
:func:`torch.fx.replace_pattern` does."""
import copy
from collections import defaultdict
from dataclasses import dataclass, field

from ...node import Node

__all__ = ["SubgraphMatcher", "InternalMatch"]


@dataclass
class InternalMatch:
    """One occurrence of the pattern: its anchors, the pattern's nodes mapped to the graph's, the graph's nodes
    that stand for the pattern's placeholders and those its output returns."""

    anchors: list
    nodes_map: dict = field(default_factory=dict)
    placeholder_nodes: list = field(default_factory=list)
    returning_nodes: list = field(default_factory=list)
    name_node_map: dict = field(default_factory=dict)

    def __copy__(self):
        return InternalMatch(anchors=self.anchors, nodes_map=self.nodes_map.copy(),
                             placeholder_nodes=self.placeholder_nodes.copy(),
                             returning_nodes=self.returning_nodes.copy())


def _get_attr(module, target):
    *prefix, field_ = target.split(".")
    for item in prefix:
        module = getattr(module, item)
    return getattr(module, field_)


class SubgraphMatcher:
    """Match a pattern graph against graphs, walking both backwards from the pattern's sinks.

    Args:
        pattern (Graph): the targeted matching pattern, represented in fx.Graph.
        match_output (bool): If True, output node in the pattern graph will be treated as a part of the targeted
            pattern. If False, output node is ignored during match.
        match_placeholder (bool): If True, placeholder node in the pattern graph will be treated as a part of
            the targeted pattern. If False, placeholder nodes will be used a wildcard.
        remove_overlapping_matches (bool): If True, in the case of overlapping matches, only the first match
            will be returned.
        ignore_literals (bool): If True, will not check if literals are equal and will instead treat them as
            wildcards.
    """

    def __init__(self, pattern, match_output=False, match_placeholder=False, remove_overlapping_matches=True,
                 ignore_literals=False):
        self.pattern = pattern
        self.match_output = match_output
        self.match_placeholder = match_placeholder
        self.remove_overlapping_matches = remove_overlapping_matches
        self.ignore_literals = ignore_literals
        if len(pattern.nodes) == 0:
            raise ValueError("SubgraphMatcher cannot be initialized with an empty pattern")
        for node in pattern.nodes:
            if node.op != "output" and not node.is_impure() and len(node.users) == 0:
                raise AssertionError("SubgraphMatcher cannot be initialized with an pattern with dead code")
        self.pattern_placeholder_nodes = [n for n in pattern.nodes if n.op == "placeholder"]
        output_node = next(iter(reversed(pattern.nodes)))
        self.pattern_returning_nodes = output_node.all_input_nodes
        if match_output:
            self.pattern_anchors = [output_node]
        else:  # (the pattern's sinks: nodes whose only user is the output)
            self.pattern_anchors = [n for n in output_node.all_input_nodes if len(n.users) == 1]

    def _match_attributes(self, pn, gn):
        from ... import Tensor
        if not isinstance(pn.target, str):
            raise AssertionError(f"pn.target {pn.target} must be a string.")
        if not isinstance(gn.target, str):
            raise AssertionError(f"gn.target {gn.target} must be a string.")
        if pn.graph.owning_module is None:
            raise AssertionError("pn.graph.owning_module must not be None")
        if gn.graph.owning_module is None:
            raise AssertionError("gn.graph.owning_module must not be None")
        pn_value = _get_attr(pn.graph.owning_module, pn.target)
        gn_value = _get_attr(gn.graph.owning_module, gn.target)
        if type(pn_value) is not type(gn_value):
            return False
        if isinstance(pn_value, Tensor):  # (any tensor matches a tensor: values are not compared)
            return isinstance(gn_value, Tensor)
        raise RuntimeError(f"Unsupported type {pn_value} when matching attributes")

    def _nodes_are_equal(self, pn, gn, node_name_match=""):
        if not self.match_placeholder and pn.op == "placeholder":
            return True
        if node_name_match and node_name_match in gn.name:
            return True
        if pn.op == gn.op:
            if pn.op in ("placeholder", "output"):
                return True
            if pn.op == "get_attr":
                return self._match_attributes(pn, gn)
            return pn.target == gn.target
        return False

    def _is_contained(self, nodes_map):
        # (no node of the match but those the pattern returns may be used outside it)
        lookup = {gn: pn for pn, gn in nodes_map.items() if pn.op != "placeholder"}
        for gn, pn in lookup.items():
            if pn in self.pattern_returning_nodes:
                continue
            if any(user not in lookup for user in gn.users):
                return False
        return True

    def _remove_overlapping_matches(self, matches):
        non_overlapping_matches = []
        nodes_matched = set()
        for match in matches:
            if not any(pn.op not in {"placeholder", "output"} and gn in nodes_matched
                       for pn, gn in match.nodes_map.items()):
                non_overlapping_matches.append(match)
                nodes_matched.update(gn for pn, gn in match.nodes_map.items()
                                     if pn.op not in {"placeholder", "output"})
        return non_overlapping_matches

    def _match_literals(self, pn, gn, match):
        if isinstance(pn, Node) and isinstance(gn, Node):
            raise AssertionError("pn and gn cannot both be Node")
        if isinstance(pn, Node) and not isinstance(gn, Node):
            if pn.op == "placeholder":  # (a placeholder stands for any value, the same one each time)
                if pn in match.nodes_map:
                    return match.nodes_map[pn] == gn
                match.nodes_map[pn] = gn
                return True
            return False
        if not isinstance(pn, Node) and isinstance(gn, Node):
            return False
        return type(gn) is type(pn) and gn == pn

    def _match_nodes(self, pn, gn, match, node_name_match=""):
        if not (isinstance(pn, Node) and isinstance(gn, Node)):
            raise AssertionError(f"pn and gn must be Node, pn: {pn}, gn: {gn}")
        if pn in match.nodes_map:
            return match.nodes_map[pn] == gn
        if gn in match.nodes_map.values():
            return False
        if not self._nodes_are_equal(pn, gn, node_name_match):
            return False
        match.nodes_map[pn] = gn
        if pn.op == "placeholder":
            return True

        def _match_args(args1, args2):
            if len(args1) != len(args2):
                return False
            for a1, a2 in zip(args1, args2):
                if isinstance(a1, Node) and isinstance(a2, Node):
                    matched = self._match_nodes(a1, a2, match)
                elif isinstance(a1, (list, tuple)) and isinstance(a2, (list, tuple)):
                    matched = _match_args(a1, a2)
                else:
                    matched = self._match_literals(a1, a2, match) or self.ignore_literals
                if not matched:
                    return False
            return True

        if len(pn.args) != len(gn.args) or list(pn.kwargs) != list(gn.kwargs):
            return False
        return _match_args([*pn.args, *pn.kwargs.values()], [*gn.args, *gn.kwargs.values()])

    def match(self, graph, node_name_match=""):
        """The occurrences of the pattern in ``graph`` (a list of :class:`InternalMatch`), each self-contained:
        only the nodes the pattern returns (and the placeholders) are used outside it.

        Args:
            graph (Graph): the graph to search
            node_name_match (str): if given, a node whose name contains it matches any pattern node
        """
        from .fuser_utils import validate_partition
        match_candidates = defaultdict(list)
        for pattern_anchor in self.pattern_anchors:
            for node in graph.nodes:
                if self._nodes_are_equal(pattern_anchor, node, node_name_match):
                    match_candidates[pattern_anchor].append(node)
        match_candidates_list = list(match_candidates.items())
        matches = []

        def backtracking(anchor_index, match):
            if anchor_index == len(match_candidates_list):
                match.placeholder_nodes = [match.nodes_map[pn] for pn in self.pattern_placeholder_nodes]
                match.returning_nodes = [match.nodes_map[pn] for pn in self.pattern_returning_nodes]
                matches.append(match)
                return
            pattern_anchor, candidate_nodes = match_candidates_list[anchor_index]
            saved_match = copy.copy(match)
            for node in candidate_nodes:
                if self._match_nodes(pattern_anchor, node, match, node_name_match):
                    backtracking(anchor_index + 1, match)
                match = copy.copy(saved_match)

        if match_candidates_list:
            backtracking(0, InternalMatch(anchors=self.pattern_anchors))
        matches = [match for match in matches if self._is_contained(match.nodes_map)]
        matches = [match for match in matches if validate_partition(
            [gn for pn, gn in match.nodes_map.items() if pn.op not in {"placeholder", "output"}])]
        if self.remove_overlapping_matches:
            matches = self._remove_overlapping_matches(matches)
        return matches
