"""What the builders share: torchvision's legacy ``pretrained`` / positional arguments, the loading of pretrained
weights, MobileNet's channel rounding, and IntermediateLayerGetter (a model's children run up to the last layer
asked for, their outputs returned by name)."""
import functools
import inspect
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


def _legacy_weights(**weights):
    """Declare a builder's legacy boolean parameters, as torchvision's ``handle_legacy_interface(**weights)``:
    ``weights_param=(pretrained_param, default)``, ``default`` being the member a true ``pretrained_param`` stands
    for. Builders that declare none have ``weights=("pretrained", <their enum's IMAGENET1K_V1>)``."""

    def decorate(builder):
        builder._legacy_weights = weights
        return builder

    return decorate


def _legacy_interface(builder):
    """torchvision's ``kwonly_to_pos_or_kw`` and ``handle_legacy_interface`` around a builder whose ``weights``
    annotation names its WeightsEnum: arguments given by position warn and are taken by the names of the builder's
    parameters; each legacy ``pretrained``-like argument (see :func:`_legacy_weights`), or a weights argument that
    is no enum member, name or None, warns as in torchvision and becomes its weights argument -- the default member
    when true, None when false. An explicit weights argument leaves the legacy one to the model class, which refuses
    it with a TypeError, as torchvision's do."""
    legacy = getattr(builder, "_legacy_weights", None)
    if legacy is None:
        # the legacy pretrained=True meant IMAGENET1K_V1; builders whose enum has none (vit_h_14, regnet_y_128gf:
        # SWAG weights only) have no legacy default
        legacy = {"weights": ("pretrained", _get_enum_from_fn(builder).__members__.get("IMAGENET1K_V1"))}
    parameter_names = tuple(inspect.signature(builder).parameters)

    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        if args:
            names = parameter_names[:len(args)]
            warnings.warn(f"Using {_sequence_to_str(names, separate_last='and ')} as positional parameter(s) is "
                          f"deprecated since 0.13 and may be removed in the future. Please use keyword "
                          f"parameter(s) instead.")
            kwargs.update(zip(names, args))
        for weights_param, (pretrained_param, default) in legacy.items():
            _replace_legacy_argument(builder, kwargs, weights_param, pretrained_param, default)
        return builder(**kwargs)

    return wrapper


def _replace_legacy_argument(builder, kwargs, weights_param, pretrained_param, default):
    """``kwargs[weights_param]`` set from a legacy boolean (under ``pretrained_param``, or given as
    ``weights_param``) with torchvision's deprecation warnings; nothing done for new-style arguments."""
    sentinel = object()
    weights_arg = kwargs.get(weights_param, sentinel)
    if ((weights_param not in kwargs and pretrained_param not in kwargs) or isinstance(weights_arg, WeightsEnum)
            or (isinstance(weights_arg, str) and weights_arg != "legacy") or weights_arg is None):
        return
    positional = weights_arg is not sentinel
    if positional:
        kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
    else:
        pretrained_arg = kwargs[pretrained_param]
    if pretrained_arg:
        if not isinstance(default, WeightsEnum):
            raise ValueError(f"No weights available for model {builder.__name__}")
        default_weights = default
    else:
        default_weights = None
    if not positional:
        warnings.warn(f"The parameter '{pretrained_param}' is deprecated since 0.13 and may be removed in the "
                      f"future, please use '{weights_param}' instead.")
    message = (f"Arguments other than a weight enum or `None` for '{weights_param}' are deprecated since 0.13 and "
               f"may be removed in the future. The current behavior is equivalent to passing "
               f"`{weights_param}={default_weights}`.")
    if pretrained_arg:
        message += (f" You can also use `{weights_param}={type(default_weights).__name__}.DEFAULT` to get the most "
                    "up-to-date weights.")
    warnings.warn(message)
    del kwargs[pretrained_param]
    kwargs[weights_param] = default_weights


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


def _check(condition, message):
    """torch._assert: an AssertionError with ``message`` unless ``condition``."""
    if not condition:
        raise AssertionError(message)


def _ovewrite_value_param(param, actual, expected):
    """``expected``, refusing a different ``actual`` the caller gave (None: not given)."""
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} instead.")
    return expected


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
