"""Parity regressions (rewrite35): torchless.fx's subgraph rewriter and matcher against torch.fx's.

Each scenario runs the same code with ``lib`` = torch or torchless and returns plain data (node names, the
pairs of ``nodes_map`` in order, generated code, outputs, error types and messages); the torch tests compare the
two.  Covered: several and overlapping matches, patterns with several outputs, literals (``ignore_literals``,
pattern inputs bound to literals), ``match_filters``, replacements given as functions, GraphModules and Graphs,
``replacement_callback``, ``call_module`` / ``get_attr`` nodes (and attributes copied from the replacement),
patterns not found, ``SubgraphMatcher`` options, ``validate_partition`` and the errors.  The last section checks
the rewriting from first principles without torch.
"""
import importlib
import operator

import numpy as np
import pytest

import torchless


def _fx(lib, name):
    return importlib.import_module(f"{lib.__name__}.fx.{name}")


def _name(value):
    return value.name if hasattr(value, "name") and hasattr(value, "op") else repr(value)


def _pairs(nodes_map):
    return [(_name(k), _name(v)) for k, v in nodes_map.items()]


def _internal(matches):
    return [([a.name for a in m.anchors], _pairs(m.nodes_map), [_name(n) for n in m.placeholder_nodes],
             [_name(n) for n in m.returning_nodes]) for m in matches]


def _replaced(replaced):
    return [(r.anchor.name, _pairs(r.nodes_map), [n.name for n in r.replacements]) for r in replaced]


def _outcome(fn):
    try:
        return fn()
    except Exception as e:  # the type and message are what is compared
        return type(e).__name__, str(e)


# -- scenarios (lib = torch or torchless) --------------------------------------------------------------------

def several_and_overlapping(lib):
    def f(x, y):
        a = lib.relu(lib.relu(lib.relu(x)))
        b = lib.cat([x, y]).sum() + lib.cat([y, x]).sum()
        return a, b, lib.cat((x, y))

    gm = lib.fx.symbolic_trace(f)
    seen = [_internal(_fx(lib, "passes.utils.matcher_utils").SubgraphMatcher(
        lib.fx.symbolic_trace(lambda t: lib.relu(lib.relu(t))).graph, remove_overlapping_matches=False)
        .match(gm.graph))]
    for pattern, replacement in [(lambda t: lib.relu(lib.relu(t)), lambda t: lib.sigmoid(t)),
                                 (lambda u, v: lib.cat([u, v]), lambda u, v: lib.stack([u, v]))]:
        seen.append([(m.anchor.name, _pairs(m.nodes_map)) for m in lib.fx.replace_pattern(gm, pattern, replacement)])
    seen.append(gm.code)
    return seen


def several_outputs(lib):
    def f(x):
        r = lib.relu(lib.tanh(x))
        return (r * 2) - (r + 1), lib.relu(x) * 2

    def pattern(a):
        r = lib.relu(a)
        return r * 2, r + 1

    def replacement(a):
        s = lib.sigmoid(a)
        return s, s - 1

    gm = lib.fx.symbolic_trace(f)
    matcher = _fx(lib, "passes.utils.matcher_utils").SubgraphMatcher(lib.fx.symbolic_trace(pattern).graph)
    seen = [[n.name for n in matcher.pattern_anchors], _internal(matcher.match(gm.graph))]
    seen.append(_replaced(_fx(lib, "subgraph_rewriter").replace_pattern_with_filters(gm, pattern, replacement)))

    def shared(x):
        r = lib.relu(x)
        return r * 2, r + 1

    gm2 = lib.fx.symbolic_trace(shared)
    seen += [_replaced(_fx(lib, "subgraph_rewriter").replace_pattern_with_filters(gm2, pattern, replacement)),
             gm.code, gm2.code]
    return seen


def literals(lib):
    rewriter = _fx(lib, "subgraph_rewriter")

    def f(x):
        return lib.relu(x) + 2, lib.relu(x * 3) + 1, lib.sum(x, dim=1), lib.sum(x, 1)

    seen = []
    for ignore in (False, True):
        gm = lib.fx.symbolic_trace(f)
        seen.append(_replaced(rewriter.replace_pattern_with_filters(
            gm, lambda a: lib.relu(a) + 1, lambda a: lib.tanh(a), ignore_literals=ignore)))
        # keyword arguments only match keyword arguments
        seen.append(_replaced(rewriter.replace_pattern_with_filters(
            gm, lambda a: lib.sum(a, dim=1), lambda a: lib.mean(a, dim=1), ignore_literals=ignore)))
        seen.append(gm.code)
    # a pattern input also stands for a literal, which then reaches the replacement
    gm = lib.fx.symbolic_trace(lambda x: lib.sigmoid(x) * 5)
    seen += [_replaced(rewriter.replace_pattern_with_filters(gm, lambda a, b: a * b, lambda a, b: a - b)), gm.code]
    # x + x is not an occurrence of a + b: one graph node stands for one pattern node
    gm = lib.fx.symbolic_trace(lambda x: x + x)
    seen.append(len(lib.fx.replace_pattern(gm, lambda a, b: a + b, lambda a, b: a - b)))
    return seen


