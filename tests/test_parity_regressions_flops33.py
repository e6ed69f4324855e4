"""torch.utils.flop_counter and torch.utils._pytree (session 33, flops33).

FlopCounterMode counts what PyTorch's counts: the ATen products its calls decompose into (conv*d into convolution,
Linear into addmm or mm, matmul into mm or bmm as it folds, a dot or mv product into nothing) with PyTorch's
formulas, forward and backward (convolution_backward; a product's backward as products, only for the gradients
the backward uses), per module of the hierarchy, and its table as PyTorch's hands it to ``tabulate``. The expected
numbers come from PyTorch at run time and, without it, from the formulas written out here.

Seen and left: a convolution's gradient penalty (create_graph) splits its total (equal to PyTorch's) otherwise
between convolution and convolution_backward.
"""
import collections
import contextlib
import io
import sys
import types
import warnings

import pytest

import torchless
from torchless.utils import _pytree as pytree
from torchless.utils import flop_counter
from torchless.utils.flop_counter import FlopCounterMode
from helpers import course_cnn


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (its small products are many times slower on threads of a busy machine)
    yield torch
    torch.set_num_threads(threads)


def _counts(counter):
    """{module: {operator name: flops}} with the operators by their printed names, comparable across libraries."""
    return {module: {str(op): flops for op, flops in ops.items()} for module, ops in counter.get_flop_counts().items()}


def _count(lib, run, counter_class=None, **options):
    counter_class = counter_class or (FlopCounterMode if lib is torchless else
                                      __import__("torch.utils.flop_counter").utils.flop_counter.FlopCounterMode)
    with counter_class(display=False, **options) as counter:
        run()
    return counter


def _both(torch, build_and_run):
    """The counts of ``build_and_run(lib)`` in torchless and in PyTorch."""
    return [_counts(_count(lib, lambda lib=lib: build_and_run(lib))) for lib in (torchless, torch)]


# ---------------------------------------------------------------------------- the course CNN, by the formulas
def _course_expected(batch, backward):
    """PyTorch's counts for the course CNN written out: 2 * output points * filter size * channels in and out."""
    conv1 = 2 * batch * 28 * 28 * 9 * 1 * 5
    conv2 = 2 * batch * 14 * 14 * 9 * 5 * 10
    fc = 2 * batch * 490 * 10
    counts = {"CourseCNN.conv1": {"aten.convolution": conv1}, "CourseCNN.conv2": {"aten.convolution": conv2},
              "CourseCNN.fc": {"aten.addmm": fc}}
    if backward:
        # the image needs no gradient: conv1's backward computes its weight's only; conv2's also its input's, whose
        # weight-gradient convolution counts as much as the forward's
        counts["CourseCNN.conv1"]["aten.convolution_backward"] = conv1
        counts["CourseCNN.conv2"]["aten.convolution_backward"] = 2 * conv2
        counts["CourseCNN.fc"]["aten.mm"] = 2 * fc
    total = collections.Counter()
    for ops in counts.values():
        total.update(ops)
    counts["CourseCNN"] = counts["Global"] = dict(total)
    return counts


@pytest.mark.parametrize("backward", [False, True])
def test_course_cnn_counts_by_formula(backward):
    torchless.manual_seed(0)
    model = course_cnn(torchless.nn)
    images = torchless.randn(4, 1, 28, 28)

    def run():
        out = model(images)
        if backward:
            out.sum().backward()
    counter = _count(torchless, run)
    expected = _course_expected(4, backward)
    assert _counts(counter) == expected
    assert counter.get_total_flops() == sum(expected["Global"].values())


@pytest.mark.parametrize("backward", [False, True])
def test_course_cnn_counts_as_pytorch(torch, backward):
    def run(lib):
        lib.manual_seed(0)
        out = course_cnn(lib.nn)(lib.randn(3, 1, 28, 28))
        if backward:
            out.sum().backward()
    ours, theirs = _both(torch, run)
    assert ours == theirs


