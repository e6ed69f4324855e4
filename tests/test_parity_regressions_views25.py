"""Session 25 (views25): the outputs of split/chunk/unbind, of a custom Function and of a factorisation share one
grad_fn, as in PyTorch; and PyTorch's refusals to use, after an in-place change of their memory, views whose node
autograd cannot rewrite (split's pieces, views made in no_grad or inference mode, a custom Function's views)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(fn, lib):
    """What ``fn(lib)`` gives: ("ok", its value as plain Python) or ("error", type name, message)."""
    try:
        value = fn(lib)
    except Exception as error:  # noqa: BLE001 - the outcome compared is the exception itself
        return ("error", type(error).__name__, str(error).replace("torchless", "torch"))
    return ("ok", _plain(value))


def _plain(value):
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (torch.Tensor, torchless.Tensor)):
        return np.asarray(value.detach().numpy()).round(5).tolist()
    return value


def _same_in_both(fn):
    expected, got = _outcome(fn, torch), _outcome(fn, torchless)
    assert got == expected


SPLITTERS = {
    "split": lambda x: x.split(2),
    "split_sizes": lambda x: x.split([1, 3], 1),
    "chunk": lambda x: x.chunk(3, -1),
    "unbind": lambda x: x.unbind(1),
    "unsafe_split": lambda x: x.unsafe_split(2),
    "unsafe_chunk": lambda x: x.unsafe_chunk(2, 1),
    "torch_split": lambda x: type(x).split(x, 3, 1) if False else x.split(3, 1),
}


@pytest.mark.parametrize("name", SPLITTERS)
def test_pieces_share_their_node(name):
    def graph(lib):
        x = (lib.arange(16.0).reshape(4, 4)).requires_grad_()
        pieces = SPLITTERS[name](x * 1)
        nodes = [p.grad_fn for p in pieces]
        consumer = pieces[-1] * pieces[0][..., :1].sum()
        listed = consumer.grad_fn.next_functions
        return (all(n is nodes[0] for n in nodes), [p.output_nr for p in pieces], type(nodes[0]).__name__,
                listed[0][0] is nodes[0], listed[0][1], [type(n).__name__ for n, _ in nodes[0].next_functions])
    _same_in_both(graph)


def test_hooks_retain_grad_and_grad_reach_each_piece():
    def gradients(lib):
        x = lib.arange(12.0).reshape(4, 3).requires_grad_()
        a, b = (x * 2).chunk(2)
        seen = []
        a.register_hook(lambda g: seen.append(("a", g.sum().item())))
        b.register_hook(lambda g: seen.append(("b", g.sum().item())) if g is not None else None)
        a.grad_fn.register_prehook(lambda gos: seen.append(tuple(g is None for g in gos)))
        b.retain_grad()
        (a.sum() * 3 + (b * b).sum()).backward(retain_graph=True)
        ga, gb = lib.autograd.grad((a * 5).sum() + b[0, 0], [a, b])
        return sorted(map(str, seen)), b.grad, b.retains_grad, a.retains_grad, ga, gb, x.grad
    _same_in_both(gradients)


def test_create_graph_through_pieces():
    def second(lib):
        x = lib.linspace(-1, 1, 12, dtype=lib.float64).reshape(4, 3).requires_grad_()
        rows = x.unbind()
        y = sum((row ** 3).sum() * (i + 1) for i, row in enumerate(rows[:3]))
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        return g, h
    _same_in_both(second)


def test_saved_piece_shows_its_node_and_output_nr():
    def saved(lib):
        x = lib.ones(4, 3, requires_grad=True)
        a, b = (x * 2).chunk(2)
        z = a * b
        return (z.grad_fn._saved_self.grad_fn is a.grad_fn, z.grad_fn._saved_other.output_nr,
                z.grad_fn._saved_other.grad_fn is b.grad_fn)
    _same_in_both(saved)


def test_saved_tensor_hooks_unpack_pieces_into_their_place():
    def unpacked(lib):
        x = lib.arange(12.0).reshape(4, 3).requires_grad_()
        a, b = x.chunk(2)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
            z = a * b
        z.sum().backward()
        return x.grad
    _same_in_both(unpacked)


def _custom_functions(lib):
    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + (0 if gb is None else gb * 3)

    class TwoViews(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2], x[2:]

        @staticmethod
        def backward(ctx, ga, gb):
            return lib.cat([ga, gb])

    class OneView(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[1:]

        @staticmethod
        def backward(ctx, g):
            return lib.cat([lib.zeros(1, 3), g])

    return Two, TwoViews, OneView


def test_custom_function_outputs_share_their_node():
    def shared(lib):
        two = _custom_functions(lib)[0]
        x = lib.ones(4, 3, requires_grad=True)
        a, b = two.apply(x)
        pair = a * b
        (a.sum() + b.sum() * 2).backward()
        return (a.grad_fn is b.grad_fn, a.output_nr, b.output_nr, pair.grad_fn.next_functions[1][0] is a.grad_fn,
                pair.grad_fn.next_functions[1][1], x.grad)
    _same_in_both(shared)


@pytest.mark.parametrize("which", [1, 2])
def test_custom_function_views_refuse_use_after_their_base_changed(which):
    def refused(lib):
        fn = _custom_functions(lib)[which]
        y = lib.ones(4, 3, requires_grad=True) * 1
        out = fn.apply(y)
        view = out[0] if isinstance(out, tuple) else out
        y.mul_(2)
        return (view * 1).sum()
    _same_in_both(refused)


def test_factorisation_outputs_share_their_node():
    def factors(lib):
        a = lib.arange(12.0, dtype=lib.float64).reshape(4, 3).requires_grad_()
        q, r = lib.linalg.qr(a * 1 + lib.eye(4, 3, dtype=lib.float64))
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        (g,) = lib.autograd.grad((q.sum(-1) ** 2).sum() + r.diagonal().sum(), a)
        return q.grad_fn is r.grad_fn, u.grad_fn is vh.grad_fn, [t.output_nr for t in (q, r, u, s, vh)], g
    _same_in_both(factors)


def _made(lib, how):
    """A view of ``y`` (computed from a leaf) made as ``how`` says, and ``y``."""
    y = lib.arange(12.0).reshape(4, 3).requires_grad_() * 1
    if how == "split":
        return y.split(2)[1], y
    if how == "unbind_select":
        return y.unbind()[0][1:], y
    if how == "no_grad":
        with lib.no_grad():
            return y[1:], y
    if how == "no_grad_then_view":
        with lib.no_grad():
            view = y[1:]
        return view.transpose(0, 1), y
    if how == "inference":
        with lib.inference_mode():
            return y[1:], y
    raise AssertionError(how)


CHANGES = {
    "base_grad": lambda lib, view, y: y.mul_(2),
    "base_no_grad": lambda lib, view, y: _no_grad(lib, lambda: y.add_(1)),
    "base_detached": lambda lib, view, y: y.detach().zero_(),
    "view_no_grad": lambda lib, view, y: _no_grad(lib, lambda: view.mul_(3)),
    "data": lambda lib, view, y: view.data.mul_(2),
    "none": lambda lib, view, y: None,
}


def _no_grad(lib, change):
    with lib.no_grad():
        change()


USES = {
    "op": lambda view: (view * 2).sum(),
    "backward": lambda view: view.sum().backward(),
    "is_leaf": lambda view: view.is_leaf,
    "retain_grad": lambda view: view.retain_grad(),
    "register_hook": lambda view: view.register_hook(lambda g: g) and None,
    "repr_suffix": lambda view: repr(view).rsplit("]", 1)[-1],
    "requires_grad": lambda view: (view.requires_grad, view.output_nr, view._is_view()),
}


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("how", ["split", "unbind_select", "no_grad", "no_grad_then_view", "inference"])
def test_use_of_a_view_after_an_inplace_change(how, change, use):
    def run(lib):
        view, y = _made(lib, how)
        CHANGES[change](lib, view, y)
        return USES[use](view)
    _same_in_both(run)


@pytest.mark.parametrize("how", ["split", "unbind_select", "no_grad", "no_grad_then_view", "inference"])
def test_inplace_change_of_such_a_view_is_refused(how):
    def run(lib):
        view, _ = _made(lib, how)
        view.add_(1)
    _same_in_both(run)


def test_views_of_tensors_not_requiring_grad_are_not_refused():
    def run(lib):
        x = lib.arange(12.0).reshape(4, 3)
        a, b = x.split(2)
        with lib.no_grad():
            v = x[1:]
        x.mul_(2)
        return (a * 1).requires_grad, a.is_leaf, v.is_leaf, repr(v).rsplit("]", 1)[-1], a + b[0]
    _same_in_both(run)


def test_unsafe_split_pieces_may_change_in_place():
    def run(lib):
        x = lib.arange(12.0).reshape(4, 3).requires_grad_()
        a, b = (x * 1).unsafe_split(2)
        a.mul_(2)
        (a + b).sum().backward()
        return x.grad, type(a.grad_fn).__name__, type(a.grad_fn.next_functions[0][0]).__name__
    _same_in_both(run)


WHOLE_KEYS = ["...", ":", "()", "0:4", "0:100", ":, 0:3", "..., :", "0:4, ...", "::1"]
PART_KEYS = ["-4:", ":, -3:", "None, :", "..., None", "0", "1:3"]
VALUES = ["5", "lib.tensor(2., requires_grad=True)", "lib.tensor([5.], requires_grad=True)",
          "lib.ones(1, 3, requires_grad=True)", "lib.ones(4, 3, dtype=lib.float64, requires_grad=True)",
          "lib.ones(3, 3)", "lib.tensor(7)"]


@pytest.mark.parametrize("key", WHOLE_KEYS + PART_KEYS)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("target", ["x", "x * 1", "x.t().t()", "x[0:4]"])
def test_setitem_writes_into_the_tensor_itself_for_a_whole_key(key, value, target):
    """t[...] = v (any key of full slices) is PyTorch's copy_/fill_ of t itself (CopyBackwards, FillBackward3), not
    a write through a view of it (CopySlices); the value's shape is checked before a leaf's refusal."""
    def run(lib):
        x = lib.arange(12.0).reshape(4, 3).add(1).requires_grad_()
        b = eval(target)
        v = eval(value)
        exec(f"b[{key}] = v")
        (b * lib.arange(12.0).reshape(4, 3)).sum().backward()
        return (type(b.grad_fn).__name__, b._version, x.grad,
                v.grad if isinstance(v, (torch.Tensor, torchless.Tensor)) else None)
    _same_in_both(run)


@pytest.mark.parametrize("value", ["2", "lib.tensor(2.)", "lib.tensor(2., requires_grad=True)",
                                   "lib.tensor(2, dtype=lib.int64)", "lib.tensor(2., dtype=lib.float64, requires_grad=True)"])
def test_fill_by_a_tensor_is_its_own_node(value):
    def run(lib):
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 1
        v = eval(value)
        y.fill_(v)
        (y * 3).sum().backward()
        return (type(y.grad_fn).__name__, [type(n).__name__ for n, _ in y.grad_fn.next_functions], x.grad,
                v.grad if isinstance(v, (torch.Tensor, torchless.Tensor)) else None)
    _same_in_both(run)


def test_unflatten_is_a_view():
    def run(lib):
        y = lib.arange(12.0).reshape(3, 4).requires_grad_() * 1
        pieces = [y.t().unflatten(0, (2, 2)), y.unflatten(1, (2, 2)), y.t().unflatten(1, (1, 3))]
        return [(type(p.grad_fn).__name__, p._is_view(), p.stride()) for p in pieces]
    _same_in_both(run)


@pytest.mark.parametrize("op", ["as_strided_((2, 2), (1, 2))", "as_strided_((2,), (1,), 3)", "squeeze_()", "t_()"])
def test_in_place_metadata_changes_count_a_version(op):
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_() * 1
        exec("x." + op)
        return x._version, tuple(x.shape), x.stride(), type(x.grad_fn).__name__
    _same_in_both(run)


SET_CALLS = [
    "b.set_(lib.arange(6.))",
    "b.set_(source=lib.arange(6.).reshape(2, 3).t())",
    "b.set_()",
    "b.set_(lib.arange(6.).untyped_storage(), 2, (2,))",
    "b.set_(lib.arange(6.).untyped_storage(), 0, (2, 2), (1, 2))",
    "b.set_(lib.arange(6.), 1, (2,), (2,))",
    "b.set_(lib.arange(6, dtype=lib.int64))",
    "b.set_(lib.arange(6.), 2)",
    "b.set_(5)",
]


@pytest.mark.parametrize("call", SET_CALLS)
@pytest.mark.parametrize("source", ["plain", "leaf", "computed", "leaf_no_grad"])
def test_set_(call, source):
    def run(lib):
        x = lib.ones(2, 3, requires_grad=source != "plain")
        b = x * 2 if source == "computed" else x
        if source == "leaf_no_grad":
            with lib.no_grad():
                exec(call)
        else:
            exec(call)
        listed = [type(n).__name__ for n, _ in b.grad_fn.next_functions] if b.grad_fn is not None else None
        return (b.tolist(), b.stride(), b.storage_offset(), b._version, b.requires_grad, repr(b).rsplit("]", 1)[-1],
                listed)
    _same_in_both(run)


def test_set_shares_the_memory_and_refuses_backward():
    def run(lib):
        y = lib.arange(6.0)
        x = lib.ones(2, 3)
        x.set_(y)
        x.mul_(2)
        y[0] = 7
        a = lib.ones(3, requires_grad=True)
        b = a * 2
        b.set_(lib.zeros(3))
        outcome = _outcome(lambda _: b.sum().backward(), lib)
        return x.tolist(), y.tolist(), x._version, y._version, outcome
    _same_in_both(run)


SAVED_OUTPUT_CHANGES = {
    "the view again": "v = b[1]; v.sigmoid_(); v.add_(1); v.sum().backward()",
    "the base": "v = b[1]; v.sigmoid_(); b.add_(1); b.sum().backward()",
    "the base, view deleted": "v = b[1]; v.exp_(); del v; b.mul_(2); b.sum().backward()",
    "a sibling view": "v = b[1]; w = b[1:]; v.sigmoid_(); w.mul_(2); b.sum().backward()",
    "the base in no_grad": "v = b[1]; v.exp_()\nwith lib.no_grad(): b.mul_(2)\nb.sum().backward()",
    "a transposed view again": "v = b.t(); v.sigmoid_(); v.mul_(2); b.sum().backward()",
    "no view": "b.exp_(); b.mul_(2); b.sum().backward()",
}


@pytest.mark.parametrize("change", SAVED_OUTPUT_CHANGES)
def test_modified_saved_output_of_an_inplace_op_on_a_view_names_its_node(change):
    """The saved output of an in-place op on a view, changed since: PyTorch names the node that saved it unless the
    view is alive and its memory changed by another way than an in-place op on it (then AsStrided, the node it
    would replay)."""
    def run(lib):
        b = lib.arange(9.0).reshape(3, 3).div(9).requires_grad_() * 1
        exec(SAVED_OUTPUT_CHANGES[change], {"lib": lib, "b": b})
    _same_in_both(run)


PROPAGATION_CASES = {
    "split of an inference-mode view": "with lib.inference_mode(): v = b.t()\np = v.split(1)[0]\np.add_(1)",
    "view of a chunk of an inference-mode view": "with lib.inference_mode(): v = b.flatten()\n"
                                                 "p = v.chunk(2)[-1].view_as(v.chunk(2)[-1])\np.mul_(2)",
    "split of an inference-mode view, base changed": "with lib.inference_mode(): v = b.t()\n"
                                                      "p = v.split(1)[0]\nb.t_()\np.sum()",
    "split of a no_grad view": "with lib.no_grad(): v = b.t()\np = v.split(1)[0]\np.add_(1)",
    "no_grad view of an inference-mode view": "with lib.inference_mode(): v = b.t()\n"
                                              "with lib.no_grad(): p = v[0]\nb.add_(1)\np.sum()",
}


@pytest.mark.parametrize("case", PROPAGATION_CASES)
def test_views_of_inference_mode_views_stay_inference_mode_views(case):
    """PyTorch's propagate_creation_meta: a view of a view made in inference mode is refused as one, whatever
    made it (split, no_grad), where a split of a no_grad view is a multi-output view."""
    def run(lib):
        b = lib.arange(12.0).reshape(3, 4).requires_grad_() * 1
        exec(PROPAGATION_CASES[case], {"lib": lib, "b": b})
    _same_in_both(run)


@pytest.mark.parametrize("source", ["leaf", "computed"])
@pytest.mark.parametrize("change", ["v1.squeeze_()", "v2[...] = 5", "v2.mul_(2)", "v1.add_(1)"])
def test_a_copying_reshape_of_a_no_grad_view_is_no_view_of_a_leaf(source, change):
    """A reshape that had to copy (a no_grad view's transpose reshaped) makes no view: an in-place op on it, or on
    a view of it, is not refused as on 'a view of a leaf Variable'."""
    def run(lib):
        x = lib.arange(24.0).reshape(2, 3, 4).div(7).requires_grad_()
        b = x if source == "leaf" else x * 1
        with lib.no_grad():
            v0 = b.transpose(0, -1)
        v1 = v0.reshape(v0.shape[::-1])
        v2 = v1.flatten()
        exec(change)
        (v1 * 2).sum().backward()
        return v1._is_view(), type(v1.grad_fn).__name__, v1._version, x.grad
    _same_in_both(run)


@pytest.mark.parametrize("code", [
    "x = lib.ones(2, 3); x.resize_(2, 3); r = (x._version, x.stride())",
    "x = lib.ones(3, 2).t(); x.resize_(2, 3); r = (x._version, x.stride())",
    "x = lib.ones(2, 3); x.resize_(3, 2); r = (x._version, x.stride())",
    "x = lib.ones(2, 3, requires_grad=True)\nwith lib.inference_mode(): x.resize_(3, 2)\nr = tuple(x.shape)",
    "x = lib.ones(2, 3, requires_grad=True)\nwith lib.no_grad(): x.resize_(3, 2)",
    "x = lib.ones(3, requires_grad=True); b = x * 1\nwith lib.inference_mode(): d = b.detach_()\n"
    "r = (d is b, type(b.grad_fn).__name__, b.requires_grad, b._version)",
    "x = lib.ones(3, requires_grad=True); v = (x * 1)[1:]\nwith lib.inference_mode(): v.detach_()\n"
    "r = type(v.grad_fn).__name__",
    "x = lib.ones(3, requires_grad=True); v = (x * 1)[1:]; v.detach_()",
])
def test_resize_and_detach_in_place(code):
    def run(lib):
        scope = {"lib": lib}
        exec(code, scope)
        return scope.get("r")
    _same_in_both(run)
