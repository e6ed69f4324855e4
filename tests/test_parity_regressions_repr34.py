"""Parity regressions found by repr34 (session 34): what users see printed, character for character.

- Strings PyTorch's own ``test_print`` expects (hand-checked there; they hold without torch installed): complex,
  scientific notation, integral floats, inf / nan, float64 suffixes, summaries, ``get_summarized_data``.
- A table of expressions printed by torchless and by torch at run time: tensors of every dtype and print option,
  autograd suffixes, return types, Size / dtype / finfo, module reprs (containers, every CNN layer's extra_repr),
  optimizers with their state, schedulers' state, ``format()`` of tensors and Parameters.
- Random tensors of every dtype, shape and print option against torch's repr.
- Fixed here: ``format(param, spec)`` (PyTorch formats only a plain 0-d Tensor as its number), script and trace
  copies of a ModuleList (PyTorch prints each child under ``original_name``), ``jit.freeze``'s module (no
  children, parameters or buffers of its own: ``RecursiveScriptModule(original_name=Net)``),
  ``torch._tensor_str.get_summarized_data``.

torchless prints its own name where PyTorch prints ``torch.`` (``torchless.Size``, ``dtype=torchless.float64``):
the comparisons below put ``torch.`` back before comparing, as the other repr tests do.
"""
import math

import numpy as np
import pytest

import torchless


def _ours(text):
    return text.replace("torchless.", "torch.")


def _evaluate(lib, code):
    """``code`` run with ``torch`` bound to ``lib``; the repr of its ``out`` (a str as it is), or the exception."""
    namespace = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "math": math}
    try:
        lib.manual_seed(0)
        exec(compile(code, "<case>", "exec"), namespace)
        out = namespace["out"]
        return out if isinstance(out, str) else repr(out)
    except Exception as error:  # the same exception is parity too
        return f"{type(error).__name__}: {error}"
    finally:
        lib.set_printoptions(profile="default")
        lib.set_printoptions(sci_mode=None)
        lib.set_default_dtype(lib.float32)


# ---------------------------------------------------------------------------------------------------------------
# PyTorch's test_print expectations (hand-checked strings; no torch needed)

INF, NAN = math.inf, math.nan

PYTORCH_TEST_PRINT = [
    (lambda t: t.tensor([2.3 + 4j, 7 + 6j]), "tensor([2.3000+4.j, 7.0000+6.j])"),
    (lambda t: t.tensor([1e28 + 2j, -1e-28j]), "tensor([1.0000e+28+2.0000e+00j, -0.0000e+00-1.0000e-28j])"),
    (lambda t: t.tensor(2341234123412341), "tensor(2341234123412341)"),
    (lambda t: t.tensor([1e28, 1e-28]), "tensor([1.0000e+28, 1.0000e-28])"),
    (lambda t: t.tensor([1, 2]), "tensor([1, 2])"),
    (lambda t: t.tensor([1, -2]), "tensor([ 1, -2])"),
    (lambda t: t.tensor([4, INF, 1.5, -INF, 0, NAN, 1]),
     "tensor([4.0000,    inf, 1.5000,   -inf, 0.0000,    nan, 1.0000])"),
    (lambda t: t.tensor([4, INF, complex(1.5, INF), complex(-INF, 4), 0, complex(NAN, INF), complex(3, NAN)]),
     "tensor([4.0000+0.j,    inf+0.j, 1.5000+infj,   -inf+4.j, 0.0000+0.j,    nan+infj,\n        3.0000+nanj])"),
    (lambda t: t.tensor([1e-324, 1e-323, 1e-322, 1e307, 1e308, 1e309], dtype=t.float64),
     "tensor([ 0.0000e+00, 9.8813e-324, 9.8813e-323, 1.0000e+307, 1.0000e+308,\n"
     "                inf], dtype=torch.float64)"),
    (lambda t: t.zeros(10000), "tensor([0., 0., 0.,  ..., 0., 0., 0.])"),
    (lambda t: t.tensor([123.], requires_grad=True), "tensor([123.], requires_grad=True)"),
    (lambda t: t.tensor(0.00002), "tensor(2.0000e-05)"),
    (lambda t: t.tensor([True]), "tensor([True])"),
    (lambda t: t.tensor(True), "tensor(True)"),
    (lambda t: t.tensor([0.00002]) * (1 + 1j), "tensor([2.0000e-05+2.0000e-05j])"),
    (lambda t: t.tensor([123456789.]), "tensor([1.2346e+08])"),
    (lambda t: t.tensor([0.01, 11]), "tensor([1.0000e-02, 1.1000e+01])"),
    (lambda t: t.tensor([1, 1010]), "tensor([   1, 1010])"),
    (lambda t: t.tensor([1000000000]), "tensor([1000000000])"),
    (lambda t: t.tensor([1., 1000.]), "tensor([   1., 1000.])"),
    (lambda t: t.tensor([1., 1010.]), "tensor([1.0000e+00, 1.0100e+03])"),
]