def test_training_loop_resets_modules_after_each_backward(torch):
    """PyTorch leaves the modules a backward entered at its end (the image's module never exits in the backward):
    the next forward's products count only under its own modules."""
    def run(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3), lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(64, 3))
        optimizer = lib.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(2):
            optimizer.zero_grad()
            net(lib.randn(2, 2, 6, 6)).sum().backward()
            optimizer.step()
        lib.randn(3, 4) @ lib.randn(4, 5)  # outside every module
        net(lib.randn(1, 2, 6, 6))
    ours, theirs = _both(torch, run)
    assert ours == theirs
    assert ours["Global"]["aten.mm"] > ours["Sequential"]["aten.mm"]


# ---------------------------------------------------------------------------- vision models
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_vision_model_counts_as_pytorch(torch, name):
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    try:
        import torchvision_twins as twins
    finally:
        sys.path.pop(0)
    from torchless.vision import models

    theirs_model = (twins.resnet18 if name == "resnet18" else twins.MobileNetV2)(num_classes=10)
    ours_model = getattr(models, name)(num_classes=10)
    results = []
    for lib, model in ((torchless, ours_model), (torch, theirs_model)):
        lib.manual_seed(0)
        images = lib.randn(2, 3, 16, 16)
        results.append(_counts(_count(lib, lambda: model(images).sum().backward())))
    assert results[0] == results[1]
    assert "aten.convolution_backward" in results[0]["Global"]


