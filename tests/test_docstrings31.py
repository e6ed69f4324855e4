"""The docstrings of the public API: each documented object has a PyTorch-style docstring (a Shape: section
where it has shapes), and its Examples:: block runs under torchless, printing what the docstring shows; the
same examples run under PyTorch must print the same (so the shown outputs are PyTorch's, not ours alone)."""
import doctest
import warnings

import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
import torchless.utils.data as data

# Objects with shapes: their docstring must have Args-like prose, a Shape: section and an Examples:: block
SHAPED_MODULES = [
    # activations
    "ReLU", "LeakyReLU", "Hardtanh", "ReLU6", "ELU", "CELU", "SiLU", "GELU", "Sigmoid", "Tanh", "LogSigmoid",
    "Hardsigmoid", "Hardswish", "Mish", "Softplus", "Softsign", "Hardshrink", "Softshrink", "Tanhshrink",
    "Threshold", "PReLU", "RReLU", "GLU", "Softmax", "LogSoftmax", "Softmin", "Softmax2d", "SELU",
    # dropout, reshaping
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Flatten", "Unflatten",
    "Identity",
    # padding
    *[f"{kind}Pad{nd}d" for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular") for nd in (1, 2, 3)],
    # pooling
    *[f"{kind}{nd}d" for kind in ("MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool") for nd in (1, 2, 3)],
    # losses
    "CrossEntropyLoss", "NLLLoss", "NLLLoss2d", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
    "SoftMarginLoss", "HingeEmbeddingLoss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
    # layers
    "Conv1d", "Conv2d", "Conv3d", "Linear", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Sequential",
    "RNNCell", "GRUCell", "LSTMCell", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "PixelShuffle",
    "PixelUnshuffle", "Embedding", "GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "RNN", "LSTM",
]
# Losses whose docstrings state their shapes in a sentence ("Shape: input (N, C); ..."): an example as well
INLINE_SHAPE_MODULES = ["MarginRankingLoss", "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
                        "CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "PoissonNLLLoss",
                        "GaussianNLLLoss"]
# Containers and the like: no shapes of their own, but an example
UNSHAPED_MODULES = ["ModuleList", "ModuleDict", "Parameter"]
SHAPED_FUNCTIONS = [
    "dropout", "dropout1d", "dropout2d", "feature_alpha_dropout", "linear", "avg_pool1d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "normalize", "cosine_similarity", "pairwise_distance", "one_hot",
    "conv_transpose1d", "hardsigmoid", "pixel_unshuffle", "upsample", "upsample_nearest", "upsample_bilinear",
]
# Element-wise functions (in-place variants and the like): a docstring with an example
UNSHAPED_FUNCTIONS = ["leaky_relu_", "hardtanh_", "selu_", "celu_", "tanh", "threshold_"]
SHAPED_TORCH = ["zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "broadcast_to",
                "atleast_1d", "atleast_2d"]
UNSHAPED_TORCH = ["is_tensor", "numel", "is_floating_point"]
UNSHAPED_DATA = ["ConcatDataset", "ChainDataset", "SequentialSampler", "SubsetRandomSampler", "WeightedRandomSampler"]

DOCUMENTED = ([(f"nn.{name}", getattr(nn, name)) for name in SHAPED_MODULES + INLINE_SHAPE_MODULES + UNSHAPED_MODULES]
              + [(f"F.{name}", getattr(F, name)) for name in SHAPED_FUNCTIONS + UNSHAPED_FUNCTIONS]
              + [(f"torch.{name}", getattr(torchless, name)) for name in SHAPED_TORCH + UNSHAPED_TORCH]
              + [(f"data.{name}", getattr(data, name)) for name in ["TensorDataset"] + UNSHAPED_DATA])
SHAPED = ([(f"nn.{name}", getattr(nn, name)) for name in SHAPED_MODULES]
          + [(f"F.{name}", getattr(F, name)) for name in SHAPED_FUNCTIONS]
          + [(f"torch.{name}", getattr(torchless, name)) for name in SHAPED_TORCH]
          + [("data.TensorDataset", data.TensorDataset)])
UNSHAPED = ([(f"nn.{name}", getattr(nn, name)) for name in UNSHAPED_MODULES]
            + [(f"F.{name}", getattr(F, name)) for name in UNSHAPED_FUNCTIONS]
            + [(f"torch.{name}", getattr(torchless, name)) for name in UNSHAPED_TORCH]
            + [(f"data.{name}", getattr(data, name)) for name in UNSHAPED_DATA])


def _examples(obj):
    return doctest.DocTestParser().get_examples(obj.__doc__ or "")


@pytest.mark.parametrize("name,obj", SHAPED, ids=[name for name, _ in SHAPED])
def test_shaped_docstring_has_shape_and_examples(name, obj):
    doc = obj.__doc__ or ""
    assert len(doc) > 200
    assert "\n    Shape:\n" in doc
    assert "\n    Examples::\n" in doc
    assert _examples(obj)


@pytest.mark.parametrize("name", INLINE_SHAPE_MODULES)
def test_inline_shape_docstring_has_examples(name):
    doc = getattr(nn, name).__doc__ or ""
    assert "Shape:" in doc and "\n    Examples::\n" in doc
    assert _examples(getattr(nn, name))


@pytest.mark.parametrize("name,obj", UNSHAPED, ids=[name for name, _ in UNSHAPED])
def test_unshaped_docstring_has_examples(name, obj):
    doc = obj.__doc__ or ""
    assert len(doc) > 150 and "\n    Examples::\n" in doc
    assert _examples(obj)


def _run(obj, globs, rewrite=lambda text: text):
    """Run the examples of ``obj``'s docstring with ``globs``; the failures' report (empty when all pass)."""
    examples = _examples(obj)
    for example in examples:
        example.want = rewrite(example.want)
    test = doctest.DocTest(examples, dict(globs), obj.__qualname__, None, 0, None)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    report = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner.run(test, out=report.append)
    return "".join(report)


@pytest.mark.parametrize("name,obj", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_examples_run_under_torchless(name, obj):
    torchless.manual_seed(0)
    assert _run(obj, {"torch": torchless, "nn": nn, "F": F}) == ""


@pytest.mark.parametrize("name,obj", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_examples_show_what_pytorch_prints(name, obj):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as torch_F
    torch.manual_seed(0)
    report = _run(obj, {"torch": torch, "nn": torch.nn, "F": torch_F},
                  rewrite=lambda text: text.replace("torchless.", "torch."))
    assert report == ""


def test_a_wrong_example_output_is_caught():
    """The runner above must be able to fail: an example showing a wrong value is reported."""

    class Documented:
        """Examples::

            >>> torch.tensor([1.0, 2.0]).sum()
            tensor(4.)
        """

    assert "Failed example" in _run(Documented, {"torch": torchless})


def _public_methods():
    import inspect
    for name in dir(torchless.Tensor):
        if name.startswith("_"):
            continue
        if isinstance(inspect.getattr_static(torchless.Tensor, name), property):
            continue
        method = getattr(torchless.Tensor, name)
        if callable(method):
            yield name, method


def test_every_public_tensor_method_has_a_docstring():
    undocumented = [name for name, method in _public_methods() if not (method.__doc__ or "").strip()]
    assert undocumented == []


def test_tensor_method_docstrings_point_to_what_exists():
    """A method documented as mirroring ``torchless.<name>`` or as the in-place ``<name>_`` of a method names
    something real, and its signature line names the method itself."""
    from torchless import _tensor_docs
    for signature in _tensor_docs._entries(_tensor_docs._MIRRORS):
        name = signature[:signature.index("(")]
        assert callable(getattr(torchless, name)), name
        assert getattr(torchless.Tensor, name).__doc__.startswith(name + "("), name
    for signature in _tensor_docs._entries(_tensor_docs._IN_PLACE):
        name = signature[:signature.index("(")]
        assert name.endswith("_") and callable(getattr(torchless.Tensor, name[:-1])), name
        assert f":meth:`~Tensor.{name[:-1]}`" in getattr(torchless.Tensor, name).__doc__


def test_tensor_method_signature_lines_match_pytorch_methods():
    """The signature lines name methods PyTorch's Tensor has (no invented API)."""
    torch = pytest.importorskip("torch")
    from torchless import _tensor_docs
    entries = _tensor_docs._entries(_tensor_docs._MIRRORS) + _tensor_docs._entries(_tensor_docs._IN_PLACE)
    names = [line[:line.index("(")] for line in entries]
    names += list(_tensor_docs._OWN)
    assert [name for name in names if not hasattr(torch.Tensor, name)] == []
