"""What the builders share: torchvision's ``weights`` / ``pretrained`` arguments, which torchless cannot
honour (it downloads nothing), and MobileNet's channel rounding."""
import functools
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


# torchvision's weights enum of each builder and its members (besides the DEFAULT alias), with the number of
# categories each member's checkpoint classifies (None: a feature extractor with no classifier of its own).
_V1, _V1_V2 = {"IMAGENET1K_V1": 1000}, {"IMAGENET1K_V1": 1000, "IMAGENET1K_V2": 1000}
_WEIGHTS_ENUMS = {
    "alexnet": ("AlexNet_Weights", _V1),
    **{f"vgg{depth}{bn}": (f"VGG{depth}{bn.upper()}_Weights", _V1) for depth in (11, 13, 16, 19) for bn in ("", "_bn")},
    "vgg16": ("VGG16_Weights", {"IMAGENET1K_V1": 1000, "IMAGENET1K_FEATURES": None}),
    "resnet18": ("ResNet18_Weights", _V1), "resnet34": ("ResNet34_Weights", _V1),
    "resnet50": ("ResNet50_Weights", _V1_V2), "resnet101": ("ResNet101_Weights", _V1_V2),
    "resnet152": ("ResNet152_Weights", _V1_V2), "resnext50_32x4d": ("ResNeXt50_32X4D_Weights", _V1_V2),
    "wide_resnet50_2": ("Wide_ResNet50_2_Weights", _V1_V2), "mobilenet_v2": ("MobileNet_V2_Weights", _V1_V2),
    "squeezenet1_0": ("SqueezeNet1_0_Weights", _V1), "squeezenet1_1": ("SqueezeNet1_1_Weights", _V1),
    "densenet121": ("DenseNet121_Weights", _V1),
}


def _sequence_to_str(seq, separate_last=""):
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join([str(item) for item in seq[:-1]]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


def _legacy_interface(builder):
    """torchvision's ``kwonly_to_pos_or_kw`` and ``handle_legacy_interface`` around a builder ``fn(weights=None,
    progress=True, **kwargs)``: ``weights``/``progress`` given by position warn and are taken by name; the legacy
    ``pretrained=`` (or a non-string, non-None ``weights``) warns as in torchvision and becomes ``weights`` --
    ``"IMAGENET1K_V1"`` when true, None when false. An explicit ``weights=None`` or weights name leaves a
    ``pretrained`` argument to the model class, which refuses it with a TypeError, as torchvision's do."""
    enum_name = _WEIGHTS_ENUMS.get(builder.__name__, (builder.__name__ + "_Weights", None))[0]

    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        if args:
            names = ("weights", "progress", "kwargs")[:len(args)]
            warnings.warn(f"Using {_sequence_to_str(names, separate_last='and ')} as positional parameter(s) is "
                          f"deprecated since 0.13 and may be removed in the future. Please use keyword "
                          f"parameter(s) instead.")
            kwargs.update(zip(names, args))
        sentinel = object()
        weights_arg = kwargs.get("weights", sentinel)
        if (("weights" not in kwargs and "pretrained" not in kwargs) or (isinstance(weights_arg, str)
                                                                        and weights_arg != "legacy")
                or weights_arg is None):
            return builder(**kwargs)
        positional = weights_arg is not sentinel
        if positional:
            kwargs["pretrained"] = pretrained_arg = kwargs.pop("weights")
        else:
            pretrained_arg = kwargs["pretrained"]
        default = f"{enum_name}.IMAGENET1K_V1" if pretrained_arg else None
        if not positional:
            warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                          "please use 'weights' instead.")
        message = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be "
                   f"removed in the future. The current behavior is equivalent to passing `weights={default}`.")
        if pretrained_arg:
            message += f" You can also use `weights={enum_name}.DEFAULT` to get the most up-to-date weights."
        warnings.warn(message)
        del kwargs["pretrained"]
        kwargs["weights"] = "IMAGENET1K_V1" if pretrained_arg else None
        return builder(**kwargs)

    return wrapper


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
    """Raise ``PretrainedWeightsUnavailable`` if pretrained weights are asked for (``weights`` not None).

    The legacy ``pretrained=`` spellings are turned into ``weights`` by ``_legacy_interface`` first. As in
    torchvision, a weights name is checked before anything else: an unknown name is a KeyError, and a
    ``num_classes`` other than the checkpoint's a ValueError. The error shows ``load_template`` (with ``{path}``)
    as the way to read a checkpoint, followed by ``note``.
    """
    if weights is None:
        return
    enum_name, members = _WEIGHTS_ENUMS.get(builder, (None, None))
    if isinstance(weights, str) and members is not None:
        name = weights.replace(enum_name + ".", "")
        if name != "DEFAULT" and name not in members:
            raise KeyError(name)
        categories = members["IMAGENET1K_V1" if name == "DEFAULT" else name]
        if categories is not None:
            _ovewrite_named_param(kwargs, "num_classes", categories)
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
