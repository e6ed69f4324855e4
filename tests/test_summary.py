"""torchless.summary: the layer table, its numbers, receptive fields, and ``torchless summary`` on the CLI."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from torchless import models
from helpers import examples

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, code="from torchless.cli.main import main; sys.exit(main(sys.argv[1:]))"):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    return subprocess.run([sys.executable, "-c", "import sys; " + code, *args], capture_output=True, text=True,
                          env=env, timeout=120)


# The course CNN worked out by hand: (name, output shape, params, mult-adds, receptive field, jump).
# Mult-adds as torchinfo counts them: every weight and bias once per output pixel (conv) or row (Linear).
# Fields: r += (k-1)*j, j *= stride.
COURSE = [
    ("conv1", [1, 5, 28, 28], 5 * 1 * 3 * 3 + 5, 28 * 28 * (5 * 1 * 3 * 3 + 5), (3, 3), (1, 1)),
    ("relu", [1, 5, 28, 28], 0, 0, None, None),
    ("pool", [1, 5, 14, 14], 0, 0, (4, 4), (2, 2)),
    ("conv2", [1, 10, 14, 14], 10 * 5 * 3 * 3 + 10, 14 * 14 * (10 * 5 * 3 * 3 + 10), (8, 8), (2, 2)),
    ("relu", [1, 10, 14, 14], 0, 0, None, None),
    ("pool", [1, 10, 7, 7], 0, 0, (10, 10), (4, 4)),
    ("fc", [1, 10], 490 * 10 + 10, 490 * 10 + 10, None, None),
]


def test_course_cnn_matches_the_hand_computed_table():
    result = torchless.summary(models.create("course"), input_size=(1, 1, 28, 28), verbose=0)
    assert result.layers[0].class_name == "CourseCNN" and result.layers[0].output_shape == [1, 10]
    rows = [(l.name, l.output_shape, l.num_params, l.mult_adds, l.receptive_field, l.jump) for l in result.layers[1:]]
    assert rows == COURSE
    assert [l.depth for l in result.layers] == [0] + [1] * 7
    assert [l.reused for l in result.layers[1:]] == [False] * 4 + [True, True, False]
    assert result.total_params == result.trainable_params == 50 + 460 + 4910 == 5420
    assert result.non_trainable_params == 0
    assert result.total_mult_adds == 39200 + 90160 + 4910
    assert result.params_bytes == 5420 * 4
    assert result.input_bytes == 28 * 28 * 4
    outputs_of_layers_with_parameters = 5 * 28 * 28 + 10 * 14 * 14 + 10
    assert result.forward_backward_bytes == 2 * outputs_of_layers_with_parameters * 4  # outputs and gradients


def test_cli_summary_course_prints_the_hand_computed_table():
    done = cli("summary", "--model", "course")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    expected_rows = [
        r"conv1 \(Conv2d\)\s+\[1, 5, 28, 28\]\s+50\s+39,200\s+3\s+1",
        r"relu \(ReLU\)\s+\[1, 5, 28, 28\]\s+--\s+--",
        r"pool \(MaxPool2d\)\s+\[1, 5, 14, 14\]\s+--\s+--\s+4\s+2",
        r"conv2 \(Conv2d\)\s+\[1, 10, 14, 14\]\s+460\s+90,160\s+8\s+2",
        r"pool \(MaxPool2d\)\s+\[1, 10, 7, 7\]\s+\(reused\)\s+--\s+10\s+4",
        r"fc \(Linear\)\s+\[1, 10\]\s+4,910\s+4,910",
    ]
    for row in expected_rows:
        assert re.search(row, text), row
    for line in ("Total params: 5,420", "Trainable params: 5,420", "Non-trainable params: 0",
                 "Total mult-adds: 134,270", "Params size (MB): 0.02"):
        assert line in text


def test_summary_prints_and_str_is_the_table(capsys):
    result = torchless.summary(models.create("course"), input_size=(1, 1, 28, 28))
    printed = capsys.readouterr().out
    assert printed.strip() == str(result).strip() and "Total params: 5,420" in printed


def test_lenet5_nested_sequential_rows_and_totals():
    result = torchless.summary(models.create("lenet5"), input_size=(2, 1, 28, 28), verbose=0)
    names = [(l.name, l.depth, l.is_leaf) for l in result.layers]
    assert names[:3] == [("", 0, False), ("features", 1, False), ("features.0", 2, True)]
    assert ("classifier.5", 2, True) in names
    by_name = {l.name: l for l in result.layers}
    assert by_name["features"].output_shape == [2, 16, 5, 5] and by_name["features"].num_params == 0
    assert by_name["classifier.0"].output_shape == [2, 400]
    # 5x5 convs: 6*(1*25)+6 and 16*(6*25)+16; Linear in*out+out. Mult-adds for a batch of 2: the
    # parameters of a conv once per output pixel, of a Linear layer once per sample.
    assert result.total_params == 156 + 2416 + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert result.total_mult_adds == 2 * (28 * 28 * 156 + 10 * 10 * 2416 + 48120 + 10164 + 850)
    assert [by_name[n].receptive_field for n in ("features.0", "features.2", "features.3", "features.5")] == \
        [(5, 5), (6, 6), (14, 14), (16, 16)]
    assert by_name["features.5"].jump == (4, 4)


def test_functional_pooling_is_a_row_and_the_fields_follow_it():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 2, 3)
            self.conv2 = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            return self.conv2(F.max_pool2d(F.relu(self.conv1(x)), 2))

    original_pool = F.max_pool2d
    result = torchless.summary(Net(), input_size=(1, 1, 12, 12), verbose=0)
    assert [l.name or l.class_name for l in result.layers] == ["Net", "conv1", "F.max_pool2d", "conv2"]
    conv1, pool, conv2 = result.layers[1:]
    assert pool.depth == 1 and pool.output_shape == [1, 2, 5, 5] and pool.num_params == 0 and pool.mult_adds == 0
    # fields by hand: r += (k-1)*j, j *= s: conv 3x3 (3, 1), pool 2 (4, 2), conv 3x3 (8, 2)
    assert (conv1.receptive_field, pool.receptive_field, conv2.receptive_field) == ((3, 3), (4, 4), (8, 8))
    assert (pool.jump, conv2.jump) == ((2, 2), (2, 2))
    assert conv2.mult_adds == 3 * 3 * (2 * 2 * 3 * 3 + 2)  # 12 -conv-> 10 -pool-> 5 -conv-> 3
    assert re.search(r"  F\.max_pool2d\s+\[1, 2, 5, 5\]\s+--\s+--\s+4\s+2\n", str(result))
    assert F.max_pool2d is original_pool  # (unwrapped again afterwards)


def test_functional_convolution_row_counts_its_mult_adds_and_strides():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torchless.randn(4, 3, 3, 3))
            self.pool = nn.AvgPool2d(3, stride=2)

        def forward(self, x):
            return self.pool(F.conv2d(x, self.weight, stride=2, padding=1, dilation=2))

    result = torchless.summary(Net(), input_size=(2, 3, 17, 17), verbose=0)
    conv, pool = result.layers[1:]
    assert conv.class_name == "F.conv2d" and conv.output_shape == [2, 4, 8, 8] and conv.num_params == 0
    assert conv.mult_adds == 2 * 8 * 8 * 4 * 3 * 3 * 3  # each weight once per sample and output pixel
    assert (conv.receptive_field, conv.jump) == ((5, 5), (2, 2))  # 1 + 2*(3-1)*1, stride 2
    assert (pool.receptive_field, pool.jump) == ((9, 9), (4, 4))  # 5 + (3-1)*2, 2*2
    assert result.total_mult_adds == conv.mult_adds
    assert result.total_params == 4 * 3 * 3 * 3


def test_functional_3d_pooling_rows_take_the_default_stride():
    class Net(nn.Module):
        def forward(self, x):
            return F.lp_pool3d(F.avg_pool3d(x, 2), 2, kernel_size=(1, 2, 2))

    result = torchless.summary(Net(), input_size=(1, 2, 8, 8, 8), verbose=0)
    avg, lp = result.layers[1:]
    assert (avg.class_name, avg.output_shape, avg.receptive_field, avg.jump) == \
        ("F.avg_pool3d", [1, 2, 4, 4, 4], (2, 2, 2), (2, 2, 2))
    assert (lp.class_name, lp.output_shape, lp.receptive_field, lp.jump) == \
        ("F.lp_pool3d", [1, 2, 4, 2, 2], (2, 4, 4), (2, 4, 4))  # 2 + (2-1)*2 where the kernel is 2


@pytest.mark.parametrize("stride", [None, (), []])
def test_functional_pooling_with_the_default_stride_given_empty(stride):
    class Net(nn.Module):
        def forward(self, x):
            return F.max_pool2d(x, 2, stride)

    pool = torchless.summary(Net(), input_size=(1, 1, 8, 8), verbose=0).layers[1]
    assert (pool.output_shape, pool.receptive_field, pool.jump) == ([1, 1, 4, 4], (2, 2), (2, 2))


def test_pooling_modules_stay_one_row_and_unfollowed_ops_lose_the_fields():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.MaxPool2d(2)
            self.conv = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            return self.conv(self.pool(x)[:, :, ::2, ::2])  # the slicing halves the size unseen

    result = torchless.summary(Net(), input_size=(1, 2, 20, 20), verbose=0)
    assert [l.name or l.class_name for l in result.layers] == ["Net", "pool", "conv"]
    conv = result.layers[2]
    assert conv.output_shape == [1, 2, 3, 3] and conv.receptive_field is None and conv.geometry_lost
    assert re.search(r"conv \(Conv2d\)\s+\[1, 2, 3, 3\]\s+38\s+342\s+\?\s+\?", str(result))
    assert "does not follow" in str(result)


def test_mnist_cnn_with_functional_pool():
    result = torchless.summary(models.create("mnist-cnn"), input_size=(1, 1, 28, 28), verbose=0)
    by_name = {l.name: l for l in result.layers}
    pool = next(l for l in result.layers if l.class_name == "F.max_pool2d")
    assert by_name["dropout1"].output_shape == pool.output_shape == [1, 64, 12, 12]
    assert by_name["conv2"].receptive_field == (5, 5)
    assert (pool.receptive_field, pool.jump) == ((6, 6), (2, 2))
    assert result.total_params == (32 * 9 + 32) + (64 * 32 * 9 + 64) + (9216 * 128 + 128) + (128 * 10 + 10)


def test_frozen_parameters_are_non_trainable_and_marked():
    model = models.create("course")
    model.conv1.requires_grad_(False)
    result = torchless.summary(model, input_size=(1, 1, 28, 28), verbose=0)
    assert (result.trainable_params, result.non_trainable_params) == (5420 - 50, 50)
    assert re.search(r"conv1 \(Conv2d\)\s+\[1, 5, 28, 28\]\s+50\*", str(result))


def test_input_data_dtypes_and_several_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 4), nn.Linear(5, 4)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    result = torchless.summary(Two().double(), input_size=[(2, 3), (2, 5)], dtypes=[torchless.float64] * 2, verbose=0)
    assert result.input_bytes == (2 * 3 + 2 * 5) * 8 and result.params_bytes == (16 + 24) * 8
    assert result.total_mult_adds == 2 * (4 * 3 + 4) + 2 * (4 * 5 + 4)
    from_data = torchless.summary(Two(), input_data=[torchless.ones(2, 3), torchless.ones(2, 5)], verbose=0)
    assert from_data.total_mult_adds == result.total_mult_adds
    without_input = torchless.summary(Two(), verbose=0)  # torchinfo's parameters-only table
    assert without_input.total_params == 16 + 24 and without_input.total_mult_adds == 0
    with pytest.raises(RuntimeError, match="Only one of"):
        torchless.summary(Two(), input_size=(2, 3), input_data=torchless.ones(2, 3), verbose=0)


def test_transposed_and_grouped_convolution_mult_adds():
    model = nn.Sequential(nn.Conv2d(4, 6, 3, groups=2), nn.ConvTranspose2d(6, 4, 2, stride=2))
    result = torchless.summary(model, input_size=(1, 4, 8, 8), verbose=0)
    conv, transposed = result.layers[1:]
    assert conv.mult_adds == 6 * 6 * (6 * (4 // 2) * 9 + 6)  # H_out*W_out * (C_out*C_in/groups*k*k + C_out)
    # every input element times C_out*k*k weights, and a bias per output element
    assert transposed.mult_adds == 6 * 6 * 6 * 4 * 4 + 4 * 12 * 12
    assert transposed.receptive_field is None and not transposed.geometry_lost


def test_mode_and_hooks_are_restored_even_after_a_failure():
    model = models.create("course").train()
    torchless.summary(model, input_size=(1, 1, 28, 28), verbose=0)
    assert all(m.training for m in model.modules())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    with pytest.raises(RuntimeError, match=r"forward pass failed.*conv1, relu, pool, conv2, relu, pool"):
        torchless.summary(model, input_size=(1, 1, 32, 32), verbose=0)
    assert all(m.training for m in model.modules())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_eval_mode_leaves_batchnorm_statistics_alone():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    before = model[1].running_mean.numpy().copy()
    torchless.summary(model, input_data=torchless.randn(2, 1, 6, 6) + 5, verbose=0)
    np.testing.assert_array_equal(model[1].running_mean.numpy(), before)


# ------------------------------------------------------------------ receptive fields against brute force
def brute_force_field(layers, out_index):
    """Span and start of the input positions output position ``out_index`` depends on (one axis).

    Walks back through the layers with explicit index sets: position o of a (k, s, p, d) layer reads
    o*s - p + a*d for a in 0..k-1.
    """
    positions = {out_index}
    for k, s, p, d in reversed(layers):
        positions = {o * s - p + a * d for o in positions for a in range(k)}
    return max(positions) - min(positions) + 1, min(positions)


layer_specs = st.lists(st.tuples(st.sampled_from(["conv", "max", "avg"]), st.integers(1, 4), st.integers(1, 3),
                                 st.integers(0, 1), st.integers(1, 2)), min_size=1, max_size=4)


@examples(40)
@given(layer_specs)
def test_receptive_field_and_jump_match_brute_force(specs):
    modules, geometry = [], []
    for kind, k, s, p, d in specs:
        p = min(p, k // 2)  # pooling requires padding <= kernel/2
        if kind == "conv":
            modules.append(nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d))
        elif kind == "max":
            modules.append(nn.MaxPool2d(k, stride=s, padding=p, dilation=d))
        else:
            modules.append(nn.AvgPool2d(k, stride=s, padding=p))
            d = 1
        geometry.append((k, s, p, d))
    field, start1 = brute_force_field(geometry, 1)
    size = max(start1 + field, 1)  # just large enough for the last layer's second output position
    result = torchless.summary(nn.Sequential(*modules), input_size=(1, 1, size, size), verbose=0)
    for depth, layer in enumerate(result.layers[1:], 1):
        field, start0 = brute_force_field(geometry[:depth], 0)
        _, start1 = brute_force_field(geometry[:depth], 1)
        assert layer.receptive_field == (field, field)
        assert layer.jump == (start1 - start0, start1 - start0)


def test_receptive_field_matches_torch_gradient_support():
    torch = pytest.importorskip("torch")
    # Average pooling has the max pool's window; all-ones weights keep every path's gradient positive.
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, padding=1), torch.nn.AvgPool2d(2),
                              torch.nn.Conv2d(1, 1, 3, dilation=2), torch.nn.AvgPool2d(3, stride=2))
    for m in net:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
    x = torch.zeros(1, 1, 64, 64, requires_grad=True)
    out = net(x)
    out[0, 0, 5, 5].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(1)).flatten()
    ours = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, dilation=2),
                         nn.MaxPool2d(3, stride=2))
    result = torchless.summary(ours, input_size=(1, 1, 64, 64), verbose=0)
    assert result.layers[-1].receptive_field[0] == int(rows.max() - rows.min() + 1)
    assert [l.output_shape for l in result.layers[1:]] == [list(m.shape) for m in _torch_shapes(net, torch)]


def _torch_shapes(net, torch):
    shapes, x = [], torch.zeros(1, 1, 64, 64)
    for m in net:
        x = m(x)
        shapes.append(x)
    return shapes


# ------------------------------------------------------------------ lazy import and the CLI
def test_summary_is_a_lazy_function():
    done = cli(code="import torchless; assert 'torchless._summary' not in sys.modules; "
                    "assert 'matplotlib' not in sys.modules; "
                    "import types; assert isinstance(torchless.summary, types.FunctionType); "
                    "from torchless import models; print(torchless.summary(models.create('course'), (1, 1, 28, 28),"
                    " verbose=0).total_params)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5420"


def test_cli_summary_from_checkpoint_and_input_size(tmp_path):
    from torchless.cli.checkpoint import save_checkpoint

    path = str(tmp_path / "lenet.ckpt")
    save_checkpoint(path, "lenet5", models.create("lenet5"), None, 1, [], {})
    done = cli("summary", "--checkpoint", path, "--input-size", "1x28x28", "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert "LeNet5" in done.stdout and "[3, 10]" in done.stdout and "Total params: 61,706" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "no/such.ckpt"], "no such checkpoint: no/such.ckpt"),
    (["--model", "course", "--input-size", "1x32x32"], "cannot run course on an input of size 1x1x32x32"),
])
def test_cli_summary_errors_are_one_line(args, message):
    done = cli("summary", *args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr
