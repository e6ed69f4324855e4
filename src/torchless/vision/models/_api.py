"""torchvision's model registry: builders register under their name; ``get_model`` and ``list_models`` find them."""
import fnmatch

from ._utils import _legacy_interface

BUILTIN_MODELS = {}


def register_model(name=None):
    """Decorator: register a builder under ``name`` (default: the function's own name), wrapped in
    ``_legacy_interface`` as torchvision's builders are in ``handle_legacy_interface``."""

    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        fn = _legacy_interface(fn)  # torchvision's positional-argument and pretrained= deprecations
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Sorted names of the registered models.

    Args:
        module (module, optional): keep only the models of this package (as torchvision, where
            ``module=torchvision.models`` lists the classification models); here every model is in
            ``torchless.vision.models``.
        include (str or list of str, optional): Unix-shell patterns (``fnmatch``); keep the names matching any.
        exclude (str or list of str, optional): patterns; drop the names matching any.
    """
    names = {name for name, fn in BUILTIN_MODELS.items()
             if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        patterns = [include] if isinstance(include, str) else include
        names = {name for name in names if any(fnmatch.fnmatch(name, p) for p in patterns)}
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {name for name in names if not any(fnmatch.fnmatch(name, p) for p in patterns)}
    return sorted(names)


def get_model_builder(name):
    """The builder function registered as ``name`` (case-insensitive)."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """The model ``name`` built with ``config`` (e.g. ``get_model("resnet18", num_classes=10)``)."""
    return get_model_builder(name)(**config)
