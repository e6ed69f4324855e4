"""The teaching tools against their references (session 33).

``explain.conv`` describes ``nn.Conv2d(...)`` on one input: its output size must be the layer's, and the settings
the layer refuses must raise what PyTorch raises (the constructor's ValueError, the call's RuntimeError).
"""
import itertools
import warnings

import pytest

import torchless

CONV_GRID = list(itertools.product(range(1, 6), range(0, 5), range(0, 3), [0, 1, -1, "same", "valid"], range(0, 3)))


def explained(channels, height, width, kernel, stride, padding, dilation, groups=1, out_channels=2):
    try:
        return torchless.explain.conv((channels, height, width), out_channels, kernel, stride, padding, dilation,
                                      groups).output_shape
    except Exception as err:
        return type(err), str(err)


def formula_size(n, kernel, stride, padding, dilation):
    """PyTorch's documented output length, or None where the layer cannot run."""
    if min(kernel, stride, dilation) < 1 or padding != "same" and padding != "valid" and padding < 0:
        return None
    total = dilation * (kernel - 1) if padding == "same" else 0 if padding == "valid" else 2 * padding
    length = (n + total - dilation * (kernel - 1) - 1) // stride + 1
    return length if length >= 1 else None


def test_explain_conv_output_size_follows_the_formula():
    for n, k, s, p, d in CONV_GRID:
        if p == "same" and s != 1:
            continue
        expected = [formula_size(n, k, s, p, d), formula_size(n + 1, max(k, 1), s, p, d)]
        got = explained(2, n, n + 1, (k, max(k, 1)), s, p, d)
        if None in expected:
            assert isinstance(got[0], type) and issubclass(got[0], RuntimeError), (n, k, s, p, d, got)
        else:
            assert got == (2, *expected), (n, k, s, p, d)


def test_explain_conv_matches_the_layer_over_a_grid():
    torch = pytest.importorskip("torch")
    for n, k, s, p, d in CONV_GRID:
        kernel = (k, max(k, 1))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = tuple(torch.nn.Conv2d(2, 2, kernel, s, p, d)(torch.zeros(2, n, n + 1)).shape)
        except Exception as err:
            expected = type(err), str(err)
        assert explained(2, n, n + 1, kernel, s, p, d) == expected, (n, k, s, p, d)


@pytest.mark.parametrize("groups, in_channels, out_channels", [(0, 2, 2), (-1, 2, 2), (2, 3, 4), (2, 4, 3)])
def test_explain_conv_group_errors_are_the_constructors(groups, in_channels, out_channels):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(in_channels, out_channels, 3, groups=groups)
    assert explained(in_channels, 5, 5, 3, 1, 0, 1, groups, out_channels) == (ValueError, str(expected.value))


def test_explain_conv_cli_reports_the_calls_error_in_one_line(capsys):
    from torchless.cli.main import main

    assert main(["explain", "conv", "--input", "1x4x4", "--kernel", "3", "--stride", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "non-positive stride is not supported" in err


# ---------------------------------------------------------------- summary against torchinfo, live
#
# Each model is built by the same code from torch.nn or torchless.nn, and both summaries are compared number by
# number. Two of torchinfo's numbers are known wrong and left out where they apply: the mult-adds of a Linear layer
# on (N, L, C) input and of a transposed convolution (see test_parity_regressions_summary18.py), and "Params size",
# which counts only the parameters of modules without children that ran (not a MultiheadAttention's in_proj_weight
# nor its out_proj, which it never calls, a class token, a parameter forward uses itself or an unused module)
# although "Total params" counts them all: torchless's is every parameter's bytes.

def _lenet5(nn, F):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
                         nn.Linear(84, 10))


def _module_dict(nn, F):
    class WithDict(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleDict({"a": nn.Conv2d(3, 4, 3), "b": nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU())})
            self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

        def forward(self, x):
            x = self.blocks["b"](self.blocks["a"](x)).mean((2, 3))
            for layer in self.layers:
                x = layer(x)
            return x
    return WithDict()


def _conv3d(nn, F):
    return nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
                         nn.ConvTranspose3d(4, 2, 2, stride=2), nn.AdaptiveAvgPool3d(1), nn.Flatten())


def _conv1d(nn, F):
    return nn.Sequential(nn.Conv1d(3, 8, 5, stride=2), nn.ReLU(), nn.ConvTranspose1d(8, 4, 3, stride=2, padding=1),
                         nn.AvgPool1d(2), nn.Conv1d(4, 2, 1, bias=False))