def filters_and_callback(lib):
    rewriter = _fx(lib, "subgraph_rewriter")

    def f(x, y):
        return lib.relu(x) + 1, lib.relu(y) + 1, lib.relu(x * y) + 1

    gm = lib.fx.symbolic_trace(f)
    calls = []

    def only_products(match, original_graph, pattern_graph):
        calls.append((_internal([match]), original_graph is gm.graph, len(pattern_graph.nodes)))
        return match.placeholder_nodes[0].op == "call_function"

    seen = [_replaced(rewriter.replace_pattern_with_filters(gm, lambda a: lib.relu(a) + 1, lambda a: lib.tanh(a),
                                                            match_filters=[only_products])), calls, gm.code]

    def callback(match, original_graph, pattern_graph):
        # the replacement depends on the matched input's name
        source = match.placeholder_nodes[0].name
        return lib.fx.symbolic_trace(lambda a: lib.sigmoid(a) if source == "x" else lib.abs(a)).graph

    seen += [_replaced(rewriter.replace_pattern_with_filters(gm, lambda a: lib.relu(a) + 1,
                                                             replacement_callback=callback)), gm.code]
    return seen


def replacement_kinds(lib):
    nn = lib.nn

    class Pattern(nn.Module):
        def forward(self, a):
            return lib.relu(a) + 1

    seen = []
    replacements = [lambda a: lib.tanh(a), lib.fx.symbolic_trace(lambda a: lib.tanh(a) * 2),
                    lib.fx.symbolic_trace(lambda a: lib.abs(a) - 2).graph]
    patterns = [Pattern(), lib.fx.symbolic_trace(Pattern()), lib.fx.symbolic_trace(Pattern()).graph]
    for pattern, replacement in zip(patterns, replacements):
        gm = lib.fx.symbolic_trace(lambda x: lib.relu(lib.relu(x) + 1) + 1)
        seen += [_replaced(_fx(lib, "subgraph_rewriter").replace_pattern_with_filters(gm, pattern, replacement)),
                 gm.code, str(gm.graph)]
    return seen


def modules_and_attributes(lib):
    nn = lib.nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.scale = nn.Parameter(lib.ones(3))

        def forward(self, x):
            return lib.relu(self.fc(x)) * self.scale + self.fc.bias

    class Pattern(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return lib.relu(self.fc(x))

    class Replacement(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)  # gm's own fc takes precedence
            self.extra = nn.Linear(3, 3)
            self.shift = nn.Parameter(lib.full((3,), 0.5))

        def forward(self, x):
            return self.extra(self.fc(x)) + self.shift

    lib.manual_seed(0)
    gm = lib.fx.symbolic_trace(M())
    matcher = _fx(lib, "passes.utils.matcher_utils").SubgraphMatcher
    # a get_attr pattern node matches any tensor attribute, whatever its name
    seen = [_internal(matcher(lib.fx.symbolic_trace(lambda_module(lib)).graph).match(gm.graph))]
    seen.append([(m.anchor.name, _pairs(m.nodes_map)) for m in lib.fx.replace_pattern(gm, Pattern(), Replacement())])
    seen += [gm.code, sorted(name for name, _ in gm.named_parameters())]
    x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 5)
    # the copied submodule and parameter are the replacement's (the values differ between the libraries)
    by_hand = (gm.extra(gm.fc(x)) + gm.shift) * gm.scale + gm.fc.bias
    seen.append(np.allclose(gm(x).detach().numpy(), by_hand.detach().numpy()))
    return seen


def lambda_module(lib):
    class Scaled(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(3))

        def forward(self, a):
            return a * self.w

    return Scaled()


