"""Differences from PyTorch in the errors of the CNN layers, found by a differential fuzz of bad arguments and
inputs, each compared with torch (type and message):

* max_pool1d / max_pool2d (and their with_indices forms) parse as PyTorch's native parser: every argument's
  type is checked first (a sequence by its first element, ceil_mode as a bool), then the int lists are
  unpacked from the last to the first, so a later non-int in two of them is reported for the last one;
* a bad call of a layer's forward or constructor names the method as PyTorch's class defines it
  ("Conv2d.forward() missing 1 required positional argument: 'input'", "_BatchNorm.__init__() takes ...",
  "_ReflectionPadNd.forward() ..."): the convolutions, poolings, paddings, dropouts, batch norms and
  recurrent layers that share one method in a base class carry their own copy of it, named as PyTorch's;
* avg_pool2d / lp_pool2d of a 0-d tensor fail reading its channels as PyTorch's do ("Dimension specified as -3
  but tensor has no dimensions");
* the layers' ``device`` argument reaches the creation of their parameters and buffers, as in PyTorch (it was
  ignored but by the convolutions): a bad device string, 'cuda' or an accelerator index fails with PyTorch's
  error (Linear, Bilinear, the batch, group, layer and RMS norms, Embedding, EmbeddingBag, PReLU, and the
  attention layers built of them); a layer with no tensors to create (BatchNorm1d(3, affine=False,
  track_running_stats=False)) takes any device, as PyTorch's does;
* embedding_bag brings indices and offsets to their promoted dtype before checking it (int16, uint8 or bool
  indices with int64 offsets work; float offsets make the indices fail as floats); a 2-D bool input fails
  building its offsets (arange of bools);
* F.one_hot is PyTorch's native function: its first argument is named input, a non-tensor or a num_classes
  that is not an int is the parser's TypeError, and an empty input with num_classes <= 0 cannot infer them;
* F.embedding passes its arguments to the native embedding's parser (padding_idx an int, scale_grad_by_freq
  and sparse bools), and with max_norm reads input.contiguous() and weight.detach() first, then
  embedding_renorm_'s parser (max_norm and norm_type floats), as PyTorch does (embedding_bag too);
* F.bilinear reads the weight's size, then the input's: a 0-d input or weight fails with size's IndexError;
* the losses' arguments go through the checks of PyTorch's parser of their native functions: ignore_index an
  int (cross_entropy_loss, nll_loss_nd), label_smoothing a float (its range error printing the value as C++
  does: 2, not 2.0), kl_div's log_target a bool, hinge_embedding_loss's tensors and float margin,
  multi_margin_loss's Number p and margin;
* nll_loss / cross_entropy of an empty batch with a 0-d target fail reading target.size(0) (or slicing its
  sizes, for a 3-D input), and cross_entropy of a 0-d input with a target of another shape fails in
  log_softmax over dimension 1;
* an int[] argument (stride, kernel_size, padding, output_size, normalized_shape ...) takes, as PyTorch's parser
  does, a one-element tensor of an integer or bool dtype of any rank, for the whole list or for an element
  (``F.max_pool2d(x, torch.tensor([2]))``, ``stride=(1, torch.tensor([2]))``), and so does the convolutions'
  SymInt groups; a float one still fails;
* F.batch_norm in training with only one of running_mean / running_var is PyTorch's ValueError (after the
  size checks, before the dtype ones);
* F.linear with a bias fuses it (addmm, whose dtype checks come before its 'mat2 must be a matrix') only
  where PyTorch does: for a 2-D input, or a contiguous one with a contiguous bias of one non-1 dimension;
  otherwise it multiplies, then adds the bias in place: a 0-d, (2, 3) or float64 0-d bias broadcasts (a 1-D
  weight with a 0-d bias works), with add_'s errors for one that does not fit the output.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=1e-5, atol=1e-6)


def F(lib):
    return lib.nn.functional


def _x(lib, *shape, dtype="float32"):
    return lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtype))


# ---------------------------------------------------------------------------- max pooling's int lists
@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("return_indices", [False, True])
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": (2, 2.0), "stride": (2, 2.0)}, {"kernel_size": (2, 2.0), "padding": (0, 1.0)},
    {"kernel_size": (2, 2.0), "dilation": (1, 1.0)}, {"kernel_size": 2, "stride": (2, 2.0), "padding": (0, 1.0)},
    {"kernel_size": 2, "padding": (0, 1.0), "dilation": (1, "a")}, {"kernel_size": (2, 2.0), "stride": (2.0, 2)},
    {"kernel_size": (2, 2.0), "ceil_mode": 1}, {"kernel_size": (2, 2.0), "padding": None},
    {"kernel_size": (2, 2.0), "stride": None}, {"kernel_size": (2, 2.0), "stride": []},
])
def test_max_pool_checks_types_then_unpacks_last_first(spatial, return_indices, kwargs):
    pool = f"max_pool{spatial}d"
    assert_same_outcome(lambda lib: getattr(F(lib), pool)(_x(lib, 2, 3, *(8,) * spatial),
                                                          return_indices=return_indices, **kwargs))
    if return_indices:  # positionally, too
        args = [kwargs.get(k, d) for k, d in (("kernel_size", 2), ("stride", None), ("padding", 0), ("dilation", 1))]
        assert_same_outcome(lambda lib: getattr(F(lib), pool)(_x(lib, 2, 3, *(8,) * spatial), *args))


def test_max_pool_module_reports_the_stride():
    assert_same_outcome(lambda lib: lib.nn.MaxPool2d((2, 2.0), (2, 2.0))(_x(lib, 2, 3, 8, 8)))


# ---------------------------------------------------------------------------- methods named as PyTorch's
_LAYERS = [("Conv1d", (2, 4, 3)), ("Conv2d", (2, 4, 3)), ("Conv3d", (2, 4, 3)), ("ConvTranspose1d", (2, 4, 3)),
           ("ConvTranspose2d", (2, 4, 3)), ("ConvTranspose3d", (2, 4, 3)), ("LazyConv2d", (4, 3)),
           ("LazyConvTranspose1d", (4, 3)), ("MaxPool1d", (2,)), ("MaxPool2d", (2,)), ("MaxPool3d", (2,)),
           ("AvgPool1d", (2,)), ("AvgPool2d", (2,)), ("AvgPool3d", (2,)), ("AdaptiveAvgPool1d", (2,)),
           ("AdaptiveAvgPool2d", (2,)), ("AdaptiveAvgPool3d", (2,)), ("AdaptiveMaxPool1d", (2,)),
           ("AdaptiveMaxPool2d", (2,)), ("AdaptiveMaxPool3d", (2,)), ("MaxUnpool1d", (2,)), ("MaxUnpool2d", (2,)),
           ("MaxUnpool3d", (2,)), ("LPPool1d", (2, 2)), ("LPPool2d", (2, 2)), ("LPPool3d", (2, 2)),
           ("FractionalMaxPool2d", (2, 3)), ("FractionalMaxPool3d", (2, 3)), ("BatchNorm1d", (3,)),
           ("BatchNorm2d", (3,)), ("BatchNorm3d", (3,)), ("InstanceNorm2d", (3,)), ("ConstantPad1d", (1, 0.5)),
           ("ConstantPad2d", (1, 0.5)), ("ConstantPad3d", (1, 0.5)), ("ZeroPad2d", (1,)), ("ReflectionPad1d", (1,)),
           ("ReflectionPad2d", (1,)), ("ReflectionPad3d", (1,)), ("ReplicationPad1d", (1,)),
           ("ReplicationPad2d", (1,)), ("ReplicationPad3d", (1,)), ("CircularPad1d", (1,)), ("CircularPad2d", (1,)),
           ("CircularPad3d", (1,)), ("Dropout", ()), ("Dropout1d", ()), ("Dropout2d", ()), ("Dropout3d", ()),
           ("AlphaDropout", ()), ("RNN", (2, 3)), ("GRU", (2, 3)), ("RNNCell", (2, 3)), ("GRUCell", (2, 3)),
           ("Linear", (2, 3))]


@pytest.mark.parametrize("name, args", _LAYERS, ids=[name for name, _ in _LAYERS])
def test_bad_calls_name_the_method_as_pytorch(name, args):
    def layer(lib):
        return getattr(lib.nn, name)(*args)

    extra = (None,) * 12  # more positional arguments than any of these constructors takes
    assert_same_outcome(lambda lib: layer(lib)())
    assert_same_outcome(lambda lib: layer(lib)(*extra))
    assert_same_outcome(lambda lib: layer(lib)(_x(lib, 2, 3, 4), bogus=1))
    if name not in ("RNN", "GRU"):  # PyTorch parses their arguments in RNNBase (not matched yet)
        assert_same_outcome(lambda lib: getattr(lib.nn, name)(*args, *extra))
        if args:
            assert_same_outcome(lambda lib: getattr(lib.nn, name)())


# ---------------------------------------------------------------------------- pooling a 0-d tensor
@pytest.mark.parametrize("call", [
    lambda lib, z: F(lib).avg_pool2d(z, 2), lambda lib, z: F(lib).lp_pool2d(z, 2, 2),
    lambda lib, z: lib.nn.AvgPool2d(3, ceil_mode=True)(z), lambda lib, z: F(lib).avg_pool1d(z, 2),
    lambda lib, z: F(lib).avg_pool2d(z[None], 2), lambda lib, z: F(lib).avg_pool2d(z[None, None], 2),
])
def test_avg_pool_of_too_few_dimensions(call):
    assert_same_outcome(lambda lib: call(lib, lib.tensor(1.0)))


# ---------------------------------------------------------------------------- device of a layer's tensors
_DEVICE_LAYERS = [("Linear", (2, 3), {}), ("Linear", (2, 3), {"bias": False}), ("Bilinear", (2, 3, 4), {}),
                  ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"affine": False}),
                  ("BatchNorm3d", (3,), {"affine": False, "track_running_stats": False}),
                  ("InstanceNorm2d", (3,), {"affine": True}), ("GroupNorm", (1, 3), {}), ("LayerNorm", (3,), {}),
                  ("LayerNorm", (3,), {"elementwise_affine": False}), ("RMSNorm", (3,), {}), ("Embedding", (5, 3), {}),
                  ("EmbeddingBag", (5, 3), {}), ("PReLU", (), {}), ("MultiheadAttention", (4, 2), {}),
                  ("Conv2d", (2, 4, 3), {})]


@pytest.mark.parametrize("device", ["bogus", "cuda", 5, "cpu:0"])
@pytest.mark.parametrize("name, args, kwargs", _DEVICE_LAYERS)
def test_layer_device_argument(name, args, kwargs, device):
    def sizes(lib):
        layer = getattr(lib.nn, name)(*args, device=device, **kwargs)
        return lib.tensor([p.numel() for p in layer.parameters()] + [b.numel() for b in layer.buffers()])

    assert_same_outcome(sizes)


# ---------------------------------------------------------------------------- embedding, embedding_bag, one_hot
def _ints(lib, values, dtype):
    return lib.tensor(np.array(values).astype(dtype))


@pytest.mark.parametrize("indices", ["int64", "int32", "int16", "uint8", "bool", "float32", "int8"])
@pytest.mark.parametrize("offsets", ["int64", "int16", "float32", "bool"])
def test_embedding_bag_promotes_indices_and_offsets(indices, offsets):
    assert_same_outcome(lambda lib: F(lib).embedding_bag(_ints(lib, [0, 1, 1, 0], indices), _x(lib, 5, 3),
                                                         _ints(lib, [0, 2], offsets), mode="sum"))


@pytest.mark.parametrize("indices", ["int64", "int32", "int16", "bool"])
def test_embedding_bag_of_a_2d_input(indices):
    assert_same_outcome(lambda lib: F(lib).embedding_bag(_ints(lib, [[0, 1], [1, 0]], indices), _x(lib, 5, 3)))


_ONE_HOT_CALLS = [((None,), {}), ((), {"input": "L"}), ((), {"tensor": "L"}), ((), {"self": "L"}), (("L", 2.0), {}),
                  (("L", None), {}), (("L",), {"num_classes": None}), (("L", True), {}), (("L", np.int64(3)), {}),
                  (("L", 3, 4), {}), (("L",), {"foo": 3}), ((), {}), (("L", "3"), {}), (([1, 2], 3), {}),
                  (("E",), {}), (("E", 0), {}), (("E", -2), {}), (("E", 3), {}), (("L", -2), {}), (("L", 0), {})]


@pytest.mark.parametrize("args, kwargs", _ONE_HOT_CALLS)
def test_one_hot_arguments(args, kwargs):
    def call(lib):
        tensors = {"L": lib.tensor([0, 2, 1]), "E": lib.tensor(np.zeros(0, np.int64))}
        pick = lambda v: tensors.get(v, v) if isinstance(v, str) else v  # noqa: E731
        return F(lib).one_hot(*map(pick, args), **{k: pick(v) for k, v in kwargs.items()})

    assert_same_outcome(call)


_EMBEDDING_CALLS = [
    lambda lib, i, w: F(lib).embedding(None, w, max_norm=1.0), lambda lib, i, w: F(lib).embedding([1], w, max_norm=1.0),
    lambda lib, i, w: F(lib).embedding(i, w, max_norm="a"),
    lambda lib, i, w: F(lib).embedding(i, w, max_norm=1, norm_type="a"),
    lambda lib, i, w: F(lib).embedding(i, w, max_norm=1, norm_type=None),
    lambda lib, i, w: F(lib).embedding(i, [[1.0]], max_norm=1.0), lambda lib, i, w: F(lib).embedding(i, None, max_norm=1.0),
    lambda lib, i, w: F(lib).embedding(i, w, max_norm=lib.tensor([1.0])),
    lambda lib, i, w: F(lib).embedding(i, w, max_norm=lib.tensor(1.0)),
    lambda lib, i, w: F(lib).embedding_bag(i, w, lib.tensor([0]), max_norm="a"),
    lambda lib, i, w: F(lib).embedding_bag(i, w, lib.tensor([0]), max_norm=1, norm_type=None),
    lambda lib, i, w: F(lib).embedding(i, w, padding_idx=2.0), lambda lib, i, w: F(lib).embedding(i, w, padding_idx=-2.0),
    lambda lib, i, w: F(lib).embedding(i, w, padding_idx=True), lambda lib, i, w: F(lib).embedding(i, w, padding_idx=-2),
    lambda lib, i, w: F(lib).embedding(i, w, padding_idx=np.int64(1)),
    lambda lib, i, w: F(lib).embedding(i, w, scale_grad_by_freq=None),
    lambda lib, i, w: F(lib).embedding(i, w, scale_grad_by_freq=1), lambda lib, i, w: F(lib).embedding(i, w, sparse=0),
    lambda lib, i, w: lib.nn.Embedding(5, 3, max_norm="3")(i), lambda lib, i, w: lib.nn.Embedding(5, 3, max_norm=1.0)(None),
]


@pytest.mark.parametrize("call", _EMBEDDING_CALLS)
def test_embedding_arguments(call):
    assert_same_outcome(lambda lib: call(lib, lib.tensor([0, 2, 1]), _x(lib, 5, 3)))


# ---------------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("shapes", [((), (), (2, 4, 4)), ((), (), ()), ((4,), (4,), ()), ((4,), (4,), (2,)),
                                    ((4,), (4,), (2, 4)), ((), (), (2,)), ((3,), (4,), (2, 4, 4)),
                                    ((4,), (3,), (2, 4, 4))])
def test_bilinear_reads_the_weight_size_first(shapes):
    assert_same_outcome(lambda lib: F(lib).bilinear(*(_x(lib, *shape) for shape in shapes)))


# ---------------------------------------------------------------------------- losses' native arguments
_LOSS_ARGUMENTS = ["'a'", "None", "x(1)", "True", "2", "2.0", "1.23456789", "np.int64(1)"]
_LOSS_CALLS = ["F.hinge_embedding_loss(x(2,3), x(2,3), margin={})", "F.multi_margin_loss(x(2,3), L(2), margin={})",
               "F.multi_margin_loss(x(2,3), L(2), p={})", "F.kl_div(x(2,3), x(2,3), log_target={})",
               "F.cross_entropy(x(2,3), L(2), label_smoothing={})", "F.cross_entropy(x(2,3), P, label_smoothing={})",
               "F.nll_loss(x(2,3), L(2), ignore_index={})", "F.cross_entropy(x(2,3), L(2), ignore_index={})",
               "F.cross_entropy(x(2,3), P, ignore_index={})", "F.hinge_embedding_loss({}, x(2,3))",
               "F.hinge_embedding_loss(x(2,3), {})", "nn.CrossEntropyLoss(ignore_index={})(x(2,3), L(2))",
               "nn.NLLLoss(ignore_index={})(x(2,3), L(2))", "nn.KLDivLoss(log_target={})(x(2,3), x(2,3))",
               "nn.MultiMarginLoss(margin={})(x(2,3), L(2))"]


def _loss_env(lib):
    return {"F": F(lib), "nn": lib.nn, "np": np, "x": lambda *shape: _x(lib, *shape),
            "L": lambda n: lib.tensor(np.arange(n) % 3), "P": _x(lib, 2, 3).softmax(1)}


@pytest.mark.parametrize("call", _LOSS_CALLS)
@pytest.mark.parametrize("value", _LOSS_ARGUMENTS)
def test_loss_native_arguments(call, value):
    assert_same_outcome(lambda lib: eval(call.format(value), _loss_env(lib)))


@pytest.mark.parametrize("call", [
    "F.nll_loss(x(0,3), T)", "F.nll_loss(x(0,3), T.float())", "F.nll_loss(x(0,3), T, weight=x(4))",
    "F.nll_loss(x(0,3), T, reduction='none')", "F.cross_entropy(x(0,3), T, label_smoothing=0.2)",
    "F.nll_loss(x(0,3,4), T)", "F.nll_loss(x(0,3,4,5), T)", "F.nll_loss(x(0,3,4,5,6), T)", "F.cross_entropy(x(), x(1))",
    "F.cross_entropy(x(), L(2))", "F.cross_entropy(x(), L(2), label_smoothing=0.5)",
    "F.cross_entropy(x(), L(2), label_smoothing=1.5)", "F.cross_entropy(x(), T)", "F.cross_entropy(x(), T.float())",
    "F.nll_loss(x(), T)", "F.cross_entropy(x(2,3), L(2), label_smoothing=2)",
])
def test_class_targets_of_too_few_dimensions(call):
    def run(lib):
        env = _loss_env(lib)
        env["T"] = lib.tensor(0)
        return eval(call, env)

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- one-element tensors as ints
_TENSOR_INT_CALLS = [
    "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=T([2]))", "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=T([[2]]))",
    "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=T([True]))", "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=T([2, 2]))",
    "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=T([2.0]))", "F.conv2d(x(1,2,6,6), x(2,2,3,3), padding=T([1]))",
    "F.conv2d(x(1,2,6,6), x(2,2,3,3), dilation=T([1]))", "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=(1, T([2])))",
    "F.conv2d(x(1,2,6,6), x(2,2,3,3), stride=(1, T(2.0)))", "F.conv_transpose2d(x(1,2,6,6), x(2,2,3,3), stride=T([2]))",
    "F.max_pool2d(x(1,2,6,6), T([[2]]))", "F.max_pool2d(x(1,2,6,6), T([2]), T([1]))", "F.max_pool2d(x(1,2,6,6), (2, T([2])))",
    "F.max_pool2d(x(1,2,6,6), [T([2]), 2])", "F.max_pool2d(x(1,2,6,6), T([2], np.int32))",
    "F.max_pool2d(x(1,2,6,6), T([2], np.uint8))", "F.max_pool2d(x(1,2,6,6), T([True]))", "F.max_pool2d(x(1,2,6,6), T([-1]))",
    "F.max_pool2d(x(1,2,6,6), (1, T([2.0])))", "F.max_pool2d(x(1,2,6,6), 2, return_indices=True, stride=T([1]))[1]",
    "F.avg_pool2d(x(1,2,6,6), T([2]))", "F.max_pool1d(x(1,2,6), T([2]))", "F.max_pool1d(x(1,2,6), T([2]), return_indices=True)[1]",
    "F.avg_pool1d(x(1,2,6), T([2]))", "F.adaptive_avg_pool1d(x(1,2,6), T([2]))", "F.adaptive_max_pool1d(x(1,2,6), T([2]))",
    "F.adaptive_avg_pool2d(x(1,2,6,6), T([2]))", "F.adaptive_max_pool2d(x(1,2,6,6), T([2]))",
    "F.max_pool3d(x(1,2,4,4,4), T([2]))", "F.avg_pool3d(x(1,2,4,4,4), T([2]))", "F.unfold(x(1,2,6,6), T([2]))",
    "F.layer_norm(x(2,3), [T([3])])", "F.pad(x(1,2,6,6), T([1, 1]))",
    "F.conv2d(x(1,4,5,5), x(4,1,1,1), groups=T([4], np.uint8))", "F.conv2d(x(1,4,5,5), x(4,4,1,1), groups=T(1.0))",
    "F.conv2d(x(1,4,5,5), x(4,4,1,1), groups=T([1, 1]))", "F.conv_transpose2d(x(1,4,5,5), x(4,1,1,1), groups=T([4]))",
    "F.conv1d(x(4,5,5), x(4,4,1), groups=T([[1]]))", "F.conv2d(x(1,4,5,5), x(4,4,1,1), None, 1, 0, 1, T([1]))",
]


@pytest.mark.parametrize("call", _TENSOR_INT_CALLS)
def test_one_element_tensor_as_int_list(call):
    def run(lib):
        env = _loss_env(lib)
        env["T"] = lambda value, dtype=None: lib.tensor(np.array(value, dtype))
        return eval(call, env)

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- batch_norm's running statistics
@pytest.mark.parametrize("call", [
    "F.batch_norm(x(2,3), x(3), None, training=True)", "F.batch_norm(x(2,3,4), None, x(3), training=True)",
    "F.batch_norm(x(2,3).double(), x(3), None, training=True)", "F.batch_norm(x(2,3).long(), None, x(3), training=True)",
    "F.batch_norm(x(2,3), x(4), None, training=True)", "F.batch_norm(x(2,3), x(3), None, training=True, weight=x(4))",
    "F.batch_norm(x(0,3), x(3), None, training=True)", "F.batch_norm(x(2,3), x(3), None, training=False)",
])
def test_batch_norm_one_running_statistic(call):
    assert_same_outcome(lambda lib: eval(call, _loss_env(lib)))


# ---------------------------------------------------------------------------- linear's bias
_LINEAR_INPUTS = ["x(4)", "x(2,4)", "x(2,3,4)", "x(5)", "x(2,4).double()", "x(3,2,4).transpose(0,1)",
                  "x(2,3,4).double()"]
_LINEAR_BIASES = ["x()", "x(3)", "x(2,3)", "x().double()", "x(2,1)", "x(1,3)", "x(6,1)[::2]"]


@pytest.mark.parametrize("weight", ["x(4)", "x(3,4)"])
@pytest.mark.parametrize("bias", _LINEAR_BIASES)
@pytest.mark.parametrize("input", _LINEAR_INPUTS)
def test_linear_bias_fused_or_added(input, weight, bias):
    assert_same_outcome(lambda lib: eval(f"F.linear({input}, {weight}, {bias})", _loss_env(lib)))


@pytest.mark.parametrize("bias", ["x()", "x(3,3)", "x(2,3,3)", "x(1,3)", "x(3)"])
@pytest.mark.parametrize("input", ["x(2,3,4)", "x(3,2,4).transpose(0,1)"])
def test_linear_bias_gradients(input, bias):
    def grads(lib):
        env = _loss_env(lib)
        tensors = [eval(t, env).detach().requires_grad_() for t in (input, "x(3,4)", bias)]
        out = F(lib).linear(*tensors)
        (out * out).sum().backward()
        return (out,) + tuple(t.grad for t in tensors)

    assert_same_outcome(grads)


# ---------------------------------------------------------------------------- grid_sample's dtypes
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("batch", [1, 0])
@pytest.mark.parametrize("grid_dtype", ["float32", "int64"])
@pytest.mark.parametrize("input_dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("spatial", [2, 3])
def test_grid_sample_dtypes(spatial, input_dtype, grid_dtype, batch, mode):
    if spatial == 3 and mode == "bicubic":
        mode = "nearest"
    assert_same_outcome(lambda lib: F(lib).grid_sample(
        _x(lib, batch, 2, *(4,) * spatial, dtype=input_dtype), _x(lib, batch, *(3,) * spatial, spatial, dtype=grid_dtype),
        mode=mode, align_corners=False))


@pytest.mark.parametrize("input, grid, align_corners", [(None, (1, 3, 3, 2), 1), ((1, 2, 4, 4), None, 1),
                                                        (None, None, np.bool_(True)), ((1, 2, 4, 4), (1, 3, 3, 2), 1)])
def test_grid_sample_parses_tensors_first(input, grid, align_corners):
    assert_same_outcome(lambda lib: F(lib).grid_sample(None if input is None else _x(lib, *input),
                                                       None if grid is None else _x(lib, *grid),
                                                       align_corners=align_corners))


# ---------------------------------------------------------------------------- threshold_ of an expanded tensor
@pytest.mark.parametrize("call", [
    lambda lib, t: F(lib).threshold_(t, 0.1, -1.0), lambda lib, t: F(lib).threshold(t, 0.1, -1.0, inplace=True),
    lambda lib, t: lib.nn.Threshold(0.1, -1.0, inplace=True)(t), lambda lib, t: F(lib).relu_(t),
])
def test_threshold_writes_through_an_expanded_tensor(call):
    def run(lib):
        base = lib.tensor([0.05, 0.5, -2.0])
        out = call(lib, base.expand(2, 3))
        return out, base

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- padding layers' widths
@pytest.mark.parametrize("padding", ["torch.tensor(2)", "torch.tensor([2])", "torch.tensor([1,1,1,1])", "np.array(2)",
                                     "np.array([1,1,1,1])", "range(4)", "range(2)", "(i for i in range(4))", "[1,1]"])
@pytest.mark.parametrize("layer, shape", [("ZeroPad1d", (1, 1, 3)), ("ZeroPad2d", (1, 1, 3, 3)),
                                          ("ReflectionPad2d", (1, 1, 3, 3)), ("ReplicationPad3d", (1, 1, 3, 3, 3)),
                                          ("CircularPad2d", (1, 1, 3, 3))])
def test_padding_layer_widths(layer, shape, padding):
    def run(lib):
        module = getattr(lib.nn, layer)(eval(padding, {"torch": lib, "np": np}))
        return module(_x(lib, *shape))

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- arrays and tensors as ints
@pytest.mark.parametrize("call", [
    "nn.MaxPool2d(np.array([2,2]))(x(1,2,4,4))", "nn.AvgPool2d(np.array([2,2]))(x(1,2,4,4))",
    "nn.MaxPool1d(np.array([2,2]))(x(1,2,4))", "nn.LPPool2d(2, np.array([2,2]))(x(1,2,4,4))",
    "nn.AdaptiveMaxPool1d(np.array([2,2]))(x(1,2,4))",
    "F.pad(x(1,1,3,3), (T([1]), 1))", "F.pad(x(1,1,3,3), (1, T([1])))", "F.pad(x(1,1,3,3), (1, T([[1]])))",
    "F.pad(x(1,1,3,3), (1, T([1.0])))", "F.pad(x(1,1,3,3), (T([1.0]), 1))", "F.pad(x(1,1,3,3), (1, T([1,1])))",
    "F.local_response_norm(x(1,2,3), T([2]))", "F.local_response_norm(x(1,2,3), T(2))",
    "F.embedding(T([0]), x(0,3))", "F.embedding(T([], np.int64), x(0,3))", "F.embedding(T([-1]), x(0,3))",
    "F.embedding(T(0), x(0,3))", "F.embedding(T([0], np.int32), x(0,3))", "F.embedding(T([0]), x(0,3), padding_idx=0)",
    "nn.Embedding(0, 3)(T([0, 0]))",
])
def test_arrays_and_tensors_as_ints(call):
    def run(lib):
        env = _loss_env(lib)
        env["T"] = lambda value, dtype=None: lib.tensor(np.array(value, dtype))
        return eval(call, env)

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- activations' scalar arguments
_ACTIVATION_CALLS = ["F.leaky_relu(x(2,3), {})", "F.leaky_relu(x(2,3), {}, inplace=True)", "F.softplus(x(2,3), {})",
                     "F.softplus(x(2,3), 1, {})", "F.hardtanh(x(2,3), {})", "F.hardtanh(x(2,3), -1.0, {})",
                     "F.hardtanh(x(2,3), -1.0, {}, inplace=True)", "F.gelu(x(2,3), approximate={})",
                     "F.rrelu(x(2,3), {})", "F.rrelu(x(2,3), 0.1, {})", "nn.LeakyReLU({})(x(2,3))",
                     "nn.Softplus({})(x(2,3))", "nn.GELU({})(x(2,3))", "nn.RReLU({}).eval()(x(2,3))", "nn.Hardtanh({}, 5.0)(x(2,3))"]


@pytest.mark.parametrize("value", ["'a'", "None", "x(1)", "True", "float('nan')", "'tanh'"])
@pytest.mark.parametrize("call", _ACTIVATION_CALLS)
def test_activation_scalar_arguments(call, value):
    assert_same_outcome(lambda lib: eval(call.format(value), _loss_env(lib)))


@pytest.mark.parametrize("call", [
    "F.relu6(None)", "F.relu6([1.0])", "F.relu6(None, inplace=True)", "F.leaky_relu(None, 'a')",
    "F.leaky_relu(x(2,3).long(), 'a')", "F.softplus(x(2,3).long(), 'a')", "F.gelu(x(2,3).long(), approximate=None)",
    "F.softmax(None, 1)", "F.log_softmax([1.0], 1)", "F.softmax(None, 'a')", "F.softmax(None)",
    "nn.Hardtanh(1.0, 1.0)", "nn.Hardtanh(2.0, 1.0)", "nn.Hardtanh(min_value=0.5)(x(2,3))",
    "nn.Hardtanh(max_value=0.5)(x(2,3))", "nn.Hardtanh(0, 1, False, None, None, 5)", "nn.Hardtanh(min_value=2.0)",
])
def test_activation_inputs_and_bounds(call):
    assert_same_outcome(lambda lib: eval(call, _loss_env(lib)))