def _keyword_inputs(nn, F):
    class KeywordInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(5, 3), nn.Linear(7, 3)

        def forward(self, x, scale=None):
            return (self.a(x["a"]) + self.b(x["b"])) * scale
    return KeywordInputs()


def _embedding_rnn(nn, F):
    class EmbeddingRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 6)
            self.lstm = nn.LSTM(6, 5, bidirectional=True, batch_first=True)
            self.rnn = nn.RNN(10, 4, num_layers=2)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            x, _ = self.lstm(self.emb(x))
            x, h = self.rnn(x)
            return self.fc(h[-1])
    return EmbeddingRNN()


def _attention(nn, F):
    return nn.Sequential(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, dropout=0.0))


def _direct_parameters(nn, F):
    class DirectParameters(nn.Module):  # parameters used by forward itself, one module never called
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.w = nn.Parameter(nn.Conv2d(4, 2, 1).weight.detach())
            self.unused = nn.Linear(3, 3)

        def forward(self, x):
            return F.max_pool2d(F.conv2d(F.relu(self.conv(x), inplace=True), self.w), 2)
    return DirectParameters()


def _tuple_output(nn, F):
    class TupleOutput(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(4, 2)

        def forward(self, x, y):
            return self.conv(x), self.fc(y)
    return TupleOutput()


def _dropout_batchnorm(nn, F):
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5), nn.Flatten(), nn.Linear(144, 3))


def _norms(nn, F):
    return nn.Sequential(nn.Conv2d(4, 8, 3), nn.GroupNorm(2, 8), nn.PReLU(), nn.InstanceNorm2d(8, affine=True),
                         nn.LayerNorm([6, 6]), nn.Upsample(scale_factor=2), nn.PixelShuffle(2))


def _double_lenet5(nn, F):
    return _lenet5(nn, F).double()


def _inputs(lib, name):
    """The summary's arguments for case ``name``, made with ``lib`` (torch or torchless)."""
    return {
        "keyword_inputs": dict(input_data={"x": {"a": lib.zeros(2, 5), "b": lib.zeros(2, 7)}},
                               scale=lib.tensor(2.0)),
        "embedding_rnn": dict(input_size=(2, 6), dtypes=[lib.long]),
        "double_lenet5": dict(input_size=(2, 1, 28, 28), dtypes=[lib.float64]),
    }.get(name, {})


LIVE_CASES = {  # name: (builder, summary arguments besides _inputs)
    "lenet5": (_lenet5, dict(input_size=(2, 1, 28, 28))),
    "lenet5_batch_dim": (_lenet5, dict(input_size=(1, 28, 28), batch_dim=0)),
    "double_lenet5": (_double_lenet5, {}),
    "module_dict": (_module_dict, dict(input_size=(1, 3, 8, 8))),
    "conv3d": (_conv3d, dict(input_size=(1, 2, 6, 6, 6))),
    "conv1d": (_conv1d, dict(input_size=(2, 3, 21))),
    "keyword_inputs": (_keyword_inputs, {}),
    "embedding_rnn": (_embedding_rnn, {}),
    "attention": (_attention, dict(input_size=(2, 5, 8))),
    "direct_parameters": (_direct_parameters, dict(input_size=(1, 3, 10, 10))),
    "tuple_output": (_tuple_output, dict(input_size=[(1, 1, 6, 6), (3, 4)])),
    "train_mode": (_dropout_batchnorm, dict(input_size=(2, 3, 8, 8), mode="train")),
    "norms": (_norms, dict(input_size=(2, 4, 8, 8))),
}
# (vgg11 matches too, but initializing its 132 million parameters twice takes most of a minute)
VISION_CASES = {"densenet121": ({}, (1, 3, 32, 32)),
                "efficientnet_b0": ({}, (1, 3, 32, 32)), "vit_b_16": ({"image_size": 32}, (1, 3, 32, 32))}


