"""What the builders share: torchvision's legacy ``pretrained`` / positional arguments, the loading of pretrained
weights, MobileNet's channel rounding, and IntermediateLayerGetter (a model's children run up to the last layer
asked for, their outputs returned by name)."""
import functools
import warnings
from collections import OrderedDict

from ... import nn
from ._api import WeightsEnum, _get_enum_from_fn


class IntermediateLayerGetter(nn.ModuleDict):
    """The direct children of ``model``, up to the last of ``return_layers``, run in their registration order;
    forward returns an OrderedDict of the outputs of the layers named in ``return_layers`` (``{name: new_name}``),
    under their new names. As torchvision's, it assumes the children are registered in the order forward uses
    them, each once, and sees only direct children (``layer1``, not ``layer1.0``)."""

    _version = 2

    def __init__(self, model, return_layers):
        children = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(children):
            raise ValueError("return_layers are not present in model")
        wanted = {str(name) for name in return_layers}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            wanted.discard(name)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


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
    progress=True, **kwargs)`` whose ``weights`` annotation names its WeightsEnum: ``weights``/``progress`` given by
    position warn and are taken by name; the legacy ``pretrained=`` (or a ``weights`` that is no enum member, name
    or None) warns as in torchvision and becomes ``weights`` -- the enum's IMAGENET1K_V1 when true, None when false.
    An explicit ``weights`` leaves a ``pretrained`` argument to the model class, which refuses it with a TypeError,
    as torchvision's do."""
    weights_enum = _get_enum_from_fn(builder)

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
        if (("weights" not in kwargs and "pretrained" not in kwargs) or isinstance(weights_arg, WeightsEnum)
                or (isinstance(weights_arg, str) and weights_arg != "legacy") or weights_arg is None):
            return builder(**kwargs)
        positional = weights_arg is not sentinel
        if positional:
            kwargs["pretrained"] = pretrained_arg = kwargs.pop("weights")
        else:
            pretrained_arg = kwargs["pretrained"]
        # the legacy pretrained=True meant IMAGENET1K_V1; builders whose enum has none (vit_h_14, regnet_y_128gf:
        # SWAG weights only) have no legacy default
        default = weights_enum.__members__.get("IMAGENET1K_V1") if pretrained_arg else None
        if pretrained_arg and default is None:
            raise ValueError(f"No weights available for model {builder.__name__}")
        if not positional:
            warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                          "please use 'weights' instead.")
        message = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be "
                   f"removed in the future. The current behavior is equivalent to passing `weights={default}`.")
        if pretrained_arg:
            message += (f" You can also use `weights={weights_enum.__name__}.DEFAULT` to get the most up-to-date "
                        "weights.")
        warnings.warn(message)
        del kwargs["pretrained"]
        kwargs["weights"] = default
        return builder(**kwargs)

    return wrapper


class PretrainedWeightsUnavailable(RuntimeError):
    """Raised by a model builder whose pretrained weights could not be downloaded (no network access, say); the
    message names the URL and the cache path where a copy fetched by other means is picked up."""


def _verify_weights(weights_enum, weights, kwargs):
    """``weights`` as a member of ``weights_enum`` (or None), with ``kwargs["num_classes"]`` set to the number of
    its categories, as torchvision's builders do before building the model (a ValueError if the caller asked for
    another). Feature-extractor weights (no categories) leave the head to the caller."""
    weights = weights_enum.verify(weights)
    if weights is not None and weights.meta["categories"] is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return weights


def _load_weights(model, weights, progress, convert=None):
    """``model`` with ``weights`` loaded (downloaded into the hub cache first if needed), their state dict passed
    through ``convert`` if given; ``model`` unchanged for ``weights=None``.

    Raises:
        PretrainedWeightsUnavailable: the download failed.
    """
    if weights is None:
        return model
    import http.client  # with urllib, ~10 ms to import: only once weights are asked for
    import urllib.error

    # what a failed download raises (URLError: no DNS, connection refused, HTTP error); a hash mismatch
    # (RuntimeError) or an unreadable checkpoint still surfaces as torch's error
    download_errors = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)
    try:
        state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    except download_errors as error:
        from ... import hub

        path = hub._cached_file(weights.url)
        raise PretrainedWeightsUnavailable(
            f"Could not download {weights!r} from {weights.url}: {error}\n"
            f"Without network access, fetch that file where there is some and copy it to {path} (the checkpoints "
            f"folder of torchless.hub.get_dir(), which $TORCH_HOME moves; torch and torchvision share it): the "
            f"builder then loads it from there."
        ) from error
    model.load_state_dict(convert(state_dict) if convert is not None else state_dict)
    return model


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


def _init_mobile_weights(model, init_linear):
    """The initialisation torchvision's mobile models share: Kaiming-normal (fan-out) convolutions, unit scales
    and zero shifts in their norms, zero biases, and ``init_linear(layer)`` for each linear layer's weight."""
    from ... import nn

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            init_linear(m)
            nn.init.zeros_(m.bias)