# ---------------------------------------------------------------------------- layers and products
def _layer_cases():
    def conv_transpose(lib):
        layer = lib.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
        layer(lib.randn(2, 3, 5, 5, requires_grad=True)).sum().backward()

    def conv_transpose_groups(lib):
        layer = lib.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
        layer(lib.randn(2, 4, 5, 5, requires_grad=True)).sum().backward()

    def conv_groups(lib):
        layer = lib.nn.Conv2d(4, 6, 3, groups=2)
        layer(lib.randn(2, 4, 7, 7, requires_grad=True)).sum().backward()

    def conv1d_3d(lib):
        lib.nn.Conv1d(3, 4, 3)(lib.randn(2, 3, 9, requires_grad=True)).sum().backward()
        lib.nn.Conv3d(2, 3, 2)(lib.randn(1, 2, 4, 4, 4)).sum().backward()

    def conv_unbatched_same_and_native(lib):
        lib.nn.functional.conv2d(lib.randn(2, 6, 6), lib.randn(3, 2, 3, 3), padding="same")
        lib.convolution(lib.randn(1, 2, 6, 6), lib.randn(3, 2, 3, 3), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)

    def linear_only(lib):
        net = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3, bias=False))
        for shape in ((5, 8), (2, 5, 8), (2, 2, 5, 8), (8,)):
            net(lib.randn(*shape)).sum().backward()
        net(lib.randn(5, 2, 8).transpose(0, 1)).sum().backward()  # not contiguous: matmul's mm, not addmm

    def frozen_weight(lib):
        layer = lib.nn.Linear(8, 4)
        layer.weight.requires_grad_(False)
        layer(lib.randn(5, 2, 8, requires_grad=True).transpose(0, 1)).sum().backward()
        lib.nn.functional.linear(lib.randn(5, 2, 8, requires_grad=True).transpose(0, 1), layer.weight).sum().backward()

    def matmuls(lib):
        r = lib.randn
        r(3, 4, 5) @ r(5, 6)
        (r(3, 4, 5, requires_grad=True) @ r(5, 6, requires_grad=True)).sum().backward()
        r(4, 5) @ r(3, 5, 6)
        (r(4, 5, requires_grad=True) @ r(3, 5, 6)).sum().backward()
        r(5) @ r(3, 5, 6)
        (r(2, 1, 4, 5, requires_grad=True) @ r(3, 5, 6, requires_grad=True)).sum().backward()
        r(3, 4, 5) @ r(5)
        (r(4, requires_grad=True) @ r(4, 5, requires_grad=True)).sum().backward()
        r(3, 4) @ r(4)
        r(4) @ r(4)

    def fused_products(lib):
        r = lib.randn
        lib.mm(r(3, 4, requires_grad=True), r(4, 5)).sum().backward()
        lib.bmm(r(3, 4, 5, requires_grad=True), r(3, 5, 6, requires_grad=True)).sum().backward()
        lib.baddbmm(r(3, 4, 6), r(3, 4, 5, requires_grad=True), r(3, 5, 6)).sum().backward()
        lib.addmm(r(6), r(4, 5, requires_grad=True), r(5, 6, requires_grad=True)).sum().backward()
        r(4, 6).addmm(r(4, 5), r(5, 6))

    def attention(lib):
        q, k, v = (lib.randn(2, 3, 4, 8, requires_grad=True) for _ in range(3))
        lib.nn.functional.scaled_dot_product_attention(q, k, v).sum().backward()
        mha = lib.nn.MultiheadAttention(8, 2)
        x = lib.randn(4, 2, 8)
        mha(x, x, x)
        mha(x, x, x, need_weights=False)

    def recurrent_cells(lib):
        for cls in (lib.nn.GRU, lib.nn.RNN):
            cls(4, 3, num_layers=2, bidirectional=True)(lib.randn(5, 2, 4))[0].sum().backward()
        for cls in (lib.nn.LSTMCell, lib.nn.GRUCell, lib.nn.RNNCell):
            cls(4, 3)(lib.randn(2, 4))[0].sum().backward()

    def lstm(lib):
        """PyTorch's oneDNN LSTM (float32, not packed, no projections) counts nothing, forward or backward; its other
        paths count their products."""
        nn = lib.nn
        tagger = nn.Sequential(nn.LSTM(4, 6, batch_first=True, num_layers=2, bias=False))
        head = nn.Linear(6, 5)
        head(tagger(lib.randn(2, 7, 4, requires_grad=True))[0]).sum().backward()
        nn.LSTM(4, 3)(lib.randn(5, 4))[0].sum().backward()
        nn.LSTM(4, 3).double()(lib.randn(5, 2, 4, dtype=lib.float64))[0].sum().backward()
        nn.LSTM(4, 6, proj_size=3)(lib.randn(5, 2, 4))[0].sum().backward()
        packed = nn.utils.rnn.pack_padded_sequence(lib.randn(5, 2, 4, requires_grad=True), [5, 3])
        nn.LSTM(4, 3, num_layers=2)(packed)[0].data.sum().backward()

    def gradients_used_only(lib):
        a, b = lib.randn(3, 4, requires_grad=True), lib.randn(4, 5, requires_grad=True)
        lib.autograd.grad((a @ b).sum(), a)
        (a @ b).sum().backward(inputs=[b])
        weight = lib.randn(3, 2, 3, 3, requires_grad=True)
        x = lib.randn(1, 2, 5, 5, requires_grad=True)
        lib.autograd.grad(lib.nn.functional.conv2d(x, weight).sum(), x)
        lib.autograd.grad(lib.nn.functional.conv_transpose2d(x, weight.transpose(0, 1)).sum(), weight)

    def einsum(lib):
        """PyTorch's contraction of a pair at a time by bmm, with or without gradients (NumPy's einsum here)."""
        for grad in (False, True):
            for equation, shapes in (
                    ("bhid,bhjd->bhij", ((2, 3, 4, 8), (2, 3, 5, 8))), ("ij,ij->", ((3, 4), (3, 4))),
                    ("ij,ij->ij", ((3, 4), (3, 4))), ("ij,jk,kl->il", ((3, 4), (4, 5), (5, 6))),
                    ("ijk,jl->il", ((3, 4, 2), (4, 5))), ("...ij,...jk", ((2, 3, 4), (4, 5))),
                    ("bn,anm,bm->ba", ((2, 3), (4, 3, 5), (2, 5))), ("ii,ij->j", ((3, 3), (3, 4))),
                    ("bij,jk->bik", ((1, 3, 4), (4, 5))), ("ij,jk->ik", ((3, 1), (1, 5)))):
                operands = [lib.randn(*shape, requires_grad=grad) for shape in shapes]
                out = lib.einsum(equation, *operands)
                if grad:
                    out.sum().backward()
        lib.einsum("ij,jk->ik", [lib.randn(3, 4), lib.randn(4, 5)])
        lib.einsum(lib.randn(3, 4), [0, 1], lib.randn(4, 5), [1, 2], [0, 2])

    def double_backward(lib):
        a, b = lib.randn(3, 4, requires_grad=True), lib.randn(4, 5, requires_grad=True)
        grad, = lib.autograd.grad((a @ b).pow(2).sum(), a, create_graph=True)
        grad.sum().backward()
        x, w = lib.randn(2, 6, requires_grad=True), lib.randn(3, 6, requires_grad=True)
        grad, = lib.autograd.grad(lib.nn.functional.linear(x, w, lib.randn(3)).pow(2).sum(), x, create_graph=True)
        grad.pow(2).sum().backward()

    return [conv_transpose, conv_transpose_groups, conv_groups, conv1d_3d, conv_unbatched_same_and_native,
            linear_only, frozen_weight, matmuls, fused_products, attention, recurrent_cells, lstm, gradients_used_only,
            einsum, double_backward]


