"""How a Module prints: its class name, its extra_repr and its children's reprs indented under it.

Methods of torchless.nn.Module: see ``module.py``, which copies them onto the class.
"""


def addindent(text, spaces, indent_blank_lines=False):
    """``text`` with every line but the first indented by ``spaces``; as in PyTorch's Module.__repr__, lines that are
    blank are left empty unless ``indent_blank_lines`` (the older copy ModuleList's repr uses)."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    pad = " " * spaces
    return first + "\n" + "\n".join(pad + line if indent_blank_lines or line.strip() else "" for line in rest)


class ReprMethods:
    """Module's repr and the parts a subclass overrides (extra_repr, _get_name)."""

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The layer's own settings, shown inside its repr; override in subclasses."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            body = extra_lines[0] if len(extra_lines) == 1 and not child_lines else "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"
