"""v2's reprs: ``torch.nn.Module.__repr__`` around ``Transform.extra_repr`` (the public attributes of plain
types, in the order torchvision's v2 ``__init__`` sets them). The v2 classes that are v1 classes underneath keep
v1's attributes for their work and record v2's repr attributes apart (``_v2_repr_attrs``), so v1's reprs are
unchanged."""
import enum

_PLAIN = (bool, int, float, str, tuple, list, enum.Enum)


def module_repr(obj):
    """``torch.nn.Module.__repr__``: ``Name(extra)`` when ``extra_repr`` is one line and there are no child
    modules, else the extra lines and ``(name): child`` lines indented by two spaces between ``Name(`` and ``)``."""
    extra = obj.extra_repr()
    lines = extra.split("\n") if extra else []
    children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                for name, child in vars(obj).get("_modules", {}).items()]
    text = f"{type(obj).__name__}("
    if len(lines) == 1 and not children:
        text += lines[0]
    elif lines or children:
        text += "\n  " + "\n  ".join(lines + children) + "\n"
    return text + ")"


def plain_extra_repr(pairs):
    """``Transform.extra_repr`` of v2: ``name=value`` for the values of plain types (None is left out)."""
    return ", ".join(f"{name}={value}" for name, value in pairs if isinstance(value, _PLAIN))


class V2Repr:
    """Mixin giving a v1-based class v2's repr from the ``(name, value)`` pairs in ``self._v2_repr_attrs``."""

    def extra_repr(self):
        return plain_extra_repr(self._v2_repr_attrs)

    def __repr__(self):
        return module_repr(self)