@pytest.mark.parametrize("case", _layer_cases(), ids=lambda case: case.__name__)
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_counts_as_pytorch(torch, case):
    def run(lib):
        lib.manual_seed(0)
        case(lib)
    ours, theirs = _both(torch, run)
    assert ours == theirs


def test_conv_transpose_and_backward_by_formula():
    """A transposed convolution counts per input point; its backward the input's gradient (a convolution, as many)
    and the weight's (groups times as many, by PyTorch's formula on the full input channels)."""
    layer = torchless.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
    x = torchless.randn(2, 4, 5, 5, requires_grad=True)
    counter = _count(torchless, lambda: layer(x).sum().backward())
    forward = 2 * 2 * 5 * 5 * 9 * 4 * 3  # batch, input points, filter, in channels, out channels per group
    assert _counts(counter)["Global"] == {"aten.convolution": forward, "aten.convolution_backward": forward * 3}


def test_einsum_by_formula():
    """Left to right: i,j contracted over k (2 * 3 * 4 * 5), then with the third over l (2 * 3 * 5 * 6); a pair with
    nothing to sum is a product of elements, no bmm."""
    r = torchless.randn
    counter = _count(torchless, lambda: (torchless.einsum("ik,kl,lj->ij", r(3, 4), r(4, 5), r(5, 6)),
                                         torchless.einsum("ij,ij->ij", r(3, 4), r(3, 4))))
    assert _counts(counter) == {"Global": {"aten.bmm": 2 * 3 * 4 * 5 + 2 * 3 * 5 * 6}}


def test_linear_decomposition_by_formula():
    """addmm for a matrix input with a bias, mm without or for a non-contiguous input; mv (a vector weight) counts
    nothing; the backward's products are mm."""
    weight = torchless.randn(3, 8, requires_grad=True)
    bias = torchless.randn(3)
    F = torchless.nn.functional
    counter = _count(torchless, lambda: (F.linear(torchless.randn(5, 8), weight, bias).sum().backward(),
                                         F.linear(torchless.randn(5, 2, 8).transpose(0, 1), weight, bias),
                                         F.linear(torchless.randn(5, 8), torchless.randn(8))))
    assert _counts(counter)["Global"] == {"aten.addmm": 2 * 5 * 8 * 3, "aten.mm": 2 * 5 * 8 * 3 + 2 * 10 * 8 * 3}


# ---------------------------------------------------------------------------- table and display
class _RecordingTabulate(types.ModuleType):
    """Stands in for the tabulate package (not needed here): records what get_table hands it."""

    def __init__(self):
        super().__init__("tabulate")
        self.calls = []
        self.PRESERVE_WHITESPACE = False

    def tabulate(self, values, headers=(), colalign=None):
        self.calls.append((values, headers, colalign, self.PRESERVE_WHITESPACE))
        return f"table of {len(values)} rows"


@pytest.fixture
def recording_tabulate(monkeypatch):
    fake = _RecordingTabulate()
    monkeypatch.setitem(sys.modules, "tabulate", fake)
    return fake