def not_found_and_errors(lib):
    rewriter, matcher_utils = _fx(lib, "subgraph_rewriter"), _fx(lib, "passes.utils.matcher_utils")
    gm = lib.fx.symbolic_trace(lambda x: lib.relu(x) + 1)
    code = gm.code
    seen = [lib.fx.replace_pattern(gm, lambda a: lib.sigmoid(a) + 1, lambda a: a), gm.code == code]

    def dead(a):
        lib.relu(a)
        return a + 1

    seen.append(_outcome(lambda: matcher_utils.SubgraphMatcher(lib.fx.symbolic_trace(dead).graph)))
    for replacement in [lambda a, b: a, lambda a: (a, a)]:
        seen.append(_outcome(lambda: lib.fx.replace_pattern(lib.fx.symbolic_trace(lambda x: lib.relu(x) + 1),
                                                            lambda a: lib.relu(a), replacement)))
    seen.append(_outcome(lambda: rewriter.replace_pattern_with_filters(gm, lambda a: lib.relu(a))))
    # a returned value without users at the end of the graph: the replacement goes just before the output
    end = lib.fx.symbolic_trace(lambda x: (lib.relu(x), lib.relu(x) * 2)[0])
    seen += [_outcome(lambda: [m.anchor.name for m in lib.fx.replace_pattern(end, lambda a: lib.relu(a) * 2,
                                                                               lambda a: a * 3)]), end.code]
    # every anchor must be found: torch.fx then looks the missing one up and fails
    seen.append(_outcome(lambda: matcher_utils.SubgraphMatcher(
        lib.fx.symbolic_trace(lambda a: (lib.relu(a), lib.sigmoid(a))).graph).match(gm.graph)))
    # get_attr nodes: only tensors can be compared, and both graphs need an owning module
    pattern = lib.fx.symbolic_trace(lambda_module(lib))
    holder = lib.fx.symbolic_trace(lambda_module(lib))
    holder.k = 3
    next(n for n in holder.graph.nodes if n.op == "get_attr").target = "k"
    seen.append(_outcome(lambda: matcher_utils.SubgraphMatcher(pattern.graph).match(holder.graph)))
    pattern.k = 3
    next(n for n in pattern.graph.nodes if n.op == "get_attr").target = "k"
    seen.append(_outcome(lambda: matcher_utils.SubgraphMatcher(pattern.graph).match(holder.graph)))
    bare = lib.fx.Graph()
    a = bare.placeholder("a")
    bare.output(bare.call_function(operator.mul, (a, bare.get_attr("w"))))
    seen.append(_outcome(lambda: matcher_utils.SubgraphMatcher(bare).match(holder.graph)))
    return seen


def matcher_options(lib):
    matcher_utils, fuser_utils = _fx(lib, "passes.utils.matcher_utils"), _fx(lib, "passes.utils.fuser_utils")

    def f(x, y):
        r = lib.relu(x)
        s = lib.sigmoid(r)
        return r + s, lib.relu(y) + y, lib.tanh(lib.relu(x + 1)) * 2, lib.sigmoid(lib.relu(y * 2)), lib.relu(y) + x

    graph = lib.fx.symbolic_trace(f).graph
    add = lib.fx.symbolic_trace(lambda a, b: lib.relu(a) + b).graph

    def shares(a, b):
        r = lib.relu(a)
        return r, r + b

    seen = [_internal(matcher_utils.SubgraphMatcher(add, **options).match(g))
            for options in [{}, {"match_output": True}, {"match_placeholder": True}]
            for g in [graph, lib.fx.symbolic_trace(lambda x, y: lib.relu(x) + y).graph]]
    # relu -> sigmoid -> add leaves the matched {relu, add} and comes back: fusing it would make a cycle
    shared = matcher_utils.SubgraphMatcher(lib.fx.symbolic_trace(shares).graph)
    seen += [[n.name for n in shared.pattern_anchors], _internal(shared.match(graph))]
    nodes = {n.name: n for n in graph.nodes}
    seen.append([fuser_utils.validate_partition([nodes[name] for name in names])
                 for names in [("relu", "add"), ("relu", "sigmoid", "add"), ("relu_1",), (), ("add_1", "tanh")]])
    # node_name_match lets the anchor (only) match by name
    tanh_relu = lib.fx.symbolic_trace(lambda a: lib.tanh(lib.relu(a))).graph
    seen += [_internal(matcher_utils.SubgraphMatcher(tanh_relu).match(graph, node_name_match=name))
             for name in ("", "mul", "sigm")]
    seen.append(_internal(matcher_utils.SubgraphMatcher(lib.fx.symbolic_trace(lambda a: a).graph).match(add)))
    return seen


SCENARIOS = [several_and_overlapping, several_outputs, literals, filters_and_callback, replacement_kinds,
             modules_and_attributes, not_found_and_errors, matcher_options]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_rewriting_matches_torch_fx(scenario):
    torch = pytest.importorskip("torch")
    got, want = scenario(torchless), scenario(torch)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        if isinstance(w, str):
            g = g.replace("torchless", "torch")
        assert g == w, f"item {i}"