def _summaries(name):
    """(torchinfo's summary, torchless's) of case ``name``."""
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    import torchless.nn as tnn
    import torchless.nn.functional as tF

    if name in VISION_CASES:
        torchvision = pytest.importorskip("torchvision")
        from torchless.vision import models as vision_models

        settings, size = VISION_CASES[name]
        models = getattr(torchvision.models, name)(**settings), getattr(vision_models, name)(**settings)
        arguments = dict(input_size=size), dict(input_size=size)
    else:
        build, arguments = LIVE_CASES[name]
        models = build(torch.nn, torch.nn.functional), build(tnn, tF)
        arguments = dict(arguments, **_inputs(torch, name)), dict(arguments, **_inputs(torchless, name))
    return (torchinfo.summary(models[0], verbose=0, **arguments[0]),
            torchless.summary(models[1], verbose=0, **arguments[1]))


def _called_rows(rows):
    """torchinfo's rows of modules that ran, with their depth counted in calls (a ModuleList never runs)."""
    open_rows, result = [], []
    for row in rows:
        while open_rows and open_rows[-1].depth >= row.depth:
            open_rows.pop()
        called_ancestors = sum(1 for parent in open_rows if parent.output_size)
        open_rows.append(row)
        if row.output_size:
            result.append((row, called_ancestors))
    return result


def _first_shape(shape):
    return _first_shape(shape[0]) if shape and isinstance(shape[0], list) else shape


def _torchinfo_miscounts(layer):
    return layer.class_name.startswith("ConvTranspose") or layer.class_name == "Linear" and len(layer.input_shape) > 2


def _bytes_torchinfo_leaves_out(result):
    """The bytes of the parameters not owned by a module without children that ran (torchinfo's Params size)."""
    counted = {id(p) for layer in result.layers if layer.module is not None
               and not any(True for _ in layer.module.children()) for p in layer.module.parameters()}
    model = result.layers[0].module
    return sum(p.numel() * p.element_size() for p in model.parameters() if id(p) not in counted)


@pytest.mark.parametrize("name", list(LIVE_CASES) + list(VISION_CASES))
def test_summary_matches_torchinfo_live(name):
    from torchless._summary import FunctionalLayerInfo

    expected, result = _summaries(name)
    assert (result.total_params, result.trainable_params) == (expected.total_params, expected.trainable_params)
    assert result.forward_backward_bytes == expected.total_output_bytes
    assert result.params_bytes - _bytes_torchinfo_leaves_out(result) == expected.total_param_bytes
    assert result.params_bytes == 4 * result.total_params * (2 if name == "double_lenet5" else 1)
    # torchinfo's input bytes add sys.getsizeof's object header (64 bytes) to each input's data; no case has more
    # than two input tensors
    assert 0 <= expected.total_input - result.input_bytes <= 2 * 100
    rows = [layer for layer in result.layers if not isinstance(layer, FunctionalLayerInfo)]
    expected_rows = _called_rows(expected.summary_list)
    assert len(rows) == len(expected_rows)
    for layer, (row, depth) in zip(rows, expected_rows):
        where = f"{name}: {layer.name or layer.class_name}"
        assert (layer.class_name, layer.depth, layer.reused) == (row.class_name, depth, row.is_recursive), where
        assert _first_shape(layer.output_shape) == row.output_size, where
        if row.is_leaf_layer and not row.is_recursive:
            assert (layer.num_params, layer.trainable_params) == (row.num_params, row.trainable_params), where
        if row.is_leaf_layer and not _torchinfo_miscounts(layer):
            assert layer.mult_adds == row.macs, where
    if not any(_torchinfo_miscounts(layer) for layer in rows if layer.is_leaf):
        functional = sum(layer.mult_adds for layer in result.layers if isinstance(layer, FunctionalLayerInfo))
        assert result.total_mult_adds - functional == expected.total_mult_adds


@pytest.mark.parametrize("name", ["lenet5", "double_lenet5", "keyword_inputs", "train_mode", "tuple_output"])
def test_summary_memory_lines_read_as_torchinfos(name):
    expected, result = _summaries(name)
    wanted = ("Total params", "Trainable params", "Non-trainable params", "Forward/backward pass size (MB)",
              "Params size (MB)", "Estimated Total Size (MB)")
    lines = lambda text: [line for line in str(text).splitlines() if line.split(":")[0] in wanted]
    assert lines(result) == lines(expected)


def test_lenet5_totals_by_hand():
    result = torchless.summary(_lenet5(torchless.nn, torchless.nn.functional), input_size=(2, 1, 28, 28), verbose=0)
    conv1, conv2, fc1, fc2, fc3 = 6 * 25 + 6, 16 * 6 * 25 + 16, 400 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10
    assert result.total_params == conv1 + conv2 + fc1 + fc2 + fc3 == 61_706
    per_sample = 28 * 28 * conv1 + 10 * 10 * conv2 + fc1 + fc2 + fc3  # each weight once per output pixel
    assert result.total_mult_adds == 2 * per_sample