def _displayed(lib, run, **options):
    counter_class = FlopCounterMode if lib is torchless else lib.utils.flop_counter.FlopCounterMode
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        with counter_class(**options) as counter:
            run()
    return printed.getvalue(), counter


@pytest.mark.parametrize("depth", [1, 2, 3, None])
def test_table_rows_as_pytorch(torch, recording_tabulate, depth):
    import torch.utils.flop_counter  # noqa: F401

    tables = []
    for lib in (torchless, torch):
        lib.manual_seed(0)
        model = course_cnn(lib.nn)
        net = lib.nn.Sequential(model)
        images = lib.randn(2, 1, 28, 28)
        printed, counter = _displayed(lib, lambda: (net(images).sum().backward(), lib.randn(3, 4) @ lib.randn(4, 5)),
                                      depth=depth)
        assert printed == f"table of {len(recording_tabulate.calls[-1][0])} rows\n"
        counter.get_table(1)
        tables.append(recording_tabulate.calls[-2:])
        recording_tabulate.calls.clear()
    assert tables[0] == tables[1]
    rows, headers, colalign, preserved = tables[0][0]
    assert headers == ["Module", "FLOP", "% Total"] and colalign == ("left", "right", "right") and preserved


def test_table_of_nothing_and_of_global_only(torch, recording_tabulate):
    import torch.utils.flop_counter  # noqa: F401

    for lib in (torchless, torch):
        _displayed(lib, lambda: None)
        _displayed(lib, lambda lib=lib: lib.randn(3, 4) @ lib.randn(4, 5))
    ours, theirs = recording_tabulate.calls[:2], recording_tabulate.calls[2:]
    assert ours == theirs
    assert ours[0][0] == [["Global", "0.000", "0%"]]  # (get_total_flops made the "Global" entry)


def test_table_text_as_pytorch(torch):
    tabulate = pytest.importorskip("tabulate")
    import torch.utils.flop_counter  # noqa: F401

    texts = []
    for lib in (torchless, torch):
        lib.manual_seed(0)
        model = course_cnn(lib.nn)
        printed, _ = _displayed(lib, lambda: model(lib.randn(2, 1, 28, 28)).sum().backward())
        texts.append(printed)
    assert texts[0] == texts[1]
    assert tabulate is not None


def test_table_numbers_by_formula(recording_tabulate):
    """The FLOP column in the unit of the total's magnitude (one step lower than its digits: 1.01B shows as
    1001M), three decimals; the percentages with two."""
    model = course_cnn(torchless.nn)
    _displayed(torchless, lambda: model(torchless.randn(4, 1, 28, 28)), depth=1)
    rows = recording_tabulate.calls[0][0]
    assert rows == [["CourseCNN", "1027.040K", "100.00%"], [" - aten.convolution", "987.840K", "96.18%"],
                    [" - aten.addmm", "39.200K", "3.82%"]]


def test_get_table_needs_tabulate_as_in_pytorch(torch, monkeypatch):
    """PyTorch imports tabulate in get_table (so on a display=True exit): without it, ModuleNotFoundError."""
    import torch.utils.flop_counter  # noqa: F401

    monkeypatch.setitem(sys.modules, "tabulate", None)
    outcomes = []
    for lib in (torchless, torch):
        counter_class = FlopCounterMode if lib is torchless else lib.utils.flop_counter.FlopCounterMode
        with pytest.raises(ModuleNotFoundError) as caught:
            with counter_class() as counter:
                lib.mm(lib.ones(2, 2), lib.ones(2, 2))
        outcomes.append((str(caught.value), counter.get_total_flops()))
    assert outcomes[0] == outcomes[1] == ("import of tabulate halted; None in sys.modules", 16)


