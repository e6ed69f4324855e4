"""Finding where a pattern graph occurs inside a larger graph (``torch.fx.passes.utils.matcher_utils``)."""
import copy
import functools
from dataclasses import dataclass, field

from ...._tensor import Tensor
from ...node import Node
from .fuser_utils import validate_partition

__all__ = ["SubgraphMatcher", "InternalMatch"]

# pattern node kinds that stand for values flowing in or out rather than for computations
_BOUNDARY_OPS = ("placeholder", "output")


@dataclass
class InternalMatch:
    """One occurrence of a pattern: ``nodes_map`` maps each pattern node to the graph node (or, for an input of
    the pattern, possibly the literal) it stands for, in the order the search paired them.

    .. warning::
        This API is experimental and is *NOT* backward-compatible.
    """

    anchors: list
    nodes_map: dict = field(default_factory=dict)
    placeholder_nodes: list = field(default_factory=list)
    returning_nodes: list = field(default_factory=list)
    name_node_map: dict = field(default_factory=dict)

    def __copy__(self):
        # a trial pairing extends these containers, so a copy must not share them (name_node_map is not carried)
        return InternalMatch(anchors=self.anchors, nodes_map=dict(self.nodes_map),
                             placeholder_nodes=list(self.placeholder_nodes),
                             returning_nodes=list(self.returning_nodes))


def _attribute_of(node, role):
    module = node.graph.owning_module
    assert module is not None, f"{role}.graph.owning_module must not be None"
    return functools.reduce(getattr, node.target.split("."), module)


