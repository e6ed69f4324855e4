"""torchvision's weights API and model registry: ``Weights`` and ``WeightsEnum`` describe a builder's pretrained
weights; builders register under their name; ``get_model``, ``list_models``, ``get_model_weights`` and ``get_weight``
find them."""
import enum
import fnmatch
import functools
import importlib
import inspect
import typing
from dataclasses import dataclass

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight", "list_models"]


@dataclass
class Weights:
    """Description of one set of pretrained weights.

    Args:
        url (str): where the checkpoint is downloaded from.
        transforms (Callable): builds the preprocessing the model expects (e.g. the evaluation preset); a
            factory rather than a ready object, so that nothing is built before it is needed.
        meta (Dict[str, Any]): metadata: information (parameter count, GFLOPS, training recipe, metrics...),
            settings the builder needs (e.g. ``num_classes``) and what using the model needs (e.g. the
            ``categories`` of a classifier).
    """

    url: str
    transforms: typing.Callable
    meta: dict

    def __eq__(self, other):
        # Deep copies and unpickled members are found again by equality with the defined ones, and a deep-copied
        # partial is a new object that never equals the original: partials compare by what they would call.
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, functools.partial) and isinstance(other.transforms, functools.partial):
            return (self.transforms.func == other.transforms.func and self.transforms.args == other.transforms.args
                    and self.transforms.keywords == other.transforms.keywords)
        return self.transforms == other.transforms


class WeightsEnum(enum.Enum):
    """Base class of the per-model enums of pretrained weights (``ResNet18_Weights``...), whose members are the
    values a builder's ``weights`` argument accepts.

    Args:
        value (Weights): the description of that set of weights.
    """

    @classmethod
    def verify(cls, obj):
        """``obj`` as a member of this enum: a member is returned as is, a name ("IMAGENET1K_V1", or
        "ResNet18_Weights.IMAGENET1K_V1") looked up (KeyError if unknown), None kept; any other object is a
        TypeError."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(
                    f"Invalid Weight class provided; expected {cls.__name__} but received {obj.__class__.__name__}."
                )
        return obj

    def get_state_dict(self, *args, **kwargs):
        """The weights' state dict, downloaded once into the hub cache: the arguments are those of
        :func:`torchless.hub.load_state_dict_from_url` after ``url`` (``progress``, ``check_hash``, ...)."""
        from ...hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """Look up a weights enum member by its qualified name, such as ``"ResNet50_Weights.IMAGENET1K_V1"``.

    Args:
        name (str): ``"<EnumClass>.<MEMBER>"``.

    Returns:
        WeightsEnum: the member.
    """
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    models = importlib.import_module(__name__.rpartition(".")[0])
    # the enums of the task packages (segmentation...) are found in those packages only, as in torchvision
    packages = [models] + [module for _, module in inspect.getmembers(models, inspect.ismodule)
                           if getattr(module, "__file__", "").endswith("__init__.py")]
    for package in packages:
        weights_enum = package.__dict__.get(enum_name)
        if isinstance(weights_enum, type) and issubclass(weights_enum, WeightsEnum):
            return weights_enum[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")


def get_model_weights(name):
    """Return the weights enum class of a model builder.

    Args:
        name (callable or str): the builder, or the name it is registered under.

    Returns:
        weights_enum (WeightsEnum): the enum class of the builder's ``weights`` argument.
    """
    model = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(model)


def _get_enum_from_fn(fn):
    """The WeightsEnum subclass in the annotation of ``fn``'s ``weights`` parameter (``Optional[...]`` included),
    where torchvision's builders declare it."""
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    annotation = sig.parameters["weights"].annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate
    raise ValueError(
        "The WeightsEnum class for the specific method couldn't be retrieved. Make sure the typing info is correct."
    )


BUILTIN_MODELS = {}


def register_model(name=None):
    """Decorator: register a builder under ``name`` (default: the function's own name), wrapped in
    ``_legacy_interface`` as torchvision's builders are in ``handle_legacy_interface``."""

    from ._utils import _legacy_interface  # _utils needs this module's classes: imported once both exist

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