# ---------------------------------------------------------------------------- API details
def test_keys_print_as_pytorch_packets(torch):
    import torch.utils.flop_counter  # noqa: F401

    counter = _count(torchless, lambda: torchless.mm(torchless.ones(2, 3), torchless.ones(3, 4)))
    theirs = _count(torch, lambda: torch.mm(torch.ones(2, 3), torch.ones(3, 4)))
    (ours_key,), (their_key,) = counter.get_flop_counts()["Global"], theirs.get_flop_counts()["Global"]
    assert (str(ours_key), repr(ours_key)) == (str(their_key), repr(their_key)) == (
        "aten.mm", "<OpOverloadPacket(op='aten.mm')>")
    assert ours_key is flop_counter.aten.mm
    assert counter.get_flop_counts()["Global"][flop_counter.aten.mm] == 2 * 2 * 3 * 4


def test_mods_argument_warns_as_pytorch(torch):
    import torch.utils.flop_counter  # noqa: F401

    seen = []
    for lib in (torchless, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.utils.flop_counter.FlopCounterMode(lib.nn.Linear(2, 2), display=False)
        seen.append([(w.category, str(w.message), w.filename) for w in caught])
    assert seen[0] == seen[1] == [(UserWarning, "mods argument is not needed anymore, you can stop passing it",
                                   __file__)]


def test_register_flop_formula_errors_as_pytorch(torch):
    import torch.utils.flop_counter as theirs

    for module, packet in ((flop_counter, flop_counter.aten.mm), (theirs, torch.ops.aten.mm)):
        errors = []
        for target in ("aten.mm", 3, packet):
            with pytest.raises(Exception) as caught:
                module.register_flop_formula(target)(lambda *args, **kwargs: 0)
            errors.append((type(caught.value), str(caught.value)))
        if module is flop_counter:
            ours = errors
    assert ours == errors
    assert errors[2] == (RuntimeError, "duplicate registrations for aten.mm")


def test_custom_mapping_replaces_a_formula(torch):
    """custom_mapping's formulas get shapes (get_shape of each tensor), ``transposed`` and out_shape, as PyTorch's.
    (The stride, padding and dilation lists come as None here.)"""
    import torch.utils.flop_counter  # noqa: F401

    seen = []

    def formula(x_shape, w_shape, *args, out_shape=None, **kwargs):
        seen.append((tuple(x_shape), tuple(w_shape), tuple(out_shape), args[4]))
        return 7

    counts = []
    for lib in (torchless, torch):
        aten = flop_counter.aten if lib is torchless else lib.ops.aten
        layer = lib.nn.Conv2d(2, 3, 3)
        counter = _count(lib, lambda: layer(lib.randn(1, 2, 5, 5)), custom_mapping={aten.convolution: formula})
        counts.append(_counts(counter))
    assert counts[0] == counts[1] == {"Global": {"aten.convolution": 7}, "Conv2d": {"aten.convolution": 7}}
    assert seen[0] == seen[1] == ((1, 2, 5, 5), (3, 2, 3, 3), (1, 3, 3, 3), False)


def test_module_tracker_refuses_autograd_grad_of_a_module_input_as_pytorch(torch):
    errors = []
    for lib in (torchless, torch):
        if lib is torch:
            import torch.utils.flop_counter  # noqa: F401
        layer = lib.nn.Conv2d(2, 3, 3)
        x = lib.randn(1, 2, 5, 5, requires_grad=True)
        with pytest.raises(RuntimeError) as caught:
            _count(lib, lambda: lib.autograd.grad(layer(x).sum(), x))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


def _tracked(lib):
    """What a ModuleTracker shows inside a module's forward and inside its backward, and after each."""
    tracker_class = lib.utils.module_tracker.ModuleTracker
    seen = []

    class Spy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(("forward", sorted(tracker.parents), tracker.is_bw))
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            seen.append(("backward", sorted(tracker.parents), tracker.is_bw))
            return grad

    class Inner(lib.nn.Module):
        def forward(self, x):
            return Spy.apply(x) * 2

    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.Sequential(Inner()))
    with tracker_class() as tracker:
        out = net(lib.randn(2, 3))
        seen.append(("after forward", sorted(tracker.parents), tracker.is_bw))
        out.sum().backward()
        seen.append(("after backward", sorted(tracker.parents), tracker.is_bw))
    return seen


def test_module_tracker_as_pytorch(torch):
    import torch.utils.module_tracker  # noqa: F401

    ours = _tracked(torchless)
    assert ours == _tracked(torch)
    assert ours[2] == ("backward", ["Global", "Sequential", "Sequential.1", "Sequential.1.0"], True)