# -- random programs -----------------------------------------------------------------------------------------

_UNARY, _BINARY = ("relu", "sigmoid"), (operator.add, operator.mul)


def _random_program(rng, n_inputs, n_steps):
    """Steps (kind, operand indices) over the inputs and earlier steps; returns all values nothing else uses."""
    steps = []
    for i in range(n_steps):
        kind = rng.randint(4)
        operands = list(rng.randint(n_inputs + i, size=1 if kind < 3 else 2))
        steps.append((kind, operands))
    used = {j for _, operands in steps for j in operands}
    return steps, used


def _as_function(lib, steps, n_inputs):
    def run(*values):
        values = list(values)
        for kind, operands in steps:
            a = values[operands[0]]
            if kind < 2:
                values.append(getattr(lib, _UNARY[kind])(a))
            elif kind == 2:
                values.append(a + 1)
            else:
                values.append(_BINARY[operands[1] % 2](a, values[operands[1]]))
        used = {j for _, operands in steps for j in operands}
        sinks = [v for j, v in enumerate(values) if j >= n_inputs and j not in used]
        return sinks[0] if len(sinks) == 1 else tuple(sinks)

    params = ", ".join(f"x{i}" for i in range(n_inputs))
    return eval(f"lambda {params}: run({params})", {"run": run})


def random_rewrites(lib, seed):
    rng = np.random.RandomState(seed)
    while True:  # a pattern whose inputs are all used
        n_inputs = rng.randint(1, 3)
        steps, used = _random_program(rng, n_inputs, rng.randint(1, 4))
        if all(i in used for i in range(n_inputs)):
            break
    n_outputs = sum(1 for j in range(n_inputs, n_inputs + len(steps)) if j not in used)
    graph_steps, _ = _random_program(rng, 2, rng.randint(5, 12))
    pattern = _as_function(lib, steps, n_inputs)

    def replacement(*inputs):
        total = lib.tanh(sum(inputs[1:], inputs[0]))
        outputs = tuple(total * (k + 2) for k in range(n_outputs))
        return outputs[0] if n_outputs == 1 else outputs

    params = ", ".join(f"a{i}" for i in range(n_inputs))
    replacement = eval(f"lambda {params}: replacement({params})", {"replacement": replacement})
    gm = lib.fx.symbolic_trace(_as_function(lib, graph_steps, 2))
    pattern = lib.fx.symbolic_trace(pattern)  # (traced once: tracing dominates the runtime)
    matcher = _fx(lib, "passes.utils.matcher_utils").SubgraphMatcher(
        pattern.graph, remove_overlapping_matches=False, ignore_literals=bool(seed % 2))
    seen = [_outcome(lambda: _internal(matcher.match(gm.graph)))]
    seen += [_outcome(lambda: _replaced(_fx(lib, "subgraph_rewriter").replace_pattern_with_filters(
        gm, pattern, replacement, ignore_literals=bool(seed % 2)))), gm.code]
    return seen


@pytest.mark.parametrize("chunk", range(2))
def test_random_rewrites_match_torch_fx(chunk):
    torch = pytest.importorskip("torch")
    for seed in range(chunk * 20, chunk * 20 + 20):
        got, want = random_rewrites(torchless, seed), random_rewrites(torch, seed)
        assert got[:2] == want[:2], f"seed {seed}"
        assert got[2].replace("torchless", "torch") == want[2], f"seed {seed}"


# -- from first principles (no torch) ------------------------------------------------------------------------