def test_batch_dim_and_keyword_inputs_reach_forward():
    seen = {}

    class Recorder(torchless.nn.Module):
        def forward(self, x, scale=None):
            seen.update(shape=tuple(x.shape), scale=scale)
            return x * scale

    torchless.summary(Recorder(), input_size=(3, 4), batch_dim=1, scale=2.0, verbose=0)
    assert seen == {"shape": (3, 1, 4), "scale": 2.0}
    torchless.summary(Recorder(), input_data={"x": torchless.ones(2), "scale": 3.0}, verbose=0)
    assert seen == {"shape": (2,), "scale": 3.0}


def _table_body(text):
    """The rows between the header's rule and the next rule."""
    lines = str(text).splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    return lines[rules[1] + 1:rules[2]]


@pytest.mark.parametrize("settings", [
    dict(depth=1), dict(depth=0), dict(depth=2, row_settings=["hide_recursive_layers"]),
    dict(col_names=["input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds",
                    "trainable"], col_width=12, row_settings=["depth", "var_names", "ascii_only"])])
def test_table_settings_show_torchinfos_rows_and_columns(settings):
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")

    def build(nn):
        model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.BatchNorm2d(4), nn.Flatten(),
                              nn.Linear(144, 3))
        model[0][0].bias.requires_grad_(False)
        return model

    expected = torchinfo.summary(build(torch.nn), input_size=(2, 3, 8, 8), verbose=0, **settings)
    result = torchless.summary(build(torchless.nn), input_size=(2, 3, 8, 8), verbose=0, **settings)
    expected_body, body = _table_body(expected), _table_body(result)
    assert len(body) == len(expected_body)
    if "col_names" not in settings:  # Param # follows the output shape in both tables
        params = lambda line: line.split("]")[-1].split()[0].rstrip("*").replace("(reused)", "(recursive)")
        assert [params(row) for row in body] == [params(row) for row in expected_body]
    header = next(line for line in str(result).splitlines() if line.startswith("Layer"))
    if "col_names" in settings:
        from torchinfo.formatting import HEADER_TITLES

        expected_titles = [HEADER_TITLES[column] for column in expected.formatting.col_names]
        assert [title for title in expected_titles if title in header] == expected_titles
        cells = lambda line: line.split()
        for row, expected_row in zip(body, expected_body):
            assert cells(row)[-1] == cells(expected_row)[-1]  # Trainable: True, False, Partial or --
            assert [c for c in cells(row) if c.endswith("%")] == [c for c in cells(expected_row) if c.endswith("%")]
        assert [row.split(": ")[1].split()[0] for row in body[1:]] == \
            [row.split(": ")[1].split()[0] for row in expected_body[1:]]  # depth-index


@pytest.mark.parametrize("arguments", [
    dict(col_names=["output_size", "flops"]), dict(row_settings=["indexes"]), dict(col_width=0),
    dict(verbose=3), dict(input_data="both")])
def test_summary_argument_errors_are_torchinfos(arguments):
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")

    def call(summary, nn, zeros):
        given = dict(arguments, input_data=zeros(1, 3)) if arguments.get("input_data") == "both" else arguments
        with pytest.raises(Exception) as raised:
            summary(nn.Linear(3, 2), input_size=(1, 3), **dict({"verbose": 0}, **given))
        return type(raised.value), str(raised.value)

    assert call(torchless.summary, torchless.nn, torchless.zeros) == call(torchinfo.summary, torch.nn, torch.zeros)


@pytest.mark.parametrize("arguments", [{}, dict(depth=1, row_settings=["depth"]), dict(col_names=["num_params"])])
def test_summary_without_input_lists_parameters_as_torchinfo(arguments):
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")

    def build(nn):
        model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.BatchNorm2d(4),
                              nn.ModuleDict({"head": nn.Linear(144, 3)}))
        model[0][0].bias.requires_grad_(False)
        return model

    expected = torchinfo.summary(build(torch.nn), verbose=0, **arguments)
    result = torchless.summary(build(torchless.nn), verbose=0, **arguments)
    assert (result.total_params, result.trainable_params) == (expected.total_params, expected.trainable_params)
    assert result.total_mult_adds == expected.total_mult_adds == 0
    params = lambda body: [line.split()[-1].rstrip("*") for line in body]
    assert params(_table_body(result)) == params(_table_body(expected))
    assert "Total mult-adds" not in str(result) and "Params size" not in str(result)