class SubgraphMatcher:
    """Finds the self-contained occurrences of ``pattern`` in a graph.

    .. warning::
        This API is experimental and is *NOT* backward-compatible.
    """

    def __init__(self, pattern, match_output=False, match_placeholder=False, remove_overlapping_matches=True,
                 ignore_literals=False):
        """
        Args:
            pattern: the targeted matching pattern, represented in fx.Graph.
            match_output: If True, output node in the pattern graph will be treated as a part of the targeted
                pattern. If False, output node is ignored during match.
            match_placeholder: If True, placeholder node in the pattern graph will be treated as a part of
                the targeted pattern. If False, placeholder nodes will be used a wildcard.
            remove_overlapping_matches: If True, in the case of overlapping matches, only the first match
                will be returned.
            ignore_literals: If True, will not check if literals are equal and
                will instead treat them as wildcards.
        """
        self.pattern = pattern
        self.match_output = match_output
        self.match_placeholder = match_placeholder
        self.remove_overlapping_matches = remove_overlapping_matches
        self.ignore_literals = ignore_literals
        for node in pattern.nodes:
            if node.op != "output":
                assert len(node.users) > 0, "SubgraphMatcher cannot be initialized with an pattern with dead code"
        self.pattern_placeholder_nodes = [n for n in pattern.nodes if n.op == "placeholder"]
        output_node = next(iter(reversed(pattern.nodes)))
        self.pattern_returning_nodes = output_node.all_input_nodes
        # The search walks from the pattern's sinks back through their arguments: a value with a single
        # producer can be followed deterministically, a value with many consumers cannot.
        if match_output:
            self.pattern_anchors = [output_node]
        else:
            self.pattern_anchors = [n for n in output_node.all_input_nodes if len(n.users) == 1]

    # -- pairing one pattern node with one graph node ------------------------------------------------------

    def _same_kind(self, pn, gn, node_name_match=""):
        """Whether ``gn`` could stand for ``pn``, looking at the two nodes alone (not their arguments)."""
        if pn.op == "placeholder" and not self.match_placeholder:
            return True
        if node_name_match and node_name_match in gn.name:
            return True
        if pn.op != gn.op:
            return False
        if pn.op in _BOUNDARY_OPS:
            return True
        if pn.op == "get_attr":
            pattern_value, graph_value = _attribute_of(pn, "pn"), _attribute_of(gn, "gn")
            if type(pattern_value) is not type(graph_value):
                return False
            if isinstance(pattern_value, Tensor):
                return True
            raise RuntimeError(f"Unsupported type {pattern_value} when matching attributes")
        return pn.target == gn.target

    def _pair(self, pn, gn, match, node_name_match=""):
        """Pairs ``pn`` with ``gn`` and, recursively, their arguments; records the pairs in ``match``.

        On failure ``match`` may hold some of the tentative pairs: the caller discards it.
        """
        if pn in match.nodes_map:
            return match.nodes_map[pn] is gn
        # a graph node stands for one pattern node only (so ``x + x`` is not an occurrence of ``a + b``)
        if any(value is gn for value in match.nodes_map.values()):
            return False
        if not self._same_kind(pn, gn, node_name_match):
            return False
        match.nodes_map[pn] = gn
        if pn.op == "placeholder":
            return True
        # arguments are compared by position and keyword arguments by their names in order
        if len(pn.args) != len(gn.args) or list(pn.kwargs) != list(gn.kwargs):
            return False
        return self._pair_all([*pn.args, *pn.kwargs.values()], [*gn.args, *gn.kwargs.values()], match)

    def _pair_all(self, pattern_values, graph_values, match):
        if len(pattern_values) != len(graph_values):
            return False
        return all(self._pair_value(p, g, match) for p, g in zip(pattern_values, graph_values))

    def _pair_value(self, p, g, match):
        if isinstance(p, Node) and isinstance(g, Node):
            return self._pair(p, g, match)
        if isinstance(p, (list, tuple)) and isinstance(g, (list, tuple)):
            return self._pair_all(p, g, match)
        # the literal comparison runs even when literals are ignored: it also binds pattern inputs to literals
        return self._pair_literal(p, g, match) or self.ignore_literals

    @staticmethod
    def _pair_literal(p, g, match):
        if isinstance(p, Node):
            # an input of the pattern stands for any value, a literal of the graph included
            if p.op != "placeholder":
                return False
            if p in match.nodes_map:
                return match.nodes_map[p] == g
            match.nodes_map[p] = g
            return True
        if isinstance(g, Node):
            return False
        return type(p) is type(g) and p == g

    # -- whole matches -------------------------------------------------------------------------------------

    def _is_self_contained(self, match):
        """Whether only the pattern's returned values are used outside the matched nodes (else removing the
        matched nodes would break their other users)."""
        inside = {gn for pn, gn in match.nodes_map.items() if pn.op != "placeholder"}
        for pn, gn in match.nodes_map.items():
            if pn.op == "placeholder" or pn in self.pattern_returning_nodes:
                continue
            if any(user not in inside for user in gn.users):
                return False
        return True

    @staticmethod
    def _computed_nodes(match):
        return [gn for pn, gn in match.nodes_map.items() if pn.op not in _BOUNDARY_OPS]

    def _first_of_overlapping(self, matches):
        claimed, kept = set(), []
        for match in matches:
            nodes = self._computed_nodes(match)
            if not any(gn in claimed for gn in nodes):
                kept.append(match)
                claimed.update(nodes)
        return kept

    def _complete_matches(self, graph, node_name_match):
        """Every way of pairing all the anchors with graph nodes consistently, anchor by anchor, each anchor's
        candidates in graph order."""
        candidates = [(anchor, [n for n in graph.nodes if self._same_kind(anchor, n, node_name_match)])
                      for anchor in self.pattern_anchors]
        # an anchor that nothing in the graph resembles is not searched for at all
        candidates = [(anchor, nodes) for anchor, nodes in candidates if nodes]
        found = []

        def extend(match, remaining):
            if not remaining:
                match.placeholder_nodes = [match.nodes_map[pn] for pn in self.pattern_placeholder_nodes]
                match.returning_nodes = [match.nodes_map[pn] for pn in self.pattern_returning_nodes]
                found.append(match)
                return
            (anchor, nodes), rest = remaining[0], remaining[1:]
            for node in nodes:
                trial = copy.copy(match)
                if self._pair(anchor, node, trial, node_name_match):
                    extend(trial, rest)

        if candidates:
            extend(InternalMatch(anchors=self.pattern_anchors), candidates)
        return found

    def match(self, graph, node_name_match=""):
        """Returns the occurrences of the pattern in ``graph`` as :class:`InternalMatch` objects.

        An occurrence is self-contained: apart from its inputs and the nodes the pattern returns, its nodes are
        used only by nodes of the occurrence. With ``remove_overlapping_matches``, the occurrences whose nodes
        could not be fused into one without creating a cycle are dropped, then of occurrences sharing computed
        nodes only the first is kept. ``node_name_match``, when not empty, also lets an anchor match any graph
        node whose name contains it.
        """
        matches = [m for m in self._complete_matches(graph, node_name_match) if self._is_self_contained(m)]
        if self.remove_overlapping_matches:
            # (torch.fx ties the cycle check to this option too: the matches are meant to be replaced then)
            matches = [m for m in matches if validate_partition(self._computed_nodes(m))]
            matches = self._first_of_overlapping(matches)
        return matches
