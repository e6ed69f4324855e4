"""What the builders share: torchvision's ``weights`` / ``pretrained`` arguments, which torchless cannot
honour (it downloads nothing), and MobileNet's channel rounding."""
import warnings

# Where torchvision publishes each builder's IMAGENET1K_V1 checkpoint (the weights ``pretrained=True`` meant),
# from torchvision's ``*_Weights`` enums; the error below points to them so that a user can fetch one elsewhere.
_DOWNLOAD_ROOT = "https://download.pytorch.org/models/"
_IMAGENET1K_V1_FILES = {
    "alexnet": "alexnet-owt-7be5be79.pth",
    "vgg11": "vgg11-8a719046.pth",
    "vgg11_bn": "vgg11_bn-6002323d.pth",
    "vgg13": "vgg13-19584684.pth",
    "vgg13_bn": "vgg13_bn-abd245e5.pth",
    "vgg16": "vgg16-397923af.pth",
    "vgg16_bn": "vgg16_bn-6c64b313.pth",
    "vgg19": "vgg19-dcbb9e9d.pth",
    "vgg19_bn": "vgg19_bn-c79401a0.pth",
    "resnet18": "resnet18-f37072fd.pth",
    "resnet34": "resnet34-b627a593.pth",
    "resnet50": "resnet50-0676ba61.pth",
    "resnet101": "resnet101-63fe2227.pth",
    "resnet152": "resnet152-394f9c45.pth",
    "resnext50_32x4d": "resnext50_32x4d-7cdf4587.pth",
    "wide_resnet50_2": "wide_resnet50_2-95faca4d.pth",
    "mobilenet_v2": "mobilenet_v2-b0353104.pth",
    "squeezenet1_0": "squeezenet1_0-b66bff10.pth",
    "squeezenet1_1": "squeezenet1_1-b8a52dc0.pth",
    "densenet121": "densenet121-a639ec97.pth",
}


class PretrainedWeightsUnavailable(RuntimeError):
    """Raised by a model builder asked for pretrained weights: torchless has no download hub."""


def _unavailable_weights_message(builder, weights, load_template, note):
    checkpoint = _IMAGENET1K_V1_FILES.get(builder, f"{builder}.pth")
    return (
        f"{builder}(weights={weights!r}): torchless cannot download pretrained weights (it has no model hub and "
        f"no torchvision). Build the model with weights=None and load a torchvision checkpoint file instead:\n\n"
        f"    model = torchless.vision.models.{builder}()\n"
        f"    model.load_state_dict({load_template.format(path=repr(checkpoint))})\n\n"
        f"torchvision's IMAGENET1K_V1 weights for {builder} are {_DOWNLOAD_ROOT}{checkpoint} (fetch the file where "
        f"there is network access), or save any torch model's weights with "
        f"torch.save(model.state_dict(), 'file.pth'); torchless.load reads PyTorch's zip checkpoints.{note}"
    )


def _refuse_pretrained_weights(builder, weights, kwargs, load_template="torchless.load({path})", note=""):
    """Raise ``PretrainedWeightsUnavailable`` if any pretrained weights are asked for, in any spelling.

    As torchvision 0.13+: ``pretrained=True`` (or a bool passed as ``weights``) means the IMAGENET1K_V1 weights and
    ``pretrained=False`` means none, both with a deprecation warning. ``kwargs`` loses its ``pretrained`` entry.
    The error shows ``load_template`` (with ``{path}``) as the way to read a checkpoint, followed by ``note``.
    """
    if "pretrained" in kwargs:
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.")
        if kwargs.pop("pretrained"):
            weights = "IMAGENET1K_V1" if weights is None else weights
    elif isinstance(weights, bool):
        warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and "
                      "may be removed in the future.")
        weights = "IMAGENET1K_V1" if weights else None
    if weights is not None:
        raise PretrainedWeightsUnavailable(_unavailable_weights_message(builder, weights, load_template, note))


def _ovewrite_named_param(kwargs, param, new_value):
    """Set ``kwargs[param]``, refusing a different value the caller gave (torchvision's name, typo included)."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never more than 10% below
    ``v``: the channel rounding of TensorFlow's MobileNet, which torchvision keeps so that weights line up."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