@pytest.mark.parametrize("make, expected", PYTORCH_TEST_PRINT)
def test_pytorch_test_print_strings(make, expected):
    x = make(torchless)
    assert _ours(repr(x)) == expected
    assert str(x) == repr(x)


def test_pytorch_test_print_float64_without_suffix_when_it_is_the_default():
    torchless.set_default_dtype(torchless.float64)
    try:
        x = torchless.tensor([1e-324, 1e-323, 1e-322, 1e307, 1e308, 1e309])
        assert repr(x) == ("tensor([ 0.0000e+00, 9.8813e-324, 9.8813e-323, 1.0000e+307, 1.0000e+308,\n"
                           "                inf])")
    finally:
        torchless.set_default_dtype(torchless.float32)


def test_pytorch_test_print_sci_mode_option_and_its_reset():
    x = torchless.tensor([1e2, 1e-2])
    try:
        torchless.set_printoptions(sci_mode=True)
        assert repr(x) == "tensor([1.0000e+02, 1.0000e-02])"
        torchless.set_printoptions(sci_mode=False)
        assert repr(x) == "tensor([100.0000,   0.0100])"
    finally:
        torchless.set_printoptions(sci_mode=None)
    assert repr(x) == "tensor([1.0000e+02, 1.0000e-02])"  # (automatic: 100 / 0.01 > 1000)


def test_pytorch_test_print_non_contiguous_summary():
    y = torchless.ones(100, 2, 2, 10).as_strided(size=(100, 2, 10), stride=(2 * 2 * 10, 2 * 10, 1))
    block = "[[1., 1., 1.,  ..., 1., 1., 1.],\n         [1., 1., 1.,  ..., 1., 1., 1.]]"
    expected = "tensor([" + ",\n\n        ".join([block] * 3 + ["..."] + [block] * 3) + "])"
    assert repr(y) == expected


def test_get_summarized_data_as_pytorch_test_print():
    x = torchless.rand(1, 20, 5, 30)
    summary = torchless._tensor_str.get_summarized_data(x)
    assert tuple(summary.shape) == (1, 6, 5, 6)
    first_and_last = [0, 1, 2, -3, -2, -1]
    np.testing.assert_array_equal(summary.numpy(), x.numpy()[:, first_and_last][..., first_and_last])


def test_get_summarized_data_keeps_the_graph_and_short_dims():
    x = torchless.arange(12.0, requires_grad=True)
    summary = torchless._tensor_str.get_summarized_data(x)
    np.testing.assert_array_equal(summary.detach().numpy(), [0, 1, 2, 9, 10, 11])
    summary.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1] + [0] * 6 + [1, 1, 1])
    short = torchless.arange(6.0).view(2, 3)
    np.testing.assert_array_equal(torchless._tensor_str.get_summarized_data(short).numpy(), short.numpy())


# ---------------------------------------------------------------------------------------------------------------
# format(): only a plain 0-d Tensor formats as its number (Python's own object.__format__ rules otherwise)

def test_format_of_a_zero_dim_tensor_is_its_number():
    assert f"{torchless.tensor(3.14159):.2f}" == "3.14"
    assert format(torchless.tensor(0.5), ".1%") == "50.0%"
    assert f"{torchless.tensor(7):04d}" == "0007"
    assert f"{torchless.tensor(0.25, requires_grad=True) * 2:.3f}" == "0.500"


def test_format_of_a_parameter_or_subclass_is_objects():
    p = torchless.nn.Parameter(torchless.tensor(0.5))
    assert format(p, "") == repr(p) == "Parameter containing:\ntensor(0.5000, requires_grad=True)"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Parameter\.__format__$"):
        format(p, ".2f")

    class Mine(torchless.Tensor):
        pass

    x = torchless.tensor(2.5).as_subclass(Mine)
    assert f"{x}" == "Mine(2.5000)"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Mine\.__format__$"):
        format(x, ".2f")
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Tensor\.__format__$"):
        format(torchless.tensor([0.5]), ".2f")


def test_format_of_a_zero_dim_tv_tensor_is_objects():
    # (torchvision 0.28 on PyTorch 2.13 gives these: a TVTensor is a Tensor subclass)
    from torchless.vision import tv_tensors

    mask = tv_tensors.Mask(torchless.tensor(1))
    assert format(mask, "") == "Mask(1)"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Mask\.__format__$"):
        format(mask, "d")
    assert f"{mask.sum()}" == "1"