def _run(gm, *arrays):
    out = gm(*[torchless.tensor(a) for a in arrays])
    return [o.detach().numpy().astype(np.float64) for o in (out if isinstance(out, tuple) else (out,))]


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_rewritten_graphs_compute_the_replacement():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    lib = torchless
    # nodes_map lists the anchor, then its arguments depth-first in order
    gm = lib.fx.symbolic_trace(lambda x: lib.relu(x) + 1)
    matches = lib.fx.replace_pattern(gm, lambda a: lib.relu(a) + 1, lambda a: lib.sigmoid(a) - 1)
    assert [(m.anchor.name, _pairs(m.nodes_map)) for m in matches] == [
        ("add", [("add", "add"), ("relu", "relu"), ("a", "x")])]
    np.testing.assert_allclose(_run(gm, x.astype(np.float32))[0], _sigmoid(x) - 1, rtol=1e-6, atol=1e-6)

    # overlapping occurrences in a chain of three: the first (closest to the inputs) is replaced
    gm = lib.fx.symbolic_trace(lambda x: lib.relu(lib.relu(lib.relu(x))))
    matcher = _fx(lib, "passes.utils.matcher_utils").SubgraphMatcher
    pattern = lib.fx.symbolic_trace(lambda t: lib.relu(lib.relu(t))).graph
    assert len(matcher(pattern, remove_overlapping_matches=False).match(gm.graph)) == 2
    assert len(lib.fx.replace_pattern(gm, lambda t: lib.relu(lib.relu(t)), lambda t: lib.sigmoid(t))) == 1
    assert [n.target.__name__ for n in gm.graph.nodes if n.op == "call_function"] == ["sigmoid", "relu"]
    np.testing.assert_allclose(_run(gm, x.astype(np.float32))[0], np.maximum(_sigmoid(x), 0), rtol=1e-6)

    # two outputs replaced by two outputs: sigmoid(t) - (sigmoid(t) - 1) == 1
    def two(a):
        r = lib.relu(a)
        return r * 2, r + 1

    def two_back(a):
        s = lib.sigmoid(a)
        return s, s - 1

    def f(x):
        r = lib.relu(lib.tanh(x))
        return (r * 2) - (r + 1), lib.relu(x) * 2

    gm = lib.fx.symbolic_trace(f)
    assert len(lib.fx.replace_pattern(gm, two, two_back)) == 1
    first, second = _run(gm, x.astype(np.float32))
    np.testing.assert_allclose(first, np.ones_like(x), rtol=1e-6)
    np.testing.assert_allclose(second, np.maximum(x, 0) * 2, rtol=1e-6)

    # a pattern input bound to a literal carries it into the replacement
    gm = lib.fx.symbolic_trace(lambda x: lib.sigmoid(x) * 5)
    assert len(lib.fx.replace_pattern(gm, lambda a, b: a * b, lambda a, b: a - b)) == 1
    np.testing.assert_allclose(_run(gm, x.astype(np.float32))[0], _sigmoid(x) - 5, rtol=1e-6)
    assert lib.fx.replace_pattern(gm, lambda a: lib.tanh(a), lambda a: a) == []


def test_matcher_rules_from_first_principles():
    lib = torchless
    matcher_utils = _fx(lib, "passes.utils.matcher_utils")
    validate_partition = _fx(lib, "passes.utils.fuser_utils").validate_partition
    graph = lib.fx.Graph()
    x = graph.placeholder("x")
    r = graph.call_function(lib.relu, (x,))
    s = graph.call_function(lib.sigmoid, (r,))
    total = graph.call_function(operator.add, (r, s))
    graph.output(total)
    # r -> s -> total leaves {r, total} and comes back; {r, s, total} and {s} are closed
    assert validate_partition([r, total]) is False
    assert validate_partition([r, s, total]) is True and validate_partition([s]) is True
    a_plus_b = lib.fx.symbolic_trace(lambda a, b: a + b).graph
    # one graph node cannot stand for two pattern inputs
    assert matcher_utils.SubgraphMatcher(a_plus_b).match(lib.fx.symbolic_trace(lambda x: x + x).graph) == []
    assert len(matcher_utils.SubgraphMatcher(a_plus_b).match(graph)) == 1
    # sigmoid also feeds total, outside the pattern relu -> sigmoid: not self-contained
    chain = lib.fx.symbolic_trace(lambda a: lib.sigmoid(lib.relu(a))).graph
    assert matcher_utils.SubgraphMatcher(chain).match(graph) == []
    with pytest.raises(AssertionError, match="^Placeholder count mismatch: 1 vs 2$"):
        lib.fx.replace_pattern(lib.fx.symbolic_trace(lambda x: lib.relu(x)), lambda a: lib.relu(a), lambda a, b: a)


def test_matcher_works_under_python_OO():
    import subprocess
    import sys
    code = ("import operator, torchless\n"
            "from torchless.fx.subgraph_rewriter import replace_pattern_with_filters\n"
            "from torchless.fx.passes.utils.matcher_utils import SubgraphMatcher\n"
            "gm = torchless.fx.symbolic_trace(lambda x: torchless.relu(x) + 2)\n"
            "p = torchless.fx.symbolic_trace(lambda a: torchless.relu(a) + 1)\n"
            "assert len(SubgraphMatcher(p.graph, ignore_literals=True).match(gm.graph)) == 1\n"
            "r = replace_pattern_with_filters(gm, p, lambda a: torchless.tanh(a), ignore_literals=True)\n"
            "print(len(r), [n.name for n in r[0].replacements])\n")
    out = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "['tanh']"]
