"""torch.fx on torchless (fx35): the names and arguments fx records, and the graph-editing API, against PyTorch's.

Differences fixed:
- nn.functional's natively bound functions are recorded as PyTorch records them, under ``torch._C._nn``
  (``torch._C._nn.linear``, ``gelu``, ``softplus``, ``softshrink``, ``log_sigmoid`` for F.logsigmoid, ``one_hot``,
  ``avg_pool2d``/``3d``, ``scaled_dot_product_attention``, ``elu_``, ``hardtanh_``, ``leaky_relu_``): new
  ``torchless._C._nn`` namespace, so the generated code runs; F.threshold as ``torch.nn.functional._threshold``
  (with ``inplace``); the max pools given ``return_indices=True`` as ``*_with_indices``; ``upsample*`` traced to
  the ``interpolate`` they call; ``linear_cross_entropy`` and ``multi_head_attention_forward`` with their keywords.
- torch's Python-written functions as ``torch.functional.split`` (``einsum``, ``norm``, ``stft``, ``meshgrid``,
  ``unique``, ``tensordot``, ``cdist``, ``lu``, ...) and ``torch._lowrank.svd_lowrank``, with the arguments their
  ``handle_torch_function`` passes (new ``torchless.functional`` module); a list given alone to meshgrid/atleast_*
  as ``torch.<name>``; einsum's operand list spread.
- Functions torchless loads on first use (``torch.stft``, ``torch.chain_matmul``, ``torch.lu``, ...) record
  when first used inside a trace (they raised TraceError or TypeError); ``torch.is_tensor`` and the other
  non-dispatching Python functions record nothing (is_tensor(proxy) is False).
- dtypes in node arguments print and generate as ``torch.float64`` (the code named ``torchless`` and failed).
- ``Graph.__deepcopy__`` (failed), ``output_node``, ``process_inputs/outputs``, ``print_tabular`` by tabulate;
  ``Node.update_arg/insert_arg/update_kwarg``; ``node.meta['nn_module_stack']``; ``Tracer.get_fresh_qualname``;
  a deepcopied GraphModule is named GraphModule in a class of its own (it renamed the original's class), a pickled
  one too; ``GraphModule.to_folder``; ``fx.replace_pattern`` / ``fx.subgraph_rewriter``.
- Nodes' list and dict arguments are ``immutable_list`` / ``immutable_dict`` (in-place changes raise PyTorch's
  TypeError); container ``concrete_args`` give a placeholder per leaf and code that flattens its arguments
  (``fx._pytree.tree_flatten_spec``, ``self._in_spec``/``_out_spec``); ``Interpreter.boxed_run``.
- ``Node.is_impure`` / ``Graph.eliminate_dead_code`` as PyTorch's (in-place calls are removed when unused; random
  functions, ``torch._assert`` and ``fx.has_side_effect``'s functions are kept).
Without torch, the expected code is written out by hand and numbers are checked with float64 NumPy.
"""
import copy
import io
import operator
import pickle
import re
import subprocess
import sys
import textwrap
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import torchless
import torchless.fx
import torchless.nn.functional as TF


def describe(graph):
    """Each node as (op, name, target as printed, args and kwargs as printed, users, module stack)."""
    return [(n.op, n.name, n._pretty_print_target(n.target), n.format_node(), [u.name for u in n.users],
             [(k, v[0], v[1].__name__) for k, v in n.meta.get("nn_module_stack", {}).items()])
            for n in graph.nodes]


def make_function(lib, body):
    namespace = {"torch": lib, "F": lib.nn.functional}
    exec(f"def f(x, w):\n    return {body}\n", namespace)
    return namespace["f"]


def inputs(lib):
    rng = np.random.RandomState(0)
    return [lib.tensor(rng.randn(4, 4).astype(np.float32)) for _ in range(2)]


def assert_same_values(got, want, torch):
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) or isinstance(got, (tuple, list)), (got, want)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same_values(g, w, torch)
    elif isinstance(want, torch.Tensor):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    else:
        assert got == want


CALLS = {  # (each differed from torch.fx in its target's name, its arguments or failed)
    "linear": "F.linear(x, w, w[0])", "gelu": "F.gelu(x, approximate='tanh')", "softplus": "F.softplus(x, beta=2)",
    "softshrink": "F.softshrink(x, 0.3)", "logsigmoid": "F.logsigmoid(x)", "one_hot": "F.one_hot(x.long().abs(), 5)",
    "avg_pool2d": "F.avg_pool2d(x.unsqueeze(0), 2)", "avg_pool3d": "F.avg_pool3d(x.view(1, 1, 1, 4, 4), 1)",
    "sdpa": "F.scaled_dot_product_attention(x, w, x)", "elu_": "F.elu_(x)", "hardtanh_": "F.hardtanh_(x)",
    "leaky_relu_": "F.leaky_relu_(x, 0.2)", "threshold": "F.threshold(x, 0.1, 20.)",
    "max_pool_indices": "F.max_pool2d(x.unsqueeze(0), 2, return_indices=True)",
    "adaptive_indices": "F.adaptive_max_pool2d(x.unsqueeze(0), 2, True)",
    "upsample": "F.upsample(x.view(1, 1, 4, 4), scale_factor=2)",
    "upsample_bilinear": "F.upsample_bilinear(x.view(1, 1, 4, 4), scale_factor=2)",
    "linear_cross_entropy": "F.linear_cross_entropy(x, w, w[0].long().abs())",
    "split": "torch.split(x, [1, 3], 1)", "einsum": "torch.einsum('ij,jk', [x, w])", "norm": "torch.norm(x, 2, 1)",
    "meshgrid": "torch.meshgrid(x[0], w[0], indexing='ij')", "meshgrid_list": "torch.meshgrid([x[0], w[0]])",
    "atleast_3d": "torch.atleast_3d(x, w)", "atleast_list": "torch.atleast_1d([x, w])",
    "broadcast_tensors": "torch.broadcast_tensors(x, w[0])", "cdist": "torch.cdist(x, w, 1.0)",
    "tensordot": "torch.tensordot(x, w, ([1], [0]))", "unique": "torch.unique(x, return_inverse=True)",
    "unique_consecutive": "torch.unique_consecutive(x, dim=0)",
    "unravel_index": "torch.unravel_index(x.long(), (4, 4))",
    "block_diag": "torch.block_diag(x, w)", "cartesian_prod": "torch.cartesian_prod(x[0], w[0])",
    "stft": "torch.stft(x.flatten(), 4, window=torch.hann_window(4), return_complex=True).abs()",
    "chain_matmul": "torch.chain_matmul(x, w, x)", "lu": "torch.lu(x, get_infos=True)[0]",
    "cholesky": "torch.cholesky(x @ x.T + torch.eye(4))", "is_tensor": "torch.is_tensor(x)",
    "to_dtype": "x.to(torch.float64).sum(dtype=torch.float64)",
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_recorded_names_and_arguments_match_torch_fx(name):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():  # (deprecations of upsample, chain_matmul, lu, cholesky: in both)
        warnings.simplefilter("ignore")
        gm = torchless.fx.symbolic_trace(make_function(torchless, CALLS[name]))
        expected = torch.fx.symbolic_trace(make_function(torch, CALLS[name]))
        assert describe(gm.graph) == describe(expected.graph)
        assert gm.code == expected.code
        assert str(gm.graph) == str(expected.graph)
        if name != "to_dtype":  # (F.elu_ and the other in-place calls change x: fresh inputs for each)
            assert_same_values(gm(*inputs(torchless)), expected(*inputs(torch)), torch)
        else:
            assert gm(*inputs(torchless)).dtype == torchless.float64


def test_functions_loaded_on_first_use_record_in_a_fresh_process():
    # (stft and chain_matmul are not loaded before the trace: they are recorded when the trace first reaches them)
    script = textwrap.dedent("""
        import torchless, torchless.fx
        assert "stft" not in vars(torchless) and "chain_matmul" not in vars(torchless)
        def f(x):
            return torchless.stft(x, 4, return_complex=True), torchless.chain_matmul(x[:2, None], x[None, :2])
        gm = torchless.fx.symbolic_trace(f)
        print(gm.code.strip())
        assert torchless.stft is torchless.stft and not hasattr(torchless.stft, "__fx_original__")
    """)
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == textwrap.dedent("""\
        def forward(self, x):
            stft = torch.functional.stft(x, 4, hop_length = None, win_length = None, window = None, center = True, \
pad_mode = 'reflect', normalized = False, onesided = None, return_complex = True, align_to_window = None)
            getitem = x[(slice(None, 2, None), None)]
            getitem_1 = x[(None, slice(None, 2, None))];  x = None
            chain_matmul = torch.functional.chain_matmul(getitem, getitem_1);  getitem = getitem_1 = None
            return (stft, chain_matmul)""")


def test_torch_C_nn_calls_written_directly_match_torch_fx():
    torch = pytest.importorskip("torch")
    codes = []
    for lib in (torchless, torch):
        gm = lib.fx.symbolic_trace(lambda x, w: lib._C._nn.linear(x, w) + lib._C._nn.log_sigmoid(x))
        codes.append(gm.code)
    assert codes[0] == codes[1]


# ------------------------------------------------------------------------------------------ graph and module API
def two_level_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Sub(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return F.relu(self.lin(x))

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()
            self.fc = nn.Linear(4, 2)
            self.bn = nn.BatchNorm1d(4)
            self.act = nn.Sequential(nn.Tanh())

        def forward(self, x, y=None):
            h = self.bn(self.sub(x) + x.sigmoid())
            z = lib.neg(self.act(h))
            return self.fc(h * 2) + lib.sum(z)

    lib.manual_seed(0)
    return M().eval()


def graph_editing(lib):
    """Graph surgery through the public API; returns what it saw."""
    seen = []
    gm = lib.fx.symbolic_trace(two_level_model(lib))
    seen.append(describe(gm.graph))
    graph = copy.deepcopy(gm.graph)
    seen.append(str(graph))
    clone = copy.deepcopy(gm)
    seen += [type(clone).__name__, type(gm).__name__, type(clone) is not type(gm), clone.code]
    neg = next(n for n in clone.graph.nodes if n.name == "neg")
    with clone.graph.inserting_before(neg):
        relu = clone.graph.call_function(lib.relu, (neg.args[0],))
    seen.append([u.name for u in neg.replace_all_uses_with(relu)])
    clone.graph.erase_node(neg)
    with clone.graph.inserting_after(relu):
        absolute = clone.graph.call_method("abs", (relu,))
    user = next(iter(relu.users))
    user.update_arg(0, absolute)
    user.insert_arg(1, (0, 1))
    user.update_kwarg("keepdim", False)
    seen.append(user.format_node())
    clone.graph.call_function(operator.add, (relu, 1))
    seen.append(clone.graph.eliminate_dead_code())
    clone.graph.lint()
    clone.recompile()
    seen += [clone.code, clone.graph.output_node().format_node()]
    with pytest.raises(RuntimeError) as caught:
        clone.graph.erase_node(relu)
    seen.append(str(caught.value))
    seen.append((clone.add_submodule("extra.inner", lib.nn.ReLU()), clone.delete_submodule("extra.inner"),
                 clone.delete_submodule("nope")))
    clone.delete_all_unused_submodules()
    seen.append([name for name, _ in clone.named_modules()])
    restored = pickle.loads(pickle.dumps(gm))
    seen += [type(restored).__name__, restored.code]
    x = lib.tensor(np.random.RandomState(1).randn(3, 4).astype(np.float32))
    seen.append([m(x).detach().numpy() for m in (gm, clone, restored)])
    return seen


def test_graph_editing_matches_torch_fx():
    torch = pytest.importorskip("torch")
    got, want = graph_editing(torchless), graph_editing(torch)
    assert len(got) == len(want)
    for g, w in zip(got[:-1], want[:-1]):
        assert g == w
    for g, w in zip(got[-1], want[-1]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_print_tabular_matches_torch_fx():
    torch = pytest.importorskip("torch")
    pytest.importorskip("tabulate")
    texts = []
    for lib in (torchless, torch):
        class M(lib.nn.Module):  # (no function targets: their reprs hold addresses)
            def __init__(self):
                super().__init__()
                self.conv = lib.nn.Conv2d(1, 2, 3)

            def forward(self, x, scale=2):
                return self.conv(x).flatten(1).mul(scale).softmax(dim=-1)

        buffer = io.StringIO()
        with redirect_stdout(buffer):
            lib.fx.symbolic_trace(M()).graph.print_tabular()
        texts.append(buffer.getvalue())
    assert texts[0] == texts[1]
    assert texts[0].splitlines()[0].split() == ["opcode", "name", "target", "args", "kwargs"]


def test_to_folder_matches_torch_fx_and_loads_back(tmp_path):
    torch = pytest.importorskip("torch")
    texts, modules = {}, {}
    for lib in (torchless, torch):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 2, 3)
                self.bn = nn.BatchNorm2d(2)
                self.act = nn.ReLU()
                self.fc = nn.Linear(8, 3)
                self.scale = nn.Parameter(lib.ones(3))
                self.register_buffer("shift", lib.arange(3, dtype=lib.float64))

            def forward(self, x):
                return self.fc(lib.flatten(self.act(self.bn(self.conv(x))), 1)) * self.scale + self.shift

        lib.manual_seed(0)
        gm = modules[lib.__name__] = lib.fx.symbolic_trace(M().eval())
        folder = tmp_path / f"out_{lib.__name__}"
        with pytest.warns(UserWarning, match=r"^Was not able to save the following children modules as reprs -"
                                             r"saved as pickled files instead: \['act'\]$"):
            gm.to_folder(folder, "Net")
        text = (folder / "module.py").read_text().replace(str(folder), "FOLDER")
        texts[lib.__name__] = (sorted(p.name for p in folder.iterdir()), text)
    files, text = texts["torchless"]
    torch_files, torch_text = texts["torch"]
    assert files == torch_files == ["__init__.py", "act.pt", "module.py", "state_dict.pt"]
    assert text == torch_text
    script = textwrap.dedent(f"""
        import sys, numpy as np
        import torchless.as_torch
        torchless.as_torch.install()
        import torch
        sys.path.insert(0, {str(tmp_path)!r})
        from out_torchless import Net
        torch.manual_seed(0)
        net = Net().eval()
        x = torch.tensor(np.random.RandomState(0).randn(2, 1, 4, 4).astype(np.float32))
        print(net.shift.dtype, net(x).detach().numpy().round(5).tolist())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    x = torchless.tensor(np.random.RandomState(0).randn(2, 1, 4, 4).astype(np.float32))
    dtype, values = result.stdout.split(" ", 1)
    assert dtype == "torchless.float64"
    np.testing.assert_allclose(np.array(eval(values)), modules["torchless"](x).detach().numpy(), rtol=1e-4,
                               atol=1e-4)


def rewriting(lib):
    """replace_pattern on a module with two occurrences of each pattern; returns what it saw."""
    nn, seen = lib.nn, []

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x, w1, w2):
            m1 = lib.cat([w1, w2]).sum()
            m2 = lib.cat([w1, w2]).sum()
            y = lib.relu(self.fc(x)) + 1
            z = lib.relu(y * 2) + 1
            return x + lib.max(m1) + lib.max(m2) + z

    lib.manual_seed(0)
    gm = lib.fx.symbolic_trace(M())
    matches = lib.fx.replace_pattern(gm, lambda w1, w2: lib.cat([w1, w2]).sum(), lambda w1, w2: lib.stack([w1, w2]))
    seen.append([(m.anchor.name, sorted((k.name, v.name) for k, v in m.nodes_map.items())) for m in matches])
    matches = lib.fx.replace_pattern(gm, lambda a: lib.relu(a) + 1, lambda a: lib.sigmoid(a) - 1)
    seen += [[m.anchor.name for m in matches], gm.code, str(gm.graph)]
    seen.append(len(lib.fx.replace_pattern(gm, lambda a: lib.sigmoid(a) - 2, lambda a: a)))  # (literal differs)
    from importlib import import_module
    rewriter = import_module(f"{lib.__name__}.fx.subgraph_rewriter")
    replaced = rewriter.replace_pattern_with_filters(gm, lambda a: lib.sigmoid(a) - 2, lambda a: lib.tanh(a),
                                                     ignore_literals=True)
    seen += [[(r.anchor.name, [n.name for n in r.replacements]) for r in replaced], gm.code]
    rng = np.random.RandomState(0)
    seen.append(gm(*[lib.tensor(rng.randn(2, 4).astype(np.float32)) for _ in range(3)]).detach().numpy())
    return seen


def test_replace_pattern_matches_torch_fx():
    torch = pytest.importorskip("torch")
    got, want = rewriting(torchless), rewriting(torch)
    assert got[:-1] == want[:-1]
    np.testing.assert_allclose(got[-1], want[-1], rtol=1e-5, atol=1e-5)


def immutability(lib):
    seen = []
    gm = lib.fx.symbolic_trace(lambda x: lib.cat([x, x], dim=1).sum(dim=[0]))
    cat, total = [n for n in gm.graph.nodes if n.op in ("call_function", "call_method")]
    seen.append([(type(n.args).__name__, [type(a).__name__ for a in n.args], type(n.kwargs).__name__,
                  {k: type(v).__name__ for k, v in n.kwargs.items()}) for n in gm.graph.nodes])
    for mutate in (lambda: cat.args[0].append(1), lambda: cat.kwargs.update(dim=0), lambda: total.kwargs["dim"].sort(),
                   lambda: cat.kwargs.pop("dim")):
        with pytest.raises(Exception) as caught:
            mutate()
        seen.append((type(caught.value).__name__, str(caught.value)))
    copied = pickle.loads(pickle.dumps(total.kwargs["dim"]))
    seen += [type(copied).__name__, copied == [0], hash(copied) == hash((0,)),
             hash(cat.kwargs) == hash(frozenset({("dim", 1)}))]
    mapped = lib.fx.node.map_aggregate([1, {"a": [2]}], lambda v: v)
    seen.append((type(mapped).__name__, type(mapped[1]).__name__, type(mapped[1]["a"]).__name__))
    return seen


def test_node_arguments_are_immutable_as_in_torch_fx():
    torch = pytest.importorskip("torch")
    assert immutability(torchless) == immutability(torch)


def container_concrete_args(lib):
    seen = []

    def f(x, y):
        return x + y["a"] * y["b"], [y["a"]]

    gm = lib.fx.symbolic_trace(f, concrete_args={"y": {"a": lib.fx.PH, "b": 2}})
    seen += [gm.code, str(gm.graph), str(gm._in_spec), str(gm._out_spec)]
    y = {"a": lib.tensor([3.0, 4.0]), "b": 2}
    for result in (gm(lib.ones(2), y), lib.fx.Interpreter(gm).run(lib.ones(2), y)):
        seen.append((type(result).__name__, [type(r).__name__ for r in result], result[0].tolist(),
                     result[1][0].tolist()))
    with pytest.raises(AssertionError) as caught:
        gm(lib.ones(2), {"a": lib.ones(2), "b": 3})
    seen.append(str(caught.value))
    with pytest.raises(SyntaxError):  # (a parameter with a default: PyTorch's code for it does not compile)
        lib.fx.symbolic_trace(lambda x, y=None: x * y[0], concrete_args={"y": [2, 3]})
    args = [lib.ones(2), lib.tensor([3.0, 4.0]), 2]
    seen.append(lib.fx.Interpreter(gm).boxed_run(args)[0].tolist())
    seen.append(args)
    with pytest.raises(RuntimeError) as caught:
        lib.fx.Interpreter(gm).boxed_run([1])
    seen.append(str(caught.value))
    return seen


def test_container_concrete_args_and_boxed_run_match_torch_fx():
    torch = pytest.importorskip("torch")
    assert container_concrete_args(torchless) == container_concrete_args(torch)


def record_value(x):
    """A side effect fx must keep (registered with has_side_effect by the test)."""
    return None


def dead_code(lib):
    seen = []

    def f(x):
        lib.relu_(x.clone())
        x.add_(1)
        lib.dropout(x, 0.5, True)
        x.sigmoid_()
        lib.bernoulli(x)
        lib.nn.functional.relu(x, inplace=True)
        record_value(x)
        return x

    lib.fx.has_side_effect(record_value)
    tracer = lib.fx.Tracer(autowrap_functions=(record_value,))
    graph = tracer.trace(f)
    gm = lib.fx.GraphModule(tracer.root, graph)
    seen.append([(n.name, n.is_impure()) for n in gm.graph.nodes])
    seen.append(gm.graph.eliminate_dead_code())
    seen.append([n.name for n in gm.graph.nodes])
    return seen


def test_dead_code_and_has_side_effect_match_torch_fx():
    torch = pytest.importorskip("torch")
    assert dead_code(torchless) == dead_code(torch)


# ------------------------------------------------------------------------------------------ without torch
def test_code_of_functional_and_functions_written_out():
    def f(x, w):
        return TF.linear(x, w), TF.threshold(x, 0.5, 2.0), torchless.split(x, 2), TF.logsigmoid(x)

    gm = torchless.fx.symbolic_trace(f)
    assert gm.code.strip() == textwrap.dedent("""\
        def forward(self, x, w):
            linear = torch._C._nn.linear(x, w);  w = None
            _threshold = torch.nn.functional._threshold(x, 0.5, 2.0, inplace = False)
            split = torch.functional.split(x, 2, dim = 0)
            log_sigmoid = torch._C._nn.log_sigmoid(x);  x = None
            return (linear, _threshold, split, log_sigmoid)""")
    rng = np.random.RandomState(5)
    x, w = rng.randn(4, 3), rng.randn(2, 3)
    linear, thresholded, split, log_sigmoid = gm(torchless.tensor(x, dtype=torchless.float32),
                                                 torchless.tensor(w, dtype=torchless.float32))
    np.testing.assert_allclose(linear.numpy(), x @ w.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(thresholded.numpy(), np.where(x > 0.5, x, 2.0), rtol=1e-6, atol=1e-6)
    assert [s.shape for s in split] == [(2, 3), (2, 3)]
    np.testing.assert_allclose(log_sigmoid.numpy(), -np.log1p(np.exp(-x)), rtol=1e-5, atol=1e-6)


def test_dtypes_in_code_are_torch_names_and_run():
    gm = torchless.fx.symbolic_trace(lambda x: x.to(torchless.float64) * 2)
    assert "x.to(torch.float64)" in gm.code and "torchless" not in gm.code
    assert "args = (%x, torch.float64)" in str(gm.graph)
    out = gm(torchless.tensor([1.5], dtype=torchless.float32))
    assert out.dtype == torchless.float64 and out.tolist() == [3.0]


def test_return_indices_and_is_tensor_from_first_principles():
    def f(x):
        return TF.max_pool2d(x, 2, return_indices=True), torchless.is_tensor(x)

    gm = torchless.fx.symbolic_trace(f)
    calls = [(n.name, n.target.__name__) for n in gm.graph.nodes if n.op == "call_function"]
    assert calls == [("max_pool2d_with_indices", "max_pool2d_with_indices")]
    assert gm.code.strip().splitlines()[-1] == "    return (max_pool2d_with_indices, False)"
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    (values, indices), is_tensor = gm(torchless.tensor(x))
    assert values.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]] and indices.tolist() == [[[[5, 7], [13, 15]]]]
    assert is_tensor is False


def test_replace_pattern_from_first_principles():
    def f(x):
        return (torchless.relu(x) + 1) * (torchless.relu(x * 3) + 1)

    gm = torchless.fx.symbolic_trace(f)
    matches = torchless.fx.replace_pattern(gm, lambda a: torchless.relu(a) + 1, lambda a: torchless.abs(a) - 1)
    assert len(matches) == 2
    gm.graph.lint()
    x = np.linspace(-2, 2, 9)
    want = (np.abs(x) - 1) * (np.abs(x * 3) - 1)
    np.testing.assert_allclose(gm(torchless.tensor(x)).numpy(), want, rtol=1e-12)
    assert not any(n.target is torchless.relu for n in gm.graph.nodes)


def test_nn_module_stack_and_fresh_qualnames():
    class Inner(torchless.nn.Module):
        def forward(self, x):
            return x + torchless.ones(1)

    class Outer(torchless.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.act = torchless.nn.ReLU()

        def forward(self, x):
            return self.act(self.inner(self.inner(x)))

    gm = torchless.fx.symbolic_trace(Outer())
    stacks = {n.name: [(k, v[0], v[1].__name__) for k, v in n.meta.get("nn_module_stack", {}).items()]
              for n in gm.graph.nodes}
    assert stacks["add"] == [("inner", "inner", "Inner")]
    assert stacks["add_1"] == [("inner@1", "inner", "Inner")]
    assert stacks["act"] == [("act", "act", "ReLU")] and stacks["x"] == [] and stacks["output"] == []
    assert [n.target for n in gm.graph.nodes if n.op == "get_attr"] == ["_tensor_constant0", "_tensor_constant1"]


def test_new_features_work_under_python_OO(tmp_path):
    script = textwrap.dedent(f"""
        import warnings, copy, torchless, torchless.fx
        import torchless.nn.functional as F
        gm = torchless.fx.symbolic_trace(lambda x, w: F.linear(x, w) + torchless.split(x, 1)[0].sum())
        torchless.fx.replace_pattern(gm, lambda a, b: F.linear(a, b), lambda a, b: a @ b.t())
        copy.deepcopy(gm.graph).lint()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.to_folder({str(tmp_path / "folder")!r})
        print(gm(torchless.ones(2, 2), torchless.ones(2, 2)).tolist())
    """)
    result = subprocess.run([sys.executable, "-OO", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[[4.0, 4.0], [4.0, 4.0]]"
    assert re.search(r"matmul = x @ t", (tmp_path / "folder" / "module.py").read_text())


def test_container_concrete_args_from_first_principles():
    from torchless.fx._pytree import tree_flatten_spec
    from torchless.utils._pytree import tree_flatten
    _, spec = tree_flatten(([1], {"a": 2, "b": (3, 4)}))
    assert tree_flatten_spec(([5], {"b": (7, 8), "a": 6}), spec) == [5, 6, 7, 8]  # (a dict's leaves in spec order)

    def f(x, cfg):
        return x * cfg["scale"] + cfg["shift"]

    gm = torchless.fx.symbolic_trace(f, concrete_args={"cfg": {"scale": torchless.fx.PH, "shift": 0.5}})
    assert [n.target for n in gm.graph.nodes if n.op == "placeholder"] == ["x", "cfg_1", "cfg_2"]
    assert gm.code.splitlines()[4] == "    x, cfg_1, cfg_2, = fx_pytree.tree_flatten_spec([x, cfg], self._in_spec)"
    x, scale = np.array([1.0, -2.0]), np.array([3.0, 0.25])
    got = gm(torchless.tensor(x), {"shift": 0.5, "scale": torchless.tensor(scale)})
    np.testing.assert_allclose(got.numpy(), x * scale + 0.5, rtol=1e-12)
    with pytest.raises(AssertionError, match="^cfg has been specialized to have value 0.5 but got another value$"):
        gm(torchless.tensor(x), {"shift": 1.0, "scale": torchless.tensor(scale)})