# ---------------------------------------------------------------------------------------------------------------
# script / trace copies print as PyTorch's

def test_scripted_module_list_prints_each_child_under_its_original_name():
    layers = torchless.nn.ModuleList([torchless.nn.Linear(2, 2) for _ in range(3)])
    assert repr(layers) == "ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n)"
    with pytest.warns(DeprecationWarning):
        scripted = torchless.jit.script(layers)
    assert repr(scripted) == ("RecursiveScriptModule(\n  original_name=ModuleList\n"
                              + "".join(f"  ({i}): RecursiveScriptModule(original_name=Linear)\n" for i in range(3))
                              + ")")


def _stack_class(lib):
    # (the class is made for each library, its source in this file for torch.jit.script to read)
    class Stack(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
            self.params = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2))])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x + self.params[0]

    return Stack


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("how", ["script", "trace"])
def test_scripted_and_traced_containers_match_torch(how):
    torch = pytest.importorskip("torch")
    shown = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        model = _stack_class(lib)()
        copy = lib.jit.script(model) if how == "script" else lib.jit.trace(model, lib.ones(1, 2))
        shown.append(_ours(repr(copy)))
        shown.append(_ours(repr(copy.layers)))
    assert shown[2:] == shown[:2]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_frozen_module_has_no_children_parameters_or_buffers_of_its_own():
    model = _stack_class(torchless)().eval()
    scripted = torchless.jit.script(model)
    frozen = torchless.jit.freeze(scripted)
    assert repr(frozen) == "RecursiveScriptModule(original_name=Stack)"
    assert type(frozen).__name__ == "RecursiveScriptModule" and isinstance(frozen, torchless.jit.ScriptModule)
    assert list(frozen.state_dict()) == [] and list(frozen.parameters()) == [] and list(frozen.modules()) == [frozen]
    x = torchless.randn(3, 2)
    np.testing.assert_array_equal(frozen(x).detach().numpy(), model(x).detach().numpy())
    assert torchless.jit.freeze(frozen) is frozen
    assert repr(torchless.jit.optimize_for_inference(torchless.jit.script(_stack_class(torchless)()))) == \
        "RecursiveScriptModule(original_name=Stack)"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_frozen_modules_print_as_torch():
    torch = pytest.importorskip("torch")
    shown = []
    for lib in (torch, torchless):
        model = _stack_class(lib)().eval()
        frozen = [lib.jit.freeze(lib.jit.script(model)), lib.jit.freeze(lib.jit.trace(model, lib.ones(1, 2))),
                  lib.jit.freeze(lib.jit.script(model), preserved_attrs=["layers"])]
        shown.append([(_ours(repr(f)), type(f).__name__, len(list(f.parameters())), len(f.state_dict()))
                      for f in frozen])
    assert shown[1] == shown[0]


# ---------------------------------------------------------------------------------------------------------------
# torchless against torch at run time

TENSOR_VALUES = ["[[1.5, -2.25], [3, 4]]", "[1, 2, 3]", "[0.0001, 1e5]", "[1e-8, 1.0]",
                 "[float('inf'), float('nan'), -0.0, 1.5]", "[-0.0]", "[[1e10, 1]]", "3.5",
                 "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]",
                 "[1e300, 1e-300]", "[99999999.0, 1.0]", "[0.99995, 1.0]"]
DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool", "complex64",
          "complex128"]