def test_no_hook_outside_a_counter():
    previous = sys.getprofile()
    with FlopCounterMode(display=False):
        assert sys.getprofile() is not previous
    assert sys.getprofile() is previous


def test_profiler_inside_counter_keeps_both():
    """A counter chains to a profile hook already set (the profiler's) and puts it back."""
    from torchless.profiler import profile

    layer = torchless.nn.Conv2d(1, 2, 3)
    with profile(with_flops=True) as prof:
        with FlopCounterMode(display=False) as counter:
            layer(torchless.randn(1, 1, 5, 5))
    assert counter.get_total_flops() == 2 * 9 * 9 * 2
    assert any(event.name == "aten::conv2d" for event in prof.events())


# ---------------------------------------------------------------------------- _pytree
_NT = collections.namedtuple("_NT", "a b")


def _nested():
    return (1, [2, {"x": 3, "y": None}], collections.OrderedDict(b=4, a=5), _NT(6, 7))


def test_pytree_flatten_unflatten():
    leaves, spec = pytree.tree_flatten(_nested())
    assert leaves == [1, 2, 3, None, 4, 5, 6, 7]
    assert (spec.num_leaves, spec.num_nodes, spec.num_children, spec.is_leaf()) == (8, 13, 4, False)
    rebuilt = pytree.tree_unflatten([leaf * 10 if leaf else leaf for leaf in leaves], spec)
    assert rebuilt == (10, [20, {"x": 30, "y": None}], collections.OrderedDict(b=40, a=50), _NT(60, 70))
    assert type(rebuilt[2]) is collections.OrderedDict and type(rebuilt[3]) is _NT
    assert pytree.tree_leaves(None) == [None]
    assert pytree.tree_leaves({"b": 1, "a": 2}) == [1, 2]
    assert pytree.tree_map_only(int, lambda x: -x, (1, 2.0, [3])) == (-1, 2.0, [-3])
    assert pytree.tree_map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])


def test_pytree_as_pytorch(torch):
    import torch.utils._pytree as theirs

    for module, lib in ((pytree, torchless), (theirs, torch)):
        size_spec = module.tree_structure(lib.Size([2, 3]))
        maxima = lib.max(lib.tensor([[1.0, 2.0]]), 1)
        rebuilt = module.tree_map(lambda leaf: leaf, (lib.Size([2, 3]), maxima))
        assert type(rebuilt[0]) is tuple and type(rebuilt[1]) is type(maxima)
        assert len(module.tree_leaves(maxima)) == 2
        leaves, spec = module.tree_flatten(_nested())
        result = [leaves, repr(spec), type(spec).__name__, repr(module.tree_flatten(3)[1]),
                  type(module.tree_flatten(3)[1]).__name__, module.tree_flatten(collections.deque([1, 2]))[0],
                  module.tree_map(lambda x: x, collections.defaultdict(int, b=1)), repr(size_spec),
                  repr(module.tree_structure(maxima))]
        errors = []
        for bad in (lambda: module.tree_map(lambda a, b: a + b, (1, [2]), (10, (20,))),
                    lambda: module.tree_unflatten([1, 2], spec)):
            with pytest.raises(Exception) as caught:
                bad()
            errors.append((type(caught.value), str(caught.value)))
        result.append(errors)
        if module is pytree:
            ours = result
    assert ours == result


def test_pytree_registered_class():
    class Pair:
        def __init__(self, x, y):
            self.x, self.y = x, y

    pytree.register_pytree_node(Pair, lambda pair: ([pair.x, pair.y], None), lambda children, context: Pair(*children))
    try:
        doubled = pytree.tree_map(lambda leaf: 2 * leaf, [Pair(1, (2, 3))])
        assert (doubled[0].x, doubled[0].y) == (2, (4, 6))
        with pytest.raises(ValueError, match="already registered"):
            pytree.register_pytree_node(Pair, None, None)
    finally:
        del pytree.SUPPORTED_NODES[Pair]