def test_summary_without_input_refuses_columns_that_need_one():
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    with pytest.raises(ValueError) as expected:
        torchinfo.summary(torch.nn.Linear(2, 2), col_names=["output_size"], verbose=0)
    with pytest.raises(ValueError) as raised:
        torchless.summary(torchless.nn.Linear(2, 2), col_names=["output_size"], verbose=0)
    assert str(raised.value) == str(expected.value)


def test_summary_answers_to_torchinfos_attribute_names():
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    expected = torchinfo.summary(_lenet5(torch.nn, torch.nn.functional), input_size=(2, 1, 28, 28), verbose=0)
    result = torchless.summary(_lenet5(torchless.nn, torchless.nn.functional), input_size=(2, 1, 28, 28), verbose=0)
    for name in ("total_params", "trainable_params", "total_mult_adds", "total_output_bytes", "total_param_bytes"):
        assert getattr(result, name) == getattr(expected, name), name
    assert 0 <= expected.total_input - result.total_input <= 100
    assert [layer.class_name for layer in result.summary_list] == [row.class_name for row in expected.summary_list]


# ---------------------------------------------------------------- the profiler's FLOPs
FLOP_CASES = {  # name: (call, FLOPs by hand: 2 x multiply-adds for products, one per element for add and mul)
    "matmul_operator": (lambda lib: lib.ones(4, 5) @ lib.ones(5, 6), 2 * 4 * 6 * 5),
    "mm": (lambda lib: lib.mm(lib.ones(4, 5), lib.ones(5, 6)), 2 * 4 * 6 * 5),
    "addmm": (lambda lib: lib.addmm(lib.ones(4, 6), lib.ones(4, 5), lib.ones(5, 6)), 2 * 4 * 6 * 5),
    "addmm_method": (lambda lib: lib.ones(4, 6).addmm(lib.ones(4, 5), lib.ones(5, 6)), 2 * 4 * 6 * 5),
    "baddbmm": (lambda lib: lib.baddbmm(lib.ones(2, 4, 6), lib.ones(2, 4, 5), lib.ones(2, 5, 6)), 2 * 2 * 4 * 6 * 5),
    "bmm": (lambda lib: lib.bmm(lib.ones(2, 4, 5), lib.ones(2, 5, 6)), 2 * 2 * 4 * 6 * 5),
    "conv1d": (lambda lib: lib.nn.functional.conv1d(lib.ones(2, 3, 9), lib.ones(4, 3, 3)), 0),  # PyTorch's 0
    "conv3d": (lambda lib: lib.nn.functional.conv3d(lib.ones(1, 2, 5, 5, 5), lib.ones(3, 2, 3, 3, 3)), 0),
    "conv2d": (lambda lib: lib.nn.functional.conv2d(lib.ones(2, 3, 9, 9), lib.ones(4, 3, 3, 3), stride=2, padding=1),
               2 * (2 * 4 * 5 * 5) * 3 * 3 * 3),
    # PyTorch counts a conv2d only on batched input, and a matmul only where it runs mm or bmm (not mv or dot)
    "conv2d_unbatched": (lambda lib: lib.nn.functional.conv2d(lib.ones(3, 9, 9), lib.ones(4, 3, 3, 3)), 0),
    "matmul_by_vector": (lambda lib: lib.matmul(lib.ones(4, 5), lib.ones(5)), 0),
    "vector_by_matrix": (lambda lib: lib.ones(5) @ lib.ones(5, 6), 2 * 6 * 5),
}


def _total_flops(lib, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
            call(lib)
    return sum(event.flops for event in prof.key_averages())


@pytest.mark.parametrize("name", list(FLOP_CASES))
def test_profiler_flops_by_hand(name):
    call, flops = FLOP_CASES[name]
    assert _total_flops(torchless, call) == flops


@pytest.mark.parametrize("name", list(FLOP_CASES))
def test_profiler_flops_match_torch(name):
    torch = pytest.importorskip("torch")
    call, _ = FLOP_CASES[name]
    assert _total_flops(torchless, call) == _total_flops(torch, call)