CASES = [f"out = torch.tensor({v}).to(torch.{d})" for d in DTYPES for v in TENSOR_VALUES[::2]]
CASES += [f"out = torch.zeros({shape}, dtype=torch.{d})" for d in DTYPES[::2] for shape in ("0", "2, 0, 3", "()")]
CASES += [f"out = (torch.arange(2000) % 7).to(torch.{d}).reshape(20, 100)" for d in DTYPES[::3]]
CASES += [
    "out = torch.arange(120.).reshape(1, 2, 3, 4, 5)", "out = torch.randn(2, 3).t()", "out = torch.randn(4, 5)[:, 1:3]",
    "out = torch.randn(3, requires_grad=True) * 2", "out = torch.randn(3, dtype=torch.float64, requires_grad=True)",
    "out = torch.nn.Parameter(torch.randn(2, 3, dtype=torch.float64))", "out = torch.nn.Parameter(torch.zeros(0))",
    "out = torch.randn(30, 30)", "out = torch.randn(3, 1000)", "out = torch.randn(50) * 1e5",
    "out = torch.randn(2, 3).max(dim=1)", "out = torch.randn(5).sort()", "out = torch.randn(5).topk(2)",
    "out = torch.randn(3, 4).min(1)", "out = (torch.Size([2, 3]), torch.Size([]), torch.float32, torch.device('cpu'))",
    "out = (torch.finfo(torch.float32), torch.finfo(torch.float16), torch.iinfo(torch.int8), torch.iinfo(torch.uint8))",
    "torch.set_printoptions(precision=2)\nout = repr(torch.randn(4, 4))",
    "torch.set_printoptions(threshold=5, edgeitems=1)\nout = repr(torch.arange(100.).reshape(10, 10))",
    "torch.set_printoptions(linewidth=40)\nout = repr(torch.randn(30, dtype=torch.float64, requires_grad=True))",
    "torch.set_printoptions(profile='short')\nout = repr(torch.randn(40, 40))",
    "torch.set_printoptions(profile='full')\nout = repr(torch.arange(1200).reshape(30, 40))",
    "torch.set_printoptions(sci_mode=True)\nout = repr(torch.arange(4.))",
    "torch.set_printoptions(sci_mode=False)\nout = repr(torch.tensor([1e-8, 1e8]))",
    "torch.set_printoptions(threshold=3, edgeitems=0)\nout = repr(torch.arange(10.))",
    "torch.set_printoptions(precision=2)\ntorch.set_printoptions(profile='default')\nout = repr(torch.randn(3))",
    "torch.set_default_dtype(torch.float64)\nout = repr((torch.randn(2), torch.randn(2).float(), "
    "torch.zeros(0).float(), "
    "torch.tensor([1 + 1j])))",
    "x = torch.randn(1, 1, 4, 4, requires_grad=True)\nout = (F.max_pool2d(x, 2), F.conv2d(x, torch.randn(1, 1, 3, 3)), "
    "F.relu(x).mean(), F.cross_entropy(x.view(1, 16), torch.tensor([1])), x.view(16).t())",
    "x = torch.randn(3, requires_grad=True).clone()\nv = x[:2]\nv.mul_(2)\nout = (v, x)",
    # modules
    "out = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10, 2))",
    "out = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Sequential()), nn.ModuleList([nn.ReLU(), nn.ModuleList()]), "
    "nn.ModuleDict({'a': nn.Tanh(), 'b': nn.Sequential(nn.ReLU())}))",
    "out = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])",
    "out = (nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False, padding_mode='reflect'), "
    "nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1), nn.Conv1d(2, 4, 3, padding='same'))",
    "out = (nn.MaxPool2d(3, 2, 1, 2, return_indices=True, ceil_mode=True), nn.AvgPool2d(3, 2, 1, True, False, 2), "
    "nn.AdaptiveAvgPool2d((None, 3)), nn.LPPool2d(2, 3))",
    "out = (nn.BatchNorm2d(16, affine=False, track_running_stats=False), "
    "nn.LayerNorm([3, 4], elementwise_affine=False), "
    "nn.GroupNorm(2, 4, affine=False), nn.InstanceNorm2d(3, affine=True, track_running_stats=True))",
    "out = (nn.Dropout(0.2, inplace=True), nn.LeakyReLU(0.2, True), nn.GELU('tanh'), nn.Softmax(dim=1), nn.PReLU(3), "
    "nn.Hardtanh(-2, 2), nn.Threshold(0.1, 20), nn.ELU(alpha=0.5))",
    "out = (nn.Linear(10, 5, bias=False), nn.Flatten(0, 2), nn.Unflatten(1, (2, 5)), "
    "nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True), "
    "nn.Embedding(10, 3, padding_idx=0, max_norm=1.0))",
    "out = (nn.CrossEntropyLoss(weight=torch.ones(3), reduction='sum', label_smoothing=0.1), nn.MSELoss('none'), "
    "nn.ZeroPad2d((1, 2, 3, 4)), nn.PixelShuffle(2), nn.Identity(5))",
    "m = nn.LazyLinear(5)\nbefore = repr(m)\nm(torch.randn(2, 3))\nout = before + repr(m)",
    "class Net(nn.Module):\n def __init__(self):\n  super().__init__(); self.body = nn.Sequential(nn.Linear(1, 2))\n"
    " def extra_repr(self): return 'x=1\\ny=2'\nout = (Net(), nn.Module(), nn.Sequential())",
    "out = nn.ParameterList([nn.Parameter(torch.randn(2, 3)), nn.Parameter(torch.randn(3, dtype=torch.float64))])",
    # optimizers and schedulers
    "m = nn.Linear(2, 1)\n"
    "o = torch.optim.Adam([{'params': [m.weight]}, {'params': [m.bias], 'lr': 1e-2}], amsgrad=True)"
    "\nm(torch.ones(3, 2)).sum().backward()\no.step()\nout = repr(o) + repr(o.state_dict())",
    "m = nn.Linear(2, 1)\no = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True)\nout = o",
    "m = nn.Linear(2, 1)\no = torch.optim.AdamW(m.parameters(), weight_decay=0.1)\nout = o",
    "m = nn.Linear(2, 1)\no = torch.optim.SGD(m.parameters(), lr=0.1)\ns = torch.optim.lr_scheduler.StepLR(o, 2)\n"
    "for _ in range(3):\n o.step(); s.step()\nout = (s.state_dict(), s.get_last_lr(), o.param_groups[0]['lr'])",
    # format()
    "out = (f'{torch.tensor(3.14159):.2f}', format(torch.tensor(0.5), '.2%'), f'{torch.tensor([1.5, 2.5])}', "
    "'{:>12}'.format(torch.tensor(2.5)), f'{torch.tensor(7):04d}')",
    "out = format(torch.nn.Parameter(torch.tensor(0.5)), '')",
    "out = format(torch.nn.Parameter(torch.tensor(0.5)), '.2f')",
    "out = format(torch.tensor([0.5]), '.2f')",
    "class My(torch.Tensor): pass\nout = format(torch.tensor(0.5).as_subclass(My), '.2f')",
    # torch._tensor_str.get_summarized_data
    "torch.set_printoptions(edgeitems=1)\nout = torch._tensor_str.get_summarized_data(torch.arange(60).view(3, 4, 5))",
    "out = torch._tensor_str.get_summarized_data(torch.arange(100., requires_grad=True).view(10, 10))",
    "out = torch._tensor_str.get_summarized_data(torch.zeros(0, 3))",
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("code", CASES)
def test_printed_as_torch(code):
    torch = pytest.importorskip("torch")
    assert _ours(_evaluate(torchless, code)) == _evaluate(torch, code)


def _random_case(rng):
    shape = tuple(int(rng.choice([0, 1, 2, 3, 5, 8, 40])) if rng.random() < 0.3 else int(rng.integers(1, 6))
                  for _ in range(int(rng.integers(0, 5))))
    dtype = DTYPES[int(rng.integers(len(DTYPES)))]
    size = int(np.prod(shape))
    kind = int(rng.integers(0, 5))
    if kind == 0:
        a = rng.standard_normal(size) * 10.0 ** rng.integers(-12, 12)
    elif kind == 1:
        a = np.round(rng.standard_normal(size) * 10.0 ** rng.integers(0, 6))
    elif kind == 2:
        a = rng.standard_normal(size) * 10.0 ** rng.integers(-8, 8, size)
    elif kind == 3:
        a = rng.choice([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 1e-5, 123.25, -7.5, 1e6], size)
    else:
        a = rng.standard_normal(size)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(size) * 10.0 ** rng.integers(-5, 5)
    if not dtype.startswith(("float", "complex")):
        a = np.clip(np.nan_to_num(a, posinf=5, neginf=-5), -100, 100).astype(np.int64)
        a = np.abs(a) if dtype == "uint8" else (a != 0 if dtype == "bool" else a)
    options = {}
    for key, choices in (("precision", [0, 1, 2, 6, 10]), ("threshold", [0, 5, 50, 1000]),
                         ("edgeitems", [0, 1, 2, 3, 5]), ("linewidth", [10, 30, 80, 200]),
                         ("sci_mode", [None, True, False])):
        if rng.random() < 0.25:
            options[key] = choices[int(rng.integers(len(choices)))]
    grad = dtype in ("float32", "float64", "complex64", "complex128") and rng.random() < 0.2
    return a.reshape(shape), dtype, options, grad, len(shape) >= 2 and rng.random() < 0.2, rng.random() < 0.5


# (NumPy's flag from a complex inf * 1, which torchless's import-time filter hides outside pytest's capture)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", range(4))
def test_random_tensors_print_as_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3400 + seed)
    for _ in range(150):
        a, dtype, options, grad, transpose, multiply = _random_case(rng)
        shown = []
        for lib in (torch, torchless):
            lib.set_printoptions(**options)
            try:
                t = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad)
                t = t.transpose(0, -1) if transpose else t
                shown.append(_ours(repr(t * 1 if grad and multiply else t)))
            finally:
                lib.set_printoptions(profile="default")
                lib.set_printoptions(sci_mode=None)
        assert shown[1] == shown[0], (dtype, a.shape, options)
